"""The main window driven as a user drives it: clicks, keys, toolbar buttons."""

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDockWidget, QMessageBox, QPushButton, QSpinBox, QToolButton

from mlpviz.core.datasets import Dataset

from .conftest import data_to_pixel, save_screenshot


def widget(window, cls, name):
    found = window.findChild(cls, name)
    assert found is not None, name
    return found


def wait_for_iteration(qtbot, window, iteration):
    qtbot.waitUntil(lambda: window.last_snapshot.iteration == iteration, timeout=5000)
    return window.last_snapshot


def clear(qtbot, window):
    window._clear_points()
    qtbot.waitUntil(lambda: len(window.dataset) == 0)


def click_data(qtbot, window, x, y, button=Qt.LeftButton):
    plane = window.data_plane
    qtbot.mouseClick(plane.viewport(), button, pos=data_to_pixel(plane, x, y))


def test_opens_with_a_small_two_class_dataset_and_a_single_neuron(window):
    assert window.objectName() == "mainWindow"
    assert len(window.dataset) > 0 and window.dataset.n_classes == 2
    assert window.last_snapshot.net.layer_sizes == (2, 1)
    for name in (
        "dataPlane",
        "networkEditor",
        "networkDiagram",
        "lossPlot",
        "weightsPlot",
        "playButton",
        "stepButton",
        "stepEpochButton",
        "resetButton",
        "learningRateInput",
        "batchSizeInput",
        "optimizerInput",
        "addLayerButton",
        "removeLayerButton",
        "iterationLabel",
        "statusBar",
    ):
        assert window.findChild(object, name) is not None, name
    for k in range(8):
        assert window.findChild(QPushButton, f"classButton{k}") is not None
    save_screenshot(window, "main-window-start")


def test_clicking_adds_a_point_of_the_chosen_class_and_right_click_removes_it(qtbot, window):
    clear(qtbot, window)
    qtbot.mouseClick(widget(window, QPushButton, "classButton1"), Qt.LeftButton)
    click_data(qtbot, window, 2.0, -1.5)
    assert len(window.dataset) == 1
    np.testing.assert_allclose(window.dataset.X[0], [2.0, -1.5], atol=0.1)
    assert window.dataset.y[0] == 1
    click_data(qtbot, window, 2.0, -1.5, Qt.RightButton)
    assert len(window.dataset) == 0


def test_undo_and_redo_every_edit(qtbot, window):
    original = window.dataset
    click_data(qtbot, window, -3.0, 3.0)
    edited = window.dataset
    assert len(edited) == len(original) + 1
    qtbot.keyClick(window, Qt.Key_Z, Qt.ControlModifier)
    assert window.dataset == original
    qtbot.keyClick(window, Qt.Key_Z, Qt.ControlModifier | Qt.ShiftModifier)
    assert window.dataset == edited


def test_step_advances_exactly_one_iteration_and_changes_the_weights(qtbot, window):
    before = window.last_snapshot
    assert before.iteration == 0
    qtbot.mouseClick(widget(window, QToolButton, "stepButton"), Qt.LeftButton)
    after = wait_for_iteration(qtbot, window, 1)
    assert not np.array_equal(before.net.params, after.net.params)
    assert window.findChild(object, "iterationLabel").text().startswith("Iteration 1")


def test_play_then_pause(qtbot, window):
    play = widget(window, QToolButton, "playButton")
    qtbot.mouseClick(play, Qt.LeftButton)
    qtbot.waitUntil(lambda: window.last_snapshot.iteration > 20, timeout=5000)
    qtbot.mouseClick(play, Qt.LeftButton)
    qtbot.waitUntil(lambda: not window.last_snapshot.running, timeout=5000)
    stopped_at = window.last_snapshot.iteration
    qtbot.wait(200)
    assert window.last_snapshot.iteration == stopped_at
    assert not play.isChecked()


def test_reset_returns_to_the_initial_weights(qtbot, window):
    initial = window.last_snapshot.net.params.copy()
    qtbot.mouseClick(widget(window, QToolButton, "stepButton"), Qt.LeftButton)
    wait_for_iteration(qtbot, window, 1)
    qtbot.mouseClick(widget(window, QToolButton, "resetButton"), Qt.LeftButton)
    snapshot = wait_for_iteration(qtbot, window, 0)
    np.testing.assert_array_equal(snapshot.net.params, initial)


