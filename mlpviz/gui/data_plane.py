"""The data plane: the dataset's points over the network's decision regions, edited by mouse.

The plane never edits the dataset itself: it emits intent (``points_requested``,
``point_removal_requested``) and the main window applies the edit, pushes an undo command and
calls :meth:`DataPlane.set_dataset` back.
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Callable

import numpy as np
import pyqtgraph as pg
import shiboken6
from pyqtgraph.graphicsItems.ScatterPlotItem import renderSymbol
from PySide6.QtCore import QPointF, QRect, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QImage, QPaintEngine, QPainter, QPixmap, QTransform
from PySide6.QtWidgets import QGraphicsItem, QGraphicsView, QWidget

from mlpviz.core.contour import decision_boundaries, marching_squares
from mlpviz.core.datasets import BOX, Dataset
from mlpviz.core.frame import Frame
from mlpviz.core.network import MLP
from mlpviz.core.neurons import (
    activation_colors,
    activation_level,
    color_limit,
    hidden_activations,
)
from mlpviz.core.regions import (
    affordable_cells,
    cell_centres,
    grid_for_view,
    region_image,
    region_output,
)
from mlpviz.core.snapshot import Snapshot
from mlpviz.gui.paint_cost import PaintTimed
from mlpviz.gui.style import (
    ACTIVATION_LABELS,
    CLASS_COLORS,
    FOREGROUND,
    NEGATIVE_COLOR,
    POSITIVE_COLOR,
    class_rgb,
    diverging_rgb,
    remove_export_menu,
)

GRID_CELLS = 150
"""The decision regions are a GRID_CELLS × GRID_CELLS image over the visible view …"""
PLAYING_REGION_SECONDS = 0.008
"""… except while playing when that costs the GUI thread more than this (a large network):
the image is then computed on the finest coarser grid that costs at most this much."""
MIN_PLAYING_CELLS = 50
"""… though never on fewer than this many cells a side."""
REGION_COST_WEIGHT = 0.3
"""Weight of the newest computation in the measured cost of a cell of the image."""

POINT_SIZE = 9
LABEL_STYLE = {"font-size": "12pt"}
TEST_PEN_WIDTH = 2.0
TEST_FILL = QColor(255, 255, 255, 235)
BOUNDARY_PEN_WIDTH = 2.0
VIEW_MARGIN = 0.03
FIT_MARGIN = 0.05
REMOVE_RADIUS_PX = 8.0
BRUSH_RADIUS_PX = 10.0
BRUSH_INTERVAL_S = 0.02
BRUSH_MIN_STEP_PX = 3.0
BRUSH_MAX_POINTS = 3
HIDDEN = -1
"""The style of a point that is not drawn (a test point while test points are hidden)."""
MAX_EDITED_POINTS = 64
"""When more points than this change at once, the points' picture is redrawn whole."""
NORMAL_PEN_WIDTH = 2.5
NORMAL_MAX_SHARE = 0.3
"""The normal vector w is drawn to scale unless longer than this share of the view."""
NORMAL_HEAD_SHARE = 0.035  # length of the arrow's head, as a share of the view
SUBSCRIPTS = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")
SELECTION_RING_SIZE = 22
SELECTION_RING_WIDTH = 2.5


def point_styles(labels: np.ndarray, is_test: np.ndarray, show_test: bool) -> np.ndarray:
    """How each point is drawn (m,) int8: ``2 * label + is_test`` (test points hollow), or
    HIDDEN for the test points when they are not shown."""
    styles = (2 * labels + is_test).astype(np.int8)
    if not show_test:
        styles[is_test] = HIDDEN
    return styles


def changed_points(
    old_positions: np.ndarray,
    old_styles: np.ndarray,
    new_positions: np.ndarray,
    new_styles: np.ndarray,
) -> np.ndarray | None:
    """Positions (k, 2) where the picture of the new points differs from that of the old.

    Recognises what editing the data does: a block of points inserted or deleted at one place
    (a click appends one, a right click or an undo takes one out or puts it back) and some
    points restyled (moved between the training and the test set). Returns the positions of
    the points gone, come and restyled; None for any other change, or more than
    MAX_EDITED_POINTS of them (a new dataset), when the whole picture is to be redrawn.
    """
    grown = len(new_positions) - len(old_positions)
    if abs(grown) > MAX_EDITED_POINTS:
        return None
    common = min(len(old_positions), len(new_positions))
    start = _first_difference(old_positions[:common], new_positions[:common])
    # After the block, old and new points pair up again, shifted by its length.
    old_after, new_after = start + max(-grown, 0), start + max(grown, 0)
    if not np.array_equal(old_positions[old_after:], new_positions[new_after:]):
        return None
    restyled = np.concatenate(
        [
            np.flatnonzero(old_styles[:start] != new_styles[:start]),
            new_after + np.flatnonzero(old_styles[old_after:] != new_styles[new_after:]),
        ]
    )
    changed = np.concatenate(
        [old_positions[start:old_after], new_positions[start:new_after], new_positions[restyled]]
    )
    return changed if len(changed) <= MAX_EDITED_POINTS else None


def _first_difference(a: np.ndarray, b: np.ndarray) -> int:
    """The first row where ``a`` and ``b`` (n, 2) differ; n when they are equal (the common
    case of a click, checked first: comparing row by row takes ten times as long)."""
    if np.array_equal(a, b):
        return len(a)
    return int(np.argmax((a != b).any(axis=1)))


