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

    def step(self, params: Sequence[np.ndarray], grads: Sequence[np.ndarray]) -> None:
        """Update every array of ``params`` in place."""
        if not self.momentum:
            for p, g in zip(params, grads):
                p -= self.lr * g
            return
        if not self._velocity:
            # PyTorch's first step sets the buffer to g, the same as μ·0 + g.
            self._velocity = [np.zeros_like(p) for p in params]
        for p, g, v in zip(params, grads, self._velocity):
            v *= self.momentum
            v += g
            p -= self.lr * v

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
        self._moments: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []

    def step(self, params: Sequence[np.ndarray], grads: Sequence[np.ndarray]) -> None:
        """Update every array of ``params`` in place."""
        if not self._moments:
            self._moments = [(np.zeros_like(p), np.zeros_like(p), np.empty_like(p)) for p in params]
        self.t += 1
        beta1, beta2 = self.betas
        step_size = self.lr / (1.0 - beta1**self.t)
        root_correction = math.sqrt(1.0 - beta2**self.t)
        for p, g, (m, v, scratch) in zip(params, grads, self._moments):
            m *= beta1
            m += (1.0 - beta1) * g
            v *= beta2
            np.multiply(g, g, out=scratch)
            scratch *= 1.0 - beta2
            v += scratch
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
        first = [m for m, _v, _scratch in self._moments]
        second = [v for _m, v, _scratch in self._moments]
        return OptimizerState(self.t, {"m": _copies(first), "v": _copies(second)})

    def load_state(self, state: OptimizerState) -> None:
        """Continue from ``state`` (from ``state()`` of an Adam on the same parameters)."""
        first, second = state.arrays.get("m", []), state.arrays.get("v", [])
        if len(first) != len(second):
            raise ConfigError("Adam state needs as many first as second moments")
        self.t = int(state.step)
        self._moments = [(m.copy(), v.copy(), np.empty_like(m)) for m, v in zip(first, second)]

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
