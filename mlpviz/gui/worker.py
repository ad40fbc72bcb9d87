"""The training thread: a TrainingWorker owns the Trainer and publishes Snapshots.

The GUI thread never trains. It calls the worker's command methods, which only put the
command on a thread-safe queue; the worker's loop applies commands between iterations, trains
in bursts while playing and publishes at most 60 snapshots a second, each holding a private
copy of the network for the views to draw.

Threads: only ``run`` executes in the QThread (the thread is created with the window as its
parent); the worker object itself stays in the GUI thread on purpose. Qt then delivers its
signals queued to the GUI thread, and the command methods, plain thread-safe calls, can be
connected to GUI signals. With the object moved to the QThread (PySide6 6.11.3), stressed
test runs deadlocked the GUI thread's event loop in 2 runs out of 8; as it is, 0 out of 8.
"""

from __future__ import annotations

import logging
import math
import queue
import sys
import threading
import time
from collections.abc import Callable

import numpy as np
from PySide6.QtCore import QObject, Qt, QThread, Signal, Slot
from threadpoolctl import threadpool_limits

from mlpviz.core.config import NetworkConfig, TrainingConfig
from mlpviz.core.errors import DivergenceError, MlpvizError
from mlpviz.core.history import TrainingHistory
from mlpviz.core.network import MLP
from mlpviz.core.optimizers import SGD, Adam
from mlpviz.core.snapshot import Snapshot
from mlpviz.core.trainer import Trainer

log = logging.getLogger(__name__)

FRAME_SECONDS = 1.0 / 60.0  # snapshots come at most this often: a screen shows no more
RATE_WINDOW_SECONDS = 0.5  # updates/s is measured over about this long
RATE_MIN_SECONDS = 0.1  # shorter windows give a jumpy updates/s figure
GUI_WAIT_SECONDS = 0.05  # training never stalls longer than this for a busy GUI
IDLE_WAIT_SECONDS = 0.5  # a paused worker also looks at the stop flag this often
DEFAULT_SPEED = 10  # iterations per frame until set_speed is called
EMPTY_TRAINING_SET = "Add some points to the training set first"
N_INPUTS = 2  # the data are points of the plane

Command = Callable[..., None]


