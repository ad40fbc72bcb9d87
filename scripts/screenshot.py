"""Render the main window offscreen to PNG files, for the README and for a look at the GUI.

    python3 scripts/screenshot.py [--out docs] [--size 1366x768]

Writes ``main-window.png`` (a three-class spiral learnt by two ReLU layers) and
``main-window-start.png`` (what a student sees on opening the app).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QSettings

from mlpviz.core.config import HiddenLayer, NetworkConfig, TrainingConfig
from mlpviz.gui.app import create_application
from mlpviz.gui.main_window import MainWindow


def settle(app, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        app.processEvents()
        time.sleep(0.005)


def wait_for_iteration(app, window: MainWindow, iteration: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while window.last_snapshot is None or window.last_snapshot.iteration < iteration:
        if time.monotonic() > deadline:
            raise SystemExit(f"training did not reach iteration {iteration}")
        app.processEvents()
        time.sleep(0.005)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("docs"))
    parser.add_argument("--size", default="1366x768")
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.split("x"))
    args.out.mkdir(parents=True, exist_ok=True)
    app = create_application([])
    with tempfile.TemporaryDirectory() as folder:
        window = MainWindow(QSettings(os.path.join(folder, "s.ini"), QSettings.IniFormat))
        window.resize(width, height)
        window.show()
        settle(app, 1.0)
        window.grab().save(str(args.out / "main-window-start.png"))

        preset = {"preset": "spiral", "points": 300, "noise": 0.1, "classes": 3, "seed": 0}
        window.dataset_panel.set_settings({**window.dataset_panel.settings(), **preset})
        window._on_preset_requested("spiral", 300, 0.1, 3, 0)
        config = NetworkConfig((HiddenLayer(16, "relu"), HiddenLayer(16, "relu")), "he", 0)
        window.network_editor.set_network_config(config)
        window._on_network_config_changed(config)
        training = TrainingConfig("adam", 0.01, 32)
        window.network_editor.set_training_config(training)
        window._worker.set_training(training)
        window._worker.set_speed(None)
        window._worker.set_stop_at(1500)
        window._worker.play()
        wait_for_iteration(app, window, 1500)
        window.data_plane.fit_view()
        settle(app, 1.0)
        window.grab().save(str(args.out / "main-window.png"))
        window.close()
    print(f"wrote {args.out / 'main-window.png'} and {args.out / 'main-window-start.png'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
