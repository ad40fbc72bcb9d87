"""The feature space of the last hidden layer: the data as the output layer sees it.

The lecture's figure "evolution of the feature space of the last layer over the iterations":
every sample mapped through the hidden layers, the output layer's decision in that space,
and faintly a regular grid of the input plane mapped the same way (how the network bends
the plane). Pure functions from a network and a dataset to the picture's data, in float64.

Two things the view carries from frame to frame are derived along the timeline and stored
in each checkpoint (``FeatureAxes``), so that a scrubbed frame and the live one of the same
iteration are the same picture: the range of each neuron's activation (for unbounded
activations it only grows within a run, so motion stays visible) and, with 3 or more neurons,
the PCA basis, each aligned with the one before (no sign flips, no axis swaps).

Every view coordinate is an affine map of the activations a (n,): ``view = (a − origin) @ M``
with orthonormal columns M (n, 2); the plane of the picture is ``a = origin + M view``, so the
output layer restricted to it is again affine, ``z = (W M) view + (W origin + b)``: the line
w₁a₁ + w₂a₂ + b = 0 of a binary net, or the slice of the softmax regions by that plane.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .activations import get_activation
from .datasets import BOX, Dataset
from .network import MLP
from .scales import nice_ceiling

REFERENCE_SAMPLES = 4096
"""At most this many samples, evenly spread over the dataset, measure the ranges and the PCA
basis stored in a checkpoint: recording stays cheap on a dataset of any size."""

FEATURE_CHUNK = 16384
"""Samples mapped at a time when drawing: the hidden layers' buffers stay small."""

BOUNDED_RANGES = {"tanh": (-1.0, 1.0), "sigmoid": (0.0, 1.0)}
"""Fixed axes of the activations whose range is known."""

RANGE_MARGIN = 0.05
"""Share of an axis left empty on each side, so that points at the range's end stay visible."""

JITTER = 0.3
"""Half the height of a class's band in the one-neuron view."""

DRAWN_SAMPLES = 3000
SAMPLE_SEED = 0
"""Of a dataset of images (thousands of them, up to MNIST's 70,000) the picture shows a fixed,
seeded sample of DRAWN_SAMPLES, stratified by digit: the same images in every frame, so that
points move rather than jump, and a frame costs the same on MNIST as on the 8×8 digits."""

GRID_LINES = 15
GRID_SAMPLES = 64
"""The input plane's grid: GRID_LINES lines each way, each sampled at GRID_SAMPLES points."""

PCA = "pca"
NEURONS = "neurons"
TWO = "two"
ONE = "one"
INPUT = "input"


@dataclass(frozen=True, eq=False)
class FeatureAxes:
    """What the feature-space view remembers of a run up to one checkpoint.

    ``low``/``high`` (n,): the smallest and largest activation of each neuron of the last
    hidden layer (each input without hidden layer) over the run's recorded states so far.
    With n ≥ 3: ``centre`` (n,) the features' mean and ``basis`` (n, 2) the PCA basis at this
    state (orthonormal columns, aligned with the previous state's), and ``extent`` (2,) the
    largest |coordinate| along each basis vector so far; all three None with n < 3.
    """

    low: np.ndarray
    high: np.ndarray
    centre: np.ndarray | None = None
    basis: np.ndarray | None = None
    extent: np.ndarray | None = None

    @property
    def n_features(self) -> int:
        """Neurons of the last hidden layer (inputs without hidden layer)."""
        return len(self.low)

    @property
    def nbytes(self) -> int:
        """Memory held by the arrays."""
        arrays = (self.low, self.high, self.centre, self.basis, self.extent)
        return sum(array.nbytes for array in arrays if array is not None)


def reference_samples(X: np.ndarray) -> np.ndarray:
    """At most REFERENCE_SAMPLES rows of ``X`` (m, 2), evenly spaced (every row of a small set)."""
    step = max(1, math.ceil(len(X) / REFERENCE_SAMPLES))
    return X[::step]


def features_of(net: MLP, X: np.ndarray) -> np.ndarray:
    """The last hidden layer's activations (m, n) of ``X`` (m, n_in), as float64, FEATURE_CHUNK
    samples at a time; ``X`` itself without hidden layer. A float32 network (the digits
    workspace's) computes in float32: half the work on images, and a picture needs no more."""
    if net.dtype != np.float32:
        net = net.astype(np.float64)
    if len(X) <= FEATURE_CHUNK:
        return np.asarray(net.hidden_features(X), dtype=np.float64)
    starts = range(0, len(X), FEATURE_CHUNK)
    chunks = [net.hidden_features(X[s : s + FEATURE_CHUNK]) for s in starts]
    return np.asarray(np.concatenate(chunks), dtype=np.float64)


