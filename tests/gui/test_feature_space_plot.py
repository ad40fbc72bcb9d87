"""featureSpacePlot: the last hidden layer's feature space, live and from the timeline."""

import itertools

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QDockWidget, QLabel, QPushButton, QSpinBox

from mlpviz.core.config import HiddenLayer, NetworkConfig, TrainingConfig
from mlpviz.core.datasets import make_preset
from mlpviz.core.frame import Frame
from mlpviz.core.session import Session
from mlpviz.gui.feature_space_plot import (
    MAX_DRAWN_POINTS,
    FeatureSpacePlot,
    FeatureSpaceView,
    drawn_samples,
)

from .conftest import data_to_pixel, save_screenshot, shown
from .test_timeline import TIMEOUT_MS, find, play_until, scrub_to


@pytest.fixture(scope="module")
def xor():
    return make_preset("xor", n=120, noise=0.1, seed=0)


def frame_of(data, hidden, iterations=30, selection=None) -> Frame:
    network = NetworkConfig(tuple(HiddenLayer(n, "tanh") for n in hidden), seed=2)
    run = Session(data, network, TrainingConfig("sgd", 0.2), test_ratio=0.25)
    run.step(iterations)
    return Frame(run.snapshot(), run.dataset, run.test_mask, selection=selection)


def test_two_neurons_scatter_their_hidden_features_with_test_points_hollow(qtbot, xor):
    plot = shown(qtbot, FeatureSpacePlot(), 500, 450)
    frame = frame_of(xor, [4, 2])
    plot.show_frame(frame)
    positions, indices = plot.scatter_points()
    np.testing.assert_array_equal(indices, np.arange(len(xor)))
    np.testing.assert_array_equal(positions, frame.snapshot.net.hidden_features(xor.X))
    hollow = [item for item in plot.listDataItems() if isinstance(item, pg.ScatterPlotItem)]
    test_indices = np.concatenate(
        [item.data["data"] for item in hollow if item.opts["brush"].color().red() == 255]
    )
    np.testing.assert_array_equal(np.sort(test_indices), np.flatnonzero(frame.test_mask))
    axis = plot.getPlotItem().getAxis("bottom")
    assert axis.labelText == "a₁" and plot.getPlotItem().getAxis("left").labelText == "a₂"


def test_clicking_a_point_emits_its_index_and_the_selection_is_ringed(qtbot, xor):
    plot = shown(qtbot, FeatureSpacePlot(), 500, 450)
    plot.show_frame(frame_of(xor, [4, 2], selection=17))
    ring = plot._ring.getData()
    np.testing.assert_array_equal(np.column_stack(ring)[0], plot.space.points[17])
    x, y = plot.space.points[42]
    with qtbot.waitSignal(plot.sample_clicked, timeout=TIMEOUT_MS) as clicked:
        qtbot.mouseClick(plot.viewport(), Qt.LeftButton, pos=data_to_pixel(plot, x, y))
    assert clicked.args == [42] or np.allclose(plot.space.points[clicked.args[0]], (x, y))


def test_two_chosen_neurons_replace_the_pca_plane(qtbot, xor):
    view = shown(qtbot, FeatureSpaceView(), 500, 500)
    frame = frame_of(xor, [5, 4])
    view.show_frame(frame)
    note = find(view, QLabel, "featureSpaceNote").text()
    assert view.plot.space.kind == "pca" and "PCA plane through the data's mean" in note
    combo = find(view, QComboBox, "featureSpaceAxes")
    combo.setCurrentIndex(combo.findData("neurons"))
    find(view, QSpinBox, "featureSpaceNeuronY").setValue(3)
    features = frame.snapshot.net.hidden_features(xor.X)
    np.testing.assert_array_equal(view.plot.scatter_points()[0], features[:, [0, 2]])
    assert view.plot.getPlotItem().getAxis("left").labelText == "a₃"


# --- in the window ------------------------------------------------------------------------------
def show_the_dock(window) -> FeatureSpacePlot:
    find(window, QDockWidget, "featureSpaceDock").raise_()
    plot = window.findChild(pg.PlotWidget, "featureSpacePlot")
    assert isinstance(plot, FeatureSpacePlot)
    return plot


def use_network(qtbot, window, *sizes):
    """The hidden layers ``sizes`` (tanh), as the network editor sets them."""
    layers = tuple(HiddenLayer(size, "tanh") for size in sizes)
    window.state.set_network_config(NetworkConfig(layers, seed=1))
    qtbot.waitUntil(
        lambda: window.frame.snapshot.net.layer_sizes[1:-1] == sizes, timeout=TIMEOUT_MS
    )


def use_preset(qtbot, window, name):
    combo = find(window, QComboBox, "presetCombo")
    combo.setCurrentIndex(combo.findData(name))
    run = window.last_snapshot.run
    qtbot.mouseClick(find(window, QPushButton, "generateButton"), Qt.LeftButton)
    qtbot.waitUntil(lambda: window.last_snapshot.run > run, timeout=TIMEOUT_MS)


def test_the_window_draws_the_frames_feature_space(qtbot, window):
    plot = show_the_dock(window)
    use_preset(qtbot, window, "xor")
    use_network(qtbot, window, 2)
    play_until(qtbot, window, 80)
    qtbot.waitUntil(lambda: plot.frame is window.frame, timeout=TIMEOUT_MS)
    net = window.frame.snapshot.net
    np.testing.assert_array_equal(plot.scatter_points()[0], net.hidden_features(window.dataset.X))
    save_screenshot(window, "feature-space-xor")


def test_scrubbing_shows_the_live_picture_and_the_pca_basis_never_flips(qtbot, window):
    plot = show_the_dock(window)
    use_preset(qtbot, window, "spiral")
    use_network(qtbot, window, 8, 6)
    bases = []
    window._frames.frame_shown.connect(lambda frame: bases.append(frame.snapshot.feature_axes))
    play_until(qtbot, window, 120)
    qtbot.wait(50)
    live_picture = plot.grab().toImage()
    live_points = plot.space.points.copy()
    play_until(qtbot, window, 260)
    for index in (120, 40, 41, 150, 119, 120):  # back and forth
        scrub_to(qtbot, window, index)
        assert plot.frame is window.frame
    qtbot.wait(50)
    np.testing.assert_array_equal(plot.space.points, live_points)
    assert plot.grab().toImage() == live_picture
    assert len(bases) > 8
    for before, after in itertools.pairwise(bases):
        assert (np.diag(before.basis.T @ after.basis) > 0).all()  # no flip, no swap
    axes = window.frame.snapshot.feature_axes
    features = window.frame.snapshot.net.hidden_features(window.frame.dataset.X)
    np.testing.assert_allclose(plot.space.points, (features - axes.centre) @ axes.basis)


def test_a_huge_dataset_draws_an_evenly_spread_share_and_says_so(qtbot):
    points = np.random.default_rng(0).normal(size=(50_001, 2))
    points[7] = np.nan
    drawn = drawn_samples(points)
    assert len(drawn) <= MAX_DRAWN_POINTS and 7 not in drawn
    assert set(np.diff(drawn)) <= {3, 4}  # evenly spaced, the NaN row skipped
    data = make_preset("gaussian", n=30_000, noise=0.3, seed=0)
    view = shown(qtbot, FeatureSpaceView(), 500, 500)
    view.show_frame(frame_of(data, [3, 2], iterations=1))
    assert "15,000 of 30,000 samples drawn" in find(view, QLabel, "featureSpaceNote").text()
