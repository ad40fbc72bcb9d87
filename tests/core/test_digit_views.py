"""The digits views' computations: confusion matrix, misclassified list, weight tiles."""

from __future__ import annotations

import numpy as np
import pytest

from mlpviz.core.digit_views import (
    DigitPredictions,
    Misclassified,
    confusion_cell,
    confusion_matrix,
    fitting_grid,
    gallery_entries,
    grid_shape,
    misclassified,
    predict_test_set,
    row_percentages,
    tile_mosaic,
    weight_tiles,
)
from mlpviz.core.digits import ImageDataset
from mlpviz.core.network import MLP
from mlpviz.core.trainer import evaluate


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


def test_fitting_grid_makes_the_tiles_largest_in_the_area():
    assert fitting_grid(32, 800, 400) == (4, 8)  # 100-pixel tiles
    assert fitting_grid(32, 400, 800) == (8, 4)
    assert fitting_grid(10, 1000, 100) == (1, 10)
    assert fitting_grid(512, 1600, 900)[0] * fitting_grid(512, 1600, 900)[1] >= 512
    assert fitting_grid(0, 100, 100) == (0, 0)
    for count, width, height in ((7, 300, 200), (512, 400, 300), (64, 1920, 1080)):
        rows, columns = fitting_grid(count, width, height)
        side = min(width / columns, height / rows)
        others = [min(width / c, height / -(-count // c)) for c in range(1, count + 1)]
        assert rows * columns >= count and side == max(others)


def test_tile_mosaic_places_tiles_row_by_row_with_gaps():
    tiles = np.arange(5 * 2 * 3, dtype=float).reshape(5, 2, 3)
    mosaic = tile_mosaic(tiles, rows=2, columns=3, gap=1)
    assert mosaic.shape == (2 * 3 - 1, 3 * 4 - 1)
    assert np.array_equal(mosaic[0:2, 0:3], tiles[0])
    assert np.array_equal(mosaic[0:2, 4:7], tiles[1])
    assert np.array_equal(mosaic[3:5, 4:7], tiles[4])  # second row, second column
    assert np.isnan(mosaic[2]).all() and np.isnan(mosaic[:, 3]).all()  # the gaps
    assert np.isnan(mosaic[3:5, 8:11]).all()  # the empty place
    assert np.array_equal(tile_mosaic(tiles[:2], 1, 2, 0), np.hstack([tiles[0], tiles[1]]))
    with pytest.raises(ValueError):
        tile_mosaic(tiles, 1, 4, 1)


def _digit_data(m: int = 60, seed: int = 0) -> ImageDataset:
    rng = np.random.default_rng(seed)
    X = rng.random((m, 64), dtype=np.float32)
    return ImageDataset(X, np.arange(m) % 10, np.arange(m) % 3 == 0)


def test_predict_test_set_answers_on_the_test_images():
    data = _digit_data()
    net = MLP([64, 16, 10], "relu", seed=1, dtype=np.float32)
    predictions = predict_test_set(net, data, data.test)
    test = np.flatnonzero(data.test)
    assert predictions.indices.tolist() == test.tolist()
    assert predictions.true.tolist() == data.y[test].tolist()
    assert predictions.predicted.tolist() == net.predict(data.X[test]).tolist()
    assert np.allclose(predictions.probabilities, net.predict_proba(data.X[test]))
    assert np.array_equal(predictions.confidence, predictions.probabilities.max(axis=1))
    _, accuracy = evaluate(net, data.X[test], data.y[test])
    assert np.mean(predictions.true == predictions.predicted) == accuracy
    with pytest.raises(ValueError):
        predictions.probabilities[0, 0] = 1.0  # shared between views: read-only


def test_predict_test_set_runs_the_network_once_per_network(inference_calls):
    data = _digit_data()
    net = MLP([64, 16, 10], "relu", seed=1, dtype=np.float32)
    calls = inference_calls
    first = predict_test_set(net, data, data.test)
    assert predict_test_set(net, data, data.test) is first and len(calls) == 1
    copy = net.copy()  # another snapshot of the same weights: computed again
    again = predict_test_set(copy, data, data.test)
    assert again is not first and len(calls) == 2
    assert np.array_equal(again.predicted, first.predicted)
    other_mask = data.test.copy()
    assert predict_test_set(copy, data, other_mask) is not again and len(calls) == 3


def test_gallery_entries_of_all_mistakes_a_row_and_a_cell():
    probabilities = np.array(
        [
            [0.9, 0.1, 0.0],  # true 0: right, 0.9
            [0.2, 0.7, 0.1],  # true 0 → 1, 0.7
            [0.05, 0.05, 0.9],  # true 1 → 2, 0.9
            [0.3, 0.7, 0.0],  # true 2 → 1, 0.7
            [0.6, 0.4, 0.0],  # true 0: right, 0.6
        ]
    )
    true = np.array([0, 0, 1, 2, 0])
    predicted = probabilities.argmax(axis=1)
    predictions = DigitPredictions(np.arange(5) + 100, true, predicted, probabilities)
    assert gallery_entries(predictions) == misclassified(probabilities, true)
    assert [e.index for e in gallery_entries(predictions, predicted=1)] == [1, 3]
    assert [e.index for e in gallery_entries(predictions, true=0)] == [1]
    assert gallery_entries(predictions, 2, 1) == [Misclassified(3, 2, 1, 0.7)]
    diagonal = gallery_entries(predictions, 0, 0)  # the correct ones, close calls first
    assert [e.index for e in diagonal] == [4, 0]
    assert sorted(e.index for e in diagonal) == confusion_cell(true, predicted, 0, 0).tolist()
