"""What to say, and what to advise, when a run diverges.

``diagnose(session, error)`` finds the last good checkpoint (the most recent one whose
training J is no higher than the run's start) and *measures* a learning rate that works from
there: it trains copies of that state for a few dozen updates with α/10, α/100, … and keeps
the largest α that neither diverges nor ends with a higher J. Advice that is only a guess
("try α/10") diverged again in practice; this one was tried on the user's own data.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from .config import TrainingConfig
from .errors import DivergenceError
from .session import Session
from .trainer import Trainer, evaluate

TRIAL_UPDATES = 40  # updates tried per candidate α: enough to blow up again if it will
TRIAL_SAMPLE_BUDGET = 2_000_000  # samples a whole search may use (a few tenths of a second)
SMALLEST_ADVICE = 1e-5
RUNAWAY_WEIGHT = 1e3  # a weight beyond this after a trial is on its way to the ±1e5 bound


@dataclass(frozen=True)
class Divergence:
    """A run that blew up: where, with which α, where to go back to and what α to use."""

    iteration: int
    loss: float
    learning_rate: float
    good_index: int
    good_iteration: int
    safe_learning_rate: float | None

    def message(self) -> str:
        """Several sentences a student understands: what happened, why, what to do."""
        happened = (
            f"Training diverged at iteration {self.iteration:,} and is paused: "
            f"{_what_blew_up(self.loss)}. "
            f"With α = {self.learning_rate:.3g} each update overshoots the minimum of J and "
            "lands further away, so the steps grow until the numbers are useless."
        )
        back = (
            f" The last good state is iteration {self.good_iteration:,} "
            "(its J is no higher than at the start)."
        )
        if self.safe_learning_rate is None:
            advice = " Go back there and lower α a lot, or press Reset."
        else:
            advice = (
                f" From there, α = {self.safe_learning_rate:.3g} was tried for "
                f"{TRIAL_UPDATES} updates on your data and lowered J: go back and use it."
            )
        return happened + back + advice


def _what_blew_up(loss: float) -> str:
    if not math.isfinite(loss):
        return "the cost J became infinite"
    return f"a weight grew beyond ±10⁵ (J was {loss:.3g})"


def diagnose(session: Session, error: DivergenceError) -> Divergence:
    """The Divergence of ``session``'s run, which just raised ``error`` (the update that
    blew up was undone: the session is at the state before it)."""
    good_index = session.last_good_index()
    config = session.training_config
    return Divergence(
        iteration=session.iteration + 1,
        loss=error.loss,
        learning_rate=config.learning_rate,
        good_index=good_index,
        good_iteration=session.timeline[good_index].iteration,
        safe_learning_rate=measure_safe_learning_rate(session, good_index, config),
    )


def measure_safe_learning_rate(
    session: Session, index: int, config: TrainingConfig
) -> float | None:
    """The largest of α/10, α/100, … (α from ``config``) with which ``TRIAL_UPDATES`` updates
    from checkpoint ``index`` neither diverge nor raise J; None when none does within the
    sample budget."""
    checkpoint = session.timeline[index]
    data = session.timeline.data_version(checkpoint.data_version)
    train = ~data.test_mask
    X, y = data.dataset.X[train], data.dataset.y[train]
    if len(y) == 0:
        return None
    batch = len(y) if config.batch_size is None else min(config.batch_size, len(y))
    trials = max(1, TRIAL_SAMPLE_BUDGET // (batch * TRIAL_UPDATES))
    candidate = config.learning_rate / 10
    for _ in range(trials):
        if candidate < SMALLEST_ADVICE:
            return None
        trial = replace(config, learning_rate=candidate)
        if _lowers_the_cost(session, checkpoint.params, trial, X, y):
            return candidate
        candidate /= 10
    return None


def _lowers_the_cost(
    session: Session, params: np.ndarray, config: TrainingConfig, X: np.ndarray, y: np.ndarray
) -> bool:
    """Whether ``TRIAL_UPDATES`` updates from ``params`` with ``config`` end without
    diverging and with J no higher than at the start."""
    net = session.net.copy()
    net.params[...] = params
    start, _ = evaluate(net, X, y)
    trainer = Trainer(
        net,
        config.build_optimizer(),
        X,
        y,
        batch_size=config.batch_size,
        l2=config.l2,
        seed=config.shuffle_seed,
    )
    largest_before = float(np.abs(params).max(initial=0.0))
    try:
        trainer.run(TRIAL_UPDATES)
    except DivergenceError:
        return False
    end, _ = evaluate(net, X, y)
    # Weights racing toward the divergence bound blow up a little later: not safe either.
    largest_after = float(np.abs(net.params).max(initial=0.0))
    runaway = largest_after > min(RUNAWAY_WEIGHT, max(10.0 * largest_before, 10.0))
    return math.isfinite(end) and end <= start and not runaway
