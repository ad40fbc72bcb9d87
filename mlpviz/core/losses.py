"""Output layers with their cross-entropy loss and its gradient, computed from the logits.

Arrays here are in the lecture's layout, one column per sample: ``Z: (n_out, m)``.
Both losses are computed stably: BCE as softplus(z) − y·z, categorical cross-entropy by
log-sum-exp, so a confident correct prediction gives a loss of exactly 0, never log(0).
"""

from __future__ import annotations

import numpy as np

from .activations import sigmoid


def _softplus(z: np.ndarray) -> np.ndarray:
    """log(1 + e^z) = max(z, 0) + log1p(e^{−|z|}): exact for any z, never overflows."""
    result = np.abs(z)
    np.negative(result, out=result)
    np.exp(result, out=result)
    np.log1p(result, out=result)
    result += np.maximum(z, 0.0)
    return result


class SigmoidBCE:
    """One sigmoid output and binary cross-entropy: L = −[y log ŷ + (1−y) log(1−ŷ)]."""

    name = "sigmoid"

    @staticmethod
    def probabilities(Z: np.ndarray) -> np.ndarray:
        """ŷ = σ(z) for ``Z: (1, m)``; returns (1, m)."""
        return sigmoid(Z)

    @staticmethod
    def loss_and_delta(Z: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
        """Mean loss over the m columns of ``Z: (1, m)`` and ∂J/∂Z = (ŷ − y)/m, shape (1, m)."""
        m = Z.shape[1]
        z = Z[0]
        target = y.astype(Z.dtype)
        # L = softplus(z) − y·z = softplus(∓z), summed per sample: exact and never negative.
        loss = float(np.add.reduce(_softplus(np.where(y.astype(bool), -z, z)))) / m
        delta = sigmoid(Z)
        delta -= target
        delta *= 1.0 / m
        return loss, delta

    @staticmethod
    def labels(Z: np.ndarray) -> np.ndarray:
        """Predicted class (ŷ ≥ 0.5 ⇔ z ≥ 0) for each column; returns (m,) int64."""
        return (Z[0] >= 0.0).astype(np.int64)


class SoftmaxCE:
    """K softmax outputs and categorical cross-entropy: L = −log softmax(z)_y."""

    name = "softmax"

    @staticmethod
    def probabilities(Z: np.ndarray) -> np.ndarray:
        """softmax over the K rows of ``Z: (K, m)``; returns (K, m)."""
        exp = Z - np.maximum.reduce(Z, axis=0)
        np.exp(exp, out=exp)
        exp /= np.add.reduce(exp, axis=0)
        return exp

    @staticmethod
    def loss_and_delta(Z: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
        """Mean loss over the columns of ``Z: (K, m)`` and ∂J/∂Z = (softmax − onehot)/m."""
        m = Z.shape[1]
        # Flat positions of the true classes: taking and indexing with them is about twice
        # as fast as with the pair (y, columns).
        true = np.multiply(y, m, dtype=np.intp)
        true += np.arange(m)
        shifted = np.subtract(Z, np.maximum.reduce(Z, axis=0), order="C")  # for ravel()
        delta = np.exp(shifted)
        total = np.add.reduce(delta, axis=0)
        picked = shifted.ravel().take(true)
        loss = (float(np.add.reduce(np.log(total))) - float(np.add.reduce(picked))) / m
        delta /= total
        delta.ravel()[true] -= 1.0
        delta *= 1.0 / m
        return loss, delta

    @staticmethod
    def labels(Z: np.ndarray) -> np.ndarray:
        """Predicted class (arg-max of the logits) for each column; returns (m,) int64."""
        return Z.argmax(axis=0).astype(np.int64)


def output_for(n_out: int) -> type[SigmoidBCE] | type[SoftmaxCE]:
    """The output layer that goes with ``n_out`` units: 1 → sigmoid + BCE, K ≥ 2 → softmax + CE."""
    return SigmoidBCE if n_out == 1 else SoftmaxCE
