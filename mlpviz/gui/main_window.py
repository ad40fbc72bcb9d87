"""The main window: wires the panels, the app state, the frames and the training worker,
and holds the window's chrome (menus, docks, dialogs, files).

Panels emit intent; the intent changes the AppState; the panels and the worker follow the
state. Every edit of the data goes through the undo stack; training runs in the worker's
thread; the FrameDirector chooses the Frame every view draws.
"""

from __future__ import annotations

import html
import json
import math
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PySide6.QtCore import (
    QByteArray,
    QEvent,
    QMimeData,
    QObject,
    QPoint,
    QRect,
    QSettings,
    Qt,
    QTimer,
    Slot,
)
from PySide6.QtGui import (
    QAction,
    QCloseEvent,
    QDragEnterEvent,
    QDropEvent,
    QIcon,
    QKeySequence,
    QResizeEvent,
    QShowEvent,
    QUndoCommand,
    QUndoStack,
)
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractSpinBox,
    QApplication,
    QDockWidget,
    QFileDialog,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMenu,
    QMessageBox,
    QScrollArea,
    QSplitter,
    QStackedWidget,
    QStatusBar,
    QToolButton,
    QWidget,
)

from mlpviz.core.atomic import write_text_atomically
from mlpviz.core.config import NetworkConfig, TrainingConfig
from mlpviz.core.datasets import (
    Dataset,
    check_classes_consecutive,
    load_csv,
    make_preset,
    save_csv,
)
from mlpviz.core.divergence import Divergence
from mlpviz.core.errors import MlpvizError
from mlpviz.core.frame import Frame, follow_selection
from mlpviz.core.model_io import load_model, save_model
from mlpviz.core.pytorch_script import save_pytorch_script
from mlpviz.core.session import Session
from mlpviz.core.snapshot import Snapshot
from mlpviz.render_animation import timeline_frames, write_animation

from . import figures
from .animation import AnimationDialog, AnimationExport, AnimationSettings
from .app_state import SPLIT_SEED, AppState
from .autosave import Autosave, left_by_a_crash
from .backprop_inspector import BackpropInspector
from .data_plane import DataPlane
from .dataset_panel import DatasetPanel
from .digits_workspace import DigitsWorkspace
from .feature_space_plot import FeatureSpaceView
from .figure_menu import CornerButton, ExportFigureDialog, offer_export
from .frames import FrameDirector
from .gradient_norm_plot import GradientNormPlot
from .loss_plot import LossPlot
from .network_diagram import NetworkDiagram
from .network_editor import NetworkEditor
from .presentation import PresentationMode
from .recovery_bar import RecoveryBar
from .run_wiring import connect_run
from .single_neuron_panel import SingleNeuronPanel
from .style import configure_pyqtgraph
from .timeline_bar import TimelineBar
from .training_toolbar import TrainingToolbar
from .weights_plot import WeightsPlot
from .worker import TrainingWorker, start_worker, stop_worker
from .workspaces import DIGITS, POINTS, WorkspaceSwitch

