"""Decision regions of a trained network drawn to a PNG or SVG file, without a window.

Used by ``mlpviz train`` and ``mlpviz export`` to make figures for slides. Qt paints into a
``QImage`` or a ``QSvgGenerator``; a ``QApplication`` is created on the offscreen platform
when the process has none and no display, so the rendering works in a headless process (a
CI job, an SSH session). The app's figures of its views (mlpviz.gui.figures) use the same
PNG and SVG writers.
"""

from __future__ import annotations

import math
import os
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QLineF, QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetricsF, QImage, QPainter, QPen
from PySide6.QtSvg import QSvgGenerator
from PySide6.QtWidgets import QApplication

from mlpviz.core.atomic import write_atomically
from mlpviz.core.contour import decision_boundaries
from mlpviz.core.datasets import BOX, Dataset
from mlpviz.core.feature_space import FeatureAxes, decision_probabilities_at, feature_space
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
DATA_MARGIN = 0.08  # the plot shows the data's range and this share of it beyond each side
MIN_HALF_SPAN = 1.0  # a single point, or points on a line, still get a plot 2 units wide
BOUNDARY_COLOR = "#2B2B2B"
FRAME_COLOR = "#555555"
SCREEN_DPI = 96  # a QImage's and a QPicture's logical dots per inch


def render_boundary(
    net: MLP,
    dataset: Dataset,
    path: str | os.PathLike,
    *,
    size: tuple[int, int] = (800, 800),
    test_mask: np.ndarray | None = None,
    title: str | None = None,
) -> None:
    """Write the decision regions of ``net`` with the points of ``dataset`` to a PNG file,
    or an SVG one when ``path`` ends in ``.svg`` (points, lines and text then vectors, the
    regions an image inside it).

    Regions take the class colours mixed by the predicted probabilities and lightened toward
    white where the network is unsure; the decision boundary is drawn as a dark line; training
    points are filled discs and the points selected by ``test_mask: (m,) bool`` hollow rings.
    The plot frames the data. ``size`` is (width, height) in pixels. The file is replaced
    atomically.
    """
    width, height = _checked_size(size)
    mask = _checked_mask(test_mask, len(dataset))
    ensure_application()

    def paint(painter: QPainter) -> None:
        _paint_figure(painter, net, dataset, mask, title, width, height)

    if str(path).lower().endswith(".svg"):
        data = svg_document(width, height, QSize(width, height), paint)
    else:
        data = encode_png(_painted_image(width, height, paint))
    write_atomically(path, lambda handle: handle.write(data))


render_boundary_png = render_boundary  # its name before it wrote SVG too


def _painted_image(width: int, height: int, paint: Callable[[QPainter], None]) -> QImage:
    image = QImage(width, height, QImage.Format.Format_RGB32)
    image.fill(QColor("white"))
    painter = QPainter(image)
    try:
        paint(painter)
    finally:
        painter.end()
    return image


def svg_document(
    width: int, height: int, layout: QSize, paint: Callable[[QPainter], None]
) -> bytes:
    """An SVG ``width`` × ``height`` pixels large, drawn by ``paint`` in ``layout`` units
    (white behind it)."""
    data = QByteArray()
    buffer = QBuffer(data)
    generator = QSvgGenerator()
    generator.setOutputDevice(buffer)
    generator.setSize(QSize(width, height))
    generator.setViewBox(QRectF(0, 0, layout.width(), layout.height()))
    generator.setTitle("mlpviz figure")
    # pyqtgraph replays QPictures, which Qt rescales by the ratio of the devices' dots per
    # inch: the generator's must be a QImage's, not SVG's usual 72, for fonts to match too.
    generator.setResolution(SCREEN_DPI)
    painter = QPainter(generator)
    try:
        painter.fillRect(QRectF(0, 0, layout.width(), layout.height()), QColor("white"))
        paint(painter)
    finally:
        painter.end()
    return _pixel_size_svg(bytes(data.data()), width, height)


def _pixel_size_svg(svg: bytes, width: int, height: int) -> bytes:
    """QSvgGenerator gives the size in millimetres; a figure is asked for in pixels."""
    head, rest = svg.decode("utf-8").split("<svg", 1)
    rest = re.sub(r'\swidth="[^"]*"', f' width="{width}px"', rest, count=1)
    rest = re.sub(r'\sheight="[^"]*"', f' height="{height}px"', rest, count=1)
    return (head + "<svg" + rest).encode("utf-8")


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


