"""NetworkEditor driven like a student does: clicks, arrow keys, typed learning rates."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QDockWidget,
    QLabel,
    QListWidget,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QToolButton,
    QToolTip,
    QWidget,
)

from mlpviz.core.config import HiddenLayer, NetworkConfig, TrainingConfig
from mlpviz.gui.network_editor import NetworkEditor

SHOTS = Path("/tmp/shots")
TWO_LAYERS = NetworkConfig((HiddenLayer(8, "tanh"), HiddenLayer(3, "relu")), "he", 7)
DOCK_WIDTH = 280  # the left dock column on a 1366×768 laptop


@pytest.fixture
def editor(qtbot):
    """A shown editor with a 200-sample dataset of 2 classes."""
    widget = NetworkEditor()
    qtbot.addWidget(widget)
    widget.set_sample_count(200)
    widget.resize(280, widget.sizeHint().height())
    widget.show()
    qtbot.waitExposed(widget)
    return widget


class Recorder:
    """Collects every emission of the editor's two signals."""

    def __init__(self, editor: NetworkEditor) -> None:
        self.network: list[NetworkConfig] = []
        self.training: list[TrainingConfig] = []
        editor.network_config_changed.connect(self.network.append)
        editor.training_config_changed.connect(self.training.append)


def button(editor: NetworkEditor, name: str) -> QPushButton | QToolButton:
    return editor.findChild(QWidget, name)


def layer_field(editor: NetworkEditor, kind: type, accessible_name: str):
    matches = [w for w in editor.findChildren(kind) if w.accessibleName() == accessible_name]
    assert len(matches) == 1, accessible_name
    return matches[0]


def click_row(qtbot, editor: NetworkEditor, row: int) -> None:
    """Click the "Layer n" label end of a row, as a user selects a layer."""
    layer_list = editor.findChild(QListWidget, "layerList")
    rect = layer_list.visualItemRect(layer_list.item(row))
    qtbot.mouseClick(
        layer_list.viewport(), Qt.LeftButton, pos=QPoint(rect.left() + 3, rect.center().y())
    )


def hidden(config: NetworkConfig) -> list[tuple[int, str]]:
    return [(layer.size, layer.activation) for layer in config.hidden]


def type_into(qtbot, combo: QComboBox, text: str) -> None:
    """Replace the combo's text by ``text`` typed on the keyboard, then press Enter."""
    combo.setFocus()
    combo.lineEdit().selectAll()
    qtbot.keyClicks(combo.lineEdit(), text)
    qtbot.keyClick(combo.lineEdit(), Qt.Key_Return)


# --- hidden layers ---------------------------------------------------------------------
def test_starts_with_a_single_neuron_and_says_so(editor):
    assert editor.network_config().hidden == ()
    assert editor.findChild(QWidget, "noHiddenLayerHint").isVisible()
    assert "single neuron" in editor.findChild(QWidget, "noHiddenLayerHint").text()
    assert not button(editor, "removeLayerButton").isEnabled()
    assert "2 → 1" in editor.findChild(QWidget, "architectureLabel").text()


def test_add_layer_adds_four_tanh_neurons_then_copies_the_last_layer(qtbot, editor):
    recorder = Recorder(editor)
    with qtbot.waitSignal(editor.network_config_changed) as signal:
        qtbot.mouseClick(button(editor, "addLayerButton"), Qt.LeftButton)
    assert hidden(signal.args[0]) == [(4, "tanh")]
    editor.set_network_config(NetworkConfig((HiddenLayer(6, "relu"),)))
    qtbot.mouseClick(button(editor, "addLayerButton"), Qt.LeftButton)
    assert hidden(recorder.network[-1]) == [(6, "relu"), (6, "relu")]
    assert len(recorder.network) == 2 and recorder.training == []
    assert not editor.findChild(QWidget, "noHiddenLayerHint").isVisible()
    assert editor.findChild(QListWidget, "layerList").count() == 2


