"""Smoothness of the real MainWindow while training, offscreen, at every speed.

Runs TensorFlow Playground's own configurations (tanh, learning rate 0.03, batch 10, 250
training + 250 test points) at each speed of the toolbar (1, 10, 100 it/frame, Max; the
default is marked), driving the window's own widgets (``speedCombo``, ``playButton``) with every
view on screen (the weights dock is taken out of the diagram's tabs), and prints per case
updates/s (and × TF Playground), live frames drawn per second (each with a new iteration), the
decision regions drawn per second, the 95th percentile of a 10 ms timer's lateness and what
drawing a frame costs the GUI thread (the worker's measure). Then,
at Max, the time from a click on the data plane to the plane painted with the new point, and
from a click on Pause to the paused frame painted; then larger cases (8 × 64 tanh on 1,000
training points, full batch; xor [8,8] on 200,000 points, batch 10), the headless rates of
the same nets, and the cost of a frame drawn from the timeline against a live one.

    python3 bench/gui_bench.py [--seconds 3] [--quick] [--cases 8×64 circle] [--view-costs]
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from threadpoolctl import threadpool_limits

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import PySide6
from PySide6.QtCore import (
    QElapsedTimer,
    QEvent,
    QEventLoop,
    QObject,
    QPointF,
    QSettings,
    Qt,
    QTimer,
)
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QComboBox, QDockWidget

from mlpviz.core import Trainer
from mlpviz.core.config import HiddenLayer, NetworkConfig, TrainingConfig
from mlpviz.core.datasets import Dataset, make_preset
from mlpviz.core.frame import Frame
from mlpviz.core.session import Session
from mlpviz.core.snapshot import Snapshot
from mlpviz.gui import worker as worker_module
from mlpviz.gui.app import create_application
from mlpviz.gui.main_window import MainWindow
from mlpviz.gui.training_toolbar import SPEEDS
from mlpviz.gui.worker import DEFAULT_SPEED

PLAYGROUND = TrainingConfig("sgd", 0.03, 10)
TEST_SHARE = 0.5


@dataclass(frozen=True)
class Case:
    """A dataset, a tanh network and its training settings; ``playground`` is TF
    Playground's updates/s on it (0 where it has no counterpart)."""

    label: str
    data: Callable[[], Dataset]
    hidden: tuple[int, ...]
    training: TrainingConfig = PLAYGROUND
    playground: float = 0.0

    def network(self) -> NetworkConfig:
        return NetworkConfig(tuple(HiddenLayer(n, "tanh") for n in self.hidden), seed=1)


def playground_data(preset: str, points: int = 500) -> Dataset:
    return make_preset(preset, n=points, noise=0.1, seed=1)


