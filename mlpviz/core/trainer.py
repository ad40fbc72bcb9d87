"""The training loop, one parameter update at a time, as the lecture's gradient descent.

``Trainer(MLP([2, 1]), SGD(α), X, y).step()`` repeated is exactly the lecture's algorithm:
forward propagation, compute J, backward propagation, update.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from .errors import ConfigError, DivergenceError
from .network import INFERENCE_CHUNK, MLP, Interrupted
from .optimizers import SGD, Adam, OptimizerState

# A run is diverging once a parameter leaves this range: on inputs of a few units the logits
# are then in the tens of thousands, every sigmoid/tanh is saturated and nothing is learnt
# any more, long before float64 overflows to inf. Converging runs stay far below it.
MAX_PARAMETER = 1e5
# Samples evaluated between two looks at ``interrupt`` (8×64 ReLU: ~0.1 s); a multiple of
# the network's INFERENCE_CHUNK, so that evaluating in pieces changes no bit.
EVALUATION_PIECE = 32 * INFERENCE_CHUNK


class _BatchStart(NamedTuple):
    """The epoch's order and position before a batch, and the shuffling generator's state
    when that batch draws a new order (None otherwise: reading it costs a microsecond)."""

    order: np.ndarray | None
    position: int
    rng_state: dict | None


@dataclass(frozen=True)
class TrainerState:
    """Everything besides the parameters that decides the next updates, as copies.

    With the parameters, it resumes a run exactly: the counters, the optimiser's buffers, the
    shuffling generator's state and the current epoch's sample order and position in it.
    """

    iteration: int
    epoch: int
    optimizer: OptimizerState
    rng: dict
    order: np.ndarray | None
    position: int

    @property
    def nbytes(self) -> int:
        """Memory held by the arrays."""
        order = 0 if self.order is None else self.order.nbytes
        return self.optimizer.nbytes + order


class Trainer:
    """Drives ``optimizer`` on ``net`` over the data ``X: (m, n_in)``, ``y: (m,)``.

    ``batch_size=None`` (or ≥ m) is full-batch gradient descent; otherwise mini-batches come
    from a seeded reshuffle at the start of every epoch. ``iteration`` counts parameter
    updates, ``epoch`` counts completed passes over the data.
    """

    def __init__(
        self,
        net: MLP,
        optimizer: SGD | Adam,
        X: np.ndarray,
        y: np.ndarray,
        *,
        batch_size: int | None = None,
        l2: float = 0.0,
        seed: int | None = None,
    ) -> None:
        self.net = net
        self.optimizer = optimizer
        self.iteration = 0
        self.epoch = 0
        self.l2 = l2
        self._rng = np.random.default_rng(seed)
        self._grad = np.empty_like(net.params)
        self._backup = np.empty_like(net.params)
        self._position = 0  # index of the next sample of the epoch's order
        self._order: np.ndarray | None = None
        self.batch_size = batch_size
        self.set_data(X, y)

    # --- settings that can change between iterations -------------------------------------
    @property
    def l2(self) -> float:
        """L2 coefficient λ of J = CE + (λ/2)·Σ‖W‖²."""
        return self._l2

    @l2.setter
    def l2(self, value: float) -> None:
        value = float(value)
        if not math.isfinite(value) or value < 0.0:
            raise ConfigError(f"L2 must be a non-negative number, got {value}")
        self._l2 = value

    @property
    def batch_size(self) -> int | None:
        """Samples per update; None means the full batch."""
        return self._batch_size

    @batch_size.setter
    def batch_size(self, value: int | None) -> None:
        if value is not None and (int(value) != value or value < 1):
            raise ConfigError(f"batch size must be a positive integer or None, got {value}")
        self._batch_size = None if value is None else int(value)
        self._start_epoch_order()

    def set_data(self, X: np.ndarray, y: np.ndarray) -> None:
        """Train on new data from the next iteration on (the canvas was edited)."""
        columns = self.net._columns(X)
        self._labels = self.net._labels(y, columns.shape[1])
        if columns.shape[1] == 0:
            raise ConfigError("the training set is empty: add some points first")
        # Samples stay rows in memory: a mini-batch gathers whole rows, then is viewed as
        # columns (the BLAS calls take the transposed layout for free). The column of ones
        # lets the network add its biases inside the matrix products.
        self._rows = np.ones((columns.shape[1], columns.shape[0] + 1), dtype=self.net.dtype)
        self._rows[:, :-1] = columns.T
        self._start_epoch_order()

    @property
    def n_samples(self) -> int:
        """Number of training samples m."""
        return self._rows.shape[0]

    @property
    def iterations_per_epoch(self) -> int:
        """Parameter updates in one pass over the data: ⌈m / batch size⌉."""
        return -(-self.n_samples // self._effective_batch_size())

    def _effective_batch_size(self) -> int:
        size = self._batch_size
        return self.n_samples if size is None else min(size, self.n_samples)

    def _start_epoch_order(self) -> None:
        self._position = 0
        self._order = None

    # --- training ---------------------------------------------------------------------
    def _next_batch(self) -> tuple[np.ndarray, np.ndarray, bool]:
        """The next mini-batch as columns and labels, and whether it completes an epoch."""
        size = self._effective_batch_size()
        if size == self.n_samples:  # full batch: the order does not change the mean
            return self._rows.T, self._labels, True
        if self._order is None:
            self._order = self._rng.permutation(self.n_samples)
        batch = self._order[self._position : self._position + size]
        self._position += size
        ends_epoch = self._position >= self.n_samples
        if ends_epoch:
            self._start_epoch_order()
        return self._rows[batch].T, self._labels[batch], ends_epoch

    def step(self, interrupt: Callable[[], bool] | None = None) -> float:
        """One parameter update on one mini-batch; returns that batch's J before the update.

        A batch larger than GRADIENT_CHUNK samples is computed in chunks, and ``interrupt`` is
        asked before each: when it returns True the update is abandoned and Interrupted is
        raised, with the parameters, the optimiser's state, the counters and the batch order
        as before the call, so that the next step computes this very update.

        Raises DivergenceError when the loss is not finite or a parameter is NaN or beyond
        ±MAX_PARAMETER. The parameters are then restored to their values before the update
        and the optimiser's state (momentum, Adam's moments) is reset: it holds the runaway
        update, and would throw a smaller learning rate off course again.
        """
        batch_start = self._batch_start()
        columns, labels, ends_epoch = self._next_batch()
        params = self.net.params
        # Overflow is expected when a run diverges; it is detected and reported below.
        with np.errstate(over="ignore", invalid="ignore"):
            try:
                loss = self.net.loss_and_gradient_in_chunks(
                    columns, labels, self._l2, self._grad, interrupt
                )
            except Interrupted:
                self._return_to(batch_start)
                raise
            self._backup[...] = params
            self.optimizer.step([params], [self._grad])
        largest = np.maximum.reduce(np.abs(params))
        if not (math.isfinite(loss) and largest <= MAX_PARAMETER):  # NaN fails too
            params[...] = self._backup
            self.optimizer.reset()
            raise DivergenceError(
                f"training diverged at iteration {self.iteration + 1} "
                f"(loss {loss:.4g}, largest weight {largest:.3g}): "
                "lower the learning rate or reset the weights",
                loss=float(loss),
            )
        self.iteration += 1
        self.epoch += ends_epoch
        return loss

    def _batch_start(self) -> _BatchStart:
        """Where the next batch starts, to go back there when its update is abandoned."""
        draws_order = self._order is None and self._effective_batch_size() < self.n_samples
        rng_state = self._rng.bit_generator.state if draws_order else None
        return _BatchStart(self._order, self._position, rng_state)

    def _return_to(self, start: _BatchStart) -> None:
        """Undo ``_next_batch`` back to ``start``: the next batch is the same again."""
        self._order, self._position = start.order, start.position
        if start.rng_state is not None:  # the epoch's order is drawn again, the same
            self._rng.bit_generator.state = start.rng_state

    def run(self, iterations: int) -> list[float]:
        """``iterations`` calls of ``step``; returns their losses."""
        return [self.step() for _ in range(iterations)]

    # --- exact resume ------------------------------------------------------------------
    def state(self) -> TrainerState:
        """A copy of the state that, with ``net.params``, decides every later update."""
        order = None if self._order is None else self._order.copy()
        return TrainerState(
            iteration=self.iteration,
            epoch=self.epoch,
            optimizer=self.optimizer.state(),
            rng=self._rng.bit_generator.state,
            order=order,
            position=self._position,
        )

    def restore(self, state: TrainerState) -> None:
        """Continue from ``state``; the optimiser must be of the kind that saved it.

        Raises ConfigError when the sample order does not fit the training set.
        """
        if state.order is not None and (
            state.order.shape != (self.n_samples,) or not 0 <= state.position < self.n_samples
        ):
            raise ConfigError("the saved batch order does not fit the training set")
        self._rng.bit_generator.state = state.rng
        self._order = None if state.order is None else state.order.astype(np.intp)
        self._position = int(state.position)
        self.optimizer.load_state(state.optimizer)
        self.iteration, self.epoch = int(state.iteration), int(state.epoch)

    def last_gradient_norms(self) -> tuple[float, ...]:
        """Per layer, ‖∂J/∂W‖ (Frobenius) of the last update's batch, without the L2 term."""
        grad = self._grad
        if self._l2:  # the L2 term was taken at the parameters before the update
            grad = grad - self._l2 * self._backup * self.net._weight_mask
        return tuple(float(np.linalg.norm(dW)) for dW in self.net._views(grad)[0])

    # --- evaluation -------------------------------------------------------------------
    def evaluate(self, X: np.ndarray, y: np.ndarray) -> tuple[float, float]:
        """``(J, accuracy)`` of the current network on ``X``, ``y`` (J without L2 term)."""
        return evaluate(self.net, X, y)


