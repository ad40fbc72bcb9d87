"""The pictures of ``mlpviz digits``, drawn to PNG files without a window.

``weights.png``: the first layer's weights, one tile per hidden neuron reshaped to the image
it looks at, on the weights' diverging colours (blue < 0 < red, white at 0) with one shared
symmetric scale, shown in a colour bar. ``misclassified.png``: the test images the network
got wrong, worst first, each captioned "true → predicted · confidence".
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFontMetricsF, QImage, QLinearGradient, QPainter, QPen

from mlpviz.core.atomic import write_atomically
from mlpviz.core.digit_views import Misclassified, WeightTiles, grid_shape
from mlpviz.gui.style import FOREGROUND, NEGATIVE_COLOR, POSITIVE_COLOR
from mlpviz.render import _font, encode_png, ensure_application

ZERO_COLOR = "#F7F7F7"  # the middle of the weights' diverging colour map (gui.style)
TILE_PIXELS = 64  # a tile is scaled up by a whole factor to about this size
GAP, MARGIN, TITLE_HEIGHT = 6, 16, 56
CAPTION_HEIGHT = 18
LEGEND_HEIGHT = 44
MIN_WIDTH = 560


def render_weights_png(tiles: WeightTiles, path: str | os.PathLike, title: str = "") -> None:
    """Write ``tiles`` as a grid of images with a colour bar ±limit to ``path`` (atomically)."""
    count = len(tiles.tiles)
    rgb = diverging_rgb(tiles.tiles, tiles.limit)
    pictures = [_qimage(rgb[index]) for index in range(count)]
    captions = [f"{index + 1}" for index in range(count)]
    subtitle = "the first layer's weights, one image per hidden neuron"
    _render_grid(path, pictures, captions, (title, subtitle), legend=tiles.limit)


def render_misclassified_png(
    images: np.ndarray,
    mistakes: Sequence[Misclassified],
    path: str | os.PathLike,
    title: str = "",
) -> None:
    """Write the images ``images[m.index]`` of ``mistakes`` in their order, dark ink on white,
    each captioned "true → predicted · confidence", to ``path`` (atomically)."""
    grey = np.rint(255 * (1.0 - np.clip(images, 0.0, 1.0))).astype(np.uint8)
    pictures = [_qimage(np.repeat(grey[m.index][..., None], 3, axis=2)) for m in mistakes]
    captions = [f"{m.true} → {m.predicted} · {100 * m.confidence:.0f}%" for m in mistakes]
    subtitle = "misclassified test images, worst first: true → predicted · confidence"
    if not mistakes:
        subtitle = "no test image is misclassified"
    _render_grid(path, pictures, captions, (title, subtitle))


def diverging_rgb(values: np.ndarray, limit: float) -> np.ndarray:
    """RGB uint8 (..., 3) of ``values`` on the weights' colours: NEGATIVE_COLOR at −limit,
    ZERO_COLOR at 0, POSITIVE_COLOR at +limit (beyond: clipped)."""
    t = np.clip(np.asarray(values, dtype=np.float64) / limit, -1.0, 1.0)[..., None]
    zero, negative, positive = (
        np.array(_rgb(color)) for color in (ZERO_COLOR, NEGATIVE_COLOR, POSITIVE_COLOR)
    )
    mixed = zero + np.where(t < 0, -t * (negative - zero), t * (positive - zero))
    return np.rint(mixed).astype(np.uint8)


def _rgb(color: str) -> tuple[int, int, int]:
    qcolor = QColor(color)
    return qcolor.red(), qcolor.green(), qcolor.blue()


def _qimage(rgb: np.ndarray) -> QImage:
    """A QImage owning a copy of ``rgb: (rows, columns, 3)`` uint8."""
    data = np.ascontiguousarray(rgb, dtype=np.uint8)
    rows, columns, _ = data.shape
    return QImage(data.tobytes(), columns, rows, 3 * columns, QImage.Format.Format_RGB888).copy()


def _render_grid(
    path: str | os.PathLike,
    pictures: list[QImage],
    captions: list[str],
    titles: tuple[str, str],
    legend: float | None = None,
) -> None:
    """Pictures (all of one size) in an about 1.6:1 grid with their captions under them, a
    title and a subtitle above and, given ``legend``, a colour bar ±legend below."""
    ensure_application()
    side = pictures[0].width() if pictures else TILE_PIXELS
    scale = max(1, round(TILE_PIXELS / side))
    tile = side * scale
    cell_width, cell_height = max(tile, 84) + GAP, tile + CAPTION_HEIGHT + GAP
    grid_rows, grid_columns = grid_shape(len(pictures), aspect=1.6)
    title_width = QFontMetricsF(_font(15, bold=True)).horizontalAdvance(titles[0])
    width = round(max(MIN_WIDTH, 2 * MARGIN + grid_columns * cell_width, title_width + 40))
    height = TITLE_HEIGHT + MARGIN + grid_rows * cell_height + (LEGEND_HEIGHT if legend else 0)
    image = QImage(width, height, QImage.Format.Format_RGB32)
    image.fill(QColor("white"))
    painter = QPainter(image)
    try:
        _paint_titles(painter, titles, width)
        left = (width - grid_columns * cell_width) / 2
        painter.setFont(_font(12))
        for index, (picture, caption) in enumerate(zip(pictures, captions)):
            row, column = divmod(index, grid_columns)
            x = left + column * cell_width + (cell_width - tile) / 2
            y = TITLE_HEIGHT + row * cell_height
            painter.drawImage(QRectF(x, y, tile, tile), picture)
            painter.setPen(QPen(QColor("#BBBBBB"), 1))
            painter.drawRect(QRectF(x - 0.5, y - 0.5, tile + 1, tile + 1))
            painter.setPen(QColor(FOREGROUND))
            box = QRectF(left + column * cell_width, y + tile, cell_width, CAPTION_HEIGHT)
            painter.drawText(box, Qt.AlignmentFlag.AlignCenter, caption)
        if legend:
            _paint_legend(painter, legend, width, height - LEGEND_HEIGHT)
    finally:
        painter.end()
    png = encode_png(image)
    write_atomically(path, lambda handle: handle.write(png))


def _paint_titles(painter: QPainter, titles: tuple[str, str], width: int) -> None:
    painter.setPen(QColor(FOREGROUND))
    for text, font, top in ((titles[0], _font(15, bold=True), 4), (titles[1], _font(12), 26)):
        painter.setFont(font)
        box = QRectF(10, top, width - 20, 20)
        painter.drawText(box, Qt.AlignmentFlag.AlignCenter, text)


def _paint_legend(painter: QPainter, limit: float, width: int, top: float) -> None:
    """A horizontal colour bar from −limit to +limit with its three values."""
    bar = QRectF(width / 2 - 150, top + 6, 300, 12)
    gradient = QLinearGradient(bar.topLeft(), bar.topRight())
    for stop, color in ((0.0, NEGATIVE_COLOR), (0.5, ZERO_COLOR), (1.0, POSITIVE_COLOR)):
        gradient.setColorAt(stop, QColor(color))
    painter.fillRect(bar, gradient)
    painter.setPen(QPen(QColor("#888888"), 1))
    painter.drawRect(bar)
    painter.setPen(QColor(FOREGROUND))
    painter.setFont(_font(12))
    labels = (
        (bar.left(), f"−{limit:.3g}"),
        (bar.center().x(), "w = 0"),
        (bar.right(), f"+{limit:.3g}"),
    )
    for x, label in labels:
        box = QRectF(x - 50, bar.bottom() + 2, 100, 18)
        painter.drawText(box, Qt.AlignmentFlag.AlignCenter, label)
