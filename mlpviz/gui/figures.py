"""Figures for slides and reports: any view drawn from a Frame into a PNG or an SVG.

An export never grabs the screen. A fresh view widget is built offscreen at the figure's
*layout size*, handed the Frame, and its scene is painted into a QImage whose device pixel
ratio is the figure's *density* (PNG), or into a QSvgGenerator (SVG: vector lines, points
and text; images such as the decision regions embedded as rasters). A hidden tab, a tiny
window or a dock never shown therefore give the same figure.

The layout size is the pixel size divided by the density: fonts, markers and lines then
grow in proportion to the figure (a 1600 × 900 figure is laid out at 800 × 450, like a
dock on screen, and drawn at 2×). The presentation scale makes the layout smaller still,
so everything reads from the back of a lecture hall.

A view is exported under its objectName; adding one is one line in FIGURE_VIEWS. A view that
is a QGraphicsView (every pyqtgraph plot) is drawn through its scene; any other widget (a
panel of several plots) with its children.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import pyqtgraph as pg
from PySide6.QtCore import QCoreApplication, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QImage, QPainter, QPen, QRegion
from PySide6.QtWidgets import (
    QAbstractGraphicsShapeItem,
    QGraphicsItem,
    QGraphicsLineItem,
    QGraphicsView,
    QWidget,
)

from mlpviz.core.atomic import write_atomically
from mlpviz.core.config import TrainingConfig
from mlpviz.core.frame import Frame
from mlpviz.render import encode_png, ensure_application, svg_document

from .data_plane import DataPlane
from .digit_image_views import ConfusionMatrixView, MisclassifiedGallery, WeightTilesView
from .feature_space_plot import FeatureSpacePlot
from .gradient_norm_plot import GradientNormPlot
from .loss_plot import LossPlot
from .network_diagram import NetworkDiagram
from .single_neuron_panel import SingleNeuronPanel
from .style import (
    ACTIVATION_LABELS,
    CLASS_COLORS,
    FOREGROUND,
    NEGATIVE_COLOR,
    POSITIVE_COLOR,
    class_colors,
    configure_pyqtgraph,
)
from .weights_plot import WeightsPlot

FORMATS = (".png", ".svg")
DEFAULT_SIZE = (1600, 900)  # 16:9 at 2× a dock's size on screen
LAYOUT_BASE = (800, 450)  # the layout size of a figure at density 1 (at most this much room)
MIN_SIDE, MAX_SIDE = 64, 8192  # pixels a side
MAX_DENSITY = 8.0
SHEET_SIZE = (3200, 1800)  # 16:9, one slide, at 2×
SHEET_LAYOUT_BASE = (1600, 900)  # a sheet holds several views: a window's room
STRIP_FONT_PX = 13.0  # the caption and legend under a figure, in layout pixels
TITLE_FONT_PX = 19.0  # the sheet's title line
MIN_TITLE_SHARE = 0.7  # a long title shrinks to this share of its size before it is cut
STRIP_HEIGHT = 26.0
SHEET_GAP = 10.0
CAPTION_COLOR = "#555555"


@dataclass(frozen=True)
class LegendEntry:
    """One entry of a figure's legend: a marker (``"disc"``, ``"ring"`` or ``"line"``)."""

    text: str
    color: str
    marker: str = "disc"