def large_data(preset: str, points: int) -> Dataset:
    """``points`` points of a preset (presets stop at 100,000: several seeds are stacked)."""
    seeds = range(points // 100_000)
    parts = [make_preset(preset, n=100_000, noise=0.1, seed=seed) for seed in seeds]
    return Dataset(np.vstack([p.X for p in parts]), np.concatenate([p.y for p in parts]))


# TF Playground on this 2-core machine, headless Chromium, redrawing its 100×100 boundary.
PLAYGROUND_CASES = (
    Case("circle [4,2]", lambda: playground_data("circles"), (4, 2), playground=1480),
    Case("xor [8,8]", lambda: playground_data("xor"), (8, 8), playground=930),
    Case("spiral [8×6]", lambda: playground_data("spiral"), (8,) * 6, playground=490),
)
LARGE_CASES = (
    Case(
        "8×64, 1k pts, full",
        lambda: playground_data("spiral", 2000),
        (64,) * 8,
        TrainingConfig("sgd", 0.03, None),
    ),
    Case("xor [8,8], 200k pts", lambda: large_data("xor", 200_000), (8, 8)),
)


def speed_name(speed: int | None) -> str:
    name = "Max" if speed is None else f"{speed} it/frame"
    return f"{name} (default)" if speed == DEFAULT_SPEED else name


# --- driving the window -----------------------------------------------------------------------
def pump(seconds: float) -> None:
    """Run the real event loop for ``seconds``, as an application does."""
    loop = QEventLoop()
    QTimer.singleShot(int(seconds * 1000), loop.quit)
    loop.exec()


def wait_until(condition: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError("the window did not get there in time")
        pump(0.01)


def open_window(folder: str) -> MainWindow:
    window = MainWindow(QSettings(os.path.join(folder, "s.ini"), QSettings.IniFormat))
    window.resize(1366, 768)
    window.show()
    show_every_view(window)
    wait_until(lambda: window.last_snapshot is not None)
    return window


def show_every_view(window: MainWindow) -> None:
    """Take the weights dock out of the diagram's tabs, below the other docks on the right:
    every view is on screen."""
    weights = window.findChild(QDockWidget, "weightsDock")
    window.removeDockWidget(weights)
    window.addDockWidget(Qt.RightDockWidgetArea, weights, Qt.Vertical)
    weights.show()
    pump(0.3)
    views = (window.data_plane, window.network_diagram, window.loss_plot, window.weights_plot)
    inside = window.rect()
    for view in views:
        area = view.rect().translated(view.mapTo(window, view.rect().topLeft()))
        assert view.isVisible() and inside.contains(area), f"{view.objectName()} is not shown"


def load_case(window: MainWindow, case: Case) -> None:
    state = window.state
    set_playing(window, False)
    state.set_test_ratio(TEST_SHARE)
    state.set_dataset(case.data(), new_run=True)
    state.set_network_config(case.network())
    state.set_training_config(case.training)
    wait_until(lambda: window.last_snapshot.iteration == 0 and not window.last_snapshot.running)
    window.data_plane.fit_view()


def choose_speed(window: MainWindow, speed: int | None) -> None:
    window.toolbar.findChild(QComboBox, "speedCombo").setCurrentIndex(SPEEDS.index(speed))


def set_playing(window: MainWindow, playing: bool) -> None:
    button = window.toolbar.play_button()
    if button.isChecked() != playing:
        QTest.mouseClick(button, Qt.LeftButton)


# --- measuring ----------------------------------------------------------------------------------
class Probe(QObject):
    """Counts the live frames drawn (each with a new iteration) and the decision regions drawn,
    and measures a 10 ms timer's lateness on the GUI thread."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.frames = 0
        self.regions = 0
        self.lateness: list[float] = []
        self._last_iteration = -1
        window._frames.frame_shown.connect(self._on_frame_shown)
        plane = window.data_plane
        show_snapshot = plane.show_snapshot

        def counted(snapshot: Snapshot) -> None:
            show_snapshot(snapshot)
            self.regions += 1

        plane.show_snapshot = counted
        self._clock = QElapsedTimer()
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.PreciseTimer)
        self._timer.setInterval(10)
        self._timer.timeout.connect(self._tick)

    def start(self) -> None:
        self.frames = 0
        self.regions = 0
        self.lateness = []
        self._clock.start()
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()

    def p95_lateness(self) -> float:
        return float(np.percentile(self.lateness, 95)) if self.lateness else float("nan")

    def _tick(self) -> None:
        elapsed = self._clock.nsecsElapsed() / 1e6
        self._clock.restart()
        self.lateness.append(max(0.0, elapsed - 10.0))

    def _on_frame_shown(self, frame: Frame) -> None:
        iteration = frame.snapshot.iteration
        if frame.is_live and iteration != self._last_iteration:
            self.frames += 1
        self._last_iteration = iteration


@dataclass(frozen=True)
class Row:
    updates: float  # per second
    frames: float  # per second
    regions: float  # decision regions drawn per second
    lateness: float  # p95, ms
    frame_cost: float  # ms
    gui_cpu: float  # the GUI thread's CPU time per live frame, ms
    view_costs: dict[str, float]  # what drawing each view costs the GUI thread lately, ms


def view_costs(window: MainWindow) -> dict[str, float]:
    """Milliseconds of the GUI thread's CPU time drawing each view (its show_frame and paint)
    takes lately, as the FrameDirector measures it to pace the views."""
    costs = {}
    for paced in window._frames._views:
        name = getattr(paced.view, "objectName", lambda: "")() or type(paced.view).__name__
        costs[name] = 1000 * paced.cost
    return costs


def measure_speed(window: MainWindow, probe: Probe, speed: int | None, seconds: float) -> Row:
    choose_speed(window, speed)
    set_playing(window, True)
    pump(0.5)  # warm-up: the worker measures what a frame costs
    first = window.last_snapshot.iteration
    probe.start()
    started, cpu_started = time.perf_counter(), time.thread_time()
    pump(seconds)
    elapsed, cpu = time.perf_counter() - started, time.thread_time() - cpu_started
    probe.stop()
    updates = window.last_snapshot.iteration - first
    frame_cost = 1000 * window._worker.frame_cost
    row = Row(
        updates / elapsed,
        probe.frames / elapsed,
        probe.regions / elapsed,
        probe.p95_lateness(),
        frame_cost,
        1000 * cpu / max(probe.frames, 1),
        view_costs(window),
    )
    set_playing(window, False)
    pump(0.2)
    return row


class PaintClock(QObject):
    """When the data plane was last painted: the end of the event-loop pass that painted it."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.painted_at = 0.0
        window.data_plane.viewport().installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Paint:
            QTimer.singleShot(0, self._note)  # after the paint, which happens right now
        return False

    def _note(self) -> None:
        self.painted_at = time.perf_counter()


def click_latencies(
    window: MainWindow, clock: PaintClock, clicks: int, rng: np.random.Generator
) -> list[float]:
    """Milliseconds from a click on the data plane (at a random moment while playing at Max)
    to the plane painted with the new point."""
    return [
        one_click(window, clock, rng.uniform(0.15, 0.35), *rng.uniform(-4.0, 4.0, size=2))
        for _ in range(clicks)
    ]


def one_click(window: MainWindow, clock: PaintClock, delay: float, x: float, y: float) -> float:
    """A click at (x, y) sent by a timer ``delay`` s from now (``single_shot``); milliseconds
    from when it was due to the plane painted with the point."""
    plane = window.data_plane
    points = len(window.frame.dataset)
    handled_at = due = time.perf_counter() + int(delay * 1000) / 1000

    def click() -> None:
        nonlocal handled_at
        scene = plane.plotItem.vb.mapViewToScene(QPointF(x, y))
        QTest.mouseClick(plane.viewport(), Qt.LeftButton, pos=plane.mapFromScene(scene))
        handled_at = time.perf_counter()

    single_shot(window, delay, click)
    wait_until(lambda: len(window.frame.dataset) > points and clock.painted_at > handled_at)
    return 1000 * (clock.painted_at - due)


@dataclass(frozen=True)
class PauseTiming:
    milliseconds: float  # from a click on Pause to the paused frame painted
    updates: int  # between the frame on screen at the click and the paused frame


def pause_timing(window: MainWindow, clock: PaintClock, delay: float) -> PauseTiming:
    """A click on Pause sent by a timer ``delay`` s from now while playing at Max."""
    clicked: list[tuple[float, int]] = []  # when, and the iteration on screen then
    shown: list[float] = []  # when the paused frame was handed to the views

    def click() -> None:
        clicked.append((time.perf_counter(), window.frame.snapshot.iteration))
        set_playing(window, False)

    def note_paused(frame: Frame) -> None:
        if clicked and not shown and not frame.snapshot.running:
            shown.append(time.perf_counter())

    window._frames.frame_shown.connect(note_paused)
    single_shot(window, delay, click)
    wait_until(lambda: bool(shown) and clock.painted_at > shown[0])
    window._frames.frame_shown.disconnect(note_paused)
    elapsed = clock.painted_at - clicked[0][0]
    return PauseTiming(1000 * elapsed, window.frame.snapshot.iteration - clicked[0][1])


def single_shot(window: MainWindow, delay: float, call: Callable[[], None]) -> None:
    """Call ``call`` from a precise timer in ``delay`` s: it waits for the GUI thread like a
    real click does."""
    timer = QTimer(window)
    timer.setSingleShot(True)
    timer.setTimerType(Qt.PreciseTimer)
    timer.timeout.connect(call)
    timer.timeout.connect(timer.deleteLater)
    timer.start(int(delay * 1000))


def headless_rates(case: Case, seconds: float = 1.0) -> tuple[float, float]:
    """Trainer.step/s and Session.step/s (which also records the timeline) of ``case`` from
    iteration 0, with one BLAS thread as in the training thread."""
    data = case.data()
    session = Session(data, case.network(), case.training, test_ratio=TEST_SHARE)
    train = ~session.test_mask
    trainer = Trainer(
        case.network().build(data.n_classes),
        case.training.build_optimizer(),
        data.X[train],
        data.y[train],
        batch_size=case.training.batch_size,
        seed=0,
    )
    with threadpool_limits(limits=1, user_api="blas"):
        return rate(trainer.step, 1, seconds), rate(lambda: session.step(10), 10, seconds)


def rate(call: Callable[[], object], updates_per_call: int, seconds: float) -> float:
    calls, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        call()
        calls += 1
    return calls * updates_per_call / (time.perf_counter() - started)


def frame_costs(window: MainWindow, repeats: int = 20) -> tuple[float, float]:
    """Median milliseconds to draw every view from a timeline checkpoint, and live."""
    app, frames = QApplication.instance(), window._frames
    size = len(window.last_snapshot.timeline)
    past, live = [], []
    for index in np.random.default_rng(0).integers(0, max(1, size - 1), repeats):
        started = time.perf_counter()
        frames.show_checkpoint(int(index))
        app.processEvents()  # the paint the frame asked for
        past.append(time.perf_counter() - started)
        started = time.perf_counter()
        frames.show_live()
        app.processEvents()
        live.append(time.perf_counter() - started)
    return 1000 * float(np.median(past)), 1000 * float(np.median(live))


# --- printing -------------------------------------------------------------------------------------
def load() -> str:
    return "load {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())


def print_row(case: Case, speed: int | None, row: Row, costs: bool = False) -> None:
    """A line of the table; ``costs``, then a line of what each view costs to draw."""
    times = f"{row.updates / case.playground:.1f}×" if case.playground else "—"
    print(
        f"| {case.label} | {speed_name(speed)} | {row.updates:,.0f} | {times} | "
        f"{row.frames:.1f} | {row.regions:.1f} | {row.lateness:.1f} | {row.frame_cost:.1f} | "
        f"{row.gui_cpu:.1f} |",
        flush=True,
    )
    if costs:
        drawn = sorted(row.view_costs.items(), key=lambda item: -item[1])
        print("|   views' CPU, ms: " + ", ".join(f"{n} {ms:.1f}" for n, ms in drawn if ms >= 0.1))


def chosen(cases: tuple[Case, ...], names: list[str] | None) -> tuple[Case, ...]:
    """The ``cases`` whose label contains one of ``names`` (all of them for None)."""
    if names is None:
        return cases
    return tuple(case for case in cases if any(name in case.label for name in names))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="per case and speed")
    parser.add_argument("--quick", action="store_true", help="Max and the default speed only")
    parser.add_argument(
        "--in-thread",
        action="store_true",
        help="play in the worker's thread, not in the training process (the old design)",
    )
    parser.add_argument(
        "--cases",
        nargs="+",
        metavar="NAME",
        help="only the cases whose label contains one of these (circle, xor, spiral, 8×64, 200k)",
    )
    parser.add_argument(
        "--view-costs",
        action="store_true",
        help="after each row, the CPU time each view takes to draw (show_frame and paint)",
    )
    args = parser.parse_args()
    playground_cases = chosen(PLAYGROUND_CASES, args.cases)
    large_cases = chosen(LARGE_CASES, args.cases)
    worker_module.PLAY_IN_SEPARATE_PROCESS = not args.in_thread
    speeds = (DEFAULT_SPEED, None) if args.quick else SPEEDS
    rng = np.random.default_rng(0)
    create_application([])
    print(
        f"{platform.node()}: {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"PySide6 {PySide6.__version__}, NumPy {np.__version__}, "
        f"QT_QPA_PLATFORM={os.environ['QT_QPA_PLATFORM']}; {load()}"
    )
    with tempfile.TemporaryDirectory() as folder:
        window = open_window(folder)
        probe = Probe(window)
        print(
            "\n| case | speed | updates/s | × TFP | frames/s | regions/s | p95 late, ms "
            "| frame cost, ms | GUI CPU/frame, ms |\n|---|---|---:|---:|---:|---:|---:|---:|---:|"
        )
        latencies: dict[str, tuple[list[float], PauseTiming, float]] = {}
        for case in playground_cases:
            load_case(window, case)
            for speed in speeds:
                row = measure_speed(window, probe, speed, args.seconds)
                print_row(case, speed, row, args.view_costs)
            per_frame = row.updates / row.frames  # at Max, the last speed
            choose_speed(window, None)
            set_playing(window, True)
            clock = PaintClock(window)
            clicks = click_latencies(window, clock, max(3, int(args.seconds * 3)), rng)
            pause = pause_timing(window, clock, rng.uniform(0.15, 0.35))
            clock.deleteLater()
            latencies[case.label] = (clicks, pause, per_frame)
        for case in large_cases:
            load_case(window, case)
            for speed in (DEFAULT_SPEED, None):
                row = measure_speed(window, probe, speed, args.seconds)
                print_row(case, speed, row, args.view_costs)
        print(f"\n{load()}\n\nAt Max: a click on the plane until it is painted with the point;")
        print("a click on Pause until the paused frame is painted, and the updates it shows more")
        print("than the frame on screen at the click (one frame holds about N)")
        for label, (clicks, pause, per_frame) in latencies.items():
            print(
                f"  {label:14} click median {np.median(clicks):5.1f} ms, max {max(clicks):5.1f} ms "
                f"({len(clicks)} clicks); pause {pause.milliseconds:5.1f} ms, "
                f"{pause.updates} updates (N = {per_frame:.0f})"
            )
        if PLAYGROUND_CASES[1] in playground_cases:
            load_case(window, PLAYGROUND_CASES[1])
            window._worker.step(2000)
            wait_until(lambda: window.last_snapshot.iteration == 2000)
            past, live = frame_costs(window)
            print(f"  xor: a frame from the timeline {past:.1f} ms, a live one {live:.1f} ms")
        window.close_discarding_changes()
    print("\nHeadless, one thread: Trainer.step/s and Session.step/s")
    for case in playground_cases + large_cases:
        trainer, session = headless_rates(case)
        print(f"  {case.label:20} {trainer:9,.0f} {session:9,.0f}")
    print(load())


if __name__ == "__main__":
    main()
