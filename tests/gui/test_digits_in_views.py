"""The 2-D workspace's views drawing the digits workspace's frames: the feature space, the
network diagram and the loss plot, on the 8×8 digits and on MNIST-shaped images."""

from __future__ import annotations

import re

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtGui import QHelpEvent
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QGraphicsSimpleTextItem,
    QLabel,
    QSpinBox,
    QToolTip,
)

from mlpviz.core.config import DigitsNetworkConfig, HiddenLayer, NetworkConfig, TrainingConfig
from mlpviz.core.datasets import make_preset
from mlpviz.core.digits import ImageDataset, timeline_options
from mlpviz.core.feature_space import DRAWN_SAMPLES, stratified_sample
from mlpviz.core.frame import Frame
from mlpviz.core.network import MLP
from mlpviz.core.session import Session
from mlpviz.gui.diagram_parts import LINKS_PER_NEURON
from mlpviz.gui.feature_space_plot import FeatureSpaceView
from mlpviz.gui.image_diagram import DRAWN_NEURONS
from mlpviz.gui.loss_plot import LossPlot
from mlpviz.gui.network_diagram import NetworkDiagram
from mlpviz.gui.style import CLASS_COLORS, DIGIT_COLORS

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


# --- network diagram ------------------------------------------------------------------------------
def tooltip_at(diagram: NetworkDiagram, scene_point: QPointF) -> str:
    """The diagram's tooltip where the pointer rests on ``scene_point``."""
    QToolTip.hideText()
    point = diagram.mapFromScene(scene_point)
    viewport = diagram.viewport()
    event = QHelpEvent(QEvent.ToolTip, point, viewport.mapToGlobal(point))
    QApplication.sendEvent(viewport, event)
    return QToolTip.text()


def test_the_diagram_draws_the_input_as_a_picture_and_every_neuron_of_a_narrow_layer(
    qtbot, digits_run
):
    diagram = shown(qtbot, NetworkDiagram(), 600, 400)
    frame = live(digits_run)
    diagram.show_frame(frame)
    layout = diagram.image_layout
    assert layout is not None and layout.side == 8
    assert diagram.node_count == 64 + 32 + 10
    assert diagram.link_count == (32 + 10) * LINKS_PER_NEURON
    net = frame.snapshot.net
    j, k = layout.links(1)
    for neuron in range(32):  # each neuron's strongest links from all 64 pixels
        strongest = np.argsort(-np.abs(net.weights[0][neuron]))[:LINKS_PER_NEURON]
        assert sorted(k[j == neuron]) == sorted(strongest)
    pixel = tooltip_at(diagram, layout.pixel_centre(8 * 3 + 4))
    assert "pixel (row 4, column 5) of the 8×8 image" in pixel and "Σ|w|" in pixel
    neuron = tooltip_at(diagram, layout.node_rect(1, 6).center())
    assert f"b<sub>7</sub><sup>[1]</sup> = {net.biases[0][6]:.4g}" in neuron
    output = tooltip_at(diagram, layout.node_rect(2, 3).center())
    assert "the probability of the digit 3" in output


def test_neuron_maps_do_not_apply_to_images(qtbot, digits_run):
    diagram = shown(qtbot, NetworkDiagram(), 600, 400)
    diagram.show_frame(live(digits_run))
    centre = diagram.mapFromScene(diagram.image_layout.node_rect(1, 2).center())
    with qtbot.assertNotEmitted(diagram.neuron_map_requested):
        qtbot.mouseClick(diagram.viewport(), Qt.MouseButton.LeftButton, pos=centre)
    diagram.set_plane_range((-1, 1), (-1, 1))
    assert diagram.neuron_maps is None
    assert "Click" not in tooltip_at(diagram, diagram.image_layout.node_rect(1, 2).center())


