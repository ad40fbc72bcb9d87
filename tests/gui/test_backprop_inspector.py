"""The backprop inspector in the window: Ctrl+click selects, the numbers are the engine's,
the shown update is what Step does, the gradient check, and old checkpoints' numbers."""

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDockWidget,
    QLabel,
    QPushButton,
    QSlider,
    QSpinBox,
    QToolButton,
    QWidget,
)

from mlpviz.core.backprop import trace
from mlpviz.core.config import HiddenLayer, NetworkConfig, TrainingConfig
from mlpviz.core.datasets import make_preset
from mlpviz.gui.inspector_sheet import format_number

from .conftest import data_to_pixel, save_screenshot

TIMEOUT_MS = 10_000
XOR_NET = NetworkConfig((HiddenLayer(4, "tanh"), HiddenLayer(2, "tanh")), seed=0)


def find(window, cls, name):
    found = window.findChild(cls, name)
    assert found is not None, name
    return found


def use(qtbot, window, training: TrainingConfig, network: NetworkConfig = XOR_NET) -> None:
    """The xor preset, ``network`` and ``training``, at iteration 0 of a new run."""
    window.state.set_dataset(make_preset("xor", n=60, noise=0.1, seed=0), new_run=True)
    window.state.set_network_config(network)
    window.state.set_training_config(training)
    qtbot.waitUntil(
        lambda: (
            window.frame.snapshot.training == training
            and window.frame.snapshot.net.layer_sizes == (2, 4, 2, 1)
            and len(window.frame.dataset) == 60
        ),
        timeout=TIMEOUT_MS,
    )


def ctrl_click(qtbot, window, index: int, modifier=Qt.ControlModifier) -> None:
    plane = window.data_plane
    x, y = window.dataset.X[index]
    qtbot.mouseClick(plane.viewport(), Qt.LeftButton, modifier, data_to_pixel(plane, x, y))


def select(qtbot, window, index: int):
    ctrl_click(qtbot, window, index)
    qtbot.waitUntil(lambda: window.frame.selection == index, timeout=TIMEOUT_MS)
    return find(window, QWidget, "backpropInspector")


def step(qtbot, window) -> None:
    before = window.frame.snapshot.iteration
    qtbot.mouseClick(find(window, QToolButton, "stepButton"), Qt.LeftButton)
    qtbot.waitUntil(lambda: window.frame.snapshot.iteration == before + 1, timeout=TIMEOUT_MS)


def assert_shows_trace(inspector, frame) -> None:
    """The inspector's trace is the engine's for the frame's network, and so is its text."""
    index = frame.selection
    expected = trace(frame.snapshot.net, frame.dataset.X[index], int(frame.dataset.y[index]))
    shown = inspector.trace
    for name in ("z", "a", "delta", "dW", "db"):
        for got, want in zip(getattr(shown, name), getattr(expected, name)):
            np.testing.assert_array_equal(got, want)
    assert shown.loss == expected.loss
    cells = inspector.cells
    for layer in range(expected.depth):
        for j, value in enumerate(expected.z[layer], start=1):
            assert cells[f"z[{layer + 1}]_{j}"] == format_number(value)
        for j, value in enumerate(expected.a[layer], start=1):
            assert cells[f"a[{layer + 1}]_{j}"] == format_number(value)
        for j, value in enumerate(expected.delta[layer], start=1):
            assert cells[f"delta[{layer + 1}]_{j}"] == format_number(value)
            assert cells[f"db[{layer + 1}]_{j}"] == format_number(value)
        for (j, k), value in np.ndenumerate(expected.dW[layer]):
            assert cells[f"dW[{layer + 1}]_{j + 1},{k + 1}"] == format_number(value)
    assert cells["L"] == format_number(expected.loss)
    assert format_number(expected.loss) in inspector.text()


