"""BackpropInspector: the chain rule with real numbers, for the selected sample and the batch.

For the point selected with Ctrl+click it shows, in the lecture's notation, the forward pass
(z^[l], a^[l], ŷ, L), the backward pass (∂L/∂ŷ, every δ^[l], ∂L/∂W^[l] = δ^[l] a^[l−1]ᵀ,
∂L/∂b^[l]) and then, for the batch of the next update, the averaged ∂J/∂W^[l], ∂J/∂b^[l] and
the change the next Step applies. Everything comes from the Frame (its network, data and the
trainer's state), so a checkpoint of the timeline shows that checkpoint's numbers.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QSignalBlocker, Qt, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from mlpviz.core.backprop import (
    Trace,
    Update,
    gradient_check_sampled,
    next_batch,
    next_update,
    trace,
)
from mlpviz.core.config import TrainingConfig
from mlpviz.core.frame import Frame
from mlpviz.gui.inspector_sheet import FULL_ENTRIES, Column, Page, Sheet, note
from mlpviz.gui.style import ACTIVATION_LABELS

HINT = "Ctrl+click a point to follow it through the network."
REBUILDING = "The network is being rebuilt for the new number of classes."
LIVE_BATCH_WORK = 2e7  # batch size × parameters averaged on every frame while playing
MAX_BATCH_WORK = 5e8  # beyond this the batch is not averaged at all (seconds of work)
CHECK_WORK = 2e9  # multiply-adds the gradient check may take (about a second)
MIN_CHECKED = 2  # parameters per layer the gradient check takes at least
SUPERSCRIPT_PT = 8  # the layer numbers [l]: Qt's own <sup> is too small to read
GOOD_CHECK = 1e-5  # relative error below which backprop agrees with finite differences


def _layer(name: str, layer: int) -> str:
    """``name`` with the lecture's layer superscript, as rich text: W^[2]."""
    return (
        f'{name}<span style="vertical-align: super; font-size: {SUPERSCRIPT_PT}pt">[{layer}]</span>'
    )


