"""Two-dimensional labelled datasets: an immutable value type, preset generators and CSV I/O.

Points live in the square ``[-BOX, BOX]^2``; labels are class indices ``0 .. MAX_CLASSES-1``.

Preset noise
    ``noise`` is the standard deviation of isotropic Gaussian jitter added to every point, as a
    fraction of half the box width (``NOISE_SCALE = BOX / 2`` data units). ``noise=0`` gives the
    clean shape (blob presets keep their own intrinsic spread), ``noise=0.1`` moves points by
    about 0.3 units (every preset stays cleanly learnable), ``noise=1`` moves them by about
    3 units, so the classes overlap heavily. Jittered points are clipped back into the box, and a
    point keeps the label of the shape it was drawn from, so noise can push it into another class.

Coordinates
    Every coordinate lies within ``±MAX_COORDINATE`` (10⁶): beyond that the plots and the
    network's float32 picture of the regions lose all precision (the presets fill ±6).
    :class:`Dataset` refuses other points, so a file or an API call cannot bring them in.

CSV format
    UTF-8 (an optional BOM is skipped), LF, CRLF or CR (old Mac) line endings, header
    ``x1,x2,label``, then one ``x1,x2,label`` row per point. Whitespace around fields is ignored;
    blank lines are allowed only at the end. Coordinates are plain decimal literals (``1``,
    ``-0.5``, ``2.5e-3``) within ``±MAX_COORDINATE``; ``nan`` and ``inf`` are rejected. A label
    is an integer literal ``0`` .. ``7`` (``2.0`` is rejected). Quoted fields are rejected rather
    than guessed at. A file holds at most ``MAX_CSV_POINTS`` (10⁶) rows and ``MAX_CSV_BYTES``
    (64 MiB; a million rows from :func:`save_csv` take about 40 MB), each line at most
    ``MAX_CSV_LINE`` (1024) bytes; :func:`load_csv` reads in chunks and stops at the first
    problem, so no file can make it use more memory or time than that. Messages echo at most
    60 characters of a field. :func:`save_csv` writes ``repr(float)`` numbers, which round-trip
    exactly.
"""

from __future__ import annotations

import os
import re
from array import array
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import IO, Any, ClassVar

import numpy as np

from mlpviz.core.archive import open_regular_file
from mlpviz.core.atomic import write_text_atomically
from mlpviz.core.errors import DatasetError, shown

BOX = 6.0
"""Points live in ``[-BOX, BOX]^2``."""

MAX_CLASSES = 8
"""Labels are ``0 .. MAX_CLASSES - 1``."""

MAX_PRESET_POINTS = 100_000
"""Largest ``n`` accepted by :func:`make_preset`."""

NOISE_SCALE = BOX / 2
"""Jitter standard deviation (data units) at ``noise=1``."""

MAX_COORDINATE = 1e6
"""Largest absolute value of a coordinate (see "Coordinates" above)."""

CSV_HEADER = "x1,x2,label"

MAX_CSV_POINTS = 1_000_000
"""Most data rows :func:`load_csv` reads."""

MAX_CSV_BYTES = 64 * 2**20
"""Largest CSV file :func:`load_csv` reads."""

MAX_CSV_LINE = 1024
"""Longest line, in bytes without its ending, of a CSV file."""

MULTICLASS_PRESETS = frozenset({"spiral", "gaussian"})
"""Presets that accept ``n_classes`` in ``2 .. MAX_CLASSES``; all others are binary only."""


# --------------------------------------------------------------------------- Dataset

_COORDINATE_RANGE = f"between -{MAX_COORDINATE:,.0f} and {MAX_COORDINATE:,.0f}"


