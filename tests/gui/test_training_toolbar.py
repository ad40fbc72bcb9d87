"""TrainingToolbar: buttons and shortcuts emit requests; slots show state without emitting."""

from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QLineEdit, QMainWindow, QToolButton, QVBoxLayout, QWidget

from mlpviz.core.config import NetworkConfig
from mlpviz.core.history import TrainingHistory
from mlpviz.core.snapshot import Snapshot
from mlpviz.gui.training_toolbar import TrainingToolbar

SHOTS = Path("/tmp/shots")


@pytest.fixture
def window(qtbot):
    """A main window holding the toolbar and a text field, shown and active."""
    window = QMainWindow()
    window.toolbar = TrainingToolbar()
    window.addToolBar(Qt.ToolBarArea.TopToolBarArea, window.toolbar)
    centre = QWidget()
    layout = QVBoxLayout(centre)
    window.text_field = QLineEdit()
    layout.addWidget(window.text_field)
    layout.addWidget(QLabel("The data plane would be here"))
    window.setCentralWidget(centre)
    window.resize(1366, 200)
    qtbot.addWidget(window)
    window.show()
    window.activateWindow()
    qtbot.waitActive(window)
    return window


def snapshot_at(iteration: int, epoch: int, running: bool = False) -> Snapshot:
    return Snapshot(
        net=NetworkConfig().build(2),
        iteration=iteration,
        epoch=epoch,
        train_loss=np.nan,
        test_loss=np.nan,
        train_accuracy=np.nan,
        test_accuracy=np.nan,
        updates_per_second=0.0,
        history=TrainingHistory().arrays(),
        running=running,
    )


def button(window, name: str) -> QToolButton:
    return window.toolbar.findChild(QToolButton, name)


def test_play_button_toggles_between_play_and_pause(qtbot, window):
    play = button(window, "playButton")
    assert play.text() == "Play" and not play.isChecked()
    with qtbot.waitSignal(window.toolbar.play_requested):
        qtbot.mouseClick(play, Qt.MouseButton.LeftButton)
    assert play.isChecked()
    assert play.text() == "Pause"
    assert play.toolTip() == "Pause (Space)"
    with qtbot.waitSignal(window.toolbar.pause_requested):
        qtbot.mouseClick(play, Qt.MouseButton.LeftButton)
    assert not play.isChecked()
    assert play.text() == "Play"


@pytest.mark.parametrize(
    ("name", "signal"),
    [
        ("stepButton", "step_requested"),
        ("stepEpochButton", "step_epoch_requested"),
        ("resetButton", "reset_requested"),
    ],
)
def test_buttons_emit_their_request(qtbot, window, name, signal):
    with qtbot.waitSignal(getattr(window.toolbar, signal)):
        qtbot.mouseClick(button(window, name), Qt.MouseButton.LeftButton)


@pytest.mark.parametrize(
    ("key", "modifier", "signal"),
    [
        (Qt.Key.Key_Space, Qt.KeyboardModifier.NoModifier, "play_requested"),
        (Qt.Key.Key_Right, Qt.KeyboardModifier.NoModifier, "step_requested"),
        (Qt.Key.Key_Right, Qt.KeyboardModifier.ShiftModifier, "step_epoch_requested"),
        (Qt.Key.Key_R, Qt.KeyboardModifier.NoModifier, "reset_requested"),
    ],
)
def test_shortcuts_work_anywhere_in_the_window(qtbot, window, key, modifier, signal):
    with qtbot.waitSignal(getattr(window.toolbar, signal), timeout=1000):
        qtbot.keyClick(window, key, modifier)


def test_text_fields_keep_space_arrows_and_letters(qtbot, window):
    field = window.text_field
    field.setFocus()
    qtbot.waitUntil(field.hasFocus)
    with (
        qtbot.assertNotEmitted(window.toolbar.play_requested),
        qtbot.assertNotEmitted(window.toolbar.step_requested),
        qtbot.assertNotEmitted(window.toolbar.reset_requested),
    ):
        qtbot.keyClicks(field, "a r")
        qtbot.keyClick(field, Qt.Key.Key_Left)
        qtbot.keyClick(field, Qt.Key.Key_Right)
    assert field.text() == "a r"


def test_space_pauses_after_play(qtbot, window):
    window.toolbar.set_running(True)
    with qtbot.waitSignal(window.toolbar.pause_requested, timeout=1000):
        qtbot.keyClick(window, Qt.Key.Key_Space)
    assert button(window, "playButton").text() == "Play"


def test_set_running_shows_the_state_without_emitting(qtbot, window):
    play = button(window, "playButton")
    toolbar = window.toolbar
    with (
        qtbot.assertNotEmitted(toolbar.play_requested),
        qtbot.assertNotEmitted(toolbar.pause_requested),
    ):
        toolbar.set_running(True)
        assert play.isChecked() and play.text() == "Pause"
        toolbar.set_running(False)
    assert not play.isChecked()
    assert play.text() == "Play"


def test_iteration_label_shows_iteration_with_thousands_comma(window):
    window.toolbar.show_snapshot(snapshot_at(1234, 5))
    label = window.toolbar.findChild(QLabel, "iterationLabel")
    assert label.text() == "Iteration 1,234 · epoch 5"


def test_tooltips_name_the_shortcuts(window):
    assert button(window, "stepButton").toolTip() == "Step one iteration (→)"
    assert button(window, "stepEpochButton").toolTip().endswith("(Shift+→)")
    assert button(window, "resetButton").toolTip().endswith("(R)")
    assert button(window, "playButton").toolTip() == "Play (Space)"


def test_speed_choice_is_emitted_and_can_be_restored(qtbot, window):
    toolbar = window.toolbar
    combo = toolbar.findChild(QWidget, "speedCombo")
    assert toolbar.speed() == 100  # above TF Playground's rate on its own examples
    with qtbot.waitSignal(toolbar.speed_changed) as changed:
        combo.setCurrentIndex(combo.count() - 1)
    assert changed.args == [None]
    assert toolbar.speed() is None
    with qtbot.assertNotEmitted(toolbar.speed_changed):
        toolbar.set_speed(10)
    assert toolbar.speed() == 10
    assert combo.currentText() == "10 it / frame"


def test_stop_at_is_emitted_and_zero_means_never(qtbot, window):
    toolbar = window.toolbar
    spin = toolbar.findChild(QWidget, "stopAtSpin")
    assert toolbar.stop_at() is None
    assert spin.text() == "never"
    with qtbot.waitSignal(toolbar.stop_at_changed) as changed:
        spin.setValue(5000)
    assert changed.args == [5000]
    with qtbot.waitSignal(toolbar.stop_at_changed) as changed:
        spin.setValue(0)
    assert changed.args == [None]
    with qtbot.assertNotEmitted(toolbar.stop_at_changed):
        toolbar.set_stop_at(300)
    assert toolbar.stop_at() == 300


def test_screenshot(qtbot, window):
    toolbar = window.toolbar
    SHOTS.mkdir(parents=True, exist_ok=True)
    toolbar.grab().save(str(SHOTS / "training_toolbar_paused.png"))
    toolbar.set_running(True)
    toolbar.set_speed(None)
    toolbar.set_stop_at(5000)
    toolbar.show_snapshot(snapshot_at(1_234_567, 5_678, running=True))
    qtbot.wait(10)
    image = toolbar.grab()
    assert image.save(str(SHOTS / "training_toolbar_running.png"))
    assert image.width() >= toolbar.sizeHint().width() - 1