def test_adding_and_removing_layers_rebuilds_the_network(qtbot, window):
    qtbot.mouseClick(widget(window, QPushButton, "addLayerButton"), Qt.LeftButton)
    qtbot.waitUntil(lambda: len(window.last_snapshot.net.layer_sizes) == 3, timeout=5000)
    qtbot.mouseClick(widget(window, QPushButton, "addLayerButton"), Qt.LeftButton)
    qtbot.waitUntil(lambda: len(window.last_snapshot.net.layer_sizes) == 4, timeout=5000)
    assert window.network_diagram.node_count == sum(window.last_snapshot.net.layer_sizes)
    save_screenshot(window, "main-window-two-hidden-layers")
    qtbot.mouseClick(widget(window, QPushButton, "removeLayerButton"), Qt.LeftButton)
    qtbot.waitUntil(lambda: len(window.last_snapshot.net.layer_sizes) == 3, timeout=5000)


def test_a_third_class_switches_the_output_to_softmax(qtbot, window):
    qtbot.keyClick(window, Qt.Key_2)
    click_data(qtbot, window, 5.0, 5.0)
    assert window.dataset.n_classes == 3
    qtbot.waitUntil(lambda: window.last_snapshot.net.layer_sizes[-1] == 3, timeout=5000)
    assert "softmax" in window.statusBar().currentMessage()
    qtbot.keyClick(window, Qt.Key_Z, Qt.ControlModifier)
    qtbot.waitUntil(lambda: window.last_snapshot.net.layer_sizes[-1] == 1, timeout=5000)


def test_a_diverging_run_pauses_and_offers_to_go_back_with_a_measured_alpha(qtbot, window):
    editor = window.network_editor
    lr = widget(window, object, "learningRateInput")
    lr.setFocus()
    lr.lineEdit().selectAll()
    qtbot.keyClicks(lr.lineEdit(), "1000000")
    qtbot.keyClick(lr.lineEdit(), Qt.Key_Return)
    assert editor.training_config().learning_rate == 1e6
    big = Dataset(window.dataset.X * 100, window.dataset.y)
    window._edit_dataset(big, "scale")
    play = widget(window, QToolButton, "playButton")
    for _ in range(3):  # diverging again and again reuses one dialog
        qtbot.mouseClick(play, Qt.LeftButton)
        qtbot.waitUntil(lambda: not play.isChecked(), timeout=5000)
    qtbot.waitUntil(lambda: window.findChild(QMessageBox, "divergenceDialog") is not None)
    assert len(window.findChildren(QMessageBox, "divergenceDialog")) == 1
    box = window.findChild(QMessageBox, "divergenceDialog")
    assert "α = 1e+06" in box.text() and "last good state" in box.text()
    assert np.isfinite(window.last_snapshot.net.params).all()
    save_screenshot(window, "main-window-diverged")
    recover = box.findChild(QPushButton, "recoverButton")
    assert recover.text().startswith("Go back to iteration")
    qtbot.mouseClick(recover, Qt.LeftButton)
    qtbot.waitUntil(lambda: editor.training_config().learning_rate < 1e6, timeout=5000)
    safe = editor.training_config().learning_rate
    assert f"α = {safe:.3g}" in recover.text()
    qtbot.mouseClick(play, Qt.LeftButton)
    qtbot.waitUntil(lambda: window.last_snapshot.iteration > 300, timeout=10_000)
    qtbot.mouseClick(play, Qt.LeftButton)
    assert np.isfinite(window.last_snapshot.train_loss)


def test_closing_while_training_stops_the_thread(qtbot, window):
    qtbot.mouseClick(widget(window, QToolButton, "playButton"), Qt.LeftButton)
    qtbot.waitUntil(lambda: window.last_snapshot.iteration > 10, timeout=5000)
    thread = window._thread
    window.close()
    assert thread.isFinished()


def test_settings_are_remembered(qtbot, settings):
    from mlpviz.gui import MainWindow

    first = MainWindow(settings=settings)
    qtbot.addWidget(first)
    qtbot.mouseClick(widget(first, QPushButton, "addLayerButton"), Qt.LeftButton)
    batch = widget(first, QSpinBox, "batchSizeInput")
    batch.setValue(10)
    first.close()
    second = MainWindow(settings=settings)
    qtbot.addWidget(second)
    assert len(second.network_editor.network_config().hidden) == 1
    assert second.network_editor.training_config().batch_size == 10
    second.close()


