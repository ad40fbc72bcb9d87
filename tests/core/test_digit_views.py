"""The digits views' computations: confusion matrix, misclassified list, weight tiles."""

from __future__ import annotations

import numpy as np
import pytest

from mlpviz.core.digit_views import (
    Misclassified,
    confusion_cell,
    confusion_matrix,
    grid_shape,
    misclassified,
    row_percentages,
    weight_tiles,
)


def test_confusion_matrix_counts_true_rows_and_predicted_columns():
    true = np.array([0, 0, 1, 2, 2, 2])
    predicted = np.array([0, 1, 1, 2, 0, 2])
    matrix = confusion_matrix(true, predicted, n_classes=3)
    assert matrix.tolist() == [[1, 1, 0], [0, 1, 0], [1, 0, 2]]
    assert np.trace(matrix) / matrix.sum() == np.mean(true == predicted)
    assert confusion_matrix(true, predicted).shape == (10, 10)  # digits by default
    with pytest.raises(ValueError):
        confusion_matrix(true, predicted[:-1])


def test_confusion_matrix_equals_a_direct_count():
    rng = np.random.default_rng(0)
    true, predicted = rng.integers(0, 10, 500), rng.integers(0, 10, 500)
    direct = [[int(np.sum((true == t) & (predicted == p))) for p in range(10)] for t in range(10)]
    assert confusion_matrix(true, predicted).tolist() == direct


def test_a_confusion_cell_lists_the_samples_it_counts():
    true = np.array([0, 0, 1, 2, 2, 2])
    predicted = np.array([0, 1, 1, 2, 0, 2])
    assert confusion_cell(true, predicted, 2, 2).tolist() == [3, 5]
    assert confusion_cell(true, predicted, 0, 1).tolist() == [1]
    matrix = confusion_matrix(true, predicted, 3)
    sizes = [[len(confusion_cell(true, predicted, t, p)) for p in range(3)] for t in range(3)]
    assert sizes == matrix.tolist()


def test_row_percentages_of_each_true_class():
    percentages = row_percentages(np.array([[3, 1], [0, 0]]))
    assert percentages.tolist() == [[75.0, 25.0], [0.0, 0.0]]


def test_misclassified_lists_the_most_confident_mistakes_first():
    probabilities = np.array(
        [
            [0.9, 0.1, 0.0],  # right
            [0.2, 0.7, 0.1],  # true 0, predicted 1 with 0.7
            [0.05, 0.05, 0.9],  # true 1, predicted 2 with 0.9: the worst
            [0.3, 0.7, 0.0],  # true 2, predicted 1 with 0.7 (tie: later index)
        ]
    )
    wrong = misclassified(probabilities, np.array([0, 0, 1, 2]))
    assert wrong == [
        Misclassified(2, 1, 2, 0.9),
        Misclassified(1, 0, 1, 0.7),
        Misclassified(3, 2, 1, 0.7),
    ]
    assert misclassified(probabilities[:1], np.array([0])) == []


def test_weight_tiles_reshape_each_neuron_on_a_shared_symmetric_scale():
    W = np.arange(-32, 32, dtype=np.float32).reshape(1, 64) * np.array([[1.0], [0.5]])
    tiles = weight_tiles(W, (8, 8))
    assert tiles.tiles.shape == (2, 8, 8) and tiles.limit == 32.0
    assert np.array_equal(tiles.tiles[1], W[1].reshape(8, 8))
    assert tiles.tiles[0, 0, 1] == W[0, 1] and tiles.tiles[0, 1, 0] == W[0, 8]  # row-major
    assert weight_tiles(np.zeros((3, 784)), (28, 28)).limit == 1.0
    with pytest.raises(ValueError):
        weight_tiles(W, (28, 28))


@pytest.mark.parametrize(
    ("count", "expected"), [(0, (0, 0)), (1, (1, 1)), (10, (3, 4)), (32, (6, 6)), (64, (8, 8))]
)
def test_grid_shape_is_about_square_with_no_empty_row(count, expected):
    rows, columns = grid_shape(count)
    assert (rows, columns) == expected
    assert count == 0 or (rows - 1) * columns < count <= rows * columns
