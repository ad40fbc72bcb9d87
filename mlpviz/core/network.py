"""The multilayer perceptron: forward propagation, loss and exact backpropagation.

Public arrays follow the lecture and PyTorch: samples are rows (``X: (m, n_in)``) and
``W[l]: (n_l, n_{l−1})`` holds one row per neuron. Internally activations are kept one
column per sample (``A: (n_l, m)``, the lecture's own layout): reductions over a few
output units then run along contiguous rows, which is several times faster.

All parameters live in one flat vector made of one block per layer, ``[W | b]`` of shape
(n_l, n_{l−1} + 1); ``weights`` and ``biases`` are views into it, so an optimiser updates the
whole network in one call. Each layer's input carries a last row of ones, so one matrix
product ``[W | b] @ [A; 1]`` computes z = Wa + b, and one product ``δ @ [A; 1]ᵀ`` gives both
∂J/∂W and ∂J/∂b: small networks are dominated by the number of NumPy calls.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from typing import NamedTuple

import numpy as np

from .activations import Activation, get_activation
from .errors import ConfigError, shown
from .losses import output_for

INITS = ("xavier", "he", "uniform")
MAX_LAYER_SIZE = 4096
INFERENCE_CHUNK = 2048  # samples per block: a 64-unit layer's block (1 MiB) stays in L2
# Samples per chunk of the gradient of a larger batch. Batches up to this size (mini-batches,
# and full batches of up to 16,384 points) take the one-pass path unchanged; larger ones are
# summed chunk by chunk, so that a step can be interrupted between chunks, and its buffers
# stay small: 8×64 ReLU takes ~0.1 s and 70 MB per chunk, where a full batch of 1,000,000
# points took 4 GB and ran 2.4× slower. A constant: the numbers never depend on timing.
GRADIENT_CHUNK = 16384


# Not an error, a way back out of a computation, named like StopIteration and
# KeyboardInterrupt, hence no "Error" suffix.
class Interrupted(Exception):  # noqa: N818
    """A long computation stopped between two chunks because its caller asked it to."""


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
        self.layer_sizes = validated_layer_sizes(layer_sizes)
        self.activations = _validated_activations(activations, len(self.layer_sizes) - 2)
        if init not in INITS:
            raise ConfigError(
                f"unknown init '{shown(str(init))}'; choose one of {', '.join(INITS)}"
            )
        self.dtype = np.dtype(dtype)
        if self.dtype not in (np.float32, np.float64):
            raise ConfigError("dtype must be float32 or float64")
        self.init = init
        self.seed = seed
        self.output = output_for(self.layer_sizes[-1])
        self._hidden: list[Activation] = [get_activation(name) for name in self.activations]
        self._attach(np.zeros(self.parameter_count, dtype=self.dtype))
        self._initialise(np.random.default_rng(seed))

    # --- structure -------------------------------------------------------------------
    @property
    def parameter_count(self) -> int:
        """Number of weights and biases."""
        return parameter_count(self.layer_sizes)

    def all_weights(self) -> np.ndarray:
        """Every weight (no bias) of every layer in one new 1-D array, e.g. for a histogram."""
        return np.concatenate([W.ravel() for W in self.weights])

    def largest_weight(self) -> float:
        """The largest |w| of every weight (no bias)."""
        return float(np.abs(self.params * self._weight_mask).max(initial=0.0))

    @property
    def n_classes(self) -> int:
        """Number of classes the output layer separates (2 for a single sigmoid output)."""
        return max(2, self.layer_sizes[-1])

    @property
    def depth(self) -> int:
        """Number of layers with parameters (hidden layers + output layer)."""
        return len(self.layer_sizes) - 1

    def _blocks(self, flat: np.ndarray) -> list[np.ndarray]:
        """Views of ``flat`` as one ``[W | b]`` block per layer, shape (n_l, n_{l−1} + 1)."""
        blocks, start = [], 0
        for n_in, n_out in itertools.pairwise(self.layer_sizes):
            blocks.append(flat[start : start + n_out * (n_in + 1)].reshape(n_out, n_in + 1))
            start += n_out * (n_in + 1)
        return blocks

    def _views(self, flat: np.ndarray) -> tuple[_ViewList, _ViewList]:
        """Views of ``flat`` shaped like the weights and biases of this network."""
        weights, biases = _ViewList(), _ViewList()
        for block in self._blocks(flat):
            list.append(weights, block[:, :-1])
            list.append(biases, block[:, -1])
        return weights, biases

    def _attach(self, params: np.ndarray) -> None:
        """Make ``params`` this network's parameter vector and build the views into it."""
        self.params = params
        self._param_blocks = self._blocks(params)
        self.weights, self.biases = self._views(params)
        self._weight_mask = np.ones_like(params)
        for mask_block in self._blocks(self._weight_mask):
            mask_block[:, -1] = 0.0
        self._buffers: dict[int, list[np.ndarray]] = {}
        self._grad_blocks: tuple[np.ndarray, list[np.ndarray]] | None = None

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
        return self.astype(self.dtype)

    def astype(self, dtype: np.dtype | type) -> MLP:
        """An independent copy computing in ``dtype``: float32 evaluates a grid of points for
        a picture about three times faster, with differences of order 1e-7."""
        clone = type(self).__new__(type(self))
        clone.__dict__.update(self.__dict__)
        clone.dtype = np.dtype(dtype)
        clone._attach(self.params.astype(clone.dtype))
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

    def _with_ones(self, X: np.ndarray) -> np.ndarray:
        """Validate ``X: (m, n_in)``; return it as columns with a row of ones, (n_in + 1, m)."""
        columns = self._columns(X)
        augmented = np.ones((columns.shape[0] + 1, columns.shape[1]), dtype=self.dtype)
        augmented[:-1] = columns
        return augmented

    def _layer_buffers(self, m: int) -> list[np.ndarray]:
        """Per hidden layer an (n_l + 1, m) array whose last row is ones, reused between steps."""
        buffers = self._buffers.get(m)
        if buffers is None:
            if len(self._buffers) > 4:  # the full batch, the batch size and the last batch
                self._buffers.clear()
            buffers = [np.ones((n + 1, m), dtype=self.dtype) for n in self.layer_sizes[1:-1]]
            self._buffers[m] = buffers
        return buffers

    def _forward_columns(self, inputs: np.ndarray) -> list[np.ndarray]:
        """Forward pass of ``inputs: (n_in + 1, m)`` (last row ones), for backpropagation.

        Returns every layer's input as (n + 1, m) with its row of ones (inputs first, then
        each hidden layer's activation), followed by the output logits (n_out, m). The hidden
        arrays are buffers reused by the next call.
        """
        layers = [inputs]
        A = inputs
        buffers = self._layer_buffers(inputs.shape[1])
        for index, buffer in enumerate(buffers):
            Z = buffer[:-1]
            np.matmul(self._param_blocks[index], A, out=Z)
            self._hidden[index].forward(Z, out=Z)
            A = buffer
            layers.append(A)
        layers.append(self._param_blocks[-1] @ A)
        return layers

    def forward(self, X: np.ndarray) -> Forward:
        """Forward propagation of ``X: (m, n_in)``; every layer's z and a as (m, n_l)."""
        A = self._with_ones(X)
        zs, activations = [], []
        for index, block in enumerate(self._param_blocks):
            Z = block @ A
            zs.append(Z.T)
            if index == self.depth - 1:
                activations.append(self.output.probabilities(Z).T)
            else:
                activation = self._hidden[index].forward(Z)
                activations.append(activation.T)
                A = np.vstack([activation, np.ones((1, Z.shape[1]), dtype=self.dtype)])
        return Forward(zs, activations)

    def _inference_logits(self, X: np.ndarray, probabilities: bool = False) -> np.ndarray:
        """Output logits (n_out, m), computed block by block without keeping anything; with
        ``probabilities`` the output layer's ŷ instead, also computed block by block.

        Blocks of samples flow through small buffers that stay in the CPU cache, with the
        activations applied in place: a 200×200 grid is evaluated about twice as fast as
        layer by layer over all samples. Taking the softmax of each block while it is in the
        cache, rather than of all the logits at the end, also avoids temporaries of the whole
        grid's size, which cost a page fault every 4 KiB on each call.
        """
        columns = self._columns(X)
        m = columns.shape[1]
        logits = np.empty((self.layer_sizes[-1], m), dtype=self.dtype)
        block = min(INFERENCE_CHUNK, max(m, 1))
        buffers = [np.ones((n + 1, block), dtype=self.dtype) for n in self.layer_sizes[:-1]]
        for start in range(0, m, block):
            count = min(block, m - start)
            A = buffers[0][:, :count]
            A[:-1] = columns[:, start : start + count]
            for index, W_b in enumerate(self._param_blocks[:-1]):
                Z = buffers[index + 1][:-1, :count]
                np.matmul(W_b, A, out=Z)
                self._hidden[index].forward(Z, out=Z)
                A = buffers[index + 1][:, :count]
            Z = logits[:, start : start + count]
            np.matmul(self._param_blocks[-1], A, out=Z)
            if probabilities:
                Z[...] = self.output.probabilities(Z)
        return logits

    def logits(self, X: np.ndarray) -> np.ndarray:
        """Output pre-activations z^{[L]}, shape (m, n_out)."""
        return self._inference_logits(X).T

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """ŷ for ``X: (m, n_in)``: shape (m, n_out) (σ(z) for one output, softmax for K)."""
        return self._inference_logits(X, probabilities=True).T

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Predicted class labels, shape (m,) int64."""
        return self.output.labels(self._inference_logits(X))

    def hidden_features(self, X: np.ndarray) -> np.ndarray:
        """The data as seen by the last hidden layer, (m, n_{L−1}); ``X`` itself with none."""
        if self.depth == 1:
            return np.asarray(X, dtype=self.dtype)
        return self._forward_columns(self._with_ones(X))[-2][:-1].T.copy()

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
        inputs = self._with_ones(X)
        labels = self._labels(y, inputs.shape[1])
        grad = np.empty_like(self.params)
        loss = self.loss_and_gradient_in_chunks(inputs, labels, l2, grad)
        dW, db = self._views(grad)
        return loss, [g.copy() for g in dW], [g.copy() for g in db]

    def loss_and_gradient(
        self, inputs: np.ndarray, labels: np.ndarray, l2: float, grad: np.ndarray
    ) -> float:
        """J for ``inputs: (n_in + 1, m)`` (samples as columns, last row ones); writes
        ∂J/∂params into the flat ``grad``.

        The hot path of training: no validation, no allocation of the gradient.
        """
        layers = self._forward_columns(inputs)
        loss, delta = self.output.loss_and_delta(layers[-1], labels)
        grad_blocks = self._gradient_blocks(grad)
        for layer in range(self.depth - 1, -1, -1):
            A_prev = layers[layer]
            np.matmul(delta, A_prev.T, out=grad_blocks[layer])  # [∂J/∂W | ∂J/∂b]
            if layer > 0:
                W_T = self.weights[layer].T
                # A single output unit makes this an outer product (one product per entry,
                # so exact either way), which np.dot computes four times faster than matmul.
                delta = np.dot(W_T, delta) if len(delta) == 1 else W_T @ delta
                delta *= self._hidden[layer - 1].derivative(A_prev[:-1])
        return loss + self._add_l2_gradient(l2, grad)

    def loss_and_gradient_in_chunks(
        self,
        inputs: np.ndarray,
        labels: np.ndarray,
        l2: float,
        grad: np.ndarray,
        interrupt: Callable[[], bool] | None = None,
    ) -> float:
        """``loss_and_gradient`` for a batch of any size; what training uses.

        A batch of more than GRADIENT_CHUNK samples is done in chunks of GRADIENT_CHUNK (the
        last one shorter), in order, each weighted by its share of the batch: J and ∂J/∂params
        are still the means over the whole batch, equal to one pass up to rounding, and the
        same for the same batch whatever happens around them. ``interrupt`` is asked before
        each chunk; when it returns True, this raises Interrupted and ``grad`` is unchanged.
        """
        m = inputs.shape[1]
        if m <= GRADIENT_CHUNK:
            return self.loss_and_gradient(inputs, labels, l2, grad)
        total = np.zeros_like(grad)  # ``grad`` is written only once every chunk is done
        chunk_grad = np.empty_like(grad)
        loss = 0.0
        for start in range(0, m, GRADIENT_CHUNK):
            if interrupt is not None and interrupt():
                raise Interrupted
            stop = min(start + GRADIENT_CHUNK, m)
            share = (stop - start) / m
            chunk_loss = self.loss_and_gradient(
                inputs[:, start:stop], labels[start:stop], 0.0, chunk_grad
            )
            loss += share * chunk_loss
            chunk_grad *= share
            total += chunk_grad
        grad[...] = total
        return loss + self._add_l2_gradient(l2, grad)

    def _add_l2_gradient(self, l2: float, grad: np.ndarray) -> float:
        """Add the L2 term's gradient λ·W (no bias) to ``grad``; return its penalty."""
        if not l2:
            return 0.0
        grad += l2 * self.params * self._weight_mask
        return self._l2_penalty(l2)

    def _gradient_blocks(self, grad: np.ndarray) -> list[np.ndarray]:
        """``[dW | db]`` views of ``grad``, cached for the trainer's reused buffer."""
        if self._grad_blocks is None or self._grad_blocks[0] is not grad:
            self._grad_blocks = (grad, self._blocks(grad))
        return self._grad_blocks[1]

    def _l2_penalty(self, l2: float) -> float:
        if not l2:
            return 0.0
        return 0.5 * l2 * float(np.dot(self.params * self._weight_mask, self.params))

    def _labels(self, y: np.ndarray, m: int) -> np.ndarray:
        labels = np.asarray(y)
        if labels.shape != (m,):
            raise ValueError(f"y must have shape ({m},), got {labels.shape}")
        if labels.dtype.kind not in "iub":
            raise ValueError("y must hold integer class labels")
        if m and (labels.min() < 0 or labels.max() >= self.n_classes):
            raise ValueError(f"labels must be in 0..{self.n_classes - 1}")
        return labels.astype(np.intp, copy=False)


