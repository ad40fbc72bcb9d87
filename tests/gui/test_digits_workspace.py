"""The digits workspace in the main window: the switch, its own controls and run, sessions
that open in their workspace, unique object names."""

from collections import Counter

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDockWidget, QLabel, QSlider, QToolButton, QWidget

from mlpviz.core.config import HiddenLayer
from mlpviz.core.session import Session

pytest.importorskip("sklearn", reason="the 8×8 digits come with scikit-learn")


def open_digits(qtbot, window):
    """Click the Digits switch and wait for the 8×8 digits' first frame."""
    qtbot.mouseClick(window.findChild(QToolButton, "digitsWorkspaceButton"), Qt.LeftButton)
    workspace = window.digits_workspace
    qtbot.waitUntil(lambda: workspace.frame is not None, timeout=20_000)
    return workspace


def named(window, name):
    found = window.findChild(QWidget, name)
    assert found is not None, name
    return found


def test_the_switch_shows_the_digits_and_puts_the_points_back_as_they_were(qtbot, window):
    docks = {dock.objectName(): dock.isVisible() for dock in window.findChildren(QDockWidget)}
    workspace = open_digits(qtbot, window)
    assert window.workspace == "digits"
    assert workspace.isVisible() and not window.data_plane.isVisible()
    assert not any(dock.isVisible() for dock in window.findChildren(QDockWidget))
    assert not window.toolbar.isVisible() and not window.timeline_bar.isVisible()
    assert window.frame is workspace.frame
    assert window.frame.dataset.workspace == "digits"
    assert window.frame.snapshot.net.layer_sizes == (64, 32, 10)
    assert "(digits)" in window.windowTitle()

    qtbot.mouseClick(named(window, "pointsWorkspaceButton"), Qt.LeftButton)
    assert window.workspace == "2d"
    assert window.data_plane.isVisible() and not workspace.isVisible()
    assert {d.objectName(): d.isVisible() for d in window.findChildren(QDockWidget)} == docks
    assert window.frame.dataset.workspace == "2d"


def test_points_only_menu_entries_are_disabled_in_the_digits(qtbot, window):
    actions = {action.text(): action for action in window.actions()}
    open_csv = actions["Open &dataset (CSV)…"]
    assert open_csv.isEnabled()
    open_digits(qtbot, window)
    assert not open_csv.isEnabled()
    assert actions["&Save session"].isEnabled()
    window.set_workspace("2d")
    assert open_csv.isEnabled()


def test_the_digits_play_pause_and_step_with_their_own_buttons(qtbot, window):
    workspace = open_digits(qtbot, window)
    points_iteration = window.last_snapshot.iteration
    play = named(window, "digitsPlayButton")
    qtbot.mouseClick(play, Qt.LeftButton)
    qtbot.waitUntil(lambda: workspace.frame.snapshot.iteration > 200, timeout=20_000)
    qtbot.mouseClick(play, Qt.LeftButton)
    qtbot.waitUntil(lambda: not workspace.frame.snapshot.running, timeout=10_000)
    paused = workspace.frame.snapshot.iteration
    qtbot.mouseClick(named(window, "digitsStepButton"), Qt.LeftButton)
    qtbot.waitUntil(lambda: workspace.frame.snapshot.iteration == paused + 1, timeout=10_000)
    assert window.last_snapshot.iteration == points_iteration  # the 2-D run did not move
    assert "Iteration" in named(window, "metricsLabel").text()
    assert f"{paused + 1:,}" in named(window, "digitsIterationLabel").text()


def test_leaving_the_digits_pauses_them(qtbot, window):
    workspace = open_digits(qtbot, window)
    qtbot.mouseClick(named(window, "digitsPlayButton"), Qt.LeftButton)
    qtbot.waitUntil(lambda: workspace.frame.snapshot.running, timeout=10_000)
    window.set_workspace("2d")
    qtbot.waitUntil(lambda: not workspace.frame.snapshot.running, timeout=10_000)
    assert not named(window, "digitsPlayButton").isChecked()


