"""The one place where what the user set lives (TensorFlow Playground's state, napari's models).

Widgets emit intents; the main window turns them into calls of AppState's setters; AppState
emits ``*_changed`` signals that the widgets and the training worker follow. Settings
persistence and session files read this one object. A setter that does not change anything
emits nothing, so a widget that writes back what it was just told stops the loop.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, Signal

from mlpviz.core.config import NetworkConfig, TrainingConfig
from mlpviz.core.datasets import Dataset
from mlpviz.core.frame import follow_selection

SPLIT_SEED = 0


class AppState(QObject):
    """The dataset and its split, the network and training settings, the run's speed and
    where it stops, the session file and whether it has unsaved changes."""

    dataset_changed = Signal(object, bool)  # Dataset, and whether it starts a new run
    test_ratio_changed = Signal(float)
    network_config_changed = Signal(object)  # NetworkConfig
    training_config_changed = Signal(object)  # TrainingConfig
    speed_changed = Signal(object)  # iterations per frame, or None for Max
    stop_at_changed = Signal(object)  # an iteration, or None
    path_changed = Signal(object)  # the session file's Path, or None
    modified_changed = Signal(bool)
    selection_changed = Signal(object)  # the selected point's index in the dataset, or None

    def __init__(
        self,
        dataset: Dataset,
        network: NetworkConfig,
        training: TrainingConfig,
        test_ratio: float,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._dataset = dataset
        self._test_ratio = float(test_ratio)
        self._test_mask = dataset.test_mask(self._test_ratio, SPLIT_SEED)
        self._network = network
        self._training = training
        self._speed: int | None = None
        self._stop_at: int | None = None
        self._path: Path | None = None
        self._modified = False
        self._selection: int | None = None

    # --- reading ------------------------------------------------------------------------
    @property
    def dataset(self) -> Dataset:
        """All the points, training and test."""
        return self._dataset

    @property
    def test_mask(self) -> np.ndarray:
        """True for the test points of ``dataset`` (do not modify)."""
        return self._test_mask

    @property
    def test_ratio(self) -> float:
        """Share of the points held out for testing."""
        return self._test_ratio

    @property
    def network_config(self) -> NetworkConfig:
        """The architecture, initialisation and its seed."""
        return self._network

    @property
    def training_config(self) -> TrainingConfig:
        """Optimiser, α, batch size and L2."""
        return self._training

    @property
    def speed(self) -> int | None:
        """Iterations per frame while playing; None for as fast as possible."""
        return self._speed

    @property
    def stop_at(self) -> int | None:
        """The iteration where playing pauses by itself, or None."""
        return self._stop_at

    @property
    def path(self) -> Path | None:
        """The session file the work is saved in, or None."""
        return self._path

    @property
    def selection(self) -> int | None:
        """Index in ``dataset`` of the point the backprop inspector follows, or None."""
        return self._selection

    @property
    def modified(self) -> bool:
        """Whether there are changes the session file does not have."""
        return self._modified

    # --- changing ------------------------------------------------------------------------
    def set_dataset(self, dataset: Dataset, new_run: bool = False) -> None:
        """Make ``dataset`` current; ``new_run`` for a whole new dataset (Generate, Open)."""
        if dataset is self._dataset and not new_run:
            return
        previous, self._dataset = self._dataset, dataset
        self._test_mask = dataset.test_mask(self._test_ratio, SPLIT_SEED)
        # The selection follows its point before anyone draws the new dataset.
        selection = None if new_run else follow_selection(previous, self._selection, dataset)
        moved, self._selection = selection != self._selection, selection
        self.mark_modified()
        self.dataset_changed.emit(dataset, new_run)
        if moved:
            self.selection_changed.emit(selection)

    def set_test_ratio(self, ratio: float) -> None:
        """Hold out ``ratio`` of the points for testing."""
        if float(ratio) == self._test_ratio:
            return
        self._test_ratio = float(ratio)
        self._test_mask = self._dataset.test_mask(self._test_ratio, SPLIT_SEED)
        self.mark_modified()
        self.test_ratio_changed.emit(self._test_ratio)

    def set_network_config(self, config: NetworkConfig) -> None:
        """A new architecture, initialisation or seed."""
        if config == self._network:
            return
        self._network = config
        self.mark_modified()
        self.network_config_changed.emit(config)

    def set_training_config(self, config: TrainingConfig) -> None:
        """New optimiser, α, batch size or L2."""
        if config == self._training:
            return
        self._training = config
        self.mark_modified()
        self.training_config_changed.emit(config)

    def set_speed(self, speed: int | None) -> None:
        """Iterations per frame, or None for Max."""
        if speed == self._speed:
            return
        self._speed = speed
        self.speed_changed.emit(speed)

    def set_stop_at(self, iteration: int | None) -> None:
        """Where playing pauses by itself, or None."""
        if iteration == self._stop_at:
            return
        self._stop_at = iteration
        self.stop_at_changed.emit(iteration)

    def set_selection(self, index: int | None) -> None:
        """Follow the point ``index`` of the dataset (None: no point); an index outside the
        dataset selects nothing."""
        if index is not None and not 0 <= index < len(self._dataset):
            index = None
        index = None if index is None else int(index)
        if index == self._selection:
            return
        self._selection = index
        self.selection_changed.emit(index)

    def set_path(self, path: Path | None) -> None:
        """The session file the work now lives in (after Open or Save as)."""
        path = None if path is None else Path(path)
        if path == self._path:
            return
        self._path = path
        self.path_changed.emit(path)

    def mark_modified(self) -> None:
        """Something the session file does not have changed (also: training went on)."""
        if not self._modified:
            self._modified = True
            self.modified_changed.emit(True)

    def mark_saved(self) -> None:
        """The session file now holds everything."""
        if self._modified:
            self._modified = False
            self.modified_changed.emit(False)

    def adopt(
        self,
        dataset: Dataset,
        network: NetworkConfig,
        training: TrainingConfig,
        test_ratio: float,
    ) -> None:
        """Take over an opened session's data and settings, quietly except for the signals
        that widgets follow (the worker already has the session)."""
        self._test_ratio = float(test_ratio)
        self._dataset = dataset
        self._test_mask = dataset.test_mask(self._test_ratio, SPLIT_SEED)
        self._network, self._training = network, training
        selected, self._selection = self._selection is not None, None
        self.test_ratio_changed.emit(self._test_ratio)
        self.network_config_changed.emit(network)
        self.training_config_changed.emit(training)
        self.dataset_changed.emit(dataset, False)
        if selected:
            self.selection_changed.emit(None)
