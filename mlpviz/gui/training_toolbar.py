"""The training toolbar: play/pause, step, step epoch, reset, speed, stop-at, iteration count.

It only emits intent (``play_requested``, ``speed_changed``, …) and shows what it is told
(``set_running``, ``show_snapshot``); the main window connects it to the worker.

Shortcuts (Space, →, Shift+→, R) have ``Qt.WindowShortcut`` context so they work wherever
the focus is in the window. Text fields and spin boxes keep their own keys: Qt first offers
the key to the focused widget as a ShortcutOverride, and line edits claim Space, letters and
the arrows. The compromise: a focused slider or combo box loses → and Shift+→ to Step.
"""

from __future__ import annotations

from PySide6.QtCore import QSignalBlocker, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QComboBox,
    QLabel,
    QSizePolicy,
    QSpinBox,
    QStyle,
    QToolBar,
    QToolButton,
    QWidget,
)

from mlpviz.core.frame import Frame
from mlpviz.core.snapshot import Snapshot
from mlpviz.gui.worker import DEFAULT_SPEED

SPEEDS: tuple[int | None, ...] = (1, 10, 100, None)  # iterations per frame; None = Max
SPEED_LABELS = ("1 it / frame", "10 it / frame", "100 it / frame", "Max")
MAX_STOP_AT = 99_999_999
STOP_AT_STEP = 100


