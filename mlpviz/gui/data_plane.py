"""The data plane: the dataset's points over the network's decision regions, edited by mouse.

The plane never edits the dataset itself: it emits intent (``points_requested``,
``point_removal_requested``) and the main window applies the edit, pushes an undo command and
calls :meth:`DataPlane.set_dataset` back.
"""

from __future__ import annotations

import itertools
import time

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import QGraphicsItem

from mlpviz.core.contour import decision_boundaries
from mlpviz.core.datasets import BOX, Dataset
from mlpviz.core.frame import Frame
from mlpviz.core.regions import (
    cell_centres,
    grid_for_view,
    region_image,
    unsure_where_undefined,
)
from mlpviz.core.snapshot import Snapshot
from mlpviz.gui.style import CLASS_COLORS, FOREGROUND, class_rgb, remove_export_menu

GRID_CELLS = 150
"""The decision regions are a GRID_CELLS × GRID_CELLS image over the visible view."""

POINT_SIZE = 9
LABEL_STYLE = {"font-size": "12pt"}
TEST_PEN_WIDTH = 2.0
BOUNDARY_PEN_WIDTH = 2.0
VIEW_MARGIN = 0.03
FIT_MARGIN = 0.05
REMOVE_RADIUS_PX = 8.0
BRUSH_RADIUS_PX = 10.0
BRUSH_INTERVAL_S = 0.02
BRUSH_MIN_STEP_PX = 3.0
BRUSH_MAX_POINTS = 3


class _PointsItem(pg.ScatterPlotItem):
    """The dataset's points; they leave every click to the view box, which edits the data."""

    def mouseClickEvent(self, ev) -> None:
        """Ignore clicks, so that clicking on a point still adds or removes one."""
        ev.ignore()


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


class _EditingViewBox(pg.ViewBox):
    """A ViewBox whose left and right buttons edit in draw mode; other buttons pan and zoom.

    Positions are emitted in data coordinates.
    """

    add_requested = Signal(QPointF)
    removal_requested = Signal(QPointF)
    brush_requested = Signal(QPointF, bool)  # position, True on the first event of a drag

    def __init__(self) -> None:
        super().__init__()
        self.draw_mode = True
        self.setMenuEnabled(False)

    def set_draw_mode(self, enabled: bool) -> None:
        """Left button draws (True) or pans (False); the context menu only exists for panning."""
        self.draw_mode = enabled
        self.setMenuEnabled(not enabled)

    def mouseClickEvent(self, ev) -> None:
        """Left click asks for a point, right click for a removal; others as usual."""
        # Axes forward their clicks here too; only clicks inside the plot area edit.
        if self.draw_mode and self._is_inside(ev.scenePos()):
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


