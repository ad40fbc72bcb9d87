"""TrainingWorker: commands from the GUI thread, training and snapshots in its QThread."""

import logging
import math
import threading
import time

import numpy as np
import pytest
from PySide6.QtCore import QObject

from mlpviz.core.config import HiddenLayer, NetworkConfig, TrainingConfig
from mlpviz.core.datasets import Dataset
from mlpviz.core.session import EMPTY_TRAINING_SET, Session
from mlpviz.core.trainer import Trainer
from mlpviz.gui.worker import start_worker, stop_worker

from .conftest import start_training_process

TIMEOUT_MS = 5000
NETWORK = NetworkConfig((HiddenLayer(4, "tanh"),), seed=3)


def line_data(m: int, seed: int = 0) -> Dataset:
    """``m`` points of the plane labelled by the side of the line x₁ + x₂ = 0."""
    X = np.random.default_rng(seed).uniform(-3.0, 3.0, size=(m, 2))
    return Dataset(X, (X.sum(axis=1) > 0).astype(np.int64))


@pytest.fixture
def thread_parent():
    return QObject()


@pytest.fixture
def started(thread_parent):
    """A worker looping in its QThread; the thread is stopped even when a test fails."""
    session = Session(line_data(50), NETWORK, TrainingConfig(), test_ratio=0.2)
    thread, worker = start_worker(thread_parent, session)
    snapshots = []
    worker.snapshot_ready.connect(snapshots.append)
    worker.snapshots = snapshots
    try:
        yield thread, worker
    finally:
        assert stop_worker(thread, worker)
        assert thread.isFinished()


@pytest.fixture
def worker(qtbot, started):
    """A started worker with NETWORK and 40 training / 10 test points."""
    _, worker = started
    worker.refresh()
    wait_for_latest(qtbot, worker, lambda snapshot: not math.isnan(snapshot.train_loss))
    return worker


def wait_for_latest(qtbot, worker, condition):
    """Wait until the latest snapshot received satisfies ``condition``; return it."""
    qtbot.waitUntil(
        lambda: bool(worker.snapshots) and condition(worker.snapshots[-1]), timeout=TIMEOUT_MS
    )
    return worker.snapshots[-1]


def is_paused(snapshot) -> bool:
    return not snapshot.running


def publish_after(qtbot, worker, command, *args):
    """Call ``command(*args)`` and return the snapshot it makes the paused worker publish."""
    with qtbot.waitSignal(worker.snapshot_ready, timeout=TIMEOUT_MS) as blocker:
        command(*args)
    return blocker.args[0]


def test_step_publishes_the_trained_network(qtbot, worker):
    initial = NETWORK.build(2).params
    first = publish_after(qtbot, worker, worker.step)
    assert first.iteration == 1
    assert not first.running
    assert first.net.layer_sizes == (2, 4, 1)
    assert not np.array_equal(first.net.params, initial)
    assert np.isfinite([first.train_loss, first.test_loss]).all()
    assert 0.0 <= first.train_accuracy <= 1.0
    assert list(first.history.iteration) == [0, 1]
    assert publish_after(qtbot, worker, worker.step, 5).iteration == 6


def test_snapshot_keeps_its_own_copy_of_the_network(qtbot, worker):
    old = publish_after(qtbot, worker, worker.step)
    old_params = old.net.params.copy()
    new = publish_after(qtbot, worker, worker.step, 3)
    assert not np.array_equal(new.net.params, old_params)  # the worker's net moved on…
    np.testing.assert_array_equal(old.net.params, old_params)  # …the old snapshot did not


def test_step_epoch_does_one_pass_over_the_training_set(qtbot, worker):
    publish_after(qtbot, worker, worker.set_training, TrainingConfig(batch_size=10))
    snapshot = publish_after(qtbot, worker, worker.step_epoch)
    assert (snapshot.iteration, snapshot.epoch) == (4, 1)  # 40 points, batches of 10


