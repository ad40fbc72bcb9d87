"""The feature space of the last hidden layer: points, decision, and the axes a run remembers."""

import itertools

import numpy as np
import pytest

from mlpviz.core.config import HiddenLayer, NetworkConfig, TrainingConfig
from mlpviz.core.datasets import Dataset, make_preset
from mlpviz.core.digits import ImageDataset
from mlpviz.core.feature_space import (
    INPUT,
    JITTER,
    NEURONS,
    ONE,
    PCA,
    REFERENCE_SAMPLES,
    TWO,
    class_jitter,
    decision_line,
    decision_probabilities,
    derive_axes,
    feature_space,
    neuron_range,
    principal_plane,
    stratified_sample,
)
from mlpviz.core.network import MLP
from mlpviz.core.session import Session


@pytest.fixture(scope="module")
def spiral():
    return make_preset("spiral", n=250, noise=0.1, seed=0)


def trained_session(data, hidden, iterations, lr=0.1, **options) -> Session:
    network = NetworkConfig(tuple(HiddenLayer(n, act) for n, act in hidden), seed=1)
    run = Session(data, network, TrainingConfig("sgd", lr), **options)
    run.step(iterations)
    return run


def snapshot_space(run: Session, index: int, neurons=None):
    snapshot, data = run.checkpoint_snapshot(index)
    return feature_space(snapshot.net, data.dataset, snapshot.feature_axes, neurons)


# --- the points --------------------------------------------------------------------------------
def test_two_neurons_show_the_raw_activations_and_the_output_layers_line(spiral):
    run = trained_session(spiral, [(8, "tanh"), (2, "tanh")], 200)
    space = feature_space(run.net, spiral, run.timeline[-1].feature_axes)
    assert space.kind == TWO and (space.x_label, space.y_label) == ("a₁", "a₂")
    np.testing.assert_array_equal(space.points, run.net.hidden_features(spiral.X))
    assert space.points.dtype == np.float64
    assert space.x_range == space.y_range == pytest.approx((-1.1, 1.1))  # tanh's fixed range
    # The output layer in the view's coordinates is the network's own output layer.
    np.testing.assert_allclose(
        space.points @ space.weights.T + space.bias, run.net.logits(spiral.X), atol=1e-12
    )
    line = decision_line(space)
    np.testing.assert_allclose(line @ space.weights[0] + space.bias[0], 0.0, atol=1e-12)


def test_the_pca_plane_goes_through_the_datas_mean_and_slices_the_decision(spiral):
    run = trained_session(spiral, [(8, "tanh"), (6, "relu")], 100)
    axes = run.timeline[-1].feature_axes
    space = feature_space(run.net, spiral, axes)
    assert space.kind == PCA and "PCA plane through the data's mean" in space.note
    features = run.net.hidden_features(spiral.X)
    np.testing.assert_allclose(axes.centre, features.mean(axis=0), atol=1e-12)
    np.testing.assert_allclose(axes.basis.T @ axes.basis, np.eye(2), atol=1e-12)
    np.testing.assert_allclose(space.points, (features - axes.centre) @ axes.basis, atol=1e-12)
    # A point of the plane, v, is the activation centre + B v: the logits there.
    view = np.array([[0.3, -0.2], [1.0, 0.5]])
    on_plane = axes.centre + view @ axes.basis.T
    expected = on_plane @ run.net.weights[-1].T + run.net.biases[-1]
    np.testing.assert_allclose(view @ space.weights.T + space.bias, expected, atol=1e-12)


def test_two_chosen_neurons_hold_the_others_at_their_mean(spiral):
    run = trained_session(spiral, [(8, "tanh"), (5, "sigmoid")], 50)
    axes = run.timeline[-1].feature_axes
    space = feature_space(run.net, spiral, axes, neurons=(3, 1))
    features = run.net.hidden_features(spiral.X)
    assert space.kind == NEURONS and (space.x_label, space.y_label) == ("a₄", "a₂")
    np.testing.assert_allclose(space.points, features[:, [3, 1]], atol=1e-15)
    assert space.x_range == pytest.approx((-0.05, 1.05))  # sigmoid's fixed range
    a = axes.centre.copy()
    a[[3, 1]] = (0.2, 0.7)
    expected = a @ run.net.weights[-1].T + run.net.biases[-1]
    np.testing.assert_allclose(space.weights @ (0.2, 0.7) + space.bias, expected, atol=1e-12)


