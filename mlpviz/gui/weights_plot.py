"""WeightsPlot: every weight matrix W^{[l]} as a heatmap, and a histogram of all weights."""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from pyqtgraph.GraphicsScene.mouseEvents import HoverEvent
from PySide6.QtCore import QRectF, Qt, Slot
from PySide6.QtGui import QFont, QPaintEngine, QPainter
from PySide6.QtWidgets import QWidget

from mlpviz.core.frame import Frame
from mlpviz.core.scales import weight_color_limit
from mlpviz.core.snapshot import Snapshot

from .paint_cost import PaintTimed
from .style import FOREGROUND, diverging_colormap, remove_export_menu

HISTOGRAM_BINS = 41
MAX_MARKED_CELLS = 16  # beyond this, a tick mark per cell would be a solid bar
CELL_LABEL_STEPS = ((8, 1), (16, 4), (32, 8), (math.inf, 16))  # (up to n cells, label every)
TICK_POINT_SIZE = 10
TITLE_SIZE = "11pt"
LABEL_SIZE = "10pt"
# Layout, in pixels: how the heatmaps share the panel and when their labels shrink.
HEATMAP_SHARE = 0.75  # of the height; the histogram gets the rest
COLOR_BAR_SPACE = 70  # the colour bar with its axis
AXES_WIDTH = 30  # a heatmap's left axis …
TITLE_AND_AXIS_HEIGHT = 50  # … and its title and bottom axis
MIN_HEATMAP_WIDTH = 80  # never narrower: the title and axes alone take about this much
MIN_HEATMAP_SIZE = 40  # the minimum the layout is told (see _make_heatmap)
MIN_LABELLED_WIDTH = 165  # below this per heatmap, titles shrink to "W[l]" …
MIN_LABELLED_HEIGHT = 130  # … and the axis labels go
SVG_CELL_PIXELS = 16  # an exported SVG's heatmap: each weight a block of this many pixels


# Colour scale limits grow through these multiples of powers of ten, so the scale reads
# as a round number and changes rarely.
class WeightImage(pg.ImageItem):
    """The heatmap of one W^{[l]}; hovering a cell shows its w_{j,k}."""

    def __init__(self, layer: int) -> None:
        super().__init__(axisOrder="row-major")
        self.layer = layer

    def paint(self, painter: QPainter, *args) -> None:
        """Cells with sharp edges in an SVG too: its viewers smooth a scaled image, so the
        image embedded is the matrix enlarged SVG_CELL_PIXELS times, cell by cell."""
        if painter.paintEngine().type() != QPaintEngine.Type.SVG:
            super().paint(painter, *args)
            return
        pixmap = self.getPixmap()
        if pixmap is None or pixmap.isNull():
            return
        columns, rows = pixmap.width(), pixmap.height()
        cells = pixmap.scaled(
            columns * SVG_CELL_PIXELS,
            rows * SVG_CELL_PIXELS,
            Qt.AspectRatioMode.IgnoreAspectRatio,
            Qt.TransformationMode.FastTransformation,  # nearest neighbour: blocks stay blocks
        )
        painter.drawPixmap(QRectF(0, 0, columns, rows), cells, QRectF(cells.rect()))

    def hoverEvent(self, event: HoverEvent) -> None:
        """Tooltip with the hovered weight, indices from 1 as in the lecture."""
        if event.isExit() or self.image is None:
            self.setToolTip("")
            return
        row, column = int(event.pos().y()), int(event.pos().x())
        n_rows, n_columns = self.image.shape
        if 0 <= row < n_rows and 0 <= column < n_columns:
            value = self.image[row, column]
            self.setToolTip(f"w[{self.layer}] j={row + 1}, k={column + 1}: {value:+.3f}")


class CountAxis(pg.AxisItem):
    """A y axis for counts: fractional ticks (0.2, 0.4 … of a weight) stay unlabelled."""

    def tickStrings(self, values: list[float], scale: float, spacing: float) -> list[str]:
        """Labels for whole numbers only."""
        return [f"{value:.0f}" if float(value).is_integer() else "" for value in values]


