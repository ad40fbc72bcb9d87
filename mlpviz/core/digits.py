"""Handwritten digits for the digits workspace: images as rows of features, with their split.

Two sources, nothing fetched from the network:

- scikit-learn's bundled 8×8 digits (1,797 images, pixels 0…16), through the optional extra
  ``digits`` (``pip install -e ".[digits]"``), split 80/20, stratified and seeded;
- real MNIST (28×28, pixels 0…255) from the user's files (:mod:`mlpviz.core.mnist`), with
  its own split (the first 60,000 images train, the 10,000 after them test).

Pixels are scaled to [0, 1] and stored as float32: the networks of this workspace compute in
float32, which halves the memory and roughly doubles the speed of the matrix products.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from .datasets import Dataset
from .errors import DatasetError
from .mnist import MnistArrays, read_mnist
from .timeline import DEFAULT_BUDGET_BYTES, RecordSchedule

N_DIGITS = 10
"""Labels are the digits 0 … 9; a digits network always has ten outputs."""

IMAGE_SIDES = (8, 28)
"""The image sizes the workspace knows: scikit-learn's 8×8 digits and MNIST's 28×28."""

TEST_SHARE = 0.2
"""Share of each digit of the 8×8 set held out for testing."""

LARGE_SET = 10_000
"""Sets of more images than this (MNIST) are measured at fewer checkpoints (timeline_options)."""

MISSING_SKLEARN = (
    "the 8×8 digits come with scikit-learn, which is not installed: "
    'pip install -e ".[digits]" (or pip install scikit-learn), or give MNIST files with --mnist'
)


@dataclass(frozen=True, eq=False, repr=False)
class ImageDataset(Dataset):
    """Square grey images flattened to rows, with their own train/test split.

    Attributes:
        X: pixels in [0, 1], float32, shape (m, side²) with side 8 or 28, read-only.
        y: digits, int64, shape (m,), values 0 … 9, read-only.
        test: True for the test images, bool, shape (m,), read-only.

    The split belongs to the data (MNIST's own, or the seeded stratified one of the 8×8
    digits): :meth:`test_mask` returns it whatever the ratio asked. The point-editing methods
    of Dataset do not apply to images.
    """

    test: np.ndarray

    workspace: ClassVar[str] = "digits"

    def __post_init__(self) -> None:
        """Validate and freeze the arrays (private copies)."""
        X = _as_images(self.X)
        y = _as_digits(self.y, len(X))
        test = np.array(self.test, dtype=bool, copy=True)
        if test.shape != (len(X),):
            raise DatasetError(f"the test mask must have shape ({len(X)},), got {test.shape}")
        for name, array in (("X", X), ("y", y), ("test", test)):
            array.flags.writeable = False
            object.__setattr__(self, name, array.view())  # see datasets._as_points

    def __eq__(self, other: object) -> bool:
        """Equal when the images, labels and split are."""
        if not isinstance(other, ImageDataset):
            return NotImplemented
        return super().__eq__(other) and np.array_equal(self.test, other.test)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        side = self.image_shape[0]
        return f"ImageDataset(m={len(self)}, {side}×{side}, test={int(self.test.sum())})"

    @property
    def image_shape(self) -> tuple[int, int]:
        """(rows, columns) of one image."""
        side = math.isqrt(self.n_features)
        return side, side

    @property
    def n_classes(self) -> int:
        """Always ten: a subset that lacks a digit still needs its output."""
        return N_DIGITS

    def test_mask(self, test_ratio: float = 0.0, seed: int = 0) -> np.ndarray:
        """The data's own split (a copy), whatever ``test_ratio`` and ``seed`` say."""
        return self.test.copy()

    def images(self, indices: Any = slice(None)) -> np.ndarray:
        """The images at ``indices`` as (k, rows, columns) (a view)."""
        return self.X[indices].reshape(-1, *self.image_shape)


def _as_images(X: Any) -> np.ndarray:
    """``X`` as a new float32 (m, side²) array of finite pixels in [0, 1], or DatasetError."""
    array = np.asarray(X)
    if array.dtype.kind not in "iuf":
        raise DatasetError(f"pixels must be real numbers, got dtype {array.dtype}")
    if array.ndim != 2 or array.shape[1] not in [side * side for side in IMAGE_SIDES]:
        sizes = " or ".join(f"{side * side} ({side}×{side})" for side in IMAGE_SIDES)
        raise DatasetError(f"images must have shape (m, {sizes}), got {array.shape}")
    pixels = array.astype(np.float32, copy=True)
    # min/max rather than a mask: no temporary of MNIST's size; NaN fails both comparisons.
    if pixels.size and not (pixels.min() >= 0.0 and pixels.max() <= 1.0):
        raise DatasetError("pixels must be in [0, 1]")
    return pixels