class DataPlane(pg.PlotWidget):
    """The dataset as coloured points over the decision regions of the current network.

    In draw mode (the default) a left click adds a point of the current class, a left drag
    paints points with a brush, a right click removes the nearest point; the middle button
    pans and the wheel zooms. Edits are emitted as requests, never applied here.
    """

    points_requested = Signal(object, int, int)  # points (k, 2) float64, label, stroke id
    point_removal_requested = Signal(int)  # index of the point in the dataset
    cursor_moved = Signal(float, float)  # data coordinates under the mouse

    def __init__(self, parent=None) -> None:
        self._view_box = _EditingViewBox()
        super().__init__(parent, background="w", viewBox=self._view_box)
        self.setObjectName("dataPlane")
        self.setAccessibleName("Data plane")
        self.setAccessibleDescription(
            "Left click adds a point of the current class, left drag paints points, right click "
            "removes a point; the wheel zooms and the middle button pans."
        )
        remove_export_menu(self)
        self._dataset = Dataset.empty()
        self._test_mask = np.zeros(0, dtype=bool)
        self._frame_mask: np.ndarray | None = None  # the mask object of the frame drawn
        self._visible_indices = np.zeros(0, dtype=np.int64)
        self._show_test_points = True
        self._current_class = 0
        self._snapshot: Snapshot | None = None
        self._grid_key: tuple[float, ...] | None = None
        self._grid = np.empty((0, 2))
        self._stroke_ids = itertools.count(1)
        self._stroke_id = 0
        self._last_spray: tuple[QPointF, float] | None = None
        self._rng = np.random.default_rng()
        self._make_styles()
        self._build_plot()
        self._build_items()
        self._connect_view()
        self.set_draw_mode(True)

    # --- construction ------------------------------------------------------------------
    def _make_styles(self) -> None:
        """Brushes and pens per class, indexed by label (object arrays for fancy indexing)."""
        colors = [QColor(c) for c in CLASS_COLORS]
        self._region_palette = class_rgb()
        self._train_brushes = np.array([pg.mkBrush(c) for c in colors], dtype=object)
        self._train_pens = np.array(
            [pg.mkPen(c.darker(170), width=1) for c in colors], dtype=object
        )
        test_brush = pg.mkBrush(255, 255, 255, 235)
        self._test_brushes = np.array([test_brush] * len(colors), dtype=object)
        self._test_pens = np.array(
            [pg.mkPen(c.darker(115), width=TEST_PEN_WIDTH) for c in colors], dtype=object
        )

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
        self._points = _PointsItem(size=POINT_SIZE, pxMode=True)
        self._points.setZValue(10)
        # The regions behind change every frame while training; the points and axes do not.
        # Cached as pixmaps, they are blitted instead of re-rendered each frame.
        self._points.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        for side in ("bottom", "left"):
            axis = self.getPlotItem().getAxis(side)
            axis.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.addItem(self._points)

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

    def set_current_class(self, k: int) -> None:
        """The class (0…7) that clicks and the brush add."""
        if not 0 <= k < len(CLASS_COLORS):
            raise ValueError(f"class must be 0..{len(CLASS_COLORS) - 1}, got {k}")
        self._current_class = int(k)

    def current_class(self) -> int:
        """The class that clicks and the brush add."""
        return self._current_class

    def show_snapshot(self, snapshot: Snapshot) -> None:
        """Colour the decision regions of ``snapshot.net`` over the visible view."""
        self._snapshot = snapshot
        # Colours need no float64: float32 evaluates the grid about three times faster.
        self._region_net = snapshot.net.astype(np.float32)
        self._draw_regions()

    def show_frame(self, frame: Frame) -> None:
        """Draw the frame's points (test points hollow) and its network's regions; each is
        redrawn only when the frame brings a new one."""
        if frame.dataset is not self._dataset or frame.test_mask is not self._frame_mask:
            self._frame_mask = frame.test_mask
            self.set_dataset(frame.dataset, frame.test_mask)
        if frame.snapshot is not self._snapshot:
            self.show_snapshot(frame.snapshot)

    def clear_regions(self) -> None:
        """Remove the decision regions (there is no network to show)."""
        self._snapshot = None
        self._region_image.setVisible(False)
        self._boundary_segments = np.empty((0, 4))
        self._boundary.setData([], [])

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
        visible = np.ones(len(self._dataset), dtype=bool)
        if not self._show_test_points:
            visible &= ~self._test_mask
        self._visible_indices = np.flatnonzero(visible)
        labels = self._dataset.y[visible]
        is_test = self._test_mask[visible]
        brushes = np.where(is_test, self._test_brushes[labels], self._train_brushes[labels])
        pens = np.where(is_test, self._test_pens[labels], self._train_pens[labels])
        self._points.setData(pos=self._dataset.X[visible], brush=brushes, pen=pens)

    def _nearest_visible_point(self, position: QPointF) -> int | None:
        """Dataset index of the visible point within REMOVE_RADIUS_PX pixels, else None."""
        if self._visible_indices.size == 0:
            return None
        pixel_w, pixel_h = self._view_box.viewPixelSize()
        points = self._dataset.X[self._visible_indices]
        distances = np.hypot(
            (points[:, 0] - position.x()) / pixel_w, (points[:, 1] - position.y()) / pixel_h
        )
        best = int(np.argmin(distances))
        if distances[best] > REMOVE_RADIUS_PX:
            return None
        return int(self._visible_indices[best])

    # --- decision regions --------------------------------------------------------------
    def _on_view_range_changed(self) -> None:
        if self._snapshot is not None:
            self._region_timer.start()

    def _draw_regions(self) -> None:
        if self._snapshot is None:
            return
        (x0, x1), (y0, y1) = self._view_box.viewRange()
        grid = self._grid_for(x0, x1, y0, y1)
        output = unsure_where_undefined(self._region_net.predict_proba(grid))
        output = output.reshape(GRID_CELLS, GRID_CELLS, -1)
        colors = region_image(output, self._region_palette)
        self._region_image.setImage(colors, levels=(0, 255))
        self._region_image.setRect(QRectF(x0, y0, x1 - x0, y1 - y0))
        self._region_image.setVisible(True)
        self._draw_boundaries(output, (x0, x1), (y0, y1))

    def _draw_boundaries(self, output: np.ndarray, x_range, y_range) -> None:
        """The boundaries between every pair of regions (ŷ = 0.5 for one sigmoid output)."""
        xs, ys = cell_centres(x_range, GRID_CELLS), cell_centres(y_range, GRID_CELLS)
        segments = self._boundary_segments = decision_boundaries(output, xs, ys)
        self._boundary.setData(segments[:, [0, 2]].ravel(), segments[:, [1, 3]].ravel())

    @property
    def boundary_segments(self) -> np.ndarray:
        """The drawn boundaries as segments (s, 4) of x1, y1, x2, y2."""
        return self._boundary_segments

    def _grid_for(self, x0: float, x1: float, y0: float, y1: float) -> np.ndarray:
        """The grid over the view, reused while the view does not move."""
        key = (x0, x1, y0, y1)
        if key != self._grid_key:
            self._grid = grid_for_view((x0, x1), (y0, y1), GRID_CELLS).astype(np.float32)
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