@dataclass(frozen=True)
class FigureView:
    """How to draw one view as a figure.

    ``make`` builds a fresh view (it draws with ``show_frame``); ``prepare(view, frame)``
    frames it after the frame is shown; ``legend(view, frame)`` lists what the strip under
    the figure explains; ``caption`` adds the iteration and J there (views that print them
    already say False); ``available(frame)`` says whether the frame has anything to show;
    ``workspace`` is the workspace whose frames the view draws ("2d" or "digits").
    """

    title: str
    make: Callable[[], QWidget]
    size: tuple[int, int] = DEFAULT_SIZE
    prepare: Callable[[QWidget, Frame], None] | None = None
    legend: Callable[[QWidget, Frame], list[LegendEntry]] | None = None
    caption: bool = True
    available: Callable[[Frame], bool] = field(default=lambda frame: True)
    options: Callable[[QWidget, QWidget], None] | None = None  # (on screen, fresh)
    workspace: str = "2d"

    def draws(self, frame: Frame) -> bool:
        """Whether this view has something to show for ``frame`` (of its workspace)."""
        return frame.dataset.workspace == self.workspace and self.available(frame)

    @property
    def file_name(self) -> str:
        """The figure's default file name, without suffix: ``data-plane``."""
        return self.title.lower().replace(" ", "-")


def _fit_data(view: DataPlane, frame: Frame) -> None:
    """The data framed by the data, with a margin, not by the default box; the regions
    drawn for that range at once (the plane would wait for its timer)."""
    view.fit_view()
    view.show_snapshot(frame.snapshot)


def _data_plane_options(shown: DataPlane, fresh: DataPlane) -> None:
    fresh.set_show_test_points(shown.shows_test_points())


def _loss_options(shown: LossPlot, fresh: LossPlot) -> None:
    fresh.set_log_scale(shown.log_scale)


def class_legend(view: QWidget, frame: Frame) -> list[LegendEntry]:
    """A disc per class in its colour (none for the digits, whose plot has its legend 0–9);
    a ring for test points when there are any drawn (the data plane may hide them)."""
    n_classes = max(frame.snapshot.net.n_classes, frame.dataset.n_classes)
    if class_colors(frame.dataset) != CLASS_COLORS:
        n_classes = 0  # the digits: the feature space's own legend names its ten colours
    entries = [
        LegendEntry(f"class {k}", CLASS_COLORS[k % len(CLASS_COLORS)]) for k in range(n_classes)
    ]
    if frame.test_mask.any() and getattr(view, "shows_test_points", lambda: True)():
        entries += [
            LegendEntry("training", CAPTION_COLOR),
            LegendEntry("test", CAPTION_COLOR, "ring"),
        ]
    return entries


def _has_hidden_layer(frame: Frame) -> bool:
    return frame.snapshot.net.depth > 1


def _is_single_neuron(frame: Frame) -> bool:
    net = frame.snapshot.net
    return net.depth == 1 and net.layer_sizes[-1] == 1


def _sign_legend(view: NetworkDiagram, frame: Frame) -> list[LegendEntry]:
    return [
        LegendEntry("w > 0", POSITIVE_COLOR, "line"),
        LegendEntry("w < 0", NEGATIVE_COLOR, "line"),
    ]


# The views that can be exported, by objectName, in the order of the menu and the sheet.
FIGURE_VIEWS: dict[str, FigureView] = {
    "dataPlane": FigureView(
        "Data plane", DataPlane, (1600, 1200), _fit_data, class_legend, options=_data_plane_options
    ),
    "lossPlot": FigureView("Loss", LossPlot, caption=False, options=_loss_options),
    "weightsPlot": FigureView("Weights", WeightsPlot, (1600, 1200)),
    "networkDiagram": FigureView("Network diagram", NetworkDiagram, legend=_sign_legend),
    "featureSpacePlot": FigureView(
        "Feature space", FeatureSpacePlot, legend=class_legend, available=_has_hidden_layer
    ),
    "gradientNormPlot": FigureView("Gradient norms", GradientNormPlot, caption=False),
    "singleNeuronPanel": FigureView(
        "Single neuron",
        SingleNeuronPanel,
        (1600, 900),
        legend=class_legend,
        available=_is_single_neuron,
    ),
}
# The digits workspace's views: its own, and its copies of the shared ones ("digits" names).
FIGURE_VIEWS |= {
    "digitsLossPlot": replace(FIGURE_VIEWS["lossPlot"], workspace="digits"),
    "weightTiles": FigureView(
        "First-layer weights", WeightTilesView, (1600, 1200), workspace="digits"
    ),
    "confusionMatrix": FigureView(
        "Confusion matrix", ConfusionMatrixView, (1400, 1200), workspace="digits"
    ),
    "misclassifiedGallery": FigureView("Misclassified", MisclassifiedGallery, workspace="digits"),
    "digitsFeatureSpacePlot": replace(FIGURE_VIEWS["featureSpacePlot"], workspace="digits"),
    "digitsNetworkDiagram": replace(FIGURE_VIEWS["networkDiagram"], workspace="digits"),
}


