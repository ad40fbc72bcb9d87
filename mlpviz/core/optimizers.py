"""Optimisers with PyTorch's update rules exactly (``torch.optim.SGD`` and ``torch.optim.Adam``).

``step(params, grads)`` updates each array of ``params`` in place from the matching array of
``grads``. State (momentum buffers, Adam moments) is kept per position in the list, as
PyTorch keeps it per parameter; the trainer passes the network's one flat parameter vector,
so the whole network is updated in a handful of NumPy calls.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from .errors import ConfigError


@dataclass(frozen=True)
class OptimizerState:
    """What an optimiser carries from one step to the next, as copies.

    ``step`` counts Adam's updates (0 for SGD); ``arrays`` maps a buffer's name (``velocity``
    for momentum, ``m`` and ``v`` for Adam) to one array per parameter array, empty before the
    first step.
    """

    step: int
    arrays: dict[str, list[np.ndarray]] = field(default_factory=dict)

    @property
    def nbytes(self) -> int:
        """Memory held by the buffers."""
        return sum(array.nbytes for arrays in self.arrays.values() for array in arrays)


def _copies(arrays: Sequence[np.ndarray]) -> list[np.ndarray]:
    return [array.copy() for array in arrays]


FLUSH_EVERY = {"adam_m": 8, "adam_v": 64}
"""Adam's steps between two flushes of each moment to 0 (β₁ = 0.9 crosses the subnormal
range in about 150 steps, β₂ = 0.999 in about 16,000). They follow Adam's step count, which
its state keeps, so a resumed run flushes at the same steps. SGD keeps no step count and
flushes its momentum at every step."""


def _flush_subnormals(buffer: np.ndarray, scratch: np.ndarray, mask: np.ndarray) -> None:
    """Set the entries of ``buffer`` below the smallest normal number of its dtype to 0.

    A buffer that decays geometrically (the momentum of a dead ReLU neuron, whose gradient is
    0: ×0.9 per step) passes through the subnormal numbers on its way to 0, and x86 CPUs
    compute with those 10 to 100 times slower: in float32, where they begin at 1.2e-38, Adam
    on MNIST's network slowed from one epoch to the next. An entry that small moves its
    parameter by less than 1e-30 · α, nothing a float32 parameter above 1e-23 can show.
    ``scratch`` and ``mask`` are buffers of the same size. Adam calls this every few steps
    only (FLUSH_EVERY), as it costs a third of its own work: an entry spends at most that
    many slow steps before it is 0.
    """
    np.abs(buffer, out=scratch)
    np.less(scratch, np.finfo(buffer.dtype).tiny, out=mask)
    np.putmask(buffer, mask, 0.0)


def _check_learning_rate(lr: float) -> float:
    lr = float(lr)
    if not math.isfinite(lr) or lr <= 0.0:
        raise ConfigError(f"learning rate must be a positive number, got {lr}")
    return lr


class SGD:
    """Gradient descent, with optional momentum: v = μ·v + g; p −= lr·v (PyTorch, dampening 0)."""

    def __init__(self, lr: float, momentum: float = 0.0) -> None:
        self.lr = _check_learning_rate(lr)
        if not 0.0 <= momentum < 1.0:
            raise ConfigError(f"momentum must be in [0, 1), got {momentum}")
        self.momentum = float(momentum)
        self._velocity: list[np.ndarray] = []
        self._scratch: list[tuple[np.ndarray, np.ndarray]] = []

    def step(self, params: Sequence[np.ndarray], grads: Sequence[np.ndarray]) -> None:
        """Update every array of ``params`` in place."""
        if not self.momentum:
            for p, g in zip(params, grads):
                p -= self.lr * g
            return
        if not self._velocity:
            # PyTorch's first step sets the buffer to g, the same as μ·0 + g.
            self._velocity = [np.zeros_like(p) for p in params]
        if len(self._scratch) != len(self._velocity):
            self._scratch = [(np.empty_like(v), np.empty(v.shape, bool)) for v in self._velocity]
        for p, g, v, (scratch, mask) in zip(params, grads, self._velocity, self._scratch):
            v *= self.momentum
            v += g
            _flush_subnormals(v, scratch, mask)
            np.multiply(v, self.lr, out=scratch)
            p -= scratch

    def reset(self) -> None:
        """Forget the momentum buffers (after the network is re-initialised)."""
        self._velocity = []

    def state(self) -> OptimizerState:
        """A copy of what PyTorch keeps between steps: the momentum buffers, if any."""
        return OptimizerState(0, {"velocity": _copies(self._velocity)})

    def load_state(self, state: OptimizerState) -> None:
        """Continue from ``state`` (from ``state()`` of an SGD on the same parameters)."""
        self._velocity = _copies(state.arrays.get("velocity", []))

    def __repr__(self) -> str:
        return f"SGD(lr={self.lr:g}, momentum={self.momentum:g})"


class _Moments(NamedTuple):
    """Adam's moments of one parameter array, and scratch buffers of its size."""

    m: np.ndarray
    v: np.ndarray
    scratch: np.ndarray
    mask: np.ndarray

    @classmethod
    def of(cls, m: np.ndarray, v: np.ndarray) -> _Moments:
        return cls(m, v, np.empty_like(m), np.empty(m.shape, dtype=bool))

    @classmethod
    def zeros_like(cls, p: np.ndarray) -> _Moments:
        return cls.of(np.zeros_like(p), np.zeros_like(p))


