"""BackpropInspector: the chain rule with real numbers, for the selected sample and the batch.

For the point selected with Ctrl+click it shows, in the lecture's notation, the forward pass
(z^[l], a^[l], ŷ, L), the backward pass (∂L/∂ŷ, every δ^[l], ∂L/∂W^[l] = δ^[l] a^[l−1]ᵀ,
∂L/∂b^[l]) and then, for the batch of the next update, the averaged ∂J/∂W^[l], ∂J/∂b^[l] and
the change the next Step applies. Everything comes from the Frame (its network, data and the
trainer's state), so a checkpoint of the timeline shows that checkpoint's numbers.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field

import numpy as np
from PySide6.QtCore import QSignalBlocker, Qt, QUrl, Signal
from PySide6.QtGui import QCursor, QShowEvent
from PySide6.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QTextBrowser,
    QToolTip,
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
from mlpviz.core.frame import Frame
from mlpviz.gui.style import ACTIVATION_LABELS

HINT = "Ctrl+click a point to follow it through the network."
FULL_ENTRIES = 6  # vectors and matrix sides up to this size are shown whole
LIVE_BATCH_WORK = 2e7  # batch size × parameters averaged on every frame while playing
MAX_BATCH_WORK = 5e8  # beyond this the batch is not averaged at all (seconds of work)
CHECK_WORK = 1e9  # parameters² × batch size: the gradient check takes every parameter
CHECK_PER_LAYER = 40  # parameters per layer it checks on a larger network or batch
GOOD_CHECK = 1e-5  # relative error below which backprop agrees with finite differences
OPTIMIZER_RULES = {
    "sgd": "W := W − α ∂J/∂W",
    "momentum": "v := μv + ∂J/∂W;  W := W − α v",
    "adam": "Adam: W := W − α m̂ / (√v̂ + ε)",
}
STYLE = """
a { color: #1f1f1f; text-decoration: none; }
h4 { margin-top: 10px; margin-bottom: 3px; }
p.line { margin-top: 2px; margin-bottom: 2px; }
table.layer { margin-left: 10px; margin-top: 1px; margin-bottom: 6px; border-collapse: collapse; }
th { color: #555; font-weight: normal; padding: 1px 7px; border-bottom: 1px solid #bbb; }
td { padding: 1px 7px; text-align: right; white-space: nowrap; }
td.j { color: #888; }
span.note { color: #666; font-weight: normal; }
"""
_SUBSCRIPTS = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


def format_number(value: float) -> str:
    """A number as the inspector shows it: 4 significant digits, a true minus sign."""
    return f"{value:.4g}".replace("-", "−")


def _layer(name: str, layer: int) -> str:
    """``name`` with the lecture's layer superscript, as HTML: W^[2]."""
    return f"{name}<sup>[{layer}]</sup>"


@dataclass(frozen=True)
class _Column:
    """A column of a layer's table: a vector (n_l,) or a matrix (n_l, n_{l−1}) whose row j
    belongs to neuron j. ``key`` names its numbers in ``_Page.cells``, ``symbol`` in the
    tooltips (plain text), ``header`` in the table (HTML)."""

    header: str
    key: str
    symbol: str
    values: np.ndarray


@dataclass
class _Page:
    """The HTML of one frame, with the name and full value behind every number shown.

    ``cells`` maps a key such as ``z[1]_2`` (layer 1, neuron 2) or ``dW[2]_1,3`` (row 1,
    column 3) to the text shown; ``tooltips`` maps the same keys to what hovering says.
    A layer of more than FULL_ENTRIES neurons shows neuron ``focus`` and the norms.
    """

    focus: int
    parts: list[str] = field(default_factory=list)
    cells: dict[str, str] = field(default_factory=dict)
    tooltips: dict[str, str] = field(default_factory=dict)

    def number(self, key: str, value: float, meaning: str) -> str:
        """One number, as a link whose hover names it."""
        text = format_number(value)
        self.cells[key] = text
        self.tooltips[key] = f"{meaning} = {value:.10g}"
        return f'<a href="#{html.escape(key)}">{text}</a>'

    def vector(self, key: str, symbol: str, values: np.ndarray) -> str:
        """A short vector inline, [v₁, …]ᵀ (a long one: the focus entry and the norm)."""
        if len(values) > FULL_ENTRIES:
            j = min(self.focus, len(values))
            entry = self.number(f"{key}_{j}", values[j - 1], f"{symbol}{_sub(j)}")
            norm = self.number(f"‖{key}‖", float(np.linalg.norm(values)), f"‖{symbol}‖")
            return f"entry {j}: {entry}, ‖·‖ = {norm}"
        entries = (
            self.number(f"{key}_{i}", v, f"{symbol}{_sub(i)}")
            for i, v in enumerate(values.tolist(), start=1)
        )
        return "[" + ", ".join(entries) + "]ᵀ"

    def heading(self, title: str, note: str = "") -> None:
        """A section's title, with a note in grey."""
        note_html = f' <span class="note">{note}</span>' if note else ""
        self.parts.append(f"<h4>{title}{note_html}</h4>")

    def line(self, text: str) -> None:
        """A line of text: a formula, a value."""
        self.parts.append(f'<p class="line">{text}</p>')

    def layer_table(self, columns: list[_Column], aliases: dict[str, str] | None = None) -> None:
        """One row per neuron j (only the focus neuron and a row of norms for a large
        layer); ``aliases`` gives other keys the same numbers go by (∂L/∂b^[l] is δ^[l])."""
        n = len(columns[0].values)
        neurons = range(1, n + 1) if n <= FULL_ENTRIES else [min(self.focus, n)]
        rows = ["<tr><th>j</th>" + "".join(self._header(c) for c in columns) + "</tr>"]
        for j in neurons:
            cells = "".join(self._cells(c, j) for c in columns)
            rows.append(f'<tr><td class="j">{j}</td>{cells}</tr>')
        if n > FULL_ENTRIES:
            norms = "".join(self._norm(c) for c in columns)
            rows.append(f'<tr><td class="j">‖·‖</td>{norms}</tr>')
        self.parts.append(f'<table class="layer" cellspacing="0">{"".join(rows)}</table>')
        for alias, key in (aliases or {}).items():
            for name in [k for k in self.cells if k.startswith(f"{key}_")]:
                self.cells[alias + name[len(key) :]] = self.cells[name]

    def _header(self, column: _Column) -> str:
        if column.values.ndim == 1:
            return f"<th>{column.header}</th>"
        width = column.values.shape[1]
        if width > FULL_ENTRIES:  # the focus entry and the row's norm
            return f'<th colspan="2">{column.header} (entry {min(self.focus, width)}, ‖row‖)</th>'
        return f'<th colspan="{width}">{column.header}</th>'

    def _cells(self, column: _Column, j: int) -> str:
        key, symbol = column.key, column.symbol
        if column.values.ndim == 1:
            return f"<td>{self.number(f'{key}_{j}', column.values[j - 1], symbol + _sub(j))}</td>"
        row = column.values[j - 1]
        if len(row) > FULL_ENTRIES:
            k = min(self.focus, len(row))
            entry = self.number(f"{key}_{j},{k}", row[k - 1], symbol + _sub(j, k))
            norm = self.number(f"‖{key}_{j}‖", float(np.linalg.norm(row)), f"‖{symbol} row {j}‖")
            return f"<td>{entry}</td><td>{norm}</td>"
        return "".join(
            f"<td>{self.number(f'{key}_{j},{k}', v, symbol + _sub(j, k))}</td>"
            for k, v in enumerate(row.tolist(), start=1)
        )

    def _norm(self, column: _Column) -> str:
        norm = self.number(
            f"‖{column.key}‖", float(np.linalg.norm(column.values)), f"‖{column.symbol}‖"
        )
        width = 1 if column.values.ndim == 1 else min(column.values.shape[1], FULL_ENTRIES + 1)
        return f'<td colspan="{width}">{norm}</td>'

    def html(self) -> str:
        """The whole page."""
        return f"<html><body>{''.join(self.parts)}</body></html>"


def _sub(*indices: int) -> str:
    """Subscript indices: ₁ or ₂,₃."""
    return ",".join(str(i) for i in indices).translate(_SUBSCRIPTS)


class BackpropInspector(QWidget):
    """The selected sample's forward and backward pass, and the next Step's update.

    ``trace`` is the Trace shown (None without a selection), ``update`` the next Step's Update
    on its batch (None when not shown), ``cells`` the text of every number shown by key (see
    ``_Page``) and ``gradient_errors`` the last gradient check's relative error per layer.
    """

    selection_requested = Signal(object)  # None: the user cleared the selection

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("backpropInspector")
        self.setAccessibleName("Backprop inspector")
        self.trace: Trace | None = None
        self.update: Update | None = None
        self.cells: dict[str, str] = {}
        self.gradient_errors: list[float] = []
        self._tooltips: dict[str, str] = {}
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
        self._text = QTextBrowser(objectName="backpropText")
        self._text.setOpenLinks(False)
        self._text.document().setDefaultStyleSheet(STYLE)
        self._text.highlighted.connect(self._on_number_hovered)
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
        layout.addWidget(self._text, 1)
        layout.addLayout(bottom)

    # --- drawing a frame --------------------------------------------------------------------
    def show_frame(self, frame: Frame) -> None:
        """Show ``frame``'s numbers; a hidden inspector does no work while training runs."""
        self._frame = frame
        if self._hidden() and frame.snapshot.running:
            self._stale = True
            return
        self._render()

    def _hidden(self) -> bool:
        """Whether nothing of the inspector shows (closed, or a tab behind another)."""
        return not self.isVisible() or self.visibleRegion().isEmpty()

    def showEvent(self, event: QShowEvent) -> None:
        """Catch up with the frames skipped while hidden."""
        super().showEvent(event)
        if self._stale:
            self._render()

    def text(self) -> str:
        """What the inspector shows, as plain text."""
        return self._text.toPlainText()

    def _render(self) -> None:
        self._stale = False
        frame = self._frame
        if frame is None:
            return
        self._follow_layer_sizes(frame.snapshot.net.layer_sizes)
        page = _Page(self._neuron.value())
        self.trace = self._sample_sections(page, frame)
        self.update = self._batch_sections(page, frame)
        self.cells, self._tooltips = page.cells, page.tooltips
        scroll = self._text.verticalScrollBar()
        position = scroll.value()  # a new page scrolls to the top; the reader stays put
        self._text.setHtml(page.html())
        scroll.setValue(position)

    def _follow_layer_sizes(self, sizes: tuple[int, ...]) -> None:
        """The neuron box exists for layers too large to show whole, and fits the largest."""
        largest = max(sizes)
        with QSignalBlocker(self._neuron):
            self._neuron.setMaximum(largest)
        self._neuron.setVisible(largest > FULL_ENTRIES)

    def _on_number_hovered(self, link: QUrl) -> None:
        tooltip = self._tooltips.get(link.fragment())
        if tooltip:
            QToolTip.showText(QCursor.pos(), tooltip, self._text)
        else:
            QToolTip.hideText()

    # --- the selected sample ----------------------------------------------------------------
    def _sample_sections(self, page: _Page, frame: Frame) -> Trace | None:
        index = frame.selection
        if index is None or index >= len(frame.dataset):
            page.line(f'<span class="note">{HINT}</span>')
            return None
        net = frame.snapshot.net
        x, label = frame.dataset.X[index], int(frame.dataset.y[index])
        t = trace(net, x, label)
        kind = "test point" if frame.test_mask[index] else "training point"
        onehot = "" if net.layer_sizes[-1] == 1 else " (one-hot)"
        page.heading(
            f"Point {index + 1}: {kind}, class y = {label}{onehot}",
            f"iteration {frame.snapshot.iteration:,}",
        )
        page.line(f"x = {_layer('a', 0)} = {page.vector('x', 'x', t.x)}")
        self._forward(page, net.activations, t)
        self._backward(page, t)
        return t

    @staticmethod
    def _forward(page: _Page, activations: tuple[str, ...], t: Trace) -> None:
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
                    _Column(f"{z}<sub>j</sub>", f"z[{layer}]", f"z^[{layer}]", t.z[layer - 1]),
                    _Column(f"{a}<sub>j</sub>", f"a[{layer}]", f"a^[{layer}]", t.a[layer - 1]),
                ]
            )
        loss = "−[y log ŷ + (1−y) log(1−ŷ)]" if len(t.a[-1]) == 1 else "−log ŷ<sub>y</sub>"
        page.line(f"L(ŷ, y) = {loss} = <b>{page.number('L', t.loss, 'L(ŷ, y)')}</b>")

    @staticmethod
    def _backward(page: _Page, t: Trace) -> None:
        depth = t.depth
        binary = len(t.a[-1]) == 1
        page.heading("Backward pass", "the chain rule, from the output back")
        dyhat = "−y/ŷ + (1−y)/(1−ŷ)" if binary else "−y<sub>k</sub>/ŷ<sub>k</sub>"
        page.line(f"∂L/∂ŷ = {dyhat} = {page.vector('dyhat', '∂L/∂ŷ', t.dyhat)}")
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
                    _Column(
                        f"{delta}<sub>j</sub> = ∂L/∂b<sub>j</sub>",
                        f"delta[{layer}]",
                        f"δ^[{layer}]",
                        t.delta[layer - 1],
                    ),
                    _Column(f"∂L/∂{W}, row j", f"dW[{layer}]", f"∂L/∂W^[{layer}]", t.dW[layer - 1]),
                ],
                aliases={f"db[{layer}]": f"delta[{layer}]"},
            )

    # --- the next Step's batch --------------------------------------------------------------
    def _batch_sections(self, page: _Page, frame: Frame) -> Update | None:
        snapshot = frame.snapshot
        training, indices = snapshot.training, batch_of(frame)
        if training is None or indices is None:
            page.line('<span class="note">No batch to train on yet.</span>')
            return None
        work = len(indices) * snapshot.net.parameter_count
        if work > MAX_BATCH_WORK or (snapshot.running and work > LIVE_BATCH_WORK):
            when = "too large to average here" if work > MAX_BATCH_WORK else "shown when paused"
            page.line(f'<span class="note">The batch of {len(indices):,} samples: {when}.</span>')
            return None
        X, y = frame.dataset.X[indices], frame.dataset.y[indices]
        update = next_update(snapshot.net, training, snapshot.trainer.optimizer, X, y)
        page.heading(
            f"The next Step (iteration {snapshot.iteration + 1:,})",
            _batch_note(frame, indices, training.batch_size),
        )
        self._averages(page, update, training.l2)
        rule = OPTIMIZER_RULES[training.optimizer]
        page.heading("Its update", f"{rule}, &nbsp;α = {training.learning_rate:g}")
        for layer in range(1, len(update.dW) + 1):
            W, b = _layer("W", layer), _layer("b", layer)
            page.line(f"Layer {layer}: Δ{W} = {W}<sub>new</sub> − {W}, &nbsp;Δ{b} likewise")
            page.layer_table(
                [
                    _Column(
                        f"Δ{b}<sub>j</sub>",
                        f"stepb[{layer}]",
                        f"Δb^[{layer}]",
                        update.step_b[layer - 1],
                    ),
                    _Column(
                        f"Δ{W}, row j", f"stepW[{layer}]", f"ΔW^[{layer}]", update.step_W[layer - 1]
                    ),
                ]
            )
        return update

    @staticmethod
    def _averages(page: _Page, update: Update, l2: float) -> None:
        penalty = " + ½λ Σ‖W‖²" if l2 else ""
        page.line(f"J = (1/m) Σ L{penalty} = <b>{page.number('J', update.loss, 'J')}</b>")
        for layer in range(1, len(update.dW) + 1):
            W, b = _layer("W", layer), _layer("b", layer)
            columns = [
                _Column(
                    f"∂J/∂{b}<sub>j</sub>",
                    f"dJdb[{layer}]",
                    f"∂J/∂b^[{layer}]",
                    update.db[layer - 1],
                ),
                _Column(
                    f"∂J/∂{W}, row j", f"dJdW[{layer}]", f"∂J/∂W^[{layer}]", update.dW[layer - 1]
                ),
            ]
            l2_term = ""
            if l2:
                columns.append(
                    _Column(
                        f"λ{W}, row j", f"l2[{layer}]", f"λW^[{layer}]", update.l2_dW[layer - 1]
                    )
                )
                l2_term = f" &nbsp;(the L2 term λ{W}, λ = {l2:g}, is added to it)"
            page.line(f"Layer {layer}: ∂J/∂{W} = (1/m) Σ ∂L/∂{W}{l2_term}")
            page.layer_table(columns)

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
        # Two passes over the batch per parameter: a large network checks a sample of them.
        whole = net.parameter_count**2 * len(indices) <= CHECK_WORK
        QApplication.setOverrideCursor(Qt.WaitCursor)
        try:
            errors = gradient_check_sampled(
                net, X, y, training.l2, per_layer=None if whole else CHECK_PER_LAYER
            )
        finally:
            QApplication.restoreOverrideCursor()
        self.gradient_errors = errors
        self._check_result.setText(
            _check_text(errors, frame.snapshot.iteration, len(indices), whole)
        )