def evaluate(
    net: MLP, X: np.ndarray, y: np.ndarray, interrupt: Callable[[], bool] | None = None
) -> tuple[float, float]:
    """``(J, accuracy)`` of ``net`` on ``X: (m, n_in)``, ``y: (m,)``: the mean cross-entropy
    without the L2 term, and the share of correct predictions; NaN for no sample.

    ``interrupt`` is asked before each EVALUATION_PIECE samples; when it returns True this
    raises Interrupted.
    """
    if len(y) == 0:
        return math.nan, math.nan
    logits = _logits_in_pieces(net, X, interrupt)
    labels = net._labels(y, logits.shape[1])
    loss, _ = net.output.loss_and_delta(logits, labels)
    return float(loss), float(np.mean(net.output.labels(logits) == labels))


def _logits_in_pieces(net: MLP, X: np.ndarray, interrupt: Callable[[], bool] | None) -> np.ndarray:
    """``net._inference_logits(X)`` computed EVALUATION_PIECE samples at a time, asking
    ``interrupt`` before each piece. The pieces are whole numbers of the network's blocks, so
    the logits are the same bits as in one call."""
    pieces = []
    for start in range(0, len(X), EVALUATION_PIECE):
        if interrupt is not None and interrupt():
            raise Interrupted
        pieces.append(net._inference_logits(X[start : start + EVALUATION_PIECE]))
    return np.concatenate(pieces, axis=1)