def test_add_layer_is_disabled_at_eight_layers(qtbot, editor):
    editor.set_network_config(NetworkConfig((HiddenLayer(),) * 7))
    qtbot.mouseClick(button(editor, "addLayerButton"), Qt.LeftButton)
    assert len(editor.network_config().hidden) == 8
    assert not button(editor, "addLayerButton").isEnabled()


def test_remove_layer_removes_the_selected_one_or_else_the_last(qtbot, editor):
    editor.set_network_config(TWO_LAYERS)
    recorder = Recorder(editor)
    click_row(qtbot, editor, 0)
    qtbot.mouseClick(button(editor, "removeLayerButton"), Qt.LeftButton)
    assert hidden(recorder.network[-1]) == [(3, "relu")]
    editor.set_network_config(TWO_LAYERS)
    qtbot.mouseClick(button(editor, "removeLayerButton"), Qt.LeftButton)
    assert hidden(recorder.network[-1]) == [(8, "tanh")]
    qtbot.mouseClick(button(editor, "removeLayerButton"), Qt.LeftButton)
    assert hidden(recorder.network[-1]) == []
    assert not button(editor, "removeLayerButton").isEnabled()
    assert editor.findChild(QWidget, "noHiddenLayerHint").isVisible()
    assert len(recorder.network) == 3


def test_move_up_and_down_reorder_the_selected_layer(qtbot, editor):
    editor.set_network_config(
        NetworkConfig((HiddenLayer(1, "tanh"), HiddenLayer(2, "relu"), HiddenLayer(3, "linear")))
    )
    up, down = button(editor, "moveLayerUpButton"), button(editor, "moveLayerDownButton")
    assert not up.isEnabled() and not down.isEnabled()  # nothing selected
    click_row(qtbot, editor, 2)
    assert up.isEnabled() and not down.isEnabled()
    with qtbot.waitSignal(editor.network_config_changed) as signal:
        qtbot.mouseClick(up, Qt.LeftButton)
    assert [layer.size for layer in signal.args[0].hidden] == [1, 3, 2]
    qtbot.mouseClick(up, Qt.LeftButton)  # the moved layer stays selected
    assert [layer.size for layer in editor.network_config().hidden] == [3, 1, 2]
    assert not up.isEnabled()
    qtbot.mouseClick(down, Qt.LeftButton)
    assert hidden(editor.network_config()) == [(1, "tanh"), (3, "linear"), (2, "relu")]
    assert editor.findChild(QListWidget, "layerList").currentRow() == 1


def test_up_arrow_in_a_neurons_box_emits_the_new_size_once(qtbot, editor):
    editor.set_network_config(TWO_LAYERS)
    recorder = Recorder(editor)
    spin = layer_field(editor, QSpinBox, "Neurons in layer 2")
    qtbot.mouseClick(spin.lineEdit(), Qt.LeftButton)
    qtbot.keyClick(spin, Qt.Key_Up)
    assert [hidden(config) for config in recorder.network] == [[(8, "tanh"), (4, "relu")]]
    assert recorder.training == []
    # focusing a layer's field selects its row, so Remove acts on that layer
    assert editor.findChild(QListWidget, "layerList").currentRow() == 1


def test_typing_a_size_emits_once_on_enter(qtbot, editor):
    editor.set_network_config(TWO_LAYERS)
    recorder = Recorder(editor)
    spin = layer_field(editor, QSpinBox, "Neurons in layer 1")
    spin.setFocus()
    spin.lineEdit().selectAll()
    qtbot.keyClicks(spin, "12")
    qtbot.keyClick(spin, Qt.Key_Return)
    assert [hidden(config)[0] for config in recorder.network] == [(12, "tanh")]