def _recorded_columns(net: MLP, X: np.ndarray) -> np.ndarray:
    """The last hidden layer's activations of ``X`` (m, n_in) as columns (n, m), in float64,
    layer by layer without copying the network: recording a checkpoint runs this, so it
    stays a few NumPy calls per layer, and reductions over the samples run along contiguous
    rows (the same numbers as ``features_of`` up to rounding)."""
    A = np.asarray(X, dtype=np.float64).T
    for W, b, name in zip(net.weights[:-1], net.biases[:-1], net.activations):
        Z = W.astype(np.float64, copy=False) @ A
        Z += b[:, None]
        A = get_activation(name).forward(Z, out=Z)
    return A


def derive_axes(net: MLP, X: np.ndarray, previous: FeatureAxes | None) -> FeatureAxes:
    """The axes at a new state of a run: ``previous`` (the run's newest checkpoint's, or None
    at its start) grown by the features of ``net`` on reference samples of ``X``, with the
    PCA basis aligned with the previous one."""
    columns = _recorded_columns(net, reference_samples(X))
    if not np.isfinite(columns.sum()):  # a diverged net: its samples of NaN give no opinion
        columns = columns[:, np.isfinite(columns).all(axis=0)]
    n = net.layer_sizes[-2]
    if previous is not None and previous.n_features != n:
        previous = None  # another architecture: a new run
    if columns.shape[1]:
        low, high = columns.min(axis=1), columns.max(axis=1)
    else:
        low, high = np.full(n, np.inf), np.full(n, -np.inf)
    if previous is not None:
        low, high = np.minimum(low, previous.low), np.maximum(high, previous.high)
    if n < 3:
        return FeatureAxes(low, high)
    centre, basis = principal_plane(columns, None if previous is None else previous.basis)
    extent = np.abs(basis.T @ (columns - centre[:, None])).max(axis=1, initial=0.0)
    if previous is not None and previous.extent is not None:
        extent = np.maximum(extent, previous.extent)
    return FeatureAxes(low, high, centre, basis, extent)


def principal_plane(
    columns: np.ndarray, previous: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray]:
    """The mean (n,) of the features ``columns`` (n, m), one column per sample, and an
    orthonormal basis (n, 2) of the plane of their two principal components.

    Without ``previous`` the basis is PC1, PC2, each signed so that its largest component is
    positive. With the previous basis (n, 2), the plane's basis is the one closest to it
    (orthogonal Procrustes): no sign flip, no swap of the axes, and no spin when the two
    variances are nearly equal and the principal axes themselves are ill-defined.
    """
    n, m = columns.shape
    if m == 0:
        return np.zeros(n), previous if previous is not None else np.eye(n, 2)
    centre = columns.sum(axis=1) / m
    centred = columns - centre[:, None]
    _, vectors = np.linalg.eigh(centred @ centred.T)
    plane = vectors[:, [-1, -2]]  # eigh sorts the eigenvalues increasing
    if previous is None:
        largest = plane[np.abs(plane).argmax(axis=0), [0, 1]]
        return centre, plane * np.where(largest < 0, -1.0, 1.0)
    return centre, plane @ _closest_orthogonal(plane.T @ previous)


def _closest_orthogonal(M: np.ndarray) -> np.ndarray:
    """The orthogonal 2×2 matrix R maximising trace(Rᵀ M): the rotation or the reflection
    that best matches ``M`` (the polar factor of its SVD, in closed form: 10× faster)."""
    (a, b), (c, d) = M
    if math.hypot(a + d, c - b) >= math.hypot(a - d, b + c):
        angle = math.atan2(c - b, a + d)
        cos, sin = math.cos(angle), math.sin(angle)
        return np.array([[cos, -sin], [sin, cos]])
    angle = math.atan2(b + c, a - d)
    cos, sin = math.cos(angle), math.sin(angle)
    return np.array([[cos, sin], [sin, -cos]])


