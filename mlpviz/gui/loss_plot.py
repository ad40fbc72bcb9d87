"""LossPlot: the cost J and the accuracy against iteration, for the training and test sets."""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPoint, QSizeF, Qt, Slot
from PySide6.QtGui import QFont, QFontMetricsF
from PySide6.QtWidgets import QCheckBox, QGraphicsItem, QGraphicsWidget, QWidget

from mlpviz.core.frame import Frame
from mlpviz.core.snapshot import Snapshot

from .paint_cost import PaintTimed
from .style import FOREGROUND, remove_export_menu

TRAIN_COLOR = "#1F3F7A"  # dark blue
TEST_COLOR = "#E07000"  # orange
CHANCE_COLOR = "#8C8C8C"
TICK_POINT_SIZE = 10
LABEL_SIZE = "11pt"
CURVE_WIDTH = 2
READOUT_SIZE = "10pt"
COMPACT_HEIGHT = 230  # px: below, the accuracy plot is hidden (the labels would overlap)
MAX_POINTS_WITH_MARKERS = 40
MARKER_SIZE = 5
AXIS_GAPS = 18  # pixels: tick marks, text offset and margins beside the y axis labels
MIN_WIDTH_FOR_FULL_CHANCE_LABEL = 480  # pixels


class IterationAxis(pg.AxisItem):
    """An x axis that writes large iteration counts as 250k or 1.5M instead of 1e+06."""

    def __init__(self, orientation: str = "bottom") -> None:
        super().__init__(orientation)
        self.enableAutoSIPrefix(False)

    def tickStrings(self, values: list[float], scale: float, spacing: float) -> list[str]:
        """Labels at whole, non-negative iterations only: there is no iteration 0.4 or −1."""
        return [short_count(value) if _is_whole(value) and value >= 0 else "" for value in values]


class CostAxis(pg.AxisItem):
    """A y axis for J: no SI prefix, and in log mode only 1, 2, 5 × 10ⁿ are labelled."""

    def __init__(self, orientation: str = "left") -> None:
        super().__init__(orientation)
        self.enableAutoSIPrefix(False)

    def logTickStrings(self, values: list[float], scale: float, spacing: float) -> list[str]:
        """pyqtgraph labels every minor log tick; keep the ones that stay readable."""
        strings = super().logTickStrings(values, scale, spacing)
        wanted = _labelled_mantissas(self._pixels_per_decade())
        return [s if _mantissa(v) in wanted else "" for s, v in zip(strings, values)]

    def _pixels_per_decade(self) -> float:
        decades = abs(self.range[1] - self.range[0]) or 1.0
        return self.geometry().height() / decades


def _left_axis_width(tick_font: QFont) -> int:
    """The y axes' width: the widest tick label, the rotated axis label and the gaps."""
    label_font = QFont()
    label_font.setPointSizeF(float(LABEL_SIZE.removesuffix("pt")))
    ticks = QFontMetricsF(tick_font).horizontalAdvance("100%")
    return math.ceil(ticks + QFontMetricsF(label_font).height() + AXIS_GAPS)


def _labelled_mantissas(pixels_per_decade: float) -> tuple[int, ...]:
    if pixels_per_decade >= 90:
        return (1, 2, 5)
    if pixels_per_decade >= 45:
        return (1, 3)
    return (1,)


def _mantissa(log_value: float) -> int:
    """The leading digit of 10**log_value: 0.3 → 2 (10^0.3 ≈ 1.995)."""
    fraction = log_value - math.floor(log_value)
    return round(10**fraction) % 10 or 1


def _is_whole(value: float) -> bool:
    """Whether a tick value is an integer, allowing for the float error of tick spacing."""
    return abs(value - round(value)) <= 1e-9 * max(1.0, abs(value))


def short_count(value: float) -> str:
    """``1500000 → "1.5M"``, ``250000 → "250k"``, ``1200 → "1200"``."""
    if abs(value) >= 1e6:
        return f"{value / 1e6:.4g}M"
    if abs(value) >= 1e4:
        return f"{value / 1e3:.4g}k"
    return f"{value:.0f}"


class ReadoutLabel(pg.LabelItem):
    """A one-line label that never widens the layout: on a narrow panel its end is cut."""

    def __init__(self, **options) -> None:
        super().__init__(**options)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemClipsChildrenToShape)

    def updateMin(self) -> None:
        """LabelItem asks for its whole text's width; ask for none."""
        super().updateMin()
        self.setMinimumWidth(0)


