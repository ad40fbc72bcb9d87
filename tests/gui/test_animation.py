"""File ▸ Export animation… and Export model as PyTorch… in the window."""

import ast
import threading

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QProgressDialog, QPushButton, QToolButton

import mlpviz.gui.animation
import mlpviz.gui.main_window
import mlpviz.render_animation
from mlpviz.gui.animation import AnimationDialog
from mlpviz.render_animation import VIDEO_HINT, render_frame, rgb_array, timeline_frames

from .test_timeline import TIMEOUT_MS, find, play_until

SIZE = 160


def menu_action(window, text):
    actions = [action for action in window.actions() if action.text() == text]
    assert len(actions) == 1, text
    return actions[0]


def answer_save_dialogs_with(monkeypatch, path):
    """The file dialog returns ``path``, as if the user had chosen it."""
    monkeypatch.setattr(
        mlpviz.gui.main_window.QFileDialog,
        "getSaveFileName",
        lambda *args, **kwargs: (str(path), ""),
    )


def open_animation_dialog(qtbot, window) -> AnimationDialog:
    menu_action(window, "Export &animation…").trigger()
    qtbot.waitUntil(lambda: window.findChild(AnimationDialog) is not None, timeout=TIMEOUT_MS)
    dialog = window.findChild(AnimationDialog)
    qtbot.waitUntil(dialog.isVisible, timeout=TIMEOUT_MS)
    return dialog


def export_from_the_menu(qtbot, window, seconds=2.0):
    """File ▸ Export animation…, the smallest GIF, Export…; returns the progress dialog."""
    dialog = open_animation_dialog(qtbot, window)
    dialog.size_box.setCurrentIndex(0)
    dialog.seconds_box.setValue(seconds)
    qtbot.mouseClick(find(dialog, QPushButton, "animationExportButton"), Qt.LeftButton)
    qtbot.waitUntil(lambda: window._animation is not None, timeout=TIMEOUT_MS)
    return window._animation.dialog


@pytest.fixture
def gated_frames(monkeypatch):
    """Frames after the second wait until the test opens the gate, the export is cancelled
    (the frame being rendered then ends) or 20 s pass."""
    gate = threading.Event()
    drawn = []
    real = mlpviz.render_animation.render_frame
    real_cancel = mlpviz.gui.animation.AnimationExport.cancel

    def cancel_opening_the_gate(export):
        real_cancel(export)
        gate.set()

    def render_when_allowed(*args, **kwargs):
        if len(drawn) >= 2:
            gate.wait(20)
        drawn.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(mlpviz.render_animation, "render_frame", render_when_allowed)
    monkeypatch.setattr(mlpviz.gui.animation.AnimationExport, "cancel", cancel_opening_the_gate)
    yield gate, drawn
    gate.set()


def test_export_animation_replays_the_timeline_from_its_first_checkpoint(qtbot, window, tmp_path):
    play_until(qtbot, window, 40)
    path = tmp_path / "run.gif"
    window.export_animation(path, seconds=5, size=SIZE)
    with window._worker.lock:
        first = timeline_frames(window._worker.session)[0]
    with Image.open(path) as gif:
        assert gif.n_frames == 41  # one per checkpoint: iterations 0…40
        pictures = []
        for index in range(gif.n_frames):
            gif.seek(index)
            pictures.append(np.asarray(gif.convert("RGB")).astype(float))
    assert len({picture.tobytes() for picture in pictures}) >= 20
    expected = rgb_array(render_frame(first, ["dataPlane"], SIZE, 0.0)).astype(float)
    assert first.snapshot.iteration == 0
    assert np.abs(pictures[0] - expected).mean() < 1.0  # the palette's rounding only


def test_the_progress_dialogs_cancel_leaves_no_file_and_the_window_works_meanwhile(
    qtbot, window, tmp_path, monkeypatch, gated_frames
):
    gate, drawn = gated_frames
    play_until(qtbot, window, 30)
    out = tmp_path / "out"
    out.mkdir()
    answer_save_dialogs_with(monkeypatch, out / "run.gif")
    progress = export_from_the_menu(qtbot, window)
    assert isinstance(progress, QProgressDialog)
    qtbot.waitUntil(lambda: progress.isVisible() and len(drawn) >= 2, timeout=TIMEOUT_MS)
    # The export's thread waits at its third frame; the window still trains when asked.
    qtbot.mouseClick(find(window, QToolButton, "stepButton"), Qt.LeftButton)
    qtbot.waitUntil(lambda: window.last_snapshot.iteration == 31, timeout=TIMEOUT_MS)
    menu_action(window, "Export &animation…").trigger()  # one export at a time
    assert window.findChild(AnimationDialog) is None
    qtbot.mouseClick(progress.findChild(QPushButton), Qt.LeftButton)  # its only button: Cancel
    gate.set()
    qtbot.waitUntil(lambda: not window._animation.is_running(), timeout=TIMEOUT_MS)
    qtbot.waitUntil(lambda: "cancelled" in window.statusBar().currentMessage(), timeout=TIMEOUT_MS)
    assert not progress.isVisible()
    assert list(out.iterdir()) == []


