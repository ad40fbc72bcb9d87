"""Trainer: one update per step, mini-batches and epochs, divergence, convergence on presets."""

import contextlib
import itertools

import numpy as np
import pytest

from mlpviz.core import MLP, SGD, Adam, ConfigError, DivergenceError, Trainer, network
from mlpviz.core.datasets import make_preset
from mlpviz.core.trainer import EVALUATION_PIECE, evaluate
from tests.core.long_steps import RandomStops, StopAt, assert_same_trainer_state


def small_problem(m=20, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(m, 2))
    return X, (X[:, 0] > 0).astype(int)


def test_step_is_one_gradient_descent_update_and_returns_the_loss_before_it():
    X, y = small_problem()
    net = MLP([2, 3, 1], seed=0)
    expected_loss, dW, _db = net.gradients(X, y)
    expected_W = [W - 0.5 * g for W, g in zip(net.weights, dW)]
    trainer = Trainer(net, SGD(0.5), X, y)
    assert trainer.step() == pytest.approx(expected_loss, rel=1e-14)
    for W, expected in zip(net.weights, expected_W):
        np.testing.assert_allclose(W, expected, rtol=1e-14)
    assert (trainer.iteration, trainer.epoch) == (1, 1)


def test_lecture_algorithm_single_neuron_descends():
    X, y = small_problem()
    trainer = Trainer(MLP([2, 1], seed=0), SGD(0.5), X, y)
    losses = trainer.run(50)
    assert all(later < earlier for earlier, later in itertools.pairwise(losses))


def test_mini_batches_cover_each_epoch_once_in_a_seeded_order():
    X, y = small_problem(m=10)
    seen = []

    class Recorder(MLP):
        def loss_and_gradient(self, A, labels, l2, grad):
            seen.append(A[0].copy())
            return super().loss_and_gradient(A, labels, l2, grad)

    trainer = Trainer(Recorder([2, 1], seed=0), SGD(0.1), X, y, batch_size=4, seed=3)
    assert trainer.iterations_per_epoch == 3
    trainer.run(6)
    assert [len(batch) for batch in seen] == [4, 4, 2, 4, 4, 2]
    first_epoch = np.sort(np.concatenate(seen[:3]))
    np.testing.assert_array_equal(first_epoch, np.sort(X[:, 0]))
    assert not np.array_equal(np.concatenate(seen[:3]), np.concatenate(seen[3:]))
    assert (trainer.iteration, trainer.epoch) == (6, 2)

    first_run = np.concatenate(seen[:3])
    seen.clear()
    Trainer(Recorder([2, 1], seed=0), SGD(0.1), X, y, batch_size=4, seed=3).run(3)
    np.testing.assert_array_equal(np.concatenate(seen), first_run)


def test_same_seeds_train_identically():
    X, y = small_problem(m=30)
    runs = []
    for _ in range(2):
        trainer = Trainer(MLP([2, 4, 1], seed=1), Adam(0.05), X, y, batch_size=7, seed=5)
        runs.append(trainer.run(20))
    assert runs[0] == runs[1]


def test_divergence_raises_and_restores_the_parameters():
    X, y = small_problem()
    X = X * 1e3
    net = MLP([2, 8, 1], "relu", seed=0)
    trainer = Trainer(net, SGD(1e6), X, y)
    with pytest.raises(DivergenceError, match="lower the learning rate") as caught:
        for _ in range(100):
            before = net.params.copy()
            trainer.step()
    np.testing.assert_array_equal(net.params, before)
    assert np.isfinite(net.params).all()
    assert f"iteration {trainer.iteration + 1}" in str(caught.value)


def test_settings_change_between_iterations():
    X, y = small_problem()
    trainer = Trainer(MLP([2, 1], seed=0), SGD(0.1), X, y)
    trainer.step()
    trainer.batch_size = 5
    trainer.l2 = 0.01
    trainer.optimizer.lr = 0.2
    trainer.step()
    assert trainer.iterations_per_epoch == 4
    with pytest.raises(ConfigError):
        trainer.batch_size = 0
    with pytest.raises(ConfigError):
        trainer.l2 = -1.0


def test_new_data_is_used_from_the_next_iteration():
    X, y = small_problem()
    trainer = Trainer(MLP([2, 1], seed=0), SGD(0.1), X, y)
    trainer.step()
    trainer.set_data(X[:5], y[:5])
    assert trainer.n_samples == 5
    expected = trainer.net.loss(X[:5], y[:5])
    assert trainer.step() == pytest.approx(expected)
    with pytest.raises(ConfigError, match="empty"):
        trainer.set_data(np.zeros((0, 2)), np.zeros(0, dtype=int))


def test_evaluate_gives_loss_and_accuracy():
    X, y = small_problem()
    trainer = Trainer(MLP([2, 1], seed=0), SGD(0.1), X, y)
    loss, accuracy = trainer.evaluate(X, y)
    assert loss == pytest.approx(trainer.net.loss(X, y))
    assert accuracy == np.mean(trainer.net.predict(X) == y)
    assert all(np.isnan(trainer.evaluate(np.zeros((0, 2)), np.zeros(0, dtype=int))))


