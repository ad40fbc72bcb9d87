"""The "Data" panel: the class to draw with, dataset presets, clearing and the test split."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QSignalBlocker, Qt, Signal
from PySide6.QtGui import QColor, QKeySequence, QPalette, QShortcut
from PySide6.QtWidgets import (
    QAbstractButton,
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from mlpviz.core.datasets import MAX_CLASSES, MULTICLASS_PRESETS, PRESETS
from mlpviz.gui.style import CLASS_COLORS

PRESET_TITLES = {
    "linear": "Linear",
    "xor": "XOR",
    "circles": "Circles",
    "moons": "Moons",
    "spiral": "Spiral",
    "gaussian": "Gaussian blobs",
}
PRESET_HINTS = {
    "linear": "Two clusters a straight line separates: a single neuron can learn it.",
    "xor": "Four clusters in the XOR pattern: no single line separates them.",
    "circles": "A disc inside a ring: the boundary has to close around the centre.",
    "moons": "Two interleaved half-moons: the boundary has to bend.",
    "spiral": "One spiral arm per class: hard, it needs a bigger network.",
    "gaussian": "One Gaussian blob per class, evenly around a circle.",
}

DEFAULT_SETTINGS: dict[str, Any] = {
    "preset": "linear",
    "points": 200,
    "noise": 0.1,
    "classes": 3,
    "seed": 0,
    "test_ratio": 0.2,
    "show_test_points": True,
}
MAX_POINTS = 5000
MAX_SEED = 2**31 - 1  # the largest value a QSpinBox holds
CLASS_BUTTON_SIZE = 28
DRAWING_HINT = "Click/drag: add points · Right-click: remove"
DRAWING_HELP = (
    "On the data plane: click to add a point of the chosen class, drag to paint several, "
    "right-click a point to remove it."
)


def _text_color(background: str) -> str:
    """Black or white, whichever reads better on ``background``."""
    color = QColor(background)
    luminance = 0.299 * color.red() + 0.587 * color.green() + 0.114 * color.blue()
    return "#111111" if luminance > 150 else "#FFFFFF"


def _class_button_style(background: str) -> str:
    """Filled with the class colour; when checked, a thick dark ring marks the class in use."""
    hover = QColor(background).lighter(115).name()
    return f"""
        QPushButton {{
            background: {background}; color: {_text_color(background)};
            border: 2px solid {background}; border-radius: 6px; font-weight: bold;
        }}
        QPushButton:hover {{ background: {hover}; }}
        QPushButton:checked {{ border: 3px solid #111111; }}
        QPushButton:focus {{ outline: none; }}
    """


def _as_bool(value: Any) -> bool:
    """QSettings may hand back booleans as the strings "true" / "false"."""
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "yes")
    return bool(value)


class DatasetPanel(QWidget):
    """Chooses the class to draw with (keys 0–7), generates presets, clears, sets the split.

    It emits intent only; the main window changes the dataset and calls ``set_class_counts``.
    """

    current_class_changed = Signal(int)
    preset_requested = Signal(str, int, float, int, int)  # name, n, noise, n_classes, seed
    clear_requested = Signal()
    test_ratio_changed = Signal(float)
    show_test_points_changed = Signal(bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("datasetPanel")
        # As tall as its rows and no taller: the Network dock below gets the rest of the column.
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        self._chosen_classes = DEFAULT_SETTINGS["classes"]
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.setSpacing(4)
        layout.addLayout(self._build_class_row())
        layout.addWidget(self._build_drawing_hint())
        layout.addSpacing(4)
        layout.addLayout(self._build_fields_grid())
        self._make_class_shortcuts()
        self.set_class_counts([])
        self.set_settings(DEFAULT_SETTINGS)
        self.set_current_class(0)

    # --- construction ------------------------------------------------------------------
    def _build_class_row(self) -> QGridLayout:
        """The eight class buttons, each with its number of points under it."""
        grid = QGridLayout()
        grid.setHorizontalSpacing(3)
        grid.setVerticalSpacing(0)
        self._class_group = QButtonGroup(self)
        self._class_group.setExclusive(True)
        self._count_labels: list[QLabel] = []
        for k, color in enumerate(CLASS_COLORS):
            grid.addWidget(self._make_class_button(k, color), 0, k)
            count = QLabel()
            count.setObjectName(f"classCount{k}")
            count.setAlignment(Qt.AlignmentFlag.AlignHCenter)
            _show_as_note(count)
            self._count_labels.append(count)
            grid.addWidget(count, 1, k)
            grid.setColumnStretch(k, 1)
        self._class_group.idClicked.connect(self._on_class_clicked)
        return grid

    def _make_class_button(self, k: int, color: str) -> QPushButton:
        button = QPushButton(str(k))
        button.setObjectName(f"classButton{k}")
        button.setCheckable(True)
        # the eight buttons share the panel's width, so they line up with the fields below
        button.setFixedHeight(CLASS_BUTTON_SIZE)
        button.setMinimumWidth(CLASS_BUTTON_SIZE)
        button.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        button.setStyleSheet(_class_button_style(color))
        button.setAccessibleName(f"Class {k}")
        self._class_group.addButton(button, k)
        return button

    def _build_drawing_hint(self) -> QLabel:
        hint = QLabel(DRAWING_HINT)
        hint.setObjectName("drawingHint")
        hint.setWordWrap(True)
        hint.setToolTip(DRAWING_HELP)
        _show_as_note(hint)
        return hint

    def _build_fields_grid(self) -> QGridLayout:
        """Preset and Generate; points, noise, classes and seed; the test split and Clear.

        One grid, so that the labels and fields of every row line up in four columns.
        """
        self._make_preset_fields()
        self._make_split_fields()
        grid = QGridLayout()
        grid.setHorizontalSpacing(6)
        grid.setVerticalSpacing(4)
        grid.addWidget(_label("Preset", self._preset_combo), 0, 0)
        grid.addWidget(self._preset_combo, 0, 1, 1, 2)
        grid.addWidget(self._make_generate_button(), 0, 3)
        grid.addWidget(_label("Points", self._points_spin), 1, 0)
        grid.addWidget(self._points_spin, 1, 1)
        grid.addWidget(_label("Noise", self._noise_spin), 1, 2)
        grid.addWidget(self._noise_spin, 1, 3)
        grid.addWidget(_label("Classes", self._classes_spin), 2, 0)
        grid.addWidget(self._classes_spin, 2, 1)
        grid.addWidget(_label("Seed", self._seed_spin), 2, 2)
        grid.addWidget(self._seed_spin, 2, 3)
        grid.addWidget(_label("Test", self._test_ratio_spin), 3, 0)
        grid.addWidget(self._test_ratio_spin, 3, 1)
        grid.addLayout(self._build_show_and_clear_row(), 3, 2, 1, 2)
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(3, 1)
        return grid

    def _make_generate_button(self) -> QPushButton:
        generate = _compact_button(
            "Generate", "generateButton", "Replace the points with a new dataset from the preset"
        )
        generate.clicked.connect(self._on_generate_clicked)
        return generate

    def _make_preset_fields(self) -> None:
        self._preset_combo = self._make_preset_combo()
        self._points_spin = _spin_box("pointsSpin", 1, MAX_POINTS, "Number of points")
        self._points_spin.setSingleStep(50)
        self._noise_spin = QDoubleSpinBox(objectName="noiseSpin")
        self._noise_spin.setRange(0.0, 1.0)
        self._noise_spin.setSingleStep(0.05)
        self._noise_spin.setDecimals(2)
        self._noise_spin.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self._noise_spin.setToolTip(
            "How far points stray from the clean shape (0 = none, 1 = a lot)"
        )
        self._classes_spin = _spin_box("classesSpin", 2, MAX_CLASSES, "")
        self._classes_spin.valueChanged.connect(self._on_classes_changed)
        self._seed_spin = _spin_box("seedSpin", 0, MAX_SEED, "The same seed gives the same points")
        # sized for everyday seeds, not for the ten digits of MAX_SEED, to fit a narrow dock
        self._seed_spin.setMinimumWidth(self._points_spin.minimumSizeHint().width())

    def _make_preset_combo(self) -> QComboBox:
        combo = QComboBox(objectName="presetCombo")
        combo.setToolTip("The shape of the generated dataset")
        combo.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        for name in PRESETS:
            combo.addItem(PRESET_TITLES.get(name, name.capitalize()), name)
            combo.setItemData(
                combo.count() - 1, PRESET_HINTS.get(name, ""), Qt.ItemDataRole.ToolTipRole
            )
        combo.currentIndexChanged.connect(self._on_preset_changed)
        # Choosing a preset generates it at once, as in TF Playground (activated: the user
        # chose it; settings restored from code only change the index).
        combo.activated.connect(self._emit_preset)
        return combo

    def _make_split_fields(self) -> None:
        self._test_ratio_spin = _spin_box(
            "testRatioSpin",
            0,
            90,
            "Share of the points held out as the test set, to measure generalisation",
        )
        self._test_ratio_spin.setSingleStep(5)
        self._test_ratio_spin.setSuffix(" %")
        self._test_ratio_spin.valueChanged.connect(self._on_test_ratio_changed)
        self._show_test_check = QCheckBox("Show", objectName="showTestCheck")
        self._show_test_check.setToolTip(
            "Show the test points, drawn hollow; the network never trains on them"
        )
        self._show_test_check.toggled.connect(self.show_test_points_changed)

    def _build_show_and_clear_row(self) -> QHBoxLayout:
        clear = _compact_button(
            "Clear", "clearButton", "Remove every point (undo brings them back)"
        )
        clear.clicked.connect(self.clear_requested)
        row = QHBoxLayout()
        row.setSpacing(6)
        row.addWidget(self._show_test_check)
        row.addStretch(1)
        row.addWidget(clear)
        return row

    def _make_class_shortcuts(self) -> None:
        for k in range(len(CLASS_COLORS)):
            shortcut = QShortcut(QKeySequence(str(k)), self)
            shortcut.setContext(Qt.ShortcutContext.WindowShortcut)
            shortcut.activated.connect(lambda k=k: self._on_class_clicked(k))

    # --- public slots and getters --------------------------------------------------------
    def set_current_class(self, k: int) -> None:
        """Check class ``k``'s button without emitting ``current_class_changed``."""
        button = self._class_button(k)
        with QSignalBlocker(self._class_group):
            button.setChecked(True)

    def current_class(self) -> int:
        """The class new points get (0…7)."""
        return self._class_group.checkedId()

    def set_class_counts(self, counts: Sequence[int]) -> None:
        """Show how many points each class has (missing classes have none)."""
        for k, label in enumerate(self._count_labels):
            count = int(counts[k]) if k < len(counts) else 0
            label.setText(f"{count:,}")
            noun = "point" if count == 1 else "points"
            self._class_button(k).setToolTip(
                f"Class {k} — {count:,} {noun} (key {k})\n{DRAWING_HELP}"
            )

    def test_ratio(self) -> float:
        """The share of points held out as the test set, 0…0.9."""
        return self._test_ratio_spin.value() / 100.0

    def show_test_points(self) -> bool:
        """Whether the test points are drawn."""
        return self._show_test_check.isChecked()

    def settings(self) -> dict[str, Any]:
        """The preset fields, test ratio and test-point toggle as a JSON-friendly dict."""
        return {
            "preset": self._preset_combo.currentData(),
            "points": self._points_spin.value(),
            "noise": self._noise_spin.value(),
            "classes": self._chosen_classes,
            "seed": self._seed_spin.value(),
            "test_ratio": self.test_ratio(),
            "show_test_points": self.show_test_points(),
        }

    def set_settings(self, settings: dict[str, Any]) -> None:
        """Restore what ``settings()`` returned; missing or invalid entries are left as they are.

        Emits nothing: the caller reads ``test_ratio()`` and ``show_test_points()`` after.
        """
        for key, apply in (
            ("preset", self._apply_preset),
            ("classes", lambda value: self._apply_classes(int(value))),
            ("points", lambda value: self._points_spin.setValue(int(value))),
            ("noise", lambda value: self._noise_spin.setValue(float(value))),
            ("seed", lambda value: self._seed_spin.setValue(int(value))),
            ("test_ratio", lambda value: self._apply_test_ratio(float(value))),
            ("show_test_points", lambda value: self._apply_show_test(_as_bool(value))),
        ):
            if key in settings:
                try:
                    apply(settings[key])
                except (TypeError, ValueError):
                    continue  # a corrupt stored value keeps the current one

    # --- private -------------------------------------------------------------------------
    def _class_button(self, k: int) -> QAbstractButton:
        button = self._class_group.button(k)
        if button is None:
            raise ValueError(f"class must be 0..{len(CLASS_COLORS) - 1}, got {k}")
        return button

    def _apply_preset(self, name: Any) -> None:
        index = self._preset_combo.findData(str(name))
        if index >= 0:
            self._preset_combo.setCurrentIndex(index)

    def _apply_classes(self, n_classes: int) -> None:
        self._chosen_classes = min(max(n_classes, 2), MAX_CLASSES)
        self._update_classes_spin()

    def _apply_test_ratio(self, ratio: float) -> None:
        with QSignalBlocker(self._test_ratio_spin):
            self._test_ratio_spin.setValue(round(ratio * 100))

    def _apply_show_test(self, show: bool) -> None:
        with QSignalBlocker(self._show_test_check):
            self._show_test_check.setChecked(show)

    def _preset_is_multiclass(self) -> bool:
        return self._preset_combo.currentData() in MULTICLASS_PRESETS

    def _update_classes_spin(self) -> None:
        """Multi-class presets use the chosen number of classes; the others are fixed at 2."""
        multiclass = self._preset_is_multiclass()
        with QSignalBlocker(self._classes_spin):
            self._classes_spin.setValue(self._chosen_classes if multiclass else 2)
        self._classes_spin.setEnabled(multiclass)
        self._classes_spin.setToolTip(
            "Number of classes"
            if multiclass
            else "This preset has two classes; Spiral and Gaussian blobs can have more"
        )

    def _on_preset_changed(self) -> None:
        self._update_classes_spin()

    def _on_classes_changed(self, value: int) -> None:
        self._chosen_classes = value

    def _on_class_clicked(self, k: int) -> None:
        self.set_current_class(k)
        self.current_class_changed.emit(k)

    def _on_generate_clicked(self) -> None:
        """Generate again: the same preset with the next data seed, so new points."""
        self._seed_spin.setValue((self._seed_spin.value() + 1) % (MAX_SEED + 1))
        self._emit_preset()

    def _emit_preset(self) -> None:
        self.preset_requested.emit(*self.preset_arguments().values())

    def preset_arguments(self) -> dict[str, Any]:
        """The preset fields as ``make_preset``'s arguments: name, n, noise, n_classes, seed."""
        return {
            "name": self._preset_combo.currentData(),
            "n": self._points_spin.value(),
            "noise": self._noise_spin.value(),
            "n_classes": self._classes_spin.value(),
            "seed": self._seed_spin.value(),
        }

    def _on_test_ratio_changed(self, percent: int) -> None:
        self.test_ratio_changed.emit(percent / 100.0)


def _show_as_note(label: QLabel) -> None:
    """A softer text colour that stays readable on a projector (disabled text does not)."""
    label.setForegroundRole(QPalette.ColorRole.PlaceholderText)


def _label(text: str, buddy: QWidget) -> QLabel:
    """A field's short label, tied to the field so that screen readers name it."""
    label = QLabel(text)
    label.setBuddy(buddy)
    return label


def _compact_button(text: str, name: str, tooltip: str) -> QPushButton:
    """A push button that may shrink to its text: the style's 80 px minimum is too wide here."""
    button = QPushButton(text)
    button.setObjectName(name)
    button.setToolTip(tooltip)
    button.setMinimumWidth(button.fontMetrics().horizontalAdvance(text) + 16)
    return button


def _spin_box(name: str, minimum: int, maximum: int, tooltip: str) -> QSpinBox:
    """An integer spin box with an objectName, a range and a tooltip."""
    spin = QSpinBox(objectName=name)
    spin.setRange(minimum, maximum)
    spin.setToolTip(tooltip)
    spin.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
    return spin
