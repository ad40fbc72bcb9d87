"""Choosing the Frame every view draws: the live run, or a checkpoint of its timeline.

The FrameDirector receives the worker's snapshots, draws only the newest (a burst of them is
one frame), builds the live Frame from the snapshot and the data the user sees, or a past one
from the session's timeline when the user scrubs, and hands it to every view. Views compute
nothing: they draw the Frame they are given.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import replace
from typing import Protocol

from PySide6.QtCore import QEvent, QObject, QTimer, Signal, Slot
from PySide6.QtWidgets import QDockWidget, QWidget

from mlpviz.core.datasets import Dataset
from mlpviz.core.frame import Frame, follow_selection
from mlpviz.core.snapshot import Snapshot

from .app_state import AppState
from .worker import TrainingWorker

SLOW_VIEWS_INTERVAL_SECONDS = 0.1  # curves and heatmaps: 10 redraws a second while playing
MAX_VIEW_SHARE = 0.4  # while playing, drawing one view takes at most this share of the time
SLOW_VIEW_SHARE = 0.15  # … and one of the slow views at most this share
FRAME_DRAW_BUDGET_SECONDS = 0.03  # views costlier than this together wait for the next frame
CHEAP_VIEW_SECONDS = 0.003  # views this cheap (labels, buttons) never wait
VIEW_COST_WEIGHT = 0.3  # weight of the newest draw in a view's measured cost


class View(Protocol):
    """Anything that draws a Frame."""

    def show_frame(self, frame: Frame) -> None:
        """Draw ``frame`` and nothing else."""


class _PacedView:
    """A view and how often it is drawn while playing: at most every ``min_interval`` s, and
    less often when drawing it is slow, so that it takes at most ``share`` of the time (the
    decision regions of a large network take tens of milliseconds). Drawing it means its
    ``show_frame`` and the paint that follows, which a view reports with
    ``take_paint_seconds`` (``PaintTimed``): curves and links cost more to paint than to set.
    Only the frames of a running run are timed: a new dataset, drawn once, says nothing about
    the next frames. A view that is a hidden widget (a closed dock, a tab behind another) is
    not drawn while playing: it is ``stale`` until shown."""

    def __init__(self, view: View, min_interval: float, share: float) -> None:
        self.view = view
        self.stale = False  # hidden while a frame went by
        self.waiting = False  # due, but the frame's drawing budget was spent
        self._min_interval = min_interval
        self._share = share
        self.slow = min_interval > 0.0  # a slow view: drawn after the views of every frame
        self._cost = 0.0  # seconds its show_frame and paint took, lately
        self._drawn_at = -math.inf
        self._drawn_for: float | None = None  # its show_frame's seconds, until painted
        self._take_paint_seconds = getattr(view, "take_paint_seconds", None)

    @property
    def widget(self) -> QWidget | None:
        """The view as a widget, if it is one."""
        return self.view if isinstance(self.view, QWidget) else None

    def dock(self) -> QDockWidget | None:
        """The dock the view is in, if any."""
        widget = self.widget
        while widget is not None and not isinstance(widget, QDockWidget):
            widget = widget.parentWidget()
        return widget

    def hidden(self) -> bool:
        """Whether the view is a widget nobody can see now: hidden, or in a dock whose tab is
        behind another (a dock's title bar is uncovered whenever the dock is seen; the view
        itself, covered by its own viewport, never is)."""
        widget = self.widget
        if widget is None:
            return False
        dock = self.dock()
        return not widget.isVisible() or (dock is not None and dock.visibleRegion().isEmpty())

    @property
    def cost(self) -> float:
        """Seconds drawing it took lately (its show_frame and paint)."""
        return self._cost

    def due(self, now: float) -> bool:
        self._note_paint()
        return now - self._drawn_at >= max(self._min_interval, self._cost / self._share)

    def draw(self, frame: Frame) -> None:
        self.stale = False
        self.view.show_frame(frame)

    def draw_timed(self, frame: Frame) -> None:
        if self._take_paint_seconds is not None:
            self._take_paint_seconds()  # paints since the last frame are not this one's
        started, cpu_started = time.monotonic(), time.thread_time()
        self.draw(frame)
        # The GUI thread's own time: a draw interrupted by another process (or waiting for
        # the GIL) costs no more than one that was not.
        took = time.thread_time() - cpu_started
        if self._take_paint_seconds is None:
            self._add_cost(took)
        else:
            self._drawn_for = took  # the cost is known once painted
        self._drawn_at = started

    def _note_paint(self) -> None:
        """Add the paint of the frame drawn last to its show_frame's time, once painted."""
        if self._drawn_for is None:
            return
        painted = self._take_paint_seconds()
        if painted > 0.0:
            self._add_cost(self._drawn_for + painted)
            self._drawn_for = None

    def _add_cost(self, took: float) -> None:
        first = self._cost == 0.0
        self._cost = took if first else self._cost + VIEW_COST_WEIGHT * (took - self._cost)


