"""The digits workspace training MNIST-sized data through the window's own widgets: does the
window stay responsive (issue 9: event-loop lateness p95 < 50 ms)?

A synthetic set of MNIST's shape (60,000 training and 10,000 test images of 28×28, float32,
labels 0…9 with a bright pixel per digit so that there is something to learn), the network
[784, 128, 64, 10] ReLU, Adam α = 0.001, batch 128, as bench_digits.py. The window opens the
digits workspace with every view drawing (each tab of the views shown in turn), Play at each
speed, while a 10 ms QTimer measures its lateness and the frames drawn are counted.

    python3 bench/gui_bench_digits.py [--seconds 15] [--speeds max 100] [--mnist PATH]

``--mnist PATH`` trains on real MNIST files instead (the four IDX files or mnist.npz).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_core import cpu_model  # noqa: E402
from gui_bench import pump, wait_until  # noqa: E402
from PySide6.QtCore import QElapsedTimer, QObject, QSettings, Qt, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from mlpviz.core.config import DigitsNetworkConfig, HiddenLayer, TrainingConfig  # noqa: E402
from mlpviz.core.digits import ImageDataset, load_mnist, timeline_options  # noqa: E402
from mlpviz.core.session import Session  # noqa: E402
from mlpviz.gui.main_window import MainWindow  # noqa: E402

TRAIN, TEST, SIDE = 60_000, 10_000, 28
HIDDEN = (128, 64)
TRAINING = TrainingConfig("adam", 0.001, 128)


def synthetic_mnist(seed: int = 0) -> ImageDataset:
    """Images of MNIST's shape: faint noise and one bright pixel that tells the digit."""
    rng = np.random.default_rng(seed)
    m = TRAIN + TEST
    y = rng.integers(0, 10, m)
    X = rng.random((m, SIDE * SIDE), dtype=np.float32) * np.float32(0.3)
    X[np.arange(m), 300 + 17 * y] = 1.0
    return ImageDataset(X, y, np.arange(m) >= TRAIN)


class Probe(QObject):
    """A 10 ms timer's lateness on the GUI thread, and the live frames drawn."""

    def __init__(self, workspace) -> None:
        super().__init__(workspace)
        self.lateness: list[float] = []
        self.frames = 0
        self._clock = QElapsedTimer()
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.PreciseTimer)
        self._timer.setInterval(10)
        self._timer.timeout.connect(self._tick)
        workspace.frame_shown.connect(self._on_frame)

    def start(self) -> None:
        self.lateness, self.frames = [], 0
        self._clock.start()
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()

    def _tick(self) -> None:
        elapsed = self._clock.nsecsElapsed() / 1e6
        self._clock.restart()
        self.lateness.append(max(0.0, elapsed - 10.0))

    def _on_frame(self, frame) -> None:
        self.frames += frame.is_live


def measure(window: MainWindow, speed: int | None, seconds: float) -> dict:
    """Play at ``speed`` for ``seconds``, cycling through the views' tabs."""
    workspace = window.digits_workspace
    workspace.state.set_speed(speed)
    probe = Probe(workspace)
    tabs = workspace.view_tabs
    first = workspace.frame.snapshot.iteration
    workspace.worker.play()
    pump(1.0)
    first = workspace.frame.snapshot.iteration
    probe.start()
    started = time.perf_counter()
    while time.perf_counter() - started < seconds:
        tabs.setCurrentIndex((tabs.currentIndex() + 1) % tabs.count())
        pump(min(2.0, seconds))
    elapsed = time.perf_counter() - started
    probe.stop()
    updates = workspace.frame.snapshot.iteration - first
    workspace.worker.pause()
    wait_until(lambda: not workspace.frame.snapshot.running)
    late = np.array(probe.lateness)
    per_epoch = workspace.worker.session.iterations_per_epoch
    return {
        "updates/s": updates / elapsed,
        "s/epoch": per_epoch * elapsed / max(updates, 1),
        "frames/s": probe.frames / elapsed,
        "p50": float(np.percentile(late, 50)),
        "p95": float(np.percentile(late, 95)),
        "max": float(late.max()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--speeds", nargs="+", default=["max", "100"])
    parser.add_argument("--mnist", help="real MNIST files instead of synthetic images")
    args = parser.parse_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    app = QApplication.instance() or QApplication(sys.argv)
    data = synthetic_mnist() if args.mnist is None else load_mnist(args.mnist)
    network = DigitsNetworkConfig(tuple(HiddenLayer(n, "relu") for n in HIDDEN), init="he")
    session = Session(data, network, TRAINING, **timeline_options(data))
    with tempfile.TemporaryDirectory() as folder:
        window = MainWindow(QSettings(os.path.join(folder, "s.ini"), QSettings.IniFormat))
        window.resize(1366, 768)
        window.show()
        window.set_workspace("digits")
        window.digits_workspace.adopt_session(session, None)
        wait_until(lambda: window.frame is not None and window.frame.dataset is data, 60)
        print(f"# {cpu_model()}, {os.cpu_count()} cores, {app.platformName()}")
        images = "synthetic images" if args.mnist is None else "MNIST images"
        print(f"# [784,128,64,10] ReLU, Adam 0.001, batch 128, 60,000 + 10,000 {images}")
        print("speed | updates/s | s/epoch | frames/s | lateness p50 | p95 | max (ms)")
        for name in args.speeds:
            speed = None if name.lower() == "max" else int(name)
            row = measure(window, speed, args.seconds)
            print(
                f"{name} | {row['updates/s']:,.0f} | {row['s/epoch']:.2f} | "
                f"{row['frames/s']:.1f} | {row['p50']:.1f} | {row['p95']:.1f} | {row['max']:.0f}"
            )
        window.close_discarding_changes()


if __name__ == "__main__":
    main()