# --- sizes -------------------------------------------------------------------------------
def check_size(width: int, height: int) -> tuple[int, int]:
    """``(width, height)`` as ints, or ValueError with a message a user can act on."""
    width, height = int(width), int(height)
    if not (MIN_SIDE <= width <= MAX_SIDE and MIN_SIDE <= height <= MAX_SIDE):
        raise ValueError(
            f"a figure must be {MIN_SIDE} to {MAX_SIDE} pixels a side, not {width}×{height}"
        )
    return width, height


def density(
    width: int, height: int, scale: float = 1.0, base: tuple[int, int] = LAYOUT_BASE
) -> float:
    """Pixels per layout pixel: the figure is laid out in at most ``base``'s room, smaller
    by the presentation ``scale``."""
    if height > width:  # a portrait figure: the room turned
        base = (base[1], base[0])
    fit = min(width / base[0], height / base[1])
    return min(MAX_DENSITY, max(1.0, fit) * scale)


def check_target(path: str | Path) -> None:
    """Raise ValueError or OSError (one line) unless a figure can be written to ``path``."""
    check_format(path)
    target = Path(path)
    if target.is_dir():
        raise IsADirectoryError(f"{target} is a folder, not a file")
    if not target.parent.is_dir():
        raise FileNotFoundError(f"there is no folder {target.parent}")


def copy_options(name: str, shown: QWidget | None, fresh: QWidget) -> None:
    """Give the fresh view for a figure the display options of the view ``shown`` on
    screen (the loss plot's log axis, whether test points are shown), if any."""
    spec = view_spec(name)
    if shown is not None and spec.options is not None:
        spec.options(shown, fresh)


def check_format(path: str | Path) -> str:
    """The path's suffix (``.png`` or ``.svg``), or ValueError."""
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        shown = suffix or "no suffix"
        raise ValueError(f"{Path(path).name}: a figure is a .png or an .svg file, not {shown}")
    return suffix


# --- writing -----------------------------------------------------------------------------
def write_figure(
    name: str,
    frame: Frame,
    path: str | Path,
    size: tuple[int, int] | None = None,
    *,
    scale: float = 1.0,
    configure: Callable[[QWidget], None] | None = None,
) -> None:
    """Write the view ``name`` drawing ``frame`` to ``path`` (.png or .svg, by its suffix).

    ``size`` is (width, height) in pixels, default the view's slide-friendly size;
    ``configure(view)`` copies display options (a log axis…) onto the fresh view. The file is
    replaced atomically; a bad name, size or suffix raises ValueError, a failed write OSError.
    """
    _ready()
    spec = view_spec(name)
    if not spec.draws(frame):
        raise ValueError(f"the {spec.title.lower()} has nothing to show for this frame")
    width, height = check_size(*(size or spec.size))
    ratio = density(width, height, scale)
    _write(
        path, width, height, ratio, lambda p, s, r: _paint_figure(p, s, r, spec, frame, configure)
    )