def test_the_menus_export_writes_the_file_and_says_so(qtbot, window, tmp_path, monkeypatch):
    play_until(qtbot, window, 25)
    path = tmp_path / "out.gif"
    answer_save_dialogs_with(monkeypatch, tmp_path / "out")  # the suffix is added
    progress = export_from_the_menu(qtbot, window)
    qtbot.waitUntil(lambda: path.exists() and not window._animation.is_running(), timeout=60_000)
    qtbot.waitUntil(lambda: f"Saved {path}" in window.statusBar().currentMessage())
    assert not progress.isVisible()
    with Image.open(path) as gif:
        assert gif.n_frames == 26


def test_a_failed_animation_export_says_why(qtbot, window, tmp_path, monkeypatch):
    answer_save_dialogs_with(monkeypatch, tmp_path / "no such folder" / "run.gif")
    export_from_the_menu(qtbot, window)
    qtbot.waitUntil(lambda: window.findChild(QMessageBox, "errorDialog") is not None)
    box = window.findChild(QMessageBox, "errorDialog")
    assert "no such folder" in box.text() and "Traceback" not in box.text()


def test_closing_the_window_stops_the_export_and_leaves_no_file(
    qtbot, window, tmp_path, monkeypatch, gated_frames
):
    _, drawn = gated_frames
    play_until(qtbot, window, 25)
    answer_save_dialogs_with(monkeypatch, tmp_path / "run.gif")
    export_from_the_menu(qtbot, window)
    qtbot.waitUntil(lambda: len(drawn) >= 2, timeout=TIMEOUT_MS)
    export = window._animation
    window.close()
    assert not export.is_running()
    assert not (tmp_path / "run.gif").exists()


def test_without_imageio_ffmpeg_the_dialog_says_how_to_get_mp4(qtbot, window, monkeypatch):
    monkeypatch.setattr(mlpviz.gui.animation, "video_available", lambda: False)
    dialog = open_animation_dialog(qtbot, window)
    assert dialog.video_note.isVisible()
    assert dialog.video_note.text() == VIDEO_HINT
    assert 'pip install "mlpviz[video]"' in dialog.video_note.text()
    assert not dialog.format_box.model().item(1).isEnabled()  # MP4, greyed out
    assert dialog.settings().suffix == ".gif"


def test_with_imageio_ffmpeg_the_dialog_offers_mp4_in_video_sizes(qtbot, window, monkeypatch):
    monkeypatch.setattr(mlpviz.gui.animation, "video_available", lambda: True)
    dialog = open_animation_dialog(qtbot, window)
    assert not dialog.video_note.isVisible()
    dialog.format_box.setCurrentIndex(1)
    assert dialog.settings().suffix == ".mp4"
    sizes = [dialog.size_box.itemData(i) for i in range(dialog.size_box.count())]
    assert sizes == list(mlpviz.render_animation.VIDEO_SIZES)
    assert dialog.settings().size == 480  # the size chosen for the GIF carries over


def test_export_model_as_pytorch_writes_the_weights_shown(qtbot, window, tmp_path, monkeypatch):
    play_until(qtbot, window, 20)
    path = tmp_path / "model.py"
    answer_save_dialogs_with(monkeypatch, path)
    menu_action(window, "Export model as &PyTorch…").trigger()
    qtbot.waitUntil(lambda: f"Saved {path}" in window.statusBar().currentMessage())
    tree = ast.parse(path.read_text())
    values = {
        node.targets[0].id: node.value
        for node in tree.body
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name)
    }
    weights = ast.literal_eval(values["WEIGHTS"])
    net = window.frame.snapshot.net
    assert window.frame.snapshot.iteration == 20
    for W, text in zip(net.weights, weights):
        assert np.array_equal(np.array(text), W)


def test_the_dialogs_feature_space_box_exports_both_views_side_by_side(
    qtbot, window, tmp_path, monkeypatch
):
    play_until(qtbot, window, 25)
    path = tmp_path / "both.gif"
    answer_save_dialogs_with(monkeypatch, path)
    dialog = open_animation_dialog(qtbot, window)
    box = dialog.feature_space_box
    assert box.isEnabled()
    box.setChecked(True)
    dialog.size_box.setCurrentIndex(0)
    dialog.seconds_box.setValue(2.0)
    settings = dialog.settings()
    assert settings.views == ("dataPlane", "featureSpacePlot")
    qtbot.mouseClick(find(dialog, QPushButton, "animationExportButton"), Qt.LeftButton)
    qtbot.waitUntil(lambda: window._animation is not None, timeout=TIMEOUT_MS)
    qtbot.waitUntil(lambda: path.exists() and not window._animation.is_running(), timeout=60_000)
    with Image.open(path) as gif:
        assert gif.n_frames == 26
        assert gif.size[0] == 2 * settings.size
