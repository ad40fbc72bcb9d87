"""The timeline bar: a slider over the run's checkpoints, replay, and continue from here.

It emits intent only: ``checkpoint_requested(index)`` while the user drags (or a replay
plays), ``live_requested`` when the slider comes back to its end, and
``continue_requested(index)``. The slider's value is the checkpoint index (0 = iteration 0);
at its maximum it follows the live run.
"""

from __future__ import annotations

from PySide6.QtCore import QSignalBlocker, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QLabel,
    QPushButton,
    QSizePolicy,
    QSlider,
    QToolBar,
    QWidget,
)

from mlpviz.core.frame import Frame

REPLAY_FPS = 30
REPLAY_SECONDS = (2, 5, 10, 20, 40)
DEFAULT_REPLAY_SECONDS = 10


class TimelineBar(QToolBar):
    """Scrub, replay and rewind the recorded run."""

    checkpoint_requested = Signal(int)
    live_requested = Signal()
    continue_requested = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Timeline", parent)
        self.setObjectName("timelineBar")
        self._replay_timer = QTimer(self)
        self._replay_timer.setInterval(1000 // REPLAY_FPS)
        self._replay_timer.timeout.connect(self._on_replay_tick)
        self._replay_path: list[int] = []
        self.addWidget(_spaced(QLabel("Timeline")))
        self.slider = self._add_slider()
        self.replay_button = self._add_replay_button()
        self._seconds_combo = self._add_seconds_combo()
        self.continue_button = self._add_continue_button()
        self._label = QLabel()
        self._label.setObjectName("timelineLabel")
        self.addWidget(_spaced(self._label))
        self.set_checkpoints((0,))

    # --- construction -----------------------------------------------------------------
    def _add_slider(self) -> QSlider:
        slider = QSlider(Qt.Orientation.Horizontal)
        slider.setObjectName("timelineSlider")
        slider.setAccessibleName("Timeline")
        slider.setToolTip(
            "Drag to see the network as it was at any recorded iteration (training pauses); "
            "at the right end it follows the live run"
        )
        slider.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        slider.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        slider.setMinimumWidth(160)
        slider.valueChanged.connect(self._on_slider_moved)
        self.addWidget(slider)
        return slider

    def _add_replay_button(self) -> QPushButton:
        button = QPushButton("Replay")
        button.setObjectName("replayButton")
        button.setCheckable(True)
        button.setToolTip("Replay the recorded run from the slider's position to the end")
        button.toggled.connect(self._on_replay_toggled)
        self.addWidget(button)
        return button

    def _add_seconds_combo(self) -> QComboBox:
        combo = QComboBox()
        combo.setObjectName("replaySecondsCombo")
        combo.setToolTip("How long the replay takes")
        for seconds in REPLAY_SECONDS:
            combo.addItem(f"{seconds} s", seconds)
        combo.setCurrentIndex(REPLAY_SECONDS.index(DEFAULT_REPLAY_SECONDS))
        self.addWidget(combo)
        return combo

    def _add_continue_button(self) -> QPushButton:
        button = QPushButton("Continue from here")
        button.setObjectName("continueFromHereButton")
        button.setToolTip(
            "Go back to the iteration viewed and train on from there, exactly as the run was "
            "then; the later checkpoints are dropped"
        )
        button.clicked.connect(lambda: self.continue_requested.emit(self.slider.value()))
        self.addWidget(button)
        return button

    # --- state --------------------------------------------------------------------------
    def set_checkpoints(self, iterations: tuple[int, ...]) -> None:
        """The run's recorded iterations; a slider at its end stays there (live)."""
        self._iterations = iterations or (0,)
        following = self.is_live()
        with QSignalBlocker(self.slider):
            self.slider.setMaximum(len(self._iterations) - 1)
            if following:
                self.slider.setValue(self.slider.maximum())
        self._show_state()

    def show_frame(self, frame: Frame) -> None:
        """Span the frame's timeline (the slider stays where the user put it)."""
        self.set_checkpoints(frame.snapshot.timeline)

    def is_live(self) -> bool:
        """Whether the slider is at its end, following the live run."""
        return self.slider.value() >= self.slider.maximum()

    def show_live(self) -> None:
        """Move the slider to its end without emitting anything."""
        self.stop_replay()
        with QSignalBlocker(self.slider):
            self.slider.setValue(self.slider.maximum())
        self._show_state()

    def viewed_iteration(self) -> int:
        """The iteration of the checkpoint the slider is on."""
        return self._iterations[min(self.slider.value(), len(self._iterations) - 1)]

    def stop_replay(self) -> None:
        """End a replay where it is."""
        self._replay_timer.stop()
        with QSignalBlocker(self.replay_button):
            self.replay_button.setChecked(False)

    def _show_state(self) -> None:
        live = self.is_live()
        self.continue_button.setEnabled(not live)
        count = len(self._iterations)
        if live:
            self._label.setText(f"live · {count:,} checkpoints")
        else:
            self._label.setText(f"checkpoint {self.slider.value() + 1:,} of {count:,}")

    # --- slots ----------------------------------------------------------------------------
    def _on_slider_moved(self, index: int) -> None:
        self._show_state()
        if self.is_live():
            self.live_requested.emit()
        else:
            self.checkpoint_requested.emit(index)

    def _on_replay_toggled(self, playing: bool) -> None:
        if not playing:
            self._replay_timer.stop()
            return
        start = 0 if self.is_live() else self.slider.value()
        end = self.slider.maximum()
        ticks = max(1, self._seconds_combo.currentData() * REPLAY_FPS)
        path = sorted({start + round((end - start) * k / ticks) for k in range(ticks + 1)})
        self._replay_path = path
        self._replay_timer.start()

    def _on_replay_tick(self) -> None:
        if not self._replay_path:
            self.stop_replay()
            return
        index = self._replay_path.pop(0)
        self.slider.setValue(index)  # emits checkpoint_requested, or live_requested at the end
        if index >= self.slider.maximum():
            self.stop_replay()


def _spaced(label: QLabel) -> QLabel:
    label.setContentsMargins(6, 0, 6, 0)
    return label
