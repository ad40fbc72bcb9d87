"""Session: one run, exact resume from any checkpoint, the app's rules for changes."""

import tracemalloc

import numpy as np
import pytest

from mlpviz.core import network, trainer
from mlpviz.core.config import HiddenLayer, NetworkConfig, TrainingConfig
from mlpviz.core.datasets import Dataset, make_preset
from mlpviz.core.errors import ConfigError, DivergenceError
from mlpviz.core.network import Interrupted
from mlpviz.core.session import ONE_CLASS, Session
from tests.core.long_steps import RandomStops, StopAt, assert_same_trainer_state

NET = NetworkConfig((HiddenLayer(8, "tanh"), HiddenLayer(6, "relu")), seed=3)
TRAININGS = {
    "sgd full batch": TrainingConfig("sgd", 0.3),
    "momentum mini-batch": TrainingConfig("momentum", 0.05, batch_size=16, l2=0.01),
    "adam mini-batch": TrainingConfig("adam", 0.01, batch_size=10, shuffle_seed=7),
    "adam full batch l2": TrainingConfig("adam", 0.02, l2=0.05),
}


@pytest.fixture(scope="module")
def xor():
    return make_preset("xor", n=120, noise=0.1, seed=0)


def session(data, training, **options):
    return Session(data, NET, training, test_ratio=0.25, **options)


@pytest.mark.parametrize("training", TRAININGS.values(), ids=TRAININGS.keys())
def test_resuming_from_a_checkpoint_is_bit_for_bit(xor, training):
    straight = session(xor, training)
    straight.step(300)
    resumed = session(xor, training)
    resumed.step(150)
    index = resumed.timeline.index_of(150)
    resumed.step(77)  # a detour that the rewind forgets
    assert resumed.rewind(index) > 0
    assert resumed.iteration == 150
    resumed.step(150)
    np.testing.assert_array_equal(resumed.net.params, straight.net.params)
    assert (resumed.iteration, resumed.epoch) == (straight.iteration, straight.epoch)


def test_every_checkpoint_resumes_to_the_next_one(xor):
    run = session(xor, TRAININGS["adam mini-batch"])
    run.step(600)
    original = [
        (run.timeline[i].iteration, run.timeline[i].params.copy()) for i in range(len(run.timeline))
    ]
    rng = np.random.default_rng(0)
    for index in sorted(rng.choice(len(original) - 1, size=8, replace=False), reverse=True):
        run.rewind(int(index))
        next_iteration, next_params = original[index + 1]
        run.step(next_iteration - original[index][0])
        np.testing.assert_array_equal(run.net.params, next_params)


def test_iteration_zero_and_the_newest_state_are_checkpoints(xor):
    run = session(xor, TRAININGS["sgd full batch"])
    assert run.timeline.iterations == [0]
    run.step(259)  # 259 is off the schedule
    assert run.timeline.iterations[-1] == 259 and run.timeline.last_is_transient
    np.testing.assert_array_equal(run.timeline[-1].params, run.net.params)
    run.step(1)
    assert run.timeline.iterations[-2:] == [258, 260]


def test_gradient_norms_are_those_of_the_update_that_led_there_without_l2(xor):
    run = session(xor, TrainingConfig("sgd", 0.1, l2=0.5))
    net = run.net.copy()
    train = ~run.test_mask
    _loss, dW, _db = net.gradients(xor.X[train], xor.y[train], l2=0.0)
    run.step(1)
    assert run.timeline[0].gradient_norms == ()
    np.testing.assert_allclose(
        run.timeline[1].gradient_norms, [np.linalg.norm(g) for g in dW], rtol=1e-12
    )
    np.testing.assert_allclose(
        run.timeline[1].weight_norms, [np.linalg.norm(W) for W in run.net.weights], rtol=1e-12
    )


def test_learning_rate_and_optimiser_changes_keep_the_weights_and_the_run(xor):
    run = session(xor, TRAININGS["sgd full batch"])
    run.step(20)
    params, number = run.net.params.copy(), run.run_number
    assert not run.apply(training=TrainingConfig("adam", 0.01, batch_size=8))
    np.testing.assert_array_equal(run.net.params, params)
    assert run.run_number == number and run.iteration == 20
    assert run.timeline[-1].training == TrainingConfig("adam", 0.01, batch_size=8)
    run.step(5)
    assert run.iteration == 25


def test_architecture_class_count_and_new_datasets_start_a_new_run(xor):
    run = session(xor, TRAININGS["sgd full batch"])
    run.step(30)
    assert run.apply(network=NetworkConfig((HiddenLayer(4),)))
    assert run.iteration == 0 and len(run.timeline) == 1 and len(run.history) == 1
    run.step(30)
    three = make_preset("spiral", n=90, seed=1, n_classes=3)
    assert run.apply(dataset=three)
    assert run.net.layer_sizes[-1] == 3 and run.iteration == 0
    run.step(5)
    assert run.apply(dataset=make_preset("spiral", n=60, seed=2, n_classes=3), new_run=True)
    assert run.iteration == 0


