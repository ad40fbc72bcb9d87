"""The digits workspace: the lecture's closing exercise, an MLP on handwritten digits.

A second Session on the same engine as the 2-D workspace: its own AppState, TrainingWorker
(and thread), FrameDirector, timeline and autosave, with its own copies of the shared controls
(named with the ``digits`` prefix: ``digitsPlayButton``, ``digitsTimelineSlider``…). The main
window shows one workspace at a time; the views here draw the Frame they are handed, so they
scrub with the timeline like the 2-D ones.

The data: scikit-learn's bundled 8×8 digits by default, or MNIST from the user's files
(loaded in a background thread: reading and checking 70,000 images takes seconds).
"""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, QSignalBlocker, Qt, Signal, Slot
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QSplitter,
    QStackedWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from mlpviz.core.config import DigitsNetworkConfig, HiddenLayer, TrainingConfig
from mlpviz.core.digits import (
    ImageDataset,
    load_digits_8x8,
    load_mnist,
    timeline_options,
    training_subset,
)
from mlpviz.core.errors import MlpvizError
from mlpviz.core.frame import Frame
from mlpviz.core.progress import duration_text, epoch_progress
from mlpviz.core.session import Session

from .app_state import AppState
from .autosave import Autosave
from .digit_image_views import ConfusionMatrixView, MisclassifiedGallery, WeightTilesView
from .drawing_pad import DrawingPanel
from .feature_space_plot import FeatureSpaceView
from .frames import FrameDirector
from .loss_plot import LossPlot
from .names import prefix_object_names
from .network_diagram import NetworkDiagram
from .network_editor import NetworkEditor
from .run_wiring import connect_run
from .timeline_bar import TimelineBar
from .training_toolbar import TrainingToolbar
from .worker import TrainingWorker, start_worker, stop_worker

PREFIX = "digits"
STARTING_NETWORK = DigitsNetworkConfig((HiddenLayer(32, "relu"),))
STARTING_TRAINING = TrainingConfig("adam", 0.01, 32)
LEFT_COLUMN_WIDTH, LEFT_COLUMN_SHARE = 300, 0.24  # pixels, and at most this share of the width
RIGHT_COLUMN_WIDTH, RIGHT_COLUMN_SHARE = 440, 0.30
MNIST_FILTER = "MNIST (*.npz *-ubyte *-ubyte.gz);;All files (*)"


