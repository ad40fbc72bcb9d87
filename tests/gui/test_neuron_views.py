"""Inside the network, in the window: neuron maps (diagram and data plane), the single
neuron's line, normal vector and sigmoid panel, the gradient norms; live and scrubbed."""

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QDockWidget, QSlider, QSpinBox

from mlpviz.core.activations import sigmoid
from mlpviz.core.neurons import THUMBNAIL_CELLS, activation_colors, neuron_map, neuron_maps
from mlpviz.gui.data_plane import GRID_CELLS
from mlpviz.gui.style import diverging_rgb

from .conftest import save_screenshot
from .test_timeline import TIMEOUT_MS, find, play_until, scrub_to, use_a_hidden_layer


def click_neuron(qtbot, window, layer, j):
    diagram = window.network_diagram
    qtbot.waitUntil(lambda: not diagram._throttle_timer.isActive(), timeout=TIMEOUT_MS)
    centre = diagram.mapFromScene(diagram.node_item(layer, j).rect().center())
    qtbot.mouseClick(diagram.viewport(), Qt.LeftButton, pos=centre)


def focus_plane(qtbot, window):
    window.activateWindow()
    window.data_plane.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is window.data_plane, timeout=TIMEOUT_MS)


def test_a_click_on_a_neuron_shows_its_map_and_a_second_click_or_esc_the_regions(qtbot, window):
    use_a_hidden_layer(qtbot, window)  # 4 tanh neurons
    plane = window.data_plane
    regions = plane.background_image.copy()
    click_neuron(qtbot, window, 1, 2)
    assert plane.shown_neuron == (1, 2)
    net = window.frame.snapshot.net
    expected = neuron_map(net, 1, 2, *plane.view_range(), GRID_CELLS)
    np.testing.assert_allclose(plane.neuron_values, expected, atol=1e-5)  # drawn in float32
    colors = activation_colors(expected, 0.0, 1.0, *diverging_rgb())  # tanh: white at 0, ±1
    assert np.abs(plane.background_image.astype(int) - colors).max() <= 1
    assert (
        plane.map_caption.isVisible() and "neuron 2 of layer 1" in plane.map_caption.toPlainText()
    )
    segments = plane.boundary_segments  # the level line a = 0
    ends = np.vstack([segments[:, :2], segments[:, 2:]])
    w, b = net.weights[0][1], net.biases[0][1]
    np.testing.assert_allclose(ends @ w + b, 0.0, atol=1e-3 * np.abs(w).sum())
    save_screenshot(window, "neuron-map")

    click_neuron(qtbot, window, 1, 2)  # again: the decision regions
    assert plane.shown_neuron is None and plane.neuron_values is None
    np.testing.assert_array_equal(plane.background_image, regions)
    assert not plane.map_caption.isVisible()

    click_neuron(qtbot, window, 1, 3)
    assert plane.shown_neuron == (1, 3)
    focus_plane(qtbot, window)
    qtbot.keyClick(plane, Qt.Key_Escape)
    assert plane.shown_neuron is None


def test_esc_in_a_field_still_undoes_the_typing_and_leaves_the_map(qtbot, window):
    use_a_hidden_layer(qtbot, window)
    click_neuron(qtbot, window, 1, 1)
    seed = find(window, QSpinBox, "seedInput")
    window.activateWindow()
    seed.setFocus()
    qtbot.waitUntil(seed.hasFocus, timeout=TIMEOUT_MS)
    qtbot.keyClick(seed, Qt.Key_Escape)
    assert window.data_plane.shown_neuron == (1, 1)  # the field had the key
    qtbot.waitUntil(window.data_plane.hasFocus, timeout=TIMEOUT_MS)  # the keys came back
    qtbot.keyClick(window.data_plane, Qt.Key_Escape)
    assert window.data_plane.shown_neuron is None


