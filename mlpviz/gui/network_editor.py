"""NetworkEditor: the hidden layers, the weight initialisation and the training settings.

Two kinds of edits, two signals: the architecture (layers, sizes, activations, init, seed)
rebuilds the network, the training settings (optimiser, α, batch size, L2) apply to the
weights the network already has.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import partial

from PySide6.QtCore import QEvent, QObject, QPoint, QSignalBlocker, Qt, Signal
from PySide6.QtGui import QPalette, QResizeEvent, QWheelEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSpinBox,
    QToolButton,
    QToolTip,
    QVBoxLayout,
    QWidget,
)

from mlpviz.core.config import (
    MAX_HIDDEN_LAYERS,
    MAX_NEURONS,
    HiddenLayer,
    NetworkConfig,
    TrainingConfig,
)
from mlpviz.core.network import parameter_count
from mlpviz.gui.names import prefixed
from mlpviz.gui.style import ACTIVATION_LABELS

INIT_LABELS: dict[str, str] = {"xavier": "Xavier (Glorot)", "he": "He", "uniform": "Uniform ±0.5"}
OPTIMIZER_LABELS: dict[str, str] = {"sgd": "SGD", "momentum": "SGD + momentum", "adam": "Adam"}
LEARNING_RATES = (0.00001, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)
L2_PRESETS = (0.0, 0.00001, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0)
MAX_LEARNING_RATE = 1e6
MAX_SEED_INPUT = 2**31 - 1  # QSpinBox holds a signed 32-bit int
NEW_LAYER = HiddenLayer(4, "tanh")
SECTION_GAP = 6  # pixels between sections, more than between rows


def format_number(value: float) -> str:
    """A setting as a student reads it, to six significant digits: ``0.001``, ``1e-05``, ``3``."""
    return f"{value:g}"


def parse_number(text: str, name: str, *, allow_zero: bool, maximum: float) -> float:
    """The number typed in ``text`` (a decimal comma is accepted); ValueError says why not.

    The value is rounded to what ``format_number`` shows, so the field shows exactly the
    value in use.
    """
    try:
        value = float(text.strip().replace(",", "."))
    except ValueError:
        raise ValueError(f"“{text.strip()}” is not a number.") from None
    if not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number.")
    if value <= 0 and not allow_zero:
        raise ValueError(f"{name} must be greater than 0.")
    if value < 0:
        raise ValueError(f"{name} cannot be negative.")
    if value > maximum:
        raise ValueError(f"{name} must be at most {format_number(maximum)}.")
    return float(format_number(value))


class _WheelNeedsFocusMixin:
    """Scrolling the dock over an unfocused field scrolls the dock instead of editing it.

    Without this, a wheel turn over a neurons box silently rebuilds the network.
    """

    def wheelEvent(self, event: QWheelEvent) -> None:
        """Edit only when focused; otherwise let the event reach the scroll area."""
        if self.hasFocus():  # type: ignore[attr-defined]
            super().wheelEvent(event)  # type: ignore[misc]
        else:
            event.ignore()


class _SpinBox(_WheelNeedsFocusMixin, QSpinBox):
    """A spin box that reports a value once per step or once per typed entry."""

    def __init__(self, minimum: int, maximum: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setRange(minimum, maximum)
        self.setKeyboardTracking(False)  # typing "12" must not emit 1, then 12
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)


class _ComboBox(_WheelNeedsFocusMixin, QComboBox):
    """A combo box of (label, data) choices."""

    def __init__(self, choices: dict[str, str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        for data, label in choices.items():
            self.addItem(label, data)

    def select_data(self, data: str) -> None:
        """Show the choice whose data is ``data``."""
        self.setCurrentIndex(max(0, self.findData(data)))


class _NumberCombo(_WheelNeedsFocusMixin, QComboBox):
    """An editable list of preset numbers that also accepts any number typed in its range.

    An entry that is not a valid number is refused: the field goes back to the last valid
    value and a tooltip says why.
    """

    value_changed = Signal(float)

    def __init__(
        self,
        presets: Sequence[float],
        name: str,
        *,
        allow_zero: bool,
        maximum: float,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._name = name
        self._allow_zero = allow_zero
        self._maximum = maximum
        self._value = presets[0]
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setEditable(True)
        self.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.setCompleter(None)  # inline completion would turn a typed "1" into "1e-05"
        for value in presets:
            self.addItem(format_number(value), value)
        self.lineEdit().editingFinished.connect(self._on_text_committed)
        self.activated.connect(self._on_text_committed)
        # A preset chosen from code (setCurrentIndex) applies too; activated is only for clicks.
        self.currentIndexChanged.connect(self._on_text_committed)

    def value(self) -> float:
        """The last valid value."""
        return self._value

    def set_value(self, value: float) -> None:
        """Show ``value`` without emitting ``value_changed``."""
        self._value = value
        self._show_value()

    def _show_value(self) -> None:
        with QSignalBlocker(self):
            index = self.findData(self._value)
            if index >= 0:
                self.setCurrentIndex(index)
            self.setEditText(format_number(self._value))

    def _on_text_committed(self) -> None:
        try:
            value = parse_number(
                self.currentText(), self._name, allow_zero=self._allow_zero, maximum=self._maximum
            )
        except ValueError as error:
            self._refuse(str(error))
            return
        changed = value != self._value
        self._value = value
        self._show_value()
        if changed:
            self.value_changed.emit(value)

    def _refuse(self, reason: str) -> None:
        self._show_value()
        message = f"{reason} Kept {format_number(self._value)}."
        QToolTip.showText(self.mapToGlobal(QPoint(0, self.height())), message, self)


class _RowList(QListWidget):
    """A list of row widgets that also get narrower when the list does.

    QListWidget widens its item widgets with the list but never shrinks them back.
    """

    def resizeEvent(self, event: QResizeEvent) -> None:
        """Fit each row widget to the new width."""
        super().resizeEvent(event)
        self.updateEditorGeometries()


class _LayerRow(QWidget):
    """One hidden layer: its number, its neurons and its activation."""

    def __init__(
        self,
        number: int,
        layer: HiddenLayer,
        max_neurons: int = MAX_NEURONS,
        input_text: str = "x = (x₁, x₂)",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.size_input = _SpinBox(1, max_neurons)
        self.size_input.setValue(layer.size)
        self.size_input.setSuffix(" neurons" if layer.size != 1 else " neuron")
        self.size_input.valueChanged.connect(self._on_size_changed)
        self.size_input.setAccessibleName(f"Neurons in layer {number}")
        self.size_input.setToolTip(
            f"n<sup>[{number}]</sup>, the number of neurons of layer {number} "
            f"(1 to {max_neurons}). Changing it re-initialises the network."
        )
        self.activation_input = _ComboBox(ACTIVATION_LABELS)
        self.activation_input.select_data(layer.activation)
        self.activation_input.setAccessibleName(f"Activation of layer {number}")
        self.activation_input.setToolTip(
            f"g<sup>[{number}]</sup>, the activation a = g(z) of the neurons of layer {number}. "
            "Changing it re-initialises the network."
        )
        label = QLabel(f"Layer {number}")
        label.setToolTip(f"Hidden layer {number}; layer 0 is the input {input_text}.")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 2, 2, 2)
        layout.setSpacing(4)
        layout.addWidget(label)
        layout.addWidget(self.size_input, 1)
        layout.addWidget(self.activation_input)

    def _on_size_changed(self, size: int) -> None:
        self.size_input.setSuffix(" neurons" if size != 1 else " neuron")


class NetworkEditor(QWidget):
    """Edits the network's architecture (NetworkConfig) and its training (TrainingConfig).

    ``network_config_changed(NetworkConfig)`` means: rebuild the network.
    ``training_config_changed(TrainingConfig)`` means: keep the weights, train differently.
    Both are emitted once per user edit, never by the ``set_…`` methods.
    """

    network_config_changed = Signal(object)
    training_config_changed = Signal(object)

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        config_type: type[NetworkConfig] = NetworkConfig,
        name_prefix: str = "",
    ) -> None:
        """``config_type`` is the workspace's architecture type (its widest layer); the
        names of the editor's fields carry ``name_prefix`` (see gui/names.py)."""
        super().__init__(parent)
        self._config_type = config_type
        self._name_prefix = name_prefix
        self._n_inputs = 2
        self._input_text = "x = (x₁, x₂)"
        self.setObjectName("networkEditor")
        self.setAccessibleName("Network editor")
        self._layers: list[HiddenLayer] = []
        self._class_count = 2
        self._requested_batch: int | None = None  # kept while the data has fewer samples
        self._momentum = TrainingConfig().momentum
        self._shuffle_seed = TrainingConfig().shuffle_seed
        # Hidden layers, then what students change most (training), then initialisation:
        # all of it fits a 1366×768 screen's dock column without scrolling.
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)  # as the dataset panel above it
        layout.setSpacing(4)
        layout.addWidget(_section_title("Hidden layers"))
        layout.addLayout(self._build_layers_section())
        layout.addSpacing(SECTION_GAP)
        layout.addLayout(self._build_settings_form())
        layout.addStretch(1)
        self._rebuild_rows(selected=None)

    # --- building -------------------------------------------------------------------
    def _build_layers_section(self) -> QVBoxLayout:
        self._layer_list = _RowList()
        self._layer_list.setObjectName("layerList")
        self._layer_list.setAccessibleName("Hidden layers")
        self._layer_list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self._layer_list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self._layer_list.setToolTip(
            "The hidden layers, from the input (top) to the output (bottom). "
            "Select a layer to remove it or move it."
        )
        self._layer_list.currentRowChanged.connect(self._update_buttons)
        self._no_layer_hint = QLabel(
            "No hidden layer: a single neuron (the lecture's first model)."
        )
        self._no_layer_hint.setObjectName("noHiddenLayerHint")
        self._no_layer_hint.setWordWrap(True)
        _show_as_note(self._no_layer_hint)
        widest = HiddenLayer(self._config_type.max_neurons, "leaky_relu")
        widest_row = _LayerRow(MAX_HIDDEN_LAYERS, widest, self._config_type.max_neurons)
        self._layer_list.setMinimumWidth(
            widest_row.sizeHint().width() + 2 * self._layer_list.frameWidth()
        )
        layout = QVBoxLayout()
        layout.setSpacing(4)
        layout.addWidget(self._layer_list)
        layout.addWidget(self._no_layer_hint)
        layout.addLayout(self._build_layer_buttons())
        layout.addWidget(self._build_output_labels())
        return layout

    def _build_layer_buttons(self) -> QHBoxLayout:
        self._add_button = QPushButton("Add layer")
        self._add_button.setObjectName("addLayerButton")
        self._add_button.setToolTip(
            "Add a hidden layer at the end, a copy of the selected (or last) one; "
            f"at most {MAX_HIDDEN_LAYERS}. The network is re-initialised."
        )
        self._add_button.clicked.connect(self._on_add_layer_clicked)
        self._remove_button = QPushButton("Remove layer")
        self._remove_button.setObjectName("removeLayerButton")
        self._remove_button.setToolTip(
            "Remove the selected (or last) hidden layer. The network is re-initialised."
        )
        self._remove_button.clicked.connect(self._on_remove_layer_clicked)
        self._up_button = self._arrow_button("moveLayerUpButton", "Move up", Qt.ArrowType.UpArrow)
        self._up_button.clicked.connect(partial(self._on_move_clicked, -1))
        self._down_button = self._arrow_button(
            "moveLayerDownButton", "Move down", Qt.ArrowType.DownArrow
        )
        self._down_button.clicked.connect(partial(self._on_move_clicked, 1))
        row = QHBoxLayout()
        row.setSpacing(4)
        for button in (self._add_button, self._remove_button, self._up_button, self._down_button):
            row.addWidget(button)
        return row

    def _arrow_button(self, name: str, text: str, arrow: Qt.ArrowType) -> QToolButton:
        button = QToolButton()
        button.setObjectName(name)
        button.setArrowType(arrow)
        button.setText(text)
        button.setAccessibleName(text)
        direction = "input" if arrow == Qt.ArrowType.UpArrow else "output"
        button.setToolTip(
            f"{text}: move the selected layer towards the {direction}. "
            "The network is re-initialised."
        )
        return button

    def _build_output_labels(self) -> QWidget:
        box = QWidget()
        self._output_label = QLabel()
        self._output_label.setObjectName("outputLayerLabel")
        self._output_label.setToolTip(
            "The output layer follows the data: one sigmoid unit ŷ = σ(z) for 2 classes, "
            "K softmax units ŷ₁…ŷ_K for K classes."
        )
        self._architecture_label = QLabel()
        self._architecture_label.setObjectName("architectureLabel")
        self._architecture_label.setWordWrap(True)
        _show_as_note(self._architecture_label)
        self._architecture_label.setToolTip(
            "Layer sizes from the input x to the output ŷ, and the number of weights and "
            "biases gradient descent adjusts."
        )
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self._output_label)
        layout.addWidget(self._architecture_label)
        return box

    def _build_settings_form(self) -> QFormLayout:
        """One form for both sections, so that their labels and fields line up."""
        form = QFormLayout()
        form.setContentsMargins(0, 0, 0, 0)
        form.setHorizontalSpacing(8)
        form.setVerticalSpacing(4)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.DontWrapRows)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        form.addRow(_section_title("Training"))
        form.addRow("Optimizer", self._build_optimizer_input())
        form.addRow("Learning rate α", self._build_learning_rate_input())
        form.addRow("Batch size", self._build_batch_size_input())
        form.addRow("L2 λ", self._build_l2_input())
        form.addRow(_section_title("Initialisation", gap=SECTION_GAP))
        form.addRow("Weights", self._build_init_input())
        form.addRow("Seed", self._build_seed_input())
        return form

    def _build_init_input(self) -> QComboBox:
        self._init_input = _ComboBox(INIT_LABELS)
        self._init_input.setObjectName("initInput")
        self._init_input.setToolTip(
            "How the weights W<sup>[l]</sup> start (biases start at 0): Xavier (Glorot) suits "
            "tanh and sigmoid, He suits ReLU, Uniform ±0.5 is TensorFlow Playground's. "
            "Changing it re-initialises the network."
        )
        self._init_input.currentIndexChanged.connect(self._on_network_setting_changed)
        return self._init_input

    def _build_seed_input(self) -> QSpinBox:
        self._seed_input = _SpinBox(0, MAX_SEED_INPUT)
        self._seed_input.setObjectName("seedInput")
        self._seed_input.setToolTip(
            "Seed of the random initial weights: the same seed gives the same starting network. "
            "Changing it re-initialises the network."
        )
        self._seed_input.valueChanged.connect(self._on_network_setting_changed)
        return self._seed_input

    def _build_optimizer_input(self) -> QComboBox:
        self._optimizer_input = _ComboBox(OPTIMIZER_LABELS)
        self._optimizer_input.setObjectName("optimizerInput")
        self._optimizer_input.setToolTip(
            "How the gradient moves the weights. SGD: w := w − α ∂J/∂w. "
            "SGD + momentum: the step keeps a velocity (μ = 0.9) and rolls through small bumps. "
            "Adam: a step size adapted to each weight. Takes effect without losing the weights."
        )
        self._optimizer_input.currentIndexChanged.connect(self._on_training_setting_changed)
        return self._optimizer_input

    def _build_learning_rate_input(self) -> _NumberCombo:
        self._learning_rate_input = _NumberCombo(
            LEARNING_RATES, "α", allow_zero=False, maximum=MAX_LEARNING_RATE
        )
        self._learning_rate_input.setObjectName("learningRateInput")
        self._learning_rate_input.setAccessibleName("Learning rate")
        self._learning_rate_input.setToolTip(
            "α, the learning rate in w := w − α ∂J/∂w. Pick a value or type any positive "
            "number: too small and J barely moves, too large and J diverges. "
            "Takes effect without losing the weights."
        )
        self._learning_rate_input.set_value(TrainingConfig().learning_rate)
        self._learning_rate_input.value_changed.connect(self._on_training_setting_changed)
        return self._learning_rate_input

    def _build_batch_size_input(self) -> QSpinBox:
        self._batch_size_input = _SpinBox(0, 1)
        self._batch_size_input.setObjectName("batchSizeInput")
        self._batch_size_input.setSpecialValueText("Full batch")
        self._batch_size_input.setToolTip(
            "Samples per gradient step. Full batch: the gradient of J over all m samples "
            "(gradient descent). Smaller: mini-batch SGD, faster but noisier steps. "
            "Takes effect without losing the weights."
        )
        self._batch_size_input.valueChanged.connect(self._on_batch_size_changed)
        return self._batch_size_input

    def _build_l2_input(self) -> _NumberCombo:
        self._l2_input = _NumberCombo(L2_PRESETS, "λ", allow_zero=True, maximum=1.0)
        self._l2_input.setObjectName("l2Input")
        self._l2_input.setAccessibleName("L2 regularisation")
        self._l2_input.setToolTip(
            "λ, the L2 regularisation: J + (λ/2) Σ‖W<sup>[l]</sup>‖² pulls the weights "
            "towards 0 (biases are not regularised); 0 turns it off. "
            "Takes effect without losing the weights."
        )
        self._l2_input.value_changed.connect(self._on_training_setting_changed)
        return self._l2_input

    # --- public API -----------------------------------------------------------------
    def network_config(self) -> NetworkConfig:
        """The architecture shown."""
        return self._config_type(
            tuple(self._layers), self._init_input.currentData(), self._seed_input.value()
        )

    def training_config(self) -> TrainingConfig:
        """The training settings shown."""
        batch = self._batch_size_input.value()
        return TrainingConfig(
            optimizer=self._optimizer_input.currentData(),
            learning_rate=self._learning_rate_input.value(),
            batch_size=batch or None,
            l2=self._l2_input.value(),
            momentum=self._momentum,
            shuffle_seed=self._shuffle_seed,
        )

    def set_network_config(self, config: NetworkConfig) -> None:
        """Show ``config`` without emitting ``network_config_changed``."""
        self._layers = list(config.hidden)
        self._rebuild_rows(selected=None)
        with QSignalBlocker(self._init_input), QSignalBlocker(self._seed_input):
            self._init_input.select_data(config.init)
            self._seed_input.setValue(min(config.seed, MAX_SEED_INPUT))

    def set_training_config(self, config: TrainingConfig) -> None:
        """Show ``config`` without emitting ``training_config_changed``."""
        self._momentum = config.momentum
        self._shuffle_seed = config.shuffle_seed
        self._requested_batch = config.batch_size
        with QSignalBlocker(self._optimizer_input):
            self._optimizer_input.select_data(config.optimizer)
        self._learning_rate_input.set_value(config.learning_rate)
        self._l2_input.set_value(config.l2)
        self._show_batch_size()

    def set_class_count(self, class_count: int) -> None:
        """Describe the output layer for data with ``class_count`` classes."""
        self._class_count = max(2, class_count)
        self._update_summary()

    def set_input_count(self, n_inputs: int, text: str) -> None:
        """The network's inputs: ``n_inputs`` of them, described by ``text`` in the layers'
        tooltips ("x = (x₁, x₂)", "the 64 pixels of an 8×8 image")."""
        self._n_inputs, self._input_text = n_inputs, text
        self._rebuild_rows(selected=self._selected_index())

    def set_sample_count(self, sample_count: int) -> None:
        """Let the batch size range up to ``sample_count`` (the number of training samples).

        A larger batch chosen earlier is remembered and shown again when the data grows.
        """
        with QSignalBlocker(self._batch_size_input):
            self._batch_size_input.setMaximum(max(1, sample_count))
        self._show_batch_size()

    # --- hidden layers --------------------------------------------------------------
    def _rebuild_rows(self, selected: int | None) -> None:
        for index in range(self._layer_list.count()):
            # The old rows are deleted later: their names must not outlive them.
            old = self._layer_list.itemWidget(self._layer_list.item(index))
            old.size_input.setObjectName("")
            old.activation_input.setObjectName("")
        self._layer_list.clear()
        for index, layer in enumerate(self._layers):
            row = _LayerRow(index + 1, layer, self._config_type.max_neurons, self._input_text)
            # Named by position, so after a move the names follow the rows' new order.
            prefix = self._name_prefix
            row.size_input.setObjectName(prefixed(prefix, f"hiddenLayerSize{index}"))
            row.activation_input.setObjectName(prefixed(prefix, f"hiddenLayerActivation{index}"))
            row.size_input.valueChanged.connect(partial(self._on_layer_size_changed, index))
            row.activation_input.currentIndexChanged.connect(
                partial(self._on_layer_activation_changed, index, row.activation_input)
            )
            for field in (row.size_input, row.activation_input):
                field.setProperty("layerIndex", index)
                field.installEventFilter(self)
            item = QListWidgetItem()
            item.setSizeHint(row.sizeHint())
            self._layer_list.addItem(item)
            self._layer_list.setItemWidget(item, row)
        if selected is not None:
            self._layer_list.setCurrentRow(selected)
        self._fit_list_height()
        self._update_buttons()
        self._update_summary()

    def _fit_list_height(self) -> None:
        has_layers = bool(self._layers)
        self._layer_list.setVisible(has_layers)
        self._no_layer_hint.setVisible(not has_layers)
        if has_layers:
            # every row visible: a scroll bar would take the width the rows need
            frame = 2 * self._layer_list.frameWidth()
            rows_height = len(self._layers) * self._layer_list.sizeHintForRow(0)
            self._layer_list.setFixedHeight(rows_height + frame)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Editing a layer's field selects its row, so Remove and Move act on that layer."""
        if event.type() == QEvent.Type.FocusIn:
            index = watched.property("layerIndex")
            if index is not None:
                self._layer_list.setCurrentRow(int(index))
        return super().eventFilter(watched, event)

    def _selected_index(self) -> int | None:
        row = self._layer_list.currentRow()
        return row if 0 <= row < len(self._layers) else None

    def _update_buttons(self) -> None:
        count = len(self._layers)
        selected = self._selected_index()
        self._add_button.setEnabled(count < MAX_HIDDEN_LAYERS)
        self._remove_button.setEnabled(count > 0)
        self._up_button.setEnabled(selected is not None and selected > 0)
        self._down_button.setEnabled(selected is not None and selected < count - 1)

    def _update_summary(self) -> None:
        k = self._class_count
        if k <= 2:
            self._output_label.setText("Output: 1 sigmoid unit (2 classes)")
        else:
            self._output_label.setText(f"Output: {k} softmax units ({k} classes)")
        sizes = self.network_config().layer_sizes(k, self._n_inputs)
        parameters = parameter_count(sizes)
        arrows = " → ".join(str(size) for size in sizes)
        noun = "parameter" if parameters == 1 else "parameters"
        self._architecture_label.setText(f"{arrows}  ·  {parameters:,} {noun}")

    def _on_add_layer_clicked(self) -> None:
        source = self._selected_index()
        if source is None and self._layers:
            source = len(self._layers) - 1
        self._layers.append(NEW_LAYER if source is None else self._layers[source])
        self._rebuild_rows(selected=len(self._layers) - 1)
        self._emit_network_config()

    def _on_remove_layer_clicked(self) -> None:
        index = self._selected_index()
        if index is None:
            index = len(self._layers) - 1
        del self._layers[index]
        remaining = min(index, len(self._layers) - 1)
        self._rebuild_rows(selected=remaining if remaining >= 0 else None)
        self._emit_network_config()

    def _on_move_clicked(self, offset: int) -> None:
        index = self._selected_index()
        if index is None:
            return
        target = index + offset
        layers = self._layers
        layers[index], layers[target] = layers[target], layers[index]
        self._rebuild_rows(selected=target)
        self._emit_network_config()

    def _on_layer_size_changed(self, index: int, size: int) -> None:
        self._layers[index] = HiddenLayer(size, self._layers[index].activation)
        self._update_summary()
        self._emit_network_config()

    def _on_layer_activation_changed(self, index: int, combo: QComboBox, choice: int) -> None:
        self._layers[index] = HiddenLayer(self._layers[index].size, combo.itemData(choice))
        self._emit_network_config()

    # --- other settings -------------------------------------------------------------
    def _on_network_setting_changed(self) -> None:
        self._emit_network_config()

    def _emit_network_config(self) -> None:
        self.network_config_changed.emit(self.network_config())

    def _on_batch_size_changed(self, value: int) -> None:
        self._requested_batch = value or None
        self._on_training_setting_changed()

    def _show_batch_size(self) -> None:
        requested = self._requested_batch or 0
        with QSignalBlocker(self._batch_size_input):
            self._batch_size_input.setValue(min(requested, self._batch_size_input.maximum()))

    def _on_training_setting_changed(self) -> None:
        self.training_config_changed.emit(self.training_config())


def _show_as_note(label: QLabel) -> None:
    """A softer text colour that stays readable on a projector (disabled text does not)."""
    label.setForegroundRole(QPalette.ColorRole.PlaceholderText)


def _section_title(text: str, gap: int = 0) -> QLabel:
    """A bold section title in the normal font size: lighter than a group box frame."""
    title = QLabel(text)
    font = title.font()
    font.setBold(True)
    title.setFont(font)
    title.setContentsMargins(0, gap, 0, 0)
    return title
