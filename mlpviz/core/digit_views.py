"""What the digits workspace's views and ``mlpviz digits`` draw, computed from a network and
its data: the confusion matrix, the misclassified images worst first, and the first layer's
weights as one image per hidden neuron. Pure functions: the views only draw their results.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from .digits import N_DIGITS


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
    confidence = probabilities[wrong, predicted[wrong]]
    order = np.lexsort((wrong, -confidence))  # the last key sorts first
    return [
        Misclassified(
            int(wrong[i]), int(true[wrong[i]]), int(predicted[wrong[i]]), float(confidence[i])
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