# --- the picture of one frame ------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class FeatureSpace:
    """What ``featureSpacePlot`` draws for one state of a run.

    ``points`` (m, 2): every sample in view coordinates (float64), in the dataset's order.
    ``kind``: INPUT (no hidden layer: the input plane), ONE (one neuron: a₁ against a jittered
    class axis), TWO (the raw a₁, a₂), NEURONS (two chosen neurons, the others held at their
    mean) or PCA. ``x_range``, ``y_range``: the axes. ``weights`` (n_out, 2) and ``bias``
    (n_out,): the output layer's logits as an affine function of the view coordinates.
    ``grid_lines`` (k, 2): the input plane's grid lines mapped into the view, NaN rows between
    lines (empty when there is nothing to show: without hidden layer, with one neuron, or
    when the inputs are not a plane). ``samples`` (m,): the dataset index of each point, or
    None when the points are the whole dataset in its order.
    """

    kind: str
    points: np.ndarray
    x_range: tuple[float, float]
    y_range: tuple[float, float]
    x_label: str
    y_label: str
    note: str
    weights: np.ndarray
    bias: np.ndarray
    grid_lines: np.ndarray
    samples: np.ndarray | None = None

    @property
    def is_binary(self) -> bool:
        """One sigmoid output: the decision is the line weights·v + bias = 0."""
        return len(self.bias) == 1


@dataclass(frozen=True, eq=False)
class _Projection:
    """view = (a − origin) @ matrix, with orthonormal columns ``matrix`` (n, 2)."""

    origin: np.ndarray
    matrix: np.ndarray

    def __call__(self, features: np.ndarray) -> np.ndarray:
        return (features - self.origin) @ self.matrix


def feature_space(
    net: MLP,
    dataset: Dataset,
    axes: FeatureAxes | None = None,
    neurons: tuple[int, int] | None = None,
    samples: np.ndarray | None = None,
) -> FeatureSpace:
    """The picture of ``dataset`` in the feature space of ``net``'s last hidden layer.

    ``axes`` are the run's (from the Frame's snapshot); None derives them from this state
    alone. ``neurons`` (i, j), with 3 or more neurons, shows a_i and a_j instead of the PCA
    plane. ``samples`` (sorted dataset indices) maps only those samples (None: all). Without
    hidden layer, a plane of two inputs is drawn as it is and more inputs (pixels) on their
    PCA plane.
    """
    n = net.layer_sizes[-2]
    if neurons is not None and (
        neurons[0] == neurons[1] or not 0 <= min(neurons) <= max(neurons) < n
    ):
        raise ValueError(f"neurons must be two different indices 0…{n - 1}, got {neurons}")
    if axes is None or axes.n_features != n:
        axes = derive_axes(net, dataset.X, None)
    X, y = (dataset.X, dataset.y) if samples is None else (dataset.X[samples], dataset.y[samples])
    features = features_of(net, X)
    if net.depth == 1 and n <= 2:
        kind = INPUT
    elif n == 1:
        kind = ONE
    elif n == 2:
        kind = TWO
    else:
        kind = PCA if neurons is None or net.depth == 1 else NEURONS
    projection, x_range, y_range = _projection(kind, axes, net, neurons)
    points = projection(features)
    if kind == ONE:
        rows = np.arange(len(dataset)) if samples is None else samples
        points[:, 1] = y + class_jitter(len(dataset))[rows]
        y_range = (-0.5, net.n_classes - 0.5)
    W, b = net.weights[-1].astype(np.float64), net.biases[-1].astype(np.float64)
    x_label, y_label, note = _labels(kind, neurons, n, net.depth > 1)
    planar = dataset.n_features == 2 and kind not in (INPUT, ONE)
    lines = _grid_lines(net, dataset, projection) if planar else np.empty((0, 2))
    return FeatureSpace(
        kind=kind,
        points=points,
        x_range=x_range,
        y_range=y_range,
        x_label=x_label,
        y_label=y_label,
        note=note,
        weights=W @ projection.matrix,
        bias=W @ projection.origin + b,
        grid_lines=lines,
        samples=samples,
    )


