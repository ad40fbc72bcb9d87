"""The MLP: shapes, initialisation, stable losses and exact backprop (finite differences)."""

import itertools

import numpy as np
import pytest

from mlpviz.core import MLP, ConfigError, network
from mlpviz.core.activations import ACTIVATIONS
from tests.core.long_steps import StopAt


def central_difference(net, X, y, l2, eps=1e-6):
    """∂J/∂θ for every weight and bias θ by central differences, as lists like (dW, db)."""

    def derivative(array, index):
        saved = array[index]
        array[index] = saved + eps
        plus = net.loss(X, y, l2)
        array[index] = saved - eps
        minus = net.loss(X, y, l2)
        array[index] = saved
        return (plus - minus) / (2 * eps)

    return [
        [np.array([derivative(p, i) for i in np.ndindex(p.shape)]).reshape(p.shape) for p in ps]
        for ps in (net.weights, net.biases)
    ]


def relative_error(a, b):
    return np.max(np.abs(a - b)) / max(np.max(np.abs(a)), np.max(np.abs(b)), 1e-12)


def data(n_classes, m=7, n_in=2, seed=3):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(m, n_in))
    y = np.arange(m) % n_classes
    return X, y


HIDDEN_SHAPES = {"none": [], "one": [5], "three": [4, 3, 5]}


@pytest.mark.parametrize(
    ("activation", "hidden", "n_classes", "l2"),
    list(itertools.product(ACTIVATIONS, HIDDEN_SHAPES, [2, 3], [0.0, 0.3])),
)
def test_backprop_matches_central_differences(activation, hidden, n_classes, l2):
    n_out = 1 if n_classes == 2 else n_classes
    net = MLP([2, *HIDDEN_SHAPES[hidden], n_out], activation, seed=1)
    # Biases away from zero so that ReLU kinks are not hit by the ±eps probes.
    rng = np.random.default_rng(2)
    for b in net.biases:
        b[...] = rng.normal(0, 0.5, b.shape)
    X, y = data(n_classes)
    loss, dW, db = net.gradients(X, y, l2)
    numeric_dW, numeric_db = central_difference(net, X, y, l2)
    analytic = np.concatenate([g.ravel() for g in dW + db])
    numeric = np.concatenate([g.ravel() for g in numeric_dW + numeric_db])
    assert loss == pytest.approx(net.loss(X, y, l2), rel=1e-12)
    assert relative_error(analytic, numeric) < 1e-6


def test_gradient_shapes_follow_the_weights():
    net = MLP([2, 8, 8, 3], "relu", seed=0)
    _, dW, db = net.gradients(*data(3, m=10))
    assert [g.shape for g in dW] == [(8, 2), (8, 8), (3, 8)]
    assert [g.shape for g in db] == [(8,), (8,), (3,)]
    assert [W.shape for W in net.weights] == [(8, 2), (8, 8), (3, 8)]


def test_single_neuron_gradients_are_the_lecture_formulas():
    """dJ/db = mean(ŷ − y), dJ/dw = mean((ŷ − y) x) on a small hand-made case."""
    net = MLP([2, 1], seed=0)
    net.weights[0][...] = [[0.5, -1.0]]
    net.biases[0][...] = [0.25]
    X = np.array([[1.0, 2.0], [-1.0, 0.5], [3.0, -2.0]])
    y = np.array([1, 0, 1])
    z = X @ np.array([0.5, -1.0]) + 0.25
    y_hat = 1 / (1 + np.exp(-z))
    loss, dW, db = net.gradients(X, y)
    expected_loss = -np.mean(y * np.log(y_hat) + (1 - y) * np.log(1 - y_hat))
    assert loss == pytest.approx(expected_loss, rel=1e-13)
    assert db[0][0] == pytest.approx(np.mean(y_hat - y), rel=1e-13)
    np.testing.assert_allclose(dW[0][0], np.mean((y_hat - y)[:, None] * X, axis=0), rtol=1e-13)


def test_forward_returns_every_layer_with_samples_as_rows():
    net = MLP([2, 4, 3, 1], ["tanh", "relu"], seed=0)
    X = np.random.default_rng(0).normal(size=(6, 2))
    z, a = net.forward(X)
    assert [arr.shape for arr in z] == [(6, 4), (6, 3), (6, 1)]
    assert [arr.shape for arr in a] == [(6, 4), (6, 3), (6, 1)]
    np.testing.assert_allclose(z[0], X @ net.weights[0].T + net.biases[0])
    np.testing.assert_allclose(a[0], np.tanh(z[0]))
    np.testing.assert_allclose(a[1], np.maximum(z[1], 0))
    np.testing.assert_allclose(a[-1], net.predict_proba(X))
    np.testing.assert_allclose(net.hidden_features(X), a[-2])


def test_softmax_probabilities_and_labels():
    net = MLP([2, 5, 4], "tanh", seed=0)
    X = np.random.default_rng(1).normal(size=(9, 2))
    proba = net.predict_proba(X)
    assert proba.shape == (9, 4)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_array_equal(net.predict(X), proba.argmax(axis=1))


