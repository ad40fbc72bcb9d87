"""File ▸ Export animation…: its settings dialog, and the export behind a progress dialog.

The frames are rendered and encoded on a thread of their own (QPainter on QImages needs no
window), so the window goes on training and redrawing; the progress dialog's Cancel stops the
export between two frames, and a cancelled export leaves no file.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QProgressDialog,
    QVBoxLayout,
    QWidget,
)

from mlpviz.core.errors import MlpvizError
from mlpviz.core.frame import Frame
from mlpviz.render_animation import (
    DEFAULT_SIZE,
    GIF_SIZES,
    MAX_FRAMES,
    MAX_SECONDS,
    MIN_SECONDS,
    VIDEO_HINT,
    VIDEO_SIZES,
    Cancelled,
    default_seconds,
    frame_indices,
    video_available,
    write_animation,
)

FEATURE_SPACE = "featureSpacePlot"  # drawn beside the data plane when asked
POLL_MS = 50  # how often the progress dialog follows the export's thread


@dataclass(frozen=True)
class AnimationSettings:
    """What the dialog asks: the file type (".gif" or ".mp4"), the views side by side, a
    view's size in pixels and the length in seconds."""

    suffix: str
    views: tuple[str, ...]
    size: int
    seconds: float


class AnimationDialog(QDialog):
    """Format, size, length and views of the animation of a run's ``n_checkpoints``."""

    def __init__(self, n_checkpoints: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("animationDialog")
        self.setWindowTitle("Export animation")
        self.setMinimumWidth(460)  # the note about MP4 on two lines, not four
        self._n_checkpoints = n_checkpoints
        self.format_box = self._format_box()
        self.size_box = QComboBox(objectName="animationSize")
        self.seconds_box = self._seconds_box()
        self.feature_space_box = self._feature_space_box()
        self.video_note = QLabel(VIDEO_HINT, objectName="videoNote")
        self.video_note.setWordWrap(True)
        self.video_note.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.video_note.setVisible(not video_available())
        self.frames_label = QLabel(objectName="animationFramesLabel")
        self._lay_out()
        self.format_box.currentIndexChanged.connect(self._on_format_changed)
        self.seconds_box.valueChanged.connect(self._show_frame_count)
        self._on_format_changed()

    def _format_box(self) -> QComboBox:
        box = QComboBox(objectName="animationFormat")
        box.addItem("Animated GIF (.gif)", ".gif")
        box.addItem("MP4 video (.mp4)", ".mp4")
        if not video_available():  # shown, greyed out, with the note saying how to get it
            box.model().item(1).setEnabled(False)
            box.setItemData(1, VIDEO_HINT, Qt.ItemDataRole.ToolTipRole)
        return box

    def _seconds_box(self) -> QDoubleSpinBox:
        box = QDoubleSpinBox(objectName="animationSeconds")
        box.setRange(MIN_SECONDS, MAX_SECONDS)
        box.setDecimals(1)
        box.setSuffix(" s")
        box.setValue(default_seconds(min(self._n_checkpoints, MAX_FRAMES)))
        box.setToolTip("How long the animation lasts; the last frame is held a little longer")
        return box

    def _feature_space_box(self) -> QCheckBox:
        box = QCheckBox("Feature space beside the data plane", objectName="animationFeatureSpace")
        box.setToolTip("The last hidden layer's feature space, on the run's own axes")
        return box

    def _lay_out(self) -> None:
        form = QFormLayout()
        form.addRow("Format:", self.format_box)
        form.addRow("", self.video_note)
        form.addRow("Size:", self.size_box)
        form.addRow("Length:", self.seconds_box)
        form.addRow("Views:", self.feature_space_box)
        form.addRow("", self.frames_label)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        export = buttons.addButton("Export…", QDialogButtonBox.ButtonRole.AcceptRole)
        export.setObjectName("animationExportButton")
        export.setDefault(True)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(buttons)

    def _on_format_changed(self) -> None:
        """The sizes a format offers: a GIF holds all its frames in memory while encoded."""
        sizes = VIDEO_SIZES if self.format_box.currentData() == ".mp4" else GIF_SIZES
        current = self.size_box.currentData() or DEFAULT_SIZE
        self.size_box.clear()
        for size in sizes:
            self.size_box.addItem(f"{size} × {size} pixels a view", size)
        self.size_box.setCurrentIndex(min(range(len(sizes)), key=lambda i: abs(sizes[i] - current)))
        self._show_frame_count()

    def _show_frame_count(self) -> None:
        frames = len(frame_indices(self._n_checkpoints, self.seconds_box.value()))
        self.frames_label.setText(
            f"{frames} frames from the run's {self._n_checkpoints} checkpoints"
        )

    def settings(self) -> AnimationSettings:
        """What the user chose."""
        views = ("dataPlane",)
        if self.feature_space_box.isChecked():
            views += (FEATURE_SPACE,)
        return AnimationSettings(
            suffix=self.format_box.currentData(),
            views=views,
            size=int(self.size_box.currentData()),
            seconds=self.seconds_box.value(),
        )


class AnimationExport(QObject):
    """One export on a thread of its own, followed by a progress dialog with Cancel.

    Emits ``finished(path)`` once the file is complete, ``failed(reason)`` or ``cancelled()``
    (then no file was written), always after the progress dialog has closed.
    """

    finished = Signal(str)
    failed = Signal(str)
    cancelled = Signal()

    def __init__(
        self,
        path: str | Path,
        frames: Sequence[Frame],
        settings: AnimationSettings,
        parent: QWidget,
    ) -> None:
        super().__init__(parent)
        self.path = str(path)
        self._frames = frames
        self._settings = settings
        self._cancel = threading.Event()
        self._done = 0
        self._outcome: tuple[str, str] | None = None  # ("finished" | "failed" | …, detail)
        total = len(frame_indices(len(frames), settings.seconds))
        self.dialog = QProgressDialog(f"Rendering {Path(path).name}…", "Cancel", 0, total, parent)
        self.dialog.setObjectName("animationProgress")
        self.dialog.setWindowTitle("Export animation")
        self.dialog.setMinimumDuration(0)
        self.dialog.setAutoClose(False)
        self.dialog.setAutoReset(False)
        self.dialog.canceled.connect(self.cancel)
        self._thread = threading.Thread(target=self._run, name="mlpviz-animation", daemon=True)
        self._timer = QTimer(self, interval=POLL_MS)
        self._timer.timeout.connect(self._poll)

    def start(self) -> None:
        """Start rendering; the progress dialog shows at once."""
        self.dialog.show()
        self._thread.start()
        self._timer.start()

    def cancel(self) -> None:
        """Stop before the next frame; nothing is written."""
        self._cancel.set()

    def is_running(self) -> bool:
        """Whether the export's thread is still at work."""
        return self._thread.is_alive()

    def stop(self) -> None:
        """Cancel and wait for the thread (the window is closing)."""
        self.cancel()
        if self._thread.is_alive():
            self._thread.join()
        self._timer.stop()
        self.dialog.close()

    def _run(self) -> None:
        """The thread: render and write; the outcome is read by _poll on the GUI thread."""
        try:
            write_animation(
                self.path,
                self._frames,
                views=self._settings.views,
                seconds=self._settings.seconds,
                size=self._settings.size,
                progress=self._on_progress,
                cancelled=self._cancel.is_set,
            )
            self._outcome = ("finished", self.path)
        except Cancelled:
            self._outcome = ("cancelled", "")
        except (MlpvizError, OSError) as error:
            self._outcome = ("failed", str(error))
        except Exception as error:  # never a traceback for the user: one line in a dialog
            self._outcome = ("failed", f"the animation could not be made: {error}")

    def _on_progress(self, done: int, _total: int) -> None:
        self._done = done  # an int written by one thread, read by the other

    def _poll(self) -> None:
        if not self._cancel.is_set():  # a value set after Cancel would show the dialog again
            self.dialog.setValue(min(self._done, self.dialog.maximum() - 1))
        if self._thread.is_alive():
            return
        self._timer.stop()
        self.dialog.close()
        kind, detail = self._outcome or ("failed", "the export stopped")
        if kind == "finished":
            self.finished.emit(detail)
        elif kind == "cancelled":
            self.cancelled.emit()
        else:
            self.failed.emit(detail)
