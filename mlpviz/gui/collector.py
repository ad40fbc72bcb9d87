"""Python's garbage collection in the GUI thread only, while a window's threads run.

The collector runs in whichever thread allocates when a generation's threshold is reached. In
the training worker's thread (unpickling a burst of checkpoints allocates thousands of objects)
it then destroyed PySide wrappers of the GUI thread's objects, whose clean-up takes shiboken's
lock while the GUI thread, holding that lock, waited for the interpreter: the window froze
(seen twice in test runs: the worker in pickle.loads, the GUI thread in an event filter, every
thread waiting). pyqtgraph's documented remedy: automatic collection off, and the GUI thread
collects on a timer, with the same thresholds.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer

INTERVAL_MS = 250  # a few collections a second, as the thresholds would roughly ask
_users = 0  # windows that turned automatic collection off (it comes back with the last)


class GuiThreadCollector(QObject):
    """While started, automatic garbage collection is off and this object collects from the
    GUI thread whenever a generation's count exceeds its threshold."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._timer = QTimer(self)
        self._timer.setInterval(INTERVAL_MS)
        self._timer.timeout.connect(self.collect_due)
        self._started = False

    def start(self) -> None:
        """Turn automatic collection off (for every window's lifetime) and collect here."""
        global _users
        if self._started:
            return
        self._started = True
        _users += 1
        gc.disable()
        self._timer.start()

    def stop(self) -> None:
        """Stop collecting here; the last window to stop turns automatic collection back on."""
        global _users
        if not self._started:
            return
        self._started = False
        self._timer.stop()
        _users -= 1
        if _users == 0:
            gc.enable()

    def collect_due(self) -> None:
        """Collect the generations whose count exceeds their threshold, as gc would."""
        thresholds = gc.get_threshold()
        counts = gc.get_count()
        for generation in range(3):
            if counts[generation] <= thresholds[generation]:
                return
            gc.collect(generation)