def test_activation_combo_changes_the_layer_activation(qtbot, editor):
    editor.set_network_config(TWO_LAYERS)
    combo = layer_field(editor, QComboBox, "Activation of layer 1")
    assert combo.currentText() == "tanh"
    combo.setFocus()
    with qtbot.waitSignal(editor.network_config_changed) as signal:
        qtbot.keyClick(combo, Qt.Key_Down)
    assert hidden(signal.args[0]) == [(8, "relu"), (3, "relu")]
    assert combo.currentText() == "ReLU"


def test_the_wheel_over_an_unfocused_neurons_box_does_not_rebuild_the_network(qtbot, editor):
    editor.set_network_config(TWO_LAYERS)
    recorder = Recorder(editor)
    spin = layer_field(editor, QSpinBox, "Neurons in layer 1")
    centre = QPointF(spin.rect().center())
    wheel = QWheelEvent(
        centre,
        QPointF(spin.mapToGlobal(centre)),
        QPoint(),
        QPoint(0, 120),
        Qt.NoButton,
        Qt.NoModifier,
        Qt.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(spin, wheel)
    assert spin.value() == 8 and recorder.network == []


def test_initialisation_and_seed_rebuild_the_network(qtbot, editor):
    recorder = Recorder(editor)
    seed = editor.findChild(QSpinBox, "seedInput")
    seed.setFocus()
    seed.lineEdit().selectAll()
    qtbot.keyClicks(seed, "42")
    qtbot.keyClick(seed, Qt.Key_Return)
    init = editor.findChild(QComboBox, "initInput")
    init.setFocus()
    qtbot.keyClick(init, Qt.Key_Down)
    assert [(c.init, c.seed) for c in recorder.network] == [("xavier", 42), ("he", 42)]
    assert recorder.training == []


def test_output_line_follows_the_class_count(editor):
    label = editor.findChild(QWidget, "outputLayerLabel")
    assert label.text() == "Output: 1 sigmoid unit (2 classes)"
    editor.set_class_count(4)
    assert label.text() == "Output: 4 softmax units (4 classes)"
    assert editor.findChild(QWidget, "architectureLabel").text().startswith("2 → 4 ")
    editor.set_class_count(2)
    assert label.text() == "Output: 1 sigmoid unit (2 classes)"


def test_setters_show_the_configs_without_emitting(qtbot, editor):
    training = TrainingConfig("adam", 0.003, 32, 0.001, 0.8, 5)
    with (
        qtbot.assertNotEmitted(editor.network_config_changed),
        qtbot.assertNotEmitted(editor.training_config_changed),
    ):
        editor.set_network_config(TWO_LAYERS)
        editor.set_training_config(training)
        editor.set_class_count(3)
        editor.set_sample_count(10)
        editor.set_sample_count(100)
    assert editor.network_config() == TWO_LAYERS
    assert editor.training_config() == training
    assert editor.findChild(QComboBox, "optimizerInput").currentText() == "Adam"
    assert editor.findChild(QComboBox, "learningRateInput").currentText() == "0.003"
    assert layer_field(editor, QSpinBox, "Neurons in layer 1").value() == 8


# --- training settings ----------------------------------------------------------------
def test_typed_learning_rate_changes_training_only(qtbot, editor):
    recorder = Recorder(editor)
    combo = editor.findChild(QComboBox, "learningRateInput")
    type_into(qtbot, combo, "0.5")
    assert [config.learning_rate for config in recorder.training] == [0.5]
    assert recorder.network == []
    combo.clearFocus()  # leaving the field must not emit the same value again
    assert len(recorder.training) == 1
    assert combo.currentText() == "0.5"


def test_learning_rate_accepts_a_decimal_comma_and_presets(qtbot, editor):
    recorder = Recorder(editor)
    combo = editor.findChild(QComboBox, "learningRateInput")
    type_into(qtbot, combo, "0,03")
    assert combo.currentText() == "0.03"
    qtbot.keyClick(combo.lineEdit(), Qt.Key_Down)  # the next preset: 0.1
    assert [config.learning_rate for config in recorder.training] == [0.03, 0.1]
    assert [combo.itemText(i) for i in (0, 1, 10)] == ["1e-05", "0.0001", "10"]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("abc", "not a number"),
        ("-1", "greater than 0"),
        ("0", "greater than 0"),
        ("1e9", "at most"),
    ],
)
def test_invalid_learning_rate_is_refused_and_explained(qtbot, editor, text, reason):
    recorder = Recorder(editor)
    combo = editor.findChild(QComboBox, "learningRateInput")
    type_into(qtbot, combo, text)
    assert recorder.training == [] and recorder.network == []
    assert combo.currentText() == "0.1"
    assert editor.training_config().learning_rate == 0.1
    assert reason in QToolTip.text()


