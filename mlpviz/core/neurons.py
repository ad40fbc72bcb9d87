"""Neuron maps: what each hidden neuron computes over the input plane, as values and colours.

Neuron j of hidden layer l (the lecture's numbering: l = 1…L−1, j = 1…n_l) computes
a_j^{[l]}(x) for every point x of the plane; drawn over a grid, that is the neuron's map
(TensorFlow Playground's thumbnails). Its level line, a = 0 (a = 0.5 for a sigmoid), is where
the neuron's own line w_jᵀ a^{[l−1]} + b_j = 0 lies in the plane: straight in layer 1, bent
in deeper layers. The app's network diagram draws every map small and the data plane one map
large; both take their values from here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .activations import get_activation
from .network import MLP
from .regions import grid_for_view
from .scales import nice_ceiling

THUMBNAIL_CELLS = 24
"""Side of the grid a neuron's thumbnail is computed on (24² points per neuron)."""

BOUNDED_LIMITS = {"sigmoid": 0.5, "tanh": 1.0}
"""Colour half-range of the bounded activations: their whole range, whatever the frame."""

LEVELS = {"sigmoid": 0.5}
"""The value a neuron's level line is drawn at, where it is not 0."""

MAP_WHITE_MIX = 0.3
"""Share of white left in a map's strongest colour, so that points on it stay visible."""

COLOR_STEPS = 511
"""Colours in a map's scale, white in the middle (steps of 1/255 of the half-range)."""


def activation_level(activation: str) -> float:
    """Where a neuron with this activation is "on the line" w·a + b = 0: g(0), that is 0.5
    for a sigmoid and 0 for the others."""
    return LEVELS.get(activation, 0.0)


def hidden_activations(net: MLP, X: np.ndarray, depth: int | None = None) -> list[np.ndarray]:
    """The activations a^{[l]} (m, n_l) of hidden layers 1…``depth`` (all hidden layers by
    default) for ``X: (m, n_in)``, in one forward pass that stops at layer ``depth``."""
    n_hidden = net.depth - 1
    depth = n_hidden if depth is None else depth
    if not 0 <= depth <= n_hidden:
        raise ValueError(f"the network has {n_hidden} hidden layers, not {depth}")
    A = np.asarray(X, dtype=net.dtype)
    activations = []
    for layer in range(depth):
        Z = A @ net.weights[layer].T
        Z += net.biases[layer]  # in place, as g below: no temporaries of the grid's size
        A = get_activation(net.activations[layer]).forward(Z, out=Z)
        activations.append(A)
    return activations


def neuron_activation(net: MLP, layer: int, j: int, X: np.ndarray) -> np.ndarray:
    """a_j^{[layer]} (m,) for ``X: (m, n_in)``: neuron ``j`` of hidden layer ``layer``,
    both numbered from 1 as in the lecture."""
    _check_neuron(net, layer, j)
    return hidden_activations(net, X, layer)[-1][:, j - 1]


def neuron_map(
    net: MLP,
    layer: int,
    j: int,
    x_range: tuple[float, float],
    y_range: tuple[float, float],
    cells: int,
) -> np.ndarray:
    """a_j^{[layer]} over a ``cells × cells`` grid of the rectangle (cells, cells), laid out
    as the data plane's image: row 0 at the bottom (lowest x₂), column 0 on the left."""
    grid = grid_for_view(x_range, y_range, cells)
    return neuron_activation(net, layer, j, grid).reshape(cells, cells)


def color_limit(values: np.ndarray, activation: str) -> float:
    """The colour scale's half-range for a layer whose activations over the plane are
    ``values`` (any shape): the map's colours span level ± limit.

    Bounded activations use their whole range (a colour means the same value in every
    frame, and a saturated neuron looks saturated); unbounded ones the layer's largest
    |a − level|, rounded up to a nice number (1 when the layer is dead or not finite).
    """
    if activation in BOUNDED_LIMITS:
        return BOUNDED_LIMITS[activation]
    finite = values[np.isfinite(values)]
    largest = float(np.abs(finite - activation_level(activation)).max(initial=0.0))
    return nice_ceiling(largest) if largest > 0 else 1.0


@dataclass(frozen=True, eq=False)
class NeuronMaps:
    """Every hidden neuron's map over one grid, with each layer's colour scale.

    ``maps[l − 1]`` is (n_l, cells, cells) for hidden layer l, each map laid out as
    :func:`neuron_map`; ``levels`` and ``limits`` hold per layer its level line's value and
    the colour half-range shared by all its neurons.
    """

    x_range: tuple[float, float]
    y_range: tuple[float, float]
    cells: int
    maps: list[np.ndarray]
    levels: tuple[float, ...]
    limits: tuple[float, ...]


def neuron_maps(
    net: MLP,
    x_range: tuple[float, float],
    y_range: tuple[float, float],
    cells: int = THUMBNAIL_CELLS,
) -> NeuronMaps:
    """The maps of all hidden neurons of ``net`` over the rectangle, in one forward pass."""
    grid = grid_for_view(x_range, y_range, cells)
    activations = hidden_activations(net, grid)
    maps = [a.T.reshape(-1, cells, cells) for a in activations]
    names = net.activations
    return NeuronMaps(
        tuple(x_range),
        tuple(y_range),
        cells,
        maps,
        tuple(activation_level(name) for name in names),
        tuple(color_limit(a, name) for a, name in zip(activations, names)),
    )


def activation_colors(
    values: np.ndarray,
    level: float,
    limit: float,
    negative: np.ndarray,
    positive: np.ndarray,
) -> np.ndarray:
    """RGB uint8 (…, 3) of activations ``values`` (…): white at ``level``, blending to the
    RGB colour ``positive`` (3,) in 0…1 at level + limit and ``negative`` at level − limit.

    The colours are lightened like the decision regions, so the points drawn on top stay
    visible; a value that is not finite is white. Values are looked up in a table of
    COLOR_STEPS colours (a few hundred thousand pixels per frame for an 8 × 64 network).
    """
    t = (values.astype(np.float32) - np.float32(level)) * np.float32(1.0 / limit)
    t = np.where(np.isfinite(t), t, np.float32(0.0))
    np.clip(t, -1.0, 1.0, out=t)
    index = ((t + 1.0) * np.float32((COLOR_STEPS - 1) / 2) + 0.5).astype(np.intp)
    return _color_table(negative, positive)[index]


def _color_table(negative: np.ndarray, positive: np.ndarray) -> np.ndarray:
    """COLOR_STEPS RGB uint8 colours from ``negative`` through white to ``positive``."""
    t = np.linspace(-1.0, 1.0, COLOR_STEPS)[:, None]
    target = np.where(t >= 0, positive, negative)
    strength = np.abs(t) * (1.0 - MAP_WHITE_MIX)
    rgb = (1.0 - strength) + target * strength  # from white towards the target colour
    return (np.clip(rgb, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)


def _check_neuron(net: MLP, layer: int, j: int) -> None:
    sizes = net.layer_sizes
    if not 1 <= layer <= len(sizes) - 2:
        raise ValueError(f"hidden layers are 1…{len(sizes) - 2}, not {layer}")
    if not 1 <= j <= sizes[layer]:
        raise ValueError(f"layer {layer} has neurons 1…{sizes[layer]}, not {j}")
