"""The data plane's costs, offscreen at 1366×768: a frame, and a click at 100,000 points.

    python3 bench/bench_plane.py [--shots DIR] [--repeats 40]

Prints
  - the median milliseconds of ``DataPlane.show_frame`` with a new network plus the paint it
    asks for, for a sharp xor net and a three-class spiral net;
  - the median milliseconds from a left click on the viewport to the new point being in the
    scatter data and painted, with 100,000 points: the plane alone (the click's request
    answered as the main window does: the dataset with the point, its split, a new Frame),
    and in the real MainWindow;
each as wall-clock time and as this process's CPU time, which other processes on a busy
machine disturb less (NumPy's threads add to it, though);
and saves screenshots of both networks to ``--shots`` (with 3× crops around a boundary).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pyqtgraph as pg
from gui_bench import pump  # the event loop run as the application runs it
from PySide6.QtCore import QEvent, QObject, QPointF, QSettings, Qt, qInstallMessageHandler
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from mlpviz.core import MLP, Adam, Trainer
from mlpviz.core.datasets import Dataset, make_preset
from mlpviz.core.frame import Frame
from mlpviz.core.history import TrainingHistory
from mlpviz.core.snapshot import Snapshot
from mlpviz.gui.app import create_application
from mlpviz.gui.data_plane import DataPlane
from mlpviz.gui.main_window import MainWindow

WINDOW = (1366, 768)
BIG = 100_000
TEST_RATIO = 0.2


class Stopwatch:
    """Wall-clock and CPU milliseconds of the timed sections; medians of each."""

    def __init__(self) -> None:
        self.wall: list[float] = []
        self.cpu: list[float] = []

    def __enter__(self) -> Stopwatch:
        self._wall, self._cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *_exc) -> None:
        self.wall.append(1000 * (time.perf_counter() - self._wall))
        self.cpu.append(1000 * (time.process_time() - self._cpu))

    def __str__(self) -> str:
        return f"{np.median(self.wall):6.1f} ms wall, {np.median(self.cpu):6.1f} ms CPU (medians)"


class PaintCounter(QObject):
    """Counts the paint events of a widget's viewport; ``QApplication.processEvents`` returns
    only once the paint it delivered is done."""

    def __init__(self, plot_widget: pg.PlotWidget) -> None:
        super().__init__(plot_widget)
        self.paints = 0
        plot_widget.viewport().installEventFilter(self)

    def eventFilter(self, watched, event) -> bool:
        if event.type() == QEvent.Type.Paint:
            self.paints += 1
        return False


def snapshot_of(net: MLP) -> Snapshot:
    return Snapshot(net, 0, 0, 0.0, 0.0, 0.0, 0.0, 0.0, TrainingHistory().arrays(), False)


def trained(
    preset: str, classes: int, hidden: list[int], rate: float, iterations: int
) -> tuple[MLP, Dataset]:
    """A confident network on ``preset``: sharp regions, the case that shows a staircase."""
    data = make_preset(preset, n=300, noise=0.05, seed=0, n_classes=classes)
    net = MLP([2, *hidden, data.n_classes if classes > 2 else 1], "relu", seed=1)
    Trainer(net, Adam(rate), data.X, data.y).run(iterations)
    return net, data


def wait_for_paint(app: QApplication, counter: PaintCounter, paints_before: int) -> None:
    while counter.paints == paints_before:
        app.processEvents()


def frame_cost(
    app: QApplication, plane: DataPlane, net: MLP, data: Dataset, repeats: int
) -> Stopwatch:
    """show_frame with a new snapshot of ``net`` and the paint that follows."""
    mask = np.zeros(len(data), dtype=bool)
    counter = PaintCounter(plane)
    stopwatch = Stopwatch()
    for _ in range(repeats):
        frame = Frame(snapshot_of(net.copy()), data, mask)
        paints = counter.paints
        with stopwatch:
            plane.show_frame(frame)
            wait_for_paint(app, counter, paints)
    return stopwatch


def save_shots(plane: DataPlane, folder: Path, name: str) -> None:
    """The whole plane, and a 3× enlargement of its centre where boundaries meet."""
    image = plane.grab()
    image.save(str(folder / f"{name}.png"))
    centre = image.rect().center()
    crop = image.copy(centre.x() - 120, centre.y() - 90, 240, 180)
    crop.scaled(720, 540, Qt.AspectRatioMode.KeepAspectRatio).save(
        str(folder / f"{name}-crop3x.png")
    )


def drawn_positions(plot_widget: pg.PlotWidget) -> np.ndarray:
    """Every point the plane draws (n, 2); from its scatter items in versions before
    ``DataPlane.drawn_points``, so that the bench compares before and after."""
    if hasattr(plot_widget, "drawn_points"):
        return plot_widget.drawn_points()[0]
    parts = [np.empty((0, 2))]
    for item in plot_widget.getPlotItem().items:
        if isinstance(item, pg.ScatterPlotItem):
            parts.append(np.column_stack(item.getData()))
    return np.concatenate(parts)


def click_latency(app: QApplication, plot_widget: pg.PlotWidget, repeats: int) -> Stopwatch:
    """From a left click to its point being in the scatter data and painted."""
    rng = np.random.default_rng(1)
    view_box = plot_widget.getPlotItem().vb
    counter = PaintCounter(plot_widget)
    stopwatch = Stopwatch()
    for _ in range(repeats):
        target = QPointF(*rng.uniform(-4, 4, 2))
        pixel = plot_widget.mapFromScene(view_box.mapViewToScene(target))
        paints = counter.paints
        with stopwatch:
            QTest.mouseClick(plot_widget.viewport(), Qt.MouseButton.LeftButton, pos=pixel)
            wait_for_paint(app, counter, paints)
        near = np.abs(drawn_positions(plot_widget) - [target.x(), target.y()]).max(axis=1)
        if near.min() > 3 * max(view_box.viewPixelSize()):
            raise SystemExit("the clicked point was not drawn")
        pump(0.005)
    return stopwatch


def big_dataset() -> Dataset:
    return make_preset("gaussian", n=BIG, noise=0.3, seed=0, n_classes=3)


def plane_alone_click(app: QApplication, net: MLP, repeats: int) -> Stopwatch:
    """The plane answering its own requests as the main window does."""
    plane = DataPlane()
    plane.resize(*WINDOW)
    plane.show()
    snapshot = snapshot_of(net)
    state = {"data": big_dataset()}

    def on_points(points: np.ndarray, label: int, _stroke: int) -> None:
        data = state["data"] = state["data"].with_points(points, label)
        plane.show_frame(Frame(snapshot, data, data.test_mask(TEST_RATIO)))

    plane.points_requested.connect(on_points)
    data = state["data"]
    plane.show_frame(Frame(snapshot, data, data.test_mask(TEST_RATIO)))
    pump(0.2)
    try:
        return click_latency(app, plane, repeats)
    finally:
        plane.close()


def main_window_click(app: QApplication, repeats: int) -> Stopwatch:
    """The real window: undo command, session, every view drawing the new frame."""
    with tempfile.TemporaryDirectory() as folder:
        os.environ["XDG_DATA_HOME"] = folder  # its autosave, not in the user's data folder
        window = MainWindow(QSettings(os.path.join(folder, "s.ini"), QSettings.IniFormat))
        window.resize(*WINDOW)
        window.show()
        pump(0.5)
        window.state.set_test_ratio(TEST_RATIO)
        window._edit_dataset(big_dataset(), "bench", new_run=True)
        window.data_plane.fit_view()
        pump(1.5)
        try:
            return click_latency(app, window.data_plane, repeats)
        finally:
            window.close()


def quiet_about_unaccepted_clicks(kind, context, message: str) -> None:
    """QTest warns for every click that the view passes on to pyqtgraph's scene."""
    if "not accepted by receiving widget" not in message:
        print(message)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shots", type=Path, default=Path("/tmp/plane-shots"))
    parser.add_argument("--prefix", default="plane")
    parser.add_argument("--repeats", type=int, default=40)
    parser.add_argument("--part", choices=("frames", "clicks", "all"), default="all")
    args = parser.parse_args()
    app = create_application([])
    qInstallMessageHandler(quiet_about_unaccepted_clicks)
    args.shots.mkdir(parents=True, exist_ok=True)
    cases = {
        "xor": trained("xor", 2, [8, 8], 0.05, 3000),
        "spiral3": trained("spiral", 3, [32, 32], 0.02, 1500),
    }
    if args.part in ("frames", "all"):
        plane = DataPlane()
        plane.resize(*WINDOW)
        plane.show()
        pump(0.2)
        for name, (net, data) in cases.items():
            plane.fit_view()
            cost = frame_cost(app, plane, net, data, args.repeats)
            print(f"frame, {name:8}: show_frame + paint {cost}")
            save_shots(plane, args.shots, f"{args.prefix}-{name}")
        plane.close()
        print(f"screenshots in {args.shots}")
    if args.part in ("clicks", "all"):
        alone = plane_alone_click(app, cases["spiral3"][0], args.repeats)
        print(f"click at {BIG:,} points, plane alone: {alone}")
        window = main_window_click(app, max(5, args.repeats // 4))
        print(f"click at {BIG:,} points, main window: {window}")


if __name__ == "__main__":
    main()