BACKPROP_HEIGHT_SHARE = 0.58  # of the window's height, for the inspector when a point is selected
RESOURCES = Path(__file__).resolve().parents[2] / "resources"
SESSION_FILTER = "mlpviz sessions (*.mlpviz)"
MAX_RECENT_FILES = 8
FIELD_DONE_KEYS = (Qt.Key_Return, Qt.Key_Enter, Qt.Key_Escape)
LEFT_COLUMN_WIDTH, LEFT_COLUMN_SHARE = 300, 0.24  # pixels, and at most this share of the width
DIAGRAM_MIN_HEIGHT = 80  # px, the diagram and the single neuron's panel each
RIGHT_COLUMN_WIDTH, RIGHT_COLUMN_SHARE = 440, 0.30
OTHER_KEYS = [  # keys that belong to no action, for Help ▸ Keyboard shortcuts
    ("0 … 7", "Choose the class new points get"),
    ("Left click, drag", "Add a point of that class; paint a spray of points"),
    ("Right click", "Remove the nearest point"),
    ("Ctrl+click", "Select the nearest point: the backprop inspector follows it"),
    ("Wheel, middle drag", "Zoom, pan the plane"),
    ("Enter or Esc in a field", "Commit or undo the typing; the keys go back to the app"),
    ("Click a hidden neuron", "Show its map on the data plane"),
    ("Esc", "Show the decision regions again (after a neuron's map)"),
]
STARTING_PRESET = {"name": "linear", "n": 100, "noise": 0.1, "seed": 0, "n_classes": 2}
FIGURE_FILTERS = {".png": "PNG images (*.png)", ".svg": "SVG images (*.svg)"}


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
        # One stroke adds points of one class: say how many the merged command will undo.
        self.setText(_added_text(len(self._after) - len(self._before), int(self._after.y[-1])))
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
        self.setWindowIcon(QIcon(str(RESOURCES / "mlpviz.svg")))
        self.setAcceptDrops(True)
        self._settings = settings if settings is not None else QSettings("mlpviz", "mlpviz")
        self._close_confirmed = False
        self._settings_note = ""
        self._shown_classes = 0  # classes of the data the panels show
        # after a divergence: the worker, the checkpoint to go back to and the α to use
        self._recovery: tuple[TrainingWorker, int, float | None] | None = None
        self._problem = ""  # the status bar's message about why training could not go on
        self._last_iteration = 0
        self._undo_stack = QUndoStack(self)
        self._presentation: PresentationMode | None = None  # made with the View menu
        self._animation: AnimationExport | None = None  # the export running, if any
        self._create_panels()
        self._data_name = self.dataset_panel.preset_arguments()["name"]  # for figure titles
        self._create_docks()
        self._create_status_bar()
        self._create_actions()
        self._create_workspace_switch()
        self._restore_settings()
        self.state = self._starting_state()
        self._thread, self._worker = start_worker(self, self._starting_session())
        self._frames = FrameDirector(
            self.state,
            self._worker,
            views=[
                self.data_plane,
                self.network_diagram,
                self.single_neuron_panel,
                self.toolbar,
                self.timeline_bar,
                _ReadoutOf(self.loss_plot),
            ],
            slow_views=[
                self.loss_plot,
                self.weights_plot,
                self.feature_space,
                self.gradient_norm_plot,
                self.backprop_inspector,
            ],
            parent=self,
        )
        self._autosave = Autosave(self._worker, self)
        self._connect_panels()
        self._connect_state()
        self._connect_worker()
        self._connect_neuron_maps()
        self._connect_digits()
        self._show_state_in_panels()
        self._show_title()
        self._worker.set_speed(self.state.speed)
        self._worker.set_stop_at(self.state.stop_at)
        self._worker.refresh()
        self._offer_recovery()
        self.data_plane.setFocusPolicy(Qt.StrongFocus)
        QApplication.instance().installEventFilter(self)
        if self._settings_note:
            self.statusBar().showMessage(self._settings_note, 10_000)

    # --- public state -----------------------------------------------------------------
    @property
    def dataset(self) -> Dataset:
        """The dataset currently shown (what the user drew or loaded)."""
        return self.state.dataset

    @property
    def last_snapshot(self) -> Snapshot | None:
        """The 2-D workspace's newest live snapshot, or None before the first one arrives."""
        return self._frames.live_snapshot

    @property
    def frame(self) -> Frame | None:
        """The Frame the active workspace's views draw now (live or from the timeline); None
        before the first."""
        if self.workspace == DIGITS:
            return self.digits_workspace.frame
        return self._frames.frame

    @property
    def workspace(self) -> str:
        """The workspace shown: "2d" (points on the plane) or "digits"."""
        return self.workspaces.current

    def set_workspace(self, name: str) -> None:
        """Show workspace ``name`` ("2d" or "digits"); the other one pauses."""
        self.workspaces.set_current(name)

    def _active_state(self) -> AppState | None:
        """The active workspace's AppState (None: the digits have not started yet)."""
        return self.digits_workspace.state if self.workspace == DIGITS else self.state

    def _active_worker(self) -> TrainingWorker | None:
        return self.digits_workspace.worker if self.workspace == DIGITS else self._worker

    def _starting_state(self) -> AppState:
        state = AppState(
            self._starting_dataset(),
            self.network_editor.network_config(),
            self.network_editor.training_config(),
            self.dataset_panel.test_ratio(),
            parent=self,
        )
        state.set_speed(self.toolbar.speed())
        state.set_stop_at(self.toolbar.stop_at())
        return state

    def _starting_dataset(self) -> Dataset:
        """The preset the Data panel shows, so that the panel and the points agree."""
        try:
            return make_preset(**self.dataset_panel.preset_arguments())
        except MlpvizError:  # stored settings another version accepted
            return make_preset(**STARTING_PRESET)

    def _starting_session(self) -> Session:
        state = self.state
        return Session(
            state.dataset,
            state.network_config,
            state.training_config,
            test_ratio=state.test_ratio,
            split_seed=SPLIT_SEED,
        )

    # --- construction -----------------------------------------------------------------
    def _create_panels(self) -> None:
        self.data_plane = DataPlane()
        self.dataset_panel = DatasetPanel()
        self.network_editor = NetworkEditor()
        self.network_diagram = NetworkDiagram()
        self.single_neuron_panel = SingleNeuronPanel()
        self.loss_plot = LossPlot()
        self.weights_plot = WeightsPlot()
        self.gradient_norm_plot = GradientNormPlot()
        self.toolbar = TrainingToolbar()
        self.timeline_bar = TimelineBar()
        self.recovery_bar = RecoveryBar()
        self.digits_workspace = DigitsWorkspace()
        self._workspace_stack = QStackedWidget(objectName="workspaceStack")
        self._workspace_stack.addWidget(self.data_plane)
        self._workspace_stack.addWidget(self.digits_workspace)
        self.setCentralWidget(self._workspace_stack)
        self.addToolBar(Qt.TopToolBarArea, self.recovery_bar)
        self.addToolBarBreak(Qt.TopToolBarArea)
        self.addToolBar(Qt.TopToolBarArea, self.toolbar)
        self.addToolBarBreak(Qt.TopToolBarArea)
        self.addToolBar(Qt.TopToolBarArea, self.timeline_bar)

    def _create_docks(self) -> None:
        self.setDockOptions(QMainWindow.AnimatedDocks | QMainWindow.AllowTabbedDocks)
        self.setCorner(Qt.BottomLeftCorner, Qt.LeftDockWidgetArea)
        self.setCorner(Qt.BottomRightCorner, Qt.RightDockWidgetArea)
        # The panels scroll rather than hold the window wide: in a small window the data
        # plane stays the largest view (see _share_width).
        left, right = Qt.LeftDockWidgetArea, Qt.RightDockWidgetArea
        data = self._dock("Data", "dataDock", self._scrolled(self.dataset_panel), left)
        self._dock("Network", "networkDock", self._scrolled(self.network_editor), left)
        diagram = self._dock("Diagram", "diagramDock", self._diagram_area(), right)
        loss = self._dock("Loss", "lossDock", self.loss_plot, right)
        weights = self._dock("Weights", "weightsDock", self._scrolled(self.weights_plot), right)
        self.tabifyDockWidget(diagram, weights)
        self._create_feature_space_dock(beside=weights)
        self._build_backprop_dock(diagram)
        diagram.raise_()
        self._build_gradient_norm_dock(loss)
        self._right_column = (diagram, loss)  # as tall as each other (see showEvent)
        self._columns = (data, loss)
        self._share_width()

    def _diagram_area(self) -> QSplitter:
        """The diagram, and under it the single neuron's panel, shown in place when the
        network is a single neuron (its diagram then needs little room)."""
        splitter = QSplitter(Qt.Vertical)
        splitter.setObjectName("diagramSplitter")
        splitter.addWidget(self.network_diagram)
        splitter.addWidget(self.single_neuron_panel)
        splitter.setStretchFactor(0, 2)
        splitter.setStretchFactor(1, 3)
        splitter.setChildrenCollapsible(False)
        # Small enough that in a small window the loss plot below keeps room to be read.
        self.network_diagram.setMinimumHeight(DIAGRAM_MIN_HEIGHT)
        self.single_neuron_panel.setMinimumHeight(DIAGRAM_MIN_HEIGHT)
        return splitter

    def _build_gradient_norm_dock(self, loss: QDockWidget) -> None:
        """‖∂J/∂W^[l]‖ and ‖W^[l]‖ in a tab beside the loss plot (the loss stays in front)."""
        dock = self._dock(
            "Gradients", "gradientNormDock", self.gradient_norm_plot, Qt.RightDockWidgetArea
        )
        self.tabifyDockWidget(loss, dock)
        loss.raise_()

    def _create_feature_space_dock(self, beside: QDockWidget) -> None:
        """The last hidden layer's feature space, in a tab beside ``beside``."""
        self.feature_space = FeatureSpaceView()
        right = Qt.RightDockWidgetArea
        dock = self._dock("Feature space", "featureSpaceDock", self.feature_space, right)
        self.tabifyDockWidget(beside, dock)

    def _build_backprop_dock(self, beside: QDockWidget) -> None:
        """The backprop inspector, a tab beside ``beside``; raised when a point is selected."""
        self.backprop_inspector = BackpropInspector()
        area = Qt.RightDockWidgetArea
        self._backprop_dock = self._dock("Backprop", "backpropDock", self.backprop_inspector, area)
        self.tabifyDockWidget(beside, self._backprop_dock)
        # Hidden, it skips frames; its tab brought to the front, it draws the last one.
        self._backprop_dock.visibilityChanged.connect(self.backprop_inspector.catch_up)

    @Slot(object)
    def _on_selection_requested(self, index: int | None) -> None:
        """A view asks to select point ``index`` of the dataset it draws (the Frame's, maybe
        an older version on the timeline): the state selects that point in its own."""
        frame = self.frame
        if frame is not None and index is not None:
            index = follow_selection(frame.dataset, index, self.state.dataset)
        self.state.set_selection(index)

    @Slot(object)
    def _on_selection_changed(self, index: int | None) -> None:
        """A selected point: show the inspector, with most of its column's height."""
        dock = self._backprop_dock
        # A dock tabbed behind another counts as visible: what shows is its visible region.
        if index is not None and (dock.isHidden() or dock.visibleRegion().isEmpty()):
            dock.show()
            dock.raise_()
            below = self.findChild(QDockWidget, "lossDock")
            share = [BACKPROP_HEIGHT_SHARE, 1.0 - BACKPROP_HEIGHT_SHARE]
            self.resizeDocks([dock, below], [round(f * self.height()) for f in share], Qt.Vertical)

    def showEvent(self, event: QShowEvent) -> None:
        """Without a stored layout, the diagram and the loss share the right column equally
        once the window has its size (before, Qt has no height to share: the diagram took
        most of it and a small window's loss plot was a strip)."""
        super().showEvent(event)
        if self._balance_right_column:
            self._balance_right_column = False
            QTimer.singleShot(0, self, self._share_right_column)

    def _share_right_column(self) -> None:
        docks = [dock for dock in self._right_column if not dock.isFloating()]
        self.resizeDocks(docks, [1] * len(docks), Qt.Vertical)

    def resizeEvent(self, event: QResizeEvent) -> None:
        """Keep the data plane the largest view whatever the window's width."""
        super().resizeEvent(event)
        if event.oldSize().width() != event.size().width():
            self._share_width()

    def _share_width(self) -> None:
        """The side columns get their usual width, but never more than a share of the
        window: the plane in the centre keeps the most room."""
        width = self.width()
        # Magnified views (presentation mode) need wider columns for the same content.
        scale = self._presentation.scale if self._presentation is not None else 1.0
        left = round(min(LEFT_COLUMN_WIDTH * scale, LEFT_COLUMN_SHARE * width))
        right = round(min(RIGHT_COLUMN_WIDTH * scale, RIGHT_COLUMN_SHARE * width))
        areas = {dock: self.dockWidgetArea(dock) for dock in self._columns}
        # (a dock being put back by restoreState is in no area yet: nothing to resize)
        docks = [d for d in self._columns if not d.isFloating() and areas[d] != Qt.NoDockWidgetArea]
        sizes = [left if areas[dock] == Qt.LeftDockWidgetArea else right for dock in docks]
        self.resizeDocks(docks, sizes, Qt.Horizontal)

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
        add = self._add_action
        self._common_actions = [  # the actions of both workspaces; the others are 2-D only
            add(file_menu, "&Open session…", QKeySequence.Open, self._open_session),
            add(file_menu, "&Save session", QKeySequence.Save, self._save_session),
            add(file_menu, "Save session &as…", "Ctrl+Shift+S", self._save_session_as),
        ]
        self._recent_menu = QMenu("Open &recent", file_menu)
        file_menu.insertMenu(self._common_actions[1], self._recent_menu)
        self._recent_menu.aboutToShow.connect(self._fill_recent_menu)
        file_menu.addSeparator()
        self._add_action(file_menu, "Open &dataset (CSV)…", "Ctrl+Shift+O", self._open_csv)
        self._add_action(file_menu, "Save data&set (CSV)…", None, self._save_csv)
        self._add_action(file_menu, "Open mo&del…", None, self._open_model)
        self._add_action(file_menu, "Save &model…", "Ctrl+Alt+S", self._save_model)
        file_menu.addSeparator()
        self._create_figure_actions(file_menu)
        self._add_action(file_menu, "Export &animation…", None, self._export_animation)
        self._add_action(file_menu, "Export model as &PyTorch…", None, self._export_pytorch_script)
        file_menu.addSeparator()
        self._common_actions.append(add(file_menu, "&Quit", QKeySequence.Quit, self.quit))

        edit_menu = self.menuBar().addMenu("&Edit")
        undo = self._undo_stack.createUndoAction(self, "&Undo")
        undo.setShortcut(QKeySequence.Undo)
        redo = self._undo_stack.createRedoAction(self, "&Redo")
        # Not QKeySequence.Redo: on X11 it *is* Ctrl+Shift+Z, and a key registered twice is
        # an ambiguous shortcut that does nothing.
        redo.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
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
        self._create_presentation_action(view_menu)
        view_menu.addSeparator()
        for dock in self.findChildren(QDockWidget):
            view_menu.addAction(dock.toggleViewAction())

        self._view_menu = view_menu
        help_menu = self.menuBar().addMenu("&Help")
        self._add_action(help_menu, "&Keyboard shortcuts", "F1", self._show_shortcuts)
        self._add_action(help_menu, "&About mlpviz", None, self._show_about)

    def _create_workspace_switch(self) -> None:
        """The Points | Digits bar in the menu bar's corner, in the View menu too; the
        entries of the File, Edit and View menus that only apply to points are disabled in
        the digits workspace."""
        self.workspaces = WorkspaceSwitch(
            self,
            self._workspace_stack,
            {POINTS: self.data_plane, DIGITS: self.digits_workspace},
            [self.toolbar, self.timeline_bar],
        )
        menus = [menu.menu() for menu in self.menuBar().actions()[:3]]
        points_only = [
            action
            for menu in menus
            for action in menu.actions()
            if action not in self._common_actions
            and not action.isSeparator()
            and action.menu() is None
        ]
        self.workspaces.add_points_actions(points_only)
        first = self._view_menu.actions()[0]
        for action in self.workspaces.actions.values():
            self._view_menu.insertAction(first, action)
        self._view_menu.insertSeparator(first)

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

    # --- wiring: intents become state, the widgets and the worker follow the state --------
    def _connect_panels(self) -> None:
        plane, panel, editor, toolbar, state = (
            self.data_plane,
            self.dataset_panel,
            self.network_editor,
            self.toolbar,
            self.state,
        )
        plane.points_requested.connect(self._on_points_requested)
        plane.point_removal_requested.connect(self._on_point_removal_requested)
        plane.cursor_moved.connect(self._on_cursor_moved)
        plane.selection_requested.connect(self._on_selection_requested)
        self.feature_space.plot.sample_clicked.connect(self._on_selection_requested)
        self.backprop_inspector.selection_requested.connect(self._on_selection_requested)
        state.selection_changed.connect(self._on_selection_changed)
        panel.current_class_changed.connect(plane.set_current_class)
        panel.preset_requested.connect(self._on_preset_requested)
        panel.clear_requested.connect(self._clear_points)
        panel.test_ratio_changed.connect(state.set_test_ratio)
        panel.show_test_points_changed.connect(plane.set_show_test_points)
        editor.network_config_changed.connect(self._on_network_config_requested)
        toolbar.reset_requested.connect(self._on_reset_requested)
        connect_run(state, self._worker, self._frames, toolbar, self.timeline_bar, editor)
        self.recovery_bar.restore_requested.connect(self._on_restore_requested)
        self.recovery_bar.dismissed.connect(_delete_file)

    def _connect_state(self) -> None:
        state = self.state
        state.dataset_changed.connect(self._on_dataset_changed)
        state.test_ratio_changed.connect(self._on_test_ratio_changed)
        state.modified_changed.connect(self._show_title)
        state.path_changed.connect(self._show_title)
        for changed in (
            state.dataset_changed,
            state.test_ratio_changed,
            state.network_config_changed,
            state.training_config_changed,
        ):
            changed.connect(self._autosave.note_edit)

    def _connect_worker(self) -> None:
        worker = self._worker
        worker.snapshot_ready.connect(self._on_snapshot_received)
        worker.diverged.connect(self._on_diverged)
        worker.problem_occurred.connect(self._on_problem_occurred)
        worker.rewound.connect(self._on_rewound)
        self._frames.frame_shown.connect(self._on_frame_shown)
        self._frames.new_run_started.connect(self.loss_plot.clear)

    def _connect_digits(self) -> None:
        digits = self.digits_workspace
        digits.message.connect(self.statusBar().showMessage)
        digits.error.connect(self._show_error)
        digits.diverged.connect(self._on_diverged)
        digits.title_changed.connect(self._show_title)
        digits.frame_shown.connect(self._on_frame_shown)
        self.workspaces.changed.connect(self._on_workspace_changed)

    @Slot(str)
    def _on_workspace_changed(self, name: str) -> None:
        """The workspace left pauses; the one shown starts (the digits load at the first
        visit) and gives the window its title and the status bar its numbers."""
        digits = name == DIGITS
        (self._worker.pause if digits else self.digits_workspace.pause)()
        if digits:
            self.digits_workspace.start()
        self._cursor_label.setVisible(not digits)
        if not digits:
            self._share_width()  # the docks shown again fit the window as it is
        self._focus_workspace()  # not a field of the workspace left, nor one that eats Space
        frame = self.frame
        self._metrics_label.setText("" if frame is None else _metrics_text(frame.snapshot))
        self._show_title()

    def _connect_neuron_maps(self) -> None:
        """A click on a hidden neuron shows its map on the data plane; Esc, a second click
        or a new architecture shows the decision regions again. The maps in the diagram
        cover what the data plane shows."""
        plane, diagram = self.data_plane, self.network_diagram
        plane.view_range_changed.connect(diagram.set_plane_range)
        diagram.set_plane_range(*plane.view_range())
        diagram.neuron_map_requested.connect(self._on_neuron_map_requested)
        self.state.network_config_changed.connect(self._show_decision_regions)

    @Slot(object)
    def _on_neuron_map_requested(self, neuron: tuple[int, int] | None) -> None:
        self.data_plane.show_neuron_map(neuron)
        self.network_diagram.set_shown_neuron(neuron)

    def _show_decision_regions(self) -> None:
        self._on_neuron_map_requested(None)

    def _show_state_in_panels(self) -> None:
        """The panels show the state's dataset (their settings were restored before)."""
        self._on_dataset_changed(self.state.dataset, False)

    # --- the dataset ------------------------------------------------------------------
    def _edit_dataset(
        self, after: Dataset, text: str, stroke: int | None = None, new_run: bool = False
    ) -> None:
        command = DatasetEditCommand(self, self.state.dataset, after, text, stroke, new_run)
        self._undo_stack.push(command)

    def _show_dataset(self, dataset: Dataset, new_run: bool = False) -> None:
        """Make ``dataset`` current (what undo and redo call)."""
        self.state.set_dataset(dataset, new_run)

    @Slot(object, bool)
    def _on_dataset_changed(self, dataset: Dataset, new_run: bool) -> None:
        """The session trains on ``dataset`` (a new run when ``new_run`` or when its classes
        change the output layer); the panels and the live frame show it."""
        self._worker.apply(dataset=dataset, new_run=new_run)
        self._show_data_in_panels()
        self.timeline_bar.show_live()
        self._frames.show_live()

    @Slot(float)
    def _on_test_ratio_changed(self, ratio: float) -> None:
        self._worker.apply(test_ratio=ratio)
        self.dataset_panel.set_settings({"test_ratio": ratio})
        self._show_data_in_panels()
        self.timeline_bar.show_live()
        self._frames.show_live()

    def _show_data_in_panels(self) -> None:
        dataset = self.state.dataset
        self.dataset_panel.set_class_counts(dataset.class_counts().tolist())
        self.network_editor.set_sample_count(int(np.count_nonzero(~self.state.test_mask)))
        self._follow_class_count(dataset.n_classes)

    def _follow_class_count(self, n_classes: int) -> None:
        """Say so when the number of classes changes the output layer (a new run)."""
        previous = self._shown_classes
        self._shown_classes = n_classes
        if n_classes == previous:
            return
        self.network_editor.set_class_count(n_classes)
        if previous:
            output = "1 sigmoid unit" if n_classes == 2 else f"{n_classes} softmax units"
            self.statusBar().showMessage(
                f"{n_classes} classes: the output layer is now {output}; "
                "the network was re-initialised.",
                8000,
            )

    @Slot(object, int, int)
    def _on_points_requested(self, points: np.ndarray, label: int, stroke: int) -> None:
        after = self.dataset.with_points(points, label)
        self._edit_dataset(after, _added_text(len(points), label), stroke)

    @Slot(int)
    def _on_point_removal_requested(self, index: int) -> None:
        self._edit_dataset(self.dataset.without_point(index), "Remove a point")

    @Slot(str, int, float, int, int)
    def _on_preset_requested(self, name: str, n: int, noise: float, classes: int, seed: int):
        try:
            dataset = make_preset(name, n=n, noise=noise, seed=seed, n_classes=classes)
        except MlpvizError as error:
            self._show_error("Cannot generate this dataset", str(error))
            return
        self._edit_dataset(dataset, f"Generate {name}", new_run=True)
        self._data_name = name
        self.data_plane.fit_view()

    def _clear_points(self) -> None:
        if len(self.dataset):
            self._edit_dataset(Dataset.empty(), "Clear all points", new_run=True)

    # --- network and training ---------------------------------------------------------
    @Slot(object)
    def _on_network_config_requested(self, config: NetworkConfig) -> None:
        self.state.set_network_config(config)
        self.statusBar().showMessage("Network rebuilt and re-initialised.", 4000)

    def _on_reset_requested(self) -> None:
        self._worker.reset()
        self.state.mark_modified()
        self.statusBar().showMessage("Weights re-initialised.", 3000)

    @Slot(object)
    def _on_snapshot_received(self, snapshot: Snapshot) -> None:
        if snapshot.iteration:
            self.state.mark_modified()
        if snapshot.running or snapshot.iteration != self._last_iteration:
            self._clear_solved_problem()
        self._last_iteration = snapshot.iteration
        if snapshot.running:
            self._autosave.note_training()

    @Slot(object)
    def _on_frame_shown(self, frame: Frame) -> None:
        if frame is self.frame:  # the active workspace's
            self._metrics_label.setText(_metrics_text(frame.snapshot))

    @Slot(int, int, object, object)
    def _on_rewound(
        self, iteration: int, dropped: int, dataset: Dataset, training: TrainingConfig
    ) -> None:
        """The run went back to ``iteration``: follow it live, with its data and settings."""
        if dataset is not self.state.dataset:
            self._undo_stack.clear()  # the edits on the stack led to data that is gone
            self.state.set_dataset(dataset)
        self.state.set_training_config(training)
        self.state.mark_modified()
        self.timeline_bar.show_live()
        self._frames.show_live()
        self.statusBar().showMessage(
            f"Continuing from iteration {iteration:,}; the {dropped:,} later checkpoints "
            "were dropped.",
            8000,
        )

    @Slot(object)
    def _on_diverged(self, divergence: Divergence) -> None:
        """One dialog, reused however often the run diverges: what happened, and a button
        that goes back to the last good state with an α measured to work."""
        message = divergence.message()
        self.statusBar().showMessage(message.split(": ")[0] + ".")
        box = self._divergence_dialog()
        box.setText(message)
        lr = divergence.safe_learning_rate
        box.button(QMessageBox.Apply).setText(
            f"Go back to iteration {divergence.good_iteration:,}"
            + ("" if lr is None else f" and use α = {lr:.3g}")
        )
        self._recovery = (self._active_worker(), divergence.good_index, lr)
        box.open()

    def _divergence_dialog(self) -> QMessageBox:
        box = self.findChild(QMessageBox, "divergenceDialog")
        if box is not None:
            return box
        box = QMessageBox(QMessageBox.Warning, "Training diverged", "", QMessageBox.NoButton, self)
        box.setObjectName("divergenceDialog")
        box.setStandardButtons(QMessageBox.Apply | QMessageBox.Close)
        box.button(QMessageBox.Apply).setObjectName("recoverButton")
        box.setDefaultButton(QMessageBox.Apply)
        box.buttonClicked.connect(self._on_divergence_answered)
        return box

    def _on_divergence_answered(self, button: QAbstractButton) -> None:
        answer = self._divergence_dialog().standardButton(button)
        if answer == QMessageBox.Apply and self._recovery is not None:
            worker, index, learning_rate = self._recovery
            worker.rewind(index, learning_rate)

    @Slot(str)
    def _on_problem_occurred(self, message: str) -> None:
        self._problem = message
        self.statusBar().showMessage(message, 8000)

    def _clear_solved_problem(self) -> None:
        """Training went on: a message saying why it could not is no longer true."""
        if self._problem and self.statusBar().currentMessage() == self._problem:
            self.statusBar().clearMessage()
        self._problem = ""

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
        """Load a CSV dataset (undoable; a new run); a bad file shows the reason and changes
        nothing."""
        try:
            dataset = load_csv(path)
            check_classes_consecutive(dataset, Path(path).name)
        except MlpvizError as error:
            self._show_error("Cannot open the dataset", str(error))
            return False
        self._edit_dataset(dataset, f"Open {Path(path).name}", new_run=True)
        self._data_name = Path(path).name
        self.data_plane.fit_view()
        self._remember_directory(path)
        return True

    def _open_csv(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Open dataset", self._directory(), "CSV datasets (*.csv);;All files (*)"
        )
        if path:
            self.open_dataset(path)

    def open_path(self, path: str | Path) -> bool:
        """Open a ``.mlpviz`` session or a CSV dataset, by the file's suffix."""
        if Path(path).suffix.lower() == ".mlpviz":
            return self.open_session(path)
        return self.open_dataset(path)

    def open_session(self, path: str | Path) -> bool:
        """Open a ``.mlpviz`` session in the workspace it says (shown): its data, settings,
        weights and timeline replace that workspace's. A bad file shows the reason in a
        dialog and changes nothing."""
        try:
            session = Session.load(path, workspace=None)
        except MlpvizError as error:
            self._show_error("Cannot open the session", str(error))
            return False
        self._adopt_session(session, Path(path))
        self._active_state().mark_saved()
        self._remember_recent(path)
        self.statusBar().showMessage(f"Opened {Path(path).name}.", 5000)
        return True

    def save_session(self, path: str | Path) -> bool:
        """Write the active workspace's whole session (data, settings, weights, optimiser
        state, timeline) to ``path``; a failure shows the reason in a dialog and returns
        False."""
        worker, state = self._active_worker(), self._active_state()
        if worker is None:
            self._show_error("Cannot save the session", "no digits are loaded yet")
            return False
        try:
            with worker.lock:
                session = worker.session
                if worker is self._worker:
                    session.view_settings = self._view_settings()
                session.save(path)
        except (MlpvizError, OSError) as error:
            self._show_error("Cannot save the session", str(error))
            return False
        state.set_path(Path(path))
        state.mark_saved()
        self._remember_recent(path)
        self.statusBar().showMessage(f"Saved {path}", 5000)
        return True

    def open_model(self, path: str | Path) -> bool:
        """Start a new run from a saved model's weights (File ▸ Open model…); a model that is
        not a 2-input mlpviz model or does not fit the data's classes changes nothing and
        says why in a dialog."""
        try:
            net = load_model(path, n_inputs=2)
        except MlpvizError as error:
            self._show_error("Cannot open the model", str(error))
            return False
        try:  # the checks the worker's session will make, made here first
            network = NetworkConfig.of(net, self.state.network_config.seed)
            Session(self.dataset, network).start_from(net)
        except MlpvizError as error:
            self._show_error("Cannot open the model", f"{Path(path).name}: {error}")
            return False
        self._worker.start_from(net)
        self.state.set_network_config(network)  # the session has it already: no new run
        self.state.mark_modified()
        self._remember_directory(path)
        self.statusBar().showMessage(f"Opened {Path(path).name}: a new run from its weights.")
        return True

    def _open_model(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Open model", self._directory(), "mlpviz models (*.npz);;All files (*)"
        )
        if path:
            self.open_model(path)

    def _adopt_session(self, session: Session, path: Path | None = None) -> None:
        """Train ``session`` (from the file ``path``, None: restored) in its workspace from
        now on, and show that workspace with the session's data and settings."""
        if session.workspace == DIGITS:
            self.digits_workspace.adopt_session(session, path)  # first: nothing else loads
            self.set_workspace(DIGITS)
            return
        self.set_workspace(POINTS)
        self._data_name = path.name if path is not None else self._data_name
        self.state.set_path(path)
        self._worker.replace_session(session)
        self._undo_stack.clear()  # the edits on the stack belong to the work replaced
        self._apply_view_settings(session.view_settings)
        self.state.adopt(
            session.dataset, session.network_config, session.training_config, session.test_ratio
        )
        self.data_plane.fit_view()

    def _view_settings(self) -> dict:
        return {"show_test_points": self.dataset_panel.show_test_points()}

    def _apply_view_settings(self, view: dict) -> None:
        if isinstance(view.get("show_test_points"), bool):
            self.dataset_panel.set_settings({"show_test_points": view["show_test_points"]})
            self.data_plane.set_show_test_points(view["show_test_points"])

    def _open_session(self) -> None:
        self._after_unsaved_changes(self._ask_and_open_session)

    def _ask_and_open_session(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Open session", self._directory(), SESSION_FILTER
        )
        if path:
            self.open_session(path)

    def _save_session(self) -> None:
        state = self._active_state()
        if state is None or state.path is None:
            self._save_session_as()
        else:
            self.save_session(state.path)

    def _save_session_as(self) -> None:
        state = self._active_state()
        path = None if state is None else state.path
        default = "digits.mlpviz" if self.workspace == DIGITS else "session.mlpviz"
        name = path.name if path else default
        path = self._ask_save_path("Save session", name, SESSION_FILTER)
        if path:
            self.save_session(_with_suffix(path, ".mlpviz"))

    def _remember_recent(self, path: str | Path) -> None:
        path = str(Path(path).resolve())
        recent = [path, *(p for p in self._recent_files() if p != path)][:MAX_RECENT_FILES]
        self._settings.setValue("files/recent", json.dumps(recent))
        self._remember_directory(path)

    def _recent_files(self) -> list[str]:
        try:
            recent = json.loads(str(self._settings.value("files/recent", "[]")))
        except ValueError:
            return []
        return [p for p in recent if isinstance(p, str)] if isinstance(recent, list) else []

    def _fill_recent_menu(self) -> None:
        menu = self._recent_menu
        menu.clear()
        existing = [p for p in self._recent_files() if Path(p).is_file()]
        for path in existing:
            action = menu.addAction(Path(path).name)
            action.setToolTip(path)
            action.triggered.connect(lambda _checked=False, p=path: self._open_recent(p))
        if not existing:
            menu.addAction("No recent sessions").setEnabled(False)

    def _open_recent(self, path: str) -> None:
        self._after_unsaved_changes(lambda: self.open_session(path))

    def _offer_recovery(self) -> None:
        path = left_by_a_crash()
        if path is not None:
            self.recovery_bar.offer(path, path.stat().st_mtime)

    @Slot(object)
    def _on_restore_requested(self, path: Path) -> None:
        try:
            session = Session.load(path, workspace=None)
        except MlpvizError as error:
            self._show_error("Cannot restore the session", str(error))
            return
        self._adopt_session(session, None)
        self._active_state().mark_modified()  # the restored work is in no file of the user's yet
        _delete_file(path)
        self.statusBar().showMessage("Session restored.", 5000)

    # --- keyboard focus -----------------------------------------------------------------------
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """After Enter or Esc in a text field of this window, give the keys back to the app.

        A field keeps the focus otherwise, and then claims Space, → and the digits: Space
        would type into α instead of pausing, a digit would go into the field instead of
        choosing a class. The field handles the key first (Enter commits, Esc reverts).
        """
        if event.type() != QEvent.KeyPress:  # thousands of events a second while playing
            return False
        if (
            event.key() in FIELD_DONE_KEYS
            and isinstance(watched, (QLineEdit, QAbstractSpinBox))
            and watched.window() is self
        ):
            QTimer.singleShot(0, self, self._focus_workspace)
        return self._escape_neuron_map(watched, event)

    def _escape_neuron_map(self, watched: QObject, event: QEvent) -> bool:
        """Esc outside a text field, while a neuron's map is shown, shows the decision
        regions again and goes no further. Not a shortcut: a shortcut would take Esc from
        the fields, where it undoes the typing. Only the first delivery of the key (to the
        focus widget) counts, not its propagation to the parents."""
        if (
            event.type() != QEvent.KeyPress
            or event.key() != Qt.Key_Escape
            or event.modifiers() != Qt.NoModifier
            or watched is not (QApplication.focusWidget() or self)
            or isinstance(watched, (QLineEdit, QAbstractSpinBox))
            or watched.window() is not self
            or self.data_plane.shown_neuron is None
        ):
            return False
        self._show_decision_regions()
        return True

    def _focus_workspace(self) -> None:
        """The keys go to the active workspace's home: the data plane, or the digits'."""
        if self.isVisible():
            home = self.digits_workspace if self.workspace == DIGITS else self.data_plane
            home.setFocus(Qt.OtherFocusReason)

    # --- drag and drop ------------------------------------------------------------------------
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        """Accept a dragged ``.mlpviz`` session or ``.csv`` dataset."""
        if _dropped_file(event.mimeData()) is not None:
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        """Open the dropped session or dataset."""
        path = _dropped_file(event.mimeData())
        if path is None:
            return
        event.acceptProposedAction()
        if path.suffix.lower() == ".mlpviz":  # replaces the work: ask first
            self._after_unsaved_changes(lambda: self.open_session(path))
        else:  # an undoable edit of the data, like File ▸ Open dataset
            self.open_dataset(path)

    # --- title and unsaved changes ---------------------------------------------------------
    def _show_title(self) -> None:
        state = self._active_state()
        path = None if state is None else state.path
        workspace = " (digits)" if self.workspace == DIGITS else ""
        self.setWindowTitle(f"{path.name if path else 'Untitled'}[*]{workspace} — mlpviz")
        self.setWindowModified(state is not None and state.modified)

    def _after_unsaved_changes(self, then: Callable[[], object]) -> None:
        """Call ``then`` once unsaved changes are saved or discarded; ask first if there are.

        The question is a window-modal dialog that does not block: the run goes on behind it.
        """
        state = self._active_state()
        if state is None or not state.modified:
            then()
            return
        name = state.path.name if state.path else "this session"
        box = QMessageBox(
            QMessageBox.Question,
            "Unsaved changes",
            f"Save the changes to {name} first? Otherwise they are lost.",
            QMessageBox.Save | QMessageBox.Discard | QMessageBox.Cancel,
            self,
        )
        box.setObjectName("unsavedChangesDialog")
        box.setDefaultButton(QMessageBox.Save)
        box.setAttribute(Qt.WA_DeleteOnClose)

        def on_answer(button) -> None:
            answer = box.standardButton(button)
            if answer == QMessageBox.Save:
                self._save_session()
                if not state.modified:
                    then()
            elif answer == QMessageBox.Discard:
                then()

        box.buttonClicked.connect(on_answer)
        box.open()

    def _save_csv(self) -> None:
        path = self._ask_save_path("Save dataset", "dataset.csv", "CSV datasets (*.csv)")
        if path:
            self._write_file(lambda: save_csv(self.dataset, path), path)

    def _save_model(self) -> None:
        snapshot = self.last_snapshot
        if snapshot is None:
            return
        path = self._ask_save_path("Save model", "model.npz", "mlpviz models (*.npz)")
        if path:
            self._write_file(lambda: save_model(snapshot.net, path), path)

    # --- figures and presentation ----------------------------------------------------------
    def _create_figure_actions(self, file_menu) -> None:
        """File ▸ Export figure / sheet / loss record; Export… on each view; the data plane's
        export button (its right click removes points)."""
        export = self._add_action(file_menu, "Export &figure…", "Ctrl+E", self._ask_figure)
        self._common_actions.append(export)  # each workspace exports its own views
        self._add_action(file_menu, "Export s&heet…", "Ctrl+Shift+E", self._ask_sheet)
        self._add_action(file_menu, "Export &loss record as CSV…", None, self._ask_loss_csv)
        for name in figures.FIGURE_VIEWS:
            view = self._view_named(name)
            if view is not None and view is not self.data_plane:
                action = QAction("Export…", view)
                action.setObjectName(f"{name}ExportAction")
                action.triggered.connect(lambda _checked=False, n=name: self._ask_figure(n))
                offer_export(view, action)
        button = QToolButton(objectName="exportDataPlaneButton", text="Export…")
        button.setToolTip("Export the data plane as a figure (PNG or SVG)")
        button.clicked.connect(lambda: self._ask_figure("dataPlane"))
        CornerButton(self.data_plane, button)

    def _create_presentation_action(self, view_menu) -> None:
        """View ▸ Presentation mode (F11): full screen, large type, editing panels hidden."""
        views = [
            plot
            for name in figures.FIGURE_VIEWS
            for plot in figures.graphics_views(self.findChild(QWidget, name))
        ]
        bars = [self.menuBar(), self.toolbar, self.timeline_bar]
        docks = [self.findChild(QDockWidget, name) for name in ("dataDock", "networkDock")]
        # Not the status bar: its line of numbers would then hold the window wider than a
        # small projector (the loss plot's readout shows them, larger).
        self._presentation = PresentationMode(
            self, [v for v in views if v is not None], bars, docks
        )
        action = self._add_action(
            view_menu, "&Presentation mode", "F11", self._presentation.set_active
        )
        action.setObjectName("presentationModeAction")
        action.setCheckable(True)
        self._presentation.active_changed.connect(self._share_width)

    def export_view(
        self, name: str, path: str | Path, *, width: int | None = None, height: int | None = None
    ) -> None:
        """Write the view ``name`` (its objectName: ``dataPlane``, ``lossPlot``, …) drawing
        the current Frame to ``path``, a PNG or an SVG by its suffix, however the view is
        shown on screen (hidden, tabbed, tiny). ``width`` and ``height`` are in pixels; given
        one, the other keeps the view's aspect on screen; given none, a slide's size at 2×.

        Raises ValueError (a bad name, size or suffix, nothing to draw yet) or OSError, with
        a one-line message."""
        figures.check_target(path)
        size = self._figure_size(name, width, height)
        figures.write_figure(
            name,
            self._frame_to_export(),
            path,
            size,
            scale=self._presentation.scale,
            configure=lambda fresh: figures.copy_options(name, self._view_named(name), fresh),
        )

    def export_sheet(
        self, path: str | Path, *, width: int | None = None, height: int | None = None
    ) -> None:
        """Write every view of the current Frame into one PNG or SVG, under a title line
        naming the data, the network, the optimiser and α, the iteration, J and accuracy."""
        figures.check_target(path)
        frame = self._frame_to_export()
        size = None if width is None and height is None else _sheet_size(width, height)
        title = figures.sheet_title(self._data_name, frame, self._training_of(frame))
        figures.write_sheet(
            frame,
            path,
            title,
            size,
            scale=self._presentation.scale,
            configure=lambda name, fresh: figures.copy_options(name, self._view_named(name), fresh),
        )

    def export_loss_csv(self, path: str | Path) -> None:
        """Write the loss record up to the Frame shown as ``iteration,train_loss,test_loss,
        train_accuracy,test_accuracy`` (empty where not measured)."""
        frame = self._frame_to_export()
        record = frame.snapshot.history.until(frame.snapshot.iteration)
        write_text_atomically(path, record.to_csv())

    def _view_named(self, name: str) -> QWidget | None:
        """The view on screen whose objectName is ``name``."""
        return self.findChild(QWidget, name)

    def _frame_to_export(self) -> Frame:
        if self.frame is None:
            raise ValueError("there is nothing to export yet")
        return self.frame

    def _figure_size(self, name: str, width: int | None, height: int | None) -> tuple[int, int]:
        """The size asked for; one side missing follows the view's aspect on screen."""
        spec = figures.view_spec(name)
        if width is None and height is None:
            return spec.size
        view = self._view_named(name)
        if view is not None and self._on_screen(view):
            aspect = view.width() / view.height()
        else:  # not on screen: the aspect of its default size
            aspect = spec.size[0] / spec.size[1]
        if height is None:
            return width, max(1, round(width / aspect))
        if width is None:
            return max(1, round(height * aspect)), height
        return width, height

    def _on_screen(self, view: QWidget) -> bool:
        """Whether ``view`` shows in the window: a dock behind another's tab is "visible",
        moved out of the window."""
        place = QRect(view.mapTo(self, QPoint(0, 0)), view.size())
        return view.isVisible() and not view.size().isEmpty() and self.rect().intersects(place)

    def _training_of(self, frame: Frame) -> TrainingConfig:
        """The training settings the frame's state was reached with."""
        if frame.checkpoint is not None:
            with self._worker.lock:
                timeline = self._worker.session.timeline
                if frame.checkpoint < len(timeline):
                    return timeline[frame.checkpoint].training
        return self.state.training_config

    def _ask_figure(self, name: str | None = None) -> None:
        """File ▸ Export figure…: choose the view, the size and the format, then the file."""
        views = {n: spec.title for n, spec in figures.FIGURE_VIEWS.items() if self._shows(n)}
        if not views:
            self._show_error("Cannot export a figure", "There is nothing to export yet.")
            return
        dialog = ExportFigureDialog(views, self)
        dialog.setAttribute(Qt.WA_DeleteOnClose)
        if name is not None:
            dialog.select_view(name)
        dialog.export_requested.connect(self._on_figure_requested)
        dialog.open()

    def _shows(self, name: str) -> bool:
        frame = self.frame
        return frame is not None and figures.can_draw(name, frame)

    @Slot(str, int, int, str)
    def _on_figure_requested(self, name: str, width: int, height: int, suffix: str) -> None:
        default = f"{figures.view_spec(name).file_name}{suffix}"
        path = self._ask_save_path("Export figure", default, FIGURE_FILTERS[suffix])
        if path:
            path = _with_suffix(path, suffix)
            self._write_file(lambda: self.export_view(name, path, width=width, height=height), path)

    def _ask_sheet(self) -> None:
        path = self._ask_save_path("Export sheet", "sheet.png", ";;".join(FIGURE_FILTERS.values()))
        if path:
            self._write_file(lambda: self.export_sheet(path), path)

    def _ask_loss_csv(self) -> None:
        path = self._ask_save_path("Export loss record", "loss.csv", "CSV files (*.csv)")
        if path:
            path = _with_suffix(path, ".csv")
            self._write_file(lambda: self.export_loss_csv(path), path)

    def _ask_save_path(self, title: str, default_name: str, file_filter: str) -> str:
        start = str(Path(self._directory()) / default_name)
        path, _ = QFileDialog.getSaveFileName(self, title, start, file_filter)
        return path

    def _write_file(self, write, path: str) -> None:
        QApplication.setOverrideCursor(Qt.WaitCursor)  # a sheet takes a second or two
        try:
            write()
        except (MlpvizError, OSError, ValueError) as error:
            self._show_error("Cannot write the file", str(error))
            return
        finally:
            QApplication.restoreOverrideCursor()
        self._remember_directory(path)
        self.statusBar().showMessage(f"Saved {path}", 5000)

    # --- animation and PyTorch script ----------------------------------------------------
    def export_animation(
        self,
        path: str | Path,
        *,
        views: tuple[str, ...] = ("dataPlane",),
        seconds: float | None = None,
        size: int | None = None,
    ) -> None:
        """Write the run's timeline as an animated GIF or an MP4 video (by the suffix):
        ``views`` side by side over the checkpoints, ``seconds`` long (default 10 to 30 s),
        each view ``size`` pixels square. Returns when the file is complete; raises
        AnimationError (an MlpvizError) for a format, length or view that cannot be made.
        """
        frames = self._timeline_frames(seconds)
        write_animation(path, frames, views=views, seconds=seconds, size=size)

    def _timeline_frames(self, seconds: float | None) -> list[Frame]:
        """The frames of an animation ``seconds`` long of the run as it is now."""
        with self._worker.lock:
            return timeline_frames(self._worker.session, seconds=seconds)

    def _export_animation(self) -> None:
        """File ▸ Export animation…: the settings, then the file, then a progress dialog.
        One export at a time: while one runs, its progress dialog comes forward."""
        if self._animation is not None and self._animation.is_running():
            self._animation.dialog.raise_()
            return
        with self._worker.lock:
            checkpoints = len(self._worker.session.timeline)
        dialog = AnimationDialog(checkpoints, self)
        dialog.setAttribute(Qt.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: self._ask_animation_path(dialog.settings()))
        dialog.open()

    def _ask_animation_path(self, settings: AnimationSettings) -> None:
        kind = "Animated GIF (*.gif)" if settings.suffix == ".gif" else "MP4 video (*.mp4)"
        path = self._ask_save_path("Export animation", f"animation{settings.suffix}", kind)
        if not path:
            return
        path = _with_suffix(path, settings.suffix)
        frames = self._timeline_frames(settings.seconds)
        export = AnimationExport(path, frames, settings, self)
        export.finished.connect(lambda written: self._on_file_written(written))
        export.failed.connect(
            lambda reason: self._show_error("Cannot export the animation", reason)
        )
        export.cancelled.connect(
            lambda: self.statusBar().showMessage("Animation cancelled: no file written.", 5000)
        )
        self._animation = export
        export.start()

    def _on_file_written(self, path: str) -> None:
        self._remember_directory(path)
        self.statusBar().showMessage(f"Saved {path}", 5000)

    def export_pytorch_script(self, path: str | Path) -> None:
        """Write the network of the frame shown as a standalone PyTorch script (see
        mlpviz.core.pytorch_script); ModelError if its weights are not finite."""
        snapshot = self.frame.snapshot if self.frame is not None else self.last_snapshot
        description = f"Iteration {snapshot.iteration:,}, J = {snapshot.train_loss:.4g}."
        save_pytorch_script(snapshot.net, path, description)

    def _export_pytorch_script(self) -> None:
        if self.last_snapshot is None:
            return
        path = self._ask_save_path("Export model as PyTorch", "model.py", "Python scripts (*.py)")
        if path:
            path = _with_suffix(path, ".py")
            self._write_file(lambda: self.export_pytorch_script(path), path)

    def _directory(self) -> str:
        return str(self._settings.value("files/directory", str(Path.home())))

    def _remember_directory(self, path: str | Path) -> None:
        self._settings.setValue("files/directory", str(Path(path).resolve().parent))

    def _show_shortcuts(self) -> None:
        """A dialog listing every key the window answers to (non-modal)."""
        box = self.findChild(QMessageBox, "shortcutsDialog")
        if box is None:
            box = QMessageBox(self)
            box.setObjectName("shortcutsDialog")
            box.setWindowTitle("Keyboard shortcuts")
            box.setTextFormat(Qt.RichText)
            box.setText(_shortcuts_html(self._shortcut_rows()))
        box.open()

    def _shortcut_rows(self) -> list[tuple[str, str]]:
        """``(keys, what they do)`` for every action with a shortcut, then the other keys."""
        rows = set()
        for action in self.findChildren(QAction):
            keys = [key.toString(QKeySequence.NativeText) for key in action.shortcuts()]
            name = action.text().replace("&", "").rstrip("…")
            if keys and name:
                rows.add((" or ".join(keys), name))
        return sorted(rows, key=lambda row: row[1]) + OTHER_KEYS

    def _show_about(self) -> None:
        QMessageBox.about(
            self,
            "About mlpviz",
            "<b>mlpviz</b> — watch a neural network learn.<br>"
            "Draw points (left click, drag to paint, right click to remove; keys 0–7 choose "
            "the class), build a network on the left, then Step (→) or Play (Space).",
        )

    # --- settings ---------------------------------------------------------------------
    def _restore_settings(self) -> None:
        settings = self._settings
        self._balance_right_column = not self._restore_layout(
            settings.value("window/geometry"), settings.value("window/state")
        )
        if self._balance_right_column:
            self.resize(1366, 768)
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
                self._settings_note = "Some stored settings were unreadable: back to defaults."

        self.data_plane.set_show_test_points(self.dataset_panel.show_test_points())

    def _restore_layout(self, geometry: object, state: object) -> bool:
        """Restore the window's size, place and docks; False when nothing usable was stored.

        A stored value of the wrong type or content (another version, a hand-edited file) is
        dropped with a note: it must never stop the app from starting.
        """
        restored = True
        for key, value, restore in (
            ("window/geometry", geometry, self.restoreGeometry),
            ("window/state", state, self.restoreState),
        ):
            if value is None:
                restored = False
            elif not (isinstance(value, (QByteArray, bytes)) and restore(QByteArray(value))):
                self._settings.remove(key)
                self._settings_note = "The stored window layout was unreadable: back to defaults."
                restored = False
        return restored

    def _restore_toolbar(self, values: dict) -> None:
        self.toolbar.set_speed(values.get("speed"))
        self.toolbar.set_stop_at(values.get("stop_at"))

    def _save_settings(self) -> None:
        settings, state = self._settings, self.state
        settings.setValue("window/geometry", self.saveGeometry())
        settings.setValue("window/state", self.workspaces.points_layout())
        toolbar = {"speed": state.speed, "stop_at": state.stop_at}
        for key, value in (
            ("network/config", state.network_config.to_dict()),
            ("training/config", state.training_config.to_dict()),
            ("data/panel", self.dataset_panel.settings()),
            ("training/toolbar", toolbar),
        ):
            settings.setValue(key, json.dumps(value))
        settings.sync()

    def quit(self) -> None:
        """File ▸ Quit: close, after asking about the unsaved changes of each workspace."""
        others = [name for name in (POINTS, DIGITS) if name != self.workspace]
        self._after_unsaved_changes(lambda: self._quit_after(others))

    def _quit_after(self, workspaces: list[str]) -> None:
        """Ask about the unsaved changes of ``workspaces`` in turn (each shown), then close."""
        for index, name in enumerate(workspaces):
            state = self.digits_workspace.state if name == DIGITS else self.state
            if state is not None and state.modified:
                self.set_workspace(name)
                rest = workspaces[index + 1 :]
                self._after_unsaved_changes(lambda rest=rest: self._quit_after(rest))
                return
        self.close_discarding_changes()

    def closeEvent(self, event: QCloseEvent) -> None:
        """Remember the settings, stop the training thread (as long as its current step
        takes, the window already hidden) and leave nothing to restore.

        Closed by the user (the title bar's button), it first asks about unsaved changes;
        ``close()`` called by code (scripts, tests) does not ask.
        """
        modified = self.state.modified or (
            self.digits_workspace.state is not None and self.digits_workspace.state.modified
        )
        if event.spontaneous() and not self._close_confirmed and modified:
            event.ignore()
            self.quit()
            return
        self._save_settings()
        QApplication.instance().removeEventFilter(self)
        self.hide()
        if self._animation is not None:
            self._animation.stop()
        stop_worker(self._thread, self._worker)
        self.digits_workspace.stop()
        self._autosave.discard()
        super().closeEvent(event)

    def close_discarding_changes(self) -> bool:
        """Close without asking about unsaved changes (scripts and tests)."""
        self._close_confirmed = True
        return self.close()


