"""The feature space of the last hidden layer: the data as the output layer sees it.

``FeatureSpacePlot`` (``featureSpacePlot``) draws one Frame: every sample mapped through the
hidden layers (``mlpviz.core.feature_space``), coloured by class (test points hollow, as on
the data plane), over the output layer's decision in that space and the faint lines of the
input plane's grid bent by the network. ``FeatureSpaceView`` adds the choice of axes (the PCA
plane or two neurons) and the note saying what the picture is; it sits in its own dock.

For the digits workspace's images the points are a fixed stratified sample of the images
(``stratified_sample``), coloured by digit (DIGIT_COLORS) with a legend 0–9 beside the plot,
and there is no input grid to bend (the input is not a plane).
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, QSignalBlocker, Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from mlpviz.core.contour import decision_boundaries
from mlpviz.core.datasets import Dataset
from mlpviz.core.feature_space import (
    NEURONS,
    ONE,
    PCA,
    FeatureSpace,
    decision_line,
    decision_probabilities,
    feature_space,
    stratified_sample,
)
from mlpviz.core.frame import Frame
from mlpviz.core.regions import cell_centres, region_image, unsure_where_undefined

from .data_plane import POINT_SIZE, TEST_FILL, TEST_PEN_WIDTH, _RegionsItem
from .paint_cost import PaintTimed
from .style import CLASS_COLORS, FOREGROUND, class_colors, class_rgb, remove_export_menu

REGION_CELLS = 120
"""The decision regions are a REGION_CELLS × REGION_CELLS image over the axes."""

LABEL_STYLE = {"font-size": "11pt"}
GRID_PEN = pg.mkPen(QColor(60, 60, 60, 55), width=1)
DECISION_PEN_WIDTH = 2.0
SELECTION_SIZE = 20
CLICK_RADIUS_PX = 8.0
MAX_DRAWN_POINTS = 20_000


class FeatureSpacePlot(PaintTimed, pg.PlotWidget):
    """The Frame's samples in the last hidden layer's space, with the output's decision.

    Clicking near a point emits ``sample_clicked`` with its index in the dataset; the
    Frame's selection is drawn ringed. The axes are fixed per frame (the run's ranges, kept
    in the timeline), so the mouse does not pan or zoom.
    """

    sample_clicked = Signal(int)  # index of the sample in the Frame's dataset

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, background="w")
        self.setObjectName("featureSpacePlot")
        self.setAccessibleName("Feature space of the last hidden layer")
        self.setAccessibleDescription(
            "Every sample as the last hidden layer sees it, with the output layer's decision; "
            "click a point to select it."
        )
        remove_export_menu(self)
        self._frame: Frame | None = None
        self._neurons: tuple[int, int] | None = None
        self._space: FeatureSpace | None = None
        self._shown = np.zeros(0, dtype=np.int64)  # dataset index of each point drawn
        self._shown_rows = np.zeros(0, dtype=np.int64)  # and its row in space.points
        self._styles = np.zeros(0, dtype=np.int64)  # 2 × class + is_test of each
        self._sample: tuple[Dataset, np.ndarray] | None = None  # the images drawn, by dataset
        self._colors = CLASS_COLORS
        self._palette = class_rgb()
        plot = self.getPlotItem()
        plot.hideButtons()
        plot.setMenuEnabled(False)
        plot.setMouseEnabled(x=False, y=False)
        self._build_items()
        self.scene().sigMouseClicked.connect(self._on_scene_clicked)

    def _build_items(self) -> None:
        self._regions = _RegionsItem(axisOrder="row-major")
        self._regions.setZValue(-10)
        self.addItem(self._regions, ignoreBounds=True)
        self._grid = pg.PlotCurveItem(pen=GRID_PEN, connect="finite")
        self._grid.setZValue(-6)
        self.addItem(self._grid, ignoreBounds=True)
        self._decision = pg.PlotCurveItem(
            pen=pg.mkPen(FOREGROUND, width=DECISION_PEN_WIDTH), connect="pairs"
        )
        self._decision.setZValue(-5)
        self.addItem(self._decision, ignoreBounds=True)
        self._scatters: dict[tuple[int, bool], pg.ScatterPlotItem] = {}
        self._build_scatters()
        self._legend = pg.LegendItem(labelTextSize="10pt", labelTextColor=FOREGROUND)
        self._legend.setVisible(False)
        self._ring = pg.ScatterPlotItem(
            size=SELECTION_SIZE, pen=pg.mkPen(FOREGROUND, width=2.5), brush=pg.mkBrush(None)
        )
        self._ring.setZValue(20)
        self.addItem(self._ring, ignoreBounds=True)

    def _build_scatters(self) -> None:
        """One scatter item per class and kind (training, test) in the current colours: each
        draws uniform symbols, pyqtgraph's fast path."""
        for item in self._scatters.values():
            self.removeItem(item)
        self._scatters = {}
        for k, color in enumerate(self._colors):
            for is_test in (False, True):
                item = pg.ScatterPlotItem(size=POINT_SIZE, **_point_style(QColor(color), is_test))
                item.setZValue(10 + int(is_test))
                self.addItem(item, ignoreBounds=True)
                self._scatters[k, is_test] = item
        self._shown = self._styles = np.zeros(0, dtype=np.int64)  # every item is new

    def _use_colors(self, colors: tuple[str, ...]) -> None:
        """The classes' colours (the dataset's palette); the digits' get a legend 0–9 in a
        column right of the plot, where it hides no point."""
        if colors == self._colors:
            return
        self._colors, self._palette = colors, class_rgb(colors)
        self._build_scatters()
        self._legend.clear()
        digits = colors != CLASS_COLORS
        if digits:
            for k in range(len(colors)):
                self._legend.addItem(self._scatters[k, False], str(k))
        layout = self.getPlotItem().layout
        if digits and self._legend.scene() is None:
            layout.addItem(self._legend, 2, 3)  # the view box's row, right of the right axis
            # its own height, centred: stretched to the plot's, labels part from their symbols
            self._legend.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
            layout.setAlignment(self._legend, Qt.AlignmentFlag.AlignVCenter)
        elif not digits and self._legend.scene() is not None:
            layout.removeItem(self._legend)  # a hidden item would still take its column
            self.scene().removeItem(self._legend)
        self._legend.setVisible(digits)

    # --- public ------------------------------------------------------------------------------
    @property
    def frame(self) -> Frame | None:
        """The Frame last drawn."""
        return self._frame

    @property
    def space(self) -> FeatureSpace | None:
        """The picture's data last drawn (None before the first frame)."""
        return self._space

    def scatter_points(self) -> tuple[np.ndarray, np.ndarray]:
        """The points the scatter items draw, in view coordinates (n, 2), and the dataset
        index of each (n,), gathered from the items."""
        positions, indices = [np.empty((0, 2))], [np.zeros(0, dtype=np.int64)]
        for item in self._scatters.values():
            x, y = item.getData()
            if len(x):
                positions.append(np.column_stack([x, y]))
                indices.append(np.asarray(item.data["data"], dtype=np.int64))
        order = np.argsort(np.concatenate(indices), kind="stable")
        return np.concatenate(positions)[order], np.concatenate(indices)[order]

    @property
    def sampling_note(self) -> str:
        """Says how many samples are drawn when not all are ("" when all are)."""
        if self._space is None or self._frame is None:
            return ""
        total = len(self._frame.dataset)
        if len(self._shown) == total:
            return ""
        return f" · {len(self._shown):,} of {total:,} samples drawn"

    def set_neurons(self, neurons: tuple[int, int] | None, redraw: bool = True) -> None:
        """Show neurons (i, j) (from 0) on the axes instead of the PCA plane, or the PCA plane
        (None); with fewer than 3 neurons there is no choice. Redraws the current frame
        unless ``redraw`` is False (the caller draws next)."""
        self._neurons = neurons
        if redraw and self._frame is not None:
            self.show_frame(self._frame)

    def show_frame(self, frame: Frame) -> None:
        """Draw ``frame``: its samples, decision and bent grid in its network's feature space."""
        self._frame = frame
        net = frame.snapshot.net
        n = net.layer_sizes[-2]
        neurons = self._neurons if net.depth > 1 and n >= 3 else None
        if neurons is not None and max(neurons) >= n:
            neurons = None
        self._use_colors(class_colors(frame.dataset))
        samples = self._samples_of(frame)
        axes = frame.snapshot.feature_axes
        space = feature_space(net, frame.dataset, axes, neurons, samples)
        self._space = space
        self._draw_axes(space)
        self._draw_decision(space)
        self._grid.setData(*_finite_or_gaps(space.grid_lines))
        self._draw_points(space, frame)
        self._draw_selection(space, frame.selection)

    def _samples_of(self, frame: Frame) -> np.ndarray | None:
        """The images drawn (their stratified sample, and the selected one), or None (all the
        plane's points: the 2-D workspace draws every sample it maps)."""
        dataset = frame.dataset
        if getattr(dataset, "workspace", None) != "digits":
            return None
        if self._sample is None or self._sample[0] is not dataset:
            self._sample = (dataset, stratified_sample(dataset.y))
        sample = self._sample[1]
        selection = frame.selection
        if selection is not None and 0 <= selection < len(dataset):
            sample = np.union1d(sample, [selection])
        return sample

    # --- drawing -----------------------------------------------------------------------------
    def _draw_axes(self, space: FeatureSpace) -> None:
        plot = self.getPlotItem()
        plot.setLabel("bottom", space.x_label, **LABEL_STYLE)
        plot.setLabel("left", space.y_label, **LABEL_STYLE)
        left = plot.getAxis("left")
        if space.kind == ONE:
            classes = round(space.y_range[1] + 0.5)
            left.setTicks([[(k, f"class {k}") for k in range(classes)]])
        else:
            left.setTicks(None)
        plot.setRange(xRange=space.x_range, yRange=space.y_range, padding=0.0)

    def _draw_decision(self, space: FeatureSpace) -> None:
        """The output layer's regions over the axes, and the line(s) between them."""
        xs = cell_centres(space.x_range, REGION_CELLS)
        ys = cell_centres(space.y_range, REGION_CELLS)
        output = unsure_where_undefined(
            decision_probabilities(space, xs, ys).reshape(REGION_CELLS**2, -1)
        ).reshape(REGION_CELLS, REGION_CELLS, -1)
        self._regions.setImage(region_image(output, self._palette), levels=(0, 255))
        (x0, x1), (y0, y1) = space.x_range, space.y_range
        self._regions.setRect(QRectF(x0, y0, x1 - x0, y1 - y0))
        if space.is_binary:
            line = decision_line(space)
            segments = np.empty((0, 4)) if line is None else line.reshape(1, 4)
        else:
            segments = decision_boundaries(output, xs, ys)
        self._decision.setData(segments[:, [0, 2]].ravel(), segments[:, [1, 3]].ravel())

    def _draw_points(self, space: FeatureSpace, frame: Frame) -> None:
        """The points, one scatter item per class and kind. While the dataset and the split
        stay (every frame of training), only the positions change: they are written into
        the items, which is 100× faster than pyqtgraph's setData on thousands of points."""
        rows = drawn_samples(space.points)
        drawn = rows if space.samples is None else space.samples[rows]
        styles = 2 * frame.dataset.y[drawn] + frame.test_mask[drawn]
        if drawn.shape == self._shown.shape and np.array_equal(drawn, self._shown):
            same_styles = np.array_equal(styles, self._styles)
        else:
            same_styles = False
        self._shown, self._shown_rows, self._styles = drawn, rows, styles
        for (k, test), item in self._scatters.items():
            mine = styles == 2 * k + test
            chosen = drawn[mine]
            points = space.points[rows[mine]]
            if same_styles:
                _move_points(item, points)
            else:
                item.setData(x=points[:, 0], y=points[:, 1], data=chosen)

    def _draw_selection(self, space: FeatureSpace, selection: int | None) -> None:
        row = selection
        if selection is not None and space.samples is not None:
            found = np.searchsorted(space.samples, selection)
            in_sample = found < len(space.samples) and space.samples[found] == selection
            row = int(found) if in_sample else None
        if row is None or not 0 <= row < len(space.points):
            self._ring.setData([], [])
            return
        point = space.points[row]
        self._ring.setData(*_finite_or_gaps(point[None]))

    # --- clicks -------------------------------------------------------------------------------
    def _on_scene_clicked(self, event) -> None:
        """A left click near a point selects its sample."""
        if event.button() != Qt.MouseButton.LeftButton or self._space is None:
            return
        view_box = self.getPlotItem().getViewBox()
        if not view_box.sceneBoundingRect().contains(event.scenePos()) or not len(self._shown):
            return
        position = view_box.mapSceneToView(event.scenePos())
        pixel_w, pixel_h = view_box.viewPixelSize()
        points = self._space.points[self._shown_rows]
        distances = np.hypot(
            (points[:, 0] - position.x()) / pixel_w, (points[:, 1] - position.y()) / pixel_h
        )
        nearest = int(np.argmin(distances))
        if distances[nearest] <= CLICK_RADIUS_PX:
            event.accept()
            self.sample_clicked.emit(int(self._shown[nearest]))