class Adam:
    """Adam with bias correction, as ``torch.optim.Adam`` (amsgrad off, no weight decay).

    m = β₁m + (1−β₁)g; v = β₂v + (1−β₂)g²;
    p −= lr/(1−β₁ᵗ) · m / (√v/√(1−β₂ᵗ) + ε).
    """

    def __init__(
        self, lr: float, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8
    ) -> None:
        self.lr = _check_learning_rate(lr)
        beta1, beta2 = (float(beta) for beta in betas)
        if not (0.0 <= beta1 < 1.0 and 0.0 <= beta2 < 1.0):
            raise ConfigError(f"Adam betas must be in [0, 1), got {betas}")
        if not eps >= 0.0:
            raise ConfigError(f"Adam eps must be non-negative, got {eps}")
        self.betas = (beta1, beta2)
        self.eps = float(eps)
        self.t = 0
        self._moments: list[_Moments] = []

    def step(self, params: Sequence[np.ndarray], grads: Sequence[np.ndarray]) -> None:
        """Update every array of ``params`` in place."""
        if not self._moments:
            self._moments = [_Moments.zeros_like(p) for p in params]
        self.t += 1
        beta1, beta2 = self.betas
        step_size = self.lr / (1.0 - beta1**self.t)
        root_correction = math.sqrt(1.0 - beta2**self.t)
        for p, g, (m, v, scratch, mask) in zip(params, grads, self._moments):
            m *= beta1
            np.multiply(g, 1.0 - beta1, out=scratch)
            m += scratch
            if self.t % FLUSH_EVERY["adam_m"] == 0:
                _flush_subnormals(m, scratch, mask)
            v *= beta2
            np.multiply(g, g, out=scratch)
            scratch *= 1.0 - beta2
            v += scratch
            if self.t % FLUSH_EVERY["adam_v"] == 0:
                _flush_subnormals(v, scratch, mask)
            np.sqrt(v, out=scratch)
            scratch /= root_correction
            scratch += self.eps
            np.divide(m, scratch, out=scratch)
            scratch *= step_size
            p -= scratch

    def reset(self) -> None:
        """Forget the moments and the step count (after the network is re-initialised)."""
        self.t = 0
        self._moments = []

    def state(self) -> OptimizerState:
        """A copy of what PyTorch keeps between steps: the step count and both moments."""
        first = [moments.m for moments in self._moments]
        second = [moments.v for moments in self._moments]
        return OptimizerState(self.t, {"m": _copies(first), "v": _copies(second)})

    def load_state(self, state: OptimizerState) -> None:
        """Continue from ``state`` (from ``state()`` of an Adam on the same parameters)."""
        first, second = state.arrays.get("m", []), state.arrays.get("v", [])
        if len(first) != len(second):
            raise ConfigError("Adam state needs as many first as second moments")
        self.t = int(state.step)
        self._moments = [_Moments.of(m.copy(), v.copy()) for m, v in zip(first, second)]

    def __repr__(self) -> str:
        return f"Adam(lr={self.lr:g}, betas={self.betas}, eps={self.eps:g})"


OPTIMIZERS = ("sgd", "momentum", "adam")


def make_optimizer(name: str, lr: float, momentum: float = 0.9) -> SGD | Adam:
    """Build an optimiser by name: ``"sgd"``, ``"momentum"`` (SGD with μ) or ``"adam"``."""
    if name == "sgd":
        return SGD(lr)
    if name == "momentum":
        return SGD(lr, momentum=momentum)
    if name == "adam":
        return Adam(lr)
    raise ConfigError(f"unknown optimizer {name!r}; choose one of {', '.join(OPTIMIZERS)}")