def test_thumbnails_are_the_core_maps_of_the_frame_network(qtbot, window):
    use_a_hidden_layer(qtbot, window)
    play_until(qtbot, window, 40)
    diagram, plane = window.network_diagram, window.data_plane
    net = window.frame.snapshot.net
    maps = neuron_maps(net, *plane.view_range())
    assert diagram.neuron_maps is not None and diagram.neuron_maps.cells == THUMBNAIL_CELLS
    for j in range(1, 5):
        values = neuron_map(net, 1, j, *plane.view_range(), THUMBNAIL_CELLS)
        expected = activation_colors(values, maps.levels[0], maps.limits[0], *diverging_rgb())
        np.testing.assert_array_equal(diagram.map_image(1, j), expected)


def test_a_new_architecture_goes_back_to_the_regions(qtbot, window):
    use_a_hidden_layer(qtbot, window)
    click_neuron(qtbot, window, 1, 4)
    qtbot.mouseClick(find(window, object, "removeLayerButton"), Qt.LeftButton)
    qtbot.waitUntil(lambda: window.frame.snapshot.net.depth == 1, timeout=TIMEOUT_MS)
    assert window.data_plane.shown_neuron is None


def test_the_single_neuron_line_normal_vector_and_sigmoid_panel(qtbot, window):
    play_until(qtbot, window, 5)
    frame = window.frame
    net = frame.snapshot.net
    w, b = net.weights[0][0], net.biases[0][0]
    foot, tip = window.data_plane.normal_vector
    assert abs(foot @ w + b) < 1e-9  # on the line w₁x₁ + w₂x₂ + b = 0
    arrow = tip - foot
    assert abs(arrow[0] * w[1] - arrow[1] * w[0]) < 1e-9 and arrow @ w > 0  # along +w
    panel = window.single_neuron_panel
    assert panel.isVisible()
    z = frame.dataset.X @ w + b
    np.testing.assert_allclose(panel.z_values, z, rtol=1e-12)
    for (label, test), scatter in panel.scatters.items():
        chosen = (frame.dataset.y == label) & (frame.test_mask == test)
        x, y = scatter.getData()
        np.testing.assert_allclose(x, z[chosen], rtol=1e-12)
        np.testing.assert_allclose(y, sigmoid(z[chosen]), rtol=1e-12)
    text = panel.values_label.text()
    assert (
        f"{w[0]:.4g}" in text and f"{b:.4g}" in text and f"{frame.snapshot.train_loss:.4g}" in text
    )
    save_screenshot(window, "single-neuron")

    use_a_hidden_layer(qtbot, window)
    qtbot.waitUntil(lambda: window.frame.snapshot.net.depth == 2, timeout=TIMEOUT_MS)
    assert not panel.isVisible()
    assert window.data_plane.normal_vector is None


def test_views_drawn_from_an_old_checkpoint_equal_the_live_ones(qtbot, window):
    find(window, QDockWidget, "gradientNormDock").raise_()
    play_until(qtbot, window, 6)  # the single neuron
    live_z = window.single_neuron_panel.z_values.copy()
    live_normal = window.data_plane.normal_vector
    play_until(qtbot, window, 12)
    scrub_to(qtbot, window, 6)
    np.testing.assert_array_equal(window.single_neuron_panel.z_values, live_z)
    np.testing.assert_array_equal(window.data_plane.normal_vector[1], live_normal[1])
    slider = find(window, QSlider, "timelineSlider")
    slider.setValue(slider.maximum())
    qtbot.waitUntil(lambda: window.frame.is_live, timeout=TIMEOUT_MS)

    use_a_hidden_layer(qtbot, window)
    qtbot.waitUntil(lambda: window.frame.snapshot.net.depth == 2, timeout=TIMEOUT_MS)
    click_neuron(qtbot, window, 1, 3)
    play_until(qtbot, window, 30)
    live_values = window.data_plane.neuron_values.copy()
    live_thumb = window.network_diagram.map_image(1, 3).copy()
    play_until(qtbot, window, 60)
    scrub_to(qtbot, window, 30)
    np.testing.assert_array_equal(window.data_plane.neuron_values, live_values)
    np.testing.assert_array_equal(window.network_diagram.map_image(1, 3), live_thumb)
    plot = window.gradient_norm_plot
    assert plot.marker.value() == 30
    x, _ = plot.gradient_curves[0].getData()
    assert x[-1] == 60  # the whole run's norms, whichever frame is shown