def test_one_neuron_is_shown_against_a_fixed_jittered_class_axis(spiral):
    net = MLP([2, 4, 1, 3], "relu", seed=2)
    data = Dataset(spiral.X, spiral.y + (np.arange(len(spiral)) % 3 == 0))
    space = feature_space(net, data)
    assert space.kind == ONE and space.y_range == (-0.5, 2.5)
    np.testing.assert_array_equal(space.points[:, 0], net.hidden_features(data.X)[:, 0])
    offsets = space.points[:, 1] - data.y
    np.testing.assert_allclose(offsets, class_jitter(len(data)), atol=1e-12)  # every frame
    assert np.abs(offsets).max() <= JITTER + 1e-12 and np.std(offsets) > JITTER / 3
    assert space.weights[:, 1].tolist() == [0.0, 0.0, 0.0]  # the class axis decides nothing


def test_without_hidden_layer_the_view_is_the_input_plane_with_the_neurons_line(spiral):
    net = MLP([2, 1], seed=0)
    space = feature_space(net, spiral)
    assert space.kind == INPUT and "No hidden layer" in space.note
    np.testing.assert_array_equal(space.points, spiral.X)
    np.testing.assert_array_equal(space.weights, net.weights[0])
    line = decision_line(space)
    np.testing.assert_allclose(line @ net.weights[0][0] + net.biases[0][0], 0.0, atol=1e-12)
    assert len(space.grid_lines) == 0


def test_the_input_grid_is_mapped_through_the_hidden_layers(spiral):
    net = MLP([2, 3, 2, 1], "tanh", seed=4)
    space = feature_space(net, spiral)
    lines = space.grid_lines
    gaps = np.isnan(lines).all(axis=1)
    assert gaps.sum() == 30 and not np.isnan(lines[~gaps]).any()
    low, high = spiral.X.min(axis=0), spiral.X.max(axis=0)
    corner = net.hidden_features(low[None] - 0.05 * (high - low) / 2)
    np.testing.assert_allclose(lines[0], corner[0], atol=1e-12)


def test_softmax_regions_in_the_feature_space_follow_the_output_layer():
    data = make_preset("gaussian", n=150, noise=0.2, seed=1, n_classes=3)
    net = MLP([2, 5, 2, 3], "relu", seed=3)
    space = feature_space(net, data)
    assert decision_line(space) is None
    xs, ys = np.array([0.1, 0.9]), np.array([0.2])
    probabilities = decision_probabilities(space, xs, ys)
    logits = np.array([[0.1, 0.2], [0.9, 0.2]]) @ net.weights[-1].T + net.biases[-1]
    expected = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(probabilities[0], expected, atol=1e-12)


# --- what a run remembers ---------------------------------------------------------------------
def test_the_pca_basis_never_flips_between_consecutive_checkpoints(spiral):
    run = trained_session(spiral, [(8, "tanh"), (6, "tanh")], 400, lr=0.05)
    bases = [run.timeline[i].feature_axes.basis for i in range(len(run.timeline))]
    for before, after in itertools.pairwise(bases):
        agreement = np.diag(before.T @ after)
        assert agreement.min() > 0.98  # each axis stays where it was: no flip, no swap
    # Plain eigenvectors of the same states do flip: the alignment is what keeps them.
    naive_flips = 0
    for index in range(1, len(run.timeline)):
        before, after = (naive_plane(run, spiral, i) for i in (index - 1, index))
        naive_flips += bool((np.diag(before.T @ after) < 0).any())
    assert naive_flips > 0


def naive_plane(run: Session, data: Dataset, index: int) -> np.ndarray:
    snapshot, _ = run.checkpoint_snapshot(index)
    features = snapshot.net.hidden_features(data.X)
    features -= features.mean(axis=0)
    return np.linalg.eigh(features.T @ features)[1][:, [-1, -2]]


def test_the_aligned_basis_spans_the_pca_plane_whatever_the_previous_orientation():
    rng = np.random.default_rng(0)
    features = rng.normal(size=(300, 5)) * [3.0, 2.9, 0.5, 0.2, 0.1]  # PC1 ≈ PC2 in variance
    _, fresh = principal_plane(features.T, None)
    for turn in (np.pi / 2, 2.0, -0.3):
        c, s = np.cos(turn), np.sin(turn)
        for flip in (1.0, -1.0):
            previous = fresh @ np.array([[c, -s * flip], [s, c * flip]])
            _, aligned = principal_plane(features.T, previous)
            np.testing.assert_allclose(aligned, previous, atol=1e-12)  # the same plane: kept