class TrainingToolbar(QToolBar):
    """Buttons that drive training and a label with the iteration and epoch reached."""

    play_requested = Signal()
    pause_requested = Signal()
    step_requested = Signal()
    step_epoch_requested = Signal()
    reset_requested = Signal()
    speed_changed = Signal(object)  # int iterations per frame, or None for Max
    stop_at_changed = Signal(object)  # int iteration, or None for never

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Training", parent)
        self.setObjectName("trainingToolbar")
        self.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self._play_action = self._add_button(
            "Play", QStyle.StandardPixmap.SP_MediaPlay, "Space", "playButton", "Play"
        )
        self._play_action.setCheckable(True)
        self._play_action.triggered.connect(self._on_play_triggered)
        self._add_button(
            "Step",
            QStyle.StandardPixmap.SP_MediaSkipForward,
            "Right",
            "stepButton",
            "Step one iteration",
        ).triggered.connect(self.step_requested)
        self._add_button(
            "Step epoch",
            QStyle.StandardPixmap.SP_MediaSeekForward,
            "Shift+Right",
            "stepEpochButton",
            "Step one epoch: one pass over the training set",
        ).triggered.connect(self.step_epoch_requested)
        self._add_button(
            "Reset",
            QStyle.StandardPixmap.SP_BrowserReload,
            "R",
            "resetButton",
            "Reset the weights to their initial values",
        ).triggered.connect(self.reset_requested)
        self._fix_play_button_width()
        self.addSeparator()
        self._speed_combo = self._add_speed_combo()
        self._stop_at_spin = self._add_stop_at_spin()
        self.addSeparator()
        self._iteration_label = self._add_iteration_label()

    # --- building -------------------------------------------------------------------------
    def _add_button(
        self, text: str, icon: QStyle.StandardPixmap, shortcut: str, name: str, tip: str
    ) -> QAction:
        action = QAction(self.style().standardIcon(icon), text, self)
        action.setShortcut(QKeySequence(shortcut))
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        action.setToolTip(_tooltip(tip, action.shortcut()))
        self.addAction(action)
        self.widgetForAction(action).setObjectName(name)
        return action

    def _fix_play_button_width(self) -> None:
        """Size the play button for its longer text, so "Play"/"Pause" do not shift the bar."""
        button = self.play_button()
        widths = []
        for text in ("Play", "Pause"):
            button.setText(text)
            widths.append(button.sizeHint().width())
        button.setText("Play")
        button.setMinimumWidth(max(widths))

    def _add_speed_combo(self) -> QComboBox:
        self.addWidget(_spaced_label("Speed"))
        combo = QComboBox()
        combo.setObjectName("speedCombo")
        combo.addItems(SPEED_LABELS)
        combo.setCurrentIndex(SPEEDS.index(DEFAULT_SPEED))
        combo.setToolTip("Iterations between two redraws; Max trains as fast as it can")
        combo.currentIndexChanged.connect(self._on_speed_index_changed)
        self.addWidget(combo)
        return combo

    def _add_stop_at_spin(self) -> QSpinBox:
        self.addWidget(_spaced_label("Stop at"))
        spin = QSpinBox()
        spin.setObjectName("stopAtSpin")
        spin.setRange(0, MAX_STOP_AT)
        spin.setSingleStep(STOP_AT_STEP)
        spin.setSpecialValueText("never")
        spin.setGroupSeparatorShown(True)
        spin.setAccelerated(True)
        spin.setToolTip("Pause by itself at this iteration (0 = never)")
        spin.valueChanged.connect(self._on_stop_at_value_changed)
        self.addWidget(spin)
        return spin

    def _add_iteration_label(self) -> QLabel:
        label = QLabel()
        label.setObjectName("iterationLabel")
        label.setContentsMargins(8, 0, 8, 0)
        label.setToolTip("Parameter updates done · passes over the training set")
        # Room for large counts, so the bar does not reflow as the numbers grow.
        label.setMinimumWidth(
            label.fontMetrics().horizontalAdvance(_iteration_text(9_999_999, 99_999)) + 16
        )
        label.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
        label.setText(_iteration_text(0, 0))
        self.addWidget(label)
        return label

    # --- public slots and getters -----------------------------------------------------------
    def play_button(self) -> QToolButton:
        """The checkable Play/Pause button."""
        return self.widgetForAction(self._play_action)

    def set_running(self, running: bool) -> None:
        """Show the worker's state on the play button, without emitting anything."""
        with QSignalBlocker(self._play_action):
            self._play_action.setChecked(running)
        self._show_play_state(running)

    def show_snapshot(self, snapshot: Snapshot) -> None:
        """Show the snapshot's iteration and epoch."""
        self._iteration_label.setText(_iteration_text(snapshot.iteration, snapshot.epoch))

    def show_frame(self, frame: Frame) -> None:
        """Show the frame's iteration; a past one reads "viewing iteration N of M"."""
        snapshot = frame.snapshot
        if frame.is_live:
            self.show_snapshot(snapshot)
            return
        newest = snapshot.timeline[-1] if snapshot.timeline else snapshot.iteration
        self._iteration_label.setText(
            f"Iteration {snapshot.iteration:,} · epoch {snapshot.epoch:,} "
            f"(viewing iteration {snapshot.iteration:,} of {newest:,})"
        )

    def speed(self) -> int | None:
        """Iterations per frame chosen, or None for Max."""
        return SPEEDS[self._speed_combo.currentIndex()]

    def set_speed(self, value: int | None) -> None:
        """Select ``value`` (one of 1, 10, 100, None) without emitting speed_changed."""
        index = SPEEDS.index(value) if value in SPEEDS else SPEEDS.index(DEFAULT_SPEED)
        with QSignalBlocker(self._speed_combo):
            self._speed_combo.setCurrentIndex(index)

    def stop_at(self) -> int | None:
        """Iteration at which training pauses by itself, or None for never."""
        return self._stop_at_spin.value() or None

    def set_stop_at(self, value: int | None) -> None:
        """Show ``value`` (None = never) without emitting stop_at_changed."""
        with QSignalBlocker(self._stop_at_spin):
            self._stop_at_spin.setValue(int(value or 0))

    # --- private slots ----------------------------------------------------------------------
    def _on_play_triggered(self, checked: bool) -> None:
        self._show_play_state(checked)
        if checked:
            self.play_requested.emit()
        else:
            self.pause_requested.emit()

    def _on_speed_index_changed(self, index: int) -> None:
        self.speed_changed.emit(SPEEDS[index])

    def _on_stop_at_value_changed(self, value: int) -> None:
        self.stop_at_changed.emit(value or None)

    def _show_play_state(self, running: bool) -> None:
        action = self._play_action
        icon = (
            QStyle.StandardPixmap.SP_MediaPause if running else QStyle.StandardPixmap.SP_MediaPlay
        )
        action.setIcon(self.style().standardIcon(icon))
        action.setText("Pause" if running else "Play")
        action.setToolTip(_tooltip("Pause" if running else "Play", action.shortcut()))


def _tooltip(text: str, shortcut: QKeySequence) -> str:
    """``text`` with its shortcut, arrows drawn as arrows: "Step one iteration (→)"."""
    keys = shortcut.toString(QKeySequence.SequenceFormat.NativeText)
    return f"{text} ({keys.replace('Right', '→')})"


def _iteration_text(iteration: int, epoch: int) -> str:
    return f"Iteration {iteration:,} · epoch {epoch:,}"


def _spaced_label(text: str) -> QLabel:
    label = QLabel(text)
    label.setContentsMargins(8, 0, 4, 0)
    return label