def test_the_epoch_progress_follows_the_run(qtbot, window):
    workspace = open_digits(qtbot, window)
    bar = named(window, "digitsEpochProgress")
    per_epoch = workspace.worker.session.iterations_per_epoch
    for _ in range(per_epoch // 2):
        workspace.worker.step()
    qtbot.waitUntil(lambda: workspace.frame.snapshot.iteration == per_epoch // 2, timeout=10_000)
    expected = round(1000 * (per_epoch // 2) * 32 / 1438)
    assert abs(bar.value() - expected) <= 25
    assert bar.text().startswith("epoch 1:")


QT_OWN_NAMES = {"ScrollLeftButton", "ScrollRightButton"}  # every QTabBar's arrows


def test_every_object_name_is_unique_with_both_workspaces(qtbot, window):
    open_digits(qtbot, window)
    names = [
        widget.objectName()
        for widget in window.findChildren(QWidget)
        if widget.objectName()
        and not widget.objectName().startswith("qt_")
        and widget.objectName() not in QT_OWN_NAMES
    ]
    repeated = {name: count for name, count in Counter(names).items() if count > 1}
    assert repeated == {}
    for name in ("digitsTimelineSlider", "digitsPlayButton", "digitsHiddenLayerSize0"):
        assert named(window, name).isVisible()
    assert isinstance(named(window, "timelineSlider"), QSlider)


def test_a_new_layer_in_the_digits_editor_rebuilds_the_digits_net(qtbot, window):
    workspace = open_digits(qtbot, window)
    qtbot.mouseClick(named(window, "digitsAddLayerButton"), Qt.LeftButton)
    qtbot.waitUntil(
        lambda: workspace.frame.snapshot.net.layer_sizes == (64, 32, 32, 10), timeout=10_000
    )
    assert named(window, "digitsHiddenLayerSize1").value() == 32
    assert named(window, "digitsHiddenLayerSize1").maximum() == 512


def test_a_digits_session_opens_in_the_digits_workspace(qtbot, window, tmp_path):
    workspace = open_digits(qtbot, window)
    for _ in range(30):
        workspace.worker.step()
    qtbot.waitUntil(lambda: workspace.frame.snapshot.iteration == 30, timeout=10_000)
    path = tmp_path / "digits.mlpviz"
    assert window.save_session(path)
    assert Session.load(path, workspace=None).workspace == "digits"
    assert not workspace.state.modified
    points = tmp_path / "points.mlpviz"
    window.set_workspace("2d")
    assert window.save_session(points)
    assert Session.load(points).workspace == "2d"

    workspace.worker.reset()
    qtbot.waitUntil(lambda: workspace.frame.snapshot.iteration == 0, timeout=10_000)
    assert window.open_session(path)
    assert window.workspace == "digits"
    qtbot.waitUntil(lambda: window.frame.snapshot.iteration == 30, timeout=10_000)
    assert window.windowTitle().startswith("digits.mlpviz")
    assert window.open_session(points)
    assert window.workspace == "2d"


def test_a_digits_session_opens_in_a_fresh_window_that_never_showed_the_digits(
    qtbot, window, tmp_path, settings
):
    from mlpviz.core.config import DigitsNetworkConfig, TrainingConfig
    from mlpviz.core.digits import load_digits_8x8, timeline_options

    data = load_digits_8x8(0)
    session = Session(
        data,
        DigitsNetworkConfig((HiddenLayer(16, "tanh"),)),
        TrainingConfig("sgd", 0.1, 64),
        **timeline_options(data),
    )
    session.step(12)
    path = tmp_path / "tanh.mlpviz"
    session.save(path)
    assert window.open_session(path)
    workspace = window.digits_workspace
    qtbot.waitUntil(lambda: workspace.frame is not None, timeout=10_000)
    qtbot.waitUntil(lambda: workspace.frame.snapshot.iteration == 12, timeout=10_000)
    assert workspace.frame.snapshot.net.layer_sizes == (64, 16, 10)
    assert np.array_equal(workspace.frame.snapshot.net.params, session.net.params)
    assert named(window, "digitsHiddenLayerSize0").value() == 16


def test_the_digits_timeline_scrubs_their_run(qtbot, window):
    workspace = open_digits(qtbot, window)
    for _ in range(20):
        workspace.worker.step()
    qtbot.waitUntil(lambda: workspace.frame.snapshot.iteration == 20, timeout=10_000)
    slider = named(window, "digitsTimelineSlider")
    slider.setValue(3)
    qtbot.waitUntil(lambda: workspace.frame.checkpoint == 3, timeout=10_000)
    assert workspace.frame.snapshot.iteration == 3
    assert window.frame.checkpoint == 3


def test_bad_mnist_files_say_why_and_keep_the_run(qtbot, window, tmp_path):
    workspace = open_digits(qtbot, window)
    bad = tmp_path / "train-images-idx3-ubyte"
    bad.write_bytes(b"\x00\x00\x08\x01" + b"\x00" * 12)
    before = workspace.frame.dataset
    workspace.load(str(bad))
    qtbot.waitUntil(lambda: window.findChild(QWidget, "errorDialog") is not None, timeout=10_000)
    dialog = window.findChild(QWidget, "errorDialog")
    assert dialog.text() and "\n" not in dialog.text()
    assert workspace.frame.dataset is before
    assert "8×8 digits" in named(window, "digitsDataLabel").text()


def test_without_scikit_learn_the_workspace_says_how_to_get_the_digits(qtbot, window, monkeypatch):
    from mlpviz.core import digits

    def missing(*_args, **_kwargs):
        raise digits.DatasetError(digits.MISSING_SKLEARN)

    monkeypatch.setattr("mlpviz.gui.digits_workspace.load_digits_8x8", missing)
    window.set_workspace("digits")
    waiting = window.findChild(QLabel, "digitsWaitingLabel")
    qtbot.waitUntil(lambda: "scikit-learn" in waiting.text(), timeout=10_000)
    assert "pip install" in waiting.text()
    assert not named(window, "digitsPlayButton").isEnabled()
    assert not window.digits_workspace.started


def test_the_digits_autosave_and_a_crash_left_digits_file_restores_in_the_digits(
    qtbot, fast_autosave, window, settings
):
    from mlpviz.gui import MainWindow
    from mlpviz.gui.autosave import autosave_folder

    workspace = open_digits(qtbot, window)
    for _ in range(7):
        workspace.worker.step()
    qtbot.waitUntil(lambda: workspace.frame.snapshot.iteration == 7, timeout=10_000)
    workspace.state.set_training_config(
        workspace.state.training_config.__class__("adam", 0.02, 32)
    )  # an edit: saved within a few seconds, by the digits' own autosave
    qtbot.waitUntil(workspace.autosave.path.exists, timeout=15_000)
    assert workspace.autosave.path != window._autosave.path
    saved = Session.load(workspace.autosave.path, workspace=None)
    assert saved.workspace == "digits" and saved.iteration == 7

    orphan = autosave_folder() / "autosave-999999999-1.mlpviz"  # no such process
    workspace.autosave.path.rename(orphan)
    again = MainWindow(settings=settings)
    qtbot.addWidget(again)
    again.show()
    qtbot.waitUntil(lambda: again.recovery_bar.isVisible(), timeout=10_000)
    qtbot.mouseClick(again.findChild(QWidget, "restoreButton"), Qt.LeftButton)
    assert again.workspace == "digits"
    restored = again.digits_workspace
    qtbot.waitUntil(lambda: restored.frame is not None, timeout=10_000)
    qtbot.waitUntil(lambda: restored.frame.snapshot.iteration == 7, timeout=10_000)
    assert restored.state.modified and restored.state.path is None
    assert not orphan.exists()
    again.close()


def test_a_session_opened_while_the_digits_load_is_not_replaced_by_them(qtbot, window, tmp_path):
    """Opening the workspace starts loading the 8×8 digits in the background; a session
    adopted meanwhile must keep its own data when that load ends."""
    from mlpviz.core.config import DigitsNetworkConfig, TrainingConfig
    from mlpviz.core.digits import ImageDataset, timeline_options

    rng = np.random.default_rng(0)
    data = ImageDataset(
        rng.random((50, 64), dtype=np.float32), np.arange(50) % 10, np.arange(50) >= 40
    )
    session = Session(
        data,
        DigitsNetworkConfig((HiddenLayer(8, "relu"),)),
        TrainingConfig("adam", 0.01, 8),
        **timeline_options(data),
    )
    window.set_workspace("digits")  # the 8×8 digits start loading
    window.digits_workspace.adopt_session(session, None)
    qtbot.wait(1500)  # longer than the 8×8 digits take to load
    assert window.digits_workspace.frame.dataset is data
    assert "40 training" in named(window, "digitsDataLabel").text()


DIGITS_FIGURES = (
    "digitsLossPlot",
    "weightTiles",
    "confusionMatrix",
    "misclassifiedGallery",
    "digitsFeatureSpacePlot",
    "digitsNetworkDiagram",
)


def test_the_digits_views_export_as_figures_hidden_or_not(qtbot, window, tmp_path):
    from PySide6.QtGui import QImage

    workspace = open_digits(qtbot, window)
    for _ in range(40):
        workspace.worker.step()
    qtbot.waitUntil(lambda: workspace.frame.snapshot.iteration == 40, timeout=10_000)
    for name in DIGITS_FIGURES:  # most of them behind a tab
        path = tmp_path / f"{name}.png"
        window.export_view(name, path, width=800, height=600)
        image = QImage(str(path))
        assert (image.width(), image.height()) == (800, 600), name
        assert len({image.pixel(x, y) for x in range(0, 800, 40) for y in range(0, 600, 40)}) > 3
    window.export_view("confusionMatrix", tmp_path / "confusion.svg")
    assert (tmp_path / "confusion.svg").read_text().lstrip().startswith("<?xml")
    with pytest.raises(ValueError, match="nothing to show"):
        window.export_view("dataPlane", tmp_path / "plane.png")


def test_the_export_dialog_offers_the_active_workspace_s_views(qtbot, window):
    from mlpviz.gui import figures

    open_digits(qtbot, window)
    offered = [name for name in figures.FIGURE_VIEWS if window._shows(name)]
    assert offered == list(DIGITS_FIGURES)
    window.set_workspace("2d")
    offered = [name for name in figures.FIGURE_VIEWS if window._shows(name)]
    assert "dataPlane" in offered and not set(offered) & set(DIGITS_FIGURES)


def test_the_window_stays_as_small_as_the_points_allow_and_shows_the_digits_small(qtbot, window):
    """The digits' columns must not hold the window wide in the 2-D workspace (800×500
    screens), the digits fit such a window, and going back keeps the window's size (the 2-D
    bars shown again first widened it) and lets it be as small again."""
    window.resize(760, 560)
    qtbot.waitUntil(lambda: window.width() == 760)
    workspace = open_digits(qtbot, window)
    window.resize(800, 500)
    qtbot.waitUntil(lambda: window.size().toTuple() == (800, 500))
    views = workspace.view_tabs
    assert views.width() > workspace.width() / 3  # the views keep the largest share
    window.set_workspace("2d")
    qtbot.waitUntil(lambda: window.size().toTuple() == (800, 500))
    qtbot.wait(200)  # and it stays so once the docks and bars shown again are laid out
    assert window.size().toTuple() == (800, 500)
    window.resize(760, 560)
    qtbot.waitUntil(lambda: window.width() == 760)


def test_an_mnist_shaped_session_draws_28x28_everywhere(qtbot, window):
    from mlpviz.core.config import DigitsNetworkConfig, TrainingConfig
    from mlpviz.core.digits import ImageDataset, timeline_options

    rng = np.random.default_rng(1)
    m = 300
    data = ImageDataset(
        rng.random((m, 784), dtype=np.float32), np.arange(m) % 10, np.arange(m) >= 250
    )
    network = DigitsNetworkConfig((HiddenLayer(20, "relu"),))
    session = Session(data, network, TrainingConfig("adam", 0.01, 25), **timeline_options(data))
    session.step(10)
    window._adopt_session(session)
    workspace = window.digits_workspace
    qtbot.waitUntil(lambda: workspace.frame is not None, timeout=10_000)
    qtbot.waitUntil(lambda: workspace.frame.snapshot.iteration == 10, timeout=10_000)
    for index in range(workspace.view_tabs.count()):  # every view draws the frame shown
        workspace.view_tabs.setCurrentIndex(index)
        qtbot.wait(50)
    assert workspace.weight_tiles.tiles.tiles.shape == (20, 28, 28)
    assert "(28×28)" in named(window, "processedDrawingCaption").text()
    assert workspace.confusion.matrix.sum() == 50
    assert "784" in named(window, "digitsArchitectureLabel").text()