def _as_points(X: Any) -> np.ndarray:
    """Return a private read-only float64 copy of ``X`` with shape (m, 2), or raise."""
    try:
        arr = np.asarray(X)
    except (TypeError, ValueError) as exc:  # e.g. ragged nested lists
        raise DatasetError(f"points must be an (m, 2) array of numbers: {exc}") from exc
    # Only real numbers: strings, objects, booleans and complex values are mistakes here.
    if arr.dtype.kind not in "iuf":
        raise DatasetError(f"points must be real numbers, got dtype {arr.dtype}")
    if arr.size == 0:
        arr = arr.reshape(0, 2)
    if arr.ndim != 2 or arr.shape[1] != 2:
        raise DatasetError(f"points must have shape (m, 2), got {arr.shape}")
    points = arr.astype(np.float64, copy=True)
    if not np.isfinite(points).all():
        raise DatasetError("points must be finite (no NaN or infinity)")
    if points.size and np.abs(points).max() > MAX_COORDINATE:
        raise DatasetError(f"coordinates must be {_COORDINATE_RANGE}")
    points.flags.writeable = False
    # A view of a read-only array cannot be made writeable again through its flags.
    return points.view()


def _as_labels(y: Any, m: int) -> np.ndarray:
    """Return a private read-only int64 copy of ``y`` with shape (m,), or raise."""
    try:
        arr = np.asarray(y)
    except (TypeError, ValueError) as exc:
        raise DatasetError(f"labels must be a 1-D array of integers: {exc}") from exc
    if arr.size == 0:
        arr = arr.reshape(0).astype(np.int64)
    if arr.ndim != 1 or arr.shape[0] != m:
        raise DatasetError(f"labels must have shape ({m},), got {arr.shape}")
    if arr.dtype.kind == "f":
        # Float labels come from generic numeric code; accept them only when exactly integral.
        if not (np.isfinite(arr).all() and (arr == np.round(arr)).all()):
            raise DatasetError("labels must be integers 0..7")
    elif arr.dtype.kind not in "iu":
        raise DatasetError(f"labels must be integers 0..7, got dtype {arr.dtype}")
    if m and (arr.min() < 0 or arr.max() >= MAX_CLASSES):
        raise DatasetError(f"labels must be integers 0..{MAX_CLASSES - 1}")
    labels = arr.astype(np.int64, copy=True)
    labels.flags.writeable = False
    return labels.view()  # see _as_points


def _check_label(label: Any) -> int:
    """Return ``label`` as an int if it is an integer 0..7, else raise."""
    if isinstance(label, bool) or not isinstance(label, (int, np.integer)):
        raise DatasetError(f"label must be an integer 0..{MAX_CLASSES - 1}, got {label!r}")
    if not 0 <= label < MAX_CLASSES:
        raise DatasetError(f"label must be an integer 0..{MAX_CLASSES - 1}, got {label}")
    return int(label)


def _as_point(point: Any) -> np.ndarray:
    """Return ``point`` as a finite float64 array of shape (2,), or raise."""
    try:
        arr = np.asarray(point, dtype=np.float64).reshape(-1)
    except (TypeError, ValueError) as exc:
        raise DatasetError(f"a point must be two numbers, got {point!r}") from exc
    if arr.shape != (2,) or not np.isfinite(arr).all():
        raise DatasetError(f"a point must be two finite numbers, got {point!r}")
    return arr