class WeightsPlot(PaintTimed, pg.GraphicsLayoutWidget):
    """A diverging heatmap per layer (rows = neurons j, columns = inputs k) and a histogram.

    The colour scale is ±L with L = max(1, the run's largest |w| up to the frame drawn)
    rounded up to a nice number (``weight_color_limit``): it grows within a run, so a colour
    means the same weight over a whole run, and it is the same whether the frame is live or
    scrubbed from the timeline.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        # pyqtgraph binds its layout's clear() on the instance, which would hide ours and
        # wipe the whole layout: drop it so WeightsPlot.clear applies.
        del self.clear
        self.setObjectName("weightsPlot")
        self.setAccessibleName("Weights plot")
        remove_export_menu(self)
        self._colormap = diverging_colormap()
        self._lookup_table = self._colormap.getLookupTable(nPts=256, alpha=False)
        self._limit = 1.0
        self._shapes: tuple[tuple[int, int], ...] = ()
        self._per_row = 1
        self._compact = False
        self.layer_plots: list[pg.PlotItem] = []
        self.images: list[WeightImage] = []
        self.heatmaps = self.addLayout(row=0, col=0)
        self.color_bar = self._add_color_bar()
        self.histogram_plot = self._add_histogram_plot()
        self.histogram = pg.PlotDataItem(stepMode="center", fillLevel=0, pen=pg.mkPen(FOREGROUND))
        self.histogram_plot.addItem(self.histogram)
        self.ci.layout.setRowStretchFactor(0, round(100 * HEATMAP_SHARE))
        self.ci.layout.setRowStretchFactor(1, round(100 * (1 - HEATMAP_SHARE)))
        self._apply_limit()
        self.sigDeviceRangeChanged.connect(self._on_view_resized)

    # --- construction -----------------------------------------------------------------
    def _add_color_bar(self) -> pg.ColorBarItem:
        bar = pg.ColorBarItem(
            values=(-self._limit, self._limit),
            colorMap=self._colormap,
            interactive=False,
            width=14,
            colorMapMenu=False,
        )
        bar.getAxis("right").setStyle(tickFont=_tick_font())
        self.addItem(bar, row=0, col=1)
        return bar

    def _add_histogram_plot(self) -> pg.PlotItem:
        plot = self.addPlot(row=1, col=0, colspan=2, axisItems={"left": CountAxis("left")})
        plot.setLabel("bottom", "w  (all layers)", **{"font-size": LABEL_SIZE})
        plot.setLabel("left", "count", **{"font-size": LABEL_SIZE})
        _style_axes(plot)
        plot.setMouseEnabled(x=False, y=False)
        plot.setMenuEnabled(False)
        plot.hideButtons()
        plot.enableAutoRange(x=False, y=True)
        plot.setDefaultPadding(0.0)
        return plot

    def _rebuild_heatmaps(self, shapes: tuple[tuple[int, int], ...]) -> None:
        """One heatmap plot per layer (a new architecture)."""
        self.heatmaps.clear()
        made = [self._make_heatmap(index + 1, shape) for index, shape in enumerate(shapes)]
        self.layer_plots = [plot for plot, _ in made]
        self.images = [image for _, image in made]
        self._shapes = shapes
        self._per_row = 0  # forces the first arrangement
        self._arrange_heatmaps()

    def _arrange_heatmaps(self) -> None:
        """Grid the heatmaps so that each gets as much room as the panel's shape allows.

        A wide panel puts them in one row, a tall one stacks them; items are only moved.
        """
        per_row = self._best_per_row()
        if per_row != self._per_row:
            self._per_row = per_row
            self.heatmaps.clear()
            for index, plot in enumerate(self.layer_plots):
                row, column = divmod(index, per_row)
                self.heatmaps.addItem(plot, row=row, col=column)
            self._compact = self._is_cramped()
            self._label_heatmaps()
        elif self._is_cramped() != self._compact:
            self._compact = not self._compact
            self._label_heatmaps()

    def _best_per_row(self) -> int:
        """Heatmaps per row maximising the smaller side of the cells' area; fewer rows on a tie."""
        count = len(self.layer_plots)
        width, height = self._heatmap_area()

        def smaller_side(per_row: int) -> float:
            cells_width = width / per_row - AXES_WIDTH
            cells_height = height / math.ceil(count / per_row) - TITLE_AND_AXIS_HEIGHT
            return min(cells_width, cells_height)

        fitting = [n for n in range(1, count + 1) if width / n >= MIN_HEATMAP_WIDTH] or [1]
        return max(fitting, key=lambda per_row: (smaller_side(per_row), per_row))

    def _heatmap_area(self) -> tuple[float, float]:
        return max(1.0, self.width() - COLOR_BAR_SPACE), max(1.0, self.height() * HEATMAP_SHARE)

    def _is_cramped(self) -> bool:
        """Whether full titles and axis labels would squeeze the heatmaps too much."""
        if not self.layer_plots:
            return False
        width, height = self._heatmap_area()
        rows = math.ceil(len(self.layer_plots) / self._per_row)
        return width / self._per_row < MIN_LABELLED_WIDTH or height / rows < MIN_LABELLED_HEIGHT

    def _label_heatmaps(self) -> None:
        """Titles and axis labels; when cramped, just "W[l]" and no axis labels."""
        for index, (plot, (n_out, n_in)) in enumerate(zip(self.layer_plots, self._shapes)):
            size = "" if self._compact else f"  ({n_out}×{n_in})"
            plot.setTitle(f"W[{index + 1}]{size}", size=TITLE_SIZE)
            first_in_row = index % self._per_row == 0
            plot.setLabel("bottom", "input k", **{"font-size": LABEL_SIZE})
            plot.setLabel("left", "neuron j", **{"font-size": LABEL_SIZE})
            plot.showLabel("bottom", not self._compact)
            plot.showLabel("left", first_in_row and not self._compact)

    @Slot()
    def _on_view_resized(self) -> None:
        if self.layer_plots:
            self._arrange_heatmaps()

    def _make_heatmap(self, layer: int, shape: tuple[int, int]) -> tuple[pg.PlotItem, WeightImage]:
        n_out, n_in = shape
        plot = pg.PlotItem()
        # pyqtgraph updates axis widths only when painting, so the minimum size the layout
        # computes lags behind a re-arrangement and the grid could overflow the panel; a
        # fixed small minimum keeps it inside (the arrangement leaves room for the axes).
        plot.setMinimumSize(MIN_HEATMAP_SIZE, MIN_HEATMAP_SIZE)
        _style_axes(plot)
        _set_cell_ticks(plot.getAxis("bottom"), n_in)
        _set_cell_ticks(plot.getAxis("left"), n_out)
        plot.invertY(True)  # neuron 1 at the top, as W is written
        plot.setMouseEnabled(x=False, y=False)
        plot.setMenuEnabled(False)
        plot.hideButtons()
        plot.setRange(xRange=(0, n_in), yRange=(0, n_out), padding=0)
        image = WeightImage(layer)
        image.setLookupTable(self._lookup_table)
        image.setImage(np.zeros(shape, dtype=np.float32), levels=self._levels())
        image.setRect(QRectF(0, 0, n_in, n_out))  # unit cells: column k, row j
        plot.addItem(image)
        return plot, image

    # --- drawing ----------------------------------------------------------------------
    def show_snapshot(self, snapshot: Snapshot) -> None:
        """Draw the weights of ``snapshot.net``; items are rebuilt only for a new architecture."""
        weights = snapshot.net.weights
        shapes = tuple(W.shape for W in weights)
        if shapes != self._shapes:
            self._rebuild_heatmaps(shapes)
        all_weights = snapshot.net.all_weights()
        self._set_limit(weight_color_limit(snapshot.largest_weight))
        for image, W in zip(self.images, weights):
            data = np.ascontiguousarray(W, dtype=np.float32)
            image.setImage(data, autoLevels=False, levels=self._levels())
        self._show_histogram(all_weights)

    def _show_histogram(self, all_weights: np.ndarray) -> None:
        edges = np.linspace(-self._limit, self._limit, HISTOGRAM_BINS + 1)
        counts, _ = np.histogram(all_weights, bins=edges)
        self.histogram.setData(edges, counts)

    def show_frame(self, frame: Frame) -> None:
        """Draw the weights of the frame's network."""
        self.show_snapshot(frame.snapshot)

    def _set_limit(self, limit: float) -> None:
        if limit != self._limit:
            self._limit = limit
            self._apply_limit()

    def _apply_limit(self) -> None:
        """Give the colour bar, the histogram and the heatmaps the scale ±limit."""
        self.color_bar.setLevels(self._levels())
        self.histogram_plot.setXRange(-self._limit, self._limit, padding=0.0)
        brush = self._colormap.getBrush(span=self._levels(), orientation="horizontal")
        self.histogram.setBrush(brush)
        for image in self.images:
            image.setLevels(self._levels())

    def _levels(self) -> tuple[float, float]:
        """The colour levels (−limit, +limit), symmetric so that white is w = 0."""
        return (-self._limit, self._limit)

    @property
    def limit(self) -> float:
        """The colour scale runs from −limit to +limit."""
        return self._limit

    def clear(self) -> None:
        """Remove the heatmaps and histogram and reset the colour scale."""
        self.heatmaps.clear()
        self.layer_plots, self.images = [], []
        self._shapes = ()
        self.histogram.setData([], [])
        self._set_limit(1.0)


