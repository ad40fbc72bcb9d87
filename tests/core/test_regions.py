"""The region image's pure functions: the network's output over a grid of any resolution, and
the resolution a budget affords."""

import numpy as np
import pytest

from mlpviz.core import MLP
from mlpviz.core.regions import CELL_STEP, affordable_cells, grid_for_view, region_output

FULL, LEAST = 150, 50


@pytest.fixture
def net():
    return MLP([2, 6, 3], ["tanh"], seed=2)


@pytest.mark.parametrize("cells", [150, 80, 7])
def test_region_output_is_the_network_on_the_grid_bottom_row_first(net, cells):
    x_range, y_range = (-2.0, 1.0), (0.5, 3.0)
    output = region_output(net, x_range, y_range, cells)
    assert output.shape == (cells, cells, 3)
    expected = net.predict_proba(grid_for_view(x_range, y_range, cells))
    np.testing.assert_array_equal(output.reshape(-1, 3), expected)
    # Row 0 is the lowest x₂, column 0 the smallest x₁.
    corner = net.predict_proba(np.array([[-2.0 + 1.5 / cells, 0.5 + 1.25 / cells]]))
    np.testing.assert_allclose(output[0, 0], corner[0], rtol=1e-12)


def test_region_output_has_no_opinion_where_the_network_is_undefined(net):
    broken = MLP([2, 6, 1], ["tanh"], seed=2)
    broken.params[:] = np.nan
    output = region_output(broken, (-1.0, 1.0), (-1.0, 1.0), 10)
    assert output.shape == (10, 10, 1)
    assert np.all(output == 0.5)


def test_region_output_in_float32_for_a_float32_network(net):
    output = region_output(net.astype(np.float32), (-1.0, 1.0), (-1.0, 1.0), 20)
    assert output.dtype == np.float32
    np.testing.assert_allclose(output, region_output(net, (-1.0, 1.0), (-1.0, 1.0), 20), 1e-5)


def test_a_cheap_image_is_computed_in_full():
    assert affordable_cells(0.0, 0.008, FULL, LEAST) == FULL
    assert affordable_cells(0.008 / FULL**2, 0.008, FULL, LEAST) == FULL


def test_a_costly_image_gets_the_finest_grid_within_the_budget():
    per_cell = 0.024 / FULL**2  # an 8 × 64 network's 24 ms on 150 × 150 cells
    cells = affordable_cells(per_cell, 0.008, FULL, LEAST)
    assert cells % CELL_STEP == 0
    assert per_cell * cells**2 <= 0.008 < per_cell * (cells + CELL_STEP) ** 2
    assert cells == 80


def test_costlier_cells_mean_fewer_but_never_fewer_than_the_least():
    costs = np.geomspace(1e-8, 1e-3, 30)
    sides = [affordable_cells(cost, 0.008, FULL, LEAST) for cost in costs]
    assert sides == sorted(sides, reverse=True)
    assert sides[0] == FULL and sides[-1] == LEAST
