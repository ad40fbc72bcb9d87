"""backprop: one sample's trace, the gradient check and the next update, against independent
references (finite differences, MLP.gradients, what a Session's next step really does)."""

import numpy as np
import pytest

from mlpviz.core import activations
from mlpviz.core.activations import ACTIVATIONS, Activation
from mlpviz.core.backprop import (
    gradient_check,
    gradient_check_sampled,
    next_batch,
    next_update,
    trace,
)
from mlpviz.core.config import HiddenLayer, NetworkConfig, TrainingConfig
from mlpviz.core.datasets import make_preset
from mlpviz.core.network import MLP
from mlpviz.core.session import Session

EPS = 1e-6


def sample_data(n_classes: int, m: int = 12, seed: int = 0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(m, 2))
    y = np.arange(m) % n_classes
    return X, y


def finite_difference(net: MLP, X: np.ndarray, y: np.ndarray, l2: float = 0.0) -> np.ndarray:
    """∂J/∂params by central differences along each basis vector, independently of the code
    under test."""
    net = net.astype(np.float64)
    base = net.params.copy()

    def loss_at(params: np.ndarray) -> float:
        net.params[...] = params
        return net.loss(X, y, l2)

    steps = EPS * np.eye(len(base))
    return np.array([(loss_at(base + e) - loss_at(base - e)) / (2 * EPS) for e in steps])


def flat(net: MLP, dW, db) -> np.ndarray:
    """Per-layer gradients packed like ``net.params`` ([W | b] blocks)."""
    return np.concatenate([np.column_stack([w, b]).ravel() for w, b in zip(dW, db)])


NETS = {
    f"{activation} {classes} classes": (activation, classes)
    for activation in ACTIVATIONS
    for classes in (2, 3)
}


@pytest.mark.parametrize(("activation", "classes"), NETS.values(), ids=NETS.keys())
def test_trace_matches_finite_differences_and_the_forward_pass(activation, classes):
    X, y = sample_data(classes)
    n_out = 1 if classes == 2 else classes
    net = MLP([2, 5, 4, n_out], activation, seed=1)
    for i in (0, 5):
        x, label = X[i], int(y[i])
        t = trace(net, x, label)
        assert t.depth == 3 and len(t.dW) == 3
        numeric = finite_difference(net, x[None, :], np.array([label]))
        np.testing.assert_allclose(flat(net, t.dW, t.db), numeric, rtol=1e-5, atol=1e-8)
        forward = net.forward(x[None, :])
        for layer in range(3):
            np.testing.assert_allclose(t.z[layer], forward.z[layer][0], rtol=1e-12)
            assert t.dW[layer].shape == net.weights[layer].shape
            assert t.db[layer].shape == net.biases[layer].shape
            assert t.dW[layer].dtype == np.float64
        np.testing.assert_allclose(t.a[-1], net.predict_proba(x[None, :])[0], rtol=1e-12)
        assert t.loss == pytest.approx(net.loss(x[None, :], np.array([label])), rel=1e-12)
        # The lecture's output δ = ŷ − y, and ∂L/∂W^[l] = δ^[l] a^[l−1]ᵀ.
        onehot = np.eye(n_out)[label] if n_out > 1 else np.array([label])
        np.testing.assert_allclose(t.delta[-1], t.a[-1] - onehot, atol=1e-15)
        np.testing.assert_allclose(t.dW[0], np.outer(t.delta[0], x))


def test_dyhat_is_the_derivative_of_the_loss_by_the_output():
    net = MLP([2, 3, 1], "tanh", seed=2)
    x = np.array([0.3, -0.8])
    for label in (0, 1):
        t = trace(net, x, label)
        p = t.a[-1][0]
        expected = -label / p + (1 - label) / (1 - p)
        assert t.dyhat[0] == pytest.approx(expected)
        # The chain rule's first links: ∂L/∂ŷ · ∂ŷ/∂z = ŷ − y.
        assert t.dyhat[0] * p * (1 - p) == pytest.approx(t.delta[-1][0])
    softmax = MLP([2, 3, 3], "relu", seed=2)
    t = trace(softmax, x, 2)
    assert t.dyhat[2] == pytest.approx(-1 / t.a[-1][2]) and t.dyhat[0] == 0.0


@pytest.mark.parametrize("classes", [2, 4])
def test_the_mean_of_the_traces_over_a_batch_is_the_engines_gradient(classes):
    X, y = sample_data(classes, m=30)
    net = MLP([2, 6, 3, 1 if classes == 2 else classes], ["sigmoid", "leaky_relu"], seed=4)
    traces = [trace(net, x, int(label)) for x, label in zip(X, y)]
    loss, dW, db = net.gradients(X, y)
    for layer in range(net.depth):
        mean_dW = np.mean([t.dW[layer] for t in traces], axis=0)
        mean_db = np.mean([t.db[layer] for t in traces], axis=0)
        np.testing.assert_allclose(mean_dW, dW[layer], rtol=1e-10, atol=1e-15)
        np.testing.assert_allclose(mean_db, db[layer], rtol=1e-10, atol=1e-15)
    assert np.mean([t.loss for t in traces]) == pytest.approx(loss, rel=1e-12)