def test_ctrl_click_selects_the_nearest_point_without_adding_one(qtbot, window):
    use(qtbot, window, TrainingConfig("sgd", 0.1))
    count = len(window.dataset)
    inspector = find(window, QWidget, "backpropInspector")
    assert "Ctrl+click a point" in inspector.text()
    assert inspector.trace is None
    select(qtbot, window, 7)
    assert len(window.dataset) == count
    assert window.state.selection == 7
    assert window.data_plane.selection == 7
    ring_x, ring_y = window.data_plane._selection_ring.getData()
    assert (ring_x[0], ring_y[0]) == tuple(window.dataset.X[7])
    assert inspector.trace is not None
    assert "Ctrl+click a point" not in inspector.text()
    # A plain click still adds a point, and the selection stays on its point.
    ctrl_click(qtbot, window, 3, modifier=Qt.NoModifier)
    qtbot.waitUntil(lambda: len(window.dataset) == count + 1, timeout=TIMEOUT_MS)
    assert window.state.selection == 7
    # Removing a point before it keeps the selection on the same point.
    window._on_point_removal_requested(0)
    qtbot.waitUntil(lambda: window.frame.selection == 6, timeout=TIMEOUT_MS)
    # The inspector's button clears it.
    qtbot.mouseClick(find(window, QPushButton, "clearSelectionButton"), Qt.LeftButton)
    assert window.state.selection is None and window.data_plane.selection is None


def test_a_new_dataset_clears_the_selection(qtbot, window):
    use(qtbot, window, TrainingConfig("sgd", 0.1))
    select(qtbot, window, 2)
    window.state.set_dataset(make_preset("circles", n=40, seed=1), new_run=True)
    qtbot.waitUntil(lambda: window.frame.selection is None, timeout=TIMEOUT_MS)
    assert window.state.selection is None


def test_the_inspector_shows_the_engines_numbers_for_the_frames_network(qtbot, window):
    use(qtbot, window, TrainingConfig("sgd", 0.5))
    inspector = select(qtbot, window, 11)
    assert_shows_trace(inspector, window.frame)
    for _ in range(3):
        step(qtbot, window)
    assert_shows_trace(inspector, window.frame)
    assert window.frame.snapshot.iteration == 3


TRAININGS = {
    "sgd": TrainingConfig("sgd", 0.5),
    "momentum mini-batch": TrainingConfig("momentum", 0.2, batch_size=8, l2=0.01),
    "adam mini-batch": TrainingConfig("adam", 0.05, batch_size=10, shuffle_seed=3),
}


@pytest.mark.parametrize("training", TRAININGS.values(), ids=TRAININGS.keys())
def test_after_step_the_weights_are_the_shown_update(qtbot, window, training):
    use(qtbot, window, training)
    inspector = select(qtbot, window, 4)
    for _ in range(4):
        frame = window.frame
        update = inspector.next_step
        assert update is not None
        net = frame.snapshot.net
        W_before = [W.copy() for W in net.weights]
        b_before = [b.copy() for b in net.biases]
        for (j, k), value in np.ndenumerate(update.step_W[0]):
            assert inspector.cells[f"stepW[1]_{j + 1},{k + 1}"] == format_number(value)
        step(qtbot, window)
        after = window.frame.snapshot.net
        for layer in range(net.depth):
            np.testing.assert_allclose(
                after.weights[layer], W_before[layer] + update.step_W[layer], rtol=0, atol=1e-14
            )
            np.testing.assert_allclose(
                after.biases[layer], b_before[layer] + update.step_b[layer], rtol=0, atol=1e-14
            )


def test_the_l2_term_is_shown_apart(qtbot, window):
    use(qtbot, window, TrainingConfig("sgd", 0.1, l2=0.2))
    inspector = find(window, QWidget, "backpropInspector")
    W = window.frame.snapshot.net.weights[0]
    assert inspector.cells["l2[1]_1,1"] == format_number(0.2 * W[0, 0])
    assert "L2 term" in inspector.text()


def test_the_gradient_check_button_shows_small_errors(qtbot, window):
    use(qtbot, window, TrainingConfig("adam", 0.05, batch_size=16))
    step(qtbot, window)
    inspector = find(window, QWidget, "backpropInspector")
    qtbot.mouseClick(find(inspector, QPushButton, "gradientCheckButton"), Qt.LeftButton)
    errors = inspector.gradient_errors
    assert len(errors) == 3 and max(errors) < 1e-6
    result = find(inspector, QLabel, "gradientCheckResult").text()
    assert "batch of 16" in result and "agrees" in result
    assert result.count("e-") == 3  # one relative error per layer