def test_a_few_more_points_keep_training_and_checkpoints_keep_their_data(xor):
    run = session(xor, TRAININGS["sgd full batch"])
    run.step(10)
    edited = xor.with_points([[5.0, 5.0], [5.5, 5.0]], 1)
    assert not run.apply(dataset=edited)
    assert run.iteration == 10
    run.step(10)
    old, data_old = run.checkpoint_snapshot(run.timeline.index_of(5))
    new, data_new = run.checkpoint_snapshot(run.timeline.index_of(15))
    assert len(data_old.dataset) == len(xor) and len(data_new.dataset) == len(edited)
    assert (old.iteration, new.iteration) == (5, 15)
    np.testing.assert_array_equal(new.net.params, run.timeline[run.timeline.index_of(15)].params)


def test_an_edit_at_a_recorded_iteration_records_it_again_with_the_new_data(xor):
    run = session(xor, TRAININGS["sgd full batch"])
    before = run.timeline[0].metrics.train_loss
    run.apply(dataset=xor.with_points([[0.0, 0.0]] * 20, 1))
    assert run.timeline.iterations == [0] and len(run.history) == 1
    assert run.timeline[0].metrics.train_loss != before
    assert run.history.arrays().train_loss[0] == run.timeline[0].metrics.train_loss


def test_a_checkpoint_snapshot_equals_the_live_snapshot_of_that_iteration(xor):
    run = session(xor, TRAININGS["momentum mini-batch"])
    run.step(40)
    live = run.snapshot()
    old, data = run.checkpoint_snapshot(len(run.timeline) - 1)
    np.testing.assert_array_equal(old.net.params, live.net.params)
    assert (old.train_loss, old.test_accuracy) == (live.train_loss, live.test_accuracy)
    assert data.dataset == run.dataset


def test_nothing_to_train_on_is_refused_with_a_reason():
    empty = Session()
    assert empty.training_problem is not None
    with pytest.raises(ConfigError):
        empty.step()
    one_class = Session(Dataset(np.zeros((4, 2)), np.zeros(4, dtype=int)))
    assert one_class.training_problem == ONE_CLASS
    with pytest.raises(ConfigError, match="two classes"):
        one_class.step()
    assert one_class.iteration == 0


def test_nothing_to_train_on_is_told_apart_without_copying_the_labels():
    """Asked before every step: sorting or copying 1,000,000 labels took longer than a frame."""
    m = 1_000_000
    big = Session(Dataset(np.zeros((m, 2)), np.arange(m) % 2), NET, test_ratio=0.25)
    tracemalloc.start()
    try:
        assert big.training_problem is None
        _, peak_bytes = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak_bytes < m // 10  # a copy of the labels is 8,000,000 bytes, of the mask 10⁶


def test_points_added_to_an_empty_session_start_training_there():
    run = Session()
    assert not run.apply(dataset=make_preset("linear", n=40, seed=0))
    run.step(3)
    assert run.iteration == 3


def test_divergence_leaves_the_last_good_state_and_a_checkpoint_to_go_back_to(xor):
    run = session(xor, TrainingConfig("sgd", 0.3))
    run.step(50)
    run.apply(training=TrainingConfig("sgd", 1e6))
    with pytest.raises(DivergenceError):
        run.step(100)
    index = run.last_good_index()
    assert run.timeline[index].metrics.train_loss <= run.timeline[0].metrics.train_loss
    assert run.timeline[index].iteration <= run.iteration


def test_should_stop_interrupts_between_updates(xor):
    run = session(xor, TRAININGS["sgd full batch"])
    calls = []
    done = run.step(100, should_stop=lambda: len(calls) > 4 or calls.append(1))
    assert done == 5 and run.iteration == 5


def test_applying_what_the_session_already_has_changes_nothing(xor):
    run = session(xor, TRAININGS["adam mini-batch"])
    run.step(7)
    twin = session(xor, TRAININGS["adam mini-batch"])
    twin.step(7)
    assert not twin.apply(
        dataset=twin.dataset, network=NET, training=TRAININGS["adam mini-batch"], test_ratio=0.25
    )
    run.step(30)
    twin.step(30)  # the epoch's order was not restarted: the same updates
    np.testing.assert_array_equal(run.net.params, twin.net.params)


def test_a_new_test_share_is_a_data_change_in_the_same_run(xor):
    run = session(xor, TRAININGS["sgd full batch"])
    run.step(5)
    assert not run.apply(test_ratio=0.5)
    assert run.test_mask.sum() == 60 and run.iteration == 5


def test_a_change_after_a_rewind_keeps_the_gradient_norms_of_the_update_that_led_there(xor):
    run = session(xor, TRAININGS["momentum mini-batch"])
    run.step(50)
    norms = run.timeline[run.timeline.index_of(40)].gradient_norms
    run.rewind(run.timeline.index_of(40))  # the rebuilt trainer has no gradient of its own
    run.apply(training=TrainingConfig("momentum", 0.01, batch_size=16, l2=0.5))
    assert run.timeline[-1].gradient_norms == norms


