"""The training thread: a TrainingWorker drives a Session and publishes Snapshots.

The GUI thread never trains. It calls the worker's command methods, which only put the
command on a thread-safe queue; the worker's loop applies commands between iterations, trains
in bursts while playing and publishes at most 60 snapshots a second, each holding a private
copy of the network for the views to draw. Everything about training itself (what starts a
run, checkpoints, exact resume) is the Session's: the worker only loops, queues and publishes.

The GUI may read the session (a past checkpoint, to draw it; the whole session, to save it)
while holding ``worker.lock``: the loop holds it whenever it touches the session.

Threads: only ``run`` executes in the QThread (the thread is created with the window as its
parent); the worker object itself stays in the GUI thread on purpose. Qt then delivers its
signals queued to the GUI thread, and the command methods, plain thread-safe calls, can be
connected to GUI signals. With the object moved to the QThread (PySide6 6.11.3), stressed
test runs deadlocked the GUI thread's event loop in 2 runs out of 8; as it is, 0 out of 8.
"""

from __future__ import annotations

import logging
import queue
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, Qt, QThread, Signal, Slot
from threadpoolctl import threadpool_limits

from mlpviz.core.config import NetworkConfig, TrainingConfig
from mlpviz.core.datasets import Dataset
from mlpviz.core.errors import DivergenceError, MlpvizError
from mlpviz.core.network import Interrupted
from mlpviz.core.session import Session

log = logging.getLogger(__name__)

FRAME_SECONDS = 1.0 / 60.0  # snapshots come at most this often: a screen shows no more
RATE_WINDOW_SECONDS = 0.5  # updates/s is measured over about this long
RATE_MIN_SECONDS = 0.1  # shorter windows give a jumpy updates/s figure
GUI_WAIT_SECONDS = 0.05  # training never stalls longer than this for a busy GUI
IDLE_WAIT_SECONDS = 0.5  # a paused worker also looks at the stop flag this often
DEFAULT_SPEED = 10  # iterations per frame until set_speed is called

Command = Callable[..., None]