def validated_layer_sizes(layer_sizes: Sequence[int]) -> tuple[int, ...]:
    """``layer_sizes`` as a tuple of ints; ConfigError unless there are at least two, each
    1 to MAX_LAYER_SIZE."""
    sizes = tuple(int(n) for n in layer_sizes)
    if len(sizes) < 2:
        raise ConfigError("layer_sizes needs at least an input and an output size, e.g. [2, 1]")
    if any(n < 1 or n > MAX_LAYER_SIZE for n in sizes):
        raise ConfigError(f"every layer size must be between 1 and {MAX_LAYER_SIZE}: {sizes}")
    return sizes


def parameter_count(layer_sizes: Sequence[int]) -> int:
    """Number of weights and biases of a network with these layer sizes."""
    return sum(n_out * (n_in + 1) for n_in, n_out in itertools.pairwise(layer_sizes))


def _validated_activations(activations: str | Sequence[str], n_hidden: int) -> tuple[str, ...]:
    names = (activations,) * n_hidden if isinstance(activations, str) else tuple(activations)
    if len(names) != n_hidden:
        raise ConfigError(f"{n_hidden} hidden layers need {n_hidden} activations, got {len(names)}")
    for name in names:
        get_activation(name)  # raises the ConfigError naming the valid choices
    return names
