"""The training thread and the GUI thread take turns: the mechanism, not its timings.

Every check counts or orders events (updates, draws, snapshots); none measures how long
anything takes.
"""

import threading

import numpy as np
import pytest
from PySide6.QtCore import QCoreApplication, QObject, Qt, QThread, QTimer, Signal
from PySide6.QtWidgets import QComboBox, QToolButton

from mlpviz.core.config import HiddenLayer, NetworkConfig, TrainingConfig
from mlpviz.core.datasets import Dataset, make_preset
from mlpviz.core.session import Session
from mlpviz.core.trainer import Trainer
from mlpviz.core.training_process import TrainingProcess
from mlpviz.gui import worker as worker_module
from mlpviz.gui.collector import GuiThreadCollector
from mlpviz.gui.worker import GuiTurns, TrainingWorker, stop_worker

from .conftest import data_to_pixel, start_training_process

TIMEOUT_MS = 10_000
PLAYGROUND = TrainingConfig("sgd", 0.03, 10)


def playground_session() -> Session:
    """TF Playground's xor: 250 training and 250 test points, [8, 8] tanh, batch 10."""
    data = make_preset("xor", n=500, noise=0.1, seed=1)
    network = NetworkConfig((HiddenLayer(8, "tanh"), HiddenLayer(8, "tanh")), seed=1)
    return Session(data, network, PLAYGROUND, test_ratio=0.5)


class UpdateCounter:
    """Counts Trainer.step calls in any thread; ``during`` tells whether one is running."""

    def __init__(self, monkeypatch) -> None:
        self.count = 0
        self.during = False
        self.started_while: list[bool] = []  # what ``busy()`` said as each update started
        self.busy = lambda: False
        step = Trainer.step

        def counted(trainer, *args):
            self.started_while.append(self.busy())
            self.during = True
            try:
                return step(trainer, *args)
            finally:
                self.during = False
                self.count += 1

        monkeypatch.setattr(Trainer, "step", counted)


@pytest.fixture
def bare_worker(qtbot):
    """A worker looping in its QThread with no GuiTurns: the test plays the GUI's part."""
    parent = QObject()
    thread = QThread(parent)
    GuiThreadCollector(thread).start()  # as start_worker does: see gui/collector.py
    worker = TrainingWorker(playground_session())
    worker.snapshots = []
    # Appended as they are published (in the worker's thread), not when the GUI thread gets
    # to a queued delivery: the tests count what the worker did, whenever the GUI looks.
    worker.snapshot_ready.connect(worker.snapshots.append, Qt.ConnectionType.DirectConnection)
    thread.started.connect(worker.run, Qt.ConnectionType.DirectConnection)
    thread.start()
    try:
        yield worker
    finally:
        assert stop_worker(thread, worker)


def play_at_max(qtbot, worker) -> None:
    worker.set_speed(None)
    worker.play()
    qtbot.waitUntil(lambda: any(s.running for s in worker.snapshots), timeout=TIMEOUT_MS)


def test_no_update_runs_during_the_gui_turn_however_long_it_lasts(qtbot, bare_worker, monkeypatch):
    updates = UpdateCounter(monkeypatch)
    play_at_max(qtbot, bare_worker)
    bare_worker.set_gui_busy(True)
    count, published = updates.count, len(bare_worker.snapshots)
    qtbot.wait(300)  # six times the old 50 ms timeout after which training took over again
    assert updates.count <= count + 1  # the update under way when the turn began
    assert len(bare_worker.snapshots) <= published + 1  # … or the frame being published
    bare_worker.set_gui_busy(False)
    qtbot.waitUntil(lambda: updates.count > count + 100, timeout=TIMEOUT_MS)


