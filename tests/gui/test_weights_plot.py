"""WeightsPlot: one exact heatmap per W^{[l]}, the run's colour scale, the histogram."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QPointF

from mlpviz.core import MLP, SGD, Trainer
from mlpviz.core.history import TrainingHistory
from mlpviz.core.scales import nice_ceiling
from mlpviz.core.snapshot import Snapshot
from mlpviz.gui.weights_plot import HISTOGRAM_BINS, WeightsPlot

from .conftest import shown

SHOTS = Path("/tmp/shots")


@pytest.fixture
def weights_plot(qtbot):
    widget = shown(qtbot, WeightsPlot(), 760, 460)
    return widget


def snapshot_of(net: MLP) -> Snapshot:
    """A snapshot of ``net`` as the first state of its run (its own largest weight)."""
    return Snapshot(
        net=net.copy(),
        iteration=0,
        epoch=0,
        train_loss=0.7,
        test_loss=float("nan"),
        train_accuracy=0.5,
        test_accuracy=float("nan"),
        updates_per_second=0.0,
        history=TrainingHistory().arrays(),
        running=False,
        largest_weight=float(np.abs(net.all_weights()).max()),
    )


def trained_xor_net(steps: int = 1000) -> MLP:
    rng = np.random.default_rng(1)
    X = rng.uniform(-1.0, 1.0, (80, 2))
    y = ((X[:, 0] > 0) ^ (X[:, 1] > 0)).astype(np.int64)
    net = MLP([2, 8, 8, 1], seed=0)
    Trainer(net, SGD(0.5), X, y).run(steps)
    return net


def histogram_counts(weights_plot: WeightsPlot) -> tuple[np.ndarray, np.ndarray]:
    edges, counts = weights_plot.histogram.getOriginalDataset()
    return edges, counts


def test_object_names(weights_plot):
    assert weights_plot.objectName() == "weightsPlot"
    assert weights_plot.accessibleName() == "Weights plot"


def test_one_heatmap_per_layer_holding_w_rows_as_neurons(weights_plot):
    net = MLP([2, 4, 3], seed=3)
    weights_plot.show_snapshot(snapshot_of(net))
    assert len(weights_plot.images) == 2
    assert [image.image.shape for image in weights_plot.images] == [(4, 2), (3, 4)]
    for image, W in zip(weights_plot.images, net.weights):
        assert image.image.dtype == np.float32
        assert image.image.flags.c_contiguous
        np.testing.assert_array_equal(image.image, W.astype(np.float32))
        assert image.axisOrder == "row-major"
    titles = [plot.titleLabel.text for plot in weights_plot.layer_plots]
    assert "W[1]" in titles[0] and "4×2" in titles[0]
    assert "W[2]" in titles[1] and "3×4" in titles[1]


def test_neuron_one_is_the_top_row_and_cells_are_unit_squares(weights_plot, qtbot):
    weights_plot.show_snapshot(snapshot_of(MLP([2, 4, 3], seed=0)))
    qtbot.wait(20)
    plot, image = weights_plot.layer_plots[0], weights_plot.images[0]
    assert image.mapRectToView(image.boundingRect()).getRect() == pytest.approx((0, 0, 2, 4))
    top = plot.vb.mapViewToScene(QPointF(0.5, 0.5)).y()  # row j = 1
    bottom = plot.vb.mapViewToScene(QPointF(0.5, 3.5)).y()  # row j = 4
    assert top < bottom


def test_levels_are_symmetric_and_follow_the_runs_largest_weight(weights_plot):
    net = MLP([2, 4, 3], seed=0)
    weights_plot.show_snapshot(snapshot_of(net))
    assert weights_plot.limit == 1.0  # Xavier weights are below 1: the minimum scale
    assert all(image.levels.tolist() == [-1.0, 1.0] for image in weights_plot.images)

    net.weights[1][0, 0] = 3.7
    weights_plot.show_snapshot(snapshot_of(net))
    assert weights_plot.limit == 4.0  # rounded up to a nice value
    assert all(image.levels.tolist() == [-4.0, 4.0] for image in weights_plot.images)
    assert weights_plot.color_bar.levels() == (-4.0, 4.0)

    # The scale is the frame's own: a frame of the same run drawn after a later one (as when
    # scrubbing back) gets exactly its own colours.
    weights_plot.show_snapshot(replace(snapshot_of(net), largest_weight=5.2))
    assert weights_plot.limit == 6.0  # a larger weight earlier in the run keeps the scale
    weights_plot.show_snapshot(snapshot_of(MLP([2, 4, 3], seed=0)))
    assert weights_plot.limit == 1.0


@pytest.mark.parametrize(
    ("value", "nice"), [(1.0, 1.0), (1.2, 1.5), (3.7, 4.0), (9.0, 10.0), (11.0, 15.0), (0.07, 0.08)]
)
def test_nice_ceiling(value, nice):
    assert nice_ceiling(value) == pytest.approx(nice)


def test_histogram_counts_every_weight_over_the_fixed_range(weights_plot):
    net = MLP([2, 4, 3], seed=0)
    net.weights[0][0, 0] = 1.9
    weights_plot.show_snapshot(snapshot_of(net))
    edges, counts = histogram_counts(weights_plot)
    assert counts.sum() == 4 * 2 + 3 * 4 == 20
    assert len(edges) == HISTOGRAM_BINS + 1
    assert (edges[0], edges[-1]) == (-2.0, 2.0)
    assert weights_plot.histogram_plot.viewRange()[0] == pytest.approx([-2.0, 2.0])
    top_bin = np.searchsorted(edges, 1.9) - 1
    assert counts[top_bin] >= 1


def test_same_architecture_reuses_items_new_one_rebuilds(weights_plot):
    weights_plot.show_snapshot(snapshot_of(MLP([2, 4, 3], seed=0)))
    images, plots = list(weights_plot.images), list(weights_plot.layer_plots)
    weights_plot.show_snapshot(snapshot_of(MLP([2, 4, 3], seed=1)))
    assert all(a is b for a, b in zip(weights_plot.images, images))
    assert all(a is b for a, b in zip(weights_plot.layer_plots, plots))
    weights_plot.show_snapshot(snapshot_of(MLP([2, 5, 5, 3], seed=0)))
    assert [image.image.shape for image in weights_plot.images] == [(5, 2), (5, 5), (3, 5)]
    assert not any(image in images for image in weights_plot.images)


def test_clear_removes_heatmaps_and_histogram(weights_plot):
    net = MLP([2, 4, 3], seed=0)
    net.weights[0][0, 0] = 2.5
    weights_plot.show_snapshot(snapshot_of(net))
    weights_plot.clear()
    assert weights_plot.images == [] and weights_plot.layer_plots == []
    assert weights_plot.limit == 1.0
    assert histogram_counts(weights_plot)[0] is None or histogram_counts(weights_plot)[0].size == 0
    assert weights_plot.histogram_plot in weights_plot.ci.items  # only the heatmaps went
    assert weights_plot.color_bar in weights_plot.ci.items
    weights_plot.show_snapshot(snapshot_of(net))  # draws again after a clear
    assert len(weights_plot.images) == 2


def test_hovering_a_cell_shows_its_weight(weights_plot, qtbot):
    net = MLP([2, 4, 3], seed=0)
    net.weights[0][2, 1] = 0.625
    weights_plot.show_snapshot(snapshot_of(net))
    qtbot.wait(20)
    plot, image = weights_plot.layer_plots[0], weights_plot.images[0]
    scene_point = plot.vb.mapViewToScene(QPointF(1.5, 2.5))  # k = 2, j = 3
    qtbot.mouseMove(weights_plot.viewport(), weights_plot.mapFromScene(scene_point))
    qtbot.waitUntil(lambda: image.toolTip() != "")
    assert image.toolTip() == "w[1] j=3, k=2: +0.625"


@pytest.mark.parametrize(
    ("sizes", "panel"),
    [
        ([2, 1], (360, 260)),
        ([2, 64, 2], (400, 330)),
        ([2, 16, 16, 16, 4], (380, 600)),
        ([2, *[64] * 8, 3], (480, 340)),
        ([2, *[64] * 8, 3], (1200, 700)),
    ],
)
def test_layout_fits_the_panel(weights_plot, qtbot, sizes, panel):
    weights_plot.show_snapshot(snapshot_of(MLP(sizes, seed=0)))
    weights_plot.resize(*panel)
    qtbot.wait(50)
    right_edges = [weights_plot.color_bar.sceneBoundingRect().right()]
    right_edges += [plot.sceneBoundingRect().right() for plot in weights_plot.layer_plots]
    assert max(right_edges) <= panel[0] + 1
    bottom = weights_plot.histogram_plot.sceneBoundingRect().bottom()
    assert bottom <= panel[1] + 1
    smallest = min(plot.vb.width() for plot in weights_plot.layer_plots)
    assert smallest >= 30  # cells stay visible, however many layers


def test_labels_shrink_on_a_small_panel_and_return(weights_plot, qtbot):
    weights_plot.show_snapshot(snapshot_of(MLP([2, 16, 16, 16, 4], seed=0)))
    qtbot.wait(20)
    assert "16×2" in weights_plot.layer_plots[0].titleLabel.text
    assert weights_plot.layer_plots[0].getAxis("bottom").label.isVisible()
    weights_plot.resize(400, 300)
    qtbot.waitUntil(lambda: weights_plot.layer_plots[0].titleLabel.text.startswith("W[1]"))
    qtbot.waitUntil(lambda: "×" not in weights_plot.layer_plots[0].titleLabel.text)
    assert not weights_plot.layer_plots[0].getAxis("bottom").label.isVisible()
    weights_plot.resize(1000, 500)
    qtbot.waitUntil(lambda: "16×2" in weights_plot.layer_plots[0].titleLabel.text)


def test_a_tall_panel_stacks_heatmaps(weights_plot, qtbot):
    weights_plot.show_snapshot(snapshot_of(MLP([2, 8, 8, 1], seed=0)))
    weights_plot.resize(1000, 300)
    qtbot.wait(20)
    tops = {round(plot.sceneBoundingRect().top()) for plot in weights_plot.layer_plots}
    assert len(tops) == 1  # one row
    weights_plot.resize(380, 700)
    qtbot.wait(20)
    tops = {round(plot.sceneBoundingRect().top()) for plot in weights_plot.layer_plots}
    assert len(tops) >= 2


@pytest.mark.parametrize(
    ("name", "sizes", "panel"),
    [
        ("xor", [2, 8, 8, 1], (640, 420)),
        ("single_neuron", [2, 1], (520, 360)),
        ("2-16-16-16-4", [2, 16, 16, 16, 4], (760, 460)),
    ],
)
def test_screenshots(weights_plot, qtbot, name, sizes, panel):
    net = trained_xor_net() if name == "xor" else MLP(sizes, seed=0)
    weights_plot.show_snapshot(snapshot_of(net))
    weights_plot.resize(*panel)
    qtbot.wait(50)
    SHOTS.mkdir(exist_ok=True)
    weights_plot.grab().save(str(SHOTS / f"weights_plot_{name}.png"))
    largest = max(float(np.abs(W).max()) for W in net.weights)
    assert weights_plot.limit >= largest
    assert weights_plot.limit == nice_ceiling(max(1.0, largest))
