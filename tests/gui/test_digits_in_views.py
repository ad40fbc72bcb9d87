"""The 2-D workspace's views drawing the digits workspace's frames: the feature space, the
network diagram and the loss plot, on the 8×8 digits and on MNIST-shaped images."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtWidgets import QComboBox, QLabel, QSpinBox

from mlpviz.core.config import DigitsNetworkConfig, HiddenLayer, TrainingConfig
from mlpviz.core.digits import ImageDataset, timeline_options
from mlpviz.core.feature_space import DRAWN_SAMPLES, stratified_sample
from mlpviz.core.frame import Frame
from mlpviz.core.session import Session
from mlpviz.gui.feature_space_plot import FeatureSpaceView
from mlpviz.gui.style import DIGIT_COLORS

from .conftest import shown


def images(m: int, side: int = 8, seed: int = 0) -> ImageDataset:
    """m images whose digit shows in their pixels (a learnable set), the last fifth for testing."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 10, m)
    prototypes = rng.random((10, side * side), dtype=np.float32)
    X = 0.6 * prototypes[y] + 0.4 * rng.random((m, side * side), dtype=np.float32)
    return ImageDataset(X, y, np.arange(m) >= 0.8 * m)


def session_of(data: ImageDataset, hidden: tuple[int, ...], steps: int) -> Session:
    network = DigitsNetworkConfig(tuple(HiddenLayer(n, "relu") for n in hidden))
    run = Session(data, network, TrainingConfig("adam", 0.01, 32), **timeline_options(data))
    run.step(steps)
    return run


def live(run: Session, selection: int | None = None) -> Frame:
    return Frame(run.snapshot(), run.dataset, run.test_mask, selection=selection)


def checkpoint(run: Session, index: int) -> Frame:
    snapshot, _ = run.checkpoint_snapshot(index)
    return Frame(snapshot, run.dataset, run.test_mask, checkpoint=index)


@pytest.fixture(scope="module")
def digits_run() -> Session:
    """[64, 32, 10] after 60 updates on 5,000 8×8 images: more than the feature space draws."""
    return session_of(images(5000), (32,), 60)


# --- feature space --------------------------------------------------------------------------------
def test_the_feature_space_draws_a_fixed_sample_of_images_on_the_pca_plane(qtbot, digits_run):
    view = shown(qtbot, FeatureSpaceView(), 600, 400)
    frame = live(digits_run)
    view.show_frame(frame)
    positions, indices = view.plot.scatter_points()
    sample = stratified_sample(frame.dataset.y)
    assert len(sample) == DRAWN_SAMPLES
    np.testing.assert_array_equal(indices, sample)
    axes = frame.snapshot.feature_axes
    features = frame.snapshot.net.hidden_features(frame.dataset.X[sample]).astype(np.float64)
    np.testing.assert_allclose(positions, (features - axes.centre) @ axes.basis, atol=1e-4)
    assert "3,000 of 5,000 samples drawn" in view.findChild(QLabel, "featureSpaceNote").text()
    assert len(view.plot.space.grid_lines) == 0  # no bent input grid: the input is no plane
    # an old checkpoint: the same images, other places
    view.show_frame(checkpoint(digits_run, 3))
    old_positions, old_indices = view.plot.scatter_points()
    np.testing.assert_array_equal(old_indices, sample)
    assert not np.allclose(old_positions, positions)


def test_digits_are_coloured_by_digit_with_a_legend(qtbot, digits_run):
    view = shown(qtbot, FeatureSpaceView(), 600, 400)
    view.show_frame(live(digits_run))
    legend = view.plot._legend
    assert legend.isVisible() and [label.text for _, label in legend.items] == [
        str(k) for k in range(10)
    ]
    scatters = [i for i in view.plot.listDataItems() if isinstance(i, pg.ScatterPlotItem)]
    fills = {item.opts["brush"].color().name() for item in scatters}
    assert {c.lower() for c in DIGIT_COLORS} <= fills
    y = digits_run.dataset.y
    for (k, _), item in view.plot._scatters.items():
        assert np.all(y[np.asarray(item.data["data"], dtype=np.int64)] == k)


def test_the_selected_image_is_drawn_and_ringed_even_outside_the_sample(qtbot, digits_run):
    view = shown(qtbot, FeatureSpaceView(), 600, 400)
    outside = int(np.setdiff1d(np.arange(5000), stratified_sample(digits_run.dataset.y))[0])
    view.show_frame(live(digits_run, selection=outside))
    _, indices = view.plot.scatter_points()
    assert outside in indices
    ring = np.column_stack(view.plot._ring.getData())
    row = int(np.flatnonzero(view.plot.space.samples == outside)[0])
    np.testing.assert_array_equal(ring[0], view.plot.space.points[row])


def test_two_neurons_of_wide_layers_and_back_to_a_narrower_one(qtbot, digits_run):
    wide = session_of(images(600, seed=1), (512,), 3)
    view = shown(qtbot, FeatureSpaceView(), 600, 400)
    view.show_frame(live(wide))
    view.findChild(QComboBox, "featureSpaceAxes").setCurrentIndex(1)
    first = view.findChild(QSpinBox, "featureSpaceNeuronX")
    second = view.findChild(QSpinBox, "featureSpaceNeuronY")
    assert first.maximum() == second.maximum() == 512
    second.setValue(400)
    assert view.plot.space.kind == "neurons" and view.plot.space.x_label == "a₁"
    assert view.plot.space.y_label == "a₄₀₀"
    view.show_frame(live(digits_run))  # 32 neurons: the spin is clamped, the plot follows
    assert second.value() == 32 and view.plot.space.y_label == "a₃₂"


def test_no_hidden_layer_says_so(qtbot):
    run = session_of(images(300, seed=2), (), 5)
    view = shown(qtbot, FeatureSpaceView(), 600, 400)
    view.show_frame(live(run))
    assert "No hidden layer" in view.findChild(QLabel, "featureSpaceNote").text()
    assert not view.findChild(QComboBox, "featureSpaceAxes").isVisible()
