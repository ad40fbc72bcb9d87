"""What the digits workspace's views and ``mlpviz digits`` draw, computed from a network and
its data: the confusion matrix, the misclassified images worst first, and the first layer's
weights as one image per hidden neuron, laid out in one mosaic image. Pure functions (the
views only draw their results), but for :func:`predict_test_set`, which keeps its last result
so that the confusion matrix and the gallery run the test set through a network once.
"""

from __future__ import annotations

import math
import threading
from typing import NamedTuple

import numpy as np

from .datasets import Dataset
from .digits import N_DIGITS
from .network import MLP


def confusion_matrix(
    true: np.ndarray, predicted: np.ndarray, n_classes: int = N_DIGITS
) -> np.ndarray:
    """Counts (n_classes, n_classes) int64: entry [t, p] is how many samples of class t were
    predicted p (row = true class). The trace over the total is the accuracy."""
    true, predicted = np.asarray(true, dtype=np.int64), np.asarray(predicted, dtype=np.int64)
    if true.shape != predicted.shape or true.ndim != 1:
        raise ValueError(
            f"true and predicted must be equal 1-D shapes: {true.shape}, {predicted.shape}"
        )
    counts = np.bincount(true * n_classes + predicted, minlength=n_classes * n_classes)
    return counts.reshape(n_classes, n_classes)


def confusion_cell(true: np.ndarray, predicted: np.ndarray, row: int, column: int) -> np.ndarray:
    """Indices of the samples counted in cell [row, column] of the confusion matrix (true
    class ``row``, predicted ``column``), in order: what a click on that cell shows."""
    return np.flatnonzero((np.asarray(true) == row) & (np.asarray(predicted) == column))


def row_percentages(matrix: np.ndarray) -> np.ndarray:
    """Each row of a confusion matrix as percentages of its true class (0 for an empty row)."""
    totals = matrix.sum(axis=1, keepdims=True)
    return np.divide(100.0 * matrix, totals, out=np.zeros(matrix.shape), where=totals > 0)


class Misclassified(NamedTuple):
    """A sample the network got wrong: its index in the set, its true and predicted class,
    and the probability the network gave its (wrong) prediction."""

    index: int
    true: int
    predicted: int
    confidence: float


def misclassified(probabilities: np.ndarray, true: np.ndarray) -> list[Misclassified]:
    """The samples of ``probabilities: (m, K)`` whose arg-max is not ``true: (m,)``, worst
    first: the most confident mistakes lead, ties in index order."""
    predicted = probabilities.argmax(axis=1)
    wrong = np.flatnonzero(predicted != true)
    return _ranked(wrong, true, predicted, probabilities[wrong, predicted[wrong]])


def _ranked(
    indices: np.ndarray,
    true: np.ndarray,
    predicted: np.ndarray,
    confidence: np.ndarray,
    least_confident_first: bool = False,
) -> list[Misclassified]:
    """The samples ``indices`` (with their ``confidence``) sorted by confidence, most
    confident first unless told otherwise, ties in index order."""
    key = confidence if least_confident_first else -confidence
    order = np.lexsort((indices, key))  # the last key sorts first
    return [
        Misclassified(
            int(indices[i]), int(true[indices[i]]), int(predicted[indices[i]]), float(confidence[i])
        )
        for i in order
    ]


class WeightTiles(NamedTuple):
    """The first layer's weights as images: ``tiles`` (n_hidden, rows, columns), one per
    hidden neuron, all on the colour scale ±``limit`` (white at 0)."""

    tiles: np.ndarray
    limit: float


def weight_tiles(W: np.ndarray, image_shape: tuple[int, int]) -> WeightTiles:
    """Each row of the first weight matrix ``W: (n_hidden, rows·columns)`` reshaped to the
    image it looks at, with a shared symmetric scale: the largest |w| (1 when all are 0), so
    that one colour means one weight in every tile."""
    rows, columns = image_shape
    if W.ndim != 2 or W.shape[1] != rows * columns:
        raise ValueError(f"W must have shape (n, {rows * columns}), got {W.shape}")
    largest = float(np.abs(W).max(initial=0.0))
    limit = largest if largest > 0 and math.isfinite(largest) else 1.0
    return WeightTiles(W.reshape(-1, rows, columns).copy(), limit)


def grid_shape(count: int, aspect: float = 1.0) -> tuple[int, int]:
    """(rows, columns) of a grid holding ``count`` tiles, about ``aspect`` times as wide as
    tall in tiles, with no empty row."""
    if count <= 0:
        return 0, 0
    columns = max(1, min(count, math.ceil(math.sqrt(count * aspect))))
    return math.ceil(count / columns), columns