@pytest.mark.parametrize(
    ("speed", "pressed_at"),
    [(None, 30), (10, 29)],  # in the middle of a burst; in the update that ends a frame
)
def test_a_pause_pressed_during_a_burst_is_applied_before_the_next_snapshot(
    qtbot, bare_worker, monkeypatch, speed, pressed_at
):
    order = []  # ("pause", iteration) and ("snapshot", iteration, running), as they happen
    bare_worker.snapshot_ready.connect(
        lambda s: order.append(("snapshot", s.iteration, s.running)), Qt.DirectConnection
    )
    step = Trainer.step

    def press_pause_during_an_update(trainer, *args):
        if trainer.iteration == pressed_at:
            bare_worker.pause()
            order.append(("pause", pressed_at))
        return step(trainer, *args)

    monkeypatch.setattr(Trainer, "step", press_pause_during_an_update)
    bare_worker.set_speed(speed)
    bare_worker.play()
    paused = ("snapshot", pressed_at + 1, False)  # after the update under way
    qtbot.waitUntil(lambda: paused in order, timeout=TIMEOUT_MS)
    pressed = order.index(("pause", pressed_at))
    assert order[pressed + 1] == paused
    assert all(not event[2] for event in order[pressed + 1 :])


def test_the_gui_can_read_the_session_during_its_turn(qtbot, bare_worker):
    """The loop waits for the GUI's turn between two updates, holding the session; a reader
    that wants the session gets it (no deadlock)."""
    play_at_max(qtbot, bare_worker)
    bare_worker.set_gui_busy(True)
    read = []

    def reader():
        with bare_worker.lock:
            read.append(bare_worker.session.iteration)

    thread = threading.Thread(target=reader)
    thread.start()
    thread.join(timeout=TIMEOUT_MS / 1000)  # a safety net: it returns at once
    assert read and not thread.is_alive()
    bare_worker.set_gui_busy(False)


def test_gui_turns_end_once_the_queue_holds_nothing_but_the_marker(qtbot):
    calls = []

    class Worker(QObject):
        snapshot_ready = Signal(object)

        def hand_over_published_frames(self):
            calls.append("hand over")

        def set_gui_busy(self, busy):
            calls.append(("busy", busy))

        def frame_drawn(self):
            calls.append("drawn")

    parent = QObject()
    worker = Worker(parent)
    GuiTurns(worker, parent)
    assert calls == ["hand over"]

    def work(depth: int) -> None:
        calls.append(("work", depth))
        if depth < 3:  # work that posts more work: all of it is the GUI's turn
            QTimer.singleShot(0, lambda: work(depth + 1))

    calls.clear()
    QTimer.singleShot(0, lambda: work(0))
    qtbot.waitUntil(lambda: ("busy", False) in calls, timeout=TIMEOUT_MS)
    first_turn = calls[: calls.index(("busy", False)) + 1]
    assert first_turn == [("busy", True), *(("work", depth) for depth in range(4)), ("busy", False)]
    calls.clear()
    worker.snapshot_ready.emit(None)  # a published frame: drawn once its turn is over
    qtbot.waitUntil(lambda: "drawn" in calls, timeout=TIMEOUT_MS)
    assert calls[calls.index("drawn") + 1] == ("busy", False)  # as its turn ends
    parent.deleteLater()
    QCoreApplication.processEvents()


def playground_in_window(qtbot, window) -> None:
    window.state.set_test_ratio(0.5)
    window.state.set_dataset(make_preset("xor", n=500, noise=0.1, seed=1), new_run=True)
    window.state.set_network_config(
        NetworkConfig((HiddenLayer(8, "tanh"), HiddenLayer(8, "tanh")), seed=1)
    )
    window.state.set_training_config(PLAYGROUND)
    qtbot.waitUntil(lambda: window.last_snapshot.iteration == 0, timeout=TIMEOUT_MS)
    window.toolbar.findChild(QComboBox, "speedCombo").setCurrentIndex(3)  # Max
    start_training_process(qtbot, window._worker)


def watch_frames(window, monkeypatch, on_draw=lambda: None) -> threading.Event:
    """An Event set from the start of each frame's draw (``on_draw`` is called first) until
    the GUI's turn ends, its paints done."""
    drawing = threading.Event()
    frames = window._frames
    draw, end_turn = frames._draw_pending, window._worker.set_gui_busy

    def draw_pending():
        on_draw()
        drawing.set()
        draw()

    def set_gui_busy(busy):
        if not busy:
            drawing.clear()
        end_turn(busy)

    monkeypatch.setattr(frames, "_draw_pending", draw_pending)
    monkeypatch.setattr(window._worker, "set_gui_busy", set_gui_busy)
    return drawing


