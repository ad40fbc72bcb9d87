"""PaintTimed: a widget that measures its own paints, so that drawing it can be paced.

Most of what a view costs the GUI thread is not its ``show_frame`` but the paint Qt runs
afterwards (curves of thousands of points, thousands of links). The FrameDirector adds the
paint cost a view reports to the time its ``show_frame`` took.
"""

from __future__ import annotations

import time

from PySide6.QtGui import QPaintEvent


class PaintTimed:
    """Mixin, before the Qt widget class: times every paint.

    ``last_paint_seconds`` is the newest paint's duration, ``take_paint_seconds`` what the
    paints since it was last called took together (a new frame may repaint a widget in
    several parts: pyqtgraph's two plots of the loss, say); both in CPU time of the GUI
    thread, which the machine's other work does not inflate.
    """

    last_paint_seconds = 0.0
    _paint_seconds = 0.0

    def paintEvent(self, event: QPaintEvent) -> None:
        """Paint, timing it."""
        start = time.thread_time()  # the GUI thread's time, not the machine's load
        super().paintEvent(event)
        self.last_paint_seconds = time.thread_time() - start
        self._paint_seconds += self.last_paint_seconds

    def take_paint_seconds(self) -> float:
        """Seconds painted since the last call; starts over."""
        took, self._paint_seconds = self._paint_seconds, 0.0
        return took