class DataPanel(QWidget):
    """Where the images come from (the 8×8 digits or MNIST files) and how many train."""

    source_requested = Signal(object)  # None: the 8×8 digits; a path: MNIST files
    subset_changed = Signal(int)  # training images to keep, 0 = all

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("digitsDataPanel")
        self._label = QLabel("No images loaded yet.")
        self._label.setObjectName("digitsDataLabel")
        self._label.setWordWrap(True)
        digits = QPushButton("8×8 digits")
        digits.setObjectName("digitsLoadDigitsButton")
        digits.setToolTip("scikit-learn's 1,797 digits of 8×8 pixels, split 80/20 (seeded)")
        digits.clicked.connect(lambda: self.source_requested.emit(None))
        mnist = QPushButton("Open MNIST…")
        mnist.setObjectName("digitsOpenMnistButton")
        mnist.setToolTip(
            "MNIST from files you have: the four IDX files (plain or .gz; choose any of "
            "them) or Keras's mnist.npz. Nothing is downloaded."
        )
        mnist.clicked.connect(self._ask_mnist_path)
        self._subset = QSpinBox()
        self._subset.setObjectName("digitsSubsetSpin")
        self._subset.setRange(0, 60_000)
        self._subset.setSingleStep(500)
        self._subset.setSpecialValueText("all")
        self._subset.setGroupSeparatorShown(True)
        self._subset.setKeyboardTracking(False)
        self._subset.setToolTip(
            "Train on this many training images (drawn with seed 0) for quicker runs; the "
            "test set stays whole. A new run."
        )
        self._subset.valueChanged.connect(self.subset_changed)
        buttons = QHBoxLayout()
        buttons.addWidget(digits)
        buttons.addWidget(mnist)
        subset = QHBoxLayout()
        subset.addWidget(QLabel("Training images"))
        subset.addWidget(self._subset, 1)
        title = QLabel("<b>Data</b>")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(title)
        layout.addWidget(self._label)
        layout.addLayout(buttons)
        layout.addLayout(subset)

    def show_data(self, description: str) -> None:
        """Describe the images in use."""
        self._label.setText(description)

    def set_subset(self, count: int) -> None:
        """Show ``count`` training images kept (0 = all) without emitting anything."""
        with QSignalBlocker(self._subset):
            self._subset.setValue(count)

    def _ask_mnist_path(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open MNIST", "", MNIST_FILTER)
        if path:
            self.source_requested.emit(path)


class ProgressView(QWidget):
    """How far the current epoch is, and the time to its end while training."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("epochProgressView")
        self._bar = QProgressBar()
        self._bar.setObjectName("epochProgress")
        self._bar.setRange(0, 1000)
        self._bar.setTextVisible(True)
        self._bar.setMinimumWidth(140)
        self._bar.setMaximumWidth(220)
        self._label = QLabel()
        self._label.setObjectName("etaLabel")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 0, 6, 0)
        layout.addWidget(self._bar, 1)
        layout.addWidget(self._label)
        layout.addStretch(1)

    def show_frame(self, frame: Frame) -> None:
        """The frame's epoch and its progress; the ETA while it trains."""
        snapshot = frame.snapshot
        progress = epoch_progress(snapshot)
        self._bar.setValue(round(1000 * progress.done))
        self._bar.setFormat(f"epoch {snapshot.epoch + 1:,}: {100 * progress.done:.0f}%")
        if progress.seconds_left is None:
            self._label.setText("")
        else:
            self._label.setText(f"{duration_text(progress.seconds_left)} to the end of the epoch")


class _Loader(QObject):
    """Loads images in a background thread: the window stays live while MNIST is read."""

    loaded = Signal(object, object)  # ImageDataset, the source (None or a path)
    failed = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._latest = 0  # only the newest request's result counts

    def load(self, source: str | None) -> None:
        """Read ``source`` in a new thread; ``loaded`` or ``failed`` when done."""
        self._latest += 1
        threading.Thread(target=self._run, args=(source, self._latest), daemon=True).start()

    def cancel(self) -> None:
        """Drop the result of any load under way (a session was opened meanwhile)."""
        self._latest += 1

    def _run(self, source: str | None, request: int) -> None:
        try:
            data = load_digits_8x8() if source is None else load_mnist(source)
        except MlpvizError as error:
            self._answer(request, self.failed, str(error))
        except MemoryError:
            self._answer(request, self.failed, "not enough memory to load these images")
        else:
            self._answer(request, self.loaded, data, source)

    def _answer(self, request: int, signal, *args) -> None:
        if request == self._latest:
            signal.emit(*args)


class DigitsWorkspace(QWidget):
    """The digits workspace (``digitsWorkspace``): data, network, training and its views.

    Nothing is loaded or trained until ``start()`` (the first time the workspace is shown):
    a window that never opens it pays nothing for it.
    """

    frame_shown = Signal(object)  # the Frame just handed to the views
    message = Signal(str, int)  # a status-bar message and its milliseconds
    error = Signal(str, str)  # a dialog's title and its one-line message
    diverged = Signal(object)  # a Divergence
    title_changed = Signal()  # the session's file or its unsaved state changed

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("digitsWorkspace")
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)  # the keys' home (Space, →) here
        self.state: AppState | None = None
        self.worker: TrainingWorker | None = None
        self.autosave: Autosave | None = None
        self._thread = None
        self._frames: FrameDirector | None = None
        self._full_data: ImageDataset | None = None  # before the subset
        self._source: str | None = None
        self._loader = _Loader(self)
        self._loader.loaded.connect(self._on_loaded)
        self._loader.failed.connect(self._on_load_failed)
        self._create_widgets()
        self._lay_out()
        for widget in (self.toolbar, self.timeline_bar, self.network_editor, self.progress):
            prefix_object_names(widget, PREFIX)
        for widget in (self.loss_plot, self.feature_space, self.network_diagram):
            prefix_object_names(widget, PREFIX)
        self.data_panel.source_requested.connect(self.load)
        self.data_panel.subset_changed.connect(self._on_subset_changed)
        self._set_controls_enabled(False)

    # --- construction -----------------------------------------------------------------------
    def _create_widgets(self) -> None:
        self.toolbar = TrainingToolbar()
        self.timeline_bar = TimelineBar()
        self.progress = ProgressView()
        self.data_panel = DataPanel()
        self.network_editor = NetworkEditor(config_type=DigitsNetworkConfig, name_prefix=PREFIX)
        self.network_editor.set_network_config(STARTING_NETWORK)
        self.network_editor.set_training_config(STARTING_TRAINING)
        self.network_editor.set_class_count(10)
        self.loss_plot = LossPlot()
        self.feature_space = FeatureSpaceView()
        self.network_diagram = NetworkDiagram()
        self.drawing_panel = DrawingPanel()
        self.weight_tiles = WeightTilesView()
        self.confusion = ConfusionMatrixView()
        self.gallery = MisclassifiedGallery()
        self.confusion.cell_clicked.connect(self.gallery.show_cell)
        self.gallery.image_clicked.connect(self._edit_in_drawing_pad)
        self._waiting = QLabel("Loading the 8×8 digits…")
        self._waiting.setObjectName("digitsWaitingLabel")
        self._waiting.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._waiting.setWordWrap(True)

    def _lay_out(self) -> None:
        top = QVBoxLayout()
        top.setSpacing(0)
        self.toolbar.addSeparator()
        self.toolbar.addWidget(self.progress)
        top.addWidget(self.toolbar)
        top.addWidget(self.timeline_bar)
        self.view_tabs = QTabWidget()
        self.view_tabs.setObjectName("digitsViewTabs")
        self.view_tabs.addTab(self.weight_tiles, "First-layer weights")
        errors = QSplitter(Qt.Orientation.Horizontal)
        errors.setObjectName("digitsErrorsSplitter")
        errors.addWidget(self.confusion)
        errors.addWidget(self.gallery)
        self.view_tabs.addTab(errors, "Confusion && mistakes")
        self.view_tabs.addTab(self.feature_space, "Feature space")
        self.view_tabs.addTab(self.network_diagram, "Network")
        right = QSplitter(Qt.Orientation.Vertical)
        right.setObjectName("digitsRightColumn")
        right.addWidget(self.loss_plot)
        right.addWidget(self.drawing_panel)
        self._views = QStackedWidget()
        self._views.addWidget(self._waiting)
        self._views.addWidget(self.view_tabs)
        columns = QSplitter(Qt.Orientation.Horizontal)
        columns.setObjectName("digitsColumns")
        columns.addWidget(self._left_column())
        columns.addWidget(self._views)
        columns.addWidget(right)
        columns.setStretchFactor(1, 1)
        self._columns = columns
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(columns, 1)

    def resizeEvent(self, event: QResizeEvent) -> None:
        """The views in the middle keep the largest share of a small window."""
        super().resizeEvent(event)
        if event.size().width() != event.oldSize().width():
            self._share_width(event.size().width())

    def _share_width(self, width: int) -> None:
        left = min(LEFT_COLUMN_WIDTH, round(LEFT_COLUMN_SHARE * width))
        right = min(RIGHT_COLUMN_WIDTH, round(RIGHT_COLUMN_SHARE * width))
        self._columns.setSizes([left, width - left - right, right])

    def _left_column(self) -> QScrollArea:
        column = QWidget()
        layout = QVBoxLayout(column)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.data_panel)
        layout.addWidget(self.network_editor, 1)
        scroll = QScrollArea()
        scroll.setObjectName("digitsLeftColumn")
        scroll.setWidget(column)
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setMinimumWidth(round(LEFT_COLUMN_SHARE * 800))  # a small screen
        return scroll

    def _set_controls_enabled(self, enabled: bool) -> None:
        for widget in (self.toolbar, self.timeline_bar, self.network_editor):
            widget.setEnabled(enabled)

    # --- public -------------------------------------------------------------------------------
    @property
    def started(self) -> bool:
        """Whether a run exists (images loaded, a worker training them)."""
        return self.worker is not None

    @property
    def frame(self) -> Frame | None:
        """The Frame the views draw now; None before the first."""
        return None if self._frames is None else self._frames.frame

    def start(self) -> None:
        """Load the 8×8 digits (in the background) unless a run exists or is loading."""
        if self.worker is None and self._full_data is None:
            self.load(None)

    def load(self, source: str | None) -> None:
        """Load the 8×8 digits (``None``) or MNIST from ``source`` in the background; a new
        run on them when they are read, a dialog saying why when they cannot be."""
        if not self.started:
            self._waiting.setText(
                "Loading the 8×8 digits…" if source is None else f"Loading {Path(source).name}…"
            )
        else:
            self.message.emit("Loading the images…", 0)
        self._loader.load(source)

    def adopt_session(self, session: Session, path: Path | None) -> None:
        """Train ``session`` (an opened or restored file of this workspace) from now on."""
        self._loader.cancel()
        data = session.dataset
        self._full_data, self._source = data, None
        self.data_panel.set_subset(0)
        if self.worker is None:
            self._start_run(session)
        else:
            self.worker.replace_session(session)
            self.state.adopt(data, session.network_config, session.training_config, 0.0)
        self._show_data(data)
        self.state.set_path(path)

    def pause(self) -> None:
        """Pause training (the window shows the other workspace)."""
        if self.worker is not None:
            self.worker.pause()

    def stop(self) -> None:
        """End the worker's thread (the window closes)."""
        if self.worker is not None:
            stop_worker(self._thread, self.worker)
            self.autosave.discard()

    # --- data -----------------------------------------------------------------------------------
    @Slot(object, object)
    def _on_loaded(self, data: ImageDataset, source: str | None) -> None:
        self._full_data, self._source = data, source
        self.data_panel.set_subset(0)
        self._use(data)
        self.message.emit(f"Loaded {self._describe(data)}.", 5000)

    @Slot(str)
    def _on_load_failed(self, message: str) -> None:
        if not self.started:
            self._waiting.setText(f"{message}\n\nOpen MNIST files with the button on the left.")
        self.error.emit("Cannot load the images", message)

    @Slot(int)
    def _on_subset_changed(self, count: int) -> None:
        if self._full_data is None:
            return
        try:
            data = training_subset(self._full_data, count) if count else self._full_data
        except MlpvizError as error:
            self.error.emit("Cannot take this subset", str(error))
            return
        self._use(data)

    def _use(self, data: ImageDataset) -> None:
        """Train on ``data``: a new run (the first one starts the worker)."""
        if self.worker is None:
            network, training = self.network_editor.network_config(), STARTING_TRAINING
            self._start_run(Session(data, network, training, **timeline_options(data)))
        else:
            with self.worker.lock:
                self.worker.session.set_budget(timeline_options(data)["budget_bytes"])
            self.state.set_dataset(data, new_run=True)
        self._show_data(data)

    def _show_data(self, data: ImageDataset) -> None:
        side = data.image_shape[0]
        self.data_panel.show_data(self._describe(data))
        self.network_editor.set_input_count(
            data.n_features, f"the {data.n_features} pixels of a {side}×{side} image"
        )
        self.network_editor.set_sample_count(int(np.count_nonzero(~data.test)))

    def _describe(self, data: ImageDataset) -> str:
        side = data.image_shape[0]
        name = f"MNIST ({side}×{side})" if self._source else f"{side}×{side} digits"
        train = int(np.count_nonzero(~data.test))
        return f"{name}: {train:,} training · {int(data.test.sum()):,} test images"

    # --- the run ------------------------------------------------------------------------------
    def _start_run(self, session: Session) -> None:
        """The first run: state, worker, frames, autosave, and the wiring between them."""
        self.state = AppState(
            session.dataset, session.network_config, session.training_config, 0.0, parent=self
        )
        self.state.set_speed(self.toolbar.speed())
        self.network_editor.set_network_config(session.network_config)
        self.network_editor.set_training_config(session.training_config)
        # The digits train in this thread, never in a separate process: MNIST's 220 MB would
        # be copied to it at every Play, and its large matrix products release the GIL.
        self._thread, self.worker = start_worker(self, session, separate_process=False)
        self._frames = FrameDirector(
            self.state,
            self.worker,
            views=[self.toolbar, self.timeline_bar, self.progress, self.drawing_panel],
            slow_views=[
                self.loss_plot,
                self.weight_tiles,
                self.confusion,
                self.gallery,
                self.feature_space,
                self.network_diagram,
            ],
            parent=self,
        )
        self.autosave = Autosave(self.worker, self)
        self._connect()
        self._views.setCurrentWidget(self.view_tabs)
        self._set_controls_enabled(True)
        self.worker.set_speed(self.state.speed)
        self.worker.refresh()

    def _connect(self) -> None:
        state, worker, toolbar, editor = self.state, self.worker, self.toolbar, self.network_editor
        editor.network_config_changed.connect(state.set_network_config)
        toolbar.reset_requested.connect(self._on_reset_requested)
        connect_run(state, worker, self._frames, toolbar, self.timeline_bar, editor)
        state.dataset_changed.connect(self._on_dataset_changed)
        state.modified_changed.connect(self.title_changed)
        state.path_changed.connect(self.title_changed)
        for changed in (
            state.dataset_changed,
            state.network_config_changed,
            state.training_config_changed,
        ):
            changed.connect(self.autosave.note_edit)
            changed.connect(state.mark_modified)
        worker.snapshot_ready.connect(self._on_snapshot_received)
        worker.diverged.connect(self.diverged)
        worker.problem_occurred.connect(lambda text: self.message.emit(text, 8000))
        worker.rewound.connect(self._on_rewound)
        self._frames.frame_shown.connect(self.frame_shown)
        self._frames.new_run_started.connect(self.loss_plot.clear)

    @Slot(int)
    def _edit_in_drawing_pad(self, index: int) -> None:
        """A test image clicked in the gallery goes onto the drawing pad, to be edited."""
        frame = self.frame
        if frame is not None:
            self.drawing_panel.set_image(frame.dataset.X[index])

    @Slot(object, bool)
    def _on_dataset_changed(self, data: ImageDataset, new_run: bool) -> None:
        self.worker.apply(dataset=data, new_run=new_run)
        self.timeline_bar.show_live()
        self._frames.show_live()

    def _on_reset_requested(self) -> None:
        self.worker.reset()
        self.state.mark_modified()
        self.message.emit("Weights re-initialised.", 3000)

    @Slot(object)
    def _on_snapshot_received(self, snapshot) -> None:
        if snapshot.iteration:
            self.state.mark_modified()
        if snapshot.running:
            self.autosave.note_training()

    @Slot(int, int, object, object)
    def _on_rewound(self, iteration: int, dropped: int, _data, training: TrainingConfig) -> None:
        self.state.set_training_config(training)
        self.state.mark_modified()
        self.timeline_bar.show_live()
        self._frames.show_live()
        self.message.emit(
            f"Continuing from iteration {iteration:,}; the {dropped:,} later checkpoints "
            "were dropped.",
            8000,
        )
