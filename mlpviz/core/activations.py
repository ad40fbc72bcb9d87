"""Hidden-layer activations, each with its derivative right beside it.

Every activation works element-wise on arrays of any shape. ``derivative(z, a)`` receives
both the pre-activation ``z`` and the activation ``a = forward(z)`` so that each function
can use whichever is cheaper (tanh' = 1 - a², ReLU' = [z > 0]).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .errors import ConfigError

LEAKY_SLOPE = 0.01  # the lecture's leaky ReLU: max(0.01 z, z)


@dataclass(frozen=True)
class Activation:
    """A named element-wise function g and its derivative g'."""

    name: str
    forward: Callable[[np.ndarray], np.ndarray]
    derivative: Callable[[np.ndarray, np.ndarray], np.ndarray]

    def __repr__(self) -> str:
        return f"Activation({self.name!r})"


def sigmoid(z: np.ndarray) -> np.ndarray:
    """σ(z) = 1 / (1 + e^{−z}), computed as (1 + tanh(z/2)) / 2: one call, never overflows."""
    return 0.5 * (1.0 + np.tanh(0.5 * z))


def _sigmoid_derivative(z: np.ndarray, a: np.ndarray) -> np.ndarray:
    return a * (1.0 - a)


def _tanh_derivative(z: np.ndarray, a: np.ndarray) -> np.ndarray:
    return 1.0 - a * a


def _relu(z: np.ndarray) -> np.ndarray:
    return np.maximum(z, 0.0)


def _relu_derivative(z: np.ndarray, a: np.ndarray) -> np.ndarray:
    # PyTorch's convention: the derivative at exactly 0 is 0.
    return (z > 0.0).astype(z.dtype)


def _leaky_relu(z: np.ndarray) -> np.ndarray:
    return np.maximum(z, LEAKY_SLOPE * z)


def _leaky_relu_derivative(z: np.ndarray, a: np.ndarray) -> np.ndarray:
    return np.where(z > 0.0, z.dtype.type(1.0), z.dtype.type(LEAKY_SLOPE))


def _identity(z: np.ndarray) -> np.ndarray:
    return z


def _identity_derivative(z: np.ndarray, a: np.ndarray) -> np.ndarray:
    return np.ones_like(z)


ACTIVATIONS: dict[str, Activation] = {
    "sigmoid": Activation("sigmoid", sigmoid, _sigmoid_derivative),
    "tanh": Activation("tanh", np.tanh, _tanh_derivative),
    "relu": Activation("relu", _relu, _relu_derivative),
    "leaky_relu": Activation("leaky_relu", _leaky_relu, _leaky_relu_derivative),
    "linear": Activation("linear", _identity, _identity_derivative),
}


def get_activation(name: str) -> Activation:
    """Look an activation up by name; an unknown name raises ConfigError listing the valid ones."""
    try:
        return ACTIVATIONS[name]
    except KeyError:
        valid = ", ".join(ACTIVATIONS)
        raise ConfigError(f"unknown activation {name!r}; choose one of {valid}") from None
