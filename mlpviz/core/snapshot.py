"""What the training thread publishes and the views draw: an immutable picture of a run."""

from __future__ import annotations

from dataclasses import dataclass, field

from .config import TrainingConfig
from .feature_space import FeatureAxes
from .history import HistoryArrays
from .network import MLP
from .timeline import NormHistory
from .trainer import TrainerState


@dataclass(frozen=True)
class Snapshot:
    """The state of training at one iteration.

    ``net`` is a private copy of the network made for this snapshot: it is never trained
    again, so any thread may read it. Losses and accuracies are measured on the whole
    training and test sets (NaN when the test set is empty); the losses are J without the
    L2 term. ``run`` numbers the session's runs (it changes when a new run starts) and
    ``timeline`` lists the iterations the run's timeline holds, oldest first;
    ``largest_weight`` is the largest |w| of the run up to this state and ``feature_axes`` the
    feature-space view's ranges and PCA basis there (see Checkpoint; None: derive them from
    this state alone); ``norms`` the weight and gradient norms of every checkpoint of the
    timeline. ``training`` and ``trainer`` are the settings and the trainer's state
    (optimiser buffers, batch order) the next update starts from, shared with the timeline's
    checkpoint of this state (never modified): what the backprop inspector needs to show
    that update.
    """

    net: MLP
    iteration: int
    epoch: int
    train_loss: float
    test_loss: float
    train_accuracy: float
    test_accuracy: float
    updates_per_second: float
    history: HistoryArrays
    running: bool
    run: int = 0
    timeline: tuple[int, ...] = ()
    largest_weight: float = 0.0
    feature_axes: FeatureAxes | None = None
    norms: NormHistory = field(default_factory=lambda: NormHistory(()))
    training: TrainingConfig | None = None
    trainer: TrainerState | None = None