def write_sheet(
    frame: Frame,
    path: str | Path,
    title: str,
    size: tuple[int, int] | None = None,
    *,
    scale: float = 1.0,
    configure: Callable[[str, QWidget], None] | None = None,
) -> None:
    """Write every view available for ``frame`` into one figure under a ``title`` line."""
    _ready()
    width, height = check_size(*(size or SHEET_SIZE))
    names = [name for name, spec in FIGURE_VIEWS.items() if spec.draws(frame)]
    ratio = density(width, height, scale, SHEET_LAYOUT_BASE)

    def paint(painter: QPainter, layout: QSize, ratio: float) -> None:
        _paint_sheet(painter, layout, ratio, frame, title, names, configure)

    _write(path, width, height, ratio, paint)


def render_figure(
    name: str, frame: Frame, size: tuple[int, int] | None = None, *, scale: float = 1.0
) -> QImage:
    """The figure of view ``name`` as an image (what a PNG export writes)."""
    _ready()
    spec = view_spec(name)
    width, height = check_size(*(size or spec.size))
    ratio = density(width, height, scale)
    return _image(width, height, ratio, lambda p, s, r: _paint_figure(p, s, r, spec, frame, None))


def can_draw(name: str, frame: Frame) -> bool:
    """Whether a view named ``name`` is registered and has something to show for ``frame``."""
    spec = FIGURE_VIEWS.get(name)
    return spec is not None and spec.draws(frame)


def _ready() -> None:
    """A QApplication (offscreen when there is no display) and the app's plot style."""
    ensure_application()
    configure_pyqtgraph()


def view_spec(name: str) -> FigureView:
    """The registered view ``name``, or ValueError listing the names there are."""
    try:
        return FIGURE_VIEWS[name]
    except KeyError:
        raise ValueError(f"no view named {name!r}; views: {', '.join(FIGURE_VIEWS)}") from None


# Paints a figure of the given layout size, drawn at the given density.
_Painter = Callable[[QPainter, QSize, float], None]


def _write(path: str | Path, width: int, height: int, ratio: float, paint: _Painter) -> None:
    if check_format(path) == ".svg":
        data = _svg(width, height, ratio, paint)
    else:
        data = encode_png(_image(width, height, ratio, paint))
    write_atomically(path, lambda handle: handle.write(data))


def _layout_size(width: int, height: int, ratio: float) -> QSize:
    return QSize(max(1, round(width / ratio)), max(1, round(height / ratio)))


def _image(width: int, height: int, ratio: float, paint: _Painter) -> QImage:
    image = QImage(width, height, QImage.Format.Format_ARGB32_Premultiplied)
    image.setDevicePixelRatio(ratio)
    image.fill(QColor("white"))
    painter = QPainter(image)
    try:
        paint(painter, _layout_size(width, height, ratio), ratio)
    finally:
        painter.end()
    image.setDevicePixelRatio(1.0)  # a file knows no device pixel ratio
    return image


def _svg(width: int, height: int, ratio: float, paint: _Painter) -> bytes:
    """An SVG ``width`` × ``height`` pixels large; its content drawn in layout units."""
    layout = _layout_size(width, height, ratio)
    return svg_document(width, height, layout, lambda painter: paint(painter, layout, ratio))


# --- painting ----------------------------------------------------------------------------
def _paint_figure(
    painter: QPainter,
    layout: QSize,
    ratio: float,
    spec: FigureView,
    frame: Frame,
    configure: Callable[[QWidget], None] | None,
) -> None:
    """The view over a strip holding its legend and caption."""
    strip = _strip_height(spec)
    area = QRectF(0, 0, layout.width(), layout.height() - strip)
    legend = paint_view(painter, ratio, spec, frame, area, configure)
    if strip:
        box = QRectF(0, area.bottom(), layout.width(), strip)
        _paint_strip(painter, box, legend, _caption(spec, frame))


def _strip_height(spec: FigureView) -> float:
    return STRIP_HEIGHT if spec.caption or spec.legend else 0.0


def _caption(spec: FigureView, frame: Frame) -> tuple[str, ...]:
    return (caption_text(frame), caption_text(frame, short=True)) if spec.caption else ()


