"""Long training steps (an update on 200,000 points) stop at their next chunk when the worker
is stopped: stop_worker and closing the window never wait for a whole step."""

import threading

import pytest
from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QComboBox, QToolButton

from mlpviz.core import network, trainer
from mlpviz.core.config import HiddenLayer, NetworkConfig, TrainingConfig
from mlpviz.core.network import MLP
from mlpviz.core.session import Session
from mlpviz.gui import worker as worker_module
from mlpviz.gui.worker import start_worker, stop_worker

from .conftest import start_training_process
from .test_worker import line_data

TIMEOUT_MS = 20000
DEEP = NetworkConfig(tuple(HiddenLayer(64, "relu") for _ in range(8)), seed=0)


class WorkCounter:
    """Counts the chunks of updates and the pieces of evaluations started outside the GUI
    thread (which evaluates networks too, to draw them)."""

    def __init__(self, monkeypatch) -> None:
        self.chunks = self.pieces = 0
        chunk, piece = MLP.loss_and_gradient, MLP._inference_logits

        def counted_chunk(net, *args, **kwargs):
            self.chunks += self._outside_gui()
            return chunk(net, *args, **kwargs)

        def counted_piece(net, *args, **kwargs):
            self.pieces += self._outside_gui()
            return piece(net, *args, **kwargs)

        monkeypatch.setattr(MLP, "loss_and_gradient", counted_chunk)
        monkeypatch.setattr(MLP, "_inference_logits", counted_piece)

    @staticmethod
    def _outside_gui() -> bool:
        return threading.current_thread() is not threading.main_thread()

    @property
    def total(self) -> int:
        return self.chunks + self.pieces


@pytest.fixture
def work(monkeypatch):
    """Chunks of 4096 samples (49 per update on 200,000 points) and evaluation pieces of 2048,
    counted, of training in the worker's thread (playing too: counting needs this process)."""
    monkeypatch.setattr(worker_module, "PLAY_IN_SEPARATE_PROCESS", False)
    monkeypatch.setattr(network, "GRADIENT_CHUNK", 4096)
    monkeypatch.setattr(trainer, "EVALUATION_PIECE", 2048)
    return WorkCounter(monkeypatch)


def deep_session(points: int) -> Session:
    """8 hidden layers of 64 ReLU, full batch on ``points`` points."""
    return Session(line_data(points), DEEP, TrainingConfig("sgd", 0.01))


@pytest.fixture
def thread_parent():
    return QObject()


def test_stop_worker_abandons_a_long_step_at_its_next_chunk(qtbot, thread_parent, work):
    thread, worker = start_worker(thread_parent, deep_session(200_000))
    worker.set_speed(None)
    worker.play()
    qtbot.waitUntil(lambda: work.chunks >= 3, timeout=TIMEOUT_MS)
    at_stop = work.total
    assert stop_worker(thread, worker)
    assert thread.isFinished()
    assert work.total - at_stop <= 1  # the chunk under way, and no evaluation
    assert worker.session.iteration == 0 and worker.session.timeline.iterations == [0]


def test_stop_worker_abandons_a_long_evaluation_at_its_next_piece(qtbot, thread_parent, work):
    thread, worker = start_worker(thread_parent, deep_session(200_000))
    pieces_before = work.pieces
    worker.step()  # one update (49 chunks), then its checkpoint: both sets evaluated, 98 pieces
    qtbot.waitUntil(lambda: work.pieces >= pieces_before + 3, timeout=TIMEOUT_MS)
    at_stop = work.total
    assert stop_worker(thread, worker)
    assert thread.isFinished()
    assert work.total - at_stop <= 1


def test_playing_goes_on_through_steps_longer_than_a_frame(qtbot, thread_parent, work):
    """Only stopping the worker abandons a step: frames end during it and it goes on."""
    thread, worker = start_worker(thread_parent, deep_session(50_000))  # 13 chunks a step
    snapshots = []
    worker.snapshot_ready.connect(snapshots.append)
    worker.set_speed(None)
    worker.play()
    try:
        qtbot.waitUntil(
            lambda: len(snapshots) > 0 and snapshots[-1].iteration >= 2, timeout=TIMEOUT_MS
        )
    finally:
        assert stop_worker(thread, worker)


def test_closing_the_window_during_a_long_step_ends_the_thread_at_the_next_chunk(
    qtbot,
    work,
    window,  # ``work`` first: the window's worker then trains in its own thread
):
    window._adopt_session(deep_session(200_000))
    qtbot.waitUntil(lambda: window.last_snapshot.net.depth == 9, timeout=TIMEOUT_MS)
    # Max, as in the report. At 10 or 100 iterations a frame, a frame whose 1/60 s is over
    # before all its iterations are done never ends: _play_frame then trains nothing more.
    window.findChild(QComboBox, "speedCombo").setCurrentIndex(3)
    qtbot.mouseClick(window.findChild(QToolButton, "playButton"), Qt.LeftButton)
    qtbot.waitUntil(lambda: work.chunks >= 3, timeout=TIMEOUT_MS)
    at_close = work.total
    window.close()
    assert window._thread.isFinished()
    assert work.total - at_close <= 1


def test_stopping_the_worker_during_a_long_step_in_the_training_process_ends_the_process(
    qtbot, thread_parent
):
    """At Max the training process trains; stopping the worker in the middle of its first
    update (about a second on 200,000 points) halts and ends the process, and the session
    stays where it was."""
    thread, worker = start_worker(thread_parent, deep_session(200_000), separate_process=True)
    start_training_process(qtbot, worker)
    worker.set_speed(None)
    worker.play()
    qtbot.waitUntil(lambda: worker._process.running, timeout=TIMEOUT_MS)
    child = worker._process._process
    assert stop_worker(thread, worker)
    assert thread.isFinished()
    assert not child.is_alive()
    assert worker.session.iteration == 0 and worker.session.timeline.iterations == [0]