class TrainingWorker(QObject):
    """Drives a Session; ``run`` is its loop, to be run in a QThread.

    Command methods (``play``, ``step``, ``apply``, …) may be called from any thread: they
    only enqueue. Results come back as signals, delivered queued to the GUI thread.
    """

    snapshot_ready = Signal(object)  # a Snapshot of the live state
    running_changed = Signal(bool)  # playing or paused, also when it pauses by itself
    diverged = Signal(str)  # why it paused and what to do
    problem_occurred = Signal(str)  # any other message for the user
    rewound = Signal(int, int)  # continued from iteration N; M later checkpoints dropped
    saved = Signal(str)  # a session file was written (autosave)
    save_failed = Signal(str)  # … or could not be: why

    def __init__(self, session: Session | None = None) -> None:
        super().__init__()
        self.lock = threading.RLock()
        self._session = session if session is not None else Session()
        self._commands: queue.SimpleQueue[tuple[Command, tuple]] = queue.SimpleQueue()
        self._stop = threading.Event()
        self._gui_idle = threading.Event()
        self._gui_idle.set()
        self._playing = False
        self._speed: int | None = DEFAULT_SPEED
        self._stop_at: int | None = None
        self._frame_end = 0.0
        self._frame_iterations_left: int | None = None
        self._rate = 0.0
        self._rate_since = 0.0
        self._rate_steps = 0

    @property
    def session(self) -> Session:
        """The session being trained: read it only while holding ``lock``."""
        return self._session

    # --- commands: called from the GUI thread, they only enqueue ------------------------
    def play(self) -> None:
        """Train continuously at the current speed."""
        self._enqueue(self._apply_play)

    def pause(self) -> None:
        """Stop training after the current iteration and publish the state reached."""
        self._enqueue(self._apply_pause)

    def step(self, iterations: int = 1) -> None:
        """Pause if playing, do ``iterations`` updates, publish."""
        if iterations < 1:
            raise ValueError(f"iterations must be at least 1, got {iterations}")
        self._enqueue(self._apply_step, int(iterations))

    def step_epoch(self) -> None:
        """Pause if playing, do one epoch's worth of updates (⌈m / batch⌉), publish."""
        self._enqueue(self._apply_step_epoch)

    def reset(self) -> None:
        """A new run: weights re-initialised from the seed, optimiser and timeline forgotten."""
        self._enqueue(self._apply_reset)

    def apply(
        self,
        *,
        network: NetworkConfig | None = None,
        training: TrainingConfig | None = None,
        dataset: Dataset | None = None,
        test_ratio: float | None = None,
        new_run: bool = False,
    ) -> None:
        """Change the session's settings or data with ``Session.apply``'s rules."""
        changes = {
            "network": network,
            "training": training,
            "dataset": dataset,
            "test_ratio": test_ratio,
            "new_run": new_run,
        }
        self._enqueue(self._apply_changes, changes)

    def refresh(self) -> None:
        """Publish the current state (the window's first frame)."""
        self._enqueue(self._publish)

    def set_training(self, config: TrainingConfig) -> None:
        """Change optimiser, learning rate, batch size or L2; the weights are kept."""
        self.apply(training=config)

    def rewind(self, index: int) -> None:
        """Pause and continue the run from checkpoint ``index`` of the timeline."""
        self._enqueue(self._apply_rewind, int(index))

    def replace_session(self, session: Session) -> None:
        """Pause and train ``session`` from now on (an opened file)."""
        self._enqueue(self._apply_session, session)

    def save(self, path: str | Path) -> None:
        """Write the session to ``path`` in this thread (autosave); says ``saved`` or
        ``save_failed``."""
        self._enqueue(self._apply_save, Path(path))

    def set_speed(self, iterations_per_frame: int | None) -> None:
        """Iterations per published frame (1, 10, 100, …) or None for as fast as possible."""
        if iterations_per_frame is not None and iterations_per_frame < 1:
            raise ValueError(f"speed must be at least 1 or None, got {iterations_per_frame}")
        self._enqueue(self._apply_speed, iterations_per_frame)

    def set_stop_at(self, iteration: int | None) -> None:
        """Pause by itself when playing reaches ``iteration``; None never pauses."""
        if iteration is not None and iteration < 1:
            raise ValueError(f"stop-at iteration must be at least 1 or None, got {iteration}")
        self._enqueue(self._apply_stop_at, iteration)

    def set_gui_busy(self, busy: bool) -> None:
        """Say whether the GUI thread is handling events (thread-safe).

        Python runs one thread at a time, and the small NumPy calls of training never let go
        of the GIL, so a GUI thread that shares it gets it back only after each 5 ms switch
        interval: a frame would take a hundred times longer. While the GUI is busy the loop
        therefore waits between iterations (up to ``GUI_WAIT_SECONDS``), and trains at full
        speed while the GUI sleeps.
        """
        if busy:
            self._gui_idle.clear()
        else:
            self._gui_idle.set()

    def stop(self) -> None:
        """Make ``run`` return soon; returns at once. A long update or evaluation in progress
        is abandoned at its next chunk (the session goes back to its newest checkpoint)."""
        self._stop.set()
        self._enqueue(self._stop.set)  # a harmless command that wakes a paused loop

    def _enqueue(self, command: Command, *args: object) -> None:
        self._commands.put((command, args))

    # --- the loop, in the worker's thread -------------------------------------------------
    @Slot()
    def run(self) -> None:
        """Apply commands, train while playing, publish; returns once ``stop`` is called."""
        # Small matrices gain nothing from BLAS threads, which would take cores from the GUI.
        with threadpool_limits(limits=1, user_api="blas"):
            while not self._stop.is_set():
                try:
                    self._run_once()
                except MlpvizError as error:
                    self._set_playing(False)
                    self.problem_occurred.emit(str(error))
                except Exception as error:
                    # A bug must not end the thread silently: report it and stay responsive.
                    log.exception("unexpected error in the training worker")
                    self._set_playing(False)
                    self.problem_occurred.emit(f"{type(error).__name__}: {error}")

    def _run_once(self) -> None:
        self._apply_pending_commands()
        if self._stop.is_set():  # the drain may have taken the command that wakes us
            return
        if not self._playing:
            self._wait_for_command(IDLE_WAIT_SECONDS)
            return
        self._play_frame()

    def _apply_pending_commands(self) -> None:
        while not self._commands.empty():
            command, args = self._commands.get_nowait()
            self._run_command(command, args)

    def _wait_for_command(self, timeout: float) -> None:
        """Block (no CPU) until a command arrives or ``timeout`` passes; apply it."""
        try:
            command, args = self._commands.get(timeout=timeout)
        except queue.Empty:
            return
        self._run_command(command, args)

    def _run_command(self, command: Command, args: tuple) -> None:
        with self.lock:
            command(*args)

    def _wait_until(self, deadline: float) -> None:
        """Keep applying commands until ``deadline`` (monotonic) unless paused or stopped."""
        while self._playing and not self._stop.is_set():
            remaining = deadline - time.monotonic()
            if remaining <= 0.0:
                return
            self._wait_for_command(remaining)

    # --- playing ----------------------------------------------------------------------------
    def _start_frame(self) -> None:
        self._frame_end = time.monotonic() + FRAME_SECONDS
        self._frame_iterations_left = self._speed

    def _play_frame(self) -> None:
        """Train on within the current frame; publish and start a new one when it is done."""
        with self.lock:
            limit = self._iterations_before_stop_at(self._session.iteration)
            wanted = limit if self._frame_iterations_left is None else self._frame_iterations_left
            done = self._train(min(wanted, limit))
            if self._frame_iterations_left is None:
                frame_done = time.monotonic() >= self._frame_end
            else:
                self._frame_iterations_left -= done
                frame_done = self._frame_iterations_left == 0
            if not self._playing:  # it diverged, or there is nothing to train on
                return
            reached_stop = done and self._session.iteration == self._stop_at
            if reached_stop:
                self._set_playing(False)
            if reached_stop or frame_done:
                self._publish()
        if frame_done and not reached_stop:
            self._wait_until(self._frame_end)
            self._start_frame()

    def _iterations_before_stop_at(self, iteration: int) -> int:
        if self._stop_at is None or self._stop_at <= iteration:
            return sys.maxsize
        return self._stop_at - iteration

    def _train(self, limit: int) -> int:
        """Up to ``limit`` updates until the frame ends; returns how many were done.

        Stops early, before the next update, when a command is waiting or ``stop`` was
        called, so that pause or a new learning rate apply at the very next iteration.
        Time spent waiting for the GUI to draw moves the frame's end: each frame gets its
        full share of training.
        """
        stopping = self._stop.is_set
        no_command = self._commands.empty
        clock = time.monotonic
        gui_idle, wait_for_gui = self._gui_idle.is_set, self._gui_idle.wait

        def should_stop() -> bool:
            if not gui_idle():
                waiting_since = clock()
                wait_for_gui(GUI_WAIT_SECONDS)  # let the GUI draw (see set_gui_busy)
                self._frame_end += clock() - waiting_since
            return stopping() or not no_command() or clock() >= self._frame_end

        done = 0
        try:
            done = self._session.step(limit, should_stop, interrupt=stopping)
        except DivergenceError as error:
            self._on_diverged(error)
        self._rate_steps += done
        return done

    def _on_diverged(self, error: DivergenceError) -> None:
        """The Session undid the update that blew up: pause there and say what to do."""
        self._set_playing(False)
        self._publish()
        self.diverged.emit(self._divergence_message(error))

    def _divergence_message(self, error: DivergenceError) -> str:
        what = str(error).partition(": ")[0]  # "training diverged at iteration N (loss …)"
        lr = self._session.training_config.learning_rate
        return (
            f"{what[:1].upper()}{what[1:]} and is paused. Lower the learning rate "
            f"α (now {lr:.3g}; try {lr / 10:.3g}) or press Reset."
        )

    def _set_playing(self, playing: bool) -> None:
        if playing == self._playing:
            return
        self._playing = playing
        self._rate = 0.0
        self._rate_since = time.monotonic()
        self._rate_steps = 0
        self.running_changed.emit(playing)

    def _refuse_if_cannot_train(self) -> bool:
        """Say why there is nothing to train, and True, when that is so."""
        problem = self._session.training_problem
        if problem is None:
            return False
        self._set_playing(False)
        self.running_changed.emit(False)  # the play button, pressed, goes back up
        self.problem_occurred.emit(problem)
        return True

    # --- command handlers -----------------------------------------------------------------
    def _apply_play(self) -> None:
        if self._refuse_if_cannot_train():
            return
        self._set_playing(True)
        self._start_frame()

    def _apply_pause(self) -> None:
        if self._playing:
            self._set_playing(False)
            self._publish()

    def _apply_step(self, iterations: int) -> None:
        if self._refuse_if_cannot_train():
            return
        self._set_playing(False)
        try:
            self._session.step(iterations, self._stop.is_set, interrupt=self._stop.is_set)
        except DivergenceError as error:
            self._on_diverged(error)
            return
        self._publish()

    def _apply_step_epoch(self) -> None:
        self._apply_step(self._session.iterations_per_epoch)

    def _apply_reset(self) -> None:
        self._session.reset()
        self._publish_if_paused()

    def _apply_changes(self, changes: dict) -> None:
        self._session.apply(**changes)
        if self._playing and self._session.training_problem is not None:
            self._refuse_if_cannot_train()
        # Training settings change no picture: only the other changes are published.
        if any(value for key, value in changes.items() if key != "training"):
            self._publish_if_paused()

    def _apply_rewind(self, index: int) -> None:
        self._set_playing(False)
        iteration = self._session.timeline[index].iteration
        dropped = self._session.rewind(index)
        self._publish()
        self.rewound.emit(iteration, dropped)

    def _apply_session(self, session: Session) -> None:
        self._set_playing(False)
        self._session = session
        self._publish()

    def _apply_save(self, path: Path) -> None:
        try:
            self._session.save(path)
        except (MlpvizError, OSError) as error:
            self.save_failed.emit(str(error))
            return
        except Exception as error:  # a bug must not leave the caller waiting for an answer
            log.exception("unexpected error while saving the session")
            self.save_failed.emit(f"{type(error).__name__}: {error}")
            return
        self.saved.emit(str(path))

    def _apply_speed(self, iterations_per_frame: int | None) -> None:
        self._speed = iterations_per_frame
        self._start_frame()

    def _apply_stop_at(self, iteration: int | None) -> None:
        self._stop_at = iteration

    # --- publishing -------------------------------------------------------------------------
    def _publish_if_paused(self) -> None:
        # While playing, the current frame publishes within 1/60 s anyway.
        if not self._playing:
            self._publish()

    def _publish(self) -> None:
        """Emit a Snapshot of the live state (measured on the full sets)."""
        try:
            snapshot = self._session.snapshot(
                running=self._playing,
                updates_per_second=self._updates_per_second(),
                interrupt=self._stop.is_set,
            )
        except Interrupted:
            return  # the window is closing: nobody will draw it
        self.snapshot_ready.emit(snapshot)

    def _updates_per_second(self) -> float:
        """Updates per second over the last ~0.5 s of playing; 0 when paused."""
        if not self._playing:
            return 0.0
        now = time.monotonic()
        elapsed = now - self._rate_since
        if elapsed >= RATE_MIN_SECONDS:
            self._rate = self._rate_steps / elapsed
        if elapsed >= RATE_WINDOW_SECONDS:
            self._rate_since, self._rate_steps = now, 0
        return self._rate


def start_worker(parent: QObject, session: Session | None = None) -> tuple[QThread, TrainingWorker]:
    """A TrainingWorker whose loop runs in a new QThread owned by ``parent``.

    Keep both: stop them with ``stop_worker`` before ``parent`` is destroyed. The worker is not
    moved to the thread (see the module docstring); ``run`` is called directly in it.
    """
    thread = QThread(parent)
    thread.setObjectName("trainingThread")
    worker = TrainingWorker(session)
    thread.started.connect(worker.run, Qt.ConnectionType.DirectConnection)
    thread.start()
    return thread, worker


def stop_worker(thread: QThread, worker: TrainingWorker) -> bool:
    """End the worker's loop and wait for its thread: at most a chunk of a long update or
    evaluation, or the command being applied."""
    worker.stop()
    thread.quit()
    return thread.wait()
