"""Training in a separate process, so that it runs on its own core beside the window.

Python runs one thread at a time: in one process, every millisecond of training at full
speed is a millisecond the window cannot draw or answer a click. A ``TrainingProcess`` trains
a copy of a Session's live state in a child process (``Session.resuming``) and sends back,
about every ``frame_seconds``, the checkpoints it recorded; the app's Session takes them
(``Session.absorb``) and is then exactly where the copy is. The numbers are those the app's
session would have computed (same code, same data, one BLAS thread on both sides), only the
core they are computed on differs.

A burst ends when it has done ``limit`` updates, when the run diverges, or when ``halt`` is
called (a pause, any change of settings): the last message is then a ``Stopped`` with the
copy's live state. The app's Session must not change while a burst runs.

The child is started with ``spawn`` (a fork of a process running Qt threads may deadlock) and
only imports mlpviz.core and NumPy; messages are pickled between our own two processes only.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection

import numpy as np
from threadpoolctl import threadpool_limits

from .errors import DivergenceError, MlpvizError
from .session import Session, ViewsMemory
from .timeline import Checkpoint
from .trainer import TrainerState

Records = list[tuple[Checkpoint, bool]]
START_SECONDS = 30.0  # the child imports NumPy: a slow disk may take seconds
BOOT_POLL_SECONDS = 0.05  # waiting for a child to start, look at the clock this often
EXIT_SECONDS = 2.0  # then a child that does not exit is terminated
TRAINING_NICENESS = 10  # the window first: a busy machine slows training, not the window
HALT_POLL_SECONDS = 0.001  # a paced burst waiting for its next frame looks at halt this often


@dataclass(frozen=True)
class Pace:
    """How a burst is paced: frames of ``seconds``, each training as many updates as fit or
    at most ``per_frame``."""

    seconds: float
    per_frame: int | None = None


@dataclass(frozen=True)
class Progress:
    """Checkpoints recorded since the previous message, each with whether it is transient,
    and the views memory each grew from (``Session.grown_from``, for ``Session.absorb``)."""

    records: Records
    grown_from: list[ViewsMemory | None] | None = None


@dataclass(frozen=True)
class Stopped:
    """The burst ended: the last checkpoints, the copy's live parameters and trainer state,
    why it ended when it was not asked to (``divergence``: (message, loss); ``problem``:
    a message for the user), and what the checkpoints' views memory grew from."""

    records: Records
    live: tuple[np.ndarray, TrainerState]
    divergence: tuple[str, float] | None = None
    problem: str | None = None
    grown_from: list[ViewsMemory | None] | None = None


class TrainingProcess:
    """A child process that trains bursts of a Session's run; started on first use."""

    def __init__(self) -> None:
        self._context = multiprocessing.get_context("spawn")
        self._process = None
        self._connection: Connection | None = None
        self._halt = self._context.RawValue("b", 0)  # read by the child between updates
        self._running = False
        self._booting: tuple | None = None  # (process, connection, since) until it is ready

    @property
    def running(self) -> bool:
        """Whether a burst was started and its ``Stopped`` not received yet."""
        return self._running

    def start(
        self,
        session: Session,
        limit: int,
        frame_seconds: float,
        per_frame: int | None = None,
    ) -> None:
        """Train a copy of ``session`` for up to ``limit`` updates, reporting every
        ``frame_seconds``: as many updates as fit in a frame, or at most ``per_frame`` (a
        frame is then never shorter than ``frame_seconds``). Raises ConfigError when the
        session has nothing to train on."""
        state = session.live_state()
        self._ensure_started()
        self._halt.value = 0
        pace = Pace(float(frame_seconds), per_frame)
        self._connection.send(("train", state, int(limit), pace))
        self._running = True

    def receive(self, timeout: float) -> list[Progress | Stopped]:
        """The messages that arrived, waiting up to ``timeout`` seconds for the first
        (without holding the interpreter: the window runs meanwhile)."""
        messages: list[Progress | Stopped] = []
        connection = self._connection
        if connection is None or not self._running:
            return messages
        wait = timeout
        while self._running and connection.poll(wait):
            message = self._read(connection)
            messages.append(message)
            self._running = not isinstance(message, Stopped)
            wait = 0.0
        return messages

    def halt(self) -> None:
        """Ask the burst to end after the update in progress (a long one is abandoned)."""
        self._halt.value = 1

    def finish(self) -> list[Progress | Stopped]:
        """Halt the burst and return every message up to its ``Stopped``."""
        messages: list[Progress | Stopped] = []
        if not self._running:
            return messages
        self.halt()
        while self._running:
            messages += self.receive(EXIT_SECONDS)
            if self._running and not self._process.is_alive():
                raise MlpvizError("the training process ended unexpectedly")
        return messages

    def launch(self) -> None:
        """Start the child process if there is none, without waiting for it (it imports
        NumPy: most of a second); ``ready`` says when it is."""
        if self._booting is not None or (self._process is not None and self._process.is_alive()):
            return
        if self._process is not None:  # it died: its end of the pipe goes with it
            self._connection.close()
            self._process = self._connection = None
        parent_end, child_end = self._context.Pipe()
        process = self._context.Process(
            target=serve, args=(child_end, self._halt), name="mlpviz-training", daemon=True
        )
        process.start()
        child_end.close()
        self._booting = (process, parent_end, time.monotonic())

    def ready(self) -> bool:
        """Whether the child is ready to train, launching it if needed; never waits. Raises
        MlpvizError when it died or said nothing within START_SECONDS."""
        if self._booting is None and self._process is not None and self._process.is_alive():
            return True
        self.launch()
        process, connection, since = self._booting
        said = _said_ready(connection, 0.0)
        if said:
            self._booting = None
            self._process, self._connection = process, connection
            return True
        if said is None or not process.is_alive() or time.monotonic() - since > START_SECONDS:
            self._booting = None
            process.terminate()
            connection.close()
            raise MlpvizError("the training process did not start")
        return False

    def close(self) -> None:
        """End the child process (halting a burst first; one still starting, once started)."""
        if self._booting is not None:
            self._process, self._connection, _ = self._booting
            self._booting = None
        if self._process is None:
            return
        self.halt()
        with contextlib.suppress(OSError, ValueError):  # it may be gone already
            self._connection.send(("exit",))
        self._process.join(EXIT_SECONDS)
        if self._process.is_alive():
            self._process.terminate()
            self._process.join(EXIT_SECONDS)
        self._connection.close()
        self._process = self._connection = None
        self._running = False

    def _ensure_started(self) -> None:
        """Launch the child if needed and wait until it is ready."""
        while not self.ready():
            self._booting[1].poll(BOOT_POLL_SECONDS)  # waits without holding the interpreter

    def _read(self, connection: Connection) -> Progress | Stopped:
        try:
            return connection.recv()
        except (EOFError, OSError) as error:
            self._running = False
            raise MlpvizError("the training process ended unexpectedly") from error


