"""The recorded history of a run: checkpoints that any view can draw and any run can resume.

A checkpoint is the complete training state after one iteration (parameters, optimiser
buffers, shuffling state, counters) with what was measured there, the dataset version and the
training settings in force. Which iterations become checkpoints depends on the iteration alone
(``RecordSchedule``): every iteration at the start, where a network changes fastest, then a
fixed number per doubling of the iteration count, so a run of any length keeps a few hundred
checkpoints spread over all of it, denser early on. When the checkpoints outgrow the memory
budget the schedule is thinned (``RecordSchedule.thinner``), keeping a subset of the same
iterations: the budget always wins.
"""

from __future__ import annotations

import bisect
from collections import Counter
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from .config import TrainingConfig
from .datasets import Dataset
from .feature_space import FeatureAxes
from .trainer import TrainerState

DEFAULT_BUDGET_BYTES = 200 * 2**20
DENSE_ITERATIONS = 200
CHECKPOINTS_PER_OCTAVE = 128
CHECKPOINT_OVERHEAD_BYTES = 512  # the Python objects around a checkpoint's arrays


@dataclass(frozen=True)
class RecordSchedule:
    """Which iterations are recorded: all up to ``dense``, then ``per_octave`` per doubling.

    Past ``dense``, iteration i is kept when it is a multiple of the largest power of two not
    above ``i // per_octave``; a thinner schedule keeps a subset of the same iterations.
    """

    dense: int = DENSE_ITERATIONS
    per_octave: int = CHECKPOINTS_PER_OCTAVE

    def wants(self, iteration: int) -> bool:
        """Whether ``iteration`` is recorded."""
        if iteration <= self.dense:
            return True
        gap = 1 << max(0, (iteration // self.per_octave).bit_length() - 1)
        return iteration % gap == 0

    def thinner(self) -> RecordSchedule:
        """Half as many checkpoints, all of them iterations this schedule wants too."""
        return RecordSchedule(self.dense // 2, max(1, self.per_octave // 2))


@dataclass(frozen=True)
class Metrics:
    """J (cross-entropy, without the L2 term) and accuracy on the training and test sets;
    NaN where there is nothing to measure."""

    train_loss: float = float("nan")
    test_loss: float = float("nan")
    train_accuracy: float = float("nan")
    test_accuracy: float = float("nan")


@dataclass(frozen=True, eq=False)
class Checkpoint:
    """The state after ``iteration`` updates, complete enough to resume exactly.

    ``params`` is the network's flat parameter vector (a private copy); ``weight_norms`` holds
    ‖W^[l]‖ per layer and ``gradient_norms`` ‖∂J/∂W^[l]‖ of the update that led here (its
    batch, without the L2 term; empty at iteration 0). ``largest_weight`` is the largest |w|
    of the run's recorded states up to this one: the weights' colour scale, derived along the
    timeline, so that a scrubbed frame and the live one are the same picture; so are
    ``feature_axes``, the feature-space view's ranges and PCA basis (None in a timeline read
    from a file that has none: ``derive_feature_axes`` fills them in).
    """

    params: np.ndarray
    trainer: TrainerState
    training: TrainingConfig
    data_version: int
    metrics: Metrics
    weight_norms: tuple[float, ...]
    gradient_norms: tuple[float, ...]
    largest_weight: float = 0.0
    feature_axes: FeatureAxes | None = None

    @property
    def iteration(self) -> int:
        """Updates done before this state."""
        return self.trainer.iteration

    @property
    def epoch(self) -> int:
        """Completed passes over the training set."""
        return self.trainer.epoch

    @property
    def nbytes(self) -> int:
        """Memory this checkpoint holds (its dataset version not included)."""
        axes = 0 if self.feature_axes is None else self.feature_axes.nbytes
        return self.params.nbytes + self.trainer.nbytes + axes + CHECKPOINT_OVERHEAD_BYTES


@dataclass(frozen=True, eq=False)
class NormHistory:
    """‖W^[l]‖ and ‖∂J/∂W^[l]‖ per layer at every checkpoint of a run, oldest first.

    Holds the (immutable) checkpoints themselves and builds its arrays when first read, so
    that the training thread only copies a list of references for each snapshot.
    """

    checkpoints: tuple[Checkpoint, ...]

    @cached_property
    def iterations(self) -> np.ndarray:
        """The checkpoints' iterations (n,) int64."""
        return np.array([c.iteration for c in self.checkpoints], dtype=np.int64)

    @cached_property
    def weight_norms(self) -> np.ndarray:
        """‖W^[l]‖ (Frobenius) of each checkpoint, (n, L) for layers 1…L."""
        return self._rows([c.weight_norms for c in self.checkpoints])

    @cached_property
    def gradient_norms(self) -> np.ndarray:
        """‖∂J/∂W^[l]‖ of the update that led to each checkpoint, (n, L); NaN where none
        was measured (iteration 0, and the first state after a rewind or a load)."""
        return self._rows([c.gradient_norms for c in self.checkpoints])

    def _rows(self, rows: list[tuple[float, ...]]) -> np.ndarray:
        """One row per checkpoint, one column per layer (as many as every state has
        weight norms); a row not measured is NaN."""
        layers = len(self.checkpoints[0].weight_norms) if self.checkpoints else 0
        table = np.full((len(rows), layers), np.nan)
        for index, row in enumerate(rows):
            if len(row) == layers:
                table[index] = row
        return table


@dataclass(frozen=True, eq=False)
class DataVersion:
    """One state of the dataset during a run, with its train/test split."""

    dataset: Dataset
    test_mask: np.ndarray

    @property
    def nbytes(self) -> int:
        """Memory held by the points, labels and mask."""
        return self.dataset.X.nbytes + self.dataset.y.nbytes + self.test_mask.nbytes


class Timeline:
    """The checkpoints of one run in iteration order, under a memory budget.

    The run's first state and its newest state are always kept: the newest may be
    *transient*, a state between two scheduled iterations (where training paused), which the
    next record replaces. Dataset versions are kept while a checkpoint refers to them.
    """

    def __init__(
        self,
        budget_bytes: int = DEFAULT_BUDGET_BYTES,
        schedule: RecordSchedule | None = None,
    ) -> None:
        if budget_bytes <= 0:
            raise ValueError("the timeline's memory budget must be positive")
        self.budget_bytes = int(budget_bytes)
        self.schedule = schedule or RecordSchedule()
        self._checkpoints: list[Checkpoint] = []
        self._iterations: list[int] = []
        self._versions: dict[int, DataVersion] = {}
        self._version_users: Counter[int] = Counter()
        self._nbytes = 0
        self._transient = False

    # --- reading -----------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self._checkpoints)

    def __getitem__(self, index: int) -> Checkpoint:
        return self._checkpoints[index]

    @property
    def iterations(self) -> list[int]:
        """The recorded iterations, increasing (a copy)."""
        return list(self._iterations)

    @property
    def nbytes(self) -> int:
        """Memory held by the checkpoints and the dataset versions they refer to."""
        return self._nbytes

    def norms(self) -> NormHistory:
        """The weight and gradient norms of every checkpoint, for a snapshot to carry."""
        return NormHistory(tuple(self._checkpoints))

    def data_version(self, version: int) -> DataVersion:
        """The dataset version a checkpoint refers to."""
        return self._versions[version]

    def index_at_or_before(self, iteration: int) -> int:
        """Index of the last checkpoint whose iteration is ≤ ``iteration`` (0 if none is)."""
        return max(0, bisect.bisect_right(self._iterations, iteration) - 1)

    def index_of(self, iteration: int) -> int | None:
        """Index of the checkpoint at exactly ``iteration``, or None."""
        index = bisect.bisect_left(self._iterations, iteration)
        if index < len(self._iterations) and self._iterations[index] == iteration:
            return index
        return None

    def set_budget(self, budget_bytes: int) -> None:
        """A new memory budget; the checkpoints are thinned at once if they exceed it."""
        if budget_bytes <= 0:
            raise ValueError("the timeline's memory budget must be positive")
        self.budget_bytes = int(budget_bytes)
        self._fit_budget()

    # --- recording ---------------------------------------------------------------------
    def wants(self, iteration: int) -> bool:
        """Whether the state after ``iteration`` is to be recorded."""
        return self.schedule.wants(iteration)

    @property
    def last_is_transient(self) -> bool:
        """Whether the newest checkpoint is off the schedule (the next record replaces it)."""
        return self._transient

    def record(self, checkpoint: Checkpoint, data: DataVersion, *, transient: bool = False):
        """Append ``checkpoint`` (its iteration after every recorded one), or replace the
        checkpoint at the same iteration (data or settings changed there) and a transient
        newest one; then, unless it is transient, fit the budget (so that where training
        paused, which decides the transient ones, does not decide what is thinned).
        """
        if self._transient:
            self._drop(len(self._checkpoints) - 1)
        self._transient = transient
        if self._iterations and checkpoint.iteration == self._iterations[-1]:
            self._drop(len(self._checkpoints) - 1)
        elif self._iterations and checkpoint.iteration < self._iterations[-1]:
            raise ValueError("checkpoints are recorded in iteration order")
        version = checkpoint.data_version
        if version not in self._versions:
            self._versions[version] = data
            self._nbytes += data.nbytes
        self._version_users[version] += 1
        self._checkpoints.append(checkpoint)
        self._iterations.append(checkpoint.iteration)
        self._nbytes += checkpoint.nbytes
        if not transient:  # a transient one goes at the next record: it decides nothing
            self._fit_budget()

    def _restore(
        self,
        checkpoints: list[Checkpoint],
        versions: dict[int, DataVersion],
        schedule: RecordSchedule,
        transient: bool,
    ) -> None:
        """Become a saved timeline as it was, without thinning it again (for session files).

        The checkpoints are in increasing iteration order and ``versions`` holds exactly the
        dataset versions they refer to.
        """
        self.schedule = schedule
        self._checkpoints = list(checkpoints)
        self._iterations = [checkpoint.iteration for checkpoint in checkpoints]
        self._versions = dict(versions)
        self._version_users = Counter(checkpoint.data_version for checkpoint in checkpoints)
        self._nbytes = sum(checkpoint.nbytes for checkpoint in checkpoints)
        self._nbytes += sum(version.nbytes for version in versions.values())
        self._transient = transient

    def truncate_after(self, index: int) -> int:
        """Drop the checkpoints after ``index`` (the run continues from there); returns how
        many were dropped."""
        dropped = len(self._checkpoints) - index - 1
        self._transient &= dropped == 0
        for position in range(len(self._checkpoints) - 1, index, -1):
            self._drop(position)
        return dropped

    def forget_all_but_newest(self) -> None:
        """Keep only the newest checkpoint and, when it is transient, the newest one kept
        before it, which the next checkpoint's views memory grows from (a timeline whose
        earlier checkpoints are kept elsewhere: the training process sends them to the app's
        session)."""
        newest_kept = len(self._checkpoints) - 2 if self.last_is_transient else None
        for position in range(len(self._checkpoints) - 2, -1, -1):
            if position != newest_kept:
                self._drop(position)

    def _drop(self, position: int) -> None:
        checkpoint = self._checkpoints.pop(position)
        del self._iterations[position]
        self._nbytes -= checkpoint.nbytes
        version = checkpoint.data_version
        self._version_users[version] -= 1
        if not self._version_users[version]:
            del self._version_users[version]
            self._nbytes -= self._versions.pop(version).nbytes

    def _fit_budget(self) -> None:
        """Thin the schedule until the checkpoints fit the budget (first and last stay)."""
        while self._nbytes > self.budget_bytes and len(self._checkpoints) > 2:
            thinner = self.schedule.thinner()
            if thinner == self.schedule:  # already one per octave: keep every other one
                doomed = range(len(self._checkpoints) - 2, 0, -2)
            else:
                self.schedule = thinner
                last = len(self._checkpoints) - 1
                doomed = [
                    position
                    for position in range(last - 1, 0, -1)
                    if not thinner.wants(self._iterations[position])
                ]
            for position in doomed:
                self._drop(position)
