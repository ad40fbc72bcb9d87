"""Marching squares: the decision boundary as line segments."""

import numpy as np
import pytest

from mlpviz.core.contour import marching_squares


def test_marching_squares_traces_a_circle():
    xs = np.linspace(-3, 3, 61)
    X1, X2 = np.meshgrid(xs, xs)
    segments = marching_squares(X1**2 + X2**2 - 4.0, xs, xs)
    ends = segments.reshape(-1, 2)
    np.testing.assert_allclose(np.hypot(ends[:, 0], ends[:, 1]), 2.0, atol=0.02)
    lengths = np.hypot(segments[:, 2] - segments[:, 0], segments[:, 3] - segments[:, 1])
    assert lengths.sum() == pytest.approx(4 * np.pi, rel=0.01)


def test_marching_squares_resolves_saddles_by_the_cell_centre():
    # Corners +1 at bottom-left and top-right, −1 elsewhere; the centre's mean is 0 → below.
    values = np.array([[1.0, -1.0], [-1.0, 1.0]])
    segments = marching_squares(values, np.array([0.0, 1.0]), np.array([0.0, 1.0]))
    assert len(segments) == 2
    midpoints = np.column_stack([segments[:, 0] + segments[:, 2], segments[:, 1] + segments[:, 3]])
    # Each segment cuts off one positive corner: midpoints near (0.25, 0.25) and (0.75, 0.75).
    np.testing.assert_allclose(sorted(midpoints[:, 0] / 2), [0.25, 0.75])


def test_a_line_is_traced_across_the_whole_grid_and_nothing_else():
    xs = np.linspace(-6, 6, 150)
    X1, X2 = np.meshgrid(xs, xs)
    segments = marching_squares(X1 - 0.5 * X2 - 1.0, xs, xs)  # the line x₁ = 0.5 x₂ + 1
    np.testing.assert_allclose(segments[:, 0], 0.5 * segments[:, 1] + 1.0, atol=1e-9)
    assert segments[:, [1, 3]].min() < -5.9 and segments[:, [1, 3]].max() > 5.9
    assert len(marching_squares(X1 * 0 + 1.0, xs, xs)) == 0  # no crossing, no segment