def test_loading_a_malformed_csv_changes_nothing(qtbot, window, tmp_path):
    before = window.dataset
    bad = tmp_path / "bad.csv"
    bad.write_text("x1,x2,label\n1,2,oops\n")
    assert not window.open_dataset(bad)
    assert window.dataset == before
    box = window.findChild(QMessageBox, "errorDialog")
    assert "line 2" in box.text()
    box.close()


def test_corrupt_settings_give_the_defaults(qtbot, settings):
    from mlpviz.gui import MainWindow

    settings.setValue("network/config", '{"hidden": [{"size": 1e999, "activation": "tanh"}]}')
    settings.setValue("training/config", "[1, 2]")
    settings.setValue("data/panel", "{not json")
    main = MainWindow(settings=settings)
    qtbot.addWidget(main)
    assert main.network_editor.network_config().hidden == ()
    main.close()


def test_each_test_starts_from_default_settings_a(qtbot):
    from mlpviz.gui import MainWindow

    main = MainWindow()
    qtbot.addWidget(main)
    assert main.network_editor.network_config().hidden == ()
    qtbot.mouseClick(widget(main, QPushButton, "addLayerButton"), Qt.LeftButton)
    main.close()  # saves one hidden layer in this test's settings


def test_each_test_starts_from_default_settings_b(qtbot):
    test_each_test_starts_from_default_settings_a(qtbot)


@pytest.mark.parametrize(
    "stored",
    ["[window]\nstate=\n", "[window]\ngeometry=not a geometry\n", "[window]\nstate=12\n"],
)
def test_unreadable_window_settings_never_stop_the_app_starting(qtbot, tmp_path, stored):
    from PySide6.QtCore import QSettings

    from mlpviz.gui import MainWindow

    path = tmp_path / "corrupt.ini"
    path.write_text(stored)
    main = MainWindow(settings=QSettings(str(path), QSettings.IniFormat))
    qtbot.addWidget(main)
    assert "back to defaults" in main.statusBar().currentMessage()
    assert main.width() > 0
    main.close()  # the next start reads what this one saved: usable values
    again = MainWindow(settings=QSettings(str(path), QSettings.IniFormat))
    qtbot.addWidget(again)
    assert "back to defaults" not in again.statusBar().currentMessage()
    again.close()


def test_a_csv_with_a_missing_class_is_refused_not_given_an_empty_class(qtbot, window, tmp_path):
    before = window.dataset
    gap = tmp_path / "gap.csv"
    gap.write_text("x1,x2,label\n0,0,1\n1,1,2\n2,2,1\n")
    assert not window.open_dataset(gap)
    assert window.dataset == before
    box = window.findChild(QMessageBox, "errorDialog")
    assert "class 0 has no point" in box.text() and "renumber them 0, 1" in box.text()
    box.close()


def test_the_loss_plot_follows_a_new_run_from_its_start(qtbot, window):
    window._worker.step(800)
    qtbot.waitUntil(lambda: window.last_snapshot.iteration == 800, timeout=10_000)
    qtbot.mouseClick(widget(window, QPushButton, "addLayerButton"), Qt.LeftButton)
    qtbot.waitUntil(lambda: window.last_snapshot.iteration == 0, timeout=10_000)
    qtbot.mouseClick(widget(window, QToolButton, "stepButton"), Qt.LeftButton)
    qtbot.waitUntil(lambda: window.frame.snapshot.iteration == 1, timeout=10_000)
    qtbot.wait(200)
    _low, high = window.loss_plot.cost_plot.viewRange()[0]
    assert high < 100  # not the previous run's 800 iterations


def test_opening_a_model_starts_a_run_from_its_weights(qtbot, window, tmp_path):
    from mlpviz.core import MLP, save_model

    model = MLP([2, 6, 1], "relu", seed=11)
    save_model(model, tmp_path / "model.npz")
    window._worker.step(5)
    qtbot.waitUntil(lambda: window.last_snapshot.iteration == 5, timeout=5000)
    assert window.open_model(tmp_path / "model.npz")
    qtbot.waitUntil(lambda: window.last_snapshot.net.layer_sizes == (2, 6, 1), timeout=5000)
    snapshot = window.last_snapshot
    assert snapshot.iteration == 0
    np.testing.assert_array_equal(snapshot.net.params, model.params)
    config = window.network_editor.network_config()
    assert [(layer.size, layer.activation) for layer in config.hidden] == [(6, "relu")]
    qtbot.mouseClick(widget(window, QToolButton, "stepButton"), Qt.LeftButton)
    qtbot.waitUntil(lambda: window.last_snapshot.iteration == 1, timeout=5000)
    assert window.last_snapshot.net.layer_sizes == (2, 6, 1)  # no second new run