def test_an_old_checkpoint_shows_its_own_numbers(qtbot, window):
    use(qtbot, window, TrainingConfig("sgd", 0.5, batch_size=12))
    inspector = select(qtbot, window, 9)
    find(window, QSpinBox, "stopAtSpin").setValue(40)
    qtbot.mouseClick(find(window, QToolButton, "playButton"), Qt.LeftButton)
    qtbot.waitUntil(
        lambda: window.frame.snapshot.iteration == 40 and not window.frame.snapshot.running,
        timeout=TIMEOUT_MS,
    )
    live_loss = inspector.trace.loss
    find(window, QSlider, "timelineSlider").setValue(10)  # every iteration up to 200 is kept
    qtbot.waitUntil(lambda: window.frame.checkpoint == 10, timeout=TIMEOUT_MS)
    frame = window.frame
    assert frame.snapshot.iteration == 10 and frame.selection == 9
    assert_shows_trace(inspector, frame)
    assert inspector.trace.loss != live_loss
    # The update shown there is the one iteration 11 made.
    update = inspector.next_step
    with window._worker.lock:
        following = window._worker.session.timeline[11].params
    np.testing.assert_allclose(
        frame.snapshot.net.params
        + np.concatenate(
            [np.column_stack([W, b]).ravel() for W, b in zip(update.step_W, update.step_b)]
        ),
        following,
        rtol=0,
        atol=1e-14,
    )


@pytest.mark.parametrize(("width", "height"), [(1366, 768), (1920, 1080)])
def test_screenshots(qtbot, window, width, height):
    window.resize(width, height)
    use(qtbot, window, TrainingConfig("sgd", 0.5))
    select(qtbot, window, 5)
    save_screenshot(window, f"backprop-inspector-{width}")


def test_hovering_a_number_names_it(qtbot, window):
    use(qtbot, window, TrainingConfig("sgd", 0.5))
    inspector = select(qtbot, window, 5)
    label = inspector.sheet.cell_labels["z[1]_1"]
    value = inspector.trace.z[0][0]
    assert label.text() == format_number(value)
    assert label.toolTip() == f"z^[1]₁ = {value:.10g}"
    assert inspector.sheet.cell_labels["dW[2]_2,3"].toolTip().startswith("∂L/∂W^[2]₂,₃ = ")


def test_a_large_layer_shows_one_neuron_and_norms(qtbot, window):
    wide = NetworkConfig((HiddenLayer(10, "relu"),), seed=1)
    window.state.set_dataset(make_preset("xor", n=60, noise=0.1, seed=0), new_run=True)
    window.state.set_network_config(wide)
    qtbot.waitUntil(lambda: window.frame.snapshot.net.layer_sizes == (2, 10, 1), timeout=TIMEOUT_MS)
    inspector = select(qtbot, window, 3)
    neuron = find(inspector, QSpinBox, "inspectorNeuron")
    assert neuron.isVisible() and neuron.maximum() == 10
    t = inspector.trace
    assert inspector.cells["z[1]_1"] == format_number(t.z[0][0])
    assert "z[1]_2" not in inspector.cells
    assert inspector.cells["‖z[1]‖"] == format_number(np.linalg.norm(t.z[0]))
    # The output layer's row of 10 weights: entry (1, 1) and the row's norm.
    assert inspector.cells["dW[2]_1,1"] == format_number(t.dW[1][0, 0])
    assert inspector.cells["‖dW[2]_1‖"] == format_number(np.linalg.norm(t.dW[1][0]))
    neuron.setValue(7)
    assert inspector.cells["z[1]_7"] == format_number(t.z[0][6])
    assert inspector.cells["dW[1]_7,1"] == format_number(t.dW[0][6, 0])
    assert "z[1]_1" not in inspector.cells


