"""Fixtures for GUI tests: a main window with throw-away settings, and screenshot saving."""

from pathlib import Path

import pytest
from PySide6.QtCore import QEventLoop, QPointF, QSettings, QTimer

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture
def settings(tmp_path):
    """QSettings in a temporary INI file, so tests never touch the user's settings."""
    return QSettings(str(tmp_path / "settings.ini"), QSettings.IniFormat)


@pytest.fixture
def fast_autosave(monkeypatch):
    """Autosave edits within a few tenths of a second (the app waits 3 s for more edits)."""
    import mlpviz.gui.autosave

    monkeypatch.setattr(mlpviz.gui.autosave, "EDIT_DELAY_SECONDS", 0.3)
    monkeypatch.setattr(mlpviz.gui.autosave, "CHECK_INTERVAL_MS", 100)


@pytest.fixture
def window(qtbot, settings):
    """A shown MainWindow whose training thread is stopped at the end of the test."""
    from mlpviz.gui import MainWindow

    main = MainWindow(settings=settings)
    qtbot.addWidget(main)
    main.resize(1366, 768)
    main.show()
    qtbot.waitExposed(main)
    qtbot.waitUntil(lambda: main.last_snapshot is not None)
    qtbot.wait(50)  # pyqtgraph's axes settle their width after the first paint
    yield main
    main.close()


def save_screenshot(widget, name: str) -> Path:
    """Save ``widget`` as test-artifacts/NAME.png for a person to look at."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    widget.grab().save(str(path))
    return path


def data_to_pixel(plot_widget, x: float, y: float):
    """Widget pixel position of data coordinates (x, y) in a pyqtgraph PlotWidget."""
    scene_point = plot_widget.plotItem.vb.mapViewToScene(QPointF(x, y))
    return plot_widget.mapFromScene(scene_point)


def shown(qtbot, widget, width: int, height: int):
    """``widget`` with the app's plot style, sized, shown and exposed; closed after the test."""
    from mlpviz.gui.style import configure_pyqtgraph

    configure_pyqtgraph()
    qtbot.addWidget(widget)
    widget.resize(width, height)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def run_events(ms: int) -> None:
    """Run the event loop for ``ms`` milliseconds as the application does. (PySide6's
    ``QTest.qWait`` holds the GIL while it waits: the training and loading threads stand still
    meanwhile.)"""
    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


def start_training_process(qtbot, worker) -> None:
    """Start the worker's training process, if it has one, and wait until it is ready: the
    first Play otherwise trains in the worker's thread while the process starts."""
    if worker._process is not None:
        qtbot.waitUntil(worker._process.ready, timeout=30_000)