@pytest.mark.parametrize(
    ("sizes", "expected"),
    [([2, 4, 3], "1 output unit (2 classes)"), ([3, 4, 1], "3 inputs"), ([2, 65, 1], "1 to 64")],
)
def test_a_model_that_does_not_fit_is_refused(qtbot, window, tmp_path, sizes, expected):
    from mlpviz.core import MLP, save_model

    save_model(MLP(sizes, seed=0), tmp_path / "other.npz")
    before = window.last_snapshot.net.params.copy()
    assert not window.open_model(tmp_path / "other.npz")
    box = window.findChild(QMessageBox, "errorDialog")
    assert expected in box.text() and "\n" not in box.text()
    box.close()
    qtbot.wait(100)
    np.testing.assert_array_equal(window.last_snapshot.net.params, before)


@pytest.mark.parametrize("size", [(683, 768), (800, 500), (1366, 768), (1920, 1080)])
def test_the_data_plane_stays_the_largest_view(qtbot, window, size):
    window.resize(*size)
    qtbot.waitUntil(lambda: window.width() == size[0], timeout=2000)
    qtbot.wait(100)
    plane = window.data_plane.width()
    for name in ("dataDock", "networkDock", "diagramDock", "lossDock"):
        assert plane > window.findChild(QDockWidget, name).width(), name


@pytest.mark.parametrize("size", [(800, 500), (1366, 768)])
def test_a_first_window_shares_its_right_column_and_a_short_loss_plot_shows_j_only(
    qtbot, settings, size
):
    """Without a stored layout, the diagram and the loss get about half the right column
    each (a small window's loss plot was a strip under a tall diagram); a loss plot too
    short for two plots hides the accuracy one rather than overlap their labels."""
    from mlpviz.gui import MainWindow
    from mlpviz.gui.loss_plot import COMPACT_HEIGHT

    main = MainWindow(settings=settings)
    qtbot.addWidget(main)
    main.resize(*size)
    main.show()
    qtbot.waitExposed(main)
    qtbot.wait(200)
    diagram, loss = (main.findChild(QDockWidget, name) for name in ("diagramDock", "lossDock"))
    assert loss.height() >= 0.4 * (diagram.height() + loss.height())
    plot = main.loss_plot
    assert plot.accuracy_plot.isVisible() == (plot.height() >= COMPACT_HEIGHT)
    main.close()


def test_the_loss_plot_hides_its_accuracy_plot_when_short_and_shows_it_again(qtbot):
    from mlpviz.gui.loss_plot import COMPACT_HEIGHT, LossPlot

    plot = LossPlot()
    qtbot.addWidget(plot)
    plot.resize(400, COMPACT_HEIGHT + 100)
    plot.show()
    qtbot.waitExposed(plot)
    assert plot.accuracy_plot.isVisible()
    plot.resize(400, COMPACT_HEIGHT - 60)
    qtbot.waitUntil(lambda: not plot.accuracy_plot.isVisible())
    plot.resize(400, COMPACT_HEIGHT + 100)
    qtbot.waitUntil(plot.accuracy_plot.isVisible)


def test_garbage_is_collected_in_the_gui_thread_only_while_a_window_is_open(qtbot, settings):
    """A collection in the worker's thread destroyed PySide wrappers there and froze the
    window: while a window lives, automatic collection is off and the GUI thread collects."""
    import gc
    import threading

    from mlpviz.gui import MainWindow

    collected_in = []
    gc.callbacks.append(lambda phase, info: collected_in.append(threading.current_thread()))
    main = MainWindow(settings=settings)
    qtbot.addWidget(main)
    try:
        assert not gc.isenabled()
        collected_in.clear()
        garbage = []
        for _ in range(5000):  # cycles, past generation 0's threshold
            cycle = []
            cycle.append(cycle)
            garbage.append(cycle)
        del garbage
        qtbot.waitUntil(lambda: bool(collected_in), timeout=3000)
        assert set(collected_in) == {threading.main_thread()}
    finally:
        main.close()
        gc.callbacks.pop()
    assert gc.isenabled()
