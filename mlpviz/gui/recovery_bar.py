"""The bar that offers to restore the work a crash or a kill left behind."""

from __future__ import annotations

import datetime
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QLabel, QPushButton, QToolBar, QWidget


class RecoveryBar(QToolBar):
    """ "Restore the session from HH:MM?" with Restore and Dismiss; hidden until offered."""

    restore_requested = Signal(object)  # the autosave file's Path
    dismissed = Signal(object)  # the autosave file's Path

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Recovery", parent)
        self.setObjectName("recoveryBar")
        self.setMovable(False)
        self._path: Path | None = None
        self._label = QLabel()
        self._label.setContentsMargins(8, 0, 8, 0)
        self.addWidget(self._label)
        self.restore_button = self._button("Restore", "restoreButton", self._on_restore)
        self.dismiss_button = self._button("Dismiss", "dismissRecoveryButton", self._on_dismiss)
        self.hide()

    def _button(self, text: str, name: str, slot) -> QPushButton:
        button = QPushButton(text)
        button.setObjectName(name)
        button.clicked.connect(slot)
        self.addWidget(button)
        return button

    def offer(self, path: Path, modified: float) -> None:
        """Show the bar for the autosave file ``path`` written at ``modified`` (epoch s)."""
        self._path = path
        when = datetime.datetime.fromtimestamp(modified)
        day = "" if when.date() == datetime.date.today() else f" on {when:%d %b}"
        self._label.setText(
            f"mlpviz did not close normally. Restore the session from {when:%H:%M}{day}?"
        )
        self.show()

    def _on_restore(self) -> None:
        self.hide()
        self.restore_requested.emit(self._path)

    def _on_dismiss(self) -> None:
        self.hide()
        self.dismissed.emit(self._path)