def caption_text(frame: Frame, short: bool = False) -> str:
    """``iteration 1,200 · J train 0.0828 / test 0.0914`` (test only when measured), or
    ``it 1,200 · J 0.0828 / 0.0914`` when ``short``."""
    snapshot = frame.snapshot
    words = ("it", "", "") if short else ("iteration", " train", " test")
    text = f"{words[0]} {snapshot.iteration:,} · J{words[1]} {_number(snapshot.train_loss, '.3g')}"
    if math.isfinite(snapshot.test_loss):
        text += f" /{words[2]} {snapshot.test_loss:.3g}"
    return text


def sheet_title(dataset: str, frame: Frame, training: TrainingConfig) -> str:
    """The sheet's title line: ``xor · 2–8–1 tanh · sgd α = 0.1 · iteration 300 ·
    J train 0.083 / test 0.091 · accuracy 100% / 98%``."""
    snapshot, net = frame.snapshot, frame.snapshot.net
    activations = list(dict.fromkeys(net.activations))  # hidden layers only, in order
    network = "–".join(str(size) for size in net.layer_sizes)
    if activations:
        network += " " + "/".join(ACTIVATION_LABELS.get(a, a) for a in activations)
    accuracy = f"accuracy {_number(100 * snapshot.train_accuracy, '.1f')}%"
    if math.isfinite(snapshot.test_accuracy):
        accuracy += f" / {100 * snapshot.test_accuracy:.1f}%"
    optimiser = f"{training.optimizer} α = {training.learning_rate:g}"
    return " · ".join([dataset, network, optimiser, caption_text(frame), accuracy])


def _number(value: float, fmt: str) -> str:
    return format(value, fmt) if math.isfinite(value) else "—"


def paint_view(
    painter: QPainter,
    ratio: float,
    spec: FigureView,
    frame: Frame,
    area: QRectF,
    configure: Callable[[QWidget], None] | None = None,
) -> list[LegendEntry]:
    """Build a fresh view of ``area``'s size offscreen, show ``frame`` and paint it there,
    ``ratio`` device pixels per layout pixel; returns the legend of what it drew."""
    view = _offscreen_view(spec, frame, area.size().toSize(), configure)
    try:
        _paint_widget(painter, ratio, view, area)
        return spec.legend(view, frame) if spec.legend else []
    finally:
        view.close()
        view.deleteLater()


def _offscreen_view(
    spec: FigureView, frame: Frame, size: QSize, configure: Callable[[QWidget], None] | None
) -> QWidget:
    view = spec.make()
    view.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen)
    view.resize(size)
    view.show()  # never on screen: laid out and sized as if it were
    if configure is not None:
        configure(view)
    view.show_frame(frame)
    _settle(view)
    if spec.prepare is not None:
        spec.prepare(view, frame)
        _settle(view)
    return view


def _settle(view: QWidget) -> None:
    """Let layouts and axes settle: pyqtgraph sizes its axes while painting, and its layouts
    on posted events."""
    scratch = QImage(view.size(), QImage.Format.Format_ARGB32_Premultiplied)
    for _ in range(3):
        QCoreApplication.sendPostedEvents()
        painter = QPainter(scratch)
        _render(painter, view, QRectF(scratch.rect()))
        painter.end()
    QCoreApplication.sendPostedEvents()


def _paint_widget(painter: QPainter, ratio: float, view: QWidget, area: QRectF) -> None:
    """Paint ``view`` into ``area`` (its size) for a figure drawn at ``ratio``."""
    views = graphics_views(view)
    for graphics_view in views:
        for item in graphics_view.scene().items():
            _prepare_item(item, ratio)
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.TextAntialiasing)
    painter.setClipRect(area)
    _render(painter, view, area)
    painter.restore()


def graphics_views(view: QWidget) -> list[QGraphicsView]:
    """The plots a view is drawn with: itself, or those of a panel of several plots."""
    return [view] if isinstance(view, QGraphicsView) else view.findChildren(QGraphicsView)