def _metrics_text(snapshot: Snapshot) -> str:
    """``Iteration 1,200 · epoch 12   J train 0.1234 / test 0.2345   accuracy 97.5% / 95.0%``;
    a value not measured (no test set) is a dash, without a unit."""

    def number(value: float, fmt: str, unit: str = "") -> str:
        return "—" if math.isnan(value) else format(value, fmt) + unit

    train_accuracy = number(100 * snapshot.train_accuracy, ".1f", "%")
    test_accuracy = number(100 * snapshot.test_accuracy, ".1f", "%")
    return (
        f"Iteration {snapshot.iteration:,} · epoch {snapshot.epoch:,}   "
        f"J train {number(snapshot.train_loss, '.4f')} / test {number(snapshot.test_loss, '.4f')}"
        f"   accuracy {train_accuracy} / {test_accuracy}"
        f"   {snapshot.updates_per_second:,.0f} it/s"
    )


class _ReadoutOf:
    """The loss plot's line of newest values as a view of its own, drawn with every frame:
    it then never lags the iteration label while the curves are redrawn less often."""

    def __init__(self, loss_plot: LossPlot) -> None:
        self._loss_plot = loss_plot

    def show_frame(self, frame: Frame) -> None:
        """Show the frame's values."""
        self._loss_plot.show_readout(frame)