def test_play_trains_until_pause(qtbot, worker):
    worker.set_speed(None)
    with qtbot.waitSignal(worker.running_changed, check_params_cb=lambda running: running):
        worker.play()
    playing = wait_for_latest(qtbot, worker, lambda snapshot: snapshot.iteration > 50)
    assert playing.running
    with qtbot.waitSignal(worker.running_changed, check_params_cb=lambda running: not running):
        worker.pause()
    paused = wait_for_latest(qtbot, worker, is_paused)
    assert paused.updates_per_second == 0.0
    assert paused.iteration >= playing.iteration
    count = len(worker.snapshots)
    qtbot.wait(200)
    assert len(worker.snapshots) == count  # nothing trains or publishes while paused
    assert publish_after(qtbot, worker, worker.step).iteration == paused.iteration + 1


def test_speed_one_publishes_one_iteration_per_frame_at_most_60_times_a_second(qtbot, worker):
    worker.set_speed(1)
    first = len(worker.snapshots)
    started = time.monotonic()
    worker.play()
    qtbot.wait(1000)
    worker.pause()
    wait_for_latest(qtbot, worker, is_paused)
    played_for = time.monotonic() - started  # longer than the worker really played
    running = [s for s in worker.snapshots[first:] if s.running]
    assert 0 < len(running) <= 60 * played_for + 2
    assert (np.diff([s.iteration for s in running]) == 1).all()


def test_stop_at_pauses_at_that_iteration(qtbot, worker):
    worker.set_stop_at(25)
    worker.set_speed(10)
    worker.play()
    stopped = wait_for_latest(qtbot, worker, lambda s: is_paused(s) and s.iteration > 0)
    assert stopped.iteration == 25


def test_reset_returns_to_the_initial_weights(qtbot, worker):
    publish_after(qtbot, worker, worker.step, 10)
    snapshot = publish_after(qtbot, worker, worker.reset)
    assert (snapshot.iteration, snapshot.epoch) == (0, 0)
    np.testing.assert_array_equal(snapshot.net.params, NETWORK.build(2).params)
    assert list(snapshot.history.iteration) == [0]


def test_learning_rate_change_keeps_the_weights(qtbot, worker):
    session = worker.session
    X, y = session.dataset.X[~session.test_mask], session.dataset.y[~session.test_mask]
    assert len(y) == 40
    before = publish_after(qtbot, worker, worker.step, 3)
    # The change is published (the backprop inspector shows the next update with it).
    changed = publish_after(qtbot, worker, worker.set_training, TrainingConfig(learning_rate=0.5))
    assert changed.training == TrainingConfig(learning_rate=0.5)
    after = publish_after(qtbot, worker, worker.step)
    assert after.iteration == before.iteration + 1
    # One full-batch gradient step with α = 0.5 from the weights reached, not from new ones.
    expected = before.net.copy()
    trainer = Trainer(expected, TrainingConfig(learning_rate=0.5).build_optimizer(), X, y)
    trainer.step()
    np.testing.assert_allclose(after.net.params, expected.params, rtol=1e-12)


def test_optimiser_change_keeps_the_iteration_count(qtbot, worker):
    publish_after(qtbot, worker, worker.step, 3)
    publish_after(
        qtbot, worker, worker.set_training, TrainingConfig(optimizer="adam", learning_rate=0.01)
    )
    assert publish_after(qtbot, worker, worker.step).iteration == 4


def test_new_architecture_starts_a_new_network(qtbot, worker):
    publish_after(qtbot, worker, worker.step, 3)
    config = NetworkConfig((HiddenLayer(3, "relu"), HiddenLayer(2, "tanh")), seed=7)
    snapshot = publish_after(qtbot, worker, lambda: worker.apply(network=config))
    assert snapshot.net.layer_sizes == (2, 3, 2, 1)
    assert snapshot.iteration == 0
    np.testing.assert_array_equal(snapshot.net.params, config.build(2).params)


