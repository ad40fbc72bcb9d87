"""Keys under a real X server (Xvfb, the xcb platform): offscreen hides keyboard bugs.

On X11, QKeySequence.Redo *is* Ctrl+Shift+Z: registering both makes an ambiguous shortcut
that does nothing, which the offscreen platform (whose Redo is Ctrl+Y) never shows. The
checks run in a child process on the xcb platform under xvfb-run and report back as JSON.
"""

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(
    shutil.which("xvfb-run") is None, reason="needs Xvfb (apt-get install xvfb)"
)

CHILD = textwrap.dedent(
    """
    import json, sys, time
    from PySide6.QtCore import QEventLoop, QSettings, Qt, QTimer, qInstallMessageHandler
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication, QDockWidget, QMessageBox
    from mlpviz.gui import MainWindow

    warnings = []
    qInstallMessageHandler(lambda kind, context, text: warnings.append(text))
    app = QApplication([])
    window = MainWindow(QSettings(sys.argv[1], QSettings.IniFormat))
    window.resize(1366, 768)
    window.show()
    window.activateWindow()
    QTest.qWaitForWindowActive(window, 5000)

    def until(condition, seconds=20.0):
        # An event loop, not QTest.qWait: PySide6's qWait holds the GIL, and the digits'
        # loading thread then took 45 s to import scikit-learn.
        deadline = time.monotonic() + seconds
        while not condition() and time.monotonic() < deadline:
            loop = QEventLoop()
            QTimer.singleShot(20, loop.quit)
            loop.exec()
        return condition()

    until(lambda: window.last_snapshot is not None)
    results = {"platform": QApplication.platformName()}
    original = window.dataset
    window._edit_dataset(original.with_points([[1.0, 1.0]], 1), "Add a point")
    edited = window.dataset
    QTest.keyClick(window, Qt.Key_Z, Qt.ControlModifier)
    results["undo"] = window.dataset == original
    QTest.keyClick(window, Qt.Key_Z, Qt.ControlModifier | Qt.ShiftModifier)
    results["redo ctrl+shift+z"] = window.dataset == edited
    QTest.keyClick(window, Qt.Key_Z, Qt.ControlModifier)
    QTest.keyClick(window, Qt.Key_Y, Qt.ControlModifier)
    results["redo ctrl+y"] = window.dataset == edited

    rate = window.findChild(object, "learningRateInput")
    field = rate.lineEdit()
    field.setFocus()
    until(field.hasFocus)
    field.selectAll()
    QTest.keyClicks(field, "0.5")
    QTest.keyClick(field, Qt.Key_Return)
    results["alpha"] = window.state.training_config.learning_rate
    # Typing into α may have shown the field's completer popup: a person's next key comes
    # after it has closed and the window is active again.
    until(lambda: window.data_plane.hasFocus() and QApplication.activeWindow() is window)
    results["focus back on the plane"] = window.data_plane.hasFocus()
    QTest.keyClick(QApplication.focusWidget(), Qt.Key_Space)
    results["space plays"] = until(lambda: window.last_snapshot.running)
    QTest.keyClick(QApplication.focusWidget(), Qt.Key_Space)
    results["space pauses"] = until(lambda: not window.last_snapshot.running)
    before = window.last_snapshot.iteration
    QTest.keyClick(QApplication.focusWidget(), Qt.Key_Right)
    results["right steps"] = until(lambda: window.last_snapshot.iteration == before + 1)
    QTest.keyClick(QApplication.focusWidget(), Qt.Key_2)
    results["key 2 chooses class 2"] = window.data_plane.current_class() == 2
    results["alpha kept"] = window.state.training_config.learning_rate

    data_dock = window.findChild(QDockWidget, "dataDock")
    QTest.keyClick(window, Qt.Key_F11)
    results["f11 presents"] = until(lambda: window.isFullScreen() and not data_dock.isVisible())
    QTest.keyClick(window, Qt.Key_F11)
    results["f11 again leaves"] = until(lambda: not window.isFullScreen() and data_dock.isVisible())

    QTest.keyClick(window, Qt.Key_2, Qt.ControlModifier)
    digits = window.digits_workspace
    results["ctrl+2 shows the digits"] = until(
        lambda: window.workspace == "digits" and digits.frame is not None, 90.0
    )  # (scikit-learn is imported and the 8×8 digits loaded first)
    points_iteration = window.last_snapshot.iteration
    QTest.keyClick(QApplication.focusWidget(), Qt.Key_Space)
    results["space plays the digits"] = until(lambda: digits.frame.snapshot.running)
    QTest.keyClick(QApplication.focusWidget(), Qt.Key_Space)
    results["space pauses the digits"] = until(lambda: not digits.frame.snapshot.running)
    before = digits.frame.snapshot.iteration
    QTest.keyClick(QApplication.focusWidget(), Qt.Key_Right)
    results["right steps the digits"] = until(
        lambda: digits.frame.snapshot.iteration == before + 1
    )
    results["the points stayed"] = window.last_snapshot.iteration == points_iteration
    QTest.keyClick(window, Qt.Key_1, Qt.ControlModifier)
    results["ctrl+1 shows the points"] = until(
        lambda: window.workspace == "2d" and window.data_plane.hasFocus()
    )

    QTest.keyClick(window, Qt.Key_F1)
    box = window.findChild(QMessageBox, "shortcutsDialog")
    results["shortcuts listed"] = box is not None and all(
        key in box.text() for key in ("Ctrl+Shift+Z", "Ctrl+Y", "Space", "0 … 7", "F11")
    )
    results["ambiguous"] = [text for text in warnings if "Ambiguous" in text]
    print(json.dumps(results), flush=True)
    window.close()
    """
)


def test_keys_work_under_x11(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "QT_QPA_PLATFORM": "xcb"}
    env["XDG_DATA_HOME"] = str(tmp_path / "data")
    result = subprocess.run(
        ["xvfb-run", "-a", sys.executable, "-c", CHILD, str(tmp_path / "s.ini")],
        capture_output=True,
        text=True,
        env=env,
        timeout=240,
    )
    lines = [line for line in result.stdout.splitlines() if line.startswith("{")]
    assert lines, result.stderr[-2000:]
    results = json.loads(lines[-1])
    expected = {
        "platform": "xcb",
        "undo": True,
        "redo ctrl+shift+z": True,
        "redo ctrl+y": True,
        "alpha": 0.5,
        "focus back on the plane": True,
        "space plays": True,
        "space pauses": True,
        "right steps": True,
        "key 2 chooses class 2": True,
        "alpha kept": 0.5,
        "f11 presents": True,
        "f11 again leaves": True,
        "ctrl+2 shows the digits": True,
        "space plays the digits": True,
        "space pauses the digits": True,
        "right steps the digits": True,
        "the points stayed": True,
        "ctrl+1 shows the points": True,
        "shortcuts listed": True,
        "ambiguous": [],
    }
    assert results == expected
