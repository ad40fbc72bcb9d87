"""One training run and everything it needs: the app's worker and ``mlpviz train`` drive it.

A Session holds the dataset and its train/test split, the network and training settings, the
network, the optimiser with its state, the shuffling state, the counters, the loss record and
the timeline of checkpoints. ``step(n)`` trains; ``apply(...)`` changes settings with the app's
rules; ``rewind(index)`` continues from a checkpoint exactly; ``save``/``load`` write and read
``.mlpviz`` files.

What a run is: one dataset lineage and one architecture. Reset, a change of architecture or of
the number of classes, and a new dataset (Generate, Open, Clear) start a new run: iteration 0,
fresh weights from the seed, an empty loss record and timeline. Editing a few points, the
test share, α, the optimiser, the batch size or L2 stay in the run; each checkpoint records the
dataset version and the settings it was trained with.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np

from .config import NETWORK_CONFIGS, NetworkConfig, TrainingConfig
from .datasets import Dataset
from .errors import ConfigError
from .feature_space import FeatureAxes, derive_axes
from .history import TrainingHistory
from .network import MLP, Interrupted
from .optimizers import SGD, OptimizerState
from .snapshot import Snapshot
from .timeline import (
    DEFAULT_BUDGET_BYTES,
    Checkpoint,
    DataVersion,
    Metrics,
    RecordSchedule,
    Timeline,
)
from .trainer import Trainer, TrainerState, evaluate

UNLIMITED_BYTES = 2**62
ViewsMemory = tuple[float, FeatureAxes]
"""What views carry along a run's checkpoints: the largest |w| so far, the feature axes."""
EMPTY_TRAINING_SET = "Add some points to the training set first"
ONE_CLASS = "Training needs points of at least two classes: add points of another class"


@dataclass(frozen=True)
class SessionParts:
    """Everything a Session is made of, for saving and loading it (``session_file``).

    ``schedule`` is the one new runs start with (the timeline's may have been thinned);
    ``data`` is the current dataset and split, ``data_version`` its id in the timeline;
    ``trainer`` is the live trainer's state, None before there is data to train on.
    """

    network: NetworkConfig
    training: TrainingConfig
    test_ratio: float
    split_seed: int
    schedule: RecordSchedule
    data: DataVersion
    data_version: int
    params: np.ndarray
    trainer: TrainerState | None
    timeline: Timeline
    history: TrainingHistory
    view_settings: dict


@dataclass(frozen=True, eq=False)
class LiveState:
    """Where a run is, complete enough for another process to continue it exactly
    (``Session.resuming``): the settings in force, the data, the live parameters and trainer
    state, and the newest checkpoint (the weights' colour scale goes on from it)."""

    network: NetworkConfig
    training: TrainingConfig
    schedule: RecordSchedule
    data: DataVersion
    data_version: int
    params: np.ndarray
    trainer: TrainerState
    newest: Checkpoint
    newest_is_transient: bool


