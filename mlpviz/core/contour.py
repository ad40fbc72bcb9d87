"""The level-zero curve of a function sampled on a grid (marching squares), vectorised.

Used for decision boundaries: ŷ − 0.5 for one sigmoid output, p_k − max_{j≠k} p_j between
softmax classes. NumPy only, so the GUI draws it live and the CLI renders it headless.
"""

from __future__ import annotations

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


def marching_squares(values: np.ndarray, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    """The zero level set of ``values: (ny, nx)`` sampled at ``xs: (nx,)``, ``ys: (ny,)``.

    Returns line segments as an (s, 4) array of ``x1, y1, x2, y2``; neighbouring segments
    share their end points exactly, so they draw as continuous curves.
    """
    above = values > 0
    case = (
        above[:-1, :-1] * 1 + above[:-1, 1:] * 2 + above[1:, 1:] * 4 + above[1:, :-1] * 8
    ).astype(np.int8)
    # Only the few cells the curve crosses are looked at closely (live redraws need speed).
    rows, cols = np.nonzero((case > 0) & (case < 15))
    corners = [
        values[rows, cols],
        values[rows, cols + 1],
        values[rows + 1, cols + 1],
        values[rows + 1, cols],
    ]
    case = case[rows, cols]
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