def _shortcuts_html(rows: list[tuple[str, str]]) -> str:
    cells = "".join(
        f"<tr><td><b>{html.escape(keys)}</b>&nbsp;&nbsp;</td><td>{html.escape(what)}</td></tr>"
        for keys, what in rows
    )
    return f"<table cellspacing='3'>{cells}</table>"


def _added_text(count: int, label: int) -> str:
    """``Add a point of class 2`` / ``Add 4,407 points of class 2`` (the undo menu's text)."""
    points = "a point" if count == 1 else f"{count:,} points"
    return f"Add {points} of class {label}"


def _sheet_size(width: int | None, height: int | None) -> tuple[int, int]:
    """The sheet's size; one side missing keeps the sheet's 16:9."""
    default_width, default_height = figures.SHEET_SIZE
    if width is None:
        return round(height * default_width / default_height), height
    if height is None:
        return width, round(width * default_height / default_width)
    return width, height


def _with_suffix(path: str, suffix: str) -> str:
    return path if Path(path).suffix.lower() == suffix else path + suffix


def _dropped_file(mime: QMimeData) -> Path | None:
    """The one local ``.mlpviz`` or ``.csv`` file being dragged, or None."""
    urls = mime.urls() if mime.hasUrls() else []
    if len(urls) != 1 or not urls[0].isLocalFile():
        return None
    path = Path(urls[0].toLocalFile())
    return path if path.suffix.lower() in (".mlpviz", ".csv") else None


def _delete_file(path: Path) -> None:
    Path(path).unlink(missing_ok=True)