@dataclass(frozen=True, eq=False, repr=False)
class Dataset:
    """An immutable labelled point set.

    Attributes:
        X: points, float64, shape (m, 2), read-only.
        y: labels, int64, shape (m,), read-only, values in ``0 .. MAX_CLASSES-1``.

    Edits return new datasets, so a GUI can keep old ones on undo/redo stacks. Equality
    compares contents; datasets are not hashable (their arrays are mutable in principle).
    """

    X: np.ndarray
    y: np.ndarray

    workspace: ClassVar[str] = "2d"
    """The workspace whose data this is (the digits' ImageDataset says "digits")."""

    def __post_init__(self) -> None:
        """Validate and freeze the arrays (copies, so the caller's arrays stay independent)."""
        X = _as_points(self.X)
        y = _as_labels(self.y, X.shape[0])
        # Frozen dataclass: the only way to store the converted arrays.
        object.__setattr__(self, "X", X)
        object.__setattr__(self, "y", y)

    @classmethod
    def empty(cls) -> Dataset:
        """Return the dataset with no points: X shape (0, 2), y shape (0,)."""
        return cls(np.empty((0, 2)), np.empty(0, dtype=np.int64))

    def __len__(self) -> int:
        """Number of points m."""
        return int(self.y.shape[0])

    def __eq__(self, other: object) -> bool:
        """Equal when both hold the same points with the same labels in the same order."""
        if not isinstance(other, Dataset):
            return NotImplemented
        return np.array_equal(self.X, other.X) and np.array_equal(self.y, other.y)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        """Short summary; the arrays themselves can be huge."""
        return f"Dataset(m={len(self)}, n_classes={self.n_classes})"

    @property
    def n_features(self) -> int:
        """Number of inputs a network needs: the columns of ``X`` (2 for points)."""
        return int(self.X.shape[1])

    @property
    def n_classes(self) -> int:
        """Number of output classes a network needs: ``max(2, y.max() + 1)`` (2 when empty)."""
        if len(self) == 0:
            return 2
        return max(2, int(self.y.max()) + 1)

    def class_counts(self) -> np.ndarray:
        """Points per class, int64, shape (n_classes,)."""
        return np.bincount(self.y, minlength=self.n_classes).astype(np.int64)

    def with_points(self, points: Any, label: int) -> Dataset:
        """Return a new dataset with ``points`` (shape (k, 2), or one point (2,)) appended.

        All new points get ``label`` (an integer 0..7).
        """
        label = _check_label(label)
        new = np.asarray(points)
        if new.ndim == 1 and new.shape[0] == 2:
            new = new.reshape(1, 2)
        new = _as_points(new)
        X = np.concatenate([self.X, new])
        y = np.concatenate([self.y, np.full(new.shape[0], label, dtype=np.int64)])
        return Dataset(X, y)

    def without_point(self, index: int) -> Dataset:
        """Return a new dataset without the point at ``index`` (0 <= index < m)."""
        return self.without_points([index])

    def without_points(self, indices: Iterable[int]) -> Dataset:
        """Return a new dataset without the points at ``indices`` (duplicates are ignored)."""
        idx = np.asarray(list(indices))
        if idx.size == 0:
            return self
        # Negative indices are rejected rather than wrapped: they are almost always a bug.
        if idx.dtype.kind not in "iu" or idx.min() < 0 or idx.max() >= len(self):
            raise DatasetError(f"point indices must be integers 0..{len(self) - 1}")
        keep = np.ones(len(self), dtype=bool)
        keep[idx] = False
        return Dataset(self.X[keep], self.y[keep])

    def nearest_point(self, point: Any, max_distance: float | None = None) -> int | None:
        """Index of the point nearest to ``point`` (shape (2,)), Euclidean in data coordinates.

        Returns None when the dataset is empty or the nearest point is farther than
        ``max_distance``. Ties go to the lowest index.
        """
        target = _as_point(point)
        if max_distance is not None and not (max_distance >= 0):
            raise DatasetError(f"max_distance must be >= 0, got {max_distance!r}")
        if len(self) == 0:
            return None
        distances = np.hypot(self.X[:, 0] - target[0], self.X[:, 1] - target[1])
        best = int(np.argmin(distances))
        if max_distance is not None and distances[best] > max_distance:
            return None
        return best

    def test_mask(self, test_ratio: float, seed: int = 0) -> np.ndarray:
        """Boolean mask, shape (m,), True for the ``round(test_ratio * m)`` test points.

        Each point i gets the key ``default_rng(seed).random(m)[i]`` and the test points are
        those with the smallest keys. Appending points leaves the old keys unchanged, so the
        split of the old points only shifts at its boundary. At least one training point is
        always kept when the dataset is not empty. ``test_ratio`` must be in [0, 0.9].
        """
        if not (isinstance(test_ratio, (int, float, np.number)) and 0 <= test_ratio <= 0.9):
            raise DatasetError(f"test ratio must be in [0, 0.9], got {test_ratio!r}")
        if not _is_int(seed) or seed < 0:
            raise DatasetError(f"split seed must be an integer >= 0, got {seed!r}")
        m = len(self)
        n_test = min(round(float(test_ratio) * m), max(m - 1, 0))
        keys = np.random.default_rng(int(seed)).random(m)
        mask = np.zeros(m, dtype=bool)
        mask[np.argsort(keys, kind="stable")[:n_test]] = True
        return mask

    def split(self, test_ratio: float, seed: int = 0) -> tuple[Dataset, Dataset]:
        """Return ``(train, test)`` chosen by :meth:`test_mask`; both keep the original order."""
        mask = self.test_mask(test_ratio, seed)
        return Dataset(self.X[~mask], self.y[~mask]), Dataset(self.X[mask], self.y[mask])


