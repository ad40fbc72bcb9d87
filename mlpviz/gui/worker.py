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

Sharing the interpreter: Python runs one thread at a time and training's small NumPy calls
never let go of the GIL, so a GUI thread that wants it back waits for the 5 ms switch interval,
again at every call into Qt that releases it: a 5 ms frame drawn while training runs took 60 to
150 ms, at any switch interval. The two threads therefore take turns and the GUI goes first.
``GuiTurns`` sees every event the GUI thread handles and gives the GUI its turn
(``set_gui_busy``): the loop then waits between two updates, with no timeout, until the GUI has
handled everything queued, paints included. Each published snapshot is the GUI's turn too,
until the GUI has received it and handled everything that followed (``frame_drawn``). While
playing, the loop trains for at most a budget per frame, adapted to the measured cost of
drawing one. Only *when* updates run depends on timing: what they compute, and the checkpoints
(which depend on iteration numbers only), never do.

The turns cap training at what a frame leaves over, so while playing the updates run in a
separate process on the other core (``mlpviz.core.training_process``): this thread sends it
the run's live state and the speed, takes the checkpoints it sends back every 1/60 s between
two frames (``Session.absorb``) and publishes. Any command first ends the child's burst, so
the session never changes under it. Step and Step epoch train in this thread, taking turns;
so does playing while the process starts (the first Play), and when it cannot start (or
``separate_process`` is False).
"""

from __future__ import annotations

import logging
import queue
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt, QThread, Signal, Slot
from threadpoolctl import threadpool_limits

from mlpviz.core.config import NetworkConfig, TrainingConfig
from mlpviz.core.datasets import Dataset
from mlpviz.core.divergence import diagnose
from mlpviz.core.errors import DivergenceError, MlpvizError
from mlpviz.core.network import MLP, Interrupted
from mlpviz.core.session import Session
from mlpviz.core.training_process import Stopped, TrainingProcess
from mlpviz.gui.collector import GuiThreadCollector

log = logging.getLogger(__name__)

FRAME_SECONDS = 1.0 / 60.0  # snapshots come at most this often: a screen shows no more
TARGET_FRAME_SECONDS = 1.0 / 36.0  # training plus drawing a frame: above 30 frames/s
MIN_TRAINING_SECONDS = TARGET_FRAME_SECONDS / 4  # … but training never gets less per frame
# Each frame ends with a checkpoint, which measures the network on the whole data set: on
# MNIST's 70,000 images a few tenths of a second. A frame then trains this many times as long
# as that took, so that measuring never takes more than a fifth of a run's time (small sets
# are not concerned).
TRAINING_PER_MEASURING = 4.0
FIRST_FRAME_COST_SECONDS = 0.01  # what drawing a frame is assumed to cost until measured
FRAME_COST_WEIGHT = 0.2  # weight of the newest frame in the measured cost of drawing one
RATE_WINDOW_SECONDS = 0.5  # updates/s is measured over about this long
RATE_MIN_SECONDS = 0.1  # shorter windows give a jumpy updates/s figure
IDLE_WAIT_SECONDS = 0.5  # a paused worker also looks at the stop flag this often
PLAY_IN_SEPARATE_PROCESS = True  # start_worker's default (tests of the in-thread loop change it)
REMOTE_POLL_SECONDS = 0.005  # playing, how long to wait for the training process at a time
DEFAULT_SPEED = 100  # per frame until set_speed is called: faster than TF Playground
LAST_PRIORITY = -(2**31)  # GuiTurns' marker event: behind every other queued event

Command = Callable[..., None]


class TrainingWorker(QObject):
    """Drives a Session; ``run`` is its loop, to be run in a QThread.

    Command methods (``play``, ``step``, ``apply``, …) may be called from any thread: they
    only enqueue. Results come back as signals, delivered queued to the GUI thread.
    """

    snapshot_ready = Signal(object)  # a Snapshot of the live state
    running_changed = Signal(bool)  # playing or paused, also when it pauses by itself
    diverged = Signal(object)  # a Divergence: why it paused, where to go back, which α
    problem_occurred = Signal(str)  # any other message for the user
    # Continued from an earlier iteration: (iteration, later checkpoints dropped, the
    # Dataset and the TrainingConfig in force there).
    rewound = Signal(int, int, object, object)
    saved = Signal(str)  # a session file was written (autosave)
    save_failed = Signal(str)  # … or could not be: why

    def __init__(self, session: Session | None = None, *, separate_process: bool = False) -> None:
        super().__init__()
        # Playing, training runs in another process, on another core (see training_process).
        self._process = TrainingProcess() if separate_process else None
        self._turn = threading.Condition()  # guards the four fields below and lock.waiting
        self._gui_busy = False  # the GUI thread is handling events
        self._frame_out_since: float | None = None  # a published frame is not drawn yet
        self._gui_draws_frames = False  # published frames are the GUI's turn (``GuiTurns``)
        self._absorbing = False  # taking the training process's checkpoints: no GUI turn
        self._held: list = []  # the process's messages that came while a command waited
        self._session_lock = threading.RLock()
        self.lock = SessionLock(self._session_lock, self._turn)
        self._session = session if session is not None else Session()
        self._commands: queue.SimpleQueue[tuple[Command, tuple]] = queue.SimpleQueue()
        self._stop = threading.Event()
        self._frame_cost = FIRST_FRAME_COST_SECONDS
        self._playing = False
        self._speed: int | None = DEFAULT_SPEED
        self._stop_at: int | None = None
        self._frame_begun = False  # whether the frame's training (and its deadlines) started
        self._frame_end = 0.0  # when the frame's training budget is spent
        self._next_frame_at = 0.0  # fixed speeds: when the next frame may start
        self._frame_iterations_left: int | None = None
        self._rate = 0.0
        self._rate_since = 0.0
        self._rate_steps = 0

    @property
    def session(self) -> Session:
        """The session being trained: read it only while holding ``lock``."""
        return self._session

    @property
    def frame_cost(self) -> float:
        """Seconds the GUI takes to draw a published frame, as measured lately."""
        return self._frame_cost

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

    def rewind(self, index: int, learning_rate: float | None = None) -> None:
        """Pause and continue the run from checkpoint ``index`` of the timeline, with
        ``learning_rate`` from then on if given (recovering from a divergence)."""
        self._enqueue(self._apply_rewind, int(index), learning_rate)

    def start_from(self, net: MLP) -> None:
        """A new run from ``net``'s weights (an opened model); it must fit (see
        ``Session.start_from``, which the caller checks first)."""
        self._enqueue(self._apply_start_from, net)

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
        """Give the GUI thread its turn (True) or end it (False); thread-safe.

        During the GUI's turn the loop does nothing: it waits between two updates, with no
        timeout, until the turn ends (see the module docstring).
        """
        with self._turn:
            if busy:  # not in the middle of absorbing checkpoints (a few milliseconds)
                self._turn.wait_for(lambda: not self._absorbing)
            self._gui_busy = busy
            self._turn.notify_all()

    def hand_over_published_frames(self) -> None:
        """From now on each published snapshot is the GUI's turn until ``frame_drawn`` is
        called (``GuiTurns`` does it for a window); without a GUI (scripts), nothing waits."""
        self._gui_draws_frames = True

    def frame_drawn(self) -> None:
        """The GUI has drawn the snapshot published last (thread-safe): training may go on.
        What drawing it cost is measured, to adapt the training budget of a frame."""
        with self._turn:
            if self._frame_out_since is not None:
                cost = time.monotonic() - self._frame_out_since
                self._frame_cost += FRAME_COST_WEIGHT * (cost - self._frame_cost)
                self._frame_out_since = None
            self._turn.notify_all()

    def stop(self) -> None:
        """Make ``run`` return soon; returns at once. A long update or evaluation in progress
        is abandoned at its next chunk (the session goes back to its newest checkpoint)."""
        self._stop.set()
        self._enqueue(self._stop.set)  # a harmless command that wakes a paused loop
        with self._turn:
            self._turn.notify_all()  # and ends any wait for the GUI's turn

    def _enqueue(self, command: Command, *args: object) -> None:
        self._commands.put((command, args))

    # --- the loop, in the worker's thread -------------------------------------------------
    @Slot()
    def run(self) -> None:
        """Apply commands, train while playing, publish; returns once ``stop`` is called."""
        # Small matrices gain nothing from BLAS threads, which would take cores from the GUI.
        with threadpool_limits(limits=1, user_api="blas"):
            try:
                while not self._stop.is_set():
                    self._run_safely()
            finally:
                if self._process is not None:
                    self._process.close()

    def _run_safely(self) -> None:
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
        self._wait_for_gui()
        with self._session_lock:
            # Every command sees (and may change) the run where it is; Pause stops it where
            # the window is (see _end_burst).
            self._end_burst(keep_last=command != self._apply_pause)
            command(*args)

    def _wait_until(self, deadline: float) -> None:
        """Keep applying commands until ``deadline`` (monotonic) unless paused or stopped."""
        while self._playing and not self._stop.is_set():
            remaining = deadline - time.monotonic()
            if remaining <= 0.0:
                return
            self._wait_for_command(remaining)

    # --- taking turns with the GUI ----------------------------------------------------------
    def _wait_for_gui(self, holding_session: bool = False) -> float:
        """Wait, with no timeout, while the GUI has its turn; returns the seconds waited.

        Ends at once on ``stop``; ``holding_session``, also when another thread waits for
        ``lock``, which the GUI's turn would otherwise wait for: a deadlock.
        """
        if not self._gui_has_turn():
            return 0.0
        started = time.monotonic()
        with self._turn:
            self._turn.wait_for(
                lambda: (
                    not self._gui_has_turn()
                    or self._stop.is_set()
                    or (holding_session and self.lock.waiting > 0)
                )
            )
        return time.monotonic() - started

    def _gui_has_turn(self) -> bool:
        return self._gui_busy or self._frame_out_since is not None

    def _hand_frame_to_gui(self) -> None:
        """The snapshot about to be published is the GUI's turn until it has been drawn."""
        if self._gui_draws_frames:
            with self._turn:
                self._frame_out_since = time.monotonic()

    def _training_budget(self) -> float:
        """Seconds of training in a frame: what the target frame rate leaves after drawing it,
        and never less than MIN_TRAINING_SECONDS, however slow drawing is, nor than
        TRAINING_PER_MEASURING times what recording a checkpoint takes (large data sets)."""
        drawing_leaves = TARGET_FRAME_SECONDS - self._frame_cost
        measuring = TRAINING_PER_MEASURING * self._session.record_seconds
        return max(drawing_leaves, MIN_TRAINING_SECONDS, measuring)

    # --- playing ----------------------------------------------------------------------------
    def _start_frame(self) -> None:
        """A new frame; its deadlines are set when its training begins, after the GUI's turn."""
        self._frame_begun = False
        self._frame_iterations_left = self._speed

    def _begin_frame(self) -> None:
        now = time.monotonic()
        self._frame_begun = True
        self._frame_end = now + self._training_budget()
        self._next_frame_at = now + FRAME_SECONDS

    def _play_frame(self) -> None:
        """Train within the current frame's budget and quota; publish it when it is done.

        A command that arrives meanwhile (pause, a new α) is applied first: nothing is
        published from before it. While the training process starts (the first Play, most
        of a second), the frames train in this thread: the run moves at once.
        """
        if self._training_process_ready():
            self._play_remote_frame()
            return
        self._wait_for_gui()
        if not self._frame_begun:
            self._begin_frame()
        with self._session_lock:
            limit = self._iterations_before_stop_at(self._session.iteration)
            left = self._frame_iterations_left
            done = self._train(limit if left is None else min(left, limit))
            if left is not None:
                self._frame_iterations_left = left - done
            if not self._playing:  # it diverged, or there is nothing to train on
                return
            if done and self._session.iteration == self._stop_at:
                self._set_playing(False)
                self._publish()
                return
            if not self._commands.empty() or not self._frame_done():
                return
            self._publish()
        if self._speed is not None:
            self._wait_until(self._next_frame_at)
        self._start_frame()

    # --- playing in the training process ------------------------------------------------------
    def _training_process_ready(self) -> bool:
        """Whether the training process can train now (it is launched if need be); if it
        cannot start, playing stays in this thread from then on."""
        if self._process is None:
            return False
        try:
            return self._process.ready()
        except MlpvizError:
            log.exception("no training process: training in this thread instead")
            self._process = None
            return False

    def _play_remote_frame(self) -> None:
        """Take what the training process sent since the last frame and publish it, starting
        a burst first if none runs. This thread only waits meanwhile: the window has the
        interpreter, the process has the other core."""
        self._wait_for_gui()
        if not self._process.running:
            with self._session_lock:
                limit = self._iterations_before_stop_at(self._session.iteration)
                try:
                    self._process.start(self._session, limit, FRAME_SECONDS, self._speed)
                except MlpvizError:
                    log.exception("no training process: training in this thread instead")
                    self._process = None
                    return
        messages = self._process.receive(REMOTE_POLL_SECONDS)
        if messages and not self._commands.empty():
            self._held += messages  # the command decides what becomes of them (_end_burst)
        elif messages:
            self._wait_for_gui()  # the GUI may have begun a turn while this thread waited
            with self._session_lock:
                self._take(messages, publish=True)

    def _end_burst(self, keep_last: bool = True) -> None:
        """Stop the training process's burst, if one runs, and take its last checkpoints;
        unless not ``keep_last`` (Pause): the run then stays at the last checkpoints taken,
        those of the frame the window shows (or is about to: one published before the
        click), and the updates the process did since are dropped, as if never made. The
        process runs ahead of the window by the frame in flight: keeping them paused one
        frame past the click. (Messages that came while the Pause waited are dropped too.)"""
        messages, self._held = self._held, []
        if self._process is not None and self._process.running:
            messages += self._process.finish()
        if keep_last and messages:
            self._take(messages, publish=False)

    def _take(self, messages: list, publish: bool) -> None:
        """Bring the session to where the training process is; then, if the burst ended by
        itself (stop-at reached, divergence, a problem), pause and say so, else publish when
        ``publish``."""
        session = self._session
        before = session.iteration
        self._absorb_outside_gui_turns(messages)
        self._rate_steps += session.iteration - before
        ended = messages[-1] if isinstance(messages[-1], Stopped) else None
        if ended is not None and ended.divergence is not None:
            self._on_diverged(DivergenceError(*ended.divergence))
        elif ended is not None and ended.problem is not None:
            raise MlpvizError(ended.problem)
        elif ended is not None and session.iteration == self._stop_at:
            self._set_playing(False)
            self._publish()
        elif publish and self._playing and self._commands.empty():
            self._publish()  # (a waiting command, a pause say, is applied first)

    def _absorb_outside_gui_turns(self, messages: list) -> None:
        """``Session.absorb`` the messages once the GUI's turn is over, keeping the next turn
        from beginning until they are taken: the two threads never share the interpreter
        while a frame is drawn. (When the GUI waits for ``lock`` its turn is on hold: go on.)
        """
        with self._turn:
            self._turn.wait_for(
                lambda: not self._gui_has_turn() or self._stop.is_set() or self.lock.waiting > 0
            )
            self._absorbing = True
        try:
            for message in messages:
                live = message.live if isinstance(message, Stopped) else None
                self._session.absorb(message.records, live, message.grown_from)
        finally:
            with self._turn:
                self._absorbing = False
                self._turn.notify_all()

    def _frame_done(self) -> bool:
        return self._frame_iterations_left == 0 or time.monotonic() >= self._frame_end

    def _iterations_before_stop_at(self, iteration: int) -> int:
        if self._stop_at is None or self._stop_at <= iteration:
            return sys.maxsize
        return self._stop_at - iteration

    def _train(self, limit: int) -> int:
        """Up to ``limit`` updates until the frame's training budget is spent; returns how
        many were done.

        Before each update, waits while the GUI has its turn (that time moves the frame's
        end: each frame gets its full budget of training), and stops when a command is
        waiting, another thread wants ``lock`` or ``stop`` was called, so that pause or a new
        learning rate apply at the very next iteration.
        """
        stopping = self._stop.is_set
        no_command = self._commands.empty
        clock = time.monotonic

        def should_stop() -> bool:
            if self._gui_has_turn():
                self._frame_end += self._wait_for_gui(holding_session=True)
            return (
                stopping()
                or self.lock.waiting > 0
                or not no_command()
                or clock() >= self._frame_end
            )

        done = 0
        try:
            done = self._session.step(limit, should_stop, interrupt=stopping)
        except DivergenceError as error:
            self._on_diverged(error)
        self._rate_steps += done
        return done

    def _on_diverged(self, error: DivergenceError) -> None:
        """The Session undid the update that blew up: pause there, say what happened, where
        to go back to and which α was measured to work from there."""
        self._set_playing(False)
        self._publish()
        self.diverged.emit(diagnose(self._session, error))

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
        # Training settings change the update the backprop inspector shows: published too.
        self._publish_if_paused()

    def _apply_rewind(self, index: int, learning_rate: float | None) -> None:
        self._set_playing(False)
        session = self._session
        iteration = session.timeline[index].iteration
        dropped = session.rewind(index)
        if learning_rate is not None:
            session.apply(training=replace(session.training_config, learning_rate=learning_rate))
        self._publish()
        self.rewound.emit(iteration, dropped, session.dataset, session.training_config)

    def _apply_start_from(self, net: MLP) -> None:
        self._set_playing(False)
        self._session.start_from(net)
        self._publish()

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
        self._hand_frame_to_gui()
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


