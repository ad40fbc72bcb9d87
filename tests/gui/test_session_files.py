"""Session files in the window: save, open, bad files, title, drop, recent, quit, autosave."""

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QMessageBox, QPushButton, QToolButton

from mlpviz.core.datasets import make_preset, save_csv
from mlpviz.gui.autosave import autosave_folder

TIMEOUT_MS = 10_000
ROOT = Path(__file__).resolve().parents[2]


def new_window(qtbot, settings):
    from mlpviz.gui import MainWindow

    main = MainWindow(settings=settings)
    qtbot.addWidget(main)
    main.show()
    qtbot.waitUntil(lambda: main.last_snapshot is not None, timeout=TIMEOUT_MS)
    return main


def step(qtbot, window, times=1):
    target = window.last_snapshot.iteration + times
    for _ in range(times):
        qtbot.mouseClick(window.findChild(QToolButton, "stepButton"), Qt.LeftButton)
    qtbot.waitUntil(lambda: window.last_snapshot.iteration == target, timeout=TIMEOUT_MS)
    return window.last_snapshot


def use_adam_mini_batches(qtbot, window):
    from mlpviz.core.config import HiddenLayer, NetworkConfig, TrainingConfig

    window.state.set_network_config(NetworkConfig((HiddenLayer(5, "tanh"),), seed=2))
    window.state.set_training_config(TrainingConfig("adam", 0.02, batch_size=16))
    qtbot.waitUntil(lambda: window.last_snapshot.net.depth == 2, timeout=TIMEOUT_MS)


def test_opening_a_saved_session_continues_bit_for_bit(qtbot, window, settings, tmp_path):
    use_adam_mini_batches(qtbot, window)
    step(qtbot, window, 7)
    path = tmp_path / "lab.mlpviz"
    assert window.save_session(path)
    assert window.windowTitle().startswith("lab.mlpviz") and not window.isWindowModified()
    after_save = step(qtbot, window).net.params.copy()

    other = new_window(qtbot, settings)
    assert other.open_session(path)
    qtbot.waitUntil(lambda: other.last_snapshot.iteration == 7, timeout=TIMEOUT_MS)
    assert other.dataset == window.dataset
    assert other.state.training_config == window.state.training_config
    assert other.last_snapshot.timeline == tuple(range(8))
    np.testing.assert_array_equal(step(qtbot, other).net.params, after_save)
    other.close()


@pytest.mark.parametrize(
    "content", [b"", b"not a zip at all", b"PK\x03\x04truncated", b"PK\x05\x06" + bytes(18)]
)
def test_a_bad_session_file_says_why_and_changes_nothing(qtbot, window, tmp_path, content):
    step(qtbot, window, 3)
    before = (window.dataset, window.last_snapshot.iteration, window.windowTitle())
    path = tmp_path / "bad.mlpviz"
    path.write_bytes(content)
    assert not window.open_session(path)
    box = window.findChild(QMessageBox, "errorDialog")
    assert box is not None and "bad.mlpviz" in box.text() and "\n" not in box.text()
    box.close()
    qtbot.wait(100)
    assert (window.dataset, window.last_snapshot.iteration, window.windowTitle()) == before


def test_the_title_shows_the_file_and_unsaved_changes(qtbot, window, tmp_path):
    assert window.windowTitle() == "Untitled[*] — mlpviz"
    step(qtbot, window)
    assert window.isWindowModified()
    window.save_session(tmp_path / "demo.mlpviz")
    assert window.windowTitle() == "demo.mlpviz[*] — mlpviz"
    assert not window.isWindowModified()
    qtbot.mouseClick(window.findChild(QPushButton, "classButton1"), Qt.LeftButton)
    window._edit_dataset(window.dataset.with_points([[0.5, 0.5]], 1), "Add a point")
    assert window.isWindowModified()


def drop(window, path):
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    enter = QDragEnterEvent(
        window.rect().center(), Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier
    )
    QApplication.sendEvent(window, enter)
    assert enter.isAccepted()
    event = QDropEvent(
        QPointF(window.rect().center()), Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier
    )
    QApplication.sendEvent(window, event)


