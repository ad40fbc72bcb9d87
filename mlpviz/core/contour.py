"""Decision boundaries as line segments: the level-zero curve of a function sampled on a
grid (marching squares), vectorised.

NumPy only, so the app's data plane draws the same boundaries live as ``mlpviz train``'s PNG.
"""

from __future__ import annotations

import functools

import numpy as np

# Pairs of crossed cell edges (0 bottom, 1 right, 2 top, 3 left) for each marching-squares
# case; a case's bit k is set when corner k (bottom-left, bottom-right, top-right, top-left)
# is above the level. The ambiguous saddles 5 and 10 are resolved below from the cell centre.
_SEGMENTS: dict[int, tuple[tuple[int, int], ...]] = {
    1: ((3, 0),),
    2: ((0, 1),),
    3: ((3, 1),),
    4: ((1, 2),),
    6: ((0, 2),),
    7: ((3, 2),),
    8: ((2, 3),),
    9: ((0, 2),),
    11: ((1, 2),),
    12: ((1, 3),),
    13: ((0, 1),),
    14: ((3, 0),),
}
_SADDLES: dict[int, tuple[tuple[tuple[int, int], ...], tuple[tuple[int, int], ...]]] = {
    # case: (segments when the centre is above the level, segments when it is below)
    5: (((0, 1), (2, 3)), ((3, 0), (1, 2))),
    10: (((3, 0), (1, 2)), ((0, 1), (2, 3))),
}


def decision_boundaries(output: np.ndarray, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    """The boundaries between a network's decision regions, from its output on a grid.

    ``output: (ny, nx, n_out)`` is ŷ (finite) at the grid points ``xs: (nx,)`` × ``ys: (ny,)``.
    One sigmoid output (n_out = 1) is P(class 1): its boundary is the line ŷ = 0.5. Otherwise
    ``output`` holds K class probabilities and the region of class k is where p_k is the
    largest: its edge is where p_k = max_{j≠k} p_j, which is p_k = p_j along the edge with
    class j. The edges of every region together are the boundaries between every pair of
    regions.

    The levels are traced on log-probabilities: log p_k − log p_j is the difference of the
    logits, which varies smoothly across a cell, whereas p_k − p_j of a confident network
    jumps from −1 to 1 and linear interpolation would trace a zigzag.

    Returns segments (s, 4) of ``x1, y1, x2, y2``, each edge once.
    """
    if output.shape[2] == 1:
        y_hat = output[..., 0]
        return marching_squares(_log(y_hat) - _log(1.0 - y_hat), xs, ys)
    return _each_once(marching_squares(_class_margins(_log(output)), xs, ys))


def _log(p: np.ndarray) -> np.ndarray:
    """log p, with probabilities rounded to 0 taken as the smallest normal float instead."""
    return np.log(np.maximum(p, np.finfo(p.dtype).tiny))


def _class_margins(log_p: np.ndarray) -> np.ndarray:
    """log p_k − max_{j≠k} log p_j (K, ny, nx) for each class k of ``log_p: (ny, nx, K)``."""
    classes = list(np.moveaxis(log_p, 2, 0))
    margins = []
    for k, log_p_k in enumerate(classes):
        # Pairwise maxima: NumPy's max over a short last axis is many times slower.
        best_other = functools.reduce(np.maximum, classes[:k] + classes[k + 1 :])
        margins.append(log_p_k - best_other)
    return np.stack(margins)


def _each_once(segments: np.ndarray) -> np.ndarray:
    """``segments`` without repeats, whichever way round their ends are.

    The edge between regions a and b is traced twice, from the margins of a and of b, which
    are there each other's negation (exactly so in floating point): the same crossings,
    sometimes in the opposite order.
    """
    ends = segments.reshape(-1, 2, 2)
    first_is_lower = (ends[:, 0, 0] < ends[:, 1, 0]) | (
        (ends[:, 0, 0] == ends[:, 1, 0]) & (ends[:, 0, 1] <= ends[:, 1, 1])
    )
    ordered = np.where(first_is_lower[:, None, None], ends, ends[:, ::-1]).reshape(-1, 4)
    ordered = ordered[np.lexsort(ordered.T[::-1])]
    repeats = np.zeros(len(ordered), dtype=bool)
    repeats[1:] = (ordered[1:] == ordered[:-1]).all(axis=1)
    return ordered[~repeats]


def marching_squares(values: np.ndarray, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    """The zero level set of ``values: (ny, nx)`` sampled at ``xs: (nx,)``, ``ys: (ny,)``, or
    of every field of a stack ``values: (n, ny, nx)`` on that grid, in one pass.

    Returns line segments as an (s, 4) array of ``x1, y1, x2, y2``; neighbouring segments
    share their end points exactly, so they draw as continuous curves.
    """
    fields = values.reshape(-1, *values.shape[-2:])
    above = (fields > 0).view(np.uint8)  # bytes: bit arithmetic without wider temporaries
    case = (
        above[:, :-1, :-1]
        | (above[:, :-1, 1:] << 1)
        | (above[:, 1:, 1:] << 2)
        | (above[:, 1:, :-1] << 3)
    )
    # Only the few cells the curve crosses are looked at closely (live redraws need speed).
    field, rows, cols = np.nonzero((case > 0) & (case < 15))
    corners = [
        fields[field, rows, cols],
        fields[field, rows, cols + 1],
        fields[field, rows + 1, cols + 1],
        fields[field, rows + 1, cols],
    ]
    case = case[field, rows, cols]
    centre_above = sum(corners) > 0
    pieces = [np.empty((0, 4))]
    for code, pairs in _SEGMENTS.items():
        pieces.append(_segments_in(case == code, pairs, rows, cols, corners, xs, ys))
    for code, (if_above, if_below) in _SADDLES.items():
        saddle = case == code
        pieces.append(_segments_in(saddle & centre_above, if_above, rows, cols, corners, xs, ys))
        pieces.append(_segments_in(saddle & ~centre_above, if_below, rows, cols, corners, xs, ys))
    return np.concatenate(pieces)


def _segments_in(
    selected: np.ndarray,
    pairs: tuple[tuple[int, int], ...],
    rows: np.ndarray,
    cols: np.ndarray,
    corners: list[np.ndarray],
    xs: np.ndarray,
    ys: np.ndarray,
) -> np.ndarray:
    """Segments joining the crossings of edge pairs ``pairs`` in the ``selected`` cells."""
    rows, cols = rows[selected], cols[selected]
    values = [corner[selected] for corner in corners]
    found = []
    for first, second in pairs:
        x1, y1 = _edge_crossing(first, values, rows, cols, xs, ys)
        x2, y2 = _edge_crossing(second, values, rows, cols, xs, ys)
        found.append(np.column_stack([x1, y1, x2, y2]))
    return np.concatenate(found)


def _edge_crossing(
    edge: int,
    values: list[np.ndarray],
    rows: np.ndarray,
    cols: np.ndarray,
    xs: np.ndarray,
    ys: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Where the level crosses ``edge`` of each cell, by linear interpolation."""
    start, end = ((0, 1), (1, 2), (3, 2), (0, 3))[edge]
    a, b = values[start], values[end]
    t = a / (a - b)
    x0, x1 = xs[cols], xs[cols + 1]
    y0, y1 = ys[rows], ys[rows + 1]
    if edge in (0, 2):  # horizontal edge, left to right
        return x0 + t * (x1 - x0), (y0 if edge == 0 else y1)
    return (x1 if edge == 1 else x0), y0 + t * (y1 - y0)
