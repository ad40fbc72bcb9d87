"""Decision regions of a trained network drawn to a PNG file, without a window.

Used by ``mlpviz train`` to make figures for slides. Qt paints into a ``QImage``; a
``QApplication`` is created on the offscreen platform when the process has none and no
display, so the rendering works in a headless process (a CI job, an SSH session).
"""

from __future__ import annotations

import math
import os
import sys
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QLineF, QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetricsF, QImage, QPainter, QPen
from PySide6.QtWidgets import QApplication

from mlpviz.core.atomic import write_atomically
from mlpviz.core.contour import decision_boundaries
from mlpviz.core.datasets import BOX, Dataset
from mlpviz.core.network import MLP
from mlpviz.core.regions import (
    cell_centres,
    grid_for_view,
    region_image,
    unsure_where_undefined,
)
from mlpviz.gui.style import CLASS_COLORS, FOREGROUND, class_rgb

MIN_SIZE = 128
MAX_SIZE = 8192
BASE_SIZE = 800.0  # the size at which the fonts, lines and points below are designed
MIN_SCALE = 0.6  # small images keep text large enough to read
MAX_GRID = 400  # the network is evaluated on at most MAX_GRID² points, then smoothly scaled
TICK_TARGETS = (7, 5, 3, 2)  # ticks wanted on an axis, fewer when their labels need room
COMPACT_LABELS_FROM = 1e6  # from here on, every tick label is written 1e+06, 1.5e+06, …
# In pixels at BASE_SIZE: font sizes; left of the plot the tick mark, a gap, the tick
# labels, a gap, x₂ and a gap to the image's edge.
TICK_FONT, AXIS_FONT = 15, 19
TICK_LENGTH, TICK_LABEL_GAP, AXIS_LABEL_GAP, EDGE_GAP = 6, 5, 8, 6
MIN_LABEL_GAP = 6  # between neighbouring tick labels under the plot
BOUNDARY_COLOR = "#2B2B2B"
FRAME_COLOR = "#555555"


def render_boundary_png(
    net: MLP,
    dataset: Dataset,
    path: str | os.PathLike,
    *,
    size: tuple[int, int] = (800, 800),
    test_mask: np.ndarray | None = None,
    title: str | None = None,
) -> None:
    """Write the decision regions of ``net`` with the points of ``dataset`` to a PNG file.

    Regions take the class colours mixed by the predicted probabilities and lightened toward
    white where the network is unsure; the decision boundary is drawn as a dark line; training
    points are filled discs and the points selected by ``test_mask: (m,) bool`` hollow rings.
    ``size`` is (width, height) in pixels. The file is replaced atomically.
    """
    width, height = _checked_size(size)
    mask = _checked_mask(test_mask, len(dataset))
    _ensure_application()
    image = QImage(width, height, QImage.Format.Format_RGB32)
    image.fill(QColor("white"))
    painter = QPainter(image)
    try:
        _paint_figure(painter, net, dataset, mask, title, width, height)
    finally:
        painter.end()
    png = _encode_png(image)
    write_atomically(path, lambda handle: handle.write(png))


# --- set-up ------------------------------------------------------------------------------
def _checked_size(size: tuple[int, int]) -> tuple[int, int]:
    width, height = (int(side) for side in size)
    if not (MIN_SIZE <= width <= MAX_SIZE and MIN_SIZE <= height <= MAX_SIZE):
        raise ValueError(f"image size must be {MIN_SIZE} to {MAX_SIZE} pixels a side, got {size}")
    return width, height


def _checked_mask(test_mask: np.ndarray | None, m: int) -> np.ndarray:
    if test_mask is None:
        return np.zeros(m, dtype=bool)
    mask = np.asarray(test_mask, dtype=bool)
    if mask.shape != (m,):
        raise ValueError(f"test_mask must have shape ({m},), got {mask.shape}")
    return mask


# Kept on the module: Qt tears the application down when its Python object dies.
_application: QApplication | None = None


def _ensure_application() -> None:
    """Make sure a QApplication exists; fonts cannot be rendered without one.

    A QApplication rather than a QGuiApplication, so that a test session or a GUI started
    later in the same process can still create widgets.
    """
    if QApplication.instance() is not None:
        return
    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    global _application
    _application = QApplication(sys.argv[:1])


def _encode_png(image: QImage) -> bytes:
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    if not image.save(buffer, "PNG"):
        raise OSError("Qt could not encode the image as PNG")
    buffer.close()
    return bytes(data.data())