def test_dropping_a_csv_or_a_session_opens_it(qtbot, window, tmp_path):
    moons = make_preset("moons", n=60, seed=4)
    save_csv(moons, tmp_path / "moons.csv")
    drop(window, tmp_path / "moons.csv")
    assert window.dataset == moons
    qtbot.waitUntil(lambda: window.last_snapshot.iteration == 0, timeout=TIMEOUT_MS)
    step(qtbot, window, 2)
    window.save_session(tmp_path / "moons.mlpviz")
    window._edit_dataset(make_preset("xor", n=40, seed=1), "Generate xor", new_run=True)
    window.state.mark_saved()  # nothing to ask about
    drop(window, tmp_path / "moons.mlpviz")
    assert window.dataset == moons
    qtbot.waitUntil(lambda: window.last_snapshot.iteration == 2, timeout=TIMEOUT_MS)


def test_recent_sessions_are_listed(qtbot, window, tmp_path):
    window.save_session(tmp_path / "first.mlpviz")
    window.save_session(tmp_path / "second.mlpviz")
    window._fill_recent_menu()
    names = [action.text() for action in window._recent_menu.actions()]
    assert names == ["second.mlpviz", "first.mlpviz"]


def test_quit_with_unsaved_changes_asks_and_discard_closes(qtbot, window):
    step(qtbot, window)
    thread = window._thread
    window.quit()
    box = window.findChild(QMessageBox, "unsavedChangesDialog")
    assert box is not None and window.isVisible()
    qtbot.mouseClick(box.button(QMessageBox.Discard), Qt.LeftButton)
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=TIMEOUT_MS)
    assert thread.isFinished()


def test_quit_then_cancel_keeps_the_window(qtbot, window):
    step(qtbot, window)
    window.quit()
    box = window.findChild(QMessageBox, "unsavedChangesDialog")
    qtbot.mouseClick(box.button(QMessageBox.Cancel), Qt.LeftButton)
    qtbot.wait(100)
    assert window.isVisible() and window._thread.isRunning()


CHILD = textwrap.dedent(
    """
    import sys, time
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication
    import mlpviz.gui.autosave
    from mlpviz.core.datasets import load_csv
    from mlpviz.gui import MainWindow

    mlpviz.gui.autosave.EDIT_DELAY_SECONDS = 0.3  # the app's 3 s, shortened for the test
    mlpviz.gui.autosave.CHECK_INTERVAL_MS = 100
    app = QApplication([])
    window = MainWindow(QSettings(sys.argv[1], QSettings.IniFormat))
    window.show()
    window.open_dataset(sys.argv[2])
    window._worker.step(25)
    deadline = time.monotonic() + 20
    while not window._autosave.path.exists() and time.monotonic() < deadline:
        app.processEvents()
        time.sleep(0.02)
    print("autosaved" if window._autosave.path.exists() else "no autosave", flush=True)
    while True:  # until killed
        app.processEvents()
        time.sleep(0.02)
    """
)


def test_the_work_comes_back_after_a_kill(qtbot, settings, tmp_path):
    points = make_preset("circles", n=80, seed=9)
    save_csv(points, tmp_path / "circles.csv")
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(tmp_path / "child.ini"), str(tmp_path / "circles.csv")],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT), "QT_QPA_PLATFORM": "offscreen"},
    )
    try:
        assert child.stdout.readline().strip() == "autosaved"
        time.sleep(0.5)  # the training thread may still be writing a newer copy
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
        child.stdout.close()
    assert list(autosave_folder().glob("autosave-*.mlpviz"))

    window = new_window(qtbot, settings)
    bar = window.recovery_bar
    assert bar.isVisible() and "Restore the session from" in bar._label.text()
    qtbot.mouseClick(window.findChild(QPushButton, "restoreButton"), Qt.LeftButton)
    qtbot.waitUntil(lambda: window.dataset == points, timeout=TIMEOUT_MS)
    qtbot.waitUntil(lambda: window.last_snapshot.iteration == 25, timeout=TIMEOUT_MS)
    assert not bar.isVisible()
    assert not [
        p for p in autosave_folder().glob("autosave-*.mlpviz") if p != window._autosave.path
    ]
    window.close()


def test_a_clean_quit_leaves_nothing_to_restore(qtbot, settings, fast_autosave):
    window = new_window(qtbot, settings)
    window._edit_dataset(make_preset("xor", n=30, seed=0), "Generate xor", new_run=True)
    qtbot.waitUntil(window._autosave.path.exists, timeout=TIMEOUT_MS)
    window.close()
    assert not list(autosave_folder().glob("autosave-*.mlpviz"))
    again = new_window(qtbot, settings)
    assert not again.recovery_bar.isVisible()
    again.close()