class TrainingWorker(QObject):
    """Owns the network and its Trainer; ``run`` is its loop, to be run in a QThread.

    Command methods (``play``, ``step``, ``set_data``, …) may be called from any thread: they
    only enqueue. Results come back as signals, delivered queued to the GUI thread.
    """

    snapshot_ready = Signal(object)  # a Snapshot
    running_changed = Signal(bool)  # playing or paused, also when it pauses by itself
    diverged = Signal(str)  # why it paused and what to do
    problem_occurred = Signal(str)  # any other message for the user

    def __init__(self) -> None:
        super().__init__()
        self._commands: queue.SimpleQueue[tuple[Command, tuple]] = queue.SimpleQueue()
        self._stop = threading.Event()
        self._gui_idle = threading.Event()
        self._gui_idle.set()
        self._network_config = NetworkConfig()
        self._training_config = TrainingConfig()
        self._n_classes = 2
        self._X_train = self._X_test = np.empty((0, N_INPUTS))
        self._y_train = self._y_test = np.empty(0, dtype=np.int64)
        self._net = self._network_config.build(self._n_classes)
        self._optimizer: SGD | Adam = self._training_config.build_optimizer()
        self._trainer: Trainer | None = None  # None until there is training data
        self._history = TrainingHistory()
        self._recorded_iteration: int | None = None
        self._playing = False
        self._speed: int | None = DEFAULT_SPEED
        self._stop_at: int | None = None
        self._frame_end = 0.0
        self._frame_iterations_left: int | None = None
        self._rate = 0.0
        self._rate_since = 0.0
        self._rate_steps = 0

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
        """Re-initialise the weights from the NetworkConfig's seed; forget optimiser and history."""
        self._enqueue(self._apply_reset)

    def set_data(
        self,
        X_train: np.ndarray,
        y_train: np.ndarray,
        X_test: np.ndarray,
        y_test: np.ndarray,
        n_classes: int,
    ) -> None:
        """Train on copies of ``X_train: (m, 2)``, ``y_train: (m,)``; measure on the test set.

        Raises ValueError here, in the caller's thread, for arrays of the wrong shape or
        labels outside 0…n_classes−1.
        """
        train = _checked_copies(X_train, y_train, n_classes)
        test = _checked_copies(X_test, y_test, n_classes)
        self._enqueue(self._apply_data, *train, *test, int(n_classes))

    def set_network(self, config: NetworkConfig, n_classes: int) -> None:
        """Build a new network (architecture, init, seed): training starts again from 0."""
        self._enqueue(self._apply_network, config, int(n_classes))

    def set_training(self, config: TrainingConfig) -> None:
        """Change optimiser, learning rate, batch size or L2; the weights are kept."""
        self._enqueue(self._apply_training, config)

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
        """Make ``run`` return after the current iteration; returns at once."""
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
        if self._has_training_data():
            self._play_frame()
        else:
            self._set_playing(False)
            self.problem_occurred.emit(EMPTY_TRAINING_SET)

    def _apply_pending_commands(self) -> None:
        while not self._commands.empty():
            command, args = self._commands.get_nowait()
            command(*args)

    def _wait_for_command(self, timeout: float) -> None:
        """Block (no CPU) until a command arrives or ``timeout`` passes; apply it."""
        try:
            command, args = self._commands.get(timeout=timeout)
        except queue.Empty:
            return
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
        trainer = self._trainer
        limit = self._iterations_before_stop_at(trainer.iteration)
        if self._frame_iterations_left is None:  # as fast as possible until the frame ends
            done = self._train(trainer, limit)
            frame_done = time.monotonic() >= self._frame_end
        else:
            wanted = min(self._frame_iterations_left, limit)
            done = self._train(trainer, wanted)
            self._frame_iterations_left -= done
            frame_done = self._frame_iterations_left == 0
        if not self._playing:  # it diverged
            return
        if done and trainer.iteration == self._stop_at:
            self._set_playing(False)
            self._publish()
        elif frame_done:
            self._publish()
            self._wait_until(self._frame_end)
            self._start_frame()

    def _iterations_before_stop_at(self, iteration: int) -> int:
        if self._stop_at is None or self._stop_at <= iteration:
            return sys.maxsize
        return self._stop_at - iteration

    def _train(self, trainer: Trainer, limit: int) -> int:
        """Up to ``limit`` updates until the frame ends; returns how many were done.

        Stops early, before the next update, when a command is waiting or ``stop`` was
        called, so that pause or a new learning rate apply at the very next iteration.
        Time spent waiting for the GUI to draw moves the frame's end: each frame gets its
        full share of training. This is the hot loop: the update and a few cheap checks.
        """
        update = trainer.step
        stopping = self._stop.is_set
        no_command = self._commands.empty
        clock = time.monotonic
        gui_idle, wait_for_gui = self._gui_idle.is_set, self._gui_idle.wait
        done = 0
        try:
            while done < limit and no_command() and not stopping():
                update()
                done += 1
                if not gui_idle():
                    waiting_since = clock()
                    wait_for_gui(GUI_WAIT_SECONDS)  # let the GUI draw (see set_gui_busy)
                    self._frame_end += clock() - waiting_since
                if clock() >= self._frame_end:
                    break
        except DivergenceError as error:
            self._on_diverged(error)
        self._rate_steps += done
        return done

    def _on_diverged(self, error: DivergenceError) -> None:
        """The Trainer undid the update that blew up: pause there and say what to do."""
        self._set_playing(False)
        self._publish()
        self.diverged.emit(self._divergence_message(error))

    def _divergence_message(self, error: DivergenceError) -> str:
        what = str(error).partition(": ")[0]  # "training diverged at iteration N (loss …)"
        lr = self._optimizer.lr
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

    # --- command handlers -----------------------------------------------------------------
    def _apply_play(self) -> None:
        if not self._has_training_data():
            self.running_changed.emit(False)  # the play button, pressed, goes back up
            self.problem_occurred.emit(EMPTY_TRAINING_SET)
            return
        self._set_playing(True)
        self._start_frame()

    def _apply_pause(self) -> None:
        if self._playing:
            self._set_playing(False)
            self._publish()

    def _apply_step(self, iterations: int) -> None:
        if not self._has_training_data():
            self.problem_occurred.emit(EMPTY_TRAINING_SET)
            return
        self._set_playing(False)
        update = self._trainer.step
        try:
            for _ in range(iterations):
                if self._stop.is_set():
                    return
                update()
        except DivergenceError as error:
            self._on_diverged(error)
            return
        self._publish()

    def _apply_step_epoch(self) -> None:
        if not self._has_training_data():
            self.problem_occurred.emit(EMPTY_TRAINING_SET)
            return
        self._apply_step(self._trainer.iterations_per_epoch)

    def _apply_reset(self) -> None:
        self._rebuild_network(self._network_config, self._n_classes)
        self._publish_if_paused()

    def _apply_network(self, config: NetworkConfig, n_classes: int) -> None:
        self._rebuild_network(config, n_classes)
        self._publish_if_paused()

    def _apply_data(
        self,
        X_train: np.ndarray,
        y_train: np.ndarray,
        X_test: np.ndarray,
        y_test: np.ndarray,
        n_classes: int,
    ) -> None:
        self._X_train, self._y_train = X_train, y_train
        self._X_test, self._y_test = X_test, y_test
        self._n_classes = n_classes
        if self._net.n_classes != max(2, n_classes):  # the output layer must change
            self._rebuild_network(self._network_config, n_classes)
        elif len(y_train) and self._trainer is None:
            self._trainer = self._new_trainer(self._net, self._optimizer)
        elif len(y_train):
            self._trainer.set_data(X_train, y_train)
        if self._iteration() == 0:  # nothing trained yet: the recorded start used other data
            self._clear_history()
        self._publish_if_paused()

    def _apply_training(self, config: TrainingConfig) -> None:
        if config.optimizer != self._training_config.optimizer:
            self._optimizer = config.build_optimizer()
        else:  # keep momentum buffers and Adam moments
            self._optimizer.lr = config.learning_rate
            if config.optimizer == "momentum":
                self._optimizer.momentum = config.momentum
        trainer = self._trainer
        if trainer is not None:
            trainer.optimizer = self._optimizer
            if trainer.batch_size != config.batch_size:  # restarts the epoch's shuffle
                trainer.batch_size = config.batch_size
            trainer.l2 = config.l2
        self._training_config = config

    def _apply_speed(self, iterations_per_frame: int | None) -> None:
        self._speed = iterations_per_frame
        self._start_frame()

    def _apply_stop_at(self, iteration: int | None) -> None:
        self._stop_at = iteration

    # --- state ----------------------------------------------------------------------------
    def _rebuild_network(self, config: NetworkConfig, n_classes: int) -> None:
        """A fresh network, optimiser and trainer; all are built before any is replaced."""
        net = config.build(n_classes)
        optimizer = self._training_config.build_optimizer()
        # The main window may announce fewer classes before sending the data that has them:
        # then the trainer waits for that data.
        fits = len(self._y_train) and self._labels_fit(net.n_classes)
        trainer = self._new_trainer(net, optimizer) if fits else None
        self._network_config, self._n_classes = config, n_classes
        self._net, self._optimizer, self._trainer = net, optimizer, trainer
        self._clear_history()

    def _new_trainer(self, net: MLP, optimizer: SGD | Adam) -> Trainer:
        config = self._training_config
        return Trainer(
            net,
            optimizer,
            self._X_train,
            self._y_train,
            batch_size=config.batch_size,
            l2=config.l2,
            seed=config.shuffle_seed,
        )

    def _labels_fit(self, n_classes: int) -> bool:
        return all(len(y) == 0 or y.max() < n_classes for y in (self._y_train, self._y_test))

    def _has_training_data(self) -> bool:
        return self._trainer is not None and len(self._y_train) > 0

    def _iteration(self) -> int:
        return 0 if self._trainer is None else self._trainer.iteration

    def _clear_history(self) -> None:
        self._history.clear()
        self._recorded_iteration = None

    # --- publishing -------------------------------------------------------------------------
    def _publish_if_paused(self) -> None:
        # While playing, the current frame publishes within 1/60 s anyway.
        if not self._playing:
            self._publish()

    def _publish(self) -> None:
        """Measure on the full sets, record the history row and emit a Snapshot."""
        trainer = self._trainer
        train_loss, train_accuracy = self._evaluate(self._X_train, self._y_train)
        test_loss, test_accuracy = self._evaluate(self._X_test, self._y_test)
        iteration = self._iteration()
        if iteration != self._recorded_iteration:
            self._history.record(iteration, train_loss, test_loss, train_accuracy, test_accuracy)
            self._recorded_iteration = iteration
        snapshot = Snapshot(
            net=self._net.copy(),
            iteration=iteration,
            epoch=0 if trainer is None else trainer.epoch,
            train_loss=train_loss,
            test_loss=test_loss,
            train_accuracy=train_accuracy,
            test_accuracy=test_accuracy,
            updates_per_second=self._updates_per_second(),
            history=self._history.arrays(),
            running=self._playing,
        )
        self.snapshot_ready.emit(snapshot)

    def _evaluate(self, X: np.ndarray, y: np.ndarray) -> tuple[float, float]:
        if self._trainer is None:  # nothing to train on yet: nothing measured
            return math.nan, math.nan
        return self._trainer.evaluate(X, y)

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