def test_data_with_more_classes_rebuilds_the_output_layer(qtbot, worker):
    three = Dataset(line_data(30).X, np.arange(30) % 3)
    snapshot = publish_after(qtbot, worker, lambda: worker.apply(dataset=three, test_ratio=0.0))
    assert snapshot.net.layer_sizes == (2, 4, 3)
    assert snapshot.iteration == 0
    assert np.isnan(snapshot.test_loss)
    assert publish_after(qtbot, worker, worker.step).iteration == 1


def test_a_few_more_points_keep_training(qtbot, worker):
    publish_after(qtbot, worker, worker.step, 3)
    more = worker.session.dataset.with_points([[1.0, 1.0]], 1)
    assert publish_after(qtbot, worker, lambda: worker.apply(dataset=more)).iteration == 3
    assert publish_after(qtbot, worker, worker.step).iteration == 4


def test_rewind_continues_from_a_checkpoint(qtbot, worker):
    publish_after(qtbot, worker, worker.step, 30)
    with qtbot.waitSignal(worker.rewound, timeout=TIMEOUT_MS) as rewound:
        worker.rewind(10)
    assert rewound.args[:2] == [10, 20]
    assert rewound.args[2] is worker.session.dataset
    assert rewound.args[3] == worker.session.training_config
    assert wait_for_latest(qtbot, worker, lambda s: s.iteration == 10).timeline[-1] == 10


def test_divergence_pauses_with_a_message_and_finite_weights(qtbot, worker):
    worker.apply(network=NetworkConfig((HiddenLayer(8, "linear"), HiddenLayer(8, "linear"))))
    worker.set_training(TrainingConfig(optimizer="sgd", learning_rate=1e6))
    worker.set_speed(None)
    with (
        qtbot.waitSignal(worker.diverged, timeout=TIMEOUT_MS) as diverged,
        qtbot.waitSignal(worker.running_changed, check_params_cb=lambda running: not running),
    ):
        worker.play()
    divergence = diverged.args[0]
    message = divergence.message()
    assert f"iteration {divergence.iteration}" in message and "1e+06" in message
    assert divergence.safe_learning_rate is not None
    assert divergence.safe_learning_rate <= 1e5
    snapshot = worker.snapshots[-1]
    assert not snapshot.running
    assert np.isfinite(snapshot.net.params).all()
    # Going back with the measured α trains on without diverging again.
    with qtbot.waitSignal(worker.rewound, timeout=TIMEOUT_MS) as rewound:
        worker.rewind(divergence.good_index, divergence.safe_learning_rate)
    assert rewound.args[0] == divergence.good_iteration
    assert rewound.args[3].learning_rate == divergence.safe_learning_rate
    with qtbot.assertNotEmitted(worker.diverged, wait=100):
        after = publish_after(qtbot, worker, worker.step, 300)
    assert after.iteration == divergence.good_iteration + 300


def test_empty_training_set_is_reported_on_step_and_play(qtbot, worker):
    publish_after(qtbot, worker, lambda: worker.apply(dataset=Dataset.empty(), new_run=True))
    with qtbot.waitSignal(worker.problem_occurred) as problem:
        worker.step()
    assert problem.args == [EMPTY_TRAINING_SET]
    with (
        qtbot.waitSignal(worker.problem_occurred),
        qtbot.waitSignal(worker.running_changed, check_params_cb=lambda running: not running),
    ):
        worker.play()


def test_an_unexpected_error_is_reported_and_the_worker_survives(
    qtbot, worker, monkeypatch, caplog
):
    def broken_step(self, *args):
        raise RuntimeError("boom")

    monkeypatch.setattr(Trainer, "step", broken_step)
    with caplog.at_level(logging.ERROR), qtbot.waitSignal(worker.problem_occurred) as problem:
        worker.step()
    assert problem.args == ["RuntimeError: boom"]
    assert "unexpected error" in caplog.text
    monkeypatch.undo()
    assert publish_after(qtbot, worker, worker.step).iteration == 1