class FrameDirector(QObject):
    """Hands the views the Frame to draw: live while the run is followed, else a checkpoint.

    ``views`` are drawn for every frame; ``slow_views`` (curves, heatmaps: they change little
    from one frame to the next and cost the most to paint) a few times a second while playing,
    which leaves the GUI thread's time, and the GIL, to the regions and to training. While
    playing, a view whose drawing is slow is drawn less often (``_PacedView``); a paused or
    edited frame draws every view.
    """

    frame_shown = Signal(object)  # the Frame just handed to the views
    new_run_started = Signal()

    def __init__(
        self,
        state: AppState,
        worker: TrainingWorker,
        views: Sequence[View],
        slow_views: Sequence[View],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._state = state
        self._worker = worker
        self._views = [_PacedView(view, 0.0, MAX_VIEW_SHARE) for view in views]
        self._views += [
            _PacedView(view, SLOW_VIEWS_INTERVAL_SECONDS, SLOW_VIEW_SHARE) for view in slow_views
        ]
        self._widget_views = {id(v.widget): v for v in self._views if v.widget is not None}
        for view in self._widget_views.values():
            view.widget.installEventFilter(self)
            dock = view.dock()
            if dock is not None:
                dock.visibilityChanged.connect(lambda seen, view=view: self._catch_up(view, seen))
        self._pending: Snapshot | None = None
        self._live: Snapshot | None = None
        self._frame: Frame | None = None
        self._following = True
        state.selection_changed.connect(self._on_selection_changed)

    @property
    def live_snapshot(self) -> Snapshot | None:
        """The newest snapshot received from the worker."""
        return self._live

    @property
    def frame(self) -> Frame | None:
        """The Frame last handed to the views."""
        return self._frame

    # --- the live run -------------------------------------------------------------------
    @Slot(object)
    def receive(self, snapshot: Snapshot) -> None:
        """A snapshot from the worker: drawn at the next turn of the event loop, unless a
        newer one arrives first."""
        first_pending = self._pending is None
        self._pending = snapshot
        if first_pending:
            QTimer.singleShot(0, self, self._draw_pending)  # never after self is gone

    def _draw_pending(self) -> None:
        snapshot, self._pending = self._pending, None
        if snapshot is None:
            return
        previous, self._live = self._live, snapshot
        if previous is None or previous.run != snapshot.run:
            self.new_run_started.emit()
        if self._following:
            self._draw(self._live_frame(), throttle=snapshot.running)

    def _live_frame(self) -> Frame:
        state = self._state
        return Frame(self._live, state.dataset, state.test_mask, state.selection)

    def show_live(self) -> None:
        """Follow the live run again (and draw it now). While the run plays (a point added
        at Max, say), the slow views draw it at their next turn, not in this pass: a click
        is on screen within a frame."""
        self._following = True
        if self._live is not None:
            self._draw(self._live_frame(), slow_when_due=self._live.running)

    # --- the timeline -------------------------------------------------------------------
    def show_checkpoint(self, index: int) -> None:
        """Draw checkpoint ``index`` of the run's timeline; training pauses meanwhile."""
        self._following = False
        self._worker.pause()
        with self._worker.lock:
            timeline_size = len(self._worker.session.timeline)
            index = min(index, timeline_size - 1)
            snapshot, data = self._worker.session.checkpoint_snapshot(index)
        selection = self._selection_in(data.dataset)
        self._draw(Frame(snapshot, data.dataset, data.test_mask, selection, checkpoint=index))

    # --- the selection ------------------------------------------------------------------
    def _selection_in(self, dataset: Dataset) -> int | None:
        """The selected point's index in ``dataset`` (a checkpoint's version of the data)."""
        return follow_selection(self._state.dataset, self._state.selection, dataset)

    @Slot(object)
    def _on_selection_changed(self, _index: int | None) -> None:
        """Draw the frame shown again, with the new selection."""
        frame = self._frame
        if frame is None:
            return
        if frame.is_live and self._live is not None:
            self._draw(self._live_frame())
        else:
            self._draw(replace(frame, selection=self._selection_in(frame.dataset)))

    # --- drawing ---------------------------------------------------------------------------
    def _draw(self, frame: Frame, throttle: bool = False, slow_when_due: bool = False) -> None:
        """Hand ``frame`` to the views; ``throttle`` (a running frame) only to those due;
        ``slow_when_due``, to the views of every frame, the slow ones when due."""
        self._frame = frame
        if throttle:
            self._draw_due(frame)
        else:
            for view in self._views:
                if not (slow_when_due and view.slow):
                    view.draw(frame)
        self.frame_shown.emit(frame)

    def _draw_due(self, frame: Frame) -> None:
        """Draw the views due, within FRAME_DRAW_BUDGET_SECONDS: two costly views (a large
        network's regions and its diagram) are drawn in two frames, not one long pass of the
        event loop. A view waits one frame at most. The views of every frame go first, then the
        slow ones; of each, those that waited go first."""
        now, spent = time.monotonic(), 0.0
        for view in sorted(self._views, key=lambda view: (view.slow, not view.waiting)):
            if view.hidden():
                view.stale = True
            elif view.due(now):
                over = spent + view.cost > FRAME_DRAW_BUDGET_SECONDS
                costly = spent > CHEAP_VIEW_SECONDS and view.cost > CHEAP_VIEW_SECONDS
                view.waiting = over and costly and not view.waiting
                if not view.waiting:
                    view.draw_timed(frame)
                    spent += view.cost

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """A view shown again draws the frame it missed."""
        if event.type() == QEvent.Type.Show and id(watched) in self._widget_views:
            self._catch_up(self._widget_views[id(watched)])
        return False

    def _catch_up(self, view: _PacedView, seen: bool = True) -> None:
        """Draw the frame shown in ``view`` if it missed it while hidden and is ``seen`` now
        (its dock opened, its tab chosen)."""
        if seen and view.stale and self._frame is not None:
            view.draw(self._frame)