def _said_ready(connection: Connection, timeout: float) -> bool | None:
    """Whether a new child said it is ready (waiting up to ``timeout`` s); None if it never
    will (its end closed, or it said something else)."""
    try:
        if not connection.poll(timeout):
            return False
        return True if connection.recv() == "ready" else None
    except (EOFError, OSError):
        return None


def serve(connection: Connection, halt) -> None:
    """The child's loop: train each burst it is sent until told to exit, or until the app
    is gone (its end of the pipe closed: nobody is left to tell)."""
    _yield_to_the_window()
    # As in the app's worker: one BLAS thread, so that the numbers are the same bits.
    with threadpool_limits(limits=1, user_api="blas"), contextlib.suppress(EOFError, OSError):
        connection.send("ready")
        while True:
            message = connection.recv()
            if message[0] == "exit":
                return
            _, state, limit, pace = message
            _train_burst(connection, halt, Session.resuming(state), limit, pace)


def _yield_to_the_window() -> None:
    """Lower this process's priority: when the machine is busy (other programs, fewer free
    cores than the app's two busy processes), the window keeps its share and training gets
    what is left. On an idle machine each has its core and nothing changes."""
    if hasattr(os, "nice"):  # POSIX; elsewhere training keeps the normal priority
        with contextlib.suppress(OSError):
            os.nice(TRAINING_NICENESS)


def _train_burst(connection: Connection, halt, session: Session, limit: int, pace: Pace) -> None:
    """Train ``session`` for up to ``limit`` updates at ``pace``, sending a Progress after
    every frame and a Stopped at the end."""
    clock = time.monotonic
    sent = session.iteration  # checkpoints up to this iteration are the app's already

    def halted() -> bool:
        return bool(halt.value)

    def frame_over_by(frame_end: float):
        return lambda: halted() or clock() >= frame_end

    done, divergence, problem = 0, None, None
    while done < limit and not halted():
        frame_end = clock() + pace.seconds
        quota = limit - done if pace.per_frame is None else min(pace.per_frame, limit - done)
        try:
            done += session.step(quota, frame_over_by(frame_end), interrupt=halted)
        except DivergenceError as error:
            divergence = (str(error), error.loss)
        except MlpvizError as error:
            problem = str(error)
        except Exception as error:  # a bug: say it, as the worker does, and stay alive
            problem = f"{type(error).__name__}: {error}"
        if divergence or problem or done >= limit or halted():
            break
        records, sent = _new_records(session, sent)
        connection.send(Progress(records, _grown_from(session, records)))
        if pace.per_frame is not None:
            _sleep_until(frame_end, halted)
    records, _ = _new_records(session, sent)
    grown_from = _grown_from(session, records)
    connection.send(Stopped(records, session.live_point(), divergence, problem, grown_from))


def _sleep_until(deadline: float, halted) -> None:
    """Wait until ``deadline`` (monotonic), looking at ``halted`` every millisecond."""
    while not halted() and (left := deadline - time.monotonic()) > 0:
        time.sleep(min(left, HALT_POLL_SECONDS))


def _grown_from(session: Session, records: Records) -> list[ViewsMemory | None]:
    """What each checkpoint of ``records`` grew its views memory from: ``absorb`` takes the
    memory as computed here when its own previous checkpoint holds the same (sparing the
    app's process a forward pass of the reference samples per checkpoint)."""
    return [session.grown_from(checkpoint.iteration) for checkpoint, _ in records]


def _new_records(session: Session, sent: int) -> tuple[Records, int]:
    """The checkpoints after iteration ``sent``, each with whether it is transient; the
    session then forgets the earlier ones (the app's session keeps them)."""
    timeline = session.timeline
    last = len(timeline) - 1
    records = [
        (timeline[index], index == last and timeline.last_is_transient)
        for index in range(len(timeline))
        if timeline[index].iteration > sent
    ]
    timeline.forget_all_but_newest()
    return records, timeline.iterations[-1]