def test_stop_worker_ends_the_thread_while_playing_a_big_network(qtbot, started):
    thread, worker = started
    worker.apply(
        network=NetworkConfig(tuple(HiddenLayer(64) for _ in range(6))), dataset=line_data(2000)
    )
    worker.set_speed(None)
    with qtbot.waitSignal(worker.snapshot_ready, check_params_cb=lambda s: s.running):
        worker.play()
    assert stop_worker(thread, worker)
    assert thread.isFinished()


def test_a_training_process_that_dies_is_reported_and_the_next_play_starts_another(qtbot, worker):
    problems, running = [], []
    worker.problem_occurred.connect(problems.append)
    worker.running_changed.connect(running.append)
    start_training_process(qtbot, worker)
    worker.set_speed(None)
    worker.play()
    qtbot.waitUntil(lambda: worker._process.running, timeout=TIMEOUT_MS)
    child = worker._process._process
    child.kill()
    qtbot.waitUntil(lambda: bool(problems), timeout=TIMEOUT_MS)
    assert "training process ended" in problems[-1]
    qtbot.waitUntil(lambda: running[-1] is False, timeout=TIMEOUT_MS)
    with worker.lock:
        reached = worker.session.iteration
        assert worker.session.timeline.iterations[-1] == reached  # consistent where it stopped
    worker.play()
    wait_for_latest(qtbot, worker, lambda snapshot: snapshot.iteration > reached + 100)
    qtbot.waitUntil(lambda: worker._process.running, timeout=30_000)  # another process
    assert worker._process._process is not child


def test_the_first_play_trains_at_once_while_the_training_process_starts(
    qtbot, worker, monkeypatch
):
    """The process takes most of a second to start: meanwhile the worker's thread trains,
    and once it is ready the process takes over, the run going on where it was."""
    from mlpviz.core.training_process import TrainingProcess

    process_started = threading.Event()
    ready = TrainingProcess.ready
    monkeypatch.setattr(TrainingProcess, "ready", lambda p: process_started.is_set() and ready(p))
    worker.set_speed(None)
    worker.play()
    wait_for_latest(qtbot, worker, lambda snapshot: snapshot.running and snapshot.iteration > 100)
    assert not worker._process.running  # trained here
    process_started.set()
    qtbot.waitUntil(lambda: worker._process.running, timeout=30_000)
    reached = worker.snapshots[-1].iteration
    wait_for_latest(qtbot, worker, lambda snapshot: snapshot.iteration > reached + 100)
    worker.pause()
    paused = wait_for_latest(qtbot, worker, lambda snapshot: not snapshot.running)
    with worker.lock:
        assert (
            worker.session.timeline.iterations[-1] == paused.iteration == worker.session.iteration
        )


def test_playing_trains_in_the_worker_thread_when_the_training_process_cannot_start(
    qtbot, worker, monkeypatch
):
    """A child that dies before it is ready (here: its entry point raises) leaves training
    in the worker's thread, with the same numbers."""
    from mlpviz.core import training_process

    monkeypatch.setattr(training_process, "serve", _dies_at_once)
    worker.set_speed(None)
    worker.play()
    qtbot.waitUntil(lambda: worker._process is None, timeout=30_000)  # given up
    reached = worker.snapshots[-1].iteration
    wait_for_latest(qtbot, worker, lambda snapshot: snapshot.iteration > reached + 50)
    worker.pause()
    wait_for_latest(qtbot, worker, lambda snapshot: not snapshot.running)


def _dies_at_once(connection, halt):
    raise SystemExit(3)


def test_garbage_is_collected_in_the_gui_thread_only_while_a_worker_runs(thread_parent):
    """Every started worker, with a window or without (scripts, these tests), turns automatic
    collection off until it stops: a collection in its thread froze the GUI (collector.py)."""
    import gc

    session = Session(line_data(50), NETWORK, TrainingConfig(), test_ratio=0.2)
    assert gc.isenabled()
    thread, worker = start_worker(thread_parent, session)
    try:
        assert not gc.isenabled()
    finally:
        assert stop_worker(thread, worker)
    assert gc.isenabled()