def _tick_font() -> QFont:
    font = QFont()
    font.setPointSize(TICK_POINT_SIZE)
    return font


def _style_axes(plot: pg.PlotItem) -> None:
    for name in ("left", "bottom"):
        plot.getAxis(name).setStyle(tickFont=_tick_font())


def _set_cell_ticks(axis: pg.AxisItem, n_cells: int) -> None:
    """Ticks at cell centres, numbered from 1 as in the lecture.

    The first and last cells are always labelled; a few round numbers between (every cell
    up to 8, every 4th up to 16, then every 8th or 16th) form a second level, whose labels
    pyqtgraph drops by itself when they would not fit; small layers get a mark per cell.
    """
    step = next(step for limit, step in CELL_LABEL_STEPS if n_cells <= limit)
    ends = sorted({1, n_cells})
    between = [c for c in range(step, n_cells, step) if c not in ends]
    unlabelled = [c for c in range(2, n_cells) if c % step] if n_cells <= MAX_MARKED_CELLS else []
    levels = [ends, between]
    axis.setTicks(
        [[(c - 0.5, str(c)) for c in level] for level in levels]
        + [[(c - 0.5, "") for c in unlabelled]]
    )
    # Let the end labels of a wide matrix overhang the axis rather than vanish.
    axis.setStyle(hideOverlappingLabels=False)