def _checked_copies(X: np.ndarray, y: np.ndarray, n_classes: int) -> tuple[np.ndarray, np.ndarray]:
    """Private copies of ``X: (m, 2)`` float64 and ``y: (m,)`` int64, checked."""
    X = np.array(X, dtype=np.float64)
    y = np.array(y, dtype=np.int64)
    if X.size == 0:
        X = X.reshape(0, N_INPUTS)
    if X.ndim != 2 or X.shape[1] != N_INPUTS or y.shape != (len(X),):
        raise ValueError(f"expected X (m, {N_INPUTS}) and y (m,), got {X.shape} and {y.shape}")
    if len(y) and (y.min() < 0 or y.max() >= max(2, n_classes)):
        raise ValueError(f"labels must be in 0…{max(2, n_classes) - 1}")
    return X, y


def start_worker(parent: QObject) -> tuple[QThread, TrainingWorker]:
    """A TrainingWorker whose loop runs in a new QThread owned by ``parent``.

    Keep both: stop them with ``stop_worker`` before ``parent`` is destroyed. The worker is not
    moved to the thread (see the module docstring); ``run`` is called directly in it.
    """
    thread = QThread(parent)
    thread.setObjectName("trainingThread")
    worker = TrainingWorker()
    thread.started.connect(worker.run, Qt.ConnectionType.DirectConnection)
    thread.start()
    return thread, worker


def stop_worker(thread: QThread, worker: TrainingWorker, timeout_ms: int = 2000) -> bool:
    """End the worker's loop and its thread; True when the thread finished in time."""
    worker.stop()
    thread.quit()
    return thread.wait(timeout_ms)
