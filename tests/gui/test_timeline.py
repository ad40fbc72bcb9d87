"""The timeline in the window: scrub, replay, continue from here; new datasets start runs."""

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage
from PySide6.QtWidgets import (
    QComboBox,
    QDockWidget,
    QPushButton,
    QSlider,
    QSpinBox,
    QToolButton,
)

from .conftest import data_to_pixel, save_screenshot

TIMEOUT_MS = 10_000


def find(window, cls, name):
    found = window.findChild(cls, name)
    assert found is not None, name
    return found


def play_until(qtbot, window, iteration):
    """Type ``iteration`` into the stop-at box, press Play and wait until it pauses there."""
    stop_at = find(window, QSpinBox, "stopAtSpin")
    stop_at.setValue(iteration)
    qtbot.mouseClick(find(window, QToolButton, "playButton"), Qt.LeftButton)
    qtbot.waitUntil(
        lambda: window.last_snapshot.iteration == iteration and not window.last_snapshot.running,
        timeout=TIMEOUT_MS,
    )
    qtbot.waitUntil(lambda: window.frame.snapshot.iteration == iteration, timeout=TIMEOUT_MS)


def pictures(qtbot, window) -> list[QImage]:
    """What the data plane, the diagram and the weights show, once painted."""
    diagram = window.network_diagram  # it redraws on a timer, longer on a busy machine
    qtbot.waitUntil(lambda: not diagram._throttle_timer.isActive(), timeout=TIMEOUT_MS)
    qtbot.wait(50)
    views = (window.data_plane, window.network_diagram, window.weights_plot)
    return [view.grab().toImage() for view in views]


def scrub_to(qtbot, window, index):
    slider = find(window, QSlider, "timelineSlider")
    slider.setValue(index)  # what a drag does, one value at a time
    qtbot.waitUntil(lambda: window.frame.checkpoint == index, timeout=TIMEOUT_MS)


def use_a_hidden_layer(qtbot, window):
    qtbot.mouseClick(find(window, QPushButton, "addLayerButton"), Qt.LeftButton)
    qtbot.waitUntil(lambda: window.last_snapshot.net.depth == 2, timeout=TIMEOUT_MS)


def test_the_slider_shows_every_view_as_it_was(qtbot, window):
    weights = find(window, QDockWidget, "weightsDock")
    weights.setFloating(True)  # out of its tab, so that it is painted at a real size
    weights.resize(600, 400)
    use_a_hidden_layer(qtbot, window)
    at_zero = pictures(qtbot, window)
    play_until(qtbot, window, 120)
    at_120 = pictures(qtbot, window)
    live_params = window.frame.snapshot.net.params.copy()
    play_until(qtbot, window, 300)
    slider = find(window, QSlider, "timelineSlider")
    assert slider.value() == slider.maximum()  # it followed the live run

    scrub_to(qtbot, window, 120)  # every iteration up to 200 is kept: index = iteration
    assert window.frame.snapshot.iteration == 120
    np.testing.assert_array_equal(window.frame.snapshot.net.params, live_params)
    assert pictures(qtbot, window) == at_120
    label = find(window, object, "iterationLabel").text()
    assert label.startswith("Iteration 120") and "viewing iteration 120 of 300" in label
    assert window.loss_plot.markers[0].isVisible()
    assert window.loss_plot.markers[0].value() == 120
    save_screenshot(window, "timeline-scrubbed")

    scrub_to(qtbot, window, 0)
    assert pictures(qtbot, window) == at_zero

    slider.setValue(slider.maximum())
    qtbot.waitUntil(lambda: window.frame.is_live, timeout=TIMEOUT_MS)
    assert window.frame.snapshot.iteration == 300
    assert not window.loss_plot.markers[0].isVisible()


def test_scrubbing_pauses_training(qtbot, window):
    find(window, QComboBox, "speedCombo").setCurrentIndex(3)  # Max
    play = find(window, QToolButton, "playButton")
    qtbot.mouseClick(play, Qt.LeftButton)
    qtbot.waitUntil(lambda: window.last_snapshot.iteration > 100, timeout=TIMEOUT_MS)
    scrub_to(qtbot, window, 10)
    qtbot.waitUntil(lambda: not window.last_snapshot.running, timeout=TIMEOUT_MS)
    assert not play.isChecked()
    assert window.frame.snapshot.iteration == 10


def test_continue_from_here_resumes_exactly(qtbot, window):
    use_a_hidden_layer(qtbot, window)
    play_until(qtbot, window, 150)
    with window._worker.lock:
        original_101 = window._worker.session.timeline[101].params.copy()
    scrub_to(qtbot, window, 100)
    qtbot.mouseClick(find(window, QPushButton, "continueFromHereButton"), Qt.LeftButton)
    qtbot.waitUntil(lambda: window.last_snapshot.iteration == 100, timeout=TIMEOUT_MS)
    assert "50 later checkpoints were dropped" in window.statusBar().currentMessage()
    assert window.last_snapshot.timeline[-1] == 100
    qtbot.mouseClick(find(window, QToolButton, "stepButton"), Qt.LeftButton)
    qtbot.waitUntil(lambda: window.last_snapshot.iteration == 101, timeout=TIMEOUT_MS)
    np.testing.assert_array_equal(window.last_snapshot.net.params, original_101)
    assert window.frame.is_live


def test_replay_animates_to_the_end_then_follows_the_live_run(qtbot, window):
    play_until(qtbot, window, 60)
    seen = []
    window.timeline_bar.checkpoint_requested.connect(seen.append)
    find(window, QComboBox, "replaySecondsCombo").setCurrentIndex(0)  # 2 s
    scrub_to(qtbot, window, 20)
    qtbot.mouseClick(find(window, QPushButton, "replayButton"), Qt.LeftButton)
    qtbot.waitUntil(lambda: window.frame.is_live, timeout=TIMEOUT_MS)
    assert seen[0] == 20 and len(seen) > 10
    assert seen[1:] == sorted(seen[1:])
    assert not find(window, QPushButton, "replayButton").isChecked()
    assert window.frame.snapshot.iteration == 60


def test_a_new_dataset_starts_a_new_run_and_a_few_points_do_not(qtbot, window):
    play_until(qtbot, window, 40)
    plane = window.data_plane
    qtbot.mouseClick(plane.viewport(), Qt.LeftButton, pos=data_to_pixel(plane, 1.0, -4.0))
    qtbot.wait(200)
    assert window.last_snapshot.iteration == 40  # a point more: the run goes on
    edited, run = window.dataset, window.last_snapshot.run
    qtbot.mouseClick(find(window, QPushButton, "generateButton"), Qt.LeftButton)
    qtbot.waitUntil(lambda: window.last_snapshot.run == run + 1, timeout=TIMEOUT_MS)
    assert window.last_snapshot.iteration == 0
    assert window.last_snapshot.timeline == (0,)
    assert list(window.last_snapshot.history.iteration) == [0]
    qtbot.keyClick(window, Qt.Key_Z, Qt.ControlModifier)  # the previous points come back…
    qtbot.waitUntil(lambda: window.last_snapshot.run == run + 2, timeout=TIMEOUT_MS)
    assert window.dataset == edited
    assert window.last_snapshot.iteration == 0  # …in a new run too