def batch_of(frame: Frame) -> np.ndarray | None:
    """Dataset indices of the batch the next Step takes from ``frame``'s state, or None when
    there is none (no training point, no trainer state, data still being updated)."""
    snapshot = frame.snapshot
    if snapshot.trainer is None or snapshot.training is None:
        return None
    train = np.flatnonzero(~frame.test_mask)
    if len(train) == 0:
        return None
    try:
        rows = next_batch(snapshot.trainer, len(train), snapshot.training.batch_size)
    except ValueError:  # the trainer has not taken the edited data yet
        return None
    return train[rows]


def _batch_note(frame: Frame, indices: np.ndarray, batch_size: int | None) -> str:
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


def _check_text(errors: list[float], iteration: int, batch: int, whole: bool) -> str:
    per_layer = ", ".join(f"layer {i}: {e:.1e}" for i, e in enumerate(errors, start=1))
    sampled = "" if whole else f" ({CHECK_PER_LAYER} parameters per layer)"
    verdict = (
        "backprop agrees with finite differences."
        if max(errors, default=0.0) < GOOD_CHECK
        else "a disagreement: look at the layers above the threshold."
    )
    return (
        f"Relative error at iteration {iteration:,} on the batch of {batch:,}{sampled}: "
        f"{per_layer} — {verdict}"
    )