def test_relu_ranges_only_grow_within_a_run_and_start_again_with_a_new_run(spiral):
    run = trained_session(spiral, [(8, "tanh"), (3, "relu")], 300, lr=0.3)
    axes = [run.timeline[i].feature_axes for i in range(len(run.timeline))]
    for before, after in itertools.pairwise(axes):
        assert (after.high >= before.high).all() and (after.low <= before.low).all()
        assert (after.extent >= before.extent).all()
        previous_range = neuron_range("relu", before.low[0], before.high[0])
        range_ = neuron_range("relu", after.low[0], after.high[0])
        assert range_[0] <= previous_range[0] and range_[1] >= previous_range[1]
    grown = axes[-1]
    run.reset()
    fresh = run.timeline[0].feature_axes
    assert len(run.timeline) == 1 and (fresh.high < grown.high).any()
    expected = derive_axes(run.net, spiral.X, None)
    np.testing.assert_array_equal(fresh.high, expected.high)


def test_a_scrubbed_checkpoint_is_the_picture_live_at_that_iteration(spiral):
    run = trained_session(spiral, [(8, "tanh"), (6, "relu")], 120)
    live = run.snapshot()
    live_space = feature_space(live.net, spiral, live.feature_axes)
    run.step(200)
    past = snapshot_space(run, run.timeline.index_of(120))
    for field in ("points", "weights", "bias", "grid_lines"):
        np.testing.assert_array_equal(getattr(past, field), getattr(live_space, field))
    assert (past.x_range, past.y_range) == (live_space.x_range, live_space.y_range)


def test_recording_reads_a_bounded_sample_of_a_large_dataset():
    X = np.random.default_rng(1).normal(size=(3 * REFERENCE_SAMPLES + 7, 2))
    data = Dataset(X, (X[:, 0] > 0).astype(np.int64))
    net = MLP([2, 4, 4, 1], "relu", seed=0)
    axes = derive_axes(net, data.X, None)
    features = net.hidden_features(X[::4])
    np.testing.assert_allclose(axes.high, features.max(axis=0), atol=1e-12)


def test_a_diverged_network_keeps_the_previous_axes(spiral):
    net = MLP([2, 4, 3, 1], "relu", seed=0)
    previous = derive_axes(net, spiral.X, None)
    net.params[:] = np.nan
    axes = derive_axes(net, spiral.X, previous)
    np.testing.assert_array_equal(axes.high, previous.high)
    np.testing.assert_array_equal(axes.basis, previous.basis)
    space = feature_space(net, spiral, axes)
    assert np.isnan(space.points).all() and decision_line(space) is None


# --- images (the digits workspace) ---------------------------------------------------------------
def images(m: int, seed: int = 0) -> ImageDataset:
    """m random 8×8 "images" with unbalanced labels, the last fifth for testing."""
    rng = np.random.default_rng(seed)
    y = np.minimum(rng.geometric(0.3, m) - 1, 9)
    return ImageDataset(rng.random((m, 64), dtype=np.float32), y, np.arange(m) >= 0.8 * m)


def test_a_stratified_sample_keeps_each_digits_share_and_is_the_same_every_time():
    y = images(20_000).y
    sample = stratified_sample(y, 3000)
    assert len(sample) == 3000 and len(np.unique(sample)) == 3000
    assert np.all(np.diff(sample) > 0)
    expected = np.bincount(y, minlength=10) * 3000 / len(y)
    assert np.abs(np.bincount(y[sample], minlength=10) - expected).max() < 1
    np.testing.assert_array_equal(stratified_sample(y.copy(), 3000), sample)
    assert not np.array_equal(stratified_sample(y, 3000, seed=1), sample)
    np.testing.assert_array_equal(stratified_sample(y[:500], 3000), np.arange(500))


def test_images_are_drawn_on_the_pca_plane_of_their_sample_without_input_grid():
    data = images(400)
    net = MLP([64, 12, 10], "relu", seed=0)
    axes = derive_axes(net, data.X, None)
    sample = stratified_sample(data.y, 100)
    space = feature_space(net, data, axes, samples=sample)
    assert space.kind == PCA and len(space.grid_lines) == 0
    np.testing.assert_array_equal(space.samples, sample)
    expected = (net.hidden_features(data.X[sample]) - axes.centre) @ axes.basis
    np.testing.assert_allclose(space.points, expected, atol=1e-5)
    assert space.weights.shape == (10, 2)
    neurons = feature_space(net, data, axes, neurons=(3, 7), samples=sample)
    assert neurons.kind == NEURONS and len(neurons.grid_lines) == 0


def test_images_without_hidden_layer_are_the_pixels_pca_plane_and_the_note_says_so():
    data = images(300)
    net = MLP([64, 10], seed=0)
    space = feature_space(net, data, derive_axes(net, data.X, None), neurons=(0, 1))
    assert space.kind == PCA and "No hidden layer" in space.note and "64 inputs" in space.note
    assert len(space.points) == 300 and len(space.grid_lines) == 0