def _render(painter: QPainter, view: QWidget, area: QRectF) -> None:
    """A QGraphicsView's scene drawn straight into ``area``; any other view (a panel of
    several plots) with its children, the graphics views among them through their scenes."""
    if isinstance(view, QGraphicsView):
        view.scene().render(painter, area, view.sceneRect(), Qt.AspectRatioMode.IgnoreAspectRatio)
    else:
        flags = QWidget.RenderFlag.DrawChildren
        view.render(painter, area.topLeft().toPoint(), QRegion(), flags)


def _prepare_item(item: QGraphicsItem, ratio: float) -> None:
    """Drawn for export: no cached pixmap of screen resolution, lines as wide as on screen
    relative to the figure."""
    item.setCacheMode(QGraphicsItem.CacheMode.NoCache)
    if hasattr(item, "setExportMode"):
        item.setExportMode(True, {"antialias": True, "background": QColor("white")})
    if isinstance(item, pg.PlotDataItem):  # its pen draws its legend's sample; its curve
        item.opts["pen"] = scaled_pen(pg.mkPen(item.opts["pen"]), ratio)  # is an item too
    elif isinstance(item, pg.PlotCurveItem):
        item.setPen(scaled_pen(item.opts["pen"], ratio))
    elif isinstance(item, pg.InfiniteLine):
        item.setPen(scaled_pen(item.pen, ratio))
    elif isinstance(item, (pg.AxisItem, QGraphicsLineItem, QAbstractGraphicsShapeItem)):
        item.setPen(scaled_pen(item.pen(), ratio))


def scaled_pen(pen: QPen, ratio: float) -> QPen:
    """``pen`` for a figure drawn at ``ratio``: pyqtgraph's lines are cosmetic, as many
    device pixels wide at any density (hairlines on a 2× figure), so their width is
    multiplied; other pens scale with the painter already."""
    pen = QPen(pen)
    if pen.isCosmetic():
        pen.setWidthF(max(1.0, pen.widthF()) * ratio)
    return pen


def _font(pixels: float, bold: bool = False) -> QFont:
    font = QFont()
    font.setPixelSize(max(6, math.floor(pixels)))  # never larger than the room measured
    font.setBold(bold)
    return font


def _paint_strip(
    painter: QPainter, box: QRectF, legend: list[LegendEntry], captions: Sequence[str]
) -> None:
    """The legend from the left of ``box``, at its right the first of ``captions`` (longest
    first) that fits, in small type."""
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    font = _font(STRIP_FONT_PX)
    painter.setFont(font)
    metrics = QFontMetricsF(font)
    x, y = box.left() + 12, box.center().y()
    for entry in legend:
        x = _paint_entry(painter, metrics, entry, x, y) + 16
    painter.setPen(QColor(CAPTION_COLOR))
    room = QRectF(x, box.top(), box.right() - 12 - x, box.height())
    fitting = [text for text in captions if metrics.horizontalAdvance(text) <= room.width()]
    text = (
        fitting[0]
        if fitting
        else metrics.elidedText(
            captions[-1] if captions else "", Qt.TextElideMode.ElideRight, room.width()
        )
    )
    painter.drawText(room, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, text)
    painter.restore()


def _paint_entry(
    painter: QPainter, metrics: QFontMetricsF, entry: LegendEntry, x: float, y: float
) -> float:
    """One legend entry at ``x`` centred on ``y``; returns where it ends."""
    radius = 5.0
    color = QColor(entry.color)
    if entry.marker == "line":
        painter.setPen(QPen(color, 3.0))
        painter.drawLine(x, y, x + 18, y)
        x += 18
    else:
        ring = entry.marker == "ring"
        painter.setPen(QPen(color if ring else color.darker(170), 2.0 if ring else 1.0))
        painter.setBrush(QColor("white") if ring else color)
        painter.drawEllipse(QRectF(x, y - radius, 2 * radius, 2 * radius))
        x += 2 * radius
    painter.setPen(QColor(FOREGROUND))
    width = metrics.horizontalAdvance(entry.text) + 2
    box = QRectF(x + 5, y - metrics.height() / 2, width, metrics.height())
    painter.drawText(box, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, entry.text)
    return box.right()


