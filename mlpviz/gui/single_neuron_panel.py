"""SingleNeuronPanel: the lecture's first model, ŷ = σ(wᵀx + b), with its numbers and curve.

Every sample sits on the sigmoid at its own z = wᵀx + b, coloured by class: as gradient
descent runs, the two classes slide apart to either side of z = 0, where ŷ = 0.5 and the
sample lies on the line w₁x₁ + w₂x₂ + b = 0 of the data plane. The panel applies to a
network without hidden layer on two classes; for any other it hides (it is shown in place,
under the network diagram, where a single neuron leaves room).
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QSizePolicy, QVBoxLayout, QWidget

from mlpviz.core.activations import sigmoid
from mlpviz.core.frame import Frame
from mlpviz.core.network import MLP

from .data_plane import POINT_SIZE, TEST_FILL, TEST_PEN_WIDTH
from .style import CLASS_COLORS, FOREGROUND, remove_export_menu

MIN_Z_RANGE = 6.0  # the z axis shows at least [−6, 6], where σ goes from 0.0025 to 0.9975
Z_MARGIN = 1.08
CURVE_POINTS = 241
LABEL_STYLE = {"font-size": "10pt"}


def applies_to(net: MLP) -> bool:
    """Whether ``net`` is the lecture's single neuron: no hidden layer, one sigmoid output."""
    return net.depth == 1 and net.layer_sizes[-1] == 1


def neuron_inputs(net: MLP, X: np.ndarray) -> np.ndarray:
    """z = wᵀx + b (m,) of the single neuron ``net`` for every sample of ``X: (m, 2)``."""
    return np.asarray(X, dtype=np.float64) @ net.weights[0][0] + net.biases[0][0]


class SingleNeuronPanel(QWidget):
    """w₁, w₂, b and J of a single neuron, and the samples on its sigmoid at their z."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("singleNeuronPanel")
        self.setAccessibleName("Single neuron")
        self.values_label = QLabel()
        self.values_label.setObjectName("singleNeuronValues")
        self.values_label.setTextFormat(Qt.TextFormat.RichText)
        self.values_label.setWordWrap(True)
        self.values_label.setToolTip(
            "The neuron's parameters, changed by every step w := w − α ∂J/∂w, "
            "b := b − α ∂J/∂b, and the cost J on the training set."
        )
        self.plot = self._build_plot()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 2, 4, 2)
        layout.setSpacing(2)
        layout.addWidget(self.values_label)
        layout.addWidget(self.plot, 1)
        self._z = np.empty(0)

    def _build_plot(self) -> pg.PlotWidget:
        plot = pg.PlotWidget()
        plot.setObjectName("sigmoidPlot")
        remove_export_menu(plot)
        plot.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        plot.setMinimumHeight(100)
        item = plot.getPlotItem()
        item.setMenuEnabled(False)
        item.hideButtons()
        item.setMouseEnabled(x=False, y=False)
        item.setLabel("bottom", "z = wᵀx + b", **LABEL_STYLE)
        item.setLabel("left", "ŷ = σ(z)", **LABEL_STYLE)
        item.setYRange(-0.05, 1.05, padding=0)
        item.getAxis("left").setTicks([[(0, "0"), (0.5, "0.5"), (1, "1")]])
        guide = pg.mkPen("#9A9A9A", width=1, style=Qt.PenStyle.DotLine)
        for angle, position in ((90, 0.0), (0, 0.5)):
            item.addItem(pg.InfiniteLine(position, angle=angle, pen=guide), ignoreBounds=True)
        self.curve = item.plot(pen=pg.mkPen(FOREGROUND, width=2))
        self.scatters = self._add_scatters(item)
        return plot

    @staticmethod
    def _add_scatters(item: pg.PlotItem) -> dict[tuple[int, bool], pg.ScatterPlotItem]:
        """One scatter per class and set (training filled, test hollow), as on the data plane."""
        scatters = {}
        for label in (0, 1):
            color = pg.mkColor(CLASS_COLORS[label])
            for test in (False, True):
                pen = pg.mkPen(
                    color.darker(115 if test else 170), width=TEST_PEN_WIDTH if test else 1
                )
                brush = pg.mkBrush(TEST_FILL if test else color)
                scatter = pg.ScatterPlotItem(size=POINT_SIZE, pen=pen, brush=brush)
                item.addItem(scatter)
                scatters[(label, test)] = scatter
        return scatters

    @property
    def z_values(self) -> np.ndarray:
        """z = wᵀx + b of every sample of the frame drawn, in the dataset's order."""
        return self._z

    def show_frame(self, frame: Frame) -> None:
        """Draw the frame's single neuron, or hide when its network is not one."""
        net = frame.snapshot.net
        applies = applies_to(net)
        if self.isHidden() == applies:
            self.setVisible(applies)
        if not applies:
            return
        self._show_values(net, frame.snapshot.train_loss)
        self._z = z = neuron_inputs(net, frame.dataset.X)
        finite = z[np.isfinite(z)]
        reach = max(MIN_Z_RANGE, Z_MARGIN * float(np.abs(finite).max(initial=0.0)))
        curve_z = np.linspace(-reach, reach, CURVE_POINTS)
        self.curve.setData(curve_z, sigmoid(curve_z))
        self.plot.getPlotItem().setXRange(-reach, reach, padding=0)
        labels, test = frame.dataset.y, frame.test_mask
        for (label, is_test), scatter in self.scatters.items():
            chosen = (labels == label) & (test == is_test)
            scatter.setData(z[chosen], sigmoid(z[chosen]))

    def _show_values(self, net: MLP, loss: float) -> None:
        (w1, w2), b = net.weights[0][0], net.biases[0][0]
        cost = "—" if math.isnan(loss) else f"{loss:.4g}"
        self.values_label.setText(
            "ŷ = σ(z), z = w₁x₁ + w₂x₂ + b<br>"
            f"w₁ = <b>{w1:.4g}</b>&nbsp;&nbsp; w₂ = <b>{w2:.4g}</b>&nbsp;&nbsp; b = <b>{b:.4g}</b>"
            f"&nbsp;&nbsp; J = <b>{cost}</b>"
        )