def test_binary_predict_thresholds_at_one_half():
    net = MLP([2, 1], seed=0)
    net.weights[0][...] = [[1.0, 0.0]]
    X = np.array([[-2.0, 0.0], [2.0, 0.0]])
    np.testing.assert_array_equal(net.predict(X), [0, 1])
    assert net.predict_proba(X).shape == (2, 1)


@pytest.mark.parametrize("n_out", [1, 3])
def test_confident_predictions_give_zero_loss_not_nan(n_out):
    net = MLP([2, n_out], seed=0)
    net.weights[0][...] = 0.0
    net.weights[0][0, 0] = 1e4  # logits of ±1e4: exp overflows if computed naively
    X = np.array([[1.0, 0.0], [-1.0, 0.0]])
    y = np.array([1, 0]) if n_out == 1 else np.array([0, 1])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        loss, dW, db = net.gradients(X, y)
    assert np.isfinite(loss)
    assert np.all(np.isfinite(np.concatenate([g.ravel() for g in dW + db])))
    if n_out == 1:
        assert loss == 0.0
    wrong = net.loss(X, 1 - y if n_out == 1 else np.array([1, 0]))
    assert np.isfinite(wrong) and wrong > 1e3


def test_l2_term_regularises_weights_not_biases():
    net = MLP([2, 3, 1], seed=0)
    net.biases[0][...] = 5.0
    X, y = data(2)
    plain = net.loss(X, y)
    expected = plain + 0.5 * 0.1 * sum(np.sum(W**2) for W in net.weights)
    assert net.loss(X, y, l2=0.1) == pytest.approx(expected, rel=1e-13)
    _, _, db_plain = net.gradients(X, y)
    _, _, db_l2 = net.gradients(X, y, l2=0.1)
    np.testing.assert_allclose(db_plain[0], db_l2[0])


def test_same_seed_gives_identical_weights_and_different_seeds_differ():
    a, b, c = (MLP([2, 8, 8, 1], seed=s) for s in (7, 7, 8))
    np.testing.assert_array_equal(a.params, b.params)
    assert not np.array_equal(a.params, c.params)


@pytest.mark.parametrize("init", ["xavier", "he", "uniform"])
def test_initialisations_have_their_scale_and_zero_biases(init):
    net = MLP([2, 64, 64, 1], init=init, seed=0)
    W = net.weights[1]
    bound = {"xavier": np.sqrt(6 / 128), "uniform": 0.5}.get(init)
    if bound is None:
        assert W.std() == pytest.approx(np.sqrt(2 / 64), rel=0.1)
    else:
        assert np.abs(W).max() <= bound and np.abs(W).max() > 0.9 * bound
    assert all(np.all(b == 0) for b in net.biases)


def test_weights_are_writable_views_of_the_flat_parameters():
    net = MLP([2, 3, 1], seed=0)
    net.weights[0][1, 0] = 42.0
    assert 42.0 in net.params
    net.weights[1] = np.full((1, 3), 7.0)  # assignment copies into the shared view
    assert np.count_nonzero(net.params == 7.0) == 3
    with pytest.raises(ValueError):
        net.weights[1] = np.zeros((3, 1))


def test_copy_is_independent():
    net = MLP([2, 3, 1], seed=0)
    clone = net.copy()
    net.weights[0][...] = 0.0
    assert np.any(clone.weights[0] != 0.0)
    np.testing.assert_array_equal(clone.weights[1], net.weights[1])


def test_float32_networks_compute_in_float32():
    net = MLP([4, 8, 3], "relu", seed=0, dtype=np.float32)
    X = np.random.default_rng(0).normal(size=(5, 4)).astype(np.float32)
    loss, dW, _ = net.gradients(X, np.array([0, 1, 2, 0, 1]))
    assert net.params.dtype == np.float32 and dW[0].dtype == np.float32
    assert net.predict_proba(X).dtype == np.float32
    assert np.isfinite(loss)


@pytest.mark.parametrize(
    ("sizes", "activations", "message"),
    [
        ([2], "tanh", "at least"),
        ([2, 0, 1], "tanh", "between 1"),
        ([2, 3, 1], "swish", "unknown activation"),
        ([2, 3, 3, 1], ["tanh"], "2 hidden layers need 2"),
    ],
)
def test_bad_architectures_raise_config_errors(sizes, activations, message):
    with pytest.raises(ConfigError, match=message):
        MLP(sizes, activations)


def test_bad_inputs_are_refused():
    net = MLP([2, 1])
    with pytest.raises(ValueError, match="shape"):
        net.predict(np.zeros((3, 3)))
    with pytest.raises(ValueError, match="labels"):
        net.loss(np.zeros((2, 2)), np.array([0, 2]))
    with pytest.raises(ConfigError, match="init"):
        MLP([2, 1], init="zeros")


def test_repr_names_the_architecture():
    assert repr(MLP([2, 4, 3], "relu")) == "MLP([2, 4, 3], hidden=relu, output=softmax, params=27)"