def point_sprites(ratio: float) -> list[QImage]:
    """The point of each style, drawn for ``ratio`` device pixels per pixel: for each class a
    filled disc (a training point), then a hollow ring (a test point)."""
    sprites = []
    for color in (QColor(c) for c in CLASS_COLORS):
        train_pen = pg.mkPen(color.darker(170), width=1)
        test_pen = pg.mkPen(color.darker(115), width=TEST_PEN_WIDTH)
        sprites.append(renderSymbol("o", POINT_SIZE, train_pen, pg.mkBrush(color), dpr=ratio))
        sprites.append(renderSymbol("o", POINT_SIZE, test_pen, pg.mkBrush(TEST_FILL), dpr=ratio))
    return sprites


def draw_point_vectors(painter: QPainter, device: np.ndarray, styles: np.ndarray) -> None:
    """The points at ``device`` positions (m, 2) as vector discs and rings, in the sprites'
    look (for SVG, where a pixmap per point would be neither sharp nor editable)."""
    radius = POINT_SIZE / 2
    for (x, y), style in zip(device.tolist(), styles.tolist()):
        if style == HIDDEN:
            continue
        color = QColor(CLASS_COLORS[style // 2])
        if style % 2:  # a test point: a ring
            painter.setPen(pg.mkPen(color.darker(115), width=TEST_PEN_WIDTH, cosmetic=False))
            painter.setBrush(pg.mkBrush(TEST_FILL))
        else:
            painter.setPen(pg.mkPen(color.darker(170), width=1, cosmetic=False))
            painter.setBrush(pg.mkBrush(color))
        painter.drawEllipse(QPointF(x, y), radius, radius)


def _magnification(viewport: QWidget) -> float:
    """How much the view showing ``viewport`` magnifies its scene (presentation mode): the
    points grow with it."""
    view = viewport.parentWidget()
    return view.transform().m11() if isinstance(view, QGraphicsView) else 1.0


def _normal_vector(net: MLP, x_range, y_range) -> tuple[np.ndarray, np.ndarray] | None:
    """For a single sigmoid neuron, where w is drawn: from the point of the line
    wᵀx + b = 0 nearest the view's centre, to scale unless longer than NORMAL_MAX_SHARE of
    the view (then shortened); None for any other network or w = 0."""
    if net.depth != 1 or net.layer_sizes[-1] != 1:
        return None
    w, b = net.weights[0][0].astype(np.float64), float(net.biases[0][0])
    length = float(np.hypot(*w))
    if not (math.isfinite(length) and length > 0 and math.isfinite(b)):
        return None
    centre = np.array([sum(x_range) / 2, sum(y_range) / 2])
    foot = centre - (w @ centre + b) / length**2 * w
    longest = NORMAL_MAX_SHARE * min(x_range[1] - x_range[0], y_range[1] - y_range[0])
    return foot, foot + w * min(1.0, longest / length)


def _rotated(vector: np.ndarray, angle: float) -> np.ndarray:
    cos, sin = math.cos(angle), math.sin(angle)
    return np.array([cos * vector[0] - sin * vector[1], sin * vector[0] + cos * vector[1]])


def _map_caption(layer: int, j: int, activation: str, level: float, limit: float) -> str:
    """What the background shows, in the lecture's notation, and how to leave it."""
    name = f"a{j}".translate(SUBSCRIPTS) + f"<sup>[{layer}]</sup>"
    kind = ACTIVATION_LABELS.get(activation, activation)
    low, high = f"{level - limit:g}", f"{level + limit:g}"
    return (
        f"<b>{name}</b>: neuron {j} of layer {layer} ({kind})<br>"
        f"<span style='color:{NEGATIVE_COLOR}'>■</span> {low} · white {level:g} (line) · "
        f"<span style='color:{POSITIVE_COLOR}'>■</span> {high}<br>"
        "<i>Click it again or press Esc: decision regions</i>"
    )


def _to_device(transform: QTransform, positions: np.ndarray) -> np.ndarray:
    """``positions`` (n, 2) mapped by the affine ``transform``."""
    matrix = np.array([[transform.m11(), transform.m12()], [transform.m21(), transform.m22()]])
    return positions @ matrix + (transform.dx(), transform.dy())


class _PointsLayer(pg.GraphicsObject):
    """The dataset's points, painted from a picture of them at the view's resolution.

    While training, every frame repaints the regions under the points: the points' picture is
    then copied, not redrawn. When a few points change (a click, the brush, an undo), only the
    pixels around them are redrawn, in the same order as a whole redraw, so the picture is
    the same; a new view or a new dataset redraws it whole. Clicks on points are left to the
    view box, which edits the data.
    """

    def __init__(self, make_sprites: Callable[[float], list[QImage]]) -> None:
        """``make_sprites(device_pixel_ratio)`` draws the point of each style."""
        super().__init__()
        self._make_sprites = make_sprites
        self._ratio = 0.0  # the device pixel ratio the sprites are drawn for
        self._atlas = QPixmap()
        self._source_rects = np.empty((0, 4))
        self._reach = 0.0  # half a sprite and a pixel: how far a point's pixels reach
        self._positions = np.empty((0, 2))
        self._styles = np.empty(0, dtype=np.int8)
        self._picture = QImage()
        self._picture_key: tuple[float, ...] = ()
        self._changed: list[np.ndarray] = []  # positions to redraw since the last paint
        self._redraw_all = True

    def set_points(self, positions: np.ndarray, styles: np.ndarray) -> None:
        """Draw ``positions`` (m, 2) with ``styles`` (m,) int8 (a sprite index, or HIDDEN)."""
        changed = changed_points(self._positions, self._styles, positions, styles)
        if changed is None:
            self._redraw_all = True
        else:
            self._changed.append(changed)
        self._positions, self._styles = positions, styles
        self.update()

    def points(self) -> tuple[np.ndarray, np.ndarray]:
        """The positions (m, 2) and styles (m,) drawn."""
        return self._positions, self._styles

    def mouseClickEvent(self, ev) -> None:
        """Ignore clicks, so that clicking on a point still adds or removes one."""
        ev.ignore()

    def boundingRect(self) -> QRectF:
        """The whole view: points reach anywhere in it (and the view box clips the rest)."""
        view = self.viewRect()
        return QRectF() if view is None else view

    def viewTransformChanged(self) -> None:
        """The bounding rectangle follows the view."""
        self.prepareGeometryChange()
        super().viewTransformChanged()

    def paint(self, painter: QPainter, option, widget: QWidget | None = None) -> None:
        """Copy the picture of the points, brought up to date, onto the view."""
        transform = painter.transform()
        painter.save()
        painter.resetTransform()
        if widget is None and painter.paintEngine().type() == QPaintEngine.Type.SVG:
            draw_point_vectors(painter, _to_device(transform, self._positions), self._styles)
        elif widget is None:  # an export: drawn at its own resolution, not kept
            self._use_ratio(painter.device().devicePixelRatioF())
            scale = self._exportOpts.get("resolutionScale", 1.0) if self._exportOpts else 1.0
            device = painter.device()
            area = QRectF(0, 0, device.width(), device.height())
            self._draw(painter, _to_device(transform, self._positions), area, scale)
        else:
            painter.drawImage(QPointF(0, 0), self._picture_for(transform, widget))
        painter.restore()

    def _use_ratio(self, ratio: float) -> None:
        """Sprites drawn for ``ratio`` device pixels per pixel, side by side in one pixmap."""
        if ratio == self._ratio:
            return
        sprites = self._make_sprites(ratio)
        atlas = QImage(
            sum(s.width() for s in sprites),
            max(s.height() for s in sprites),
            QImage.Format.Format_ARGB32_Premultiplied,
        )
        atlas.fill(Qt.GlobalColor.transparent)
        painter = QPainter(atlas)
        rects, left = [], 0
        for sprite in sprites:
            sprite.setDevicePixelRatio(1.0)  # copied pixel for pixel
            painter.drawImage(left, 0, sprite)
            rects.append((left, 0, sprite.width(), sprite.height()))
            left += sprite.width()
        painter.end()
        self._atlas = QPixmap.fromImage(atlas)
        self._source_rects = np.array(rects, dtype=np.float64)
        self._reach = atlas.height() / ratio / 2 + 1
        self._ratio = ratio
        self._redraw_all = True

    def _picture_for(self, transform: QTransform, widget: QWidget) -> QImage:
        """The picture of the points on ``widget``, redrawn whole when the view, the widget
        or the points' list changed beyond recognition, else only around the changes."""
        magnified = _magnification(widget)
        self._use_ratio(widget.devicePixelRatioF() * magnified)  # sprites sharp at their size
        key = (
            transform.m11(),
            transform.m12(),
            transform.m21(),
            transform.m22(),
            transform.dx(),
            transform.dy(),
            widget.width(),
            widget.height(),
            self._ratio,
            magnified,
        )
        if self._redraw_all or key != self._picture_key:
            size = (widget.width(), widget.height(), widget.devicePixelRatioF())
            self._picture = self._whole_picture(transform, *size, magnified)
            self._picture_key = key
        elif self._changed:
            self._redraw_around(transform, np.concatenate(self._changed), magnified)
        self._redraw_all = False
        self._changed.clear()
        return self._picture

    def _whole_picture(
        self, transform: QTransform, width: int, height: int, ratio: float, scale: float
    ) -> QImage:
        """Every point, ``scale`` times its size, on a transparent picture of ``width`` ×
        ``height`` pixels at ``ratio`` device pixels per pixel."""
        picture = QImage(
            math.ceil(width * ratio),
            math.ceil(height * ratio),
            QImage.Format.Format_ARGB32_Premultiplied,
        )
        picture.setDevicePixelRatio(ratio)
        picture.fill(Qt.GlobalColor.transparent)
        painter = QPainter(picture)
        area = QRectF(0, 0, width, height)
        self._draw(painter, _to_device(transform, self._positions), area, scale)
        painter.end()
        return picture

    def _redraw_around(self, transform: QTransform, changed: np.ndarray, scale: float) -> None:
        """Clear the pixels the sprites (``scale`` times their size) at the ``changed``
        positions cover, and draw again, in order, every point that reaches into them."""
        device = _to_device(transform, self._positions)
        reach = self._reach * scale
        side = math.ceil(2 * reach)
        seen = QRectF(self._picture.rect()).adjusted(-side, -side, side, side)
        painter = QPainter(self._picture)
        for x, y in _to_device(transform, changed).tolist():
            if not seen.contains(x, y):  # far out of the view (and of QRect's int range)
                continue
            area = QRect(math.floor(x - reach), math.floor(y - reach), side, side)
            painter.setClipRect(area)
            painter.setCompositionMode(QPainter.CompositionMode.CompositionMode_Source)
            painter.fillRect(area, Qt.GlobalColor.transparent)
            painter.setCompositionMode(QPainter.CompositionMode.CompositionMode_SourceOver)
            self._draw(painter, device, QRectF(area), scale)
        painter.end()

    def _draw(self, painter: QPainter, device: np.ndarray, area: QRectF, scale: float) -> None:
        """Draw, in one call, the sprites of the points at ``device`` positions (n, 2) that
        reach into ``area``, ``scale`` times their size."""
        reach = self._reach * scale
        x, y = device[:, 0], device[:, 1]
        drawn = (self._styles != HIDDEN) & (x > area.left() - reach) & (x < area.right() + reach)
        drawn &= (y > area.top() - reach) & (y < area.bottom() + reach)
        count = int(np.count_nonzero(drawn))
        if count == 0:
            return
        # QPainter::PixmapFragment: x, y, source rectangle, scale x and y, rotation, opacity.
        fragments = np.empty((count, 10))
        fragments[:, 2:6] = self._source_rects[self._styles[drawn]]
        # Centres placing every sprite on whole pixels: Qt rounds other positions one way when
        # it draws all points and sometimes the other when clipped to a few pixels.
        half = fragments[:, 4:6] * (scale / self._ratio / 2)
        fragments[:, 0:2] = np.floor(device[drawn] - half + 0.5) + half
        fragments[:, 6:10] = (scale / self._ratio, scale / self._ratio, 0.0, 1.0)
        first = shiboken6.wrapInstance(fragments.ctypes.data, QPainter.PixmapFragment)
        painter.drawPixmapFragments(first, count, self._atlas)


class _RegionsItem(pg.ImageItem):
    """The decision regions: one colour per grid cell, smoothed when drawn.

    Drawn cell by cell, a confident network's sharp edges would show the grid as a staircase;
    bilinear filtering (as in ``mlpviz train``'s PNG) blends neighbouring cells instead, for
    about the cost of the plain scaling.
    """

    def paint(self, painter: QPainter, *args) -> None:
        """Draw the image with bilinear filtering."""
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        super().paint(painter, *args)
        painter.restore()


class _SelectionRing(pg.ScatterPlotItem):
    """The ring around the selected point (Ctrl+click); clicks go through to the view box."""

    def __init__(self) -> None:
        super().__init__(
            size=SELECTION_RING_SIZE,
            symbol="o",
            pen=pg.mkPen(FOREGROUND, width=SELECTION_RING_WIDTH),
            brush=pg.mkBrush(None),
            pxMode=True,
        )

    def mouseClickEvent(self, ev) -> None:
        """Ignore clicks: a click on the ring still adds a point or selects."""
        ev.ignore()


class _EditingViewBox(pg.ViewBox):
    """A ViewBox whose left and right buttons edit in draw mode; other buttons pan and zoom.

    Positions are emitted in data coordinates.
    """

    add_requested = Signal(QPointF)
    removal_requested = Signal(QPointF)
    brush_requested = Signal(QPointF, bool)  # position, True on the first event of a drag
    select_requested = Signal(QPointF)

    def __init__(self) -> None:
        super().__init__()
        self.draw_mode = True
        self.setMenuEnabled(False)

    def set_draw_mode(self, enabled: bool) -> None:
        """Left button draws (True) or pans (False); the context menu only exists for panning."""
        self.draw_mode = enabled
        self.setMenuEnabled(not enabled)

    def mouseClickEvent(self, ev) -> None:
        """Left click asks for a point, right click for a removal, Ctrl+left click (in both
        modes) selects the nearest point; others as usual."""
        # Axes forward their clicks here too; only clicks inside the plot area edit.
        inside = self._is_inside(ev.scenePos())
        control = bool(ev.modifiers() & Qt.KeyboardModifier.ControlModifier)
        if inside and control and ev.button() == Qt.MouseButton.LeftButton:
            ev.accept()
            self.select_requested.emit(self.mapSceneToView(ev.scenePos()))
            return
        if self.draw_mode and inside:
            if ev.button() == Qt.MouseButton.LeftButton:
                ev.accept()
                self.add_requested.emit(self.mapSceneToView(ev.scenePos()))
                return
            if ev.button() == Qt.MouseButton.RightButton:
                ev.accept()
                self.removal_requested.emit(self.mapSceneToView(ev.scenePos()))
                return
        super().mouseClickEvent(ev)

    def mouseDragEvent(self, ev, axis: int | None = None) -> None:
        """A left drag paints with the brush; middle and right drags pan and zoom as usual."""
        if self.draw_mode and axis is None and ev.button() == Qt.MouseButton.LeftButton:
            ev.accept()
            if ev.isStart():
                self.brush_requested.emit(self.mapSceneToView(ev.buttonDownScenePos()), True)
            elif not ev.isFinish():
                self.brush_requested.emit(self.mapSceneToView(ev.scenePos()), False)
            return
        super().mouseDragEvent(ev, axis)

    def _is_inside(self, scene_pos: QPointF) -> bool:
        return self.sceneBoundingRect().contains(scene_pos)


class DataPlane(PaintTimed, pg.PlotWidget):
    """The dataset as coloured points over the decision regions of the current network.

    In draw mode (the default) a left click adds a point of the current class, a left drag
    paints points with a brush, a right click removes the nearest point; the middle button
    pans and the wheel zooms. Ctrl+click selects the nearest point (the backprop inspector
    follows it), drawn ringed. Edits and selections are emitted as requests, never applied here.
    """

    points_requested = Signal(object, int, int)  # points (k, 2) float64, label, stroke id
    point_removal_requested = Signal(int)  # index of the point in the dataset
    selection_requested = Signal(object)  # index of the point in the dataset
    cursor_moved = Signal(float, float)  # data coordinates under the mouse
    view_range_changed = Signal(object, object)  # (x0, x1), (y0, y1) shown

    def __init__(self, parent=None) -> None:
        self._view_box = _EditingViewBox()
        super().__init__(parent, background="w", viewBox=self._view_box)
        self.setObjectName("dataPlane")
        self.setAccessibleName("Data plane")
        self.setAccessibleDescription(
            "Left click adds a point of the current class, left drag paints points, right click "
            "removes a point, Ctrl+click selects a point to follow through the network; the "
            "wheel zooms and the middle button pans."
        )
        remove_export_menu(self)
        self._dataset = Dataset.empty()
        self._test_mask = np.zeros(0, dtype=bool)
        self._frame_mask: np.ndarray | None = None  # the mask object of the frame drawn
        self._visible_indices = np.zeros(0, dtype=np.int64)
        self._show_test_points = True
        self._current_class = 0
        self._snapshot: Snapshot | None = None
        self._selection: int | None = None
        self._ring_position: tuple[float, float] | None = None
        self._grid_key: tuple[float, ...] | None = None
        self._grid = np.empty((0, 2))
        self._cells = GRID_CELLS  # the background image's resolution
        self._seconds_per_cell = 0.0  # CPU time computing it takes, per cell, lately
        self._stroke_ids = itertools.count(1)
        self._stroke_id = 0
        self._last_spray: tuple[QPointF, float] | None = None
        self._rng = np.random.default_rng()
        self._region_palette = class_rgb()
        self._map_palette = diverging_rgb()
        self._neuron: tuple[int, int] | None = None  # (layer, j) whose map is shown
        self._neuron_values: np.ndarray | None = None
        self._normal: tuple[np.ndarray, np.ndarray] | None = None
        self._build_plot()
        self._build_items()
        self._connect_view()
        self.set_draw_mode(True)

    # --- construction ------------------------------------------------------------------
    def _build_plot(self) -> None:
        plot = self.getPlotItem()
        plot.setLabel("bottom", "x₁", **LABEL_STYLE)
        plot.setLabel("left", "x₂", **LABEL_STYLE)
        # pyqtgraph's "A" button would switch on auto-range, and the view would then jump
        # under the cursor with every point drawn; fit_view() is the way to reframe.
        plot.hideButtons()
        self._view_box.setAspectLocked(True)
        self._show_default_box()

    def _build_items(self) -> None:
        self._region_image = _RegionsItem(axisOrder="row-major")
        self._region_image.setZValue(-10)
        self._region_image.setVisible(False)
        self.addItem(self._region_image, ignoreBounds=True)
        # Segments from our vectorised marching squares: pyqtgraph's IsocurveItem traces the
        # curve in Python and took 22 ms a frame on a 150×150 grid.
        self._boundary = pg.PlotCurveItem(
            pen=pg.mkPen(FOREGROUND, width=BOUNDARY_PEN_WIDTH), connect="pairs"
        )
        self._boundary.setZValue(-5)
        self._boundary_segments = np.empty((0, 4))
        self.addItem(self._boundary, ignoreBounds=True)
        self._build_neuron_items()
        self._points = _PointsLayer(point_sprites)
        self._points.setZValue(10)
        # The regions behind change every frame while training; the axes do not. Cached as
        # pixmaps, they are blitted instead of re-rendered each frame (the points keep their
        # own picture).
        for side in ("bottom", "left"):
            axis = self.getPlotItem().getAxis(side)
            axis.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.addItem(self._points, ignoreBounds=True)
        self._selection_ring = _SelectionRing()
        self._selection_ring.setZValue(20)
        self.addItem(self._selection_ring, ignoreBounds=True)

    def _build_neuron_items(self) -> None:
        """The single neuron's normal vector w, and the caption of a neuron's map."""
        pen = pg.mkPen(FOREGROUND, width=NORMAL_PEN_WIDTH)
        self._normal_arrow = pg.PlotCurveItem(pen=pen, connect="pairs")
        self._normal_arrow.setZValue(-4)
        self.addItem(self._normal_arrow, ignoreBounds=True)
        self._normal_label = pg.TextItem(anchor=(0.5, 0.5))
        self._normal_label.setHtml(f"<b style='color:{FOREGROUND}; font-size:13pt'><i>w</i></b>")
        self._normal_label.setZValue(-4)
        self.addItem(self._normal_label, ignoreBounds=True)
        # In the view box's own pixels, not in data coordinates: it stays in the corner.
        self.map_caption = pg.TextItem(color=FOREGROUND, fill=pg.mkBrush(255, 255, 255, 215))
        self.map_caption.setParentItem(self._view_box)
        self.map_caption.setPos(4, 4)
        self.map_caption.setZValue(20)
        self.map_caption.setVisible(False)
        self._show_normal(None)

    def _connect_view(self) -> None:
        # One recompute per burst of range changes (a wheel zoom emits several).
        self._region_timer = QTimer(self)
        self._region_timer.setSingleShot(True)
        self._region_timer.setInterval(0)
        self._region_timer.timeout.connect(self._draw_regions)
        self._view_box.sigRangeChanged.connect(self._on_view_range_changed)
        self._view_box.add_requested.connect(self._on_add_requested)
        self._view_box.removal_requested.connect(self._on_removal_requested)
        self._view_box.brush_requested.connect(self._on_brush_requested)
        self._view_box.select_requested.connect(self._on_select_requested)
        self.scene().sigMouseMoved.connect(self._on_mouse_moved)

    # --- public slots ------------------------------------------------------------------
    def set_dataset(self, dataset: Dataset, test_mask: np.ndarray | None = None) -> None:
        """Draw ``dataset``; ``test_mask`` (m,) bool marks the test points, drawn hollow."""
        mask = np.zeros(len(dataset), dtype=bool) if test_mask is None else np.asarray(test_mask)
        if mask.shape != (len(dataset),) or mask.dtype != bool:
            raise ValueError(f"test_mask must be a bool array of shape ({len(dataset)},)")
        self._dataset = dataset
        self._test_mask = mask.copy()
        self._draw_points()

    def set_show_test_points(self, show: bool) -> None:
        """Show or hide the test points (hidden points cannot be removed by right click)."""
        self._show_test_points = bool(show)
        self._draw_points()

    def shows_test_points(self) -> bool:
        """Whether the test points are shown."""
        return self._show_test_points

    def set_current_class(self, k: int) -> None:
        """The class (0…7) that clicks and the brush add."""
        if not 0 <= k < len(CLASS_COLORS):
            raise ValueError(f"class must be 0..{len(CLASS_COLORS) - 1}, got {k}")
        self._current_class = int(k)

    def current_class(self) -> int:
        """The class that clicks and the brush add."""
        return self._current_class

    def show_snapshot(self, snapshot: Snapshot) -> None:
        """Colour the decision regions of ``snapshot.net`` over the visible view: on a
        GRID_CELLS grid, or a coarser one while playing when that costs too much (see
        :attr:`region_cells`)."""
        self._snapshot = snapshot
        # Colours need no float64: float32 evaluates the grid about three times faster.
        self._region_net = snapshot.net.astype(np.float32)
        self._cells = self._playing_cells() if snapshot.running else GRID_CELLS
        self._draw_regions()

    @property
    def region_cells(self) -> int:
        """The side of the grid the background is computed on: GRID_CELLS, except for a
        running frame when computing it costs more than PLAYING_REGION_SECONDS. A paused,
        stepped or scrubbed frame is always drawn in full, so they are the same picture."""
        return self._cells

    def _playing_cells(self) -> int:
        return affordable_cells(
            self._seconds_per_cell, PLAYING_REGION_SECONDS, GRID_CELLS, MIN_PLAYING_CELLS
        )

    def show_frame(self, frame: Frame) -> None:
        """Draw the frame's points (test points hollow) and its network's regions; each is
        redrawn only when the frame brings a new one."""
        if frame.dataset is not self._dataset or frame.test_mask is not self._frame_mask:
            self._frame_mask = frame.test_mask
            self.set_dataset(frame.dataset, frame.test_mask)
        if frame.snapshot is not self._snapshot:
            self.show_snapshot(frame.snapshot)
        self._show_selection(frame.selection)

    def _show_selection(self, index: int | None) -> None:
        """Ring the point ``index`` of the dataset drawn (nothing for None)."""
        self._selection = index
        position = None if index is None else tuple(self._dataset.X[index].tolist())
        if position == self._ring_position:
            return
        self._ring_position = position
        xs, ys = ([], []) if position is None else ([position[0]], [position[1]])
        self._selection_ring.setData(xs, ys)

    @property
    def selection(self) -> int | None:
        """The index of the ringed point in the frame's dataset, or None."""
        return self._selection

    def clear_regions(self) -> None:
        """Remove the decision regions (there is no network to show)."""
        self._snapshot = None
        self._region_image.setVisible(False)
        self._boundary_segments = np.empty((0, 4))
        self._boundary.setData([], [])
        self._show_normal(None)
        self.map_caption.setVisible(False)

    def show_neuron_map(self, neuron: tuple[int, int] | None) -> None:
        """Show the map of neuron j of hidden layer l, ``neuron = (l, j)`` numbered from 1,
        as the background instead of the decision regions; None shows the regions again.
        A neuron the network does not have shows the regions."""
        self._neuron = None if neuron is None else (int(neuron[0]), int(neuron[1]))
        self._draw_regions()

    @property
    def shown_neuron(self) -> tuple[int, int] | None:
        """The (layer, j) whose map is the background, or None for the decision regions."""
        return self._neuron if self._neuron_values is not None else None

    @property
    def neuron_values(self) -> np.ndarray | None:
        """The shown neuron's activation on the background's grid (cells, cells), row 0 at
        the bottom; None while the background shows the decision regions."""
        return self._neuron_values

    @property
    def background_image(self) -> np.ndarray | None:
        """The background's RGB image (cells, cells, 3), row 0 at the bottom."""
        return self._region_image.image if self._region_image.isVisible() else None

    @property
    def normal_vector(self) -> tuple[np.ndarray, np.ndarray] | None:
        """The single neuron's normal vector as drawn: its foot on the line wᵀx + b = 0 and
        its tip, each (2,); None when the network is not a single sigmoid neuron."""
        return self._normal

    def view_range(self) -> tuple[tuple[float, float], tuple[float, float]]:
        """The rectangle shown, ``(x0, x1), (y0, y1)``."""
        (x0, x1), (y0, y1) = self._view_box.viewRange()
        return (x0, x1), (y0, y1)

    def fit_view(self) -> None:
        """Show all points, or the default box [−BOX, BOX]² when there are none."""
        if len(self._dataset) == 0:
            self._show_default_box()
            return
        low = self._dataset.X.min(axis=0)
        high = self._dataset.X.max(axis=0)
        # A single point (or a line of points) still gets a view a few units wide.
        centre, half = (low + high) / 2, np.maximum((high - low) / 2, 1.0)
        self._view_box.setRange(
            xRange=(centre[0] - half[0], centre[0] + half[0]),
            yRange=(centre[1] - half[1], centre[1] + half[1]),
            padding=FIT_MARGIN,
        )

    def set_draw_mode(self, enabled: bool) -> None:
        """True: the left button draws points. False: the left button pans, as in any plot."""
        self._view_box.set_draw_mode(enabled)
        cursor = Qt.CursorShape.CrossCursor if enabled else Qt.CursorShape.ArrowCursor
        self.viewport().setCursor(cursor)

    def draw_mode(self) -> bool:
        """Whether the left button draws points."""
        return self._view_box.draw_mode

    # --- points ------------------------------------------------------------------------
    def _show_default_box(self) -> None:
        self._view_box.setRange(xRange=(-BOX, BOX), yRange=(-BOX, BOX), padding=VIEW_MARGIN)

    def _draw_points(self) -> None:
        styles = point_styles(self._dataset.y, self._test_mask, self._show_test_points)
        self._visible_indices = np.flatnonzero(styles != HIDDEN)
        self._points.set_points(self._dataset.X, styles)

    def drawn_points(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The points drawn, in the order drawn: positions (n, 2), labels (n,) and whether
        each is drawn hollow, as a test point (n,)."""
        positions, styles = self._points.points()
        shown = styles != HIDDEN
        return positions[shown], styles[shown] // 2, styles[shown] % 2 == 1

    def _nearest_visible_point(
        self, position: QPointF, radius_px: float = REMOVE_RADIUS_PX
    ) -> int | None:
        """Dataset index of the nearest visible point within ``radius_px`` pixels, else None."""
        if self._visible_indices.size == 0:
            return None
        pixel_w, pixel_h = self._view_box.viewPixelSize()
        points = self._dataset.X[self._visible_indices]
        distances = np.hypot(
            (points[:, 0] - position.x()) / pixel_w, (points[:, 1] - position.y()) / pixel_h
        )
        best = int(np.argmin(distances))
        if distances[best] > radius_px:
            return None
        return int(self._visible_indices[best])

    # --- decision regions --------------------------------------------------------------
    def _on_view_range_changed(self) -> None:
        self.view_range_changed.emit(*self.view_range())
        if self._snapshot is not None:
            self._region_timer.start()

    def _draw_regions(self) -> None:
        if self._snapshot is None:
            return
        (x0, x1), (y0, y1) = self._view_box.viewRange()
        net = self._region_net
        started = time.thread_time()  # the GUI thread's own time, as frames.py measures
        if self._has_neuron(net):
            colors = self._draw_neuron_map(net, (x0, x1), (y0, y1))
        else:
            self._neuron_values = None
            self.map_caption.setVisible(False)
            output = region_output(net, (x0, x1), (y0, y1), self._cells)
            colors = region_image(output, self._region_palette)
            self._draw_boundaries(output, (x0, x1), (y0, y1))
        self._note_region_cost(time.thread_time() - started)
        self._region_image.setImage(colors, levels=(0, 255))
        self._region_image.setRect(QRectF(x0, y0, x1 - x0, y1 - y0))
        self._region_image.setVisible(True)
        self._show_normal(_normal_vector(self._snapshot.net, (x0, x1), (y0, y1)))

    def _has_neuron(self, net: MLP) -> bool:
        if self._neuron is None:
            return False
        layer, j = self._neuron
        return 1 <= layer < net.depth and 1 <= j <= net.layer_sizes[layer]

    def _note_region_cost(self, seconds: float) -> None:
        """Measure what a cell of the background costs (the next running frames' grid)."""
        per_cell = seconds / self._cells**2
        if self._seconds_per_cell == 0.0:
            self._seconds_per_cell = per_cell
        else:
            self._seconds_per_cell += REGION_COST_WEIGHT * (per_cell - self._seconds_per_cell)

    def _draw_neuron_map(self, net: MLP, x_range, y_range) -> np.ndarray:
        """The shown neuron's activation as colours, on its layer's shared scale, and its
        level line a = g(0) where w_jᵀa^{[l−1]} + b_j = 0."""
        layer, j = self._neuron
        activation = net.activations[layer - 1]
        cells = self._cells
        grid = self._grid_for(*x_range, *y_range, cells)
        layer_values = hidden_activations(net, grid, layer)[-1]
        values = self._neuron_values = layer_values[:, j - 1].reshape(cells, cells)
        level = activation_level(activation)
        limit = color_limit(layer_values, activation)
        xs, ys = cell_centres(x_range, cells), cell_centres(y_range, cells)
        segments = self._boundary_segments = marching_squares(values - level, xs, ys)
        self._boundary.setData(segments[:, [0, 2]].ravel(), segments[:, [1, 3]].ravel())
        self.map_caption.setHtml(_map_caption(layer, j, activation, level, limit))
        self.map_caption.setVisible(True)
        return activation_colors(values, level, limit, *self._map_palette)

    def _show_normal(self, normal: tuple[np.ndarray, np.ndarray] | None) -> None:
        """Draw the single neuron's w from ``normal = (foot, tip)``, or hide it (None)."""
        self._normal = normal
        self._normal_label.setVisible(normal is not None)
        if normal is None:
            self._normal_arrow.setData([], [])
            return
        foot, tip = normal
        (x0, x1), (y0, y1) = self._view_box.viewRange()
        head = NORMAL_HEAD_SHARE * min(x1 - x0, y1 - y0)
        back = (foot - tip) / max(float(np.hypot(*(foot - tip))), 1e-12) * head
        wings = [_rotated(back, angle) for angle in (0.45, -0.45)]
        points = np.array([foot, tip, tip, tip + wings[0], tip, tip + wings[1]])
        self._normal_arrow.setData(points[:, 0], points[:, 1])
        self._normal_label.setPos(*(tip - 1.3 * back))

    def _draw_boundaries(self, output: np.ndarray, x_range, y_range) -> None:
        """The boundaries between every pair of regions (ŷ = 0.5 for one sigmoid output)."""
        xs, ys = cell_centres(x_range, self._cells), cell_centres(y_range, self._cells)
        segments = self._boundary_segments = decision_boundaries(output, xs, ys)
        self._boundary.setData(segments[:, [0, 2]].ravel(), segments[:, [1, 3]].ravel())

    @property
    def boundary_segments(self) -> np.ndarray:
        """The drawn boundaries as segments (s, 4) of x1, y1, x2, y2."""
        return self._boundary_segments

    def _grid_for(self, x0: float, x1: float, y0: float, y1: float, cells: int) -> np.ndarray:
        """The grid over the view, reused while the view does not move."""
        key = (x0, x1, y0, y1, cells)
        if key != self._grid_key:
            self._grid = grid_for_view((x0, x1), (y0, y1), cells).astype(np.float32)
            self._grid_key = key
        return self._grid

    # --- mouse editing -----------------------------------------------------------------
    def _on_add_requested(self, position: QPointF) -> None:
        points = np.array([[position.x(), position.y()]], dtype=np.float64)
        self.points_requested.emit(points, self._current_class, next(self._stroke_ids))

    def _on_removal_requested(self, position: QPointF) -> None:
        index = self._nearest_visible_point(position)
        if index is not None:
            self.point_removal_requested.emit(index)

    def _on_select_requested(self, position: QPointF) -> None:
        index = self._nearest_visible_point(position, math.inf)
        if index is not None:
            self.selection_requested.emit(index)

    def _on_brush_requested(self, position: QPointF, is_start: bool) -> None:
        now = time.perf_counter()
        if is_start:
            self._stroke_id = next(self._stroke_ids)
        elif not self._brush_moved_enough(position, now):
            return
        self._last_spray = (position, now)
        self.points_requested.emit(self._spray(position), self._current_class, self._stroke_id)

    def _brush_moved_enough(self, position: QPointF, now: float) -> bool:
        """Throttle the brush: a new spray every BRUSH_INTERVAL_S and BRUSH_MIN_STEP_PX."""
        if self._last_spray is None:
            return True
        last_position, last_time = self._last_spray
        pixel_w, pixel_h = self._view_box.viewPixelSize()
        step_px = np.hypot(
            (position.x() - last_position.x()) / pixel_w,
            (position.y() - last_position.y()) / pixel_h,
        )
        return now - last_time >= BRUSH_INTERVAL_S and step_px >= BRUSH_MIN_STEP_PX

    def _spray(self, centre: QPointF) -> np.ndarray:
        """1…BRUSH_MAX_POINTS points uniform in a disc of BRUSH_RADIUS_PX around ``centre``."""
        count = int(self._rng.integers(1, BRUSH_MAX_POINTS + 1))
        pixel_w, pixel_h = self._view_box.viewPixelSize()
        radius = BRUSH_RADIUS_PX * np.sqrt(self._rng.random(count))
        angle = self._rng.uniform(0.0, 2.0 * np.pi, count)
        return np.column_stack(
            [
                centre.x() + radius * np.cos(angle) * pixel_w,
                centre.y() + radius * np.sin(angle) * pixel_h,
            ]
        )

    def _on_mouse_moved(self, scene_position: QPointF) -> None:
        if self._view_box.sceneBoundingRect().contains(scene_position):
            position = self._view_box.mapSceneToView(scene_position)
            self.cursor_moved.emit(position.x(), position.y())