def test_single_neuron_learns_the_linear_preset():
    data = make_preset("linear", n=200, noise=0.1, seed=0)
    trainer = Trainer(MLP([2, 1], seed=0), SGD(0.5), data.X, data.y)
    trainer.run(300)
    assert trainer.evaluate(data.X, data.y)[1] >= 0.97


def test_two_tanh_layers_learn_xor():
    data = make_preset("xor", n=200, noise=0.1, seed=0)
    trainer = Trainer(MLP([2, 8, 8, 1], "tanh", seed=0), SGD(0.3), data.X, data.y)
    trainer.run(1500)
    assert trainer.evaluate(data.X, data.y)[1] >= 0.95


def test_relu_network_learns_a_three_class_spiral():
    data = make_preset("spiral", n=600, noise=0.1, seed=0, n_classes=3)
    train, test = data.split(0.25, seed=0)
    net = MLP([2, 16, 16, 3], "relu", init="he", seed=0)
    trainer = Trainer(net, Adam(0.01), train.X, train.y, batch_size=32, seed=0)
    trainer.run(3000)
    assert trainer.evaluate(test.X, test.y)[1] >= 0.90


def test_divergence_resets_the_optimiser_state_that_holds_the_runaway_update():
    X, y = small_problem()
    trainer = Trainer(MLP([2, 8, 1], "relu", seed=0), SGD(1e6, momentum=0.9), X * 1e3, y)
    with pytest.raises(DivergenceError):
        trainer.run(100)
    assert trainer.optimizer._velocity == []


# 100 samples in chunks of 8: the full batch has 13 chunks; batches of 30 have 4, the last
# batch of each epoch (10 samples) 2; every fourth batch starts an epoch and draws its order.
LONG_STEPS = {
    "full batch, momentum": dict(optimizer=lambda: SGD(0.1, momentum=0.9), batch_size=None),
    "batches of 30, adam": dict(optimizer=lambda: Adam(0.01), batch_size=30),
}


def long_step_trainer(optimizer, batch_size):
    X, y = small_problem(m=100)
    net = MLP([2, 6, 5, 1], ["tanh", "relu"], seed=0)
    return Trainer(net, optimizer(), X, y, batch_size=batch_size, l2=0.01, seed=4)


@pytest.mark.parametrize("setup", LONG_STEPS.values(), ids=LONG_STEPS.keys())
def test_an_interrupted_step_leaves_everything_as_before(monkeypatch, setup):
    monkeypatch.setattr(network, "GRADIENT_CHUNK", 8)
    trainer = long_step_trainer(**setup)
    trainer.step()
    for _ in range(8):  # two epochs of batches of 30
        params, state = trainer.net.params.copy(), trainer.state()
        norms = trainer.last_gradient_norms()
        for n in (1, 2):  # before the first chunk, and between the first two
            with pytest.raises(network.Interrupted):
                trainer.step(StopAt(n))
            np.testing.assert_array_equal(trainer.net.params, params)
            assert_same_trainer_state(trainer.state(), state)
            assert trainer.last_gradient_norms() == norms
        trainer.step()


@pytest.mark.parametrize("setup", LONG_STEPS.values(), ids=LONG_STEPS.keys())
def test_steps_interrupted_at_random_and_retried_train_bit_for_bit_like_straight_ones(
    monkeypatch, setup
):
    monkeypatch.setattr(network, "GRADIENT_CHUNK", 8)
    straight, retried = long_step_trainer(**setup), long_step_trainer(**setup)
    expected = straight.run(30)
    stops = RandomStops(0.15, seed=1)
    losses = []
    while len(losses) < 30:
        with contextlib.suppress(network.Interrupted):  # and try again
            losses.append(retried.step(stops))
    assert stops.fired >= 10
    assert losses == expected
    np.testing.assert_array_equal(retried.net.params, straight.net.params)
    assert_same_trainer_state(retried.state(), straight.state())
    assert retried.last_gradient_norms() == straight.last_gradient_norms()


def test_evaluate_in_pieces_gives_the_same_bits_and_can_be_interrupted():
    net = MLP([2, 5, 3], "relu", seed=0)
    rng = np.random.default_rng(0)
    m = 2 * EVALUATION_PIECE + 1000
    X, y = rng.normal(size=(m, 2)), rng.integers(0, 3, size=m)
    logits = net._inference_logits(X)  # one call, as evaluate computed it before
    expected_loss, _ = net.output.loss_and_delta(logits, y)
    expected_accuracy = np.mean(net.output.labels(logits) == y)
    pieces = StopAt()
    assert evaluate(net, X, y, pieces) == (expected_loss, expected_accuracy)
    assert pieces.asked == 3
    with pytest.raises(network.Interrupted):
        evaluate(net, X, y, StopAt(3))
