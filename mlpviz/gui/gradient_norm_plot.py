"""GradientNormPlot: ‖∂J/∂W^[l]‖ and ‖W^[l]‖ of every layer against the iteration, log scale.

The norms come from the run's checkpoints (the timeline records them with every state), so
the plot shows the whole run whatever the frame, with a marker at the frame's iteration. With
many sigmoid layers the first layers' gradients lie orders of magnitude below the last
layers': the vanishing gradient, at a glance.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QShowEvent
from PySide6.QtWidgets import QGraphicsItem, QWidget

from mlpviz.core.frame import Frame
from mlpviz.core.timeline import NormHistory

from .loss_plot import CostAxis, IterationAxis
from .paint_cost import PaintTimed
from .style import FOREGROUND, remove_export_menu

LABEL_SIZE = "11pt"
TICK_POINT_SIZE = 10
GRADIENT_WIDTH = 2.0
WEIGHT_WIDTH = 1.5
COLORMAP_SPAN = (0.0, 0.85)  # viridis without its last, palest yellows (white background)


def layer_colors(count: int) -> list[tuple[int, int, int]]:
    """One colour per layer, dark purple (layer 1) to green-yellow (the output layer), so the
    order of the curves reads as the order of the layers."""
    colormap = pg.colormap.get("viridis")
    positions = np.linspace(*COLORMAP_SPAN, max(count, 2))[:count]
    return [tuple(int(c) for c in colormap.map(p, mode="byte")[:3]) for p in positions]


class GradientNormPlot(PaintTimed, pg.PlotWidget):
    """Per layer l, ‖∂J/∂W^[l]‖ (solid, named [l] in the legend, [L] out for the output
    layer) and ‖W^[l]‖ (dotted, same colour) at every checkpoint of the run, on a
    logarithmic axis."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, axisItems={"bottom": IterationAxis(), "left": CostAxis()})
        self.setObjectName("gradientNormPlot")
        self.setAccessibleName("Gradient and weight norms")
        remove_export_menu(self)
        self.gradient_curves: list[pg.PlotDataItem] = []
        self.weight_curves: list[pg.PlotDataItem] = []
        self._norms: NormHistory | None = None
        self._frame: Frame | None = None
        plot = self.getPlotItem()
        plot.setLogMode(y=True)
        plot.showGrid(x=True, y=True, alpha=0.15)
        plot.setMenuEnabled(enableMenu=False, enableViewBoxMenu=True)
        plot.setLabel("bottom", "iteration", **{"font-size": LABEL_SIZE})
        plot.setLabel(
            "left",
            "‖∂J/∂W<sup>[l]</sup>‖ solid · ‖W<sup>[l]</sup>‖ dotted",
            **{"font-size": LABEL_SIZE},
        )
        tick_font = QFont()
        tick_font.setPointSize(TICK_POINT_SIZE)
        for name in ("left", "bottom"):
            plot.getAxis(name).setStyle(tickFont=tick_font)
            plot.getAxis(name).setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.legend = plot.addLegend(
            offset=(-8, 4),
            labelTextSize="9pt",
            brush=pg.mkBrush(255, 255, 255, 170),
            colCount=1,
        )
        pen = pg.mkPen(FOREGROUND, width=1.5, style=Qt.PenStyle.DashLine)
        self.marker = pg.InfiniteLine(angle=90, movable=False, pen=pen)
        self.marker.setVisible(False)
        plot.addItem(self.marker, ignoreBounds=True)

    def show_frame(self, frame: Frame) -> None:
        """Draw the norms the frame's run has recorded, and mark the frame's iteration.

        Hidden (its tab behind the loss plot, say), it only keeps the frame, drawn when
        shown: a view nobody sees takes no time from the frames that are seen.
        """
        self._frame = frame
        if self.isVisible():
            self._draw_frame(frame)

    def showEvent(self, event: QShowEvent) -> None:
        """Draw the frame kept while hidden."""
        super().showEvent(event)
        if self._frame is not None:
            self._draw_frame(self._frame)

    def _draw_frame(self, frame: Frame) -> None:
        norms = frame.snapshot.norms
        if norms is not self._norms:
            self._norms = norms
            self._draw_norms(norms)
        self.marker.setPos(frame.snapshot.iteration)
        self.marker.setVisible(len(norms.checkpoints) > 0)

    def _draw_norms(self, norms: NormHistory) -> None:
        layers = norms.weight_norms.shape[1]
        if layers != len(self.gradient_curves):
            self._make_curves(layers)
        x = norms.iterations.astype(np.float64)
        for layer in range(layers):
            self.gradient_curves[layer].setData(x, _positive(norms.gradient_norms[:, layer]))
            self.weight_curves[layer].setData(x, _positive(norms.weight_norms[:, layer]))

    def _make_curves(self, layers: int) -> None:
        """A pair of curves and a legend entry per layer (the network changed)."""
        plot = self.getPlotItem()
        for curve in self.gradient_curves + self.weight_curves:
            plot.removeItem(curve)
        self.legend.clear()
        self.gradient_curves, self.weight_curves = [], []
        for layer, color in enumerate(layer_colors(layers), start=1):
            # short names: the legend then covers only a strip at the right edge
            name = f"[{layer}] out" if layer == layers else f"[{layer}]"
            solid = pg.mkPen(color, width=GRADIENT_WIDTH)
            dotted = pg.mkPen(color, width=WEIGHT_WIDTH, style=Qt.PenStyle.DotLine)
            self.gradient_curves.append(plot.plot(pen=solid, name=name, connect="finite"))
            self.weight_curves.append(plot.plot(pen=dotted, connect="finite"))


def _positive(values: np.ndarray) -> np.ndarray:
    """``values`` with NaN where a logarithm is undefined (a gradient exactly 0, say)."""
    return np.where(values > 0, values, np.nan)
