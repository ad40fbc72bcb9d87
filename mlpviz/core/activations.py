"""Hidden-layer activations, each with its derivative right beside it.

Every activation works element-wise on arrays of any shape; ``forward(z, out=z)`` may work
in place. Each derivative is written from the activation ``a = g(z)`` alone (σ' = a(1−a),
tanh' = 1 − a², ReLU' = [a > 0]), so the forward pass need not keep ``z`` for backprop.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .errors import ConfigError, shown

LEAKY_SLOPE = 0.01  # the lecture's leaky ReLU: max(0.01 z, z)


@dataclass(frozen=True)
class Activation:
    """A named element-wise function g and its derivative g'."""

    name: str
    forward: Callable[..., np.ndarray]
    derivative: Callable[[np.ndarray], np.ndarray]

    def __repr__(self) -> str:
        return f"Activation({self.name!r})"


def sigmoid(z: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """σ(z) = 1 / (1 + e^{−z}), computed as (1 + tanh(z/2)) / 2: never overflows."""
    out = np.multiply(z, 0.5, out=out)
    np.tanh(out, out=out)
    out += 1.0
    out *= 0.5
    return out


def _sigmoid_derivative(a: np.ndarray) -> np.ndarray:
    return a * (1.0 - a)


def _tanh(z: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    return np.tanh(z, out=out)


def _tanh_derivative(a: np.ndarray) -> np.ndarray:
    derivative = a * a
    np.subtract(1.0, derivative, out=derivative)
    return derivative


def _relu(z: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    return np.maximum(z, 0.0, out=out)


def _relu_derivative(a: np.ndarray) -> np.ndarray:
    # a > 0 exactly when z > 0; at z = 0 the derivative is 0, as in PyTorch.
    return (a > 0.0).astype(a.dtype)


def _leaky_relu(z: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    return np.maximum(z, LEAKY_SLOPE * z, out=out)


def _leaky_relu_derivative(a: np.ndarray) -> np.ndarray:
    return np.where(a > 0.0, a.dtype.type(1.0), a.dtype.type(LEAKY_SLOPE))


def _identity(z: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    if out is None or out is z:
        return z
    out[...] = z
    return out


def _identity_derivative(a: np.ndarray) -> np.ndarray:
    return np.ones_like(a)


ACTIVATIONS: dict[str, Activation] = {
    "sigmoid": Activation("sigmoid", sigmoid, _sigmoid_derivative),
    "tanh": Activation("tanh", _tanh, _tanh_derivative),
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
        raise ConfigError(
            f"unknown activation '{shown(str(name))}'; choose one of {valid}"
        ) from None