def ensure_application() -> None:
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


def encode_png(image: QImage) -> bytes:
    """``image`` as the bytes of a PNG file; OSError if Qt cannot encode it."""
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
    """Where the plot sits in the image and which data it shows, at one scale on both axes.

    Data coordinates can reach ±1.8e308, where ``high − low`` overflows to inf: positions
    are measured from the centre in half spans, which stay finite.
    """

    plot: QRectF  # the plot, in pixels
    centre: tuple[float, float]  # data coordinates at the plot's centre
    half: tuple[float, float]  # half the data range shown on each axis

    def span(self, axis: int) -> tuple[float, float]:
        """The data range shown on ``axis`` (0: x₁, 1: x₂)."""
        return self.centre[axis] - self.half[axis], self.centre[axis] + self.half[axis]

    def data(self, unit: np.ndarray) -> np.ndarray:
        """Data coordinates of ``unit`` positions (n, 2): −1 at the low edges, +1 at the high."""
        return np.asarray(self.centre) + unit * np.asarray(self.half)

    def x_pixel(self, x: np.ndarray | float) -> np.ndarray | float:
        unit = (x - self.centre[0]) / self.half[0]
        return self.plot.center().x() + unit * self.plot.width() / 2

    def y_pixel(self, y: np.ndarray | float) -> np.ndarray | float:
        unit = (y - self.centre[1]) / self.half[1]
        return self.plot.center().y() - unit * self.plot.height() / 2


def _data_box(X: np.ndarray) -> tuple[tuple[float, float], tuple[float, float]]:
    """The centre and half spans of the data, with a margin; the box [−BOX, BOX]² when
    there are no points, and at least MIN_HALF_SPAN each way (a single point, a line).

    Python floats in halves: the range stays finite however close the data come to the
    largest float (the margin shrinks there), and NumPy scalars would warn on overflow.
    """
    if len(X) == 0:
        return (0.0, 0.0), (float(BOX), float(BOX))
    centre, half = [], []
    for low, high in zip(X.min(axis=0).tolist(), X.max(axis=0).tolist()):
        middle = low / 2 + high / 2
        reach = max(high / 2 - low / 2, MIN_HALF_SPAN) * (1 + DATA_MARGIN)
        centre.append(middle)
        half.append(min(reach, sys.float_info.max - abs(middle)))
    return (centre[0], centre[1]), (half[0], half[1])


def _layout(
    width: int, height: int, scale: float, has_title: bool, box: tuple
) -> tuple[_Frame, _Ticks, _Ticks]:
    """The plot and its ticks on x₁ and x₂: as many as their labels have room for."""
    left = 78 * scale
    for target in TICK_TARGETS:
        frame = _frame(width, height, scale, has_title, box, left)
        x_ticks, y_ticks = _axis_ticks(frame, target)
        left = _left_margin(y_ticks, scale)
        frame = _frame(width, height, scale, has_title, box, left)
        x_ticks, y_ticks = _axis_ticks(frame, target)
        room = frame.plot.width() * (x_ticks.step / 2) / frame.half[0]  # pixels between ticks
        if room >= _widest_label(x_ticks, scale) + MIN_LABEL_GAP * scale:
            break
    return frame, x_ticks, y_ticks


def _axis_ticks(frame: _Frame, target: int) -> tuple[_Ticks, _Ticks]:
    """Ticks of both axes at one step (the axes share a scale), labelled alike."""
    step = _nice_step(max(frame.half), target)
    compact = max(abs(v) for axis in (0, 1) for v in frame.span(axis)) >= COMPACT_LABELS_FROM
    return _ticks(*frame.span(0), target, step, compact), _ticks(
        *frame.span(1), target, step, compact
    )


def _frame(
    width: int, height: int, scale: float, has_title: bool, box: tuple, left: float
) -> _Frame:
    """The plot filling the room ``left`` pixels leave for the tick and axis labels and
    the title: the data at one scale on both axes, the shorter side widened to fill it."""
    right = 26 * scale
    top, bottom = (60 if has_title else 26) * scale, 70 * scale
    plot = QRectF(left, top, max(1.0, width - left - right), max(1.0, height - top - bottom))
    centre, half = box
    # Data units per pixel: the axis that needs more sets it; halves keep it finite.
    per_pixel = max(half[0] / (plot.width() / 2), half[1] / (plot.height() / 2))
    shown = [
        min(per_pixel * side / 2, sys.float_info.max - abs(middle))
        for side, middle in ((plot.width(), centre[0]), (plot.height(), centre[1]))
    ]
    return _Frame(plot, centre, (shown[0], shown[1]))


