"""The drawing pad's digit made to look like the dataset's: cropped, scaled and centred.

The two datasets were prepared differently, and a network only recognises digits prepared
the same way:

- MNIST (28×28): each digit was scaled, keeping its aspect ratio, to fit a 20×20 box, then
  placed in the 28×28 field so that its centre of mass lies at the field's centre;
- scikit-learn's 8×8 digits: each digit fills the 32×32 bitmap it was scanned into, then
  4×4 blocks were averaged; here: scaled to fill the 8×8 box, centred by its centre of
  mass across its longer side.

The digit is moved no further than keeps all of it in the image.

Scaling averages areas (each output pixel gets the ink covering it), exact for any factor,
so thin strokes fade instead of vanishing; the result is then divided by its largest pixel,
as both datasets' strokes reach full intensity.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np


class DigitStyle(NamedTuple):
    """How a dataset's digits sit in their image: ``side`` × ``side`` pixels, the digit's
    larger extent scaled to ``box`` pixels."""

    side: int
    box: int


STYLES = {8: DigitStyle(8, 8), 28: DigitStyle(28, 20)}
"""The style of each image side the workspace knows."""


def preprocess_drawing(ink: np.ndarray, side: int) -> np.ndarray:
    """The drawing ``ink: (H, W)`` (0 blank … 1 full, any size) as the dataset's digits of
    ``side`` × ``side`` pixels look (see the module docstring): float32 in [0, 1], all zero
    when nothing is drawn. ValueError for a side with no style or an ink array that is not
    2-D."""
    style = STYLES.get(side)
    if style is None:
        raise ValueError(f"no digit style for {side}×{side} images; known: {sorted(STYLES)}")
    ink = np.clip(np.nan_to_num(np.asarray(ink, dtype=np.float64)), 0.0, 1.0)
    if ink.ndim != 2:
        raise ValueError(f"the drawing must be a 2-D array, got shape {ink.shape}")
    rows, columns = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    if len(rows) == 0:
        return np.zeros((side, side), dtype=np.float32)
    crop = ink[rows[0] : rows[-1] + 1, columns[0] : columns[-1] + 1]
    scale = style.box / max(crop.shape)  # output pixels per drawn pixel
    row_map, column_map = (
        _area_matrix(length, side, scale, _offset(length * scale, centre * scale, side))
        for length, centre in zip(crop.shape, centre_of_mass(crop))
    )
    image = row_map @ crop @ column_map.T
    image /= image.max()
    return image.astype(np.float32)


def centre_of_mass(image: np.ndarray) -> tuple[float, float]:
    """(row, column) of the centre of mass of ``image``, in continuous coordinates where
    pixel (i, j) spans [i, i + 1) × [j, j + 1), so its centre is (i + ½, j + ½)."""
    total = image.sum()
    rows = np.arange(image.shape[0]) + 0.5
    columns = np.arange(image.shape[1]) + 0.5
    return float(rows @ image.sum(axis=1) / total), float(columns @ image.sum(axis=0) / total)


def _offset(extent: float, centre: float, side: int) -> float:
    """Where a digit ``extent`` pixels long goes so that its centre of mass (``centre``
    pixels from its start) lands on the middle of the image, moved no further than keeps
    all of it inside: a digit that fills its box (the 8×8 style) is never cut."""
    return min(max(side / 2 - centre, 0.0), side - extent)


def _area_matrix(n_in: int, n_out: int, scale: float, offset: float) -> np.ndarray:
    """(n_out, n_in): how much of output pixel j input pixel i covers, when input pixel i
    spans [offset + i·scale, offset + (i + 1)·scale) in output pixels. Multiplying by it
    on both sides resamples an image by area; what falls outside the output is cut off."""
    starts = offset + scale * np.arange(n_in)
    low = np.maximum(starts[None, :], np.arange(n_out)[:, None])
    high = np.minimum(starts[None, :] + scale, np.arange(n_out)[:, None] + 1.0)
    return np.clip(high - low, 0.0, None)


IMAGE_SHARE = 0.8
"""Share of the drawing pad a dataset image loaded into it covers: a margin is left to draw in."""


def image_to_ink(image: np.ndarray, canvas_side: int) -> np.ndarray:
    """A dataset image (``side`` × ``side``, or its row of side² pixels) as ink on a
    ``canvas_side`` × ``canvas_side`` pad, so it can be edited: each pixel a square block of
    the same value (its pixels stay visible), the whole centred and covering IMAGE_SHARE of
    the pad. float32 in [0, 1]. ValueError for an image that is not square or larger than the
    pad."""
    pixels = np.clip(np.nan_to_num(np.asarray(image, dtype=np.float32)), 0.0, 1.0)
    side = math.isqrt(pixels.size)
    square = pixels.ndim == 1 or (pixels.ndim == 2 and pixels.shape[0] == pixels.shape[1])
    if not square or side * side != pixels.size or pixels.size == 0:
        raise ValueError(f"an image must be square, got shape {pixels.shape}")
    block = int(canvas_side * IMAGE_SHARE) // side
    if block < 1:
        raise ValueError(f"a {side}×{side} image does not fit a {canvas_side}-pixel pad")
    ink = np.zeros((canvas_side, canvas_side), dtype=np.float32)
    start = (canvas_side - block * side) // 2
    end = start + block * side
    ink[start:end, start:end] = np.kron(pixels.reshape(side, side), np.ones((block, block)))
    return ink
