"""The multilayer perceptron: forward propagation, loss and exact backpropagation.

Public arrays follow the lecture and PyTorch: samples are rows (``X: (m, n_in)``) and
``W[l]: (n_l, n_{l−1})`` holds one row per neuron. Internally activations are kept one
column per sample (``A: (n_l, m)``, the lecture's own layout): reductions over a few
output units then run along contiguous rows, which is several times faster.

All parameters live in one flat vector, weights first then biases; ``weights`` and
``biases`` are views into it, so an optimiser can update the whole network in one call.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from .activations import Activation, get_activation
from .errors import ConfigError
from .losses import output_for

INITS = ("xavier", "he", "uniform")
MAX_LAYER_SIZE = 4096
INFERENCE_CHUNK = 2048  # samples per block: a 64-unit layer's block (1 MiB) stays in L2


class Forward(NamedTuple):
    """One forward pass. ``z[l]`` and ``a[l] = g(z[l])`` are (m, n_l) for layers 1…L.

    ``a[-1]`` is the output (ŷ, probabilities); ``a[-2]`` is the last hidden layer when
    there is one.
    """

    z: list[np.ndarray]
    a: list[np.ndarray]


class _ViewList(list):
    """A list of parameter views; assigning an item copies into the view, keeping it shared."""

    def __setitem__(self, index, value):  # type: ignore[override]
        target = list.__getitem__(self, index)
        if np.shape(value) != target.shape:
            raise ValueError(f"expected shape {target.shape}, got {np.shape(value)}")
        target[...] = value


class MLP:
    """A fully connected network with a sigmoid (1 output) or softmax (K ≥ 2 outputs) output.

    ``MLP([2, 1])`` is the lecture's single neuron; ``MLP([2, 8, 8, 1], "tanh")`` has two
    hidden layers. ``activations`` is one name for every hidden layer or one per hidden layer.
    """

    def __init__(
        self,
        layer_sizes: Sequence[int],
        activations: str | Sequence[str] = "tanh",
        *,
        init: str = "xavier",
        seed: int | None = None,
        dtype: np.dtype | type = np.float64,
    ) -> None:
        self.layer_sizes = _validated_sizes(layer_sizes)
        self.activations = _validated_activations(activations, len(self.layer_sizes) - 2)
        if init not in INITS:
            raise ConfigError(f"unknown init {init!r}; choose one of {', '.join(INITS)}")
        self.dtype = np.dtype(dtype)
        if self.dtype not in (np.float32, np.float64):
            raise ConfigError("dtype must be float32 or float64")
        self.init = init
        self.seed = seed
        self.output = output_for(self.layer_sizes[-1])
        self._hidden: list[Activation] = [get_activation(name) for name in self.activations]
        self.params = np.zeros(self.parameter_count, dtype=self.dtype)
        self.weights, self.biases = self._views(self.params)
        self._initialise(np.random.default_rng(seed))

    # --- structure -------------------------------------------------------------------
    @property
    def parameter_count(self) -> int:
        """Number of weights and biases."""
        sizes = self.layer_sizes
        return sum(n_out * (n_in + 1) for n_in, n_out in itertools.pairwise(sizes))

    @property
    def weight_count(self) -> int:
        """Number of weights (the first part of ``params``)."""
        sizes = self.layer_sizes
        return sum(n_out * n_in for n_in, n_out in itertools.pairwise(sizes))

    @property
    def n_classes(self) -> int:
        """Number of classes the output layer separates (2 for a single sigmoid output)."""
        return max(2, self.layer_sizes[-1])

    @property
    def depth(self) -> int:
        """Number of layers with parameters (hidden layers + output layer)."""
        return len(self.layer_sizes) - 1

    def _views(self, flat: np.ndarray) -> tuple[_ViewList, _ViewList]:
        """Views of ``flat`` shaped like the weights and biases of this network."""
        sizes = self.layer_sizes
        weights, biases = _ViewList(), _ViewList()
        start = 0
        for n_in, n_out in itertools.pairwise(sizes):
            list.append(weights, flat[start : start + n_out * n_in].reshape(n_out, n_in))
            start += n_out * n_in
        for n_out in sizes[1:]:
            list.append(biases, flat[start : start + n_out])
            start += n_out
        return weights, biases

    def _initialise(self, rng: np.random.Generator) -> None:
        for W in self.weights:
            n_out, n_in = W.shape
            if self.init == "xavier":  # Glorot uniform
                bound = np.sqrt(6.0 / (n_in + n_out))
                W[...] = rng.uniform(-bound, bound, size=W.shape)
            elif self.init == "he":  # He normal, fan-in, as torch.nn.init.kaiming_normal_
                W[...] = rng.normal(0.0, np.sqrt(2.0 / n_in), size=W.shape)
            else:  # TensorFlow Playground's ±0.5
                W[...] = rng.uniform(-0.5, 0.5, size=W.shape)

    def copy(self) -> MLP:
        """An independent network with the same architecture and parameters."""
        clone = MLP.__new__(MLP)
        clone.__dict__.update(self.__dict__)
        clone.__dict__.pop("_cached_grad_views", None)
        clone.params = self.params.copy()
        clone.weights, clone.biases = clone._views(clone.params)
        return clone

    def __repr__(self) -> str:
        hidden = ", ".join(self.activations) or "none"
        return (
            f"MLP({list(self.layer_sizes)}, hidden={hidden}, output={self.output.name}, "
            f"params={self.parameter_count})"
        )

    # --- forward ---------------------------------------------------------------------
    def _columns(self, X: np.ndarray) -> np.ndarray:
        """Validate ``X: (m, n_in)`` and return it as (n_in, m) in the network's dtype."""
        X = np.asarray(X, dtype=self.dtype)
        if X.ndim != 2 or X.shape[1] != self.layer_sizes[0]:
            raise ValueError(f"X must have shape (m, {self.layer_sizes[0]}), got {X.shape}")
        return X.T

    def _forward_columns(
        self, A: np.ndarray, keep_z: bool = False
    ) -> tuple[list[np.ndarray] | None, list[np.ndarray]]:
        """Forward pass in column layout for layers 1…L: ``(Z list or None, A list)``, (n_l, m).

        The last A is the output logits: the losses work from them. Without ``keep_z`` each
        activation overwrites its Z in place (backprop needs only the activations).
        """
        zs: list[np.ndarray] | None = [] if keep_z else None
        activations = []
        last = self.depth - 1
        for index, (W, b) in enumerate(zip(self.weights, self.biases)):
            Z = W @ A
            Z += b[:, None]
            if zs is not None:
                zs.append(Z)
            if index == last:
                A = Z
            else:
                A = self._hidden[index].forward(Z, out=None if keep_z else Z)
            activations.append(A)
        return zs, activations

    def forward(self, X: np.ndarray) -> Forward:
        """Forward propagation of ``X: (m, n_in)``; every layer's z and a as (m, n_l)."""
        zs, activations = self._forward_columns(self._columns(X), keep_z=True)
        activations[-1] = self.output.probabilities(zs[-1])
        return Forward([Z.T for Z in zs], [A.T for A in activations])

    def _inference_logits(self, X: np.ndarray) -> np.ndarray:
        """Output logits (n_out, m), computed in cache-sized chunks with in-place operations.

        Nothing is kept for backpropagation here, so each chunk's intermediate arrays stay in
        the CPU cache: a 200×200 grid is evaluated several times faster than in one piece.
        """
        columns = self._columns(X)
        m = columns.shape[1]
        logits = np.empty((self.layer_sizes[-1], m), dtype=self.dtype)
        for start in range(0, m, INFERENCE_CHUNK):
            A = columns[:, start : start + INFERENCE_CHUNK]
            for index, (W, b) in enumerate(zip(self.weights, self.biases)):
                Z = W @ A
                Z += b[:, None]
                A = Z if index == self.depth - 1 else self._hidden[index].forward(Z, out=Z)
            logits[:, start : start + INFERENCE_CHUNK] = A
        return logits

    def logits(self, X: np.ndarray) -> np.ndarray:
        """Output pre-activations z^{[L]}, shape (m, n_out)."""
        return self._inference_logits(X).T

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """ŷ for ``X: (m, n_in)``: shape (m, n_out) (σ(z) for one output, softmax for K)."""
        return self.output.probabilities(self._inference_logits(X)).T

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Predicted class labels, shape (m,) int64."""
        return self.output.labels(self._inference_logits(X))

    def hidden_features(self, X: np.ndarray) -> np.ndarray:
        """The data as seen by the last hidden layer, (m, n_{L−1}); ``X`` itself with none."""
        if self.depth == 1:
            return np.asarray(X, dtype=self.dtype)
        return self._forward_columns(self._columns(X))[1][-2].T

    # --- loss and backpropagation ------------------------------------------------------
    def loss(self, X: np.ndarray, y: np.ndarray, l2: float = 0.0) -> float:
        """J = mean cross-entropy + (l2/2)·Σ_l ‖W_l‖² (biases are not regularised)."""
        A = self._columns(X)
        labels = self._labels(y, A.shape[1])
        loss, _ = self.output.loss_and_delta(self._inference_logits(X), labels)
        return loss + self._l2_penalty(l2)

    def gradients(
        self, X: np.ndarray, y: np.ndarray, l2: float = 0.0
    ) -> tuple[float, list[np.ndarray], list[np.ndarray]]:
        """Exact backpropagation: ``(J, dW, db)`` with dW[l], db[l] shaped like W[l], b[l]."""
        A = self._columns(X)
        labels = self._labels(y, A.shape[1])
        grad = np.empty_like(self.params)
        loss = self.loss_and_gradient(A, labels, l2, grad)
        dW, db = self._views(grad)
        return loss, list(dW), list(db)

    def loss_and_gradient(
        self, A: np.ndarray, labels: np.ndarray, l2: float, grad: np.ndarray
    ) -> float:
        """J for the columns ``A: (n_in, m)``; writes ∂J/∂params into the flat ``grad``.

        The hot path of training: no validation, no allocation of the gradient.
        """
        _, activations = self._forward_columns(A)
        loss, delta = self.output.loss_and_delta(activations[-1], labels)
        dW, db = self._gradient_views(grad)
        for layer in range(self.depth - 1, -1, -1):
            A_prev = activations[layer - 1] if layer > 0 else A
            np.matmul(delta, A_prev.T, out=dW[layer])
            np.sum(delta, axis=1, out=db[layer])
            if layer > 0:
                delta = self.weights[layer].T @ delta
                delta *= self._hidden[layer - 1].derivative(A_prev)
        if l2:
            n_weights = self.weight_count
            grad[:n_weights] += l2 * self.params[:n_weights]
            loss += self._l2_penalty(l2)
        return loss

    def _gradient_views(self, grad: np.ndarray) -> tuple[_ViewList, _ViewList]:
        """Views of ``grad``, cached for the trainer's buffer that is reused every step."""
        cached = self.__dict__.get("_cached_grad_views")
        if cached is None or cached[0] is not grad:
            cached = (grad, *self._views(grad))
            self._cached_grad_views = cached
        return cached[1], cached[2]

    def _l2_penalty(self, l2: float) -> float:
        if not l2:
            return 0.0
        weights = self.params[: self.weight_count]
        return 0.5 * l2 * float(np.dot(weights, weights))

    def _labels(self, y: np.ndarray, m: int) -> np.ndarray:
        labels = np.asarray(y)
        if labels.shape != (m,):
            raise ValueError(f"y must have shape ({m},), got {labels.shape}")
        if labels.dtype.kind not in "iub":
            raise ValueError("y must hold integer class labels")
        if m and (labels.min() < 0 or labels.max() >= self.n_classes):
            raise ValueError(f"labels must be in 0..{self.n_classes - 1}")
        return labels.astype(np.intp, copy=False)


def _validated_sizes(layer_sizes: Sequence[int]) -> tuple[int, ...]:
    sizes = tuple(int(n) for n in layer_sizes)
    if len(sizes) < 2:
        raise ConfigError("layer_sizes needs at least an input and an output size, e.g. [2, 1]")
    if any(n < 1 or n > MAX_LAYER_SIZE for n in sizes):
        raise ConfigError(f"every layer size must be between 1 and {MAX_LAYER_SIZE}: {sizes}")
    return sizes


def _validated_activations(activations: str | Sequence[str], n_hidden: int) -> tuple[str, ...]:
    names = (activations,) * n_hidden if isinstance(activations, str) else tuple(activations)
    if len(names) != n_hidden:
        raise ConfigError(f"{n_hidden} hidden layers need {n_hidden} activations, got {len(names)}")
    for name in names:
        get_activation(name)  # raises the ConfigError naming the valid choices
    return names