# --- layout ------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Frame:
    """Where the square plot sits in the image and which data range it shows.

    Data coordinates can reach ±1.8e308, where ``high − low`` overflows to inf: positions
    are measured from the centre in half spans, which stay finite.
    """

    plot: QRectF  # the plot square, in pixels
    low: float  # data coordinate at the left and bottom edges
    high: float  # data coordinate at the right and top edges

    @property
    def centre(self) -> float:
        return self.low / 2 + self.high / 2

    @property
    def half_span(self) -> float:
        return self.high / 2 - self.low / 2

    def data(self, unit: np.ndarray) -> np.ndarray:
        """Data coordinates of ``unit`` positions: −1 at the low edge, +1 at the high edge."""
        return self.centre + unit * self.half_span

    def x_pixel(self, x: np.ndarray | float) -> np.ndarray | float:
        unit = (x - self.centre) / self.half_span
        return self.plot.center().x() + unit * self.plot.width() / 2

    def y_pixel(self, y: np.ndarray | float) -> np.ndarray | float:
        unit = (y - self.centre) / self.half_span
        return self.plot.center().y() - unit * self.plot.height() / 2


def _data_range(X: np.ndarray) -> tuple[float, float]:
    """The box [-BOX, BOX], widened with a margin when the data reach beyond it.

    Python floats in halves: the range stays finite however close the data come to the
    largest float (the margin shrinks there), and NumPy scalars would warn on overflow.
    """
    if len(X) == 0 or (X.min() >= -BOX and X.max() <= BOX):
        return -BOX, BOX
    low, high = min(-BOX, float(X.min())), max(BOX, float(X.max()))
    centre, half = low / 2 + high / 2, high / 2 - low / 2
    half = min(1.04 * half, sys.float_info.max - abs(centre))
    return centre - half, centre + half


def _layout(
    width: int, height: int, scale: float, has_title: bool, span: tuple[float, float]
) -> tuple[_Frame, _Ticks]:
    """The plot and its ticks: as many as their labels have room for side by side."""
    for target in TICK_TARGETS:
        ticks = _ticks(*span, target)
        frame = _frame(width, height, scale, has_title, span, _left_margin(ticks, scale))
        room = frame.plot.width() * (ticks.step / 2) / frame.half_span  # pixels between ticks
        if room >= _widest_label(ticks, scale) + MIN_LABEL_GAP * scale:
            break
    return frame, ticks


def _frame(
    width: int, height: int, scale: float, has_title: bool, span: tuple[float, float], left: float
) -> _Frame:
    """The largest square plot that leaves ``left`` pixels for the tick and axis labels, and
    room for the title."""
    right = 26 * scale
    top, bottom = (60 if has_title else 26) * scale, 70 * scale
    side = max(1.0, min(width - left - right, height - top - bottom))
    x0 = left + (width - left - right - side) / 2
    y0 = top + (height - top - bottom - side) / 2
    return _Frame(QRectF(x0, y0, side, side), *span)


# --- painting ----------------------------------------------------------------------------
def _paint_figure(
    painter: QPainter,
    net: MLP,
    dataset: Dataset,
    test_mask: np.ndarray,
    title: str | None,
    width: int,
    height: int,
) -> None:
    scale = max(MIN_SCALE, min(width, height) / BASE_SIZE)
    frame, ticks = _layout(width, height, scale, bool(title), _data_range(dataset.X))
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    output, centres = _grid_output(net, frame)
    # Bilinear filtering, as in the app's data plane: no staircase of grid cells.
    painter.drawImage(frame.plot, _region_image(output))
    painter.save()
    painter.setClipRect(frame.plot)
    _paint_boundaries(painter, frame, decision_boundaries(output, centres, centres), scale)
    painter.restore()
    _paint_points(painter, frame, dataset, test_mask, scale)  # unclipped: edge points stay whole
    legend_row = _paint_axes(painter, frame, ticks, scale)
    n_classes = max(net.n_classes, dataset.n_classes)
    _paint_legend(painter, legend_row, n_classes, bool(test_mask.any()), scale)
    if title:
        _paint_title(painter, title, width, frame, scale)