def _as_digits(y: Any, m: int) -> np.ndarray:
    """``y`` as a new int64 (m,) array of digits 0 … 9, or DatasetError."""
    labels = np.asarray(y)
    if labels.shape != (m,) or labels.dtype.kind not in "iu":
        raise DatasetError(f"digit labels must be {m} integers, got {labels.dtype} {labels.shape}")
    if m and (labels.min() < 0 or labels.max() >= N_DIGITS):
        raise DatasetError("digit labels must be 0…9")
    return labels.astype(np.int64, copy=True)


def timeline_options(data: ImageDataset) -> dict:
    """The ``schedule`` and ``budget_bytes`` of a Session on ``data``.

    The images count against the timeline's memory budget like any data version, but never
    change within a run: the budget is raised by their size, so that MNIST's 220 MB leave
    the checkpoints the default budget. Each checkpoint measures the network on every
    image, which on MNIST takes about a second (as long as 400 updates): large sets keep one
    checkpoint per doubling of the iteration count (1, 2, 4, 8, …) instead of every
    iteration at first.
    """
    schedule = RecordSchedule(dense=0, per_octave=1) if len(data) > LARGE_SET else None
    budget = DEFAULT_BUDGET_BYTES + data.X.nbytes + data.y.nbytes + data.test.nbytes
    return {"schedule": schedule, "budget_bytes": budget}


# --- sources -----------------------------------------------------------------------------------
def load_digits_8x8(seed: int = 0) -> ImageDataset:
    """scikit-learn's 8×8 digits with a seeded, stratified 80/20 train/test split, pixels
    divided by 16. DatasetError saying how to install scikit-learn when it is missing."""
    try:
        from sklearn.datasets import load_digits
    except ImportError:
        raise DatasetError(MISSING_SKLEARN) from None
    bunch = load_digits()
    X = np.asarray(bunch.data, dtype=np.float32) / np.float32(16.0)
    y = np.asarray(bunch.target, dtype=np.int64)
    return ImageDataset(X, y, stratified_test_mask(y, TEST_SHARE, seed))


def load_mnist(path: str | os.PathLike) -> ImageDataset:
    """MNIST from the user's files (the four IDX files or Keras's mnist.npz, see
    :func:`mlpviz.core.mnist.read_mnist`): training images first, then the test images,
    which form the test set. DatasetError for a bad file."""
    return mnist_dataset(read_mnist(path))


def mnist_dataset(arrays: MnistArrays) -> ImageDataset:
    """The ImageDataset of MNIST arrays read from files, pixels divided by 255."""
    n_train, n_test = len(arrays.train_labels), len(arrays.test_labels)
    X = np.empty((n_train + n_test, arrays.train_images[0].size), dtype=np.float32)
    for rows, images in ((X[:n_train], arrays.train_images), (X[n_train:], arrays.test_images)):
        np.divide(images.reshape(len(images), -1), np.float32(255.0), out=rows)
    y = np.concatenate([arrays.train_labels, arrays.test_labels]).astype(np.int64)
    test = np.arange(n_train + n_test) >= n_train
    return ImageDataset(X, y, test)


def stratified_test_mask(y: np.ndarray, share: float, seed: int) -> np.ndarray:
    """True for round(share · n_k) samples of each class k, drawn with ``seed``: every
    digit keeps the same share in the test set. The same seed gives the same split."""
    rng = np.random.default_rng(seed)
    mask = np.zeros(len(y), dtype=bool)
    for label in np.unique(y):
        members = np.flatnonzero(y == label)
        mask[rng.permutation(members)[: round(share * len(members))]] = True
    return mask


def training_subset(data: ImageDataset, n: int, seed: int = 0) -> ImageDataset:
    """``data`` with only ``n`` of its training images, drawn with ``seed`` (in their
    original order); the test set stays whole. DatasetError unless 1 ≤ n."""
    train = np.flatnonzero(~data.test)
    if n < 1:
        raise DatasetError(f"a subset needs at least 1 training image, got {n}")
    if n >= len(train):
        return data
    chosen = np.sort(np.random.default_rng(seed).choice(train, size=n, replace=False))
    keep = np.sort(np.concatenate([chosen, np.flatnonzero(data.test)]))
    return ImageDataset(data.X[keep], data.y[keep], data.test[keep])
