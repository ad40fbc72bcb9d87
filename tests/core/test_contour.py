"""Marching squares: the decision boundary as line segments."""

import numpy as np
import pytest

from mlpviz.core.contour import decision_boundaries, marching_squares


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


# --- decision boundaries ----------------------------------------------------------------------
GRID = np.linspace(-6, 6, 121)
CELL = GRID[1] - GRID[0]
CENTRE = np.array([0.3, -0.2])  # off the grid's nodes, where the sectors meet


def softmax_on_grid(logits: np.ndarray) -> np.ndarray:
    """Class probabilities (ny, nx, K) from logits (ny, nx, K)."""
    e = np.exp(logits - logits.max(axis=2, keepdims=True))
    return e / e.sum(axis=2, keepdims=True)


def three_sectors(sharpness: float) -> tuple[np.ndarray, np.ndarray]:
    """Three classes whose logits grow along unit vectors 120° apart, from CENTRE.

    Returns the probabilities and the directions of the three boundary rays: classes a and b
    share the ray opposite the third class's vector.
    """
    angles = np.radians([90.0, 210.0, 330.0])
    vectors = np.column_stack([np.cos(angles), np.sin(angles)])
    X1, X2 = np.meshgrid(GRID - CENTRE[0], GRID - CENTRE[1])
    logits = sharpness * (X1[..., None] * vectors[:, 0] + X2[..., None] * vectors[:, 1])
    return softmax_on_grid(logits), -vectors


def distance_to_ray(points: np.ndarray, direction: np.ndarray) -> np.ndarray:
    """Distance of ``points`` (n, 2) to the ray from CENTRE along the unit ``direction``."""
    offsets = points - CENTRE
    along = offsets @ direction
    across = np.abs(offsets[:, 0] * direction[1] - offsets[:, 1] * direction[0])
    return np.where(along >= 0, across, np.hypot(offsets[:, 0], offsets[:, 1]))


def ray_length_in_grid(direction: np.ndarray) -> float:
    """How far the ray from CENTRE runs before it leaves the grid's square."""
    limits = [(np.sign(d) * 6 - c) / d for c, d in zip(CENTRE, direction) if abs(d) > 1e-12]
    return float(min(limits))


@pytest.mark.parametrize("sharpness", [1.0, 40.0])
def test_three_sectors_give_three_rays_from_where_they_meet(sharpness):
    probabilities, rays = three_sectors(sharpness)
    segments = decision_boundaries(probabilities, GRID, GRID)
    ends = segments.reshape(-1, 2)
    distances = np.column_stack([distance_to_ray(ends, ray) for ray in rays])
    assert distances.min(axis=1).max() < CELL  # every end on a boundary ray
    lengths = np.hypot(segments[:, 2] - segments[:, 0], segments[:, 3] - segments[:, 1])
    nearest_ray = distances.reshape(-1, 2, 3).max(axis=1).argmin(axis=1)
    for k, ray in enumerate(rays):  # each ray traced once, from the centre to the edge
        assert lengths[nearest_ray == k].sum() == pytest.approx(ray_length_in_grid(ray), rel=0.02)
        reach = distance_to_ray(ends, ray) < CELL
        assert np.hypot(*(ends[reach] - CENTRE).T).min() < CELL


def test_one_sigmoid_output_gives_the_line_where_it_is_one_half():
    X1, _ = np.meshgrid(GRID, GRID)
    y_hat = 1.0 / (1.0 + np.exp(-3.0 * (X1 - 1.0)))
    segments = decision_boundaries(y_hat[..., None], GRID, GRID)
    np.testing.assert_allclose(segments[:, [0, 2]], 1.0, atol=1e-2 * CELL)
    assert segments[:, [1, 3]].min() == -6 and segments[:, [1, 3]].max() == 6


def test_two_softmax_classes_give_their_boundary_once():
    X1, X2 = np.meshgrid(GRID, GRID)
    logits = np.stack([X1 + X2, -(X1 + X2)], axis=2)  # the boundary x₁ + x₂ = 0
    segments = decision_boundaries(softmax_on_grid(logits), GRID, GRID)
    np.testing.assert_allclose(segments[:, 0] + segments[:, 1], 0.0, atol=1e-9)
    lengths = np.hypot(segments[:, 2] - segments[:, 0], segments[:, 3] - segments[:, 1])
    assert lengths.sum() == pytest.approx(12 * np.sqrt(2), rel=1e-6)


def test_a_network_without_an_opinion_has_no_boundary():
    assert len(decision_boundaries(np.full((5, 5, 3), 1 / 3), GRID[:5], GRID[:5])) == 0
    assert len(decision_boundaries(np.full((5, 5, 1), 0.5), GRID[:5], GRID[:5])) == 0


def test_a_stack_of_fields_gives_the_segments_of_each():
    X1, X2 = np.meshgrid(GRID, GRID)
    fields = np.stack([X1**2 + X2**2 - 4.0, X1 - 0.5 * X2 - 1.0])
    together = marching_squares(fields, GRID, GRID)
    apart = np.concatenate([marching_squares(field, GRID, GRID) for field in fields])
    assert sorted(map(tuple, together)) == sorted(map(tuple, apart))