def test_rewinding_to_data_that_cannot_train_keeps_the_counters(xor):
    run = session(xor, TRAININGS["sgd full batch"])
    run.step(10)
    one_class = Dataset(xor.X, np.zeros(len(xor), dtype=int))
    run.apply(dataset=one_class)  # same output layer (2 classes): the run goes on, paused
    assert run.training_problem is not None
    run.rewind(len(run.timeline) - 1)  # iteration 10, with the one-class data in force
    assert run.iteration == 10 and run.dataset == one_class
    run.apply(dataset=xor)
    run.step(5)
    assert run.iteration == 15 and run.timeline.iterations[-1] == 15


def test_a_run_can_start_from_a_models_weights(xor):
    from mlpviz.core import MLP

    run = session(xor, TRAININGS["adam mini-batch"])
    run.step(12)
    model = MLP([2, 3, 1], "sigmoid", seed=5)
    run.start_from(model)
    assert run.iteration == 0 and run.timeline.iterations == [0]
    np.testing.assert_array_equal(run.timeline[0].params, model.params)
    assert run.network_config.hidden == (HiddenLayer(3, "sigmoid"),)
    with pytest.raises(ConfigError, match=r"the model is \[2, 3\].*1 output unit \(2 classes\)"):
        run.start_from(MLP([2, 3], seed=0))  # a 3-class model on 2-class data
    np.testing.assert_array_equal(run.timeline[0].params, model.params)


def assert_same_run(a, b):
    """Two sessions are at the same state with the same timeline and loss record."""
    np.testing.assert_array_equal(a.net.params, b.net.params)
    assert a.timeline.iterations == b.timeline.iterations
    for mine, theirs in zip(a.timeline, b.timeline, strict=True):
        np.testing.assert_array_equal(mine.params, theirs.params)
        assert_same_trainer_state(mine.trainer, theirs.trainer)
        assert (mine.metrics, mine.gradient_norms) == (theirs.metrics, theirs.gradient_norms)
    assert_same_history(a.history.arrays(), b.history.arrays())


def assert_same_history(a, b):
    """Two HistoryArrays hold the same rows."""
    for name, column in vars(a).items():
        np.testing.assert_array_equal(column, getattr(b, name))


@pytest.fixture
def long_steps(monkeypatch):
    """Updates on more than 8 samples and evaluations of more than 32 are done in pieces."""
    monkeypatch.setattr(network, "GRADIENT_CHUNK", 8)
    monkeypatch.setattr(trainer, "EVALUATION_PIECE", 32)


@pytest.mark.parametrize("training", TRAININGS.values(), ids=TRAININGS.keys())
def test_steps_interrupted_at_random_and_retried_resume_bit_for_bit(
    xor, training, long_steps, tmp_path
):
    straight, retried = session(xor, training), session(xor, training)
    stops = RandomStops(0.02, seed=5)
    # Past iteration 200, where not every update is recorded: an interrupted record then
    # drops several updates.
    for target in range(13, 600, 13):
        straight.step(13)
        while retried.iteration < target:
            retried.step(target - retried.iteration, interrupt=stops)
    assert stops.fired >= 50
    assert_same_run(retried, straight)
    retried.save(tmp_path / "retried.mlpviz")
    loaded = Session.load(tmp_path / "retried.mlpviz")
    loaded.step(50)
    straight.step(50)
    np.testing.assert_array_equal(loaded.net.params, straight.net.params)


def test_an_interrupt_while_recording_a_checkpoint_goes_back_to_the_newest_one(xor):
    training = TRAININGS["sgd full batch"]
    run, straight = session(xor, training), session(xor, training)
    # Each update is recorded, measuring the training and then the test set: the 5th question
    # comes while iteration 3 is measured.
    assert run.step(5, interrupt=StopAt(5)) == 2
    straight.step(2)
    assert_same_run(run, straight)
    run.step(3)
    straight.step(3)
    assert_same_run(run, straight)


def test_an_interrupted_first_update_changes_nothing(xor, long_steps):
    training = TRAININGS["adam full batch l2"]
    run, straight = session(xor, training), session(xor, training)
    run.step(3)
    straight.step(3)
    assert run.step(5, interrupt=StopAt(4)) == 0
    assert_same_run(run, straight)


def test_an_interrupted_snapshot_changes_nothing(xor, long_steps):
    run = session(xor, TRAININGS["momentum mini-batch"])
    run.step(12)
    run.net.params[0] += 0.5  # the live state is no checkpoint: a snapshot evaluates it
    history = run.history.arrays()
    with pytest.raises(Interrupted):
        run.snapshot(interrupt=StopAt(2))
    assert_same_history(run.history.arrays(), history)
    assert run.snapshot().iteration == 12


def test_a_snapshot_of_the_newest_checkpoint_takes_its_metrics_without_evaluating(xor):
    run = session(xor, TRAININGS["momentum mini-batch"])
    run.step(12)
    snapshot = run.snapshot(interrupt=StopAt(1))  # evaluating would be interrupted at once
    metrics = run.timeline[-1].metrics
    assert (snapshot.train_loss, snapshot.test_accuracy) == (
        metrics.train_loss,
        metrics.test_accuracy,
    )
    assert snapshot.train_loss == run.evaluate().train_loss