def _projection(
    kind: str, axes: FeatureAxes, net: MLP, neurons: tuple[int, int] | None
) -> tuple[_Projection, tuple[float, float], tuple[float, float]]:
    """The projection of ``kind`` and the axes' ranges it is drawn on."""
    n = axes.n_features
    activation = net.activations[-1] if net.depth > 1 else "linear"
    if kind == PCA:
        ranges = [_symmetric_range(extent) for extent in axes.extent]
        return _Projection(axes.centre, axes.basis), ranges[0], ranges[1]
    chosen = (0, 0) if kind == ONE else (0, 1) if neurons is None else neurons
    matrix = np.zeros((n, 2))
    matrix[chosen[0], 0] = 1.0
    if kind != ONE:
        matrix[chosen[1], 1] = 1.0
    # The others held at their mean: the plane through the data's mean, along a_i and a_j.
    origin = np.zeros(n) if kind != NEURONS else axes.centre * (1.0 - matrix.sum(axis=1))
    if kind == INPUT:
        ranges = [_input_range(axes.low[i], axes.high[i]) for i in chosen]
    else:
        ranges = [neuron_range(activation, axes.low[i], axes.high[i]) for i in chosen]
    return _Projection(origin, matrix), ranges[0], ranges[1]


def neuron_range(activation: str, low: float, high: float) -> tuple[float, float]:
    """The axis of one neuron: fixed for tanh [−1, 1] and sigmoid [0, 1]; otherwise from 0 (or
    below, for negative values seen) to a nice number above the largest value seen so far,
    which grows in steps (1, 1.5, 2, 3, …) rather than every frame."""
    if activation in BOUNDED_RANGES:
        low, high = BOUNDED_RANGES[activation]
    else:
        low = -_nice_or_zero(-low) if math.isfinite(low) else 0.0
        high = _nice_or_zero(high) if math.isfinite(high) else 1.0
        if high - low <= 0.0:
            high = low + 1.0
    margin = RANGE_MARGIN * (high - low)
    return float(low - margin), float(high + margin)


def _nice_or_zero(value: float) -> float:
    return nice_ceiling(value) if value > 0.0 else 0.0


def _symmetric_range(extent: float) -> tuple[float, float]:
    extent = float(extent)
    limit = nice_ceiling(extent) if math.isfinite(extent) and extent > 1e-9 else 1.0
    return -limit * (1 + RANGE_MARGIN), limit * (1 + RANGE_MARGIN)


def _input_range(low: float, high: float) -> tuple[float, float]:
    """The input plane's axis: the data's extent seen so far, or the default box."""
    if not (math.isfinite(low) and math.isfinite(high)):
        return -BOX, BOX
    centre, half = (low + high) / 2, max((high - low) / 2, 1.0) * (1 + RANGE_MARGIN)
    return float(centre - half), float(centre + half)


def class_jitter(m: int) -> np.ndarray:
    """A fixed vertical offset in [−JITTER, JITTER] for each of ``m`` samples (by index: a
    sample keeps its place from frame to frame), evenly spread (golden-ratio sequence)."""
    golden = (math.sqrt(5.0) - 1.0) / 2.0
    return (np.modf((np.arange(m) + 0.5) * golden)[0] - 0.5) * (2 * JITTER)


def _labels(
    kind: str, neurons: tuple[int, int] | None, n: int, hidden: bool
) -> tuple[str, str, str]:
    """Axis labels and the note saying what the picture is (``hidden``: whether the network
    has a hidden layer; without, the PCA plane is the inputs')."""
    if kind == INPUT:
        return "x₁", "x₂", "No hidden layer: the input plane and the output neuron's line"
    if kind == ONE:
        return "a₁", "class", "One neuron in the last hidden layer: a₁ against the class"
    if kind == TWO:
        return "a₁", "a₂", "Last hidden layer's activations a₁, a₂"
    if kind == NEURONS:
        i, j = neurons
        return (
            f"a{_subscript(i + 1)}",
            f"a{_subscript(j + 1)}",
            f"Neurons {i + 1} and {j + 1} of {n}; the decision with the others at their mean",
        )
    if not hidden:
        return (
            "PCA axis 1",
            "PCA axis 2",
            f"No hidden layer: the {n} inputs on their PCA plane and the output's decision",
        )
    return "PCA axis 1", "PCA axis 2", f"{n} neurons: the PCA plane through the data's mean"


def stratified_sample(
    y: np.ndarray, count: int = DRAWN_SAMPLES, seed: int = SAMPLE_SEED
) -> np.ndarray:
    """Sorted indices of ``count`` samples of the labels ``y`` (m,) (all of them when m ≤
    count), each class in proportion to its share (largest remainders), chosen at random
    with ``seed``: the same labels give the same sample."""
    m = len(y)
    if m <= count:
        return np.arange(m)
    _, counts = np.unique(y, return_counts=True)
    exact = counts * (count / m)
    quotas = np.floor(exact).astype(np.int64)
    quotas[np.argsort(quotas - exact, kind="stable")[: count - quotas.sum()]] += 1
    shuffled = np.random.default_rng(seed).permutation(m)
    by_class = shuffled[np.argsort(y[shuffled], kind="stable")]  # random order within a class
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    chosen = [by_class[start : start + quota] for start, quota in zip(starts, quotas)]
    return np.sort(np.concatenate(chosen))