def test_batch_size_zero_is_full_batch(qtbot, editor):
    recorder = Recorder(editor)
    spin = editor.findChild(QSpinBox, "batchSizeInput")
    assert spin.text() == "Full batch" and spin.maximum() == 200
    spin.setFocus()
    qtbot.keyClick(spin, Qt.Key_Up)
    qtbot.keyClick(spin, Qt.Key_Down)
    assert [config.batch_size for config in recorder.training] == [1, None]
    assert spin.text() == "Full batch"
    assert recorder.network == []


def test_batch_size_chosen_before_the_data_shrank_comes_back(qtbot, editor):
    editor.set_training_config(TrainingConfig(batch_size=50))
    editor.set_sample_count(20)
    spin = editor.findChild(QSpinBox, "batchSizeInput")
    assert spin.value() == 20  # a batch of all 20 samples: the same full batch
    editor.set_sample_count(0)
    assert spin.maximum() == 1
    editor.set_sample_count(300)
    assert spin.value() == 50 and editor.training_config().batch_size == 50


def test_optimizer_and_l2_change_training_only(qtbot, editor):
    recorder = Recorder(editor)
    optimizer = editor.findChild(QComboBox, "optimizerInput")
    optimizer.setFocus()
    qtbot.keyClick(optimizer, Qt.Key_Down)
    type_into(qtbot, editor.findChild(QComboBox, "l2Input"), "0.0005")
    assert [(c.optimizer, c.l2) for c in recorder.training] == [
        ("momentum", 0.0),
        ("momentum", 5e-4),
    ]
    assert recorder.network == []


def test_every_control_explains_itself(editor):
    editor.set_network_config(TWO_LAYERS)
    controls = editor.findChildren(QSpinBox) + editor.findChildren(QPushButton)
    controls += editor.findChildren(QToolButton)
    controls += [c for c in editor.findChildren(QComboBox) if c.parent() is not None]
    assert len(controls) >= 12
    for control in controls:
        assert control.toolTip(), control.objectName() or control.accessibleName()
    assert "w := w − α ∂J/∂w" in editor.findChild(QComboBox, "learningRateInput").toolTip()


# --- layout ----------------------------------------------------------------------------
def test_sections_run_layers_then_training_then_initialisation(editor):
    editor.set_network_config(TWO_LAYERS)
    names = [
        "layerList",
        "addLayerButton",
        "architectureLabel",
        "optimizerInput",
        "learningRateInput",
        "batchSizeInput",
        "l2Input",
        "initInput",
        "seedInput",
    ]
    tops = [editor.findChild(QWidget, name).mapTo(editor, QPoint(0, 0)).y() for name in names]
    assert tops == sorted(tops) and len(set(tops)) == len(tops)


def test_every_label_is_whole_at_dock_width(qtbot, editor):
    editor.set_network_config(TWO_LAYERS)
    editor.set_class_count(3)
    assert editor.minimumSizeHint().width() <= DOCK_WIDTH
    editor.resize(DOCK_WIDTH, editor.sizeHint().height())
    qtbot.wait(10)
    labels = [label for label in editor.findChildren(QLabel) if label.isVisible()]
    assert len(labels) >= 12
    for label in labels:
        if not label.wordWrap():
            assert label.width() >= label.sizeHint().width(), label.text()
        assert label.font().pointSizeF() >= editor.font().pointSizeF(), label.text()