def test_a_wide_network_is_a_bounded_number_of_items(qtbot):
    diagram = shown(qtbot, NetworkDiagram(), 1200, 800)
    net = MLP([784, 512, 10], "relu", seed=0)
    diagram.show_network(net)
    qtbot.waitUntil(lambda: diagram.image_layout is not None)
    layout = diagram.image_layout
    np.testing.assert_array_equal(layout.drawn_neurons(1), np.arange(DRAWN_NEURONS))
    assert len(diagram.scene().items()) < 100
    assert diagram.link_count == (DRAWN_NEURONS + 10) * LINKS_PER_NEURON
    j, k = layout.links(2)  # into the outputs: the strongest of the drawn neurons
    for digit in range(10):
        strongest = np.argsort(-np.abs(net.weights[1][digit, :DRAWN_NEURONS]))[:LINKS_PER_NEURON]
        assert sorted(k[j == digit]) == sorted(strongest)
    texts = [i.text() for i in diagram.scene().items() if isinstance(i, QGraphicsSimpleTextItem)]
    assert f"⋮ {512 - DRAWN_NEURONS} more" in texts
    neuron = tooltip_at(diagram, layout.node_rect(1, 0).center())
    assert f"neurons 1–{DRAWN_NEURONS} of this layer's 512 are drawn" in neuron
    output = tooltip_at(diagram, layout.node_rect(2, 0).center())
    assert f"from the {DRAWN_NEURONS} drawn neurons of layer 1 (of 512)" in output


def test_hovering_a_link_names_its_weight(qtbot, digits_run):
    diagram = shown(qtbot, NetworkDiagram(), 600, 400)
    frame = live(digits_run)
    diagram.show_frame(frame)
    layout = diagram.image_layout
    j, k = layout.links(2)
    start, end = layout.node_rect(1, int(k[0])).center(), layout.node_rect(2, int(j[0])).center()
    text = tooltip_at(diagram, start + (end - start) * 0.5)
    found = re.search(r"w<sub>(\d+),(\d+)</sub><sup>\[2\]</sup> = (\S+)<br>", text)
    assert found, text
    row, column = int(found[1]) - 1, int(found[2]) - 1
    assert found[3] == f"{frame.snapshot.net.weights[1][row, column]:.4g}"


def test_the_diagram_draws_an_old_checkpoint_and_goes_back_to_a_2d_network(qtbot, digits_run):
    diagram = shown(qtbot, NetworkDiagram(), 600, 400)
    old = checkpoint(digits_run, 2)
    diagram.show_frame(old)
    j, k = diagram.image_layout.links(1)
    W = old.snapshot.net.weights[0]
    for neuron in range(32):  # the old weights' strongest links, not the live ones'
        threshold = np.sort(np.abs(W[neuron]))[-LINKS_PER_NEURON]
        assert np.all(np.abs(W[neuron, k[j == neuron]]) >= threshold)
    diagram.show_network(MLP([2, 4, 1], seed=0))
    qtbot.waitUntil(lambda: diagram.image_layout is None)
    assert diagram.node_count == 7 and diagram.link_count == 12
    assert diagram.link_item(1, 1, 1).isVisible()


# --- loss plot ------------------------------------------------------------------------------------
def test_the_loss_plot_draws_a_digits_run_and_its_old_checkpoints(qtbot, digits_run):
    plot = shown(qtbot, LossPlot(), 600, 400)
    frame = live(digits_run)
    plot.show_frame(frame)
    history = frame.snapshot.history
    y = plot.test_accuracy_curve.yData
    measured = np.isfinite(history.test_accuracy)
    np.testing.assert_allclose(y, 100 * history.test_accuracy[measured])
    assert plot.chance_line.value() == pytest.approx(np.log(10))
    assert "log 10" in plot.chance_line.label.format
    accuracy = f"{100 * frame.snapshot.test_accuracy:.1f}%"
    assert accuracy in plot.readout.text
    plot.show_frame(checkpoint(digits_run, 4))
    assert plot.markers[0].isVisible()
    assert plot.markers[0].value() == digits_run.timeline[4].iteration


def test_the_feature_space_goes_back_to_the_planes_colours_without_legend(qtbot, digits_run):
    view = shown(qtbot, FeatureSpaceView(), 600, 400)
    view.show_frame(live(digits_run))
    plane = make_preset("xor", n=80, noise=0.1, seed=0)
    run = Session(
        plane, NetworkConfig((HiddenLayer(4, "tanh"),)), TrainingConfig(), test_ratio=0.25
    )
    run.step(3)
    view.show_frame(live(run))
    assert not view.plot._legend.isVisible() and view.plot._legend.scene() is None
    assert len(view.plot._scatters) == 2 * len(CLASS_COLORS)
    _, indices = view.plot.scatter_points()
    np.testing.assert_array_equal(indices, np.arange(len(plane)))