class SessionLock:
    """``worker.lock``: hold it to read the session from another thread (``with worker.lock:``).

    It counts the threads waiting for it and wakes the loop, which lets go of the session
    between two updates, also while it waits for the GUI's turn to end: the GUI's turn may be
    the one waiting for it.
    """

    def __init__(self, lock: threading.RLock, changed: threading.Condition) -> None:
        self._lock = lock
        self._changed = changed
        self.waiting = 0  # threads waiting for the lock; changed while holding ``changed``

    def __enter__(self) -> None:
        self._note_waiting(+1)
        try:
            self._lock.acquire()
        finally:
            self._note_waiting(-1)

    def __exit__(self, *exc_info: object) -> None:
        self._lock.release()

    def _note_waiting(self, change: int) -> None:
        with self._changed:
            self.waiting += change
            self._changed.notify_all()


class GuiTurns(QObject):
    """Gives the GUI thread its turn whenever it handles events, and ends the turn once the
    event queue has nothing left; says when the worker's published frames have been drawn.

    An application-wide event filter sees every event the GUI thread handles: the first one
    after a quiet spell starts the GUI's turn. A marker event posted behind everything queued
    ends it when it comes out of the queue with no other event handled since it was posted:
    the paints, layouts and queued calls of the work done are then finished too, and so is a
    snapshot received before (its draw is queued behind its arrival).
    """

    _MARKER = QEvent.Type(QEvent.registerEventType())

    def __init__(self, worker: TrainingWorker, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._worker = worker
        self._busy = False
        self._events_since_marker = 0
        self._snapshot_received = False
        worker.snapshot_ready.connect(self._on_snapshot_ready)
        worker.hand_over_published_frames()
        QCoreApplication.instance().installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Count the GUI thread's events; the first after a quiet spell starts its turn."""
        # Markers (of every window) are not work. Told by the event's type: asking what
        # ``watched`` is reads the type of an object that may be half destroyed (a window
        # closing), which crashed the interpreter once.
        if event.type() != self._MARKER:
            self._events_since_marker += 1
            if not self._busy:
                self._busy = True
                self._worker.set_gui_busy(True)
                self._post_marker()
        return False

    def customEvent(self, event: QEvent) -> None:
        """The marker came out of the queue: end the turn, unless more events came first."""
        if self._events_since_marker:
            self._post_marker()
            return
        self._busy = False
        if self._snapshot_received:
            self._snapshot_received = False
            self._worker.frame_drawn()
        self._worker.set_gui_busy(False)

    @Slot(object)
    def _on_snapshot_ready(self, _snapshot: object) -> None:
        self._snapshot_received = True

    def _post_marker(self) -> None:
        self._events_since_marker = 0
        QCoreApplication.postEvent(self, QEvent(self._MARKER), LAST_PRIORITY)


def start_worker(
    parent: QObject, session: Session | None = None, *, separate_process: bool | None = None
) -> tuple[QThread, TrainingWorker]:
    """A TrainingWorker whose loop runs in a new QThread owned by ``parent``, taking turns
    with the GUI thread (``GuiTurns``, also owned by ``parent``); playing, training runs in a
    separate process unless ``separate_process`` is False (default: PLAY_IN_SEPARATE_PROCESS).

    Keep both: stop them with ``stop_worker`` before ``parent`` is destroyed. The worker is not
    moved to the thread (see the module docstring); ``run`` is called directly in it. While it
    runs, garbage is collected in the GUI thread only (``GuiThreadCollector``, see there).
    """
    thread = QThread(parent)
    thread.setObjectName("trainingThread")
    GuiThreadCollector(thread).start()
    if separate_process is None:
        separate_process = PLAY_IN_SEPARATE_PROCESS
    worker = TrainingWorker(session, separate_process=separate_process)
    GuiTurns(worker, parent)
    thread.started.connect(worker.run, Qt.ConnectionType.DirectConnection)
    thread.start()
    return thread, worker


def stop_worker(thread: QThread, worker: TrainingWorker) -> bool:
    """End the worker's loop and wait for its thread: at most a chunk of a long update or
    evaluation, or the command being applied."""
    worker.stop()
    thread.quit()
    stopped = thread.wait()
    for collector in thread.findChildren(GuiThreadCollector):
        collector.stop()
    return stopped