def test_binary_loss_keeps_full_precision_for_large_logits():
    """Σ softplus(z) − Σ y·z would cancel catastrophically; the loss must stay exact."""
    net = MLP([2, 1], seed=0)
    net.weights[0][...] = [[1.0, 0.0]]
    X = np.array([[1e8, 0.0], [30.0, 0.0], [-2.0, 0.0]])
    y = np.array([1, 1, 0])
    expected = np.mean([0.0, np.log1p(np.exp(-30.0)), np.log1p(np.exp(-2.0))])
    assert net.loss(X, y) == pytest.approx(expected, rel=1e-12)


def test_all_weights_lists_every_weight_and_no_bias():
    net = MLP([2, 3, 2], seed=0)
    for b in net.biases:
        b[...] = 100.0
    weights = net.all_weights()
    assert weights.shape == (2 * 3 + 3 * 2,)
    assert not np.any(weights == 100.0)
    np.testing.assert_array_equal(
        np.sort(weights), np.sort(np.r_[net.weights[0].ravel(), net.weights[1].ravel()])
    )


def test_astype_copies_into_another_precision():
    net = MLP([2, 5, 3], "tanh", seed=0)
    single = net.astype(np.float32)
    assert single.params.dtype == np.float32 and net.params.dtype == np.float64
    X = np.random.default_rng(0).normal(size=(50, 2))
    np.testing.assert_allclose(single.predict_proba(X), net.predict_proba(X), atol=1e-6)
    single.weights[0][...] = 0.0
    assert np.any(net.weights[0] != 0.0)


def flat(gradients):
    """``dW + db`` lists as one vector."""
    return np.concatenate([g.ravel() for g in gradients])


@pytest.mark.parametrize(("n_classes", "l2"), [(2, 0.0), (3, 0.3)])
@pytest.mark.parametrize("chunk", [7, 25, 49])  # 50 samples: 7×7 + 1, 2×25, 49 + 1
def test_a_gradient_in_chunks_equals_the_one_pass_gradient(monkeypatch, n_classes, l2, chunk):
    net = MLP([2, 6, 5, 1 if n_classes == 2 else n_classes], ["tanh", "relu"], seed=1)
    X, y = data(n_classes, m=50)
    loss, dW, db = net.gradients(X, y, l2)  # 50 ≤ GRADIENT_CHUNK: one pass
    monkeypatch.setattr(network, "GRADIENT_CHUNK", chunk)
    chunked_loss, chunked_dW, chunked_db = net.gradients(X, y, l2)
    one_pass, chunked = flat(dW + db), flat(chunked_dW + chunked_db)
    assert chunked_loss == pytest.approx(loss, rel=1e-12)
    # Components that nearly cancel over the batch are compared to the gradient's scale.
    np.testing.assert_allclose(chunked, one_pass, rtol=1e-12, atol=1e-15 * np.abs(one_pass).max())
    assert not np.array_equal(chunked, one_pass)  # the chunks were really summed


@pytest.mark.parametrize(
    ("activation", "n_classes", "l2"),
    [("tanh", 2, 0.0), ("sigmoid", 3, 0.3), ("relu", 2, 0.3), ("leaky_relu", 4, 0.0)],
)
def test_a_gradient_over_several_chunks_matches_central_differences(
    monkeypatch, activation, n_classes, l2
):
    monkeypatch.setattr(network, "GRADIENT_CHUNK", 16)  # 40 samples: chunks of 16, 16, 8
    net = MLP([2, 5, 4, 1 if n_classes == 2 else n_classes], activation, seed=1)
    rng = np.random.default_rng(2)
    for b in net.biases:  # away from ReLU's kink, as above
        b[...] = rng.normal(0, 0.5, b.shape)
    X, y = data(n_classes, m=40)
    loss, dW, db = net.gradients(X, y, l2)
    assert loss == pytest.approx(net.loss(X, y, l2), rel=1e-12)
    numeric_dW, numeric_db = central_difference(net, X, y, l2)
    assert relative_error(flat(dW + db), flat(numeric_dW + numeric_db)) < 1e-6


def test_a_gradient_in_chunks_asks_before_each_chunk_and_stops_leaving_grad_untouched(
    monkeypatch,
):
    monkeypatch.setattr(network, "GRADIENT_CHUNK", 8)  # 30 samples: 4 chunks
    net = MLP([2, 5, 3], "tanh", seed=0)
    X, y = data(3, m=30)
    inputs, labels = net._with_ones(X), net._labels(y, 30)
    expected, never = np.empty_like(net.params), StopAt()
    expected_loss = net.loss_and_gradient_in_chunks(inputs, labels, 0.1, expected, never)
    assert never.asked == 4
    grad = np.full_like(net.params, 7.0)
    for n in range(1, 5):
        with pytest.raises(network.Interrupted):
            net.loss_and_gradient_in_chunks(inputs, labels, 0.1, grad, StopAt(n))
        assert (grad == 7.0).all()
    assert net.loss_and_gradient_in_chunks(inputs, labels, 0.1, grad) == expected_loss
    np.testing.assert_array_equal(grad, expected)