def _subscript(number: int) -> str:
    return str(number).translate(str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉"))


def _grid_lines(net: MLP, dataset: Dataset, projection: _Projection) -> np.ndarray:
    """A regular grid of the input plane over the data (GRID_LINES lines each way) mapped
    through the hidden layers and projected: rows of (x, y), a NaN row after each line."""
    if len(dataset):
        low, high = dataset.X.min(axis=0), dataset.X.max(axis=0)
        centre, half = (low + high) / 2, np.maximum((high - low) / 2, 0.5) * (1 + RANGE_MARGIN)
        low, high = centre - half, centre + half
    else:
        low, high = np.full(2, -BOX), np.full(2, BOX)
    across = np.linspace(0.0, 1.0, GRID_LINES)
    along = np.linspace(0.0, 1.0, GRID_SAMPLES)
    lines = []
    for axis in (0, 1):  # lines of constant x₁, then of constant x₂
        fixed, moving = np.meshgrid(across, along, indexing="ij")
        unit = np.stack([fixed, moving], axis=-1) if axis == 0 else np.stack([moving, fixed], -1)
        lines.append(low + unit * (high - low))
    inputs = np.concatenate(lines).reshape(-1, 2)  # (2 · GRID_LINES · GRID_SAMPLES, 2)
    mapped = projection(features_of(net, inputs)).reshape(2 * GRID_LINES, GRID_SAMPLES, 2)
    gaps = np.full((2 * GRID_LINES, 1, 2), np.nan)
    return np.concatenate([mapped, gaps], axis=1).reshape(-1, 2)


# --- the output layer's decision in the view ----------------------------------------------------
def decision_probabilities(space: FeatureSpace, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    """ŷ (len(ys), len(xs), n_out) of the output layer over the grid of view coordinates
    ``xs`` × ``ys`` (rows going up in y): σ of the logit, or the softmax."""
    grid_x, grid_y = np.meshgrid(xs, ys)
    return decision_probabilities_at(space, np.stack([grid_x, grid_y], axis=-1))


def decision_probabilities_at(space: FeatureSpace, view: np.ndarray) -> np.ndarray:
    """ŷ (..., n_out) of the output layer at view coordinates ``view`` (..., 2)."""
    logits = view @ space.weights.T + space.bias
    if space.is_binary:
        with np.errstate(over="ignore"):
            return 1.0 / (1.0 + np.exp(-logits))
    logits -= logits.max(axis=-1, keepdims=True)
    exp = np.exp(logits)
    return exp / exp.sum(axis=-1, keepdims=True)


def decision_line(space: FeatureSpace) -> np.ndarray | None:
    """The binary decision line w₁v₁ + w₂v₂ + b = 0 clipped to the view: its two ends (2, 2),
    or None (K classes, or a line outside the view or undefined)."""
    if not space.is_binary:
        return None
    (w1, w2), b = space.weights[0], space.bias[0]
    (x0, x1), (y0, y1) = space.x_range, space.y_range
    if not all(math.isfinite(v) for v in (w1, w2, b)) or max(abs(w1), abs(w2)) < 1e-12:
        return None
    ends = []
    if abs(w2) > 1e-12:  # crossings of the left and right edges
        ends += [(x, -(w1 * x + b) / w2) for x in (x0, x1)]
    if abs(w1) > 1e-12:  # of the bottom and top edges
        ends += [(-(w2 * y + b) / w1, y) for y in (y0, y1)]
    tolerance = 1e-9 * max(x1 - x0, y1 - y0)
    inside = [
        (x, y)
        for x, y in ends
        if x0 - tolerance <= x <= x1 + tolerance and y0 - tolerance <= y <= y1 + tolerance
    ]
    if len(inside) < 2:
        return None
    points = np.array(inside)
    # The two crossings farthest apart (a line through a corner crosses two edges there).
    distances = np.linalg.norm(points[:, None] - points[None], axis=-1)
    i, j = np.unravel_index(distances.argmax(), distances.shape)
    return points[[i, j]]