@pytest.fixture
def play_in_thread(monkeypatch):
    """The window's worker plays in its own thread, as when the training process cannot
    start, taking turns with the GUI (request it before ``window``)."""
    monkeypatch.setattr(worker_module, "PLAY_IN_SEPARATE_PROCESS", False)


def test_at_max_no_update_runs_while_a_frame_is_drawn_and_painted(
    qtbot, play_in_thread, window, monkeypatch
):
    """In the worker's thread (Step; playing without the process), training and drawing
    take turns."""
    playground_in_window(qtbot, window)
    updates = UpdateCounter(monkeypatch)
    draws_during_update = []
    drawing = watch_frames(window, monkeypatch, lambda: draws_during_update.append(updates.during))
    updates.busy = drawing.is_set
    qtbot.mouseClick(window.findChild(QToolButton, "playButton"), Qt.LeftButton)
    qtbot.waitUntil(lambda: len(draws_during_update) >= 20, timeout=TIMEOUT_MS)
    qtbot.mouseClick(window.findChild(QToolButton, "playButton"), Qt.LeftButton)
    qtbot.waitUntil(lambda: not window.last_snapshot.running, timeout=TIMEOUT_MS)
    assert updates.count > 100
    assert not any(draws_during_update)  # no frame began while an update was under way
    assert not any(updates.started_while)  # no update began while a frame was drawn


def test_at_max_the_training_process_trains_and_the_worker_never_takes_a_frame_being_drawn(
    qtbot, window, monkeypatch
):
    """At Max no update runs in the app's process at all (the training process does them),
    and the worker brings the session up to date only between two frames."""
    playground_in_window(qtbot, window)
    updates = UpdateCounter(monkeypatch)
    drawing = watch_frames(window, monkeypatch)
    absorbed_while_drawing = []
    absorb = Session.absorb

    def absorb_watched(session, *args, **kwargs):
        absorbed_while_drawing.append(drawing.is_set())
        return absorb(session, *args, **kwargs)

    monkeypatch.setattr(Session, "absorb", absorb_watched)
    qtbot.mouseClick(window.findChild(QToolButton, "playButton"), Qt.LeftButton)
    qtbot.waitUntil(lambda: window.last_snapshot.iteration > 2000, timeout=TIMEOUT_MS)
    qtbot.mouseClick(window.findChild(QToolButton, "playButton"), Qt.LeftButton)
    qtbot.waitUntil(lambda: not window.last_snapshot.running, timeout=TIMEOUT_MS)
    assert updates.count == 0
    assert len(absorbed_while_drawing) > 10 and not any(absorbed_while_drawing)


def test_a_pause_at_max_is_applied_before_the_next_snapshot(qtbot, window, monkeypatch):
    """Pause pressed while the worker takes a burst's checkpoints: the next snapshot is the
    paused one."""
    playground_in_window(qtbot, window)
    order = []  # ("pause",) and ("snapshot", running), as they happen
    window._worker.snapshot_ready.connect(
        lambda s: order.append(("snapshot", s.running)), Qt.DirectConnection
    )
    absorb = Session.absorb

    def absorb_and_press_pause(session, *args, **kwargs):
        if order.count(("snapshot", True)) == 5 and ("pause",) not in order:
            window._worker.pause()
            order.append(("pause",))
        return absorb(session, *args, **kwargs)

    monkeypatch.setattr(Session, "absorb", absorb_and_press_pause)
    qtbot.mouseClick(window.findChild(QToolButton, "playButton"), Qt.LeftButton)
    qtbot.waitUntil(
        lambda: ("pause",) in order and order[-1] == ("snapshot", False), timeout=TIMEOUT_MS
    )
    pressed = order.index(("pause",))
    assert order[pressed + 1] == ("snapshot", False)
    assert ("snapshot", True) not in order[pressed:]


