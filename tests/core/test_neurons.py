"""Neuron maps: each hidden neuron's activation over the plane, checked against MLP.forward."""

import numpy as np
import pytest

from mlpviz.core import MLP
from mlpviz.core.neurons import (
    activation_colors,
    activation_level,
    color_limit,
    hidden_activations,
    neuron_activation,
    neuron_map,
    neuron_maps,
)
from mlpviz.core.regions import grid_for_view

NEGATIVE = np.array([0.0, 0.0, 1.0])
POSITIVE = np.array([1.0, 0.0, 0.0])


@pytest.fixture
def net():
    return MLP([2, 5, 3, 4, 3], ["tanh", "relu", "sigmoid"], seed=4)


def test_hidden_activations_are_those_of_the_forward_pass(net):
    X = np.random.default_rng(0).normal(size=(40, 2))
    expected = net.forward(X).a[:-1]
    got = hidden_activations(net, X)
    assert len(got) == 3
    for a, b in zip(got, expected):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)


def test_hidden_activations_stop_at_the_requested_depth(net):
    X = np.ones((3, 2))
    assert [a.shape for a in hidden_activations(net, X, 2)] == [(3, 5), (3, 3)]
    with pytest.raises(ValueError):
        hidden_activations(net, X, 4)


def test_a_neuron_is_numbered_as_in_the_lecture(net):
    X = np.random.default_rng(1).normal(size=(10, 2))
    forward = net.forward(X)
    np.testing.assert_allclose(neuron_activation(net, 2, 3, X), forward.a[1][:, 2])
    np.testing.assert_allclose(neuron_activation(net, 1, 1, X), forward.a[0][:, 0])
    for layer, j in ((0, 1), (4, 1), (1, 6), (2, 0)):
        with pytest.raises(ValueError):
            neuron_activation(net, layer, j, X)


def test_a_first_layer_map_is_g_of_its_own_line(net):
    """Layer 1: a_j = g(w_j1 x1 + w_j2 x2 + b_j), row 0 at the bottom, column 0 on the left."""
    values = neuron_map(net, 1, 2, (-2.0, 2.0), (-1.0, 3.0), 8)
    xs = -2.0 + 0.5 * (np.arange(8) + 0.5)
    ys = -1.0 + 0.5 * (np.arange(8) + 0.5)
    w, b = net.weights[0][1], net.biases[0][1]
    expected = np.tanh(w[0] * xs[None, :] + w[1] * ys[:, None] + b)
    np.testing.assert_allclose(values, expected, rtol=1e-12)


def test_all_maps_in_one_pass_equal_each_neuron_map(net):
    maps = neuron_maps(net, (-3.0, 1.0), (0.0, 2.0), cells=6)
    assert [m.shape for m in maps.maps] == [(5, 6, 6), (3, 6, 6), (4, 6, 6)]
    for layer, layer_maps in enumerate(maps.maps, start=1):
        for j, values in enumerate(layer_maps, start=1):
            expected = neuron_map(net, layer, j, (-3.0, 1.0), (0.0, 2.0), 6)
            np.testing.assert_allclose(values, expected, rtol=1e-12, atol=1e-15)
    grid = grid_for_view((-3.0, 1.0), (0.0, 2.0), 6)
    np.testing.assert_allclose(
        maps.maps[2].reshape(4, -1).T, net.forward(grid).a[2], rtol=1e-12, atol=1e-15
    )
    assert maps.levels == (0.0, 0.0, 0.5)
    assert maps.limits[0] == 1.0 and maps.limits[2] == 0.5


def test_unbounded_layers_share_a_nice_limit_from_the_largest_activation():
    values = np.array([[0.0, 1.2], [0.3, np.nan]])
    assert color_limit(values, "relu") == 1.5
    assert color_limit(np.zeros(4), "relu") == 1.0  # a dead layer
    assert color_limit(values, "tanh") == 1.0
    assert activation_level("sigmoid") == 0.5 and activation_level("leaky_relu") == 0.0


def test_colors_run_from_negative_through_white_to_positive():
    values = np.array([-2.0, -1.0, 0.0, 0.5, 1.0, np.nan])
    rgb = activation_colors(values, 0.0, 1.0, NEGATIVE, POSITIVE).astype(int)
    assert rgb[2].tolist() == [255, 255, 255]
    assert rgb[5].tolist() == [255, 255, 255]  # not finite: no opinion
    assert rgb[0].tolist() == rgb[1].tolist()  # clipped at the limit
    assert rgb[1][2] == 255 and rgb[1][0] < 100  # strong blue
    assert rgb[4][0] == 255 and rgb[4][2] < 100  # strong red
    assert rgb[4][2] < rgb[3][2] < 255  # half-way is paler