def test_a_float32_network_is_traced_in_float64():
    net = MLP([2, 4, 1], "tanh", seed=0, dtype=np.float32)
    t = trace(net, np.array([0.5, 0.25], dtype=np.float32), 1)
    assert all(array.dtype == np.float64 for array in (*t.z, *t.a, *t.delta, *t.dW, *t.db))
    errors = gradient_check(net, *sample_data(2))
    assert max(errors) < 1e-6


@pytest.mark.parametrize("activation", list(ACTIVATIONS))
@pytest.mark.parametrize("l2", [0.0, 0.1])
def test_gradient_check_is_small_for_the_engines_backprop(activation, l2):
    X, y = sample_data(3, m=20)
    net = MLP([2, 5, 4, 3], activation, seed=5)
    errors = gradient_check(net, X, y, l2=l2)
    assert len(errors) == net.depth
    assert max(errors) < 1e-4  # entry by entry: small gradients carry the rounding, ~1e-6


def test_gradient_check_is_large_when_a_derivative_is_wrong(monkeypatch):
    # tanh's derivative written as 1 − a instead of 1 − a²: a plausible slip.
    wrong = Activation("tanh", ACTIVATIONS["tanh"].forward, lambda a: 1.0 - a)
    monkeypatch.setitem(activations.ACTIVATIONS, "tanh", wrong)
    X, y = sample_data(2, m=20)
    net = MLP([2, 5, 1], "tanh", seed=5)
    errors = gradient_check(net, X, y)
    assert errors[0] > 1e-2  # the hidden layer's gradient goes through the wrong g′
    assert errors[1] < 1e-6  # the output layer's does not


def test_gradient_check_on_a_sample_of_parameters_agrees():
    X, y = sample_data(2, m=20)
    net = MLP([2, 40, 1], "tanh", seed=5)
    full = gradient_check(net, X, y)
    sampled = gradient_check_sampled(net, X, y, per_layer=10)
    assert max(sampled) < 1e-6 and max(full) < 1e-6
    assert gradient_check_sampled(net, X, y, per_layer=200) == full  # 200 > any layer's size


NET = NetworkConfig((HiddenLayer(4, "tanh"), HiddenLayer(3, "relu")), seed=3)
TRAININGS = {
    "sgd full batch": TrainingConfig("sgd", 0.3),
    "sgd mini-batch l2": TrainingConfig("sgd", 0.2, batch_size=7, l2=0.05),
    "momentum mini-batch": TrainingConfig("momentum", 0.05, batch_size=16, l2=0.01),
    "adam mini-batch": TrainingConfig("adam", 0.01, batch_size=10, shuffle_seed=7),
    "adam full batch l2": TrainingConfig("adam", 0.02, l2=0.05),
}


@pytest.mark.parametrize("training", TRAININGS.values(), ids=TRAININGS.keys())
@pytest.mark.parametrize("classes", [2, 3])
def test_the_predicted_update_is_what_the_next_step_does(training, classes):
    data = make_preset(
        "xor" if classes == 2 else "gaussian", n=90, noise=0.1, seed=0, n_classes=classes
    )
    session = Session(data, NET, training, test_ratio=0.2)
    train = ~session.test_mask
    X, y = data.X[train], data.y[train]
    # Iteration 0, in mid-epoch and at an epoch's start (the order not yet drawn).
    for steps in (0, 3, session.iterations_per_epoch - 3, 1, 1, 1, 2):
        session.step(steps) if steps else None
        snapshot = session.snapshot()
        batch = next_batch(snapshot.trainer, len(X), snapshot.training.batch_size)
        update = next_update(
            snapshot.net, snapshot.training, snapshot.trainer.optimizer, X[batch], y[batch]
        )
        before = session.net.params.copy()
        session.step(1)
        after = snapshot.net.copy()
        after.params[...] = session.net.params
        for layer in range(session.net.depth):
            W_before = snapshot.net.weights[layer]
            np.testing.assert_allclose(
                W_before + update.step_W[layer], after.weights[layer], rtol=0, atol=1e-14
            )
            np.testing.assert_allclose(
                snapshot.net.biases[layer] + update.step_b[layer],
                after.biases[layer],
                rtol=0,
                atol=1e-14,
            )
        assert not np.array_equal(before, session.net.params)


def test_the_update_separates_the_l2_term_and_follows_the_lecture():
    training = TrainingConfig("sgd", 0.5, l2=0.1)
    net = MLP([2, 3, 1], "tanh", seed=0)
    X, y = sample_data(2, m=10)
    state = training.build_optimizer().state()
    update = next_update(net, training, state, X, y)
    _, dW, db = net.gradients(X, y)  # without L2
    for layer in range(net.depth):
        np.testing.assert_allclose(update.dW[layer], dW[layer], rtol=1e-12)
        np.testing.assert_allclose(update.l2_dW[layer], 0.1 * net.weights[layer])
        # W := W − α (∂J/∂W + λW), b := b − α ∂J/∂b
        expected = -0.5 * (dW[layer] + 0.1 * net.weights[layer])
        np.testing.assert_allclose(update.step_W[layer], expected, rtol=1e-10, atol=1e-15)
        np.testing.assert_allclose(update.step_b[layer], -0.5 * db[layer], rtol=1e-10)
    assert update.loss == pytest.approx(net.loss(X, y, 0.1))
    assert update.batch_size == 10