def _grid_output(net: MLP, frame: _Frame) -> tuple[np.ndarray, np.ndarray]:
    """The network's output ŷ (n, n, n_out) on an n×n grid of cell centres, row 0 at the bottom.

    Returns them with the centres' data coordinates (n,). The whole grid goes through the
    network in one ``predict_proba`` call.
    """
    n = int(min(MAX_GRID, max(32, frame.plot.width() // 2)))
    # The unit square scaled, not grid_for_view(span, …): its cell width overflows for
    # spans beyond the largest float.
    unit = (-1.0, 1.0)
    with np.errstate(all="ignore"):  # far out, logits overflow and inf − inf is NaN
        output = unsure_where_undefined(net.predict_proba(frame.data(grid_for_view(unit, unit, n))))
    return output.reshape(n, n, -1), frame.data(cell_centres(unit, n))


def _region_image(output: np.ndarray) -> QImage:
    """The regions coloured as in the app's data plane (see mlpviz.core.regions)."""
    rows, columns, _ = output.shape
    pixels = np.ascontiguousarray(region_image(output, class_rgb())[::-1])  # row 0 is the top
    image = QImage(pixels.data, columns, rows, 3 * columns, QImage.Format.Format_RGB888)
    return image.copy()  # detach from the NumPy buffer, which dies with this function


def _paint_boundaries(painter: QPainter, frame: _Frame, segments: np.ndarray, scale: float) -> None:
    """The boundaries between the regions, ``segments`` (s, 4) in data coordinates."""
    pen = QPen(QColor(BOUNDARY_COLOR), 2.2 * scale)
    pen.setCapStyle(Qt.PenCapStyle.RoundCap)
    painter.setPen(pen)
    lines = [
        QLineF(frame.x_pixel(x1), frame.y_pixel(y1), frame.x_pixel(x2), frame.y_pixel(y2))
        for x1, y1, x2, y2 in segments.tolist()
    ]
    painter.drawLines(lines)


def _point_radius(m: int, scale: float) -> float:
    """Smaller discs for crowded datasets, so the regions stay visible."""
    return scale * float(np.clip(5.5 * math.sqrt(400 / max(m, 1)), 2.5, 5.5))


def _paint_points(
    painter: QPainter, frame: _Frame, dataset: Dataset, test_mask: np.ndarray, scale: float
) -> None:
    """Training points as filled discs with a white rim; test points as hollow rings."""
    radius = _point_radius(len(dataset), scale)
    xs = frame.x_pixel(dataset.X[:, 0])
    ys = frame.y_pixel(dataset.X[:, 1])
    for x, y, label, is_test in zip(xs, ys, dataset.y, test_mask):
        color = CLASS_COLORS[int(label) % len(CLASS_COLORS)]
        _paint_marker(painter, QPointF(float(x), float(y)), radius, color, bool(is_test), scale)


def _paint_marker(
    painter: QPainter, centre: QPointF, radius: float, color: str, hollow: bool, scale: float
) -> None:
    """A disc with a white rim, or a ring edged in translucent dark so it shows on any region."""
    if hollow:
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.setPen(QPen(QColor(0, 0, 0, 70), 4.4 * scale))
        painter.drawEllipse(centre, radius, radius)
        painter.setPen(QPen(QColor(color), 2.4 * scale))
    else:
        painter.setBrush(QBrush(QColor(color)))
        painter.setPen(QPen(QColor("white"), max(1.0, 1.4 * scale)))
    painter.drawEllipse(centre, radius, radius)


@dataclass(frozen=True)
class _Ticks:
    """The ticks of both axes (the plot is square and shows the same range on each)."""

    step: float
    values: np.ndarray  # data coordinates
    labels: list[str]


def _ticks(low: float, high: float, target: int) -> _Ticks:
    """About ``target`` ticks at round values in [low, high], labelled compactly if the
    range reaches COMPACT_LABELS_FROM (one style per axis, not 500000 next to 1e+06)."""
    step = _nice_step(high / 2 - low / 2, target)
    values = np.arange(math.ceil(low / step), math.floor(high / step) + 1) * step
    compact = max(abs(low), abs(high)) >= COMPACT_LABELS_FROM
    return _Ticks(step, values, [_tick_label(float(v), step, compact) for v in values])


def _nice_step(half_span: float, target: int) -> float:
    """A round tick spacing (1, 2 or 5 × 10ⁿ) giving about ``target`` ticks.

    Takes half the span, which is finite even when the span is not.
    """
    raw = half_span / target * 2
    power = 10.0 ** math.floor(math.log10(raw))
    return next(f * power for f in (1.0, 2.0, 5.0, 10.0) if f * power >= raw)


def _tick_label(value: float, step: float, compact: bool) -> str:
    """``-2.5`` as ``−2.5``; when ``compact``, ``1.5e+06`` rather than ``1500000``."""
    if abs(value) < step / 2:
        return "0"
    if compact:  # as many digits as the step needs: 1.5e+06 for a step of 5e+05
        digits = math.floor(math.log10(abs(value))) - math.floor(math.log10(step)) + 1
        text = f"{value:.{max(1, digits)}g}"
    else:
        text = f"{value:.{max(0, -math.floor(math.log10(step)))}f}"
    return text.replace("-", "−")


def _font(pixels: float, bold: bool = False) -> QFont:
    font = QFont("DejaVu Sans")
    font.setPixelSize(max(6, round(pixels)))
    font.setBold(bold)
    return font


def _widest_label(ticks: _Ticks, scale: float) -> float:
    """Width in pixels of the widest tick label."""
    metrics = QFontMetricsF(_font(TICK_FONT * scale))
    return max(metrics.horizontalAdvance(label) for label in ticks.labels)


def _left_margin(ticks: _Ticks, scale: float) -> float:
    """Room left of the plot for a tick mark, the widest tick label and the x₂ label."""
    x2 = QFontMetricsF(_font(AXIS_FONT * scale)).horizontalAdvance("x₂")
    gaps = (TICK_LENGTH + TICK_LABEL_GAP + AXIS_LABEL_GAP + EDGE_GAP) * scale
    return max(78 * scale, gaps + _widest_label(ticks, scale) + x2)


def _paint_axes(painter: QPainter, frame: _Frame, ticks: _Ticks, scale: float) -> QRectF:
    """Frame, tick marks and labels on the bottom and left edges, and the x₁, x₂ labels.

    Returns the row under the plot that holds the x₁ label, where the legend goes too.
    """
    plot = frame.plot
    painter.setPen(QPen(QColor(FRAME_COLOR), max(1.0, 1.2 * scale)))
    painter.setBrush(Qt.BrushStyle.NoBrush)
    painter.drawRect(plot)
    painter.setFont(_font(TICK_FONT * scale))
    metrics = QFontMetricsF(painter.font())
    tick = TICK_LENGTH * scale
    label_right = plot.left() - tick - TICK_LABEL_GAP * scale  # right edge of the left labels
    painter.setPen(QPen(QColor(FOREGROUND), max(1.0, 1.2 * scale)))
    for value, label in zip(ticks.values, ticks.labels):
        x, y = frame.x_pixel(value), frame.y_pixel(value)
        painter.drawLine(QLineF(x, plot.bottom(), x, plot.bottom() + tick))
        painter.drawLine(QLineF(plot.left() - tick, y, plot.left(), y))
        below = QRectF(
            x - 50 * scale, plot.bottom() + tick + 2 * scale, 100 * scale, metrics.height()
        )
        painter.drawText(below, Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop, label)
        beside = QRectF(0, y - metrics.height() / 2, label_right, metrics.height())
        painter.drawText(beside, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, label)
    painter.setFont(_font(AXIS_FONT * scale))
    axis_metrics = QFontMetricsF(painter.font())
    row = plot.bottom() + tick + metrics.height() + 8 * scale
    x_label = QRectF(plot.left(), row, plot.width(), axis_metrics.height())
    painter.drawText(x_label, Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop, "x₁")
    y_right = label_right - _widest_label(ticks, scale) - AXIS_LABEL_GAP * scale
    y_label = QRectF(
        0, plot.center().y() - axis_metrics.height() / 2, y_right, axis_metrics.height()
    )
    painter.drawText(y_label, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, "x₂")
    return x_label


def _paint_legend(
    painter: QPainter, row: QRectF, n_classes: int, has_test: bool, scale: float
) -> None:
    """Class colours at the left of ``row``; filled = training, hollow = test at its right."""
    painter.setFont(_font(14 * scale))
    metrics = QFontMetricsF(painter.font())
    radius = 5.5 * scale
    y = row.top() + QFontMetricsF(_font(AXIS_FONT * scale)).height() / 2
    x = row.left()
    for cls in range(n_classes):
        text = f"class {cls}" if n_classes <= 3 else str(cls)
        _paint_marker(painter, QPointF(x + radius, y), radius, CLASS_COLORS[cls], False, scale)
        x += 2 * radius + 5 * scale
        x = _paint_legend_text(painter, metrics, x, y, text) + 14 * scale
    if not has_test:
        return
    entries = (("training", False), ("test", True))
    x = row.right() - sum(
        2 * radius + 19 * scale + metrics.horizontalAdvance(t) for t, _ in entries
    )
    for text, hollow in entries:
        _paint_marker(painter, QPointF(x + radius, y), radius, FRAME_COLOR, hollow, scale)
        x += 2 * radius + 5 * scale
        x = _paint_legend_text(painter, metrics, x, y, text) + 14 * scale


def _paint_legend_text(
    painter: QPainter, metrics: QFontMetricsF, x: float, y: float, text: str
) -> float:
    """Draw ``text`` left-aligned at ``x``, centred on ``y``; returns where it ends."""
    painter.setPen(QColor(FOREGROUND))
    width = metrics.horizontalAdvance(text)
    box = QRectF(x, y - metrics.height() / 2, width + 2, metrics.height())
    painter.drawText(box, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, text)
    return x + width


def _paint_title(painter: QPainter, title: str, width: int, frame: _Frame, scale: float) -> None:
    painter.setFont(_font(20 * scale, bold=True))
    metrics = QFontMetricsF(painter.font())
    room = width - 20 * scale
    text = metrics.elidedText(title, Qt.TextElideMode.ElideRight, room)
    box = QRectF(10 * scale, 0, room, frame.plot.top())
    painter.setPen(QColor(FOREGROUND))
    painter.drawText(box, Qt.AlignmentFlag.AlignCenter, text)