class BackpropInspector(QWidget):
    """The selected sample's forward and backward pass, and the next Step's update.

    ``trace``, ``next_step`` and ``cells`` are what it shows; ``gradient_errors`` the last
    gradient check's relative error per layer.
    """

    selection_requested = Signal(object)  # None: the user cleared the selection

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("backpropInspector")
        self.setAccessibleName("Backprop inspector")
        self._trace: Trace | None = None
        self._next_step: Update | None = None
        self._cells: dict[str, str] = {}
        self.gradient_errors: list[float] = []
        self._plain_text = ""
        self._frame: Frame | None = None
        self._stale = False
        self._build()

    def _build(self) -> None:
        self._neuron = QSpinBox(objectName="inspectorNeuron")
        self._neuron.setRange(1, 4096)
        self._neuron.setPrefix("neuron ")
        self._neuron.setToolTip(
            f"Layers of more than {FULL_ENTRIES} neurons show this neuron's numbers and norms"
        )
        self._neuron.valueChanged.connect(self._render)
        clear = QPushButton("Clear selection", objectName="clearSelectionButton")
        clear.clicked.connect(lambda: self.selection_requested.emit(None))
        top = QHBoxLayout()
        top.addWidget(self._neuron)
        top.addStretch(1)
        top.addWidget(clear)
        # What changes at every frame besides the numbers lives outside the sheet: a new
        # text there would lay the whole sheet out again.
        self._summary = QLabel(objectName="backpropSummary")
        self._summary.setWordWrap(True)
        self.sheet = Sheet()
        self.sheet.setObjectName("backpropSheet")
        check = QPushButton("Gradient check", objectName="gradientCheckButton")
        check.setToolTip(
            "Compare backpropagation with central finite differences (ε = 1e-6) on the "
            "next Step's batch: the relative error of each layer"
        )
        check.clicked.connect(self.run_gradient_check)
        self._check_result = QLabel(objectName="gradientCheckResult")
        self._check_result.setWordWrap(True)
        self._check_result.setTextInteractionFlags(Qt.TextSelectableByMouse)
        bottom = QHBoxLayout()
        bottom.addWidget(check, 0, Qt.AlignTop)
        bottom.addWidget(self._check_result, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(top)
        layout.addWidget(self._summary)
        layout.addWidget(self.sheet, 1)
        layout.addLayout(bottom)

    # --- what it shows (brought up to date when read) -----------------------------------------
    @property
    def trace(self) -> Trace | None:
        """The selected sample's Trace shown, for the frame's network; None without one."""
        self.catch_up()
        return self._trace

    @property
    def next_step(self) -> Update | None:
        """The next Step's Update on its batch, as shown; None when not shown."""
        self.catch_up()
        return self._next_step

    @property
    def cells(self) -> dict[str, str]:
        """The text of every number shown, by key (see ``Page``)."""
        self.catch_up()
        return self._cells

    def text(self) -> str:
        """What the inspector shows, as plain text."""
        self.catch_up()
        return self._plain_text

    # --- drawing a frame --------------------------------------------------------------------
    def show_frame(self, frame: Frame) -> None:
        """Show ``frame``'s numbers. A hidden inspector (closed, or a tab behind another) does
        no work: it catches up when shown or read."""
        self._frame = frame
        self._stale = True
        if not (self.isHidden() or self.visibleRegion().isEmpty()):
            self.catch_up()

    def catch_up(self, visible: bool = True) -> None:
        """Draw the last frame given, if not drawn yet; for the dock's ``visibilityChanged``,
        only when ``visible``."""
        if visible and self._stale:
            self._render()

    def showEvent(self, event: QShowEvent) -> None:
        """Catch up with the frames skipped while hidden."""
        super().showEvent(event)
        self.catch_up()

    def _render(self) -> None:
        self._stale = False
        frame = self._frame
        if frame is None:
            return
        net = frame.snapshot.net
        self._follow_layer_sizes(net.layer_sizes)
        page = Page(self._neuron.value())
        summary = f"Iteration {frame.snapshot.iteration:,}"
        if frame.dataset.n_classes == net.n_classes:
            self._trace = self._sample_sections(page, frame)
            self._next_step, batch = self._batch_sections(page, frame)
            summary += f" · the next Step on a {batch}" if batch else ""
        else:  # a new class was just added: the worker is building the new network
            page.line(note(REBUILDING))
            self._trace = self._next_step = None
        self._summary.setText(summary)
        self._cells, self._plain_text = page.cells, f"{summary}\n{page.plain_text()}"
        self.sheet.show_page(page)

    def _follow_layer_sizes(self, sizes: tuple[int, ...]) -> None:
        """The neuron box exists for layers too large to show whole, and fits the largest."""
        largest = max(sizes)
        with QSignalBlocker(self._neuron):
            self._neuron.setMaximum(largest)
        self._neuron.setVisible(largest > FULL_ENTRIES)

    # --- the selected sample ----------------------------------------------------------------
    def _sample_sections(self, page: Page, frame: Frame) -> Trace | None:
        index = frame.selection
        if index is None or index >= len(frame.dataset):
            page.line(note(HINT))
            return None
        net = frame.snapshot.net
        x, label = frame.dataset.X[index], int(frame.dataset.y[index])
        t = trace(net, x, label)
        kind = "test point" if frame.test_mask[index] else "training point"
        onehot = "" if net.layer_sizes[-1] == 1 else " (one-hot)"
        page.heading(f"Point {index + 1}: {kind}, class y = {label}{onehot}")
        page.line(f"x = {_layer('a', 0)} = ", *page.vector("x", "x", t.x))
        self._forward(page, net.activations, t)
        self._backward(page, t)
        return t

    @staticmethod
    def _forward(page: Page, activations: tuple[str, ...], t: Trace) -> None:
        page.heading("Forward pass")
        depth = t.depth
        for layer in range(1, depth + 1):
            z, a = _layer("z", layer), _layer("a", layer)
            W, b, previous = _layer("W", layer), _layer("b", layer), _layer("a", layer - 1)
            if layer < depth:
                g = ACTIVATION_LABELS[activations[layer - 1]]
                title, output = f"Layer {layer}", f"{a} = {g}({z})"
            else:
                g = "σ" if len(t.a[-1]) == 1 else "softmax"
                title, output = "Output layer", f"ŷ = {a} = {g}({z})"
            page.line(f"<b>{title}</b>: {z} = {W}{previous} + {b}, &nbsp;{output}")
            page.layer_table(
                [
                    Column(f"{z}<sub>j</sub>", f"z[{layer}]", f"z^[{layer}]", t.z[layer - 1]),
                    Column(f"{a}<sub>j</sub>", f"a[{layer}]", f"a^[{layer}]", t.a[layer - 1]),
                ]
            )
        loss = "−[y log ŷ + (1−y) log(1−ŷ)]" if len(t.a[-1]) == 1 else "−log ŷ<sub>y</sub>"
        page.line(f"L(ŷ, y) = {loss} = ", page.number("L", t.loss, "L(ŷ, y)"))

    @staticmethod
    def _backward(page: Page, t: Trace) -> None:
        depth = t.depth
        binary = len(t.a[-1]) == 1
        page.heading("Backward pass", "the chain rule, from the output back")
        dyhat = "−y/ŷ + (1−y)/(1−ŷ)" if binary else "−y<sub>k</sub>/ŷ<sub>k</sub>"
        page.line(f"∂L/∂ŷ = {dyhat} = ", *page.vector("dyhat", "∂L/∂ŷ", t.dyhat))
        for layer in range(depth, 0, -1):
            delta, W = _layer("δ", layer), _layer("W", layer)
            if layer == depth:
                formula = f"{delta} = ∂L/∂{_layer('z', layer)} = ŷ − y"
            else:
                after = f"{_layer('W', layer + 1)}ᵀ{_layer('δ', layer + 1)}"
                formula = f"{delta} = ({after}) ⊙ g′({_layer('z', layer)})"
            page.line(
                f"{formula}, &nbsp;∂L/∂{W} = {delta}{_layer('a', layer - 1)}ᵀ, "
                f"&nbsp;∂L/∂{_layer('b', layer)} = {delta}"
            )
            page.layer_table(
                [
                    Column(
                        f"{delta}<sub>j</sub>",
                        f"delta[{layer}]",
                        f"δ^[{layer}]",
                        t.delta[layer - 1],
                    ),
                    Column(f"∂L/∂{W}", f"dW[{layer}]", f"∂L/∂W^[{layer}]", t.dW[layer - 1]),
                ],
                aliases={f"db[{layer}]": f"delta[{layer}]"},
            )

    # --- the next Step's batch --------------------------------------------------------------
    def _batch_sections(self, page: Page, frame: Frame) -> tuple[Update | None, str]:
        """The next Step's sections, its Update (None when not shown) and its batch, in words."""
        snapshot = frame.snapshot
        training, indices = snapshot.training, batch_of(frame)
        if training is None or indices is None:
            page.line(note("No batch to train on yet."))
            return None, ""
        batch = _batch_note(frame, indices)
        work = len(indices) * snapshot.net.parameter_count
        if work > MAX_BATCH_WORK or (snapshot.running and work > LIVE_BATCH_WORK):
            when = "too large to average here" if work > MAX_BATCH_WORK else "shown when paused"
            page.line(note(f"The next Step's batch of {len(indices):,} samples: {when}."))
            return None, batch
        X, y = frame.dataset.X[indices], frame.dataset.y[indices]
        update = next_update(snapshot.net, training, snapshot.trainer.optimizer, X, y)
        page.heading("The next Step", "on its batch, named above")
        self._averages(page, update, training.l2)
        page.heading("Its update", _update_rule(training))
        for layer in range(1, len(update.dW) + 1):
            W, b = _layer("W", layer), _layer("b", layer)
            page.line(f"Layer {layer}: Δ{W} = {W}<sub>new</sub> − {W}, &nbsp;Δ{b} likewise")
            page.layer_table(_b_and_W("Δ", "step", layer, update.step_b, update.step_W))
        return update, batch

    @staticmethod
    def _averages(page: Page, update: Update, l2: float) -> None:
        penalty = " + ½λ Σ‖W‖²" if l2 else ""
        page.line(f"J = (1/m) Σ L{penalty} = ", page.number("J", update.loss, "J"))
        for layer in range(1, len(update.dW) + 1):
            W = _layer("W", layer)
            l2_term = f", &nbsp;and the L2 term λ{W} (λ = {l2:g})" if l2 else ""
            page.line(f"Layer {layer}: ∂J/∂{W} = (1/m) Σ ∂L/∂{W}{l2_term}")
            page.layer_table(_b_and_W("∂J/∂", "dJd", layer, update.db, update.dW))
            if l2:
                L2 = Column(f"λ{W}", f"l2[{layer}]", f"λW^[{layer}]", update.l2_dW[layer - 1])
                page.layer_table([L2])

    # --- the gradient check -----------------------------------------------------------------
    def run_gradient_check(self) -> None:
        """Backprop against finite differences on the next Step's batch, shown per layer."""
        frame = self._frame
        indices = None if frame is None else batch_of(frame)
        if frame is None or indices is None:
            self._check_result.setText("No batch to check.")
            return
        net, training = frame.snapshot.net, frame.snapshot.training
        X, y = frame.dataset.X[indices], frame.dataset.y[indices]
        per_layer = _checked_per_layer(net.parameter_count, net.depth, len(indices))
        QApplication.setOverrideCursor(Qt.WaitCursor)
        try:
            errors = gradient_check_sampled(net, X, y, training.l2, per_layer=per_layer)
        finally:
            QApplication.restoreOverrideCursor()
        self.gradient_errors = errors
        self._check_result.setText(
            _check_text(errors, frame.snapshot.iteration, len(indices), per_layer)
        )


def _b_and_W(
    name: str, key: str, layer: int, b: list[np.ndarray], W: list[np.ndarray]
) -> list[Column]:
    """Layer ``layer``'s columns of a quantity of b (j) and of W (row j), such as Δb and ΔW:
    ``name`` is its HTML prefix (Δ, ∂J/∂), ``key`` its prefix in the cells' keys."""
    W_html, b_html = _layer("W", layer), _layer("b", layer)
    return [
        Column(
            f"{name}{b_html}<sub>j</sub>", f"{key}b[{layer}]", f"{name}b^[{layer}]", b[layer - 1]
        ),
        Column(f"{name}{W_html}", f"{key}W[{layer}]", f"{name}W^[{layer}]", W[layer - 1]),
    ]


def batch_of(frame: Frame) -> np.ndarray | None:
    """Dataset indices of the batch the next Step takes from ``frame``'s state, or None when
    there is none (no training point, no trainer state, data still being updated)."""
    snapshot = frame.snapshot
    if snapshot.trainer is None or snapshot.training is None:
        return None
    if frame.dataset.n_classes != snapshot.net.n_classes:  # the network is being rebuilt
        return None
    train = np.flatnonzero(~frame.test_mask)
    if len(train) == 0:
        return None
    try:
        rows = next_batch(snapshot.trainer, len(train), snapshot.training.batch_size)
    except ValueError:  # the trainer has not taken the edited data yet
        return None
    return train[rows]


def _update_rule(training: TrainingConfig) -> str:
    """The optimiser's rule in the lecture's notation, with its settings."""
    gradient = "(∂J/∂W + λW)" if training.l2 else "∂J/∂W"
    alpha = f"α = {training.learning_rate:g}"
    if training.optimizer == "momentum":
        return f"v := μv + {gradient}; &nbsp;W := W − α v, &nbsp;{alpha}, μ = {training.momentum:g}"
    if training.optimizer == "adam":
        return f"Adam: W := W − α m̂ / (√v̂ + ε), moments of {gradient}, &nbsp;{alpha}"
    return f"W := W − α {gradient}, &nbsp;{alpha}"


def _batch_note(frame: Frame, indices: np.ndarray) -> str:
    train_count = int(np.count_nonzero(~frame.test_mask))
    if len(indices) == train_count:
        kind = f"full batch: all m = {train_count:,} training points"
    else:
        kind = f"mini-batch of m = {len(indices):,} of the {train_count:,} training points"
    selection = frame.selection
    if selection is None:
        return kind
    inside = "in" if np.any(indices == selection) else "not in"
    return f"{kind}; the selected point is {inside} it"


def _checked_per_layer(parameters: int, depth: int, batch: int) -> int | None:
    """How many parameters per layer the gradient check can afford: each costs two passes
    over the batch. None: all of them."""
    affordable = int(CHECK_WORK // (2 * batch * parameters))
    return None if affordable >= parameters else max(MIN_CHECKED, affordable // depth)


def _check_text(errors: list[float], iteration: int, batch: int, per_layer: int | None) -> str:
    errors_text = ", ".join(f"{e:.1e}" for e in errors)
    sampled = "" if per_layer is None else f", {per_layer} parameters a layer"
    worst = max(errors, default=0.0)
    verdict = "backprop agrees." if worst < GOOD_CHECK else "backprop disagrees!"
    return (
        f"Iteration {iteration:,}, batch of {batch:,}{sampled}: relative error per layer "
        f"{errors_text} — {verdict}"
    )
