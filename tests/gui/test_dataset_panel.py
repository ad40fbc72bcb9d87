"""DatasetPanel: class buttons and keys, preset fields, test split, settings round-trip."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QCheckBox,
    QComboBox,
    QDockWidget,
    QDoubleSpinBox,
    QLabel,
    QMainWindow,
    QPushButton,
    QSpinBox,
)

from mlpviz.gui.dataset_panel import DatasetPanel

SHOTS = Path("/tmp/shots")
DOCK_WIDTH = 280  # the left dock column on a 1366×768 laptop


@pytest.fixture
def panel(qtbot):
    widget = DatasetPanel()
    qtbot.addWidget(widget)
    widget.resize(DOCK_WIDTH, widget.sizeHint().height())
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def child(panel: DatasetPanel, kind, name: str):
    widget = panel.findChild(kind, name)
    assert widget is not None, name
    return widget


def choose_preset(qtbot, panel: DatasetPanel, title: str) -> None:
    combo = child(panel, QComboBox, "presetCombo")
    combo.setFocus()
    qtbot.keyClick(combo, Qt.Key.Key_Home)
    for _ in range(combo.count()):
        if combo.currentText() == title:
            return
        qtbot.keyClick(combo, Qt.Key.Key_Down)
    assert combo.currentText() == title


def type_into(qtbot, spin, text: str) -> None:
    spin.setFocus()
    spin.selectAll()
    qtbot.keyClicks(spin, text)
    qtbot.keyClick(spin, Qt.Key.Key_Enter)


def test_eight_coloured_class_buttons_with_counts_in_their_tooltips(panel):
    panel.set_class_counts([5, 12, 1])
    buttons = [child(panel, QPushButton, f"classButton{k}") for k in range(8)]
    assert [b.text() for b in buttons] == [str(k) for k in range(8)]  # as in files
    first_lines = [b.toolTip().splitlines()[0] for b in buttons]
    assert first_lines[1] == "Class 1 — 12 points (key 1)"
    assert first_lines[2] == "Class 2 — 1 point (key 2)"
    assert first_lines[7] == "Class 7 — 0 points (key 7)"
    assert [child(panel, QLabel, f"classCount{k}").text() for k in range(3)] == ["5", "12", "1"]
    assert buttons[0].isChecked() and panel.current_class() == 0


def test_the_class_buttons_explain_how_to_draw(panel):
    for k in range(8):
        tooltip = child(panel, QPushButton, f"classButton{k}").toolTip()
        assert "click to add a point" in tooltip and "right-click" in tooltip
    hint = child(panel, QLabel, "drawingHint")
    assert hint.isVisible() and "Right-click: remove" in hint.text()


def test_clicking_a_class_button_selects_that_class(qtbot, panel):
    button = child(panel, QPushButton, "classButton2")
    with qtbot.waitSignal(panel.current_class_changed) as blocker:
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert blocker.args == [2]
    assert button.isChecked() and panel.current_class() == 2
    assert not child(panel, QPushButton, "classButton0").isChecked()


def test_a_class_with_no_points_yet_can_be_chosen(qtbot, panel):
    panel.set_class_counts([10, 10])
    with qtbot.waitSignal(panel.current_class_changed) as blocker:
        qtbot.mouseClick(child(panel, QPushButton, "classButton6"), Qt.MouseButton.LeftButton)
    assert blocker.args == [6]


def test_number_keys_choose_a_class(qtbot, panel):
    panel.activateWindow()
    qtbot.waitActive(panel)
    with qtbot.waitSignal(panel.current_class_changed) as blocker:
        qtbot.keyClick(child(panel, QPushButton, "generateButton"), Qt.Key.Key_2)
    assert blocker.args == [2]  # key 2 is class 2, as the button and the files say
    assert child(panel, QPushButton, "classButton2").isChecked()


def test_digits_typed_into_a_spin_box_do_not_change_the_class(qtbot, panel):
    panel.activateWindow()
    qtbot.waitActive(panel)
    with qtbot.assertNotEmitted(panel.current_class_changed):
        type_into(qtbot, child(panel, QSpinBox, "pointsSpin"), "350")
    assert child(panel, QSpinBox, "pointsSpin").value() == 350
    assert panel.current_class() == 0


def test_set_current_class_checks_without_emitting(qtbot, panel):
    with qtbot.assertNotEmitted(panel.current_class_changed):
        panel.set_current_class(5)
    assert panel.current_class() == 5
    with pytest.raises(ValueError):
        panel.set_current_class(8)


def test_generate_requests_the_preset_with_the_field_values(qtbot, panel):
    choose_preset(qtbot, panel, "Spiral")
    type_into(qtbot, child(panel, QSpinBox, "pointsSpin"), "300")
    type_into(qtbot, child(panel, QSpinBox, "classesSpin"), "4")
    type_into(qtbot, child(panel, QSpinBox, "seedSpin"), "7")
    noise = child(panel, QDoubleSpinBox, "noiseSpin")
    type_into(qtbot, noise, f"0{noise.locale().decimalPoint()}25")
    with qtbot.waitSignal(panel.preset_requested) as blocker:
        qtbot.mouseClick(child(panel, QPushButton, "generateButton"), Qt.MouseButton.LeftButton)
    # Generate again means new points: the next data seed.
    assert blocker.args == ["spiral", 300, pytest.approx(0.25), 4, 8]
    assert child(panel, QSpinBox, "seedSpin").value() == 8


def test_choosing_a_preset_generates_it_at_once(qtbot, panel):
    chosen = []
    panel.preset_requested.connect(lambda *args: chosen.append(args))
    choose_preset(qtbot, panel, "Moons")
    assert chosen[-1][0] == "moons"
    assert chosen[-1][4] == child(panel, QSpinBox, "seedSpin").value()


def test_restoring_settings_generates_nothing(qtbot, panel):
    with qtbot.assertNotEmitted(panel.preset_requested):
        panel.set_settings({"preset": "circles", "points": 80})


def test_classes_are_fixed_at_two_for_binary_presets(qtbot, panel):
    classes = child(panel, QSpinBox, "classesSpin")
    choose_preset(qtbot, panel, "Spiral")
    assert classes.isEnabled()
    type_into(qtbot, classes, "5")
    choose_preset(qtbot, panel, "XOR")
    assert not classes.isEnabled() and classes.value() == 2
    with qtbot.waitSignal(panel.preset_requested) as blocker:
        qtbot.mouseClick(child(panel, QPushButton, "generateButton"), Qt.MouseButton.LeftButton)
    assert blocker.args[0] == "xor" and blocker.args[3] == 2
    choose_preset(qtbot, panel, "Gaussian blobs")
    assert classes.isEnabled() and classes.value() == 5  # the choice is remembered


def test_clear_button_requests_clearing(qtbot, panel):
    with qtbot.waitSignal(panel.clear_requested):
        qtbot.mouseClick(child(panel, QPushButton, "clearButton"), Qt.MouseButton.LeftButton)


def test_test_ratio_is_shown_in_percent_and_emitted_as_a_fraction(qtbot, panel):
    spin = child(panel, QSpinBox, "testRatioSpin")
    assert spin.text() == "20 %" and panel.test_ratio() == pytest.approx(0.2)
    spin.setFocus()
    with qtbot.waitSignal(panel.test_ratio_changed) as blocker:
        qtbot.keyClick(spin, Qt.Key.Key_Up)
    assert blocker.args == [pytest.approx(0.25)]
    assert panel.test_ratio() == pytest.approx(0.25)


def test_show_test_points_toggle(qtbot, panel):
    check = child(panel, QCheckBox, "showTestCheck")
    assert panel.show_test_points()
    with qtbot.waitSignal(panel.show_test_points_changed) as blocker:
        # On the box itself: the check box row is wider than its box and text.
        qtbot.mouseClick(check, Qt.MouseButton.LeftButton, pos=QPoint(8, check.height() // 2))
    assert blocker.args == [False] and not panel.show_test_points()


def test_every_control_has_a_tooltip(panel):
    for kind in (QPushButton, QSpinBox, QDoubleSpinBox, QComboBox, QCheckBox):
        for widget in panel.findChildren(kind):
            if widget.objectName().startswith("qt_"):
                continue  # Qt's own inner widgets
            assert widget.toolTip(), widget.objectName()


def test_settings_round_trip_through_json_without_signals(qtbot):
    wanted = {
        "preset": "gaussian",
        "points": 750,
        "noise": 0.35,
        "classes": 6,
        "seed": 42,
        "test_ratio": 0.3,
        "show_test_points": False,
    }
    other = DatasetPanel()
    qtbot.addWidget(other)
    with (
        qtbot.assertNotEmitted(other.test_ratio_changed),
        qtbot.assertNotEmitted(other.show_test_points_changed),
    ):
        other.set_settings(json.loads(json.dumps(wanted)))
    assert other.settings() == pytest.approx(wanted)
    assert other.test_ratio() == pytest.approx(0.3) and not other.show_test_points()
    assert child(other, QSpinBox, "classesSpin").value() == 6


def test_settings_survive_strings_and_ignore_garbage(panel):
    panel.set_settings({"points": "150", "show_test_points": "false", "seed": "x", "preset": "?"})
    settings = panel.settings()
    assert settings["points"] == 150 and settings["show_test_points"] is False
    assert settings["seed"] == 0 and settings["preset"] == "linear"


def test_fits_a_narrow_dock_in_under_250_pixels(panel):
    assert panel.minimumSizeHint().width() <= DOCK_WIDTH
    assert panel.sizeHint().height() <= 250
    assert panel.height() <= 250


def test_every_text_is_whole_and_the_drawing_hint_one_line_at_dock_width(panel):
    for label in panel.findChildren(QLabel):
        assert label.width() >= label.sizeHint().width(), label.text()
        assert label.font().pointSizeF() >= panel.font().pointSizeF(), label.text()
    for button in panel.findChildren(QAbstractButton):
        assert button.width() >= button.fontMetrics().horizontalAdvance(button.text())
    hint = child(panel, QLabel, "drawingHint")
    assert hint.height() < 2 * hint.fontMetrics().height()


def test_a_tall_dock_does_not_stretch_the_panel(qtbot):
    """Alone in a laptop-high dock column, the panel keeps its height and leaves the rest."""
    window = QMainWindow()
    qtbot.addWidget(window)
    dock = QDockWidget("Data", window)
    panel = DatasetPanel()
    dock.setWidget(panel)
    window.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, dock)
    window.setCentralWidget(QLabel("plane"))
    window.resize(1366, 768)
    window.show()
    qtbot.waitExposed(window)
    assert panel.height() == panel.sizeHint().height() <= 250


def test_screenshot(qtbot, panel):
    panel.set_class_counts([100, 100, 12])
    panel.set_current_class(1)
    SHOTS.mkdir(parents=True, exist_ok=True)
    assert panel.grab().save(str(SHOTS / "dataset_panel.png"))
