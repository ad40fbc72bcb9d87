"""The main window: wires the panels to each other and to the training worker.

Panels emit intent and receive state; only this module connects them. Every edit of the
data goes through the undo stack; the training itself runs in the worker's thread.
"""

from __future__ import annotations

import json
import math
import time
from pathlib import Path

import numpy as np
import pyqtgraph.exporters
from PySide6.QtCore import QSettings, Qt, QTimer, Slot
from PySide6.QtGui import QAction, QCloseEvent, QIcon, QKeySequence, QUndoCommand, QUndoStack
from PySide6.QtWidgets import (
    QDockWidget,
    QFileDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QScrollArea,
    QStatusBar,
    QWidget,
)

from mlpviz.core.config import NetworkConfig, TrainingConfig
from mlpviz.core.datasets import Dataset, load_csv, make_preset, save_csv
from mlpviz.core.errors import MlpvizError
from mlpviz.core.frame import Frame
from mlpviz.core.model_io import save_model
from mlpviz.core.session import Session
from mlpviz.core.snapshot import Snapshot

from .data_plane import DataPlane
from .dataset_panel import DatasetPanel
from .loss_plot import LossPlot
from .network_diagram import NetworkDiagram
from .network_editor import NetworkEditor
from .style import configure_pyqtgraph
from .timeline_bar import TimelineBar
from .training_toolbar import TrainingToolbar
from .weights_plot import WeightsPlot
from .worker import start_worker, stop_worker

RESOURCES = Path(__file__).resolve().parents[2] / "resources"
SPLIT_SEED = 0
PAINT_PASSES = 2  # event-loop passes a frame's paint requests take to be done
PLOTS_INTERVAL_SECONDS = 0.1  # loss and weight plots: 10 redraws a second while playing
STARTING_PRESET = {"name": "linear", "n": 100, "noise": 0.1, "seed": 0, "n_classes": 2}


class DatasetEditCommand(QUndoCommand):
    """One undoable edit of the dataset; edits of one brush stroke merge into one command."""

    MERGE_ID = 1

    def __init__(
        self,
        window: MainWindow,
        before: Dataset,
        after: Dataset,
        text: str,
        stroke: int | None = None,
        new_run: bool = False,
    ) -> None:
        super().__init__(text)
        self._window = window
        self._before = before
        self._after = after
        self._stroke = stroke
        self._new_run = new_run  # a whole new dataset: both ways, training starts again

    def id(self) -> int:
        return self.MERGE_ID if self._stroke is not None else -1

    def mergeWith(self, other: QUndoCommand) -> bool:
        if not isinstance(other, DatasetEditCommand) or other._stroke != self._stroke:
            return False
        self._after = other._after
        return True

    def redo(self) -> None:
        self._window._show_dataset(self._after, self._new_run)

    def undo(self) -> None:
        self._window._show_dataset(self._before, self._new_run)


