"""Autosave and crash recovery: the work is never more than a few seconds from the disk.

Each window keeps its own autosave file, ``autosave-PID-N.mlpviz`` in the application's data
folder (``QStandardPaths.GenericDataLocation``/mlpviz, i.e. AppDataLocation for the app named
mlpviz), written by the training thread so the window never waits for it: within
``EDIT_DELAY_SECONDS`` of an edit of the data or a setting, and at most every
``TRAINING_DELAY_SECONDS`` while a run trains. A clean quit deletes it. A file whose process is
gone was left by a crash or a kill: the next window offers to restore it.
"""

from __future__ import annotations

import itertools
import os
import time
from pathlib import Path

from PySide6.QtCore import QObject, QStandardPaths, QTimer, Slot

from .worker import TrainingWorker

EDIT_DELAY_SECONDS = 3.0  # edits reach the disk within this (and a check interval)
TRAINING_DELAY_SECONDS = 30.0  # a playing run is saved at most this often
CHECK_INTERVAL_MS = 1000
PREFIX = "autosave-"
SUFFIX = ".mlpviz"

_window_numbers = itertools.count(1)


def autosave_folder() -> Path:
    """Where autosave files live (created when needed)."""
    base = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.GenericDataLocation)
    return Path(base or Path.home() / ".local" / "share") / "mlpviz"


def left_by_a_crash() -> Path | None:
    """The newest autosave file whose process is gone, or None."""
    folder = autosave_folder()
    if not folder.is_dir():
        return None
    orphans = [path for path in folder.glob(f"{PREFIX}*{SUFFIX}") if not _owner_alive(path)]
    return max(orphans, key=_modified_time, default=None)


def _owner_alive(path: Path) -> bool:
    """Whether the process that writes ``path`` still runs (it may be this one)."""
    try:
        pid = int(path.name[len(PREFIX) :].split("-")[0])
    except ValueError:
        return False  # not one of ours: treat as left over
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _modified_time(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


class Autosave(QObject):
    """Asks the worker to save the session to this window's autosave file when it is due."""

    def __init__(self, worker: TrainingWorker, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._worker = worker
        self.path = autosave_folder() / f"{PREFIX}{os.getpid()}-{next(_window_numbers)}{SUFFIX}"
        self._edited_at: float | None = None
        self._trained = False
        self._saved_at = time.monotonic()
        self._saving = False
        self._timer = QTimer(self)
        self._timer.setInterval(CHECK_INTERVAL_MS)
        self._timer.timeout.connect(self._save_if_due)
        self._timer.start()
        worker.saved.connect(self._on_saved)
        worker.save_failed.connect(self._on_save_failed)

    def note_edit(self) -> None:
        """Data or settings changed: save within a few seconds."""
        if self._edited_at is None:
            self._edited_at = time.monotonic()

    def note_training(self) -> None:
        """Training went on: save within half a minute."""
        self._trained = True

    def discard(self) -> None:
        """A clean quit: nothing is left to restore."""
        self._timer.stop()
        self.path.unlink(missing_ok=True)

    def _save_if_due(self) -> None:
        if self._saving:
            return
        now = time.monotonic()
        edit_due = self._edited_at is not None and now - self._edited_at >= EDIT_DELAY_SECONDS
        training_due = self._trained and now - self._saved_at >= TRAINING_DELAY_SECONDS
        if edit_due or training_due:
            self._edited_at, self._trained, self._saving = None, False, True
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._worker.save(self.path)

    @Slot(str)
    def _on_saved(self, path: str) -> None:
        if Path(path) == self.path:
            self._saving = False
            self._saved_at = time.monotonic()

    @Slot(str)
    def _on_save_failed(self, _message: str) -> None:
        self._saving = False  # tried again at the next edit; the window says nothing: the
        # autosave is a safety net, and a full disk is reported when the user saves