def test_exact_numbers_whatever_the_timing(qtbot, window):
    """Played at Max (in the training process), a run ends where one Step of 3,000 in the
    worker's thread ends, and so does every checkpoint on the way."""
    playground_in_window(qtbot, window)
    window.state.set_stop_at(3000)
    qtbot.mouseClick(window.findChild(QToolButton, "playButton"), Qt.LeftButton)
    qtbot.waitUntil(
        lambda: window.last_snapshot.iteration == 3000 and not window.last_snapshot.running,
        timeout=30_000,
    )
    played = window.last_snapshot.net.params
    with window._worker.lock:
        played_timeline = [(c.iteration, c.params) for c in window._worker.session.timeline]
    qtbot.mouseClick(window.findChild(QToolButton, "resetButton"), Qt.LeftButton)
    qtbot.waitUntil(lambda: window.last_snapshot.iteration == 0, timeout=TIMEOUT_MS)
    window._worker.step(3000)
    qtbot.waitUntil(lambda: window.last_snapshot.iteration == 3000, timeout=30_000)
    np.testing.assert_array_equal(window.last_snapshot.net.params, played)
    with window._worker.lock:
        stepped = [(c.iteration, c.params) for c in window._worker.session.timeline]
    assert [i for i, _ in stepped] == [i for i, _ in played_timeline]
    assert all(np.array_equal(a, b) for (_, a), (_, b) in zip(stepped, played_timeline))


def test_closing_the_window_while_playing_at_max_stops_the_thread(qtbot, window):
    playground_in_window(qtbot, window)
    qtbot.mouseClick(window.findChild(QToolButton, "playButton"), Qt.LeftButton)
    qtbot.waitUntil(lambda: window.last_snapshot.iteration > 1000, timeout=TIMEOUT_MS)
    thread = window._thread
    window.close()
    assert thread.isFinished()


def test_speed_is_at_most_that_many_updates_per_frame(qtbot, bare_worker):
    """A frame ends when its training budget is spent even if its quota is not reached:
    with updates far longer than a frame, every frame still gets published."""
    big = Session(
        Dataset(np.random.default_rng(0).normal(size=(2000, 2)), np.arange(2000) % 2),
        NetworkConfig(tuple(HiddenLayer(64) for _ in range(6)), seed=1),
        TrainingConfig(batch_size=None),
    )
    bare_worker.replace_session(big)
    bare_worker.set_speed(100)
    bare_worker.play()
    qtbot.waitUntil(lambda: sum(s.running for s in bare_worker.snapshots) >= 3, timeout=TIMEOUT_MS)
    running = [s.iteration for s in bare_worker.snapshots if s.running]
    assert 0 < running[0] < 100


class FakeClock:
    """frames.py's time, advanced by a test's frames and by its views' drawing (which takes
    the GUI thread's time)."""

    now = 0.0

    def monotonic(self):
        return self.now

    thread_time = monotonic


def director_on(monkeypatch, clock, views):
    """A FrameDirector drawing ``views`` at every frame on ``clock``; and the playground
    session whose snapshots a test gives it."""
    from mlpviz.gui import frames
    from mlpviz.gui.app_state import AppState

    monkeypatch.setattr(frames, "time", clock)
    session = playground_session()
    state = AppState(session.dataset, session.network_config, PLAYGROUND, 0.5)
    return frames.FrameDirector(state, None, views=views, slow_views=[]), session


def test_a_slow_view_is_drawn_less_often_while_playing(qtbot, monkeypatch):
    """A view whose drawing is slow (the regions of a large network) takes at most its share
    of the time while playing; a paused frame draws every view."""
    from mlpviz.gui import frames

    class View:
        def __init__(self, cost):
            self.cost, self.drawn = cost, 0

        def show_frame(self, frame):
            self.drawn += 1
            clock.now += self.cost

    clock = FakeClock()
    cheap, slow = View(0.002), View(1.0)  # a new dataset of many points: slow, once
    director, session = director_on(monkeypatch, clock, [cheap, slow])
    director.receive(session.snapshot(running=False))
    qtbot.waitUntil(lambda: slow.drawn == 1, timeout=TIMEOUT_MS)
    slow.cost, slow.drawn, cheap.drawn, clock.now = 0.05, 0, 0, 0.0
    running = session.snapshot(running=True)
    for _ in range(100):
        clock.now += 0.02  # training between two frames
        director.receive(running)
        QCoreApplication.processEvents()
    assert cheap.drawn == 100
    share = slow.drawn * slow.cost / clock.now
    assert frames.MAX_VIEW_SHARE / 2 <= share <= frames.MAX_VIEW_SHARE + slow.cost / clock.now
    drawn = slow.drawn
    director.receive(session.snapshot(running=False))
    qtbot.waitUntil(lambda: slow.drawn == drawn + 1, timeout=TIMEOUT_MS)


