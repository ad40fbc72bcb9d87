"""Training in a separate process computes exactly what the session would have computed."""

import os

import numpy as np
import pytest

from mlpviz.core import session as session_module
from mlpviz.core.config import HiddenLayer, NetworkConfig, TrainingConfig
from mlpviz.core.datasets import make_preset
from mlpviz.core.errors import DivergenceError
from mlpviz.core.session import Session
from mlpviz.core.training_process import TRAINING_NICENESS, Stopped, TrainingProcess

FRAME = 1 / 60


@pytest.fixture(scope="module")
def process():
    """One child process for the module: starting one imports NumPy (about a second)."""
    training = TrainingProcess()
    yield training
    training.close()
    assert training._process is None


def spiral_session(
    optimizer: str = "adam", learning_rate: float = 0.03, activation: str = "tanh", **kwargs
) -> Session:
    data = make_preset("spiral", 250, 0.1, 1)
    network = NetworkConfig(tuple(HiddenLayer(8, activation) for _ in range(3)), seed=2)
    training = TrainingConfig(optimizer, learning_rate, 10)
    return Session(data, network, training, test_ratio=0.2, **kwargs)


def train_remotely(process: TrainingProcess, session: Session, limit: int) -> Stopped:
    """Run a burst to its end, absorbing every message as the worker does; returns the last."""
    process.start(session, limit, FRAME)
    message = None
    while process.running:
        for message in process.receive(0.05):
            absorb(session, message)
    return message


def absorb(session: Session, message) -> None:
    live = message.live if isinstance(message, Stopped) else None
    session.absorb(message.records, live, message.grown_from)


class AxesCounter:
    """Counts the feature axes derived in this process (the child's are not counted)."""

    def __init__(self, monkeypatch) -> None:
        self.count = 0
        derive = session_module.derive_axes

        def counted(*args, **kwargs):
            self.count += 1
            return derive(*args, **kwargs)

        monkeypatch.setattr(session_module, "derive_axes", counted)


def assert_same_run(remote: Session, local: Session) -> None:
    assert remote.iteration == local.iteration
    np.testing.assert_array_equal(remote.net.params, local.net.params)
    assert remote.timeline.iterations == local.timeline.iterations
    assert remote.timeline.last_is_transient == local.timeline.last_is_transient
    for theirs, ours in zip(remote.timeline, local.timeline):
        np.testing.assert_array_equal(theirs.params, ours.params)
        assert theirs.metrics == ours.metrics
        assert theirs.gradient_norms == ours.gradient_norms
        assert theirs.largest_weight == ours.largest_weight
        for field in ("low", "high", "centre", "basis", "extent"):
            np.testing.assert_array_equal(
                getattr(theirs.feature_axes, field), getattr(ours.feature_axes, field)
            )
    np.testing.assert_array_equal(remote.history.kept_rows(), local.history.kept_rows())
    np.testing.assert_array_equal(
        remote.history.arrays().iteration, local.history.arrays().iteration
    )


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "adam"])
def test_a_burst_in_the_process_equals_the_same_steps_here(process, optimizer):
    remote, local = spiral_session(optimizer), spiral_session(optimizer)
    ended = train_remotely(process, remote, 1500)
    local.step(1500)
    assert ended.divergence is None and ended.problem is None
    assert_same_run(remote, local)
    # … and both go on the same, here and there
    train_remotely(process, remote, 300)
    local.step(300)
    assert_same_run(remote, local)


def test_a_halted_burst_leaves_the_session_where_the_process_was(process):
    remote = spiral_session()
    process.start(remote, 10**9, FRAME)
    messages = process.receive(5.0)  # the first frame's checkpoints at least
    messages += process.finish()
    for message in messages:
        absorb(remote, message)
    assert isinstance(messages[-1], Stopped) and not process.running
    assert remote.iteration > 0
    local = spiral_session()
    local.step(remote.iteration)
    assert_same_run(remote, local)


def test_a_small_timeline_budget_thins_the_same_checkpoints(process, monkeypatch):
    remote, local = spiral_session(), spiral_session()
    remote.set_budget(200_000)
    local.set_budget(200_000)
    derived_here = AxesCounter(monkeypatch)
    train_remotely(process, remote, 4000)
    assert derived_here.count > 0  # where the thinned timeline keeps other checkpoints
    local.step(4000)
    assert len(local.timeline) < 300  # it was thinned
    assert_same_run(remote, local)


def test_the_views_memory_the_process_computed_is_taken_as_it_is(process, monkeypatch):
    """Absorbing a checkpoint does not redo the forward pass of the feature axes when the
    process grew them from what this session's previous checkpoint holds: the same bits."""
    remote, local = spiral_session(), spiral_session()
    derived_here = AxesCounter(monkeypatch)
    train_remotely(process, remote, 600)
    assert len(remote.timeline) > 200 and derived_here.count == 0
    local.step(600)
    assert_same_run(remote, local)
    remote.apply(training=TrainingConfig("adam", 0.01, 10))  # still the run: on from here
    local.apply(training=TrainingConfig("adam", 0.01, 10))
    train_remotely(process, remote, 100)
    local.step(100)
    assert_same_run(remote, local)


def test_without_what_they_grew_from_the_checkpoints_views_memory_is_recomputed(
    process, monkeypatch
):
    remote, local = spiral_session(), spiral_session()
    derived_here = AxesCounter(monkeypatch)
    process.start(remote, 300, FRAME)
    while process.running:
        for message in process.receive(0.05):
            live = message.live if isinstance(message, Stopped) else None
            remote.absorb(message.records, live)  # an older caller's way
    assert derived_here.count >= len(remote.timeline) - 1
    local.step(300)
    assert_same_run(remote, local)


@pytest.mark.parametrize("learning_rate", [100.0, 1e6])  # at the 2nd update; at the 1st
def test_a_divergence_in_the_process_leaves_the_state_a_divergence_here_leaves(
    process, learning_rate
):
    remote = spiral_session("momentum", learning_rate, "relu")
    local = spiral_session("momentum", learning_rate, "relu")
    ended = train_remotely(process, remote, 1000)
    with pytest.raises(DivergenceError) as raised:
        local.step(1000)
    assert ended.divergence == (str(raised.value), raised.value.loss)
    assert_same_run(remote, local)
    remote_trainer, local_trainer = remote.live_point()[1], local.live_point()[1]
    assert remote_trainer.position == local_trainer.position
    assert remote_trainer.optimizer.arrays.keys() == local_trainer.optimizer.arrays.keys()
    assert remote_trainer.rng == local_trainer.rng


def test_a_session_with_nothing_to_train_on_is_refused_before_the_process_starts():
    session = Session()
    training = TrainingProcess()
    with pytest.raises(Exception, match="Add some points"):
        training.start(session, 10, FRAME)
    assert training._process is None and not training.running


@pytest.mark.skipif(not hasattr(os, "getpriority"), reason="process priorities are POSIX")
def test_the_process_trains_at_a_lower_priority_than_the_window(process):
    """On a busy machine the window keeps its share of the CPU and training gets the rest."""
    train_remotely(process, spiral_session(), 5)
    child = os.getpriority(os.PRIO_PROCESS, process._process.pid)
    ours = os.getpriority(os.PRIO_PROCESS, 0)
    assert child == min(ours + TRAINING_NICENESS, 19)