def test_a_softmax_network_is_inspected_too(qtbot, window):
    data = make_preset("gaussian", n=60, noise=0.1, seed=0, n_classes=3)
    window.state.set_dataset(data, new_run=True)
    window.state.set_network_config(XOR_NET)
    qtbot.waitUntil(
        lambda: window.frame.snapshot.net.layer_sizes == (2, 4, 2, 3), timeout=TIMEOUT_MS
    )
    inspector = select(qtbot, window, 8)
    assert_shows_trace(inspector, window.frame)
    assert "softmax" in inspector.text() and "one-hot" in inspector.text()
    assert inspector.next_step is not None and inspector.next_step.step_W[-1].shape == (3, 2)


def test_numbers_have_four_significant_digits_and_a_true_minus():
    assert format_number(0.123456) == "0.1235"
    assert format_number(-1234.5678) == "−1235"
    assert format_number(-0.0) == "0"  # ReLU′ = 0 times a negative number
    assert format_number(2.5e-7) == "2.500e−7"  # below 0.001: a short exponent
    assert format_number(-0.00051714) == "−5.171e−4"
    assert format_number(123456.0) == "1.235e5"
    assert format_number(float("inf")) == "inf"


def test_a_hidden_inspector_skips_frames_and_catches_up(qtbot, window):
    use(qtbot, window, TrainingConfig("sgd", 0.5))
    inspector = select(qtbot, window, 4)
    find(window, QDockWidget, "diagramDock").raise_()  # the inspector's tab goes behind
    qtbot.waitUntil(lambda: inspector.visibleRegion().isEmpty(), timeout=TIMEOUT_MS)
    step(qtbot, window)
    assert inspector._stale  # the frame was not drawn
    find(window, QDockWidget, "backpropDock").raise_()
    qtbot.waitUntil(lambda: not inspector._stale, timeout=TIMEOUT_MS)
    assert_shows_trace(inspector, window.frame)
    # Read while hidden, it is brought up to date first.
    find(window, QDockWidget, "diagramDock").raise_()
    qtbot.waitUntil(lambda: inspector.visibleRegion().isEmpty(), timeout=TIMEOUT_MS)
    step(qtbot, window)
    assert_shows_trace(inspector, window.frame)


def test_clicking_a_point_in_the_feature_space_selects_it(qtbot, window):
    use(qtbot, window, TrainingConfig("sgd", 0.5))
    find(window, QDockWidget, "featureSpaceDock").raise_()
    plot = window.findChild(pg.PlotWidget, "featureSpacePlot")
    qtbot.waitUntil(lambda: plot.space is not None and len(plot.space.points) == 60)
    x, y = plot.space.points[21]
    qtbot.mouseClick(plot.viewport(), Qt.LeftButton, pos=data_to_pixel(plot, x, y))
    qtbot.waitUntil(lambda: window.frame.selection is not None, timeout=TIMEOUT_MS)
    index = window.frame.selection
    np.testing.assert_allclose(plot.space.points[index], (x, y), atol=0.05)
    assert window.state.selection == index and window.data_plane.selection == index
    assert_shows_trace(find(window, QWidget, "backpropInspector"), window.frame)


def test_a_selection_made_on_an_old_checkpoint_is_the_same_point_live(qtbot, window):
    use(qtbot, window, TrainingConfig("sgd", 0.5))
    step(qtbot, window)
    window.state.set_dataset(window.dataset.without_point(0))  # the data of iteration 0 differ
    qtbot.waitUntil(lambda: len(window.frame.dataset) == 59, timeout=TIMEOUT_MS)
    find(window, QSlider, "timelineSlider").setValue(0)
    qtbot.waitUntil(lambda: window.frame.checkpoint == 0, timeout=TIMEOUT_MS)
    assert len(window.frame.dataset) == 60
    plane = window.data_plane
    x, y = window.frame.dataset.X[10]  # point 10 of iteration 0's data is point 9 now
    qtbot.mouseClick(
        plane.viewport(), Qt.LeftButton, Qt.ControlModifier, data_to_pixel(plane, x, y)
    )
    qtbot.waitUntil(lambda: window.frame.selection == 10, timeout=TIMEOUT_MS)
    assert window.state.selection == 9
    np.testing.assert_array_equal(window.dataset.X[9], window.frame.dataset.X[10])