# --- painting ----------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class PlaneFigure:
    """What a plane figure shows: ``points`` (m, 2) in the plane's coordinates with their
    ``labels`` (m,) and ``test_mask`` (m,), the network's output ``probabilities`` at any
    (k, 2) positions (k, n_out), inside ``box`` ((centre x, centre y), (half x, half y)), the
    two axes' names, and faint ``lines`` (k, 2; NaN rows between polylines) under the points."""

    points: np.ndarray
    labels: np.ndarray
    test_mask: np.ndarray
    probabilities: Callable[[np.ndarray], np.ndarray]
    n_classes: int
    box: tuple
    axis_names: tuple[str, str] = ("x₁", "x₂")
    lines: np.ndarray | None = None


def data_plane_figure(net: MLP, dataset: Dataset, test_mask: np.ndarray) -> PlaneFigure:
    """The data plane: the points, framed by the data, and the network's regions."""
    return PlaneFigure(
        dataset.X,
        dataset.y,
        test_mask,
        net.predict_proba,
        max(net.n_classes, dataset.n_classes),
        _data_box(dataset.X),
    )


def feature_space_figure(
    net: MLP, dataset: Dataset, test_mask: np.ndarray, axes: FeatureAxes | None
) -> PlaneFigure:
    """The last hidden layer's feature space (as ``featureSpacePlot`` draws it): the samples
    mapped there, the output layer's decision in that plane, the input plane's grid bent."""
    space = feature_space(net, dataset, axes)
    (x_low, x_high), (y_low, y_high) = space.x_range, space.y_range
    centre = (x_low / 2 + x_high / 2, y_low / 2 + y_high / 2)
    box = (centre, (x_high / 2 - x_low / 2, y_high / 2 - y_low / 2))
    return PlaneFigure(
        space.points,
        dataset.y,
        test_mask,
        lambda positions: decision_probabilities_at(space, positions),
        max(net.n_classes, dataset.n_classes),
        box,
        (space.x_label, space.y_label),
        space.grid_lines,
    )


def _paint_figure(
    painter: QPainter,
    net: MLP,
    dataset: Dataset,
    test_mask: np.ndarray,
    title: str | None,
    width: int,
    height: int,
) -> None:
    paint_plane(painter, data_plane_figure(net, dataset, test_mask), title, width, height)


def paint_plane(
    painter: QPainter, figure: PlaneFigure, title: str | None, width: int, height: int
) -> None:
    """``figure`` painted into ``width`` × ``height`` pixels: regions, their boundaries,
    faint lines, points, axes, legend and ``title`` (None: no title)."""
    scale = max(MIN_SCALE, min(width, height) / BASE_SIZE)
    frame, x_ticks, y_ticks = _layout(width, height, scale, bool(title), figure.box)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    output, xs, ys = _grid_output(figure.probabilities, frame)
    # Bilinear filtering, as in the app's data plane: no staircase of grid cells.
    painter.drawImage(frame.plot, _region_image(output))
    painter.save()
    painter.setClipRect(frame.plot)
    _paint_boundaries(painter, frame, decision_boundaries(output, xs, ys), scale)
    if figure.lines is not None and len(figure.lines):
        _paint_faint_lines(painter, frame, figure.lines, scale)
    painter.restore()
    _paint_points(painter, frame, figure, scale)  # unclipped: edge points stay whole
    legend_row = _paint_axes(painter, frame, x_ticks, y_ticks, scale, figure.axis_names)
    _paint_legend(painter, legend_row, figure.n_classes, bool(figure.test_mask.any()), scale)
    if title:
        _paint_title(painter, title, width, frame, scale)