def drawn_samples(points: np.ndarray) -> np.ndarray:
    """Indices of the samples drawn: those with finite coordinates, and of a huge dataset
    an evenly spaced MAX_DRAWN_POINTS of them (a scatter of more is a solid blob that takes
    longer to paint than a frame lasts)."""
    finite = np.flatnonzero(np.isfinite(points).all(axis=1))
    step = -(-len(finite) // MAX_DRAWN_POINTS)
    return finite[::step] if step > 1 else finite


def _move_points(item: pg.ScatterPlotItem, points: np.ndarray) -> None:
    """New positions (n, 2) for the n points of ``item``, keeping their symbols: what
    setData does, without rebuilding every spot (pyqtgraph reads the positions in paint)."""
    item.data["x"], item.data["y"] = points[:, 0], points[:, 1]
    item.prepareGeometryChange()
    item.informViewBoundsChanged()
    item.bounds = [None, None]
    item.invalidate()


def _point_style(color: QColor, is_test: bool) -> dict:
    """Pen and brush of a point as on the data plane: filled for training, hollow for test."""
    if is_test:
        return {"pen": pg.mkPen(color.darker(115), width=TEST_PEN_WIDTH), "brush": TEST_FILL}
    return {"pen": pg.mkPen(color.darker(170), width=1), "brush": pg.mkBrush(color)}


def _finite_or_gaps(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """x and y of ``points`` (n, 2), whose non-finite rows pyqtgraph draws as gaps: NaN rows
    stay (they separate lines), infinite ones become NaN."""
    points = np.where(np.isinf(points), np.nan, points)
    return points[:, 0], points[:, 1]


class FeatureSpaceView(QWidget):
    """The feature-space plot with its note and the choice of axes (3 or more neurons: the
    PCA plane, or two neurons chosen by number)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("featureSpaceView")
        self.plot = FeatureSpacePlot()
        self._note = QLabel()
        self._note.setObjectName("featureSpaceNote")
        self._note.setWordWrap(True)
        self._axes_label = QLabel("Axes:")
        self._axes = QComboBox()
        self._axes.setObjectName("featureSpaceAxes")
        self._axes.addItem("PCA plane", PCA)
        self._axes.addItem("Two neurons", NEURONS)
        self._axes.setToolTip("The PCA plane through the data's mean, or two neurons")
        self._first = _neuron_spin("featureSpaceNeuronX")
        self._second = _neuron_spin("featureSpaceNeuronY")
        self._second.setValue(2)
        self._build_layout()
        self._axes.currentIndexChanged.connect(self._on_axes_changed)
        self._first.valueChanged.connect(self._on_axes_changed)
        self._second.valueChanged.connect(self._on_axes_changed)
        self._show_choice(0)

    def _build_layout(self) -> None:
        controls = QHBoxLayout()
        controls.addWidget(self._axes_label)
        controls.addWidget(self._axes)
        controls.addWidget(self._first)
        controls.addWidget(self._second)
        controls.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(controls)
        layout.addWidget(self._note)
        layout.addWidget(self.plot, 1)

    def show_frame(self, frame: Frame) -> None:
        """Draw ``frame`` (the choice of axes applies from 3 neurons on)."""
        net = frame.snapshot.net
        self._show_choice(net.layer_sizes[-2] if net.depth > 1 else 0)
        # the spins may just have been clamped to a narrower layer: the plot follows them
        self.plot.set_neurons(self._chosen_neurons(), redraw=False)
        self.plot.show_frame(frame)
        self._note.setText(self.plot.space.note + self.plot.sampling_note)

    def take_paint_seconds(self) -> float:
        """Seconds the plot painted since the last call (see PaintTimed)."""
        return self.plot.take_paint_seconds()

    def _show_choice(self, neurons: int) -> None:
        """The axes' choice exists with 3 or more neurons; the neuron numbers only for two
        neurons chosen."""
        choosing = neurons >= 3
        self._axes.setVisible(choosing)
        self._axes_label.setVisible(choosing)
        picking = choosing and self._axes.currentData() == NEURONS
        for spin in (self._first, self._second):
            with QSignalBlocker(spin):
                spin.setMaximum(max(neurons, 2))
            spin.setVisible(picking)

    def _chosen_neurons(self) -> tuple[int, int] | None:
        """The two neurons (from 0) the controls choose, or None for the PCA plane."""
        pair = (self._first.value() - 1, self._second.value() - 1)
        return pair if self._axes.currentData() == NEURONS and pair[0] != pair[1] else None

    def _on_axes_changed(self) -> None:
        frame = self.plot.frame
        self._show_choice(frame.snapshot.net.layer_sizes[-2] if frame is not None else 3)
        self.plot.set_neurons(self._chosen_neurons())
        if self.plot.space is not None:
            self._note.setText(self.plot.space.note + self.plot.sampling_note)


def _neuron_spin(name: str) -> QSpinBox:
    spin = QSpinBox()
    spin.setObjectName(name)
    spin.setRange(1, 2)
    spin.setPrefix("a")
    spin.setToolTip("Neuron of the last hidden layer on this axis (from 1)")
    return spin
