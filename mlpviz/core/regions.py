"""Decision regions as colours: the grid the network is evaluated on, and how class
probabilities become a pixel colour. The app's data plane and ``mlpviz train``'s PNG both
use these, so a network looks the same in the window and on a slide.
"""

from __future__ import annotations

import functools
import math
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from .network import MLP

WHITE_MIX = 0.45
"""Share of white in a confident region's colour, so that points of its class stay visible."""

UNCERTAIN_FADE = 0.7
"""How much further toward white a cell fades as the network becomes unsure (0 = not at all)."""

CELL_STEP = 10
"""A grid coarser than full (see :func:`affordable_cells`) has a multiple of this many cells
a side."""


def cell_centres(span: tuple[float, float], cells: int) -> np.ndarray:
    """Centres of ``cells`` equal cells dividing ``span``, shape (cells,)."""
    low, high = span
    step = (high - low) / cells
    return low + step * (np.arange(cells) + 0.5)


def grid_for_view(
    x_range: tuple[float, float], y_range: tuple[float, float], cells: int
) -> np.ndarray:
    """Centres of a ``cells × cells`` grid covering the rectangle, shape (cells², 2).

    Row-major from the bottom: point ``row * cells + col`` is the centre of cell (row, col),
    rows going up in x₂ and columns going right in x₁, as the region image is laid out.
    """
    grid_x, grid_y = np.meshgrid(cell_centres(x_range, cells), cell_centres(y_range, cells))
    return np.column_stack([grid_x.ravel(), grid_y.ravel()])


def region_output(
    net: MLP, x_range: tuple[float, float], y_range: tuple[float, float], cells: int
) -> np.ndarray:
    """The network's output ŷ over a ``cells × cells`` grid of the rectangle, shape
    (cells, cells, n_out), laid out as the region image (row 0 at the bottom), with "no
    opinion" where it is not finite (:func:`unsure_where_undefined`).

    Evaluated in ``net``'s dtype: the data plane passes a float32 copy, about three times
    faster, since colours need no more. ``cells`` is the image's resolution: the same network
    and rectangle at the same ``cells`` always give the same bits.
    """
    grid = grid_for_view(x_range, y_range, cells)
    return unsure_where_undefined(net.predict_proba(grid)).reshape(cells, cells, -1)


def affordable_cells(seconds_per_cell: float, budget: float, full: int, least: int) -> int:
    """The side of the finest square grid whose image costs at most ``budget`` seconds when a
    cell costs ``seconds_per_cell``: ``full`` when that fits, else a multiple of CELL_STEP
    below it (a cost measured a little differently from one frame to the next keeps the same
    grid), and never fewer than ``least`` cells a side."""
    if seconds_per_cell * full * full <= budget:
        return full
    side = math.isqrt(int(budget / seconds_per_cell))
    return min(full, max(least, side - side % CELL_STEP))


def class_probabilities(output: np.ndarray) -> np.ndarray:
    """Per-class probabilities (n, K) from a network's output ŷ (n, n_out).

    A single sigmoid output ŷ = P(class 1) becomes the two columns [1 − ŷ, ŷ].
    """
    if output.shape[1] == 1:
        return np.hstack([1.0 - output, output])
    return output


def unsure_where_undefined(output: np.ndarray) -> np.ndarray:
    """A network's output ŷ (n, n_out) with "no opinion" (0.5 for one sigmoid output, 1/K for
    each of K classes) in the rows that hold a NaN or an infinity.

    A diverged network, or logits overflowing far out, then shows as a pale region without a
    boundary rather than as garbage colours.
    """
    defined = np.isfinite(output).all(axis=1)
    if defined.all():
        return output
    unsure = 0.5 if output.shape[1] == 1 else 1.0 / output.shape[1]
    return np.where(defined[:, None], output, output.dtype.type(unsure))


def region_image(output: np.ndarray, colors: np.ndarray) -> np.ndarray:
    """RGB uint8 (rows, cols, 3) of the regions, from a network's output (rows, cols, n_out) on
    a grid and the class ``colors`` (K, 3) in 0…1 (see :func:`region_colors`)."""
    rows, cols, n_out = output.shape
    probabilities = class_probabilities(output.reshape(rows * cols, n_out))
    return region_colors(probabilities, colors).reshape(rows, cols, 3)


def region_colors(probabilities: np.ndarray, colors: np.ndarray) -> np.ndarray:
    """RGB uint8 (n, 3): class ``colors`` (K, 3) in 0…1 blended by ``probabilities`` (n, K).

    Every colour is lightened toward white (WHITE_MIX) so that the points drawn on top stand
    out. Uncertain cells fade further toward white: mixing complementary class colours alone
    would give a muddy grey right where the boundary should read clearly.
    """
    p = probabilities.astype(np.float32)
    n_classes = p.shape[1]
    # Column by column: NumPy's max(axis=1) over a few columns is ~50× slower.
    top = functools.reduce(np.maximum, p.T)
    confidence = (top - 1.0 / n_classes) * (n_classes / (n_classes - 1.0))
    white = (WHITE_MIX + (1.0 - WHITE_MIX) * UNCERTAIN_FADE * (1.0 - confidence))[:, None]
    rgb = white + (1.0 - white) * (p @ colors[:n_classes].astype(np.float32))
    return (np.clip(rgb, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)