def _grid_output(
    probabilities: Callable[[np.ndarray], np.ndarray], frame: _Frame
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The output ŷ (n, n, n_out) on an n×n grid of cell centres, row 0 at the bottom.

    Returns them with the centres' coordinates on both axes, (n,) each. The whole grid goes
    through ``probabilities`` in one call.
    """
    n = int(min(MAX_GRID, max(32, max(frame.plot.width(), frame.plot.height()) // 2)))
    # The unit square scaled, not grid_for_view(span, …): its cell width overflows for
    # spans beyond the largest float.
    unit = (-1.0, 1.0)
    with np.errstate(all="ignore"):  # far out, logits overflow and inf − inf is NaN
        output = unsure_where_undefined(probabilities(frame.data(grid_for_view(unit, unit, n))))
    centres = frame.data(np.repeat(cell_centres(unit, n)[:, None], 2, axis=1))
    return output.reshape(n, n, -1), centres[:, 0], centres[:, 1]


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


def _paint_faint_lines(painter: QPainter, frame: _Frame, lines: np.ndarray, scale: float) -> None:
    """Polylines (k, 2), NaN rows between them, thin and translucent."""
    pen = QPen(QColor(0, 0, 0, 45), max(1.0, 1.0 * scale))
    painter.setPen(pen)
    xs, ys = frame.x_pixel(lines[:, 0]), frame.y_pixel(lines[:, 1])
    finite = np.isfinite(xs) & np.isfinite(ys)
    for start in range(len(lines) - 1):
        if finite[start] and finite[start + 1]:
            painter.drawLine(QLineF(xs[start], ys[start], xs[start + 1], ys[start + 1]))


def _paint_points(painter: QPainter, frame: _Frame, figure: PlaneFigure, scale: float) -> None:
    """Training points as filled discs with a white rim; test points as hollow rings."""
    radius = _point_radius(len(figure.points), scale)
    xs = frame.x_pixel(figure.points[:, 0])
    ys = frame.y_pixel(figure.points[:, 1])
    for x, y, label, is_test in zip(xs, ys, figure.labels, figure.test_mask):
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
    """The ticks of one axis."""

    step: float
    values: np.ndarray  # data coordinates
    labels: list[str]


def _ticks(
    low: float, high: float, target: int, step: float | None = None, compact: bool | None = None
) -> _Ticks:
    """About ``target`` ticks at round values in [low, high] (or every ``step``), labelled
    compactly if the range reaches COMPACT_LABELS_FROM (one style, not 500000 beside 1e+06)."""
    step = _nice_step(high / 2 - low / 2, target) if step is None else step
    values = np.arange(math.ceil(low / step), math.floor(high / step) + 1) * step
    if compact is None:
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


def _paint_axes(
    painter: QPainter,
    frame: _Frame,
    x_ticks: _Ticks,
    y_ticks: _Ticks,
    scale: float,
    names: tuple[str, str] = ("x₁", "x₂"),
) -> QRectF:
    """Frame, tick marks and labels on the bottom and left edges, and the axes' ``names``.

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
    for value, label in zip(x_ticks.values, x_ticks.labels):
        x = frame.x_pixel(value)
        painter.drawLine(QLineF(x, plot.bottom(), x, plot.bottom() + tick))
        below = QRectF(
            x - 50 * scale, plot.bottom() + tick + 2 * scale, 100 * scale, metrics.height()
        )
        painter.drawText(below, Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop, label)
    for value, label in zip(y_ticks.values, y_ticks.labels):
        y = frame.y_pixel(value)
        painter.drawLine(QLineF(plot.left() - tick, y, plot.left(), y))
        beside = QRectF(0, y - metrics.height() / 2, label_right, metrics.height())
        painter.drawText(beside, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, label)
    painter.setFont(_font(AXIS_FONT * scale))
    axis_metrics = QFontMetricsF(painter.font())
    row = plot.bottom() + tick + metrics.height() + 8 * scale
    x_label = QRectF(plot.left(), row, plot.width(), axis_metrics.height())
    painter.drawText(x_label, Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop, names[0])
    y_right = label_right - _widest_label(y_ticks, scale) - AXIS_LABEL_GAP * scale
    if len(names[1]) <= len("x₂"):
        y_label = QRectF(
            0, plot.center().y() - axis_metrics.height() / 2, y_right, axis_metrics.height()
        )
        right_middle = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
        painter.drawText(y_label, right_middle, names[1])
    else:  # a longer name stands up along the axis, in the room "x₂" would take
        painter.save()
        painter.translate(y_right - axis_metrics.height() / 2, plot.center().y())
        painter.rotate(-90)
        tall = axis_metrics.height()
        along = QRectF(-plot.height() / 2, -tall / 2, plot.height(), tall)
        painter.drawText(along, Qt.AlignmentFlag.AlignCenter, names[1])
        painter.restore()
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