class Session:
    """One run of training (see the module docstring for the rules).

    The dataset decides the workspace: points (``Dataset``) make a "2d" session, images
    (``digits.ImageDataset``) a "digits" one, whose network takes the images' pixels,
    has ten outputs, computes in float32 and may have wider layers.
    """

    def __init__(
        self,
        dataset: Dataset | None = None,
        network: NetworkConfig | None = None,
        training: TrainingConfig | None = None,
        *,
        test_ratio: float = 0.0,
        split_seed: int = 0,
        budget_bytes: int = DEFAULT_BUDGET_BYTES,
        schedule: RecordSchedule | None = None,
    ) -> None:
        self._dataset = Dataset.empty() if dataset is None else dataset
        self._network_config = network or NetworkConfig()
        self._network_config.check_fits(self.workspace)
        self._training_config = training or TrainingConfig()
        self._test_ratio = float(test_ratio)
        self._split_seed = int(split_seed)
        self._budget_bytes = int(budget_bytes)
        self._schedule = schedule or RecordSchedule()
        self._data = self._split(self._dataset)
        self._data_version = 0
        self._run_number = 0
        self.view_settings: dict = {}
        self._record_seconds = 0.0
        # A resuming copy's: what each checkpoint's views memory grew from (``grown_from``).
        self._grown_from: dict[int, ViewsMemory | None] | None = None
        self._start_run()

    # --- what the session holds -----------------------------------------------------------
    @property
    def dataset(self) -> Dataset:
        """All the points, training and test."""
        return self._dataset

    @property
    def workspace(self) -> str:
        """ "2d" for points, "digits" for images: the data's workspace."""
        return self._dataset.workspace

    @property
    def test_mask(self) -> np.ndarray:
        """True for the test points of ``dataset``, shape (m,) (do not modify)."""
        return self._data.test_mask

    @property
    def test_ratio(self) -> float:
        """Share of the points held out for testing."""
        return self._test_ratio

    @property
    def split_seed(self) -> int:
        """Seed of the train/test split."""
        return self._split_seed

    @property
    def network_config(self) -> NetworkConfig:
        """The architecture, initialisation and its seed."""
        return self._network_config

    @property
    def training_config(self) -> TrainingConfig:
        """Optimiser, α, batch size, L2 and shuffling seed in force."""
        return self._training_config

    @property
    def net(self) -> MLP:
        """The live network (read it; copy it before handing it to another thread)."""
        return self._net

    @property
    def iteration(self) -> int:
        """Updates done in this run."""
        return self._trainer.iteration if self._trainer is not None else 0

    @property
    def epoch(self) -> int:
        """Completed passes over the training set in this run."""
        return self._trainer.epoch if self._trainer is not None else 0

    @property
    def run_number(self) -> int:
        """Counts the runs this session started: it changes when a new run starts."""
        return self._run_number

    @property
    def timeline(self) -> Timeline:
        """The run's checkpoints."""
        return self._timeline

    @property
    def history(self) -> TrainingHistory:
        """The run's bounded loss and accuracy record."""
        return self._history

    @property
    def record_seconds(self) -> float:
        """How long recording the last checkpoint took (measuring the network on every
        sample, most of it): what a caller that records often weighs its training against."""
        return self._record_seconds

    @property
    def budget_bytes(self) -> int:
        """Memory budget of the timeline."""
        return self._budget_bytes

    def set_budget(self, budget_bytes: int) -> None:
        """The timeline's memory budget, for this run (thinned now if needed) and the next."""
        if budget_bytes <= 0:
            raise ConfigError("the timeline's memory budget must be positive")
        self._budget_bytes = int(budget_bytes)
        self._timeline.set_budget(self._budget_bytes)

    @property
    def training_problem(self) -> str | None:
        """Why training cannot start (no training point, one class), or None.

        Asked before every ``step``, so in linear time without copies: sorting the labels
        took 19 ms on 1,000,000 points, longer than the app's frame.
        """
        if self._data.test_mask.all():  # also with no point at all
            return EMPTY_TRAINING_SET
        labels = self._dataset.y
        if labels.min() == labels.max():
            return ONE_CLASS
        return None

    @property
    def iterations_per_epoch(self) -> int:
        """Updates in one pass over the training set (1 without training data)."""
        return self._trainer.iterations_per_epoch if self._trainer is not None else 1

    # --- training -------------------------------------------------------------------------
    def step(
        self,
        iterations: int = 1,
        should_stop: Callable[[], bool] | None = None,
        interrupt: Callable[[], bool] | None = None,
    ) -> int:
        """Up to ``iterations`` updates; returns how many were done and kept.

        ``should_stop`` is asked before each update (a pause, a frame's end). ``interrupt``
        (a closing window) is also asked inside long computations: between the chunks of an
        update on more than GRADIENT_CHUNK samples and between the pieces of the evaluation
        that records a checkpoint. When it returns True, the work since the newest
        checkpoint is dropped and the session is that checkpoint again, exactly (the update
        in progress, not done, is computed the same by a later step). Raises ConfigError when
        there is nothing to train on and DivergenceError when an update blew up (it is
        undone: the parameters are those before it).
        """
        problem = self.training_problem
        if problem is not None:
            raise ConfigError(problem)
        start = self.iteration
        try:
            self._train(iterations, should_stop, interrupt)
        except Interrupted:
            self._back_to_newest_checkpoint()
        return self.iteration - start

    def _train(
        self,
        iterations: int,
        should_stop: Callable[[], bool] | None,
        interrupt: Callable[[], bool] | None,
    ) -> None:
        trainer, wants = self._trainer, self._timeline.wants
        done = 0
        try:
            while done < iterations and not (should_stop is not None and should_stop()):
                trainer.step(interrupt)
                done += 1
                if wants(trainer.iteration):
                    self._record(interrupt=interrupt)
        finally:
            if done and not wants(trainer.iteration):  # the newest state is a checkpoint too
                self._record(transient=True, interrupt=interrupt)

    def _back_to_newest_checkpoint(self) -> None:
        """After an interruption: continue from the newest checkpoint, unless the session
        is still there (the first update was interrupted)."""
        if self._timeline.iterations[-1] != self.iteration:
            self.rewind(len(self._timeline) - 1)

    def step_epoch(self, should_stop: Callable[[], bool] | None = None) -> int:
        """One epoch's worth of updates (⌈m / batch size⌉); returns how many were done."""
        return self.step(self.iterations_per_epoch, should_stop)

    def evaluate(self, interrupt: Callable[[], bool] | None = None) -> Metrics:
        """J and accuracy of the live network on the training and test sets.

        ``interrupt`` is asked between pieces of a large set; True raises Interrupted.
        """
        return self._measure(self._net, self._data, interrupt)

    def snapshot(
        self,
        *,
        running: bool = False,
        updates_per_second: float = 0.0,
        interrupt: Callable[[], bool] | None = None,
    ) -> Snapshot:
        """The live state as an immutable Snapshot (a private copy of the network).

        ``interrupt`` is asked while the network is evaluated; True raises Interrupted,
        with the session unchanged.
        """
        # The newest checkpoint is nearly always the live state: its metrics and trainer
        # state then serve (evaluating a large set again would cost a frame).
        newest = self._timeline[-1] if self._newest_is_live() else None
        metrics = self.evaluate(interrupt) if newest is None else newest.metrics
        row = (self.iteration, *_metric_values(metrics))
        self._history.show_newest(row)
        return Snapshot(
            net=self._net.copy(),
            iteration=self.iteration,
            epoch=self.epoch,
            train_loss=metrics.train_loss,
            test_loss=metrics.test_loss,
            train_accuracy=metrics.train_accuracy,
            test_accuracy=metrics.test_accuracy,
            updates_per_second=updates_per_second,
            history=self._history.arrays(),
            running=running,
            run=self._run_number,
            timeline=tuple(self._timeline.iterations),
            largest_weight=self._timeline[-1].largest_weight,
            feature_axes=self._timeline[-1].feature_axes,
            norms=self._timeline.norms(),
            training=self._training_config,
            trainer=self._live_trainer_state(newest),
        )

    def _newest_is_live(self) -> bool:
        """Whether the newest checkpoint is the live state (it nearly always is)."""
        newest = self._timeline[-1]
        return newest.iteration == self.iteration and np.array_equal(
            newest.params, self._net.params
        )

    def _live_trainer_state(self, newest: Checkpoint | None) -> TrainerState:
        """The trainer's state for a snapshot: ``newest``'s when it is the live state (no copy
        of the epoch's order), else a copy of the live trainer's."""
        if newest is not None or self._trainer is None:
            return self._timeline[-1].trainer
        return self._trainer.state()

    def checkpoint_snapshot(self, index: int) -> tuple[Snapshot, DataVersion]:
        """Checkpoint ``index`` of the timeline as a Snapshot, with the data it was trained on.

        The snapshot's history is the whole record, so a loss plot shows the full curve.
        """
        checkpoint = self._timeline[index]
        net = self._net.copy()
        net.params[...] = checkpoint.params
        metrics = checkpoint.metrics
        snapshot = Snapshot(
            net=net,
            iteration=checkpoint.iteration,
            epoch=checkpoint.epoch,
            train_loss=metrics.train_loss,
            test_loss=metrics.test_loss,
            train_accuracy=metrics.train_accuracy,
            test_accuracy=metrics.test_accuracy,
            updates_per_second=0.0,
            history=self._history.arrays(),
            running=False,
            run=self._run_number,
            timeline=tuple(self._timeline.iterations),
            largest_weight=checkpoint.largest_weight,
            feature_axes=checkpoint.feature_axes,
            norms=self._timeline.norms(),
            training=checkpoint.training,
            trainer=checkpoint.trainer,
        )
        return snapshot, self._timeline.data_version(checkpoint.data_version)

    def last_good_index(self) -> int:
        """The most recent checkpoint whose training J is no higher than the run's start
        (iteration 0 when there is none): where to go back to after a divergence."""
        start = self._timeline[0].metrics.train_loss
        for index in range(len(self._timeline) - 1, 0, -1):
            loss = self._timeline[index].metrics.train_loss
            if math.isfinite(loss) and loss <= start:
                return index
        return 0

    # --- training in another process -----------------------------------------------------
    def live_state(self) -> LiveState:
        """Where the run is, for ``resuming`` in another process (copies of the arrays).

        Raises ConfigError when there is nothing to train on.
        """
        problem = self.training_problem
        if problem is not None or self._trainer is None:
            raise ConfigError(problem or EMPTY_TRAINING_SET)
        return LiveState(
            network=self._network_config,
            training=self._training_config,
            schedule=self._timeline.schedule,
            data=self._data,
            data_version=self._data_version,
            params=self._net.params.copy(),
            trainer=self._trainer.state(),
            newest=self._timeline[-1],
            newest_is_transient=self._timeline.last_is_transient,
        )

    def live_point(self) -> tuple[np.ndarray, TrainerState]:
        """Copies of the live parameters and trainer state (what ``absorb``'s ``live`` is)."""
        if self._trainer is None:
            raise ConfigError(self.training_problem or EMPTY_TRAINING_SET)
        return self._net.params.copy(), self._trainer.state()

    @classmethod
    def resuming(cls, state: LiveState) -> Session:
        """A session that continues the run ``state`` describes, computing exactly what the
        original would; its timeline starts with ``state.newest`` (see ``absorb``) and has no
        budget: the original, which absorbs the checkpoints, applies its own."""
        session = cls(network=state.network, training=state.training, schedule=state.schedule)
        session._dataset, session._data = state.data.dataset, state.data
        session._data_version = state.data_version
        dataset = state.data.dataset
        session._net = state.network.build(dataset.n_classes, dataset.n_features, dataset.X.dtype)
        session._net.params[...] = state.params
        session._trainer = session._trainer_on(state.data)
        session._trainer.restore(state.trainer)
        session._timeline = Timeline(UNLIMITED_BYTES, state.schedule)
        session._timeline.record(state.newest, state.data, transient=state.newest_is_transient)
        session._grown_from = {}
        return session

    def grown_from(self, iteration: int) -> ViewsMemory | None:
        """(A ``resuming`` copy's.) The views memory the checkpoint of ``iteration`` grew its
        own from: its previous kept checkpoint's, None when it had none. ``absorb`` takes
        the checkpoint's as they are when its own previous one holds the same; forgotten once
        asked."""
        return self._grown_from.pop(iteration)

    def absorb(
        self,
        records: Sequence[tuple[Checkpoint, bool]],
        live: tuple[np.ndarray, TrainerState] | None = None,
        grown_from: Sequence[ViewsMemory | None] | None = None,
    ) -> None:
        """Take what a ``resuming`` copy of this session recorded since ``live_state()``:
        its checkpoints in order, each with whether it was transient, and, when its live state
        is not the last of them (after a divergence or an interruption), ``live``: its
        parameters and trainer state. This session then is exactly where the copy is.

        Checkpoints this timeline's schedule no longer wants (it was thinned meanwhile) are
        left out, as if they had been recorded here. ``grown_from`` (the copy's
        ``grown_from`` of each record) spares recomputing the views memory of a checkpoint
        whose previous one here holds what the copy's held.
        """
        probe = self._net.copy()
        for position, (checkpoint, transient) in enumerate(records):
            newest = position == len(records) - 1
            wanted = self._timeline.wants(checkpoint.iteration)
            if wanted or transient or newest:
                # What views remember grows along the checkpoints kept here, which the copy's
                # may outnumber (this timeline's schedule may have been thinned): the same
                # computation from the same memory gives the copy's bits, else it is redone.
                copied = grown_from is not None and _same_memory(
                    grown_from[position], self._memory_before_next()
                )
                if not copied:
                    probe.params[...] = checkpoint.params
                    largest, axes = self._views_memory(probe)
                    checkpoint = replace(checkpoint, largest_weight=largest, feature_axes=axes)
                self._keep(checkpoint, transient or not wanted)
        if live is None and records:
            newest = records[-1][0]
            live = (newest.params, newest.trainer)
        if live is not None and self._trainer is not None:
            self._net.params[...] = live[0]
            self._trainer.restore(live[1])

    # --- changes ----------------------------------------------------------------------------
    def apply(
        self,
        *,
        network: NetworkConfig | None = None,
        training: TrainingConfig | None = None,
        dataset: Dataset | None = None,
        test_ratio: float | None = None,
        new_run: bool = False,
    ) -> bool:
        """Change settings or data; returns True when that started a new run.

        A new architecture (or seed or init), a dataset whose number of classes changes the
        output layer, or ``new_run=True`` (Generate, Open, Clear) start a new run. α, the
        optimiser, the batch size, L2, a few points more or less and the test share keep the
        weights and go on from where training is.
        """
        if network is not None:
            network.check_fits(self.workspace)
        if dataset is not None and dataset.workspace != self.workspace:
            raise ConfigError(
                f"a {self.workspace} session cannot train on {dataset.workspace} data"
            )
        changed = new_run
        if training is not None and training != self._training_config:
            self._apply_training(training)
            changed = True
        if network is not None and network != self._network_config:
            self._network_config, new_run = network, True
        ratio_changed = test_ratio is not None and test_ratio != self._test_ratio
        if ratio_changed:
            self._test_ratio = float(test_ratio)
            dataset = self._dataset if dataset is None else dataset
        elif dataset is self._dataset:
            dataset = None  # the same data again (an opened session's own): nothing to do
        if dataset is not None:
            new_run |= self._output_changes(dataset)
            self._dataset = dataset
            self._data = self._split(dataset)
            if not new_run:
                self._data_version += 1
                self._follow_data()
        if new_run:
            self._start_run()
        elif (changed or dataset is not None) and self._timeline.iterations[-1] == self.iteration:
            self._rerecord_current()
        return new_run

    def reset(self) -> None:
        """A new run: fresh weights from the network's seed, forgotten optimiser state."""
        self._start_run()

    def start_from(self, net: MLP) -> None:
        """A new run from the weights of ``net`` (an opened model) instead of fresh ones.

        Raises ConfigError, changing nothing, when ``net`` does not fit: another number of
        inputs or classes than the data, or layers beyond the app's limits.
        """
        network = NETWORK_CONFIGS[self.workspace].of(net, self._network_config.seed)
        dataset = self._dataset
        expected = tuple(network.layer_sizes(dataset.n_classes, dataset.n_features))
        if net.layer_sizes != expected:
            units = "1 output unit" if expected[-1] == 1 else f"{expected[-1]} output units"
            raise ConfigError(
                f"the model is {list(net.layer_sizes)}, but the data need {expected[0]} "
                f"inputs and {units} ({self._dataset.n_classes} classes)"
            )
        self._network_config = network
        self._start_run()
        self._net.params[...] = net.params
        self._rerecord_current()

    def rewind(self, index: int) -> int:
        """Continue the run from checkpoint ``index``, exactly as it was there (weights,
        optimiser state, batch order, data and settings); returns how many later checkpoints
        were dropped."""
        checkpoint = self._timeline[index]
        data = self._timeline.data_version(checkpoint.data_version)
        self._dataset, self._data = data.dataset, data
        self._data_version = checkpoint.data_version
        self._training_config = checkpoint.training
        self._net.params[...] = checkpoint.params
        self._optimizer = checkpoint.training.build_optimizer()
        dropped = self._timeline.truncate_after(index)
        self._history.truncate_after(checkpoint.iteration)
        self._trainer = self._resumed_trainer(checkpoint.trainer)
        return dropped

    # --- files --------------------------------------------------------------------------------
    def save(self, path: str | os.PathLike) -> None:
        """Write the session to ``path`` (a ``.mlpviz`` file), atomically."""
        from .session_file import write_session

        write_session(self, path)

    @classmethod
    def load(cls, path: str | os.PathLike, workspace: str | None = "2d") -> Session:
        """Read a session written by ``save``; a bad file, or one of another workspace than
        ``workspace`` (None: any), raises SessionError."""
        from .session_file import read_session

        return read_session(path, workspace)

    def _parts(self) -> SessionParts:
        """What this session is made of, for ``session_file`` (the live objects: read them,
        do not change them)."""
        return SessionParts(
            network=self._network_config,
            training=self._training_config,
            test_ratio=self._test_ratio,
            split_seed=self._split_seed,
            schedule=self._schedule,
            data=self._data,
            data_version=self._data_version,
            params=self._net.params,
            trainer=None if self._trainer is None else self._trainer.state(),
            timeline=self._timeline,
            history=self._history,
            view_settings=self.view_settings,
        )

    @classmethod
    def _from_parts(cls, parts: SessionParts) -> Session:
        """The session ``parts`` describe, for ``session_file``, which checks that they fit
        together. Raises ConfigError when the trainer's batch order does not fit the data."""
        # The constructor sets every attribute; the fresh run it starts is then replaced.
        session = cls(
            parts.data.dataset,
            parts.network,
            parts.training,
            test_ratio=parts.test_ratio,
            split_seed=parts.split_seed,
            budget_bytes=parts.timeline.budget_bytes,
            schedule=parts.schedule,
        )
        session._data, session._data_version = parts.data, parts.data_version
        session._timeline, session._history = parts.timeline, parts.history
        session._net.params[...] = parts.params
        trainer = parts.trainer
        session._trainer = None if trainer is None else session._resumed_trainer(trainer)
        session.view_settings = parts.view_settings
        return session

    # --- internals ----------------------------------------------------------------------------
    def _split(self, dataset: Dataset) -> DataVersion:
        return DataVersion(dataset, dataset.test_mask(self._test_ratio, self._split_seed))

    def _output_changes(self, dataset: Dataset) -> bool:
        net = self._net
        return net.n_classes != dataset.n_classes or net.layer_sizes[0] != dataset.n_features

    def _start_run(self) -> None:
        dataset = self._dataset
        self._net = self._network_config.build(
            dataset.n_classes, dataset.n_features, dataset.X.dtype
        )
        self._optimizer = self._training_config.build_optimizer()
        self._trainer = self._new_trainer()
        self._timeline = Timeline(self._budget_bytes, self._schedule)
        self._history = TrainingHistory()
        self._data_version = 0
        self._run_number += 1
        self._record()

    def _new_trainer(self) -> Trainer | None:
        if self.training_problem is not None:
            return None
        return self._trainer_on(self._data)

    def _trainer_on(self, data: DataVersion) -> Trainer:
        """A trainer on the training points of ``data`` with the settings in force."""
        train = ~data.test_mask
        config = self._training_config
        return Trainer(
            self._net,
            self._optimizer,
            data.dataset.X[train],
            data.dataset.y[train],
            batch_size=config.batch_size,
            l2=config.l2,
            seed=config.shuffle_seed,
        )

    def _resumed_trainer(self, state: TrainerState) -> Trainer | None:
        """A trainer continuing from ``state`` on the current training points.

        When all of them were deleted, the trainer waits for the next edit, which replaces its
        data and its epoch order before any update: it gets the newest checkpoint data that
        has training points. Without any (only possible at iteration 0), there is no trainer,
        as in a session that never had training points.
        """
        if (~self._data.test_mask).any():
            trainer = self._trainer_on(self._data)
        else:
            data = self._newest_data_with_training_points()
            if data is None:
                return None
            trainer = self._trainer_on(data)
            state = replace(state, order=None, position=0)
        trainer.restore(state)
        return trainer

    def _newest_data_with_training_points(self) -> DataVersion | None:
        for checkpoint in reversed(self._timeline):
            data = self._timeline.data_version(checkpoint.data_version)
            if (~data.test_mask).any():
                return data
        return None

    def _follow_data(self) -> None:
        """Train on the current data from the next update on, in the same run."""
        train = ~self._data.test_mask
        if self._trainer is None:
            self._trainer = self._new_trainer()
        elif train.any():  # with no training point, the trainer waits for the next edit
            self._trainer.set_data(self._dataset.X[train], self._dataset.y[train])

    def _apply_training(self, config: TrainingConfig) -> None:
        if config.optimizer != self._training_config.optimizer:
            self._optimizer = config.build_optimizer()
        else:  # keep the momentum buffers and Adam's moments
            self._optimizer.lr = config.learning_rate
            if isinstance(self._optimizer, SGD) and config.optimizer == "momentum":
                self._optimizer.momentum = config.momentum
        self._training_config = config
        trainer = self._trainer
        if trainer is not None:
            trainer.optimizer = self._optimizer
            if trainer.batch_size != config.batch_size:  # restarts the epoch's order
                trainer.batch_size = config.batch_size
            trainer.l2 = config.l2

    def _rerecord_current(self) -> None:
        """Data or settings changed at a recorded iteration: record it again, so that the
        checkpoint holds what the next update will use. The update that led there is the
        same, so are its gradient norms (a trainer rebuilt by a rewind or a load has none)."""
        self._history.truncate_after(self.iteration - 1)
        self._record(
            transient=self._timeline.last_is_transient,
            gradient_norms=self._timeline[-1].gradient_norms,
        )

    def _record(
        self,
        transient: bool = False,
        gradient_norms: tuple[float, ...] | None = None,
        interrupt: Callable[[], bool] | None = None,
    ) -> None:
        started = time.perf_counter()
        trainer = self._trainer
        metrics = self._measure(self._net, self._data, interrupt)  # first: it may be stopped
        if gradient_norms is None:
            gradient_norms = trainer.last_gradient_norms() if self.iteration > 0 else ()
        if self._grown_from is not None:
            self._grown_from[self.iteration] = self._memory_before_next()
        largest, feature_axes = self._views_memory(self._net)
        checkpoint = Checkpoint(
            params=self._net.params.copy(),
            trainer=trainer.state() if trainer is not None else self._idle_trainer_state(),
            training=self._training_config,
            data_version=self._data_version,
            metrics=metrics,
            weight_norms=tuple(float(np.linalg.norm(W)) for W in self._net.weights),
            gradient_norms=gradient_norms,
            largest_weight=largest,
            feature_axes=feature_axes,
        )
        self._keep(checkpoint, transient)
        self._record_seconds = time.perf_counter() - started

    def _views_memory(self, net: MLP) -> ViewsMemory:
        """What views carry from frame to frame, at ``net``'s state: the weights' colour scale
        (the run's largest |w| so far) and the feature space's axes, grown from the newest
        checkpoint's (``_memory_before_next``)."""
        previous = self._memory_before_next()
        largest = net.largest_weight()
        if previous is None:
            return largest, derive_axes(net, self._dataset.X, None)
        largest = max(largest, previous[0])
        return largest, derive_axes(net, self._dataset.X, previous[1])

    def _memory_before_next(self) -> ViewsMemory | None:
        """The views memory the next checkpoint grows from: the newest kept checkpoint's, or
        None. A transient newest checkpoint, which the next record replaces, does not count:
        where playing paused must not change any later picture."""
        timeline = self._timeline
        kept = len(timeline) - (1 if timeline.last_is_transient else 0)
        if kept == 0:
            return None
        previous = timeline[kept - 1]
        return previous.largest_weight, previous.feature_axes

    def _keep(self, checkpoint: Checkpoint, transient: bool) -> None:
        """Add ``checkpoint`` (of the current data) to the timeline and its metrics to the
        loss record."""
        self._timeline.record(checkpoint, self._data, transient=transient)
        row = (checkpoint.iteration, *_metric_values(checkpoint.metrics))
        if transient:
            self._history.show_newest(row)
        else:
            self._history.record(*row)

    def _idle_trainer_state(self) -> TrainerState:
        """The state of a trainer that has not started (no data to train on yet)."""
        rng = np.random.default_rng(self._training_config.shuffle_seed)
        return TrainerState(0, 0, OptimizerState(0), rng.bit_generator.state, None, 0)

    @staticmethod
    def _measure(
        net: MLP, data: DataVersion, interrupt: Callable[[], bool] | None = None
    ) -> Metrics:
        mask, dataset = data.test_mask, data.dataset
        train, test = _rows(~mask), _rows(mask)
        train_loss, train_accuracy = evaluate(net, dataset.X[train], dataset.y[train], interrupt)
        test_loss, test_accuracy = evaluate(net, dataset.X[test], dataset.y[test], interrupt)
        return Metrics(train_loss, test_loss, train_accuracy, test_accuracy)


def _rows(mask: np.ndarray) -> slice | np.ndarray:
    """The rows ``mask`` selects, as a slice when they are consecutive (MNIST's split): a view
    of the data, where a boolean index would copy its 190 MB at every checkpoint."""
    chosen = np.flatnonzero(mask)
    if len(chosen) and chosen[-1] - chosen[0] == len(chosen) - 1:
        return slice(int(chosen[0]), int(chosen[-1]) + 1)
    return mask


def _same_memory(a: ViewsMemory | None, b: ViewsMemory | None) -> bool:
    """Whether two views memories hold the same bits (None: no memory)."""
    if a is None or b is None:
        return a is b
    if a[0] != b[0]:
        return False
    fields = ("low", "high", "centre", "basis", "extent")
    return all(_same_array(getattr(a[1], f), getattr(b[1], f)) for f in fields)


def _same_array(a: np.ndarray | None, b: np.ndarray | None) -> bool:
    if a is None or b is None:
        return a is b
    return a.shape == b.shape and np.array_equal(a, b, equal_nan=True)


def _metric_values(metrics: Metrics) -> tuple[float, float, float, float]:
    return (metrics.train_loss, metrics.test_loss, metrics.train_accuracy, metrics.test_accuracy)
