"""Responsiveness of the real MainWindow while training, offscreen.

Runs TensorFlow Playground's own configurations (tanh, learning rate 0.03, batch 10, 250
training + 250 test points) for a fixed time each, with the window redrawing everything it
draws for a user, and prints updates/s, frames/s, the 95th percentile of a 10 ms QTimer's
lateness, and the headless Trainer.step rate of the same net for comparison; then the cost
of a frame drawn from the timeline (scrubbing) against a live frame, every view drawn.

    python3 bench/gui_bench.py [--seconds 10]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

import numpy as np

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QElapsedTimer, QEventLoop, QSettings, QTimer
from PySide6.QtWidgets import QApplication

from mlpviz.core import Trainer
from mlpviz.core.config import HiddenLayer, NetworkConfig, TrainingConfig
from mlpviz.core.datasets import Dataset, make_preset
from mlpviz.gui.app import create_application
from mlpviz.gui.main_window import MainWindow

# TF Playground on this 2-core machine, headless Chromium, redrawing its 100×100 boundary.
CASES = {
    "circle [4,2]": ("circles", [4, 2], 1480),
    "xor [8,8]": ("xor", [8, 8], 930),
    "spiral [8×6]": ("spiral", [8] * 6, 490),
}
TRAINING = TrainingConfig("sgd", 0.03, 10)


def playground_data(preset: str) -> Dataset:
    return make_preset(preset, n=500, noise=0.1, seed=1)


def network(hidden: list[int]) -> NetworkConfig:
    return NetworkConfig(tuple(HiddenLayer(n, "tanh") for n in hidden), seed=1)


def headless_rate(preset: str, hidden: list[int], seconds: float = 2.0) -> float:
    train, _ = playground_data(preset).split(0.5, seed=0)
    net = network(hidden).build(train.n_classes)
    trainer = Trainer(net, TRAINING.build_optimizer(), train.X, train.y, batch_size=10, seed=0)
    deadline = time.perf_counter() + seconds
    count = 0
    while time.perf_counter() < deadline:
        for _ in range(100):
            trainer.step()
        count += 100
    return count / seconds


class Probe:
    """Counts drawn frames and measures a 10 ms timer's lateness on the GUI thread."""

    def __init__(self, window: MainWindow) -> None:
        self.frames = 0
        self.lateness: list[float] = []
        frames = window._frames
        draw = frames._draw

        def counted(*args, **kwargs) -> None:
            draw(*args, **kwargs)
            self.frames += 1

        frames._draw = counted
        self._clock = QElapsedTimer()
        self._timer = QTimer()
        self._timer.setInterval(10)
        self._timer.timeout.connect(self._tick)

    def start(self) -> None:
        self.frames = 0
        self.lateness = []
        self._clock.start()
        self._timer.start()

    def _tick(self) -> None:
        elapsed = self._clock.nsecsElapsed() / 1e6
        self._clock.restart()
        self.lateness.append(max(0.0, elapsed - 10.0))

    def stop(self) -> None:
        self._timer.stop()


def run_case(
    app: QApplication,
    window: MainWindow,
    probe: Probe,
    preset: str,
    hidden: list[int],
    seconds: float,
) -> tuple[float, float, float]:
    state = window.state
    state.set_test_ratio(0.5)
    window._edit_dataset(playground_data(preset), preset, new_run=True)
    state.set_network_config(network(hidden))
    state.set_training_config(TRAINING)
    state.set_speed(None)
    pump(app, 0.5)
    start_iteration = window.last_snapshot.iteration
    window._worker.play()
    pump(app, 0.5)  # warm-up
    start_iteration = window.last_snapshot.iteration
    probe.start()
    started = time.perf_counter()
    pump(app, seconds)
    elapsed = time.perf_counter() - started
    probe.stop()
    updates = window.last_snapshot.iteration - start_iteration
    window._worker.pause()
    pump(app, 0.3)
    return updates / elapsed, probe.frames / elapsed, float(np.percentile(probe.lateness, 95))


def frame_costs(app: QApplication, window: MainWindow, repeats: int = 40) -> tuple[float, float]:
    """Median milliseconds to draw every view from a timeline checkpoint, and live."""
    frames = window._frames
    size = len(window.last_snapshot.timeline)
    rng = np.random.default_rng(0)
    past, live = [], []
    for index in rng.integers(0, max(1, size - 1), repeats):
        started = time.perf_counter()
        frames.show_checkpoint(int(index))
        app.processEvents()  # the paint the frame asked for
        past.append(time.perf_counter() - started)
        started = time.perf_counter()
        frames.show_live()
        app.processEvents()
        live.append(time.perf_counter() - started)
    return 1000 * float(np.median(past)), 1000 * float(np.median(live))


def pump(app: QApplication, seconds: float) -> None:
    """Run the real event loop for ``seconds``, as an application does."""
    loop = QEventLoop()
    QTimer.singleShot(int(seconds * 1000), loop.quit)
    loop.exec()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    app = create_application([])
    with tempfile.TemporaryDirectory() as folder:
        window = MainWindow(QSettings(os.path.join(folder, "s.ini"), QSettings.IniFormat))
        window.resize(1366, 768)
        window.show()
        probe = Probe(window)
        pump(app, 1.0)
        print(
            f"{'case':16} {'updates/s':>10} {'vs TFP':>7} {'frames/s':>9} "
            f"{'p95 late':>9} {'headless/s':>11} {'GUI/headless':>13}"
        )
        for label, (preset, hidden, playground) in CASES.items():
            rate, fps, late = run_case(app, window, probe, preset, hidden, args.seconds)
            alone = headless_rate(preset, hidden)
            print(
                f"{label:16} {rate:10,.0f} {rate / playground:6.1f}× {fps:9.1f} "
                f"{late:7.1f}ms {alone:11,.0f} {rate / alone:12.2f}"
            )
            past, live = frame_costs(app, window)
            print(f"{'':16} frame from the timeline {past:.1f} ms, live frame {live:.1f} ms")
        window.close()


if __name__ == "__main__":
    main()
