"""Backpropagation with real numbers, for one sample and for the next update's batch.

``trace(net, x, y)`` follows one sample through the network in the lecture's notation:
z^[l] = W^[l] a^[l−1] + b^[l], a^[l] = g(z^[l]), δ^[L] = ŷ − y,
δ^[l] = (W^[l+1]ᵀ δ^[l+1]) ⊙ g′(z^[l]), ∂L/∂W^[l] = δ^[l] a^[l−1]ᵀ, ∂L/∂b^[l] = δ^[l].
``next_update`` is the change the optimiser's next step makes to W and b, computed on copies;
``gradient_check`` compares the engine's backpropagation with central finite differences.
Every array here is float64 and follows the engine's layout: W^[l] is (n_l, n_{l−1}).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .config import TrainingConfig
from .network import MLP
from .optimizers import OptimizerState
from .trainer import TrainerState

GRADIENT_CHECK_EPSILON = 1e-6
GRADIENT_CHECK_FLOOR = 1e-8  # the denominator's floor: a layer whose gradient is ~0


@dataclass(frozen=True, eq=False)
class Trace:
    """One sample's forward and backward pass. Lists are indexed 0…L−1 for layers 1…L.

    ``z[l]``, ``a[l]``, ``delta[l]`` and ``db[l]`` are (n_l,), ``dW[l]`` is (n_l, n_{l−1});
    ``a[L−1]`` is ŷ (probabilities), ``z[L−1]`` the logits. ``x`` is the input a^[0] (n_in,),
    ``y`` the label, ``dyhat`` ∂L/∂ŷ (n_out,) and ``loss`` L(ŷ, y) (cross-entropy, no L2).
    """

    x: np.ndarray
    y: int
    z: list[np.ndarray]
    a: list[np.ndarray]
    delta: list[np.ndarray]
    dW: list[np.ndarray]  # noqa: N815 (the lecture's W)
    db: list[np.ndarray]
    dyhat: np.ndarray
    loss: float

    @property
    def depth(self) -> int:
        """Number of layers with parameters, L."""
        return len(self.z)


@dataclass(frozen=True, eq=False)
class Update:
    """What the next Step does on its batch, per layer (lists indexed 0…L−1 for layers 1…L).

    ``dW``/``db`` are ∂J/∂W^[l], ∂J/∂b^[l] averaged over the batch without the L2 term,
    ``l2_dW`` the L2 term λW^[l] (zeros when λ = 0), ``step_W``/``step_b`` the change the
    optimiser applies (W_new − W); ``loss`` is the batch's J with its L2 penalty.
    """

    dW: list[np.ndarray]  # noqa: N815 (the lecture's W)
    db: list[np.ndarray]
    l2_dW: list[np.ndarray]  # noqa: N815 (the lecture's W)
    step_W: list[np.ndarray]  # noqa: N815 (the lecture's W)
    step_b: list[np.ndarray]
    loss: float
    batch_size: int


def _float64(net: MLP) -> MLP:
    """A private float64 copy of ``net`` (its parameters can then be changed freely)."""
    return net.astype(np.float64)


def trace(net: MLP, x: np.ndarray, y: int) -> Trace:
    """The forward and backward pass of one sample ``x: (n_in,)`` with label ``y``."""
    net = _float64(net)
    x = np.asarray(x, dtype=np.float64).reshape(-1)
    forward = net.forward(x[None, :])
    z = [layer[0].copy() for layer in forward.z]
    a = [layer[0].copy() for layer in forward.a]
    label = int(y)
    loss, delta_out = net.output.loss_and_delta(z[-1][:, None], np.array([label], dtype=np.intp))
    deltas = [delta_out[:, 0]]
    for layer in range(net.depth - 1, 0, -1):
        back = net.weights[layer].T @ deltas[0]
        derivative = net._hidden[layer - 1].derivative(a[layer - 1])
        deltas.insert(0, back * derivative)
    inputs = [x, *a[:-1]]
    dW = [np.outer(delta, a_prev) for delta, a_prev in zip(deltas, inputs)]
    db = [delta.copy() for delta in deltas]
    return Trace(x, label, z, a, deltas, dW, db, _loss_by_output(a[-1], label), float(loss))


def _loss_by_output(y_hat: np.ndarray, label: int) -> np.ndarray:
    """∂L/∂ŷ: −y/ŷ + (1−y)/(1−ŷ) for one sigmoid output, −y_k/ŷ_k for softmax (one-hot y);
    ±inf where ŷ saturated to exactly 0 or 1."""
    with np.errstate(divide="ignore"):
        if len(y_hat) == 1:
            p = y_hat[:1]
            return -1.0 / p if label == 1 else 1.0 / (1.0 - p)
        dyhat = np.zeros_like(y_hat)
        dyhat[label : label + 1] = -1.0 / y_hat[label : label + 1]
        return dyhat


def gradient_check(net: MLP, X: np.ndarray, y: np.ndarray, l2: float = 0.0) -> list[float]:
    """Backpropagation against central finite differences (ε = 1e-6, float64), per layer.

    For layer l, with g its backprop gradient and g_fd the finite differences: the largest,
    over the entries of W^[l] and b^[l], of |g − g_fd| / max(|g|, |g_fd|, 1e-8). A correct
    backprop gives about 1e-7 or less where gradients are not tiny; an entry whose gradient
    is ~1e-8 carries the differences' rounding (~1e-10) as up to ~1e-2, a wrong derivative
    gives 1e-2 to 1.
    """
    return gradient_check_sampled(net, X, y, l2)


def gradient_check_sampled(
    net: MLP,
    X: np.ndarray,
    y: np.ndarray,
    l2: float = 0.0,
    per_layer: int | None = None,
    seed: int = 0,
) -> list[float]:
    """``gradient_check`` on at most ``per_layer`` parameters of each layer (drawn with
    ``seed``; all of them when None): the app's button on a large network, where every
    parameter would cost two passes over the batch each."""
    net = _float64(net)
    _, dW, db = net.gradients(X, y, l2)
    rng = np.random.default_rng(seed)
    errors = []
    # Each layer's [W | b] block of flat parameter indices, in the order of its [dW | db].
    blocks = net._blocks(np.arange(net.parameter_count))
    for layer, block in enumerate(blocks):
        backprop = np.column_stack([dW[layer], db[layer]]).ravel()
        chosen = np.arange(block.size)
        if per_layer is not None and block.size > per_layer:
            chosen = np.sort(rng.choice(block.size, per_layer, replace=False))
        flat = block.ravel()
        numeric = np.array([_central_difference(net, X, y, l2, flat[i]) for i in chosen])
        errors.append(_relative_error(backprop[chosen], numeric))
    return errors


def _central_difference(net: MLP, X: np.ndarray, y: np.ndarray, l2: float, index: int) -> float:
    """(J(θ + ε) − J(θ − ε)) / 2ε for the flat parameter ``index``; θ is left as it was."""
    original = net.params[index]
    net.params[index] = original + GRADIENT_CHECK_EPSILON
    above = net.loss(X, y, l2)
    net.params[index] = original - GRADIENT_CHECK_EPSILON
    below = net.loss(X, y, l2)
    net.params[index] = original
    return (above - below) / (2.0 * GRADIENT_CHECK_EPSILON)


def _relative_error(backprop: np.ndarray, numeric: np.ndarray) -> float:
    if backprop.size == 0:
        return 0.0
    scale = np.maximum(np.maximum(np.abs(backprop), np.abs(numeric)), GRADIENT_CHECK_FLOOR)
    return float((np.abs(backprop - numeric) / scale).max())


def next_batch(state: TrainerState, n_samples: int, batch_size: int | None) -> np.ndarray:
    """Indices (into the training set of ``n_samples`` rows) of the batch the next update of
    a trainer in ``state`` takes: the whole set in order for full-batch descent, else the
    epoch's order from its position, drawn as the trainer would draw it when not yet drawn.

    Raises ValueError when the state's order does not fit ``n_samples``.
    """
    size = n_samples if batch_size is None else min(batch_size, n_samples)
    if size == n_samples:
        return np.arange(n_samples)
    order = state.order
    if order is None:
        rng = np.random.default_rng()
        rng.bit_generator.state = state.rng
        order = rng.permutation(n_samples)
    elif len(order) != n_samples:
        raise ValueError(f"the batch order holds {len(order)} samples, not {n_samples}")
    return np.asarray(order[state.position : state.position + size])


def next_update(
    net: MLP,
    training: TrainingConfig,
    optimizer: OptimizerState,
    X: np.ndarray,
    y: np.ndarray,
) -> Update:
    """The update the next step applies to ``net`` on the batch ``X: (m, n_in)``, ``y: (m,)``
    with the settings ``training`` and the optimiser's buffers ``optimizer`` (momentum,
    Adam's moments): the optimiser itself is run, on copies, so this is its real step."""
    net = net.copy()  # the gradient's buffers are kept on the network: not on a shared one
    inputs, labels = net._with_ones(X), net._labels(y, len(X))
    grad = np.empty_like(net.params)
    loss = net.loss_and_gradient_in_chunks(inputs, labels, 0.0, grad)
    dW, db = net._views(grad)
    dW, db = [_to64(g) for g in dW], [_to64(g) for g in db]
    loss += net._add_l2_gradient(training.l2, grad)  # as the trainer adds it, the same bits
    stepper = training.build_optimizer()
    stepper.load_state(optimizer)
    params = net.params.copy()
    stepper.step([params], [grad])
    step_W, step_b = net._views(params - net.params)
    return Update(
        dW=dW,
        db=db,
        l2_dW=[training.l2 * _to64(W) for W in net.weights],
        step_W=[_to64(s) for s in step_W],
        step_b=[_to64(s) for s in step_b],
        loss=float(loss),
        batch_size=len(X),
    )


def _to64(array: np.ndarray) -> np.ndarray:
    return np.array(array, dtype=np.float64)