class MainWindow(QMainWindow):
    """mlpviz's window: the data plane in the centre, panels in docks, training on a thread."""

    def __init__(self, settings: QSettings | None = None) -> None:
        super().__init__()
        configure_pyqtgraph()
        self.setObjectName("mainWindow")
        self.setWindowTitle("mlpviz — watch a neural network learn")
        self.setWindowIcon(QIcon(str(RESOURCES / "mlpviz.svg")))
        self._settings = settings if settings is not None else QSettings("mlpviz", "mlpviz")
        self._dataset = Dataset.empty()
        self._test_mask = np.zeros(0, dtype=bool)
        self._n_classes = 0  # classes of the dataset shown
        self._pending_snapshot: Snapshot | None = None
        self._last_snapshot: Snapshot | None = None
        self._frame: Frame | None = None
        self._plots_drawn_at = 0.0
        self._undo_stack = QUndoStack(self)
        self._create_panels()
        self._create_docks()
        self._create_status_bar()
        self._create_actions()
        self._restore_settings()
        self._thread, self._worker = start_worker(self, self._starting_session())
        self._connect_panels()
        self._connect_worker()
        self._send_configuration()
        self._set_dataset(self._worker.session.dataset)

    # --- public state -----------------------------------------------------------------
    @property
    def dataset(self) -> Dataset:
        """The dataset currently shown (what the user drew or loaded)."""
        return self._dataset

    @property
    def last_snapshot(self) -> Snapshot | None:
        """The newest live snapshot received, or None before the first one arrives."""
        return self._last_snapshot

    @property
    def frame(self) -> Frame | None:
        """The Frame every view draws now (live or from the timeline); None before the first."""
        return self._frame

    def _starting_session(self) -> Session:
        return Session(
            make_preset(**STARTING_PRESET),
            self.network_editor.network_config(),
            self.network_editor.training_config(),
            test_ratio=self.dataset_panel.test_ratio(),
            split_seed=SPLIT_SEED,
        )

    # --- construction -----------------------------------------------------------------
    def _create_panels(self) -> None:
        self.data_plane = DataPlane()
        self.dataset_panel = DatasetPanel()
        self.network_editor = NetworkEditor()
        self.network_diagram = NetworkDiagram()
        self.loss_plot = LossPlot()
        self.weights_plot = WeightsPlot()
        self.toolbar = TrainingToolbar()
        self.timeline_bar = TimelineBar()
        self.setCentralWidget(self.data_plane)
        self.addToolBar(Qt.TopToolBarArea, self.toolbar)
        self.addToolBarBreak(Qt.TopToolBarArea)
        self.addToolBar(Qt.TopToolBarArea, self.timeline_bar)

    def _create_docks(self) -> None:
        self.setDockOptions(QMainWindow.AnimatedDocks | QMainWindow.AllowTabbedDocks)
        self.setCorner(Qt.BottomLeftCorner, Qt.LeftDockWidgetArea)
        self.setCorner(Qt.BottomRightCorner, Qt.RightDockWidgetArea)
        data = self._dock("Data", "dataDock", self.dataset_panel, Qt.LeftDockWidgetArea)
        network = self._dock(
            "Network", "networkDock", self._scrolled(self.network_editor), Qt.LeftDockWidgetArea
        )
        diagram = self._dock("Diagram", "diagramDock", self.network_diagram, Qt.RightDockWidgetArea)
        loss = self._dock("Loss", "lossDock", self.loss_plot, Qt.RightDockWidgetArea)
        weights = self._dock("Weights", "weightsDock", self.weights_plot, Qt.RightDockWidgetArea)
        self.tabifyDockWidget(diagram, weights)
        diagram.raise_()
        # The data plane, in the centre, gets the most room; the side columns what they need.
        self.resizeDocks([data, network, loss], [300, 300, 440], Qt.Horizontal)

    def _dock(self, title: str, name: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(name)
        dock.setWidget(widget)
        dock.setFeatures(
            QDockWidget.DockWidgetMovable
            | QDockWidget.DockWidgetFloatable
            | QDockWidget.DockWidgetClosable
        )
        self.addDockWidget(area, dock)
        return dock

    @staticmethod
    def _scrolled(widget: QWidget) -> QScrollArea:
        area = QScrollArea()
        area.setWidget(widget)
        area.setWidgetResizable(True)
        area.setFrameShape(QScrollArea.NoFrame)
        return area

    def _create_status_bar(self) -> None:
        status = QStatusBar(self)
        status.setObjectName("statusBar")
        status.setAccessibleName("Status bar")
        self.setStatusBar(status)
        self._metrics_label = QLabel()
        self._metrics_label.setObjectName("metricsLabel")
        self._cursor_label = QLabel()
        self._cursor_label.setMinimumWidth(130)
        status.addPermanentWidget(self._metrics_label)
        status.addPermanentWidget(self._cursor_label)

    def _create_actions(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        self._add_action(file_menu, "&Open dataset…", QKeySequence.Open, self._open_csv)
        self._add_action(file_menu, "&Save dataset…", QKeySequence.Save, self._save_csv)
        self._add_action(file_menu, "Save &model…", "Ctrl+Shift+S", self._save_model)
        file_menu.addSeparator()
        self._add_action(
            file_menu,
            "Export data plane as PNG…",
            "Ctrl+E",
            lambda: self._export_png(self.data_plane, "data-plane.png"),
        )
        self._add_action(
            file_menu,
            "Export loss plot as PNG…",
            "Ctrl+Shift+E",
            lambda: self._export_png(self.loss_plot, "loss.png"),
        )
        self._add_action(
            file_menu,
            "Export weights as PNG…",
            None,
            lambda: self._export_png(self.weights_plot, "weights.png"),
        )
        file_menu.addSeparator()
        self._add_action(file_menu, "&Quit", QKeySequence.Quit, self.close)

        edit_menu = self.menuBar().addMenu("&Edit")
        undo = self._undo_stack.createUndoAction(self, "&Undo")
        undo.setShortcut(QKeySequence.Undo)
        redo = self._undo_stack.createRedoAction(self, "&Redo")
        redo.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence.Redo])
        edit_menu.addActions([undo, redo])
        self.addActions([undo, redo])
        edit_menu.addSeparator()
        self._add_action(edit_menu, "&Clear all points", None, self._clear_points)

        view_menu = self.menuBar().addMenu("&View")
        self._add_action(view_menu, "&Fit view to data", "F", self.data_plane.fit_view)
        self._draw_action = self._add_action(
            view_menu, "&Draw points with the mouse", "D", self.data_plane.set_draw_mode
        )
        self._draw_action.setCheckable(True)
        self._draw_action.setChecked(True)
        view_menu.addSeparator()
        for dock in self.findChildren(QDockWidget):
            view_menu.addAction(dock.toggleViewAction())

        help_menu = self.menuBar().addMenu("&Help")
        self._add_action(help_menu, "&About mlpviz", None, self._show_about)

    def _add_action(self, menu, text: str, shortcut, slot) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
            action.setToolTip(
                f"{text.replace('&', '').rstrip('…')} ({action.shortcut().toString()})"
            )
        action.triggered.connect(slot)
        menu.addAction(action)
        self.addAction(action)
        return action

    # --- wiring -----------------------------------------------------------------------
    def _connect_panels(self) -> None:
        plane, panel, editor, toolbar = (
            self.data_plane,
            self.dataset_panel,
            self.network_editor,
            self.toolbar,
        )
        plane.points_requested.connect(self._on_points_requested)
        plane.point_removal_requested.connect(self._on_point_removal_requested)
        plane.cursor_moved.connect(self._on_cursor_moved)
        panel.current_class_changed.connect(plane.set_current_class)
        panel.preset_requested.connect(self._on_preset_requested)
        panel.clear_requested.connect(self._clear_points)
        panel.test_ratio_changed.connect(self._on_test_ratio_changed)
        panel.show_test_points_changed.connect(plane.set_show_test_points)
        editor.network_config_changed.connect(self._on_network_config_changed)
        # The worker's commands only enqueue and are thread-safe: they are called directly,
        # never queued to the training thread (whose loop runs no Qt event loop).
        direct = Qt.DirectConnection
        editor.training_config_changed.connect(self._worker.set_training, direct)
        toolbar.play_requested.connect(self._worker.play, direct)
        toolbar.pause_requested.connect(self._worker.pause, direct)
        toolbar.step_requested.connect(self._worker.step, direct)
        toolbar.step_epoch_requested.connect(self._worker.step_epoch, direct)
        toolbar.reset_requested.connect(self._on_reset_requested)
        timeline = self.timeline_bar
        timeline.checkpoint_requested.connect(self._on_checkpoint_requested)
        timeline.live_requested.connect(self._on_live_requested)
        timeline.continue_requested.connect(self._on_continue_requested)
        toolbar.speed_changed.connect(self._worker.set_speed, direct)
        toolbar.stop_at_changed.connect(self._worker.set_stop_at, direct)

    def _connect_worker(self) -> None:
        worker = self._worker
        worker.snapshot_ready.connect(self._on_snapshot_ready)
        worker.running_changed.connect(self.toolbar.set_running)
        worker.diverged.connect(self._on_diverged)
        worker.problem_occurred.connect(self._on_problem_occurred)
        worker.rewound.connect(self._on_rewound)

    def _send_configuration(self) -> None:
        self._worker.set_speed(self.toolbar.speed())
        self._worker.set_stop_at(self.toolbar.stop_at())
        self._worker.refresh()

    # --- the dataset ------------------------------------------------------------------
    def _edit_dataset(
        self, after: Dataset, text: str, stroke: int | None = None, new_run: bool = False
    ) -> None:
        command = DatasetEditCommand(self, self._dataset, after, text, stroke, new_run)
        self._undo_stack.push(command)

    def _show_dataset(self, dataset: Dataset, new_run: bool = False) -> None:
        """Make ``dataset`` the current one: the session trains on it (a new run when
        ``new_run`` or when its classes change the output layer), the views show it live."""
        self._set_dataset(dataset)
        self._worker.apply(dataset=dataset, new_run=new_run)
        self._show_live_frame()

    def _set_dataset(self, dataset: Dataset) -> None:
        """Show ``dataset`` in the panels (not in the views: they draw the frame)."""
        self._dataset = dataset
        self._test_mask = dataset.test_mask(self.dataset_panel.test_ratio(), SPLIT_SEED)
        self.dataset_panel.set_class_counts(dataset.class_counts().tolist())
        self.network_editor.set_sample_count(int(np.count_nonzero(~self._test_mask)))
        self._follow_class_count(dataset.n_classes)

    def _follow_class_count(self, n_classes: int) -> None:
        """Say so when the number of classes changes the output layer (a new run)."""
        if n_classes == self._n_classes:
            return
        first_network = self._n_classes == 0
        self._n_classes = n_classes
        self.network_editor.set_class_count(n_classes)
        if not first_network:
            output = "1 sigmoid unit" if n_classes == 2 else f"{n_classes} softmax units"
            self.statusBar().showMessage(
                f"{n_classes} classes: the output layer is now {output}; "
                "the network was re-initialised.",
                8000,
            )

    @Slot(object, int, int)
    def _on_points_requested(self, points: np.ndarray, label: int, stroke: int) -> None:
        after = self._dataset.with_points(points, label)
        self._edit_dataset(after, f"Add {len(points)} point(s) of class {label + 1}", stroke)

    @Slot(int)
    def _on_point_removal_requested(self, index: int) -> None:
        self._edit_dataset(self._dataset.without_point(index), "Remove a point")

    @Slot(str, int, float, int, int)
    def _on_preset_requested(self, name: str, n: int, noise: float, classes: int, seed: int):
        try:
            dataset = make_preset(name, n=n, noise=noise, seed=seed, n_classes=classes)
        except MlpvizError as error:
            self._show_error("Cannot generate this dataset", str(error))
            return
        self._edit_dataset(dataset, f"Generate {name}", new_run=True)
        self.data_plane.fit_view()

    def _clear_points(self) -> None:
        if len(self._dataset):
            self._edit_dataset(Dataset.empty(), "Clear all points", new_run=True)

    @Slot(float)
    def _on_test_ratio_changed(self, ratio: float) -> None:
        self._set_dataset(self._dataset)
        self._worker.apply(test_ratio=ratio)
        self._show_live_frame()

    # --- network and training ---------------------------------------------------------
    @Slot(object)
    def _on_network_config_changed(self, config: NetworkConfig) -> None:
        self._worker.apply(network=config)
        self.statusBar().showMessage("Network rebuilt and re-initialised.", 4000)

    def _on_reset_requested(self) -> None:
        self._worker.reset()
        self.statusBar().showMessage("Weights re-initialised.", 3000)

    # --- snapshots: draw only the newest ------------------------------------------------
    @Slot(object)
    def _on_snapshot_ready(self, snapshot: Snapshot) -> None:
        # Training waits while a frame is drawn and painted (see TrainingWorker.set_gui_busy).
        self._worker.set_gui_busy(True)
        first_pending = self._pending_snapshot is None
        self._pending_snapshot = snapshot
        if first_pending:
            QTimer.singleShot(0, self._draw_pending_snapshot)

    def _draw_pending_snapshot(self) -> None:
        snapshot, self._pending_snapshot = self._pending_snapshot, None
        if snapshot is None:
            return
        previous, self._last_snapshot = self._last_snapshot, snapshot
        if previous is None or previous.run != snapshot.run:
            self.loss_plot.clear()  # a new run: the curve's range follows it from the start
        self.timeline_bar.set_checkpoints(snapshot.timeline)
        if self.timeline_bar.is_live():
            self._draw_frame(self._live_frame(), throttle=snapshot.running)
        self._release_worker_after_paint(PAINT_PASSES)

    def _live_frame(self) -> Frame | None:
        if self._last_snapshot is None:
            return None
        return Frame(self._last_snapshot, self._dataset, self._test_mask)

    def _show_live_frame(self) -> None:
        """Back to the live run (data were edited): every view draws it."""
        self.timeline_bar.show_live()
        frame = self._live_frame()
        if frame is not None:
            self._draw_frame(frame)

    def _draw_frame(self, frame: Frame, throttle: bool = False) -> None:
        """Hand ``frame`` to every view. With ``throttle`` (playing), the curves and heatmaps,
        which change little from one frame to the next but cost the most to paint, are redrawn
        a few times a second: that leaves the GUI thread's time (and the GIL) to the decision
        regions and to training."""
        self._frame = frame
        views = [self.data_plane, self.network_diagram, self.toolbar]
        now = time.monotonic()
        if not throttle or now - self._plots_drawn_at >= PLOTS_INTERVAL_SECONDS:
            views += [self.loss_plot, self.weights_plot]
            self._plots_drawn_at = now
        for view in views:
            view.show_frame(frame)
        self._metrics_label.setText(_metrics_text(frame.snapshot))

    # --- the timeline ---------------------------------------------------------------------
    @Slot(int)
    def _on_checkpoint_requested(self, index: int) -> None:
        """Show checkpoint ``index`` in every view; training pauses while the user looks."""
        self._worker.pause()
        with self._worker.lock:
            session = self._worker.session
            index = min(index, len(session.timeline) - 1)
            snapshot, data = session.checkpoint_snapshot(index)
        self._draw_frame(Frame(snapshot, data.dataset, data.test_mask, checkpoint=index))

    def _on_live_requested(self) -> None:
        frame = self._live_frame()
        if frame is not None:
            self._draw_frame(frame)

    @Slot(int)
    def _on_continue_requested(self, index: int) -> None:
        self._worker.rewind(index)

    @Slot(int, int)
    def _on_rewound(self, iteration: int, dropped: int) -> None:
        """The run went back to ``iteration``: follow it live, with the data it had then."""
        with self._worker.lock:
            dataset = self._worker.session.dataset
        if dataset is not self._dataset:
            self._undo_stack.clear()  # the edits on the stack led to data that is gone
            self._set_dataset(dataset)
        self.timeline_bar.show_live()
        self.statusBar().showMessage(
            f"Continuing from iteration {iteration:,}; the {dropped:,} later checkpoints "
            "were dropped.",
            8000,
        )

    def _release_worker_after_paint(self, passes: int) -> None:
        """Let training go on once the event loop has run ``passes`` more times: the paint
        requests posted while drawing (and the ones they post) are then done."""
        if passes:
            QTimer.singleShot(0, lambda: self._release_worker_after_paint(passes - 1))
        else:
            self._worker.set_gui_busy(False)

    @Slot(str)
    def _on_diverged(self, message: str) -> None:
        # The status bar keeps the first sentence; the dialog says what to do.
        self.statusBar().showMessage(message.split(". ")[0] + ".")
        self._show_error("Training diverged", message)

    @Slot(str)
    def _on_problem_occurred(self, message: str) -> None:
        self.statusBar().showMessage(message, 8000)

    @Slot(float, float)
    def _on_cursor_moved(self, x1: float, x2: float) -> None:
        self._cursor_label.setText(f"x₁ = {x1:+.2f}, x₂ = {x2:+.2f}")

    def _show_error(self, title: str, message: str) -> None:
        """A non-blocking dialog: training and redrawing go on behind it."""
        box = QMessageBox(QMessageBox.Warning, title, message, QMessageBox.Ok, self)
        box.setObjectName("errorDialog")
        box.setAttribute(Qt.WA_DeleteOnClose)
        box.open()

    # --- files ------------------------------------------------------------------------
    def open_dataset(self, path: str | Path) -> bool:
        """Load a CSV dataset (undoable); a bad file shows the reason and changes nothing."""
        try:
            dataset = load_csv(path)
        except MlpvizError as error:
            self._show_error("Cannot open the dataset", str(error))
            return False
        self._edit_dataset(dataset, f"Open {Path(path).name}", new_run=True)
        self.data_plane.fit_view()
        self._remember_directory(path)
        return True

    def _open_csv(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Open dataset", self._directory(), "CSV datasets (*.csv);;All files (*)"
        )
        if path:
            self.open_dataset(path)

    def _save_csv(self) -> None:
        path = self._ask_save_path("Save dataset", "dataset.csv", "CSV datasets (*.csv)")
        if path:
            self._write_file(lambda: save_csv(self._dataset, path), path)

    def _save_model(self) -> None:
        snapshot = self._last_snapshot
        if snapshot is None:
            return
        path = self._ask_save_path("Save model", "model.npz", "mlpviz models (*.npz)")
        if path:
            self._write_file(lambda: save_model(snapshot.net, path), path)

    def export_png(self, view: QWidget, path: str | Path, width: int = 1600) -> None:
        """Write ``view`` (a pyqtgraph view) as a PNG ``width`` pixels wide."""
        scene_item = view.plotItem if hasattr(view, "plotItem") else view.scene()
        exporter = pyqtgraph.exporters.ImageExporter(scene_item)
        exporter.parameters()["width"] = width
        if exporter.export(str(path)) is False:  # QImage.save reports failure, it never raises
            raise OSError(f"could not write {path}")

    def _export_png(self, view: QWidget, default_name: str) -> None:
        path = self._ask_save_path("Export PNG", default_name, "PNG images (*.png)")
        if path:
            self._write_file(lambda: self.export_png(view, path), path)

    def _ask_save_path(self, title: str, default_name: str, file_filter: str) -> str:
        start = str(Path(self._directory()) / default_name)
        path, _ = QFileDialog.getSaveFileName(self, title, start, file_filter)
        return path

    def _write_file(self, write, path: str) -> None:
        try:
            write()
        except (MlpvizError, OSError) as error:
            self._show_error("Cannot write the file", str(error))
            return
        self._remember_directory(path)
        self.statusBar().showMessage(f"Saved {path}", 5000)

    def _directory(self) -> str:
        return str(self._settings.value("files/directory", str(Path.home())))

    def _remember_directory(self, path: str | Path) -> None:
        self._settings.setValue("files/directory", str(Path(path).resolve().parent))

    def _show_about(self) -> None:
        QMessageBox.about(
            self,
            "About mlpviz",
            "<b>mlpviz</b> — watch a neural network learn.<br>"
            "Draw points (left click, drag to paint, right click to remove; keys 1–8 choose "
            "the class), build a network on the left, then Step (→) or Play (Space).",
        )

    # --- settings ---------------------------------------------------------------------
    def _restore_settings(self) -> None:
        settings = self._settings
        geometry = settings.value("window/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        else:
            self.resize(1366, 768)
        state = settings.value("window/state")
        if state is not None:
            self.restoreState(state)
        for key, apply, parse in (
            ("network/config", self.network_editor.set_network_config, NetworkConfig.from_dict),
            ("training/config", self.network_editor.set_training_config, TrainingConfig.from_dict),
            ("data/panel", self.dataset_panel.set_settings, dict),
            ("training/toolbar", self._restore_toolbar, dict),
        ):
            value = settings.value(key)
            if value is None:
                continue
            try:
                apply(parse(json.loads(value)))
            except (MlpvizError, ValueError, TypeError, KeyError, AttributeError, OverflowError):
                settings.remove(key)  # written by another version: start from the defaults

        self.data_plane.set_show_test_points(self.dataset_panel.show_test_points())

    def _toolbar_settings(self) -> dict:
        return {"speed": self.toolbar.speed(), "stop_at": self.toolbar.stop_at()}

    def _restore_toolbar(self, values: dict) -> None:
        self.toolbar.set_speed(values.get("speed"))
        self.toolbar.set_stop_at(values.get("stop_at"))

    def _save_settings(self) -> None:
        settings = self._settings
        settings.setValue("window/geometry", self.saveGeometry())
        settings.setValue("window/state", self.saveState())
        for key, value in (
            ("network/config", self.network_editor.network_config().to_dict()),
            ("training/config", self.network_editor.training_config().to_dict()),
            ("data/panel", self.dataset_panel.settings()),
            ("training/toolbar", self._toolbar_settings()),
        ):
            settings.setValue(key, json.dumps(value))
        settings.sync()

    def closeEvent(self, event: QCloseEvent) -> None:
        """Remember the settings and stop the training thread before the window goes."""
        self._save_settings()
        stop_worker(self._thread, self._worker)
        super().closeEvent(event)


def _metrics_text(snapshot: Snapshot) -> str:
    def number(value: float, fmt: str) -> str:
        return "—" if math.isnan(value) else format(value, fmt)

    return (
        f"Iteration {snapshot.iteration:,} · epoch {snapshot.epoch:,}   "
        f"J train {number(snapshot.train_loss, '.4f')} / test {number(snapshot.test_loss, '.4f')}"
        f"   accuracy {number(100 * snapshot.train_accuracy, '.1f')}% / "
        f"{number(100 * snapshot.test_accuracy, '.1f')}%"
        f"   {snapshot.updates_per_second:,.0f} it/s"
    )