def test_a_view_costly_to_paint_is_drawn_less_often_while_playing(qtbot, monkeypatch):
    """What a view's paint costs (``take_paint_seconds``) counts with its show_frame: a
    view quick to set but slow to paint takes at most its share of the time."""
    from mlpviz.gui import frames

    class View:
        def __init__(self, paint_cost):
            self.paint_cost, self.drawn, self.painted, self.to_paint = paint_cost, 0, 0.0, False

        def show_frame(self, frame):
            self.drawn += 1
            self.to_paint = True

        def paint(self):  # what Qt does after the frame's views have been set
            if self.to_paint:
                clock.now += self.paint_cost
                self.painted, self.to_paint = self.paint_cost, False

        def take_paint_seconds(self):
            painted, self.painted = self.painted, 0.0
            return painted

    clock = FakeClock()
    cheap, costly = View(0.0), View(0.05)
    director, session = director_on(monkeypatch, clock, [cheap, costly])
    running = session.snapshot(running=True)
    for _ in range(200):
        clock.now += 0.02
        director.receive(running)
        QCoreApplication.processEvents()
        costly.paint()
    assert cheap.drawn == 200
    share, one_more = costly.drawn * costly.paint_cost / clock.now, costly.paint_cost / clock.now
    assert frames.MAX_VIEW_SHARE / 2 <= share <= frames.MAX_VIEW_SHARE + one_more


def test_a_view_in_a_tab_behind_costs_nothing_while_playing_and_catches_up_when_shown(
    qtbot, window
):
    """The feature space, in a tab behind the diagram, is not drawn while playing; choosing
    its tab draws the frame on screen."""
    from PySide6.QtWidgets import QDockWidget

    view = window.feature_space
    drawn = []
    show_frame = view.show_frame
    view.show_frame = lambda frame: (drawn.append(frame), show_frame(frame))
    playground_in_window(qtbot, window)
    window.findChild(QDockWidget, "diagramDock").raise_()
    qtbot.mouseClick(window.findChild(QToolButton, "playButton"), Qt.LeftButton)
    qtbot.waitUntil(lambda: window.last_snapshot.iteration > 1000, timeout=TIMEOUT_MS)
    assert not any(frame.snapshot.running for frame in drawn)
    window.findChild(QDockWidget, "featureSpaceDock").raise_()
    qtbot.waitUntil(lambda: any(frame.snapshot.running for frame in drawn), timeout=TIMEOUT_MS)
    qtbot.mouseClick(window.findChild(QToolButton, "playButton"), Qt.LeftButton)
    qtbot.waitUntil(lambda: not window.frame.snapshot.running, timeout=TIMEOUT_MS)
    assert view.plot.frame is window.frame


def test_two_costly_views_are_drawn_in_two_frames_while_playing(qtbot, monkeypatch):
    """Two views that together exceed a frame's drawing budget are drawn in turns (one
    waits a frame, never more), not in one long pass of the event loop."""
    from mlpviz.gui import frames

    class View:
        def __init__(self, name, cost):
            self.name, self.cost = name, cost

        def show_frame(self, frame):
            drawn[-1].append(self.name)
            clock.now += self.cost

    clock, drawn = FakeClock(), []
    cost = 0.6 * frames.FRAME_DRAW_BUDGET_SECONDS
    label, regions, diagram = View("label", 0.0001), View("regions", cost), View("diagram", cost)
    director, session = director_on(monkeypatch, clock, [label, regions, diagram])
    running = session.snapshot(running=True)
    for _ in range(40):
        drawn.append([])
        clock.now += 1.0  # long enough for every view to be due at every frame
        director.receive(running)
        QCoreApplication.processEvents()
    assert all("label" in names for names in drawn)
    costly = [[name for name in names if name != "label"] for names in drawn[2:]]
    assert all(len(names) == 1 for names in costly)
    assert all(names in (["regions"], ["diagram"]) for names in costly)
    assert {"regions", "diagram"} == {name for names in costly[:2] for name in names}