def test_two_hidden_layers_and_every_setting_show_without_scrolling_on_a_laptop(qtbot, window):
    """The 1366×768 main window: the Data dock stays short, the Network dock needs no scroll."""
    for _ in range(2):
        qtbot.mouseClick(window.findChild(QPushButton, "addLayerButton"), Qt.LeftButton)
    qtbot.wait(20)
    assert len(window.network_editor.network_config().hidden) == 2
    assert window.dataset_panel.height() <= 250
    area = window.findChild(QDockWidget, "networkDock").widget()
    assert isinstance(area, QScrollArea)
    assert not area.verticalScrollBar().isVisible()
    assert not area.horizontalScrollBar().isVisible()
    seed = window.findChild(QSpinBox, "seedInput")
    bottom = seed.mapTo(area.viewport(), QPoint(0, seed.height())).y()
    assert bottom <= area.viewport().height()


def test_screenshot_with_two_hidden_layers(qtbot, editor):
    editor.set_network_config(TWO_LAYERS)
    editor.set_class_count(3)
    editor.resize(editor.minimumSizeHint().width(), editor.sizeHint().height())
    rows = editor.findChild(QListWidget, "layerList")
    combo = layer_field(editor, QComboBox, "Activation of layer 2")

    def combo_fits_in_its_row() -> bool:
        right_edge = combo.mapTo(rows.viewport(), QPoint(combo.width(), 0)).x()
        return right_edge <= rows.viewport().width()

    # at the narrowest width the widest activation name is still shown whole
    qtbot.waitUntil(combo_fits_in_its_row, timeout=1000)
    assert combo.width() >= combo.sizeHint().width()
    SHOTS.mkdir(exist_ok=True)
    assert editor.grab().save(str(SHOTS / "network_editor.png"))


def test_choosing_a_learning_rate_preset_from_code_applies_it(qtbot):
    editor = NetworkEditor()
    qtbot.addWidget(editor)
    combo = editor.findChild(QComboBox, "learningRateInput")
    with qtbot.waitSignal(editor.training_config_changed) as blocker:
        combo.setCurrentIndex(combo.findText("10"))
    assert blocker.args[0].learning_rate == 10.0


def test_layer_fields_are_named_by_their_row_and_follow_a_reorder(qtbot, editor):
    editor.set_network_config(TWO_LAYERS)
    size0 = editor.findChild(QSpinBox, "hiddenLayerSize0")
    activation1 = editor.findChild(QComboBox, "hiddenLayerActivation1")
    assert size0.value() == 8 and activation1.currentData() == "relu"
    with qtbot.waitSignal(editor.network_config_changed) as signal:
        size0.setValue(5)  # as the arrows or Enter would
    assert hidden(signal.args[0]) == [(5, "tanh"), (3, "relu")]
    with qtbot.waitSignal(editor.network_config_changed) as signal:
        activation1.setCurrentIndex(activation1.findData("sigmoid"))
    assert hidden(signal.args[0]) == [(5, "tanh"), (3, "sigmoid")]
    click_row(qtbot, editor, 1)
    qtbot.mouseClick(button(editor, "moveLayerUpButton"), Qt.LeftButton)
    assert hidden(editor.network_config()) == [(3, "sigmoid"), (5, "tanh")]
    assert editor.findChild(QSpinBox, "hiddenLayerSize0").value() == 3
    assert editor.findChild(QComboBox, "hiddenLayerActivation0").currentData() == "sigmoid"
    assert editor.findChild(QSpinBox, "hiddenLayerSize1").value() == 5
    assert editor.findChild(QSpinBox, "hiddenLayerSize2") is None