# --- the sheet ---------------------------------------------------------------------------
def sheet_cells(names: Sequence[str], width: float, height: float) -> dict[str, QRectF]:
    """Where each view goes on a sheet ``width`` × ``height`` (layout pixels).

    The first view (the data plane) takes the left part at full height; the second (the
    loss) the top of the right part; the others share the rows below it two by two.
    """
    gap = SHEET_GAP
    if len(names) == 1:
        return {names[0]: QRectF(0, 0, width, height)}
    left = QRectF(0, 0, min(0.46 * width, height * 1.15), height)
    right_x = left.right() + gap
    right_w = width - right_x
    rest = list(names[1:])
    rows = 1 + math.ceil((len(rest) - 1) / 2)
    row_h = (height - gap * (rows - 1)) / rows
    cells = {names[0]: left, rest[0]: QRectF(right_x, 0, right_w, row_h)}
    for index, name in enumerate(rest[1:]):
        row, column = divmod(index, 2)
        alone = index == len(rest) - 2 and column == 0  # the last of an odd count: full row
        cell_w = right_w if alone else (right_w - gap) / 2
        top = (row + 1) * (row_h + gap)
        cells[name] = QRectF(right_x + column * (cell_w + gap), top, cell_w, row_h)
    return cells


def _paint_sheet(
    painter: QPainter,
    layout: QSize,
    ratio: float,
    frame: Frame,
    title: str,
    names: Sequence[str],
    configure: Callable[[str, QWidget], None] | None,
) -> None:
    title_h = _paint_title(painter, title, layout.width())
    body = QRectF(SHEET_GAP, title_h, layout.width() - 2 * SHEET_GAP, layout.height() - title_h)
    for name, cell in sheet_cells(names, body.width(), body.height() - SHEET_GAP).items():
        spec = FIGURE_VIEWS[name]
        box = cell.translated(body.topLeft())
        strip = STRIP_HEIGHT if spec.legend else 0.0
        view_area = QRectF(box.left(), box.top(), box.width(), box.height() - strip)
        legend = paint_view(painter, ratio, spec, frame, view_area, _for_view(configure, name))
        if strip:  # the title line says the iteration and J: no caption per view
            legend_box = QRectF(box.left(), view_area.bottom(), box.width(), strip)
            _paint_strip(painter, legend_box, legend, ())


def _for_view(
    configure: Callable[[str, QWidget], None] | None, name: str
) -> Callable[[QWidget], None] | None:
    if configure is None:
        return None
    return lambda view: configure(name, view)


def _paint_title(painter: QPainter, title: str, width: int) -> float:
    """The sheet's title line, centred, in smaller type if it needs the room (cut short
    only below MIN_TITLE_SHARE of its size); returns the height it takes."""
    room = width - 4 * SHEET_GAP
    needed = QFontMetricsF(_font(TITLE_FONT_PX, bold=True)).horizontalAdvance(title)
    shrink = max(MIN_TITLE_SHARE, min(1.0, room / max(needed, 1.0)))
    font = _font(TITLE_FONT_PX * shrink, bold=True)
    metrics = QFontMetricsF(font)
    height = QFontMetricsF(_font(TITLE_FONT_PX, bold=True)).height() + 2 * SHEET_GAP
    painter.save()
    painter.setFont(font)
    painter.setPen(QColor(FOREGROUND))
    text = metrics.elidedText(title, Qt.TextElideMode.ElideRight, room)
    box = QRectF(2 * SHEET_GAP, 0, room, height)
    painter.drawText(box, Qt.AlignmentFlag.AlignCenter, text)
    painter.restore()
    return height