class LossPlot(PaintTimed, pg.GraphicsLayoutWidget):
    """Train and test cost J (top) and accuracy in % (bottom) against iteration.

    ``show_snapshot`` draws a snapshot's history; NaN entries (not measured) are skipped.
    The x range follows training until the user zooms or pans (pyqtgraph's "A" button
    brings the following back). A line of the newest values heads the plots, so an
    exported image says where the run ended.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        # pyqtgraph binds its layout's clear() on the instance, which would hide ours and
        # wipe the whole layout: drop it so LossPlot.clear applies.
        del self.clear
        self.setObjectName("lossPlot")
        self.setAccessibleName("Loss plot")
        self.setAntialiasing(True)
        remove_export_menu(self)
        self.readout = ReadoutLabel(justify="left", size=READOUT_SIZE)
        self.addItem(self.readout, row=0, col=0)
        self.log_check = self._add_log_check()
        self._log_check_slot = self._add_log_check_slot()
        self._log_check_slot.geometryChanged.connect(self._on_log_check_slot_moved)
        self.cost_plot = self._add_plot(1, "cost J", CostAxis())
        self.accuracy_plot = self._add_plot(2, "accuracy", pg.AxisItem("left"))
        self.ci.layout.setRowStretchFactor(1, 3)
        self.ci.layout.setRowStretchFactor(2, 1)
        self._configure_accuracy_plot()
        self.legend = self.cost_plot.addLegend(
            offset=(-8, 4), labelTextSize="10pt", brush=pg.mkBrush(255, 255, 255, 200)
        )
        self.train_cost_curve = self._add_curve(self.cost_plot, "train", "train J")
        self.test_cost_curve = self._add_curve(self.cost_plot, "test", "test J")
        self.train_accuracy_curve = self._add_curve(self.accuracy_plot, "train")
        self.test_accuracy_curve = self._add_curve(self.accuracy_plot, "test")
        self.chance_line = self._add_chance_line()
        self.markers = [self._add_marker(plot) for plot in (self.cost_plot, self.accuracy_plot)]
        self._n_classes = 0
        self._accuracy_format = "{:.0f}%"
        self.sigDeviceRangeChanged.connect(self._on_view_resized)
        self.clear()

    # --- construction -----------------------------------------------------------------
    def _add_log_check(self) -> QCheckBox:
        """The "log J" box, floating over the top-right corner (not part of exports)."""
        check = QCheckBox("log J", self)
        check.setObjectName("lossLogCheck")
        check.setToolTip("Logarithmic cost axis: shows progress once J is small")
        # The plots are white whatever the desktop theme: keep the box readable on them.
        check.setStyleSheet(
            "QCheckBox { color: #222222; background: rgba(255, 255, 255, 220); padding: 1px 4px; }"
        )
        check.adjustSize()
        check.toggled.connect(self._on_log_check_toggled)
        return check

    def _add_log_check_slot(self) -> QGraphicsWidget:
        """Room beside the readout where the log box floats, so the readout stops before it."""
        slot = QGraphicsWidget()
        size = QSizeF(self.log_check.width() + 6, self.log_check.height() + 4)
        slot.setMinimumSize(size)
        slot.setMaximumSize(size)
        self.addItem(slot, row=0, col=1)
        return slot

    def _add_plot(self, row: int, y_label: str, left_axis: pg.AxisItem) -> pg.PlotItem:
        axes = {"bottom": IterationAxis(), "left": left_axis}
        plot = self.addPlot(row=row, col=0, colspan=2, axisItems=axes)
        plot.setDownsampling(auto=True, mode="peak")
        plot.setAutoVisible(y=True)  # after a zoom on x, y fits the visible part
        plot.setClipToView(True)
        plot.showGrid(x=True, y=True, alpha=0.15)
        # Plot options (FFT, derivative, …) would only confuse; keep the view menu.
        plot.setMenuEnabled(enableMenu=False, enableViewBoxMenu=True)
        plot.setLabel("left", y_label, **{"font-size": LABEL_SIZE})
        tick_font = QFont()
        tick_font.setPointSize(TICK_POINT_SIZE)
        for name in ("left", "bottom"):
            plot.getAxis(name).setStyle(tickFont=tick_font)
            # Blitted from a pixmap while its range is unchanged instead of re-rendered.
            plot.getAxis(name).setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        # The same width in both plots keeps the x axes aligned; room for "100%" beside the
        # rotated label, which would otherwise run into it.
        plot.getAxis("left").setWidth(_left_axis_width(tick_font))
        return plot

    def _configure_accuracy_plot(self) -> None:
        plot = self.accuracy_plot
        plot.setXLink(self.cost_plot)
        plot.setLabel("bottom", "iteration", **{"font-size": LABEL_SIZE})
        plot.enableAutoRange(x=False, y=False)  # x follows the cost plot through the link
        plot.setYRange(0, 100, padding=0.1)
        plot.setMouseEnabled(x=True, y=False)
        plot.hideButtons()
        # A y grid would make pyqtgraph clip the "100%" label at the top edge.
        plot.showGrid(x=True, y=False)
        ticks = [(0, "0%"), (50, "50%"), (100, "100%")]
        plot.getAxis("left").setTicks([ticks, [(25, ""), (75, "")]])

    @staticmethod
    def _add_curve(plot: pg.PlotItem, data_set: str, name: str | None = None) -> pg.PlotDataItem:
        """An empty curve for ``data_set`` "train" (solid, blue) or "test" (dashed, orange)."""
        if data_set == "train":
            pen = pg.mkPen(TRAIN_COLOR, width=CURVE_WIDTH)
        else:
            pen = pg.mkPen(TEST_COLOR, width=CURVE_WIDTH, style=Qt.PenStyle.DashLine)
        return plot.plot([], [], pen=pen, name=name, connect="finite", antialias=True)

    @staticmethod
    def _add_marker(plot: pg.PlotItem) -> pg.InfiniteLine:
        """The vertical line at the iteration viewed on the timeline."""
        pen = pg.mkPen(FOREGROUND, width=1.5, style=Qt.PenStyle.DashLine)
        marker = pg.InfiniteLine(angle=90, movable=False, pen=pen)
        marker.setVisible(False)
        plot.addItem(marker, ignoreBounds=True)
        return marker

    def _add_chance_line(self) -> pg.InfiniteLine:
        pen = pg.mkPen(CHANCE_COLOR, width=1, style=Qt.PenStyle.DotLine)
        line = pg.InfiniteLine(
            angle=0,
            movable=False,
            pen=pen,
            label="",
            labelOpts={"position": 0.1, "color": CHANCE_COLOR, "anchors": [(0, 0), (0, 0)]},
        )
        line.setZValue(-10)  # behind the curves
        self.cost_plot.addItem(line, ignoreBounds=True)
        return line

    # --- drawing ----------------------------------------------------------------------
    def show_snapshot(self, snapshot: Snapshot) -> None:
        """Draw ``snapshot.history`` and the chance level log K of its network."""
        history = snapshot.history
        iterations = history.iteration.astype(np.float64)
        self._set_curve(self.train_cost_curve, iterations, history.train_loss)
        has_test = self._set_curve(self.test_cost_curve, iterations, history.test_loss)
        self._set_curve(self.train_accuracy_curve, iterations, 100.0 * history.train_accuracy)
        self._set_curve(self.test_accuracy_curve, iterations, 100.0 * history.test_accuracy)
        self._show_test_in_legend(has_test)
        self._show_chance_level(snapshot.net.n_classes)
        self._set_readout(_readout_html(snapshot, self._accuracy_format))

    def show_frame(self, frame: Frame) -> None:
        """Draw the run's whole record; a past frame gets a vertical marker at its iteration.
        The digits' accuracies are read to a tenth of a percent (96.4 %, where a percent is
        the difference between two networks), the plane's to a percent."""
        digits = getattr(frame.dataset, "workspace", None) == "digits"
        self._accuracy_format = "{:.1f}%" if digits else "{:.0f}%"
        self.show_snapshot(frame.snapshot)
        self.show_readout(frame)

    def show_readout(self, frame: Frame) -> None:
        """Only the line of newest values: cheap, so it keeps up with every frame while the
        curves are redrawn a few times a second."""
        self._set_readout(_readout_html(frame.snapshot, self._accuracy_format))
        for marker in self.markers:
            # Moving even a hidden marker repaints the curves around it (5 ms a frame while
            # playing): a live frame, which hides it, leaves it where it is.
            if not frame.is_live:
                marker.setPos(frame.snapshot.iteration)
            marker.setVisible(not frame.is_live)

    def _set_readout(self, html: str) -> None:
        # A new text lays the label out and repaints it: none when the text is the same
        # (a frame sets it twice: with the curves and with the line of newest values).
        if html != self.readout.text:
            self.readout.setText(html, color=FOREGROUND)

    @staticmethod
    def _set_curve(curve: pg.PlotDataItem, x: np.ndarray, y: np.ndarray) -> bool:
        """Plot the measured (finite) points of ``y``; returns whether there were any.

        A short run also gets a dot per point: each Step shows, and so does iteration 0,
        which a line alone could not draw.
        """
        measured = np.isfinite(y)
        few = int(measured.sum()) <= MAX_POINTS_WITH_MARKERS
        if few != (curve.opts["symbol"] is not None):
            color = curve.opts["pen"].color()
            curve.setSymbol("o" if few else None)
            curve.setSymbolSize(MARKER_SIZE)
            curve.setSymbolPen(color)
            curve.setSymbolBrush(color)
        curve.setData(x[measured], y[measured])
        return bool(measured.any())

    def _show_test_in_legend(self, has_test: bool) -> None:
        listed = self.legend.getLabel(self.test_cost_curve) is not None
        if has_test and not listed:
            self.legend.addItem(self.test_cost_curve, "test J")
        elif listed and not has_test:
            self.legend.removeItem(self.test_cost_curve)

    def _show_chance_level(self, n_classes: int) -> None:
        """A dotted line at J = log K: what guessing uniformly at random costs."""
        self.chance_line.setVisible(True)  # first: a hidden label ignores text changes
        if n_classes != self._n_classes:
            self._n_classes = n_classes
            self._label_chance_line()
            self._place_chance_line()

    def _label_chance_line(self) -> None:
        """The full label, or a short one where it would run into the legend."""
        k = self._n_classes
        wide = self.width() >= MIN_WIDTH_FOR_FULL_CHANCE_LABEL
        self.chance_line.label.setFormat(
            f"log {k} (chance, {k} classes)" if wide else f"log {k} (chance)"
        )

    @Slot()
    @Slot()
    def _on_log_check_slot_moved(self) -> None:
        corner = self.mapFromScene(self._log_check_slot.sceneBoundingRect().topLeft())
        self.log_check.move(corner + QPoint(0, 2))

    @Slot()
    def _on_view_resized(self) -> None:
        """Keep the chance label fitting the width; a short plot (a small window) shows J
        only: two plots in under COMPACT_HEIGHT pixels crowd their labels into each other
        (the readout still gives the accuracy)."""
        if self._n_classes:
            self._label_chance_line()
        compact = self.height() < COMPACT_HEIGHT
        if self.accuracy_plot.isVisible() == compact:
            self.accuracy_plot.setVisible(not compact)
            self.ci.layout.setRowStretchFactor(2, 0 if compact else 1)

    def _place_chance_line(self) -> None:
        """Put the line at J = log K, in log₁₀ units when the axis is logarithmic."""
        if self._n_classes < 2:  # no snapshot yet
            return
        level = math.log(self._n_classes)
        self.chance_line.setPos(math.log10(level) if self.log_scale else level)

    def clear(self) -> None:
        """Empty both plots (the network was re-initialised) and follow new data again."""
        for curve in (
            self.train_cost_curve,
            self.test_cost_curve,
            self.train_accuracy_curve,
            self.test_accuracy_curve,
        ):
            curve.setData([], [])
        self._show_test_in_legend(False)
        self.chance_line.setVisible(False)
        self._set_readout("no training yet")
        self.cost_plot.enableAutoRange()

    # --- log scale --------------------------------------------------------------------
    @property
    def log_scale(self) -> bool:
        """Whether the cost axis is logarithmic."""
        return self.cost_plot.ctrl.logYCheck.isChecked()

    def set_log_scale(self, on: bool) -> None:
        """Make the cost axis logarithmic (``True``) or linear."""
        self.log_check.setChecked(on)  # its toggled signal applies the change

    @Slot(bool)
    def _on_log_check_toggled(self, on: bool) -> None:
        self.cost_plot.setLogMode(y=on)
        self._place_chance_line()


def _readout_html(snapshot: Snapshot, accuracy_format: str) -> str:
    """The newest values, train in the train colour and test in the test colour."""
    # Short words: the line must fit a 400 px dock beside the "log J" box.
    parts = [f"it <b>{snapshot.iteration:,}</b>"]
    parts.append("J " + _pair_html(snapshot.train_loss, snapshot.test_loss, "{:.3g}"))
    if math.isfinite(snapshot.train_accuracy):
        accuracy = _pair_html(
            100 * snapshot.train_accuracy, 100 * snapshot.test_accuracy, accuracy_format
        )
        parts.append("acc " + accuracy)
    return "&nbsp;&nbsp;".join(parts)


def _pair_html(train: float, test: float, number_format: str) -> str:
    """``train`` and, when measured, ``test``, each in its curve's colour."""
    shown = number_format.format(train) if math.isfinite(train) else "–"
    html = f'<b style="color:{TRAIN_COLOR}">{shown}</b>'
    if math.isfinite(test):
        html += f' <b style="color:{TEST_COLOR}">{number_format.format(test)}</b>'
    return html