def fitting_grid(count: int, width: float, height: float) -> tuple[int, int]:
    """(rows, columns) of a grid of ``count`` square tiles that makes them largest in a
    ``width`` × ``height`` area; among equal sizes, the one with fewer empty places, then
    fewer rows."""
    if count <= 0:
        return 0, 0
    width, height = max(width, 1.0), max(height, 1.0)

    def rank(columns: int) -> tuple[float, int, int]:
        rows = math.ceil(count / columns)
        return min(width / columns, height / rows), -(rows * columns - count), -rows

    columns = max(range(1, count + 1), key=rank)
    return math.ceil(count / columns), columns


def tile_mosaic(tiles: np.ndarray, rows: int, columns: int, gap: int) -> np.ndarray:
    """``tiles: (n, h, w)`` laid out row by row in one (rows·(h+gap)−gap, columns·(w+gap)−gap)
    float image, NaN in the gaps and the empty places: one image for any number of tiles."""
    count, h, w = tiles.shape
    if count > rows * columns:
        raise ValueError(f"{count} tiles do not fit a {rows}×{columns} grid")
    padded = np.full((rows * columns, h + gap, w + gap), np.nan)
    padded[:count, :h, :w] = tiles
    mosaic = padded.reshape(rows, columns, h + gap, w + gap).transpose(0, 2, 1, 3)
    image_height, image_width = rows * (h + gap) - gap, columns * (w + gap) - gap
    return mosaic.reshape(rows * (h + gap), columns * (w + gap))[:image_height, :image_width]


class DigitPredictions(NamedTuple):
    """A network's answers on the test set, in the test set's order (read-only arrays):
    ``indices`` (m,) the dataset index of each test image, ``true`` (m,) its digit,
    ``predicted`` (m,) the arg-max of the logits (as the accuracy counts it) and
    ``probabilities`` (m, 10) the softmax."""

    indices: np.ndarray
    true: np.ndarray
    predicted: np.ndarray
    probabilities: np.ndarray

    @property
    def confidence(self) -> np.ndarray:
        """(m,) the probability of each image's predicted digit."""
        return self.probabilities[np.arange(len(self.predicted)), self.predicted]


class _LastPredictions:
    """The newest result of :func:`predict_test_set` and what it was computed from. The key
    holds the objects themselves (compared with ``is``), so an id cannot be reused while
    cached; one lock guards the swap, so any thread may ask."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._key: tuple[object, ...] = ()
        self._value: DigitPredictions | None = None

    def get(self, key: tuple[object, ...]) -> DigitPredictions | None:
        with self._lock:
            same = len(key) == len(self._key) and all(a is b for a, b in zip(key, self._key))
            return self._value if same else None

    def put(self, key: tuple[object, ...], value: DigitPredictions) -> None:
        with self._lock:
            self._key, self._value = key, value


_last_predictions = _LastPredictions()


def predict_test_set(net: MLP, dataset: Dataset, test_mask: np.ndarray) -> DigitPredictions:
    """``net``'s predictions on the test images of ``dataset`` (``test_mask`` (m,)).

    The confusion matrix and the gallery draw the same frame: the last result is cached,
    keyed on the identity of the network (a snapshot's private copy, never trained again),
    the dataset and the mask, so the test set goes through the network once per frame.
    """
    key = (net, dataset, test_mask)
    cached = _last_predictions.get(key)
    if cached is not None:
        return cached
    indices = np.flatnonzero(test_mask)
    logits = net.logits(dataset.X[_as_slice(indices)]).T  # (10, m): softmax works on columns
    predictions = DigitPredictions(
        indices,
        np.asarray(dataset.y[indices], dtype=np.int64),
        net.output.labels(logits),
        np.ascontiguousarray(net.output.probabilities(logits).T),
    )
    for array in predictions:
        array.flags.writeable = False
    _last_predictions.put(key, predictions)
    return predictions


def gallery_entries(
    predictions: DigitPredictions, true: int | None = None, predicted: int | None = None
) -> list[Misclassified]:
    """The test images a gallery shows (``index``: position in the test set, as in
    :func:`confusion_cell`): the mistakes, most confident first, of digit ``true`` and/or
    predicted as ``predicted`` when given; a diagonal cell (``true == predicted``) shows its
    correct images instead, least confident first (the close calls)."""
    diagonal = true is not None and true == predicted
    chosen = (predictions.true == predictions.predicted) == diagonal
    if true is not None:
        chosen &= predictions.true == true
    if predicted is not None:
        chosen &= predictions.predicted == predicted
    positions = np.flatnonzero(chosen)
    return _ranked(
        positions,
        predictions.true,
        predictions.predicted,
        predictions.confidence[positions],
        least_confident_first=diagonal,
    )


def _as_slice(indices: np.ndarray) -> slice | np.ndarray:
    """``indices`` (sorted, distinct) as a slice when they are a run: MNIST's test set is its
    last 10,000 images, whose view saves a 31 MB copy each frame."""
    if len(indices) and indices[-1] - indices[0] + 1 == len(indices):
        return slice(int(indices[0]), int(indices[-1]) + 1)
    return indices