# --------------------------------------------------------------------------- presets

Generator = Callable[[int, float, np.random.Generator, int], tuple[np.ndarray, np.ndarray]]


def _split_counts(n: int, k: int) -> list[int]:
    """Split n into k counts differing by at most one (earlier parts get the extra)."""
    return [n // k + (1 if i < n % k else 0) for i in range(k)]


def _uniform_disc(rng: np.random.Generator, count: int, radius: float) -> np.ndarray:
    """Points uniform (by area) in a disc of ``radius`` at the origin, shape (count, 2)."""
    r = radius * np.sqrt(rng.random(count))
    theta = rng.uniform(0.0, 2 * np.pi, count)
    return np.column_stack([r * np.cos(theta), r * np.sin(theta)])


def _assemble(
    rng: np.random.Generator, noise: float, parts: list[tuple[np.ndarray, int]]
) -> tuple[np.ndarray, np.ndarray]:
    """Join clean (points, label) parts, add jitter, clip into the box and shuffle.

    Returns X float64 (n, 2) and y int64 (n,). Shuffling interleaves the classes so any prefix
    of the data is a fair sample.
    """
    X = np.concatenate([points for points, _ in parts]).reshape(-1, 2)
    y = np.concatenate([np.full(len(points), label, dtype=np.int64) for points, label in parts])
    X = X + rng.normal(0.0, noise * NOISE_SCALE, X.shape)
    X = np.clip(X, -BOX, BOX)
    order = rng.permutation(len(y))
    return X[order], y[order]


def _require_binary(name: str, n_classes: int) -> None:
    """Raise unless ``n_classes == 2``, for presets whose shape has two classes."""
    if n_classes != 2:
        raise DatasetError(
            f"preset '{name}' has 2 classes; n_classes must be 2, got {n_classes} "
            f"(multi-class presets: {', '.join(sorted(MULTICLASS_PRESETS))})"
        )


def _linear(
    n: int, noise: float, rng: np.random.Generator, n_classes: int = 2
) -> tuple[np.ndarray, np.ndarray]:
    """Two uniform discs (radius 1.5) either side of a tilted line, margin ~2.4 at noise 0."""
    _require_binary("linear", n_classes)
    centre = np.array([2.4, 1.2])  # 2.68 units from the separating line through the origin
    c0, c1 = _split_counts(n, 2)
    parts = [(_uniform_disc(rng, c0, 1.5) - centre, 0), (_uniform_disc(rng, c1, 1.5) + centre, 1)]
    return _assemble(rng, noise, parts)


def _xor(
    n: int, noise: float, rng: np.random.Generator, n_classes: int = 2
) -> tuple[np.ndarray, np.ndarray]:
    """Four disc clusters at (±3, ±3): label 0 where sign(x1*x2) > 0, label 1 where < 0."""
    _require_binary("xor", n_classes)
    parts = []
    for label, count in enumerate(_split_counts(n, 2)):
        same_sign = label == 0
        for sx, part_count in zip((1.0, -1.0), _split_counts(count, 2), strict=True):
            centre = np.array([3.0 * sx, 3.0 * sx if same_sign else -3.0 * sx])
            parts.append((_uniform_disc(rng, part_count, 1.8) + centre, label))
    return _assemble(rng, noise, parts)


def _circles(
    n: int, noise: float, rng: np.random.Generator, n_classes: int = 2
) -> tuple[np.ndarray, np.ndarray]:
    """Label 0: disc of radius 2; label 1: ring with radii 3.5 .. 5 (both uniform by area)."""
    _require_binary("circles", n_classes)
    c0, c1 = _split_counts(n, 2)
    inner = _uniform_disc(rng, c0, 2.0)
    # Area-uniform radius in [3.5, 5]: r^2 uniform in [3.5^2, 5^2].
    r = np.sqrt(rng.uniform(3.5**2, 5.0**2, c1))
    theta = rng.uniform(0.0, 2 * np.pi, c1)
    ring = np.column_stack([r * np.cos(theta), r * np.sin(theta)])
    return _assemble(rng, noise, [(inner, 0), (ring, 1)])


def _moons(
    n: int, noise: float, rng: np.random.Generator, n_classes: int = 2
) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaved half circles (scikit-learn's moons, centred and scaled by 2.6)."""
    _require_binary("moons", n_classes)
    c0, c1 = _split_counts(n, 2)
    t0 = rng.uniform(0.0, np.pi, c0)
    t1 = rng.uniform(0.0, np.pi, c1)
    upper = np.column_stack([np.cos(t0), np.sin(t0)])
    lower = np.column_stack([1.0 - np.cos(t1), 0.5 - np.sin(t1)])
    # The pair spans x in [-1, 2], y in [-0.5, 1]; centre it, then fill most of the box.
    shift = np.array([0.5, 0.25])
    return _assemble(rng, noise, [((upper - shift) * 2.6, 0), ((lower - shift) * 2.6, 1)])


def _spiral(
    n: int, noise: float, rng: np.random.Generator, n_classes: int = 3
) -> tuple[np.ndarray, np.ndarray]:
    """K = n_classes spiral arms (as in CS231n) of radius 5.5, each turning 4 radians.

    Arms start at 15 % of the radius: nearer the centre they all meet, which only adds points
    no network can classify.
    """
    parts = []
    for label, count in enumerate(_split_counts(n, n_classes)):
        r = rng.uniform(0.15, 1.0, count)
        theta = 2 * np.pi * label / n_classes + 4.0 * r
        parts.append((5.5 * np.column_stack([r * np.cos(theta), r * np.sin(theta)]), label))
    return _assemble(rng, noise, parts)


def _gaussian(
    n: int, noise: float, rng: np.random.Generator, n_classes: int = 2
) -> tuple[np.ndarray, np.ndarray]:
    """K = n_classes Gaussian blobs (own std 0.5) with centres evenly on a circle of radius 3.5."""
    parts = []
    for label, count in enumerate(_split_counts(n, n_classes)):
        angle = 2 * np.pi * label / n_classes
        centre = 3.5 * np.array([np.cos(angle), np.sin(angle)])
        parts.append((rng.normal(0.0, 0.5, (count, 2)) + centre, label))
    return _assemble(rng, noise, parts)


PRESETS: dict[str, Generator] = {
    "linear": _linear,
    "xor": _xor,
    "circles": _circles,
    "moons": _moons,
    "spiral": _spiral,
    "gaussian": _gaussian,
}
"""Preset name -> generator ``(n, noise, rng, n_classes) -> (X (n, 2), y (n,))``."""


def _is_int(value: Any) -> bool:
    """True for Python and NumPy integers, but not for bools."""
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def _check_preset_args(name: Any, n: Any, noise: Any, seed: Any, n_classes: Any) -> None:
    """Raise DatasetError naming the first invalid argument of :func:`make_preset`."""
    if not isinstance(name, str) or name not in PRESETS:
        raise DatasetError(f"unknown preset {name!r}; valid presets: {', '.join(PRESETS)}")
    if not _is_int(n) or not 1 <= n <= MAX_PRESET_POINTS:
        raise DatasetError(f"number of points must be an integer 1..{MAX_PRESET_POINTS}, got {n!r}")
    if not isinstance(noise, (int, float, np.number)) or not 0 <= noise <= 1:
        raise DatasetError(f"noise must be a number in [0, 1], got {noise!r}")
    if seed is not None and (not _is_int(seed) or seed < 0):
        raise DatasetError(f"seed must be None or an integer >= 0, got {seed!r}")
    if not _is_int(n_classes) or not 2 <= n_classes <= MAX_CLASSES:
        raise DatasetError(f"n_classes must be an integer 2..{MAX_CLASSES}, got {n_classes!r}")


def make_preset(
    name: str, n: int = 200, noise: float = 0.1, seed: int | None = 0, n_classes: int = 2
) -> Dataset:
    """Generate the preset ``name`` with ``n`` points split as evenly as possible among classes.

    ``noise`` in [0, 1] is explained in the module docstring. The same ``seed`` gives the same
    dataset; ``seed=None`` draws a fresh one. ``n_classes`` (2..8) applies to the multi-class
    presets (see ``MULTICLASS_PRESETS``); the others raise DatasetError unless it is 2.
    Returns a Dataset with X (n, 2) inside the box and y (n,).
    """
    _check_preset_args(name, n, noise, seed, n_classes)
    rng = np.random.default_rng(None if seed is None else int(seed))
    X, y = PRESETS[name](int(n), float(noise), rng, int(n_classes))
    return Dataset(X, y)


# --------------------------------------------------------------------------- CSV

# Plain ASCII decimal literals only: float() would also take "1_000", "٣", " nan" and "infinity".
_NUMBER = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?", re.ASCII)
_INTEGER = re.compile(r"[+-]?[0-9]+", re.ASCII)
_NON_FINITE = {"nan", "inf", "infinity"}
# The common well-formed row in one match; any other row goes through _parse_row, which
# accepts the same values and more (e.g. a label "-0"), or says what is wrong.
_PLAIN_ROW = re.compile(
    rf"[ \t]*({_NUMBER.pattern})[ \t]*,[ \t]*({_NUMBER.pattern})[ \t]*,[ \t]*\+?0*([0-7])[ \t]*",
    re.ASCII,
)
_CHUNK_BYTES = 2**20


def _parse_coordinate(text: str, column: str) -> float:
    """Parse one coordinate field; raise ValueError with the problem (no file/line prefix)."""
    if text == "":
        raise ValueError(f"{column} is empty; expected a number")
    value = f"{column} value '{shown(text)}'"
    if text.lower().lstrip("+-") in _NON_FINITE:
        raise ValueError(f"{value} is NaN or infinite; coordinates must be finite")
    if not _NUMBER.fullmatch(text):
        raise ValueError(f"{value} is not a number")
    number = float(text)
    if not abs(number) <= MAX_COORDINATE:
        raise ValueError(f"{value} is out of range; coordinates must be {_COORDINATE_RANGE}")
    return number


def _parse_label(text: str) -> int:
    """Parse one label field; raise ValueError with the problem (no file/line prefix)."""
    rule = f"labels must be integers 0..{MAX_CLASSES - 1}"
    label = f"label '{shown(text)}'"
    if not _INTEGER.fullmatch(text):
        raise ValueError(f"{label} is not an integer; {rule}")
    digits = text.lstrip("+-").lstrip("0")
    if text.startswith("-") and digits:
        raise ValueError(f"{label} is negative; {rule}")
    # Compare digit strings before int(): int() refuses very long literals.
    if len(digits) > 1 or (digits and int(digits) >= MAX_CLASSES):
        raise ValueError(f"{label} is too large; {rule}")
    return int(digits or "0")


def _parse_row(line: str) -> tuple[float, float, int]:
    """Parse ``x1,x2,label``; raise ValueError with the problem (no file/line prefix)."""
    fields = [field.strip() for field in line.split(",")]
    if len(fields) != 3:
        raise ValueError(f"found {len(fields)} columns, expected 3 ({CSV_HEADER})")
    x1 = _parse_coordinate(fields[0], "x1")
    x2 = _parse_coordinate(fields[1], "x2")
    return x1, x2, _parse_label(fields[2])


def _row(name: str, line_no: int, line: str) -> tuple[float, float, int]:
    """Parse data line ``line_no``; raise DatasetError naming the file, line and problem."""
    match = _PLAIN_ROW.fullmatch(line)
    if match:
        x1, x2 = float(match[1]), float(match[2])
        if abs(x1) <= MAX_COORDINATE and abs(x2) <= MAX_COORDINATE:
            return x1, x2, int(match[3])
    try:
        return _parse_row(line)
    except ValueError as exc:
        raise DatasetError(f"{name}, line {line_no}: {exc}") from None


def _too_large(name: str) -> DatasetError:
    return DatasetError(
        f"{name}: file is larger than {MAX_CSV_BYTES // 2**20} MiB, the most "
        "mlpviz reads; split it or thin it out"
    )


def _line_batches(name: str, handle: IO[bytes]) -> Iterator[tuple[list[bytes], bool]]:
    """The lines of ``handle`` without their LF, CRLF or CR endings, a chunk's worth at a time,
    each batch with whether it holds only blank (ASCII whitespace) lines.

    Reading stops with DatasetError past MAX_CSV_BYTES. A line longer than MAX_CSV_LINE is
    yielded as soon as it is too long (unfinished), so the caller can refuse it.
    """
    pending, total = b"", 0
    while chunk := _read_chunk(name, handle):
        data = pending + chunk
        total += len(chunk)
        if total > MAX_CSV_BYTES:
            raise _too_large(name)
        # A CR at the end may be the first half of a CRLF split between chunks: keep it.
        keep = 1 if data.endswith(b"\r") else 0
        text = data[: len(data) - keep].replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        *complete, pending = text.split(b"\n")
        pending += data[len(data) - keep :]
        yield complete, text.isspace()
        if len(pending) > MAX_CSV_LINE:
            yield [pending], False
    if pending:
        yield [pending.removesuffix(b"\r")], False


def _read_chunk(name: str, handle: IO[bytes]) -> bytes:
    try:
        return handle.read(_CHUNK_BYTES)
    except OSError as exc:
        raise DatasetError(f"{name}: cannot read file ({exc.strerror or exc})") from exc


def _decoded(name: str, line_no: int, raw: bytes) -> str:
    """Line ``line_no`` as text; DatasetError if it is too long or not UTF-8."""
    if len(raw) > MAX_CSV_LINE:
        raise DatasetError(f"{name}, line {line_no}: line is longer than {MAX_CSV_LINE} bytes")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        byte = raw[exc.start]
        raise DatasetError(
            f"{name}, line {line_no}: file is not UTF-8 text (invalid byte 0x{byte:02x})"
        ) from None


def _check_header(name: str, first: str) -> None:
    """Raise DatasetError unless ``first`` (line 1) is the header ``x1,x2,label``."""
    fields = [field.strip() for field in first.split(",")]
    if fields == CSV_HEADER.split(","):
        return
    try:
        _parse_row(first)
    except ValueError:
        problem = f"wrong header '{shown(first.strip())}'"
    else:
        problem = "missing header (line 1 holds data)"
    raise DatasetError(f"{name}, line 1: {problem}; expected '{CSV_HEADER}'")


def _parse_lines(name: str, batches: Iterator[tuple[list[bytes], bool]]) -> tuple[array, array]:
    """The points (x1, x2 interleaved) and labels of a CSV file's lines; DatasetError at the
    first problem, so an endless or huge file stops early."""
    coordinates, labels = array("d"), array("b")
    header_seen, blank_since, line_no = False, 0, 0
    for batch, all_blank in batches:
        if blank_since and all_blank:
            # Only blank lines may follow a blank line: skip them in bulk, so a file of
            # millions of them takes no longer to read than to check.
            line_no += len(batch)
            continue
        for raw in batch:
            line_no += 1
            line = _decoded(name, line_no, raw)
            if line_no == 1:
                line = line.removeprefix("\ufeff")  # the byte order mark some editors write
            if not line.strip():
                blank_since = blank_since or line_no
                continue
            if blank_since:
                raise DatasetError(
                    f"{name}, line {blank_since}: blank line before the end of the data"
                )
            if not header_seen:
                _check_header(name, line)
                header_seen = True
                continue
            if len(labels) == MAX_CSV_POINTS:
                raise DatasetError(
                    f"{name}, line {line_no}: more than {MAX_CSV_POINTS} points, "
                    "the most mlpviz reads"
                )
            x1, x2, label = _row(name, line_no, line)
            coordinates.append(x1)
            coordinates.append(x2)
            labels.append(label)
    if not header_seen:
        raise DatasetError(f"{name}, line 1: file is empty; expected the header '{CSV_HEADER}'")
    if not labels:
        raise DatasetError(f"{name}, line 2: no data rows after the header '{CSV_HEADER}'")
    return coordinates, labels


def load_csv(path: str | os.PathLike) -> Dataset:
    """Read a dataset from a CSV file (format and limits in the module docstring).

    Returns a Dataset with X (m, 2) and y (m,). Raises DatasetError whose message names the
    file, the 1-based line number and the problem, e.g.
    ``data.csv, line 7: label '-1' is negative; labels must be integers 0..7``. Folders,
    devices and pipes are refused without being read.
    """
    name = os.fspath(path)
    with open_regular_file(path, DatasetError) as handle:
        if os.fstat(handle.fileno()).st_size > MAX_CSV_BYTES:
            raise _too_large(name)
        coordinates, labels = _parse_lines(name, _line_batches(name, handle))
    X = np.frombuffer(coordinates, dtype=np.float64).reshape(-1, 2)
    return Dataset(X, np.frombuffer(labels, dtype=np.int8))


def check_classes_consecutive(dataset: Dataset, name: str) -> None:
    """Raise DatasetError unless the classes of ``dataset`` (read from file ``name``) are
    0 … K−1 with none missing: a gap would be a class with no point that the network would
    still have to learn (an empty softmax output). The app and ``mlpviz train`` call it on
    the files they open; ``load_csv`` itself reads any labels 0…7, so files round-trip."""
    present = np.flatnonzero(np.bincount(dataset.y, minlength=1))
    if len(present) and present[-1] != len(present) - 1:
        missing = sorted(set(range(present[-1] + 1)) - set(present.tolist()))
        used = ", ".join(str(k) for k in present)
        renumbered = ", ".join(str(k) for k in range(len(present)))
        raise DatasetError(
            f"{name}: the labels are {used}, but classes are numbered from 0 with none "
            f"missing (class {missing[0]} has no point): renumber them {renumbered}"
        )


def save_csv(dataset: Dataset, path: str | os.PathLike) -> None:
    """Write ``dataset`` to ``path`` as CSV atomically, with exactly round-tripping numbers.

    An empty dataset is refused (DatasetError), because :func:`load_csv` rejects a file with
    no data rows. Write failures are reported as DatasetError naming the file.
    """
    if not isinstance(dataset, Dataset):
        raise TypeError(f"expected a Dataset, got {type(dataset).__name__}")
    if len(dataset) == 0:
        raise DatasetError(f"{os.fspath(path)}: cannot save an empty dataset (no points)")
    # repr(float) is the shortest string that parses back to the identical float.
    rows = [
        f"{x1!r},{x2!r},{label}"
        for (x1, x2), label in zip(dataset.X.tolist(), dataset.y.tolist(), strict=True)
    ]
    text = "\n".join([CSV_HEADER, *rows]) + "\n"
    try:
        write_text_atomically(path, text)
    except OSError as exc:
        raise DatasetError(f"{os.fspath(path)}: cannot write file ({exc.strerror or exc})") from exc