def test_a_pause_at_max_stops_at_the_last_checkpoints_taken(qtbot, window, monkeypatch):
    """The training process runs ahead of the window: Pause drops what it did after the last
    checkpoints the worker took (the frame shown, or about to be), so the run pauses there
    and not a frame or two later."""
    playground_in_window(qtbot, window)
    order = []  # ("take",) per batch of messages taken, ("absorbed", i), ("pause",)
    absorb, take = Session.absorb, TrainingWorker._take

    def absorb_and_press_pause(session, *args, **kwargs):
        absorbed = sum(entry[0] == "absorbed" for entry in order)
        if absorbed >= 10 and ("pause",) not in order:
            window._worker.pause()
            order.append(("pause",))
        result = absorb(session, *args, **kwargs)
        order.append(("absorbed", session.iteration))
        return result

    def take_noted(worker, *args, **kwargs):
        order.append(("take",))
        return take(worker, *args, **kwargs)

    monkeypatch.setattr(Session, "absorb", absorb_and_press_pause)
    monkeypatch.setattr(TrainingWorker, "_take", take_noted)
    qtbot.mouseClick(window.findChild(QToolButton, "playButton"), Qt.LeftButton)
    qtbot.waitUntil(
        lambda: ("pause",) in order and not window.last_snapshot.running, timeout=TIMEOUT_MS
    )
    after_pause = order[order.index(("pause",)) :]
    assert ("take",) not in after_pause  # the batch being taken ends; no later one is taken
    last = [entry for entry in order if entry[0] == "absorbed"][-1][1]
    assert window.last_snapshot.iteration == last
    with window._worker.lock:
        session = window._worker.session
        assert session.iteration == last == session.timeline[-1].iteration


def test_a_pause_waiting_when_the_process_reports_drops_that_report(qtbot, window, monkeypatch):
    """What the training process sends while a Pause waits is past the frame on screen: the
    run pauses at the last frame published, not one later."""
    playground_in_window(qtbot, window)
    published = []  # (iteration, running), as published
    window._worker.snapshot_ready.connect(
        lambda s: published.append((s.iteration, s.running)), Qt.DirectConnection
    )
    receive = TrainingProcess.receive
    pressed = []

    def receive_then_press_pause(process, *args, **kwargs):
        messages = receive(process, *args, **kwargs)
        if messages and len(published) >= 5 and not pressed:
            window._worker.pause()  # the click, while the worker waited for the report
            pressed.append(published[-1])
        return messages

    monkeypatch.setattr(TrainingProcess, "receive", receive_then_press_pause)
    qtbot.mouseClick(window.findChild(QToolButton, "playButton"), Qt.LeftButton)
    qtbot.waitUntil(lambda: bool(pressed) and not published[-1][1], timeout=TIMEOUT_MS)
    shown_at_click, _running = pressed[0]
    assert published[-1] == (shown_at_click, False)
    assert published.index(pressed[0]) == len(published) - 2  # nothing published between
    with window._worker.lock:
        assert window._worker.session.iteration == shown_at_click


def test_a_point_added_while_playing_is_drawn_at_once_and_the_slow_views_wait(
    qtbot, window, monkeypatch
):
    """A click while playing at Max: the plane shows the point in the click's own pass; the
    curves and heat maps (slow views) draw the new data at their next turn, not in that pass,
    so the click reaches the screen within a frame."""
    playground_in_window(qtbot, window)
    qtbot.mouseClick(window.findChild(QToolButton, "playButton"), Qt.LeftButton)
    qtbot.waitUntil(lambda: window.last_snapshot.iteration > 500, timeout=TIMEOUT_MS)
    drawn = []  # dataset sizes the loss plot was handed
    show = window.loss_plot.show_frame

    def show_noted(frame):
        drawn.append(len(frame.dataset))
        show(frame)

    monkeypatch.setattr(window.loss_plot, "show_frame", show_noted)
    plane = window.data_plane
    before = len(window.dataset)
    qtbot.mouseClick(plane.viewport(), Qt.LeftButton, pos=data_to_pixel(plane, 0.3, -0.2))
    assert len(window.dataset) == before + 1
    positions, _styles = plane._points.points()
    assert len(positions) == before + 1  # on the plane, in the click's pass
    assert before + 1 not in drawn  # the loss plot has not drawn the new data yet
    qtbot.waitUntil(lambda: before + 1 in drawn, timeout=TIMEOUT_MS)  # at its next turn
    assert window.last_snapshot.running
