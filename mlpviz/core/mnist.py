"""Real MNIST from files the user already has: the four IDX files or Keras's ``mnist.npz``.

Nothing is fetched from the network. The files are untrusted: every header is checked
before anything is allocated, and every problem raises :class:`DatasetError` with one line
naming the file, so a bad file loads nothing.

IDX (``train-images-idx3-ubyte`` …, plain or ``.gz``, as the original site and torchvision
ship them)
    Two zero bytes, the type code 0x08 (unsigned bytes), the number of dimensions (3 for
    images, 1 for labels), one big-endian uint32 size per dimension, then the values. The
    header decides how many bytes follow: a plain file must be exactly that long; a ``.gz``
    file is decompressed as a stream and never further than the header promises (one byte
    more tells whether anything follows), and its gzip trailer's size must agree first.

``mnist.npz`` (Keras)
    ``x_train`` (n, 28, 28), ``y_train`` (n,), ``x_test``, ``y_test``, read through
    :class:`~mlpviz.core.archive.UntrustedArchive`.
"""

from __future__ import annotations

import gzip
import math
import os
import struct
import zlib
from pathlib import Path
from typing import IO

import numpy as np

from .archive import UntrustedArchive, check_regular_file, open_regular_file
from .errors import DatasetError, shown

SIDE = 28
"""MNIST images are SIDE × SIDE pixels."""

N_DIGITS = 10
"""Labels are 0 … 9."""

MAX_IMAGES = 120_000
"""Most images one file may declare (MNIST has 60,000 + 10,000; QMNIST 60,000 + 60,000)."""

IDX_NAMES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}
"""The four standard IDX files of a folder, without their optional ``.gz``."""

_UNSIGNED_BYTE = 0x08
_GZIP_MAGIC = b"\x1f\x8b"
_GZIP_ERRORS = (OSError, EOFError, zlib.error)  # gzip.BadGzipFile is an OSError
_NPY_INTEGERS = ("|u1", "<i8", "<i4", "<u8", "<u4", "<i2", "<u2", "|i1")


class MnistArrays:
    """MNIST as read: ``train_images`` (n, 28, 28) uint8, ``train_labels`` (n,) uint8 and
    the same for the test set, every label < 10 and each set's counts equal."""

    def __init__(
        self,
        train_images: np.ndarray,
        train_labels: np.ndarray,
        test_images: np.ndarray,
        test_labels: np.ndarray,
    ) -> None:
        self.train_images, self.train_labels = train_images, train_labels
        self.test_images, self.test_labels = test_images, test_labels

    def __repr__(self) -> str:
        return f"MnistArrays(train={len(self.train_labels)}, test={len(self.test_labels)})"


def read_mnist(path: str | os.PathLike) -> MnistArrays:
    """MNIST from ``path``: a folder holding the four IDX files (plain or ``.gz``), one of
    those files (its folder is used), or Keras's ``mnist.npz``. DatasetError otherwise."""
    name = os.fspath(path)
    folder = Path(path)
    if not folder.is_dir():
        if name.lower().endswith(".npz"):
            return read_mnist_npz(path)
        check_regular_file(path, DatasetError)  # says "no such file" for a missing one
        folder = folder.parent
    found = {key: _idx_file(folder, base) for key, base in IDX_NAMES.items()}
    train = _paired(found["train_images"], found["train_labels"])
    test = _paired(found["test_images"], found["test_labels"])
    return MnistArrays(*train, *test)


def _idx_file(folder: Path, base: str) -> Path:
    """``folder/base`` or ``folder/base.gz``; DatasetError when neither is there."""
    for candidate in (folder / base, folder / f"{base}.gz"):
        if os.path.lexists(candidate):
            return candidate
    raise DatasetError(
        f"{os.fspath(folder)}: no {base} (or {base}.gz): MNIST needs the four files "
        f"{', '.join(IDX_NAMES.values())}, or Keras's mnist.npz"
    )


def _paired(images_path: Path, labels_path: Path) -> tuple[np.ndarray, np.ndarray]:
    images = read_idx(images_path, ndim=3)
    labels = read_idx(labels_path, ndim=1)
    _check_pair(images, labels, os.fspath(images_path), os.fspath(labels_path))
    return images, labels


def _check_pair(images: np.ndarray, labels: np.ndarray, images_name: str, labels_name: str) -> None:
    """As many images as labels, every label 0 … 9."""
    if len(images) != len(labels):
        raise DatasetError(
            f"{images_name} holds {len(images)} images but {labels_name} {len(labels)} labels"
        )
    if len(labels) and int(labels.max()) >= N_DIGITS:
        raise DatasetError(f"{labels_name}: label {int(labels.max())} is not a digit 0…9")


# --- IDX ---------------------------------------------------------------------------------
def read_idx(path: str | os.PathLike, ndim: int) -> np.ndarray:
    """The unsigned-byte array in IDX file ``path`` (plain, or gzip when it starts like one),
    which must have ``ndim`` dimensions; DatasetError for anything else."""
    name = os.fspath(path)
    with open_regular_file(path, DatasetError) as handle:
        try:
            if handle.read(2) == _GZIP_MAGIC:
                handle.seek(0)
                return _read_idx_gzip(handle, name, ndim)
            handle.seek(0)
            return _read_idx_plain(handle, name, ndim)
        except _GZIP_ERRORS as exc:
            reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
            raise DatasetError(f"{name}: damaged gzip file ({shown(reason)})") from None


def _read_idx_plain(handle: IO[bytes], name: str, ndim: int) -> np.ndarray:
    shape = _idx_header(handle, name, ndim)
    size = math.prod(shape)
    actual = os.fstat(handle.fileno()).st_size - _header_bytes(ndim)
    if actual != size:
        problem = "is truncated" if actual < size else "holds more data than"
        raise DatasetError(
            f"{name}: {problem} its header declares ({_shape_text(shape)}: {size} bytes "
            f"after the header, the file has {actual})"
        )
    return _read_values(handle, name, shape)


def _read_idx_gzip(handle: IO[bytes], name: str, ndim: int) -> np.ndarray:
    trailer_size = _gzip_trailer_size(handle)
    with gzip.GzipFile(fileobj=handle, mode="rb") as stream:
        shape = _idx_header(stream, name, ndim)
        expected = (_header_bytes(ndim) + math.prod(shape)) % 2**32
        if trailer_size != expected:
            raise DatasetError(
                f"{name}: is truncated or holds more data than its header declares (its "
                f"gzip trailer says {trailer_size} bytes, its header {_shape_text(shape)})"
            )
        values = _read_values(stream, name, shape)
        if stream.read(1):  # one byte more, decompressed, is all it takes to know
            raise DatasetError(f"{name}: holds more data than its header declares")
    return values


def _gzip_trailer_size(handle: IO[bytes]) -> int:
    """ISIZE, the uncompressed size mod 2³² in a gzip file's last 4 bytes."""
    handle.seek(-4, os.SEEK_END)
    (size,) = struct.unpack("<I", handle.read(4))
    handle.seek(0)
    return size


def _header_bytes(ndim: int) -> int:
    return 4 + 4 * ndim


def _idx_header(stream: IO[bytes], name: str, ndim: int) -> tuple[int, ...]:
    """The shape an IDX header declares, checked against ``ndim`` and MAX_IMAGES."""
    magic = stream.read(4)
    if len(magic) < 4 or magic[:2] != b"\0\0":
        raise DatasetError(f"{name}: not an IDX file (bad magic number)")
    if magic[2] != _UNSIGNED_BYTE:
        raise DatasetError(f"{name}: IDX type 0x{magic[2]:02x}; MNIST's are unsigned bytes (0x08)")
    if magic[3] != ndim:
        kind = "images" if ndim == 3 else "labels"
        raise DatasetError(
            f"{name}: has {magic[3]} dimensions; MNIST {kind} have {ndim} "
            "(images and labels swapped?)"
        )
    sizes = stream.read(4 * ndim)
    if len(sizes) < 4 * ndim:
        raise DatasetError(f"{name}: is truncated (its header is incomplete)")
    shape = struct.unpack(f">{ndim}I", sizes)
    if shape[1:] != (SIDE, SIDE)[: ndim - 1]:
        raise DatasetError(
            f"{name}: images are {_shape_text(shape[1:])}; MNIST's are {SIDE}×{SIDE}"
        )
    if shape[0] > MAX_IMAGES:
        raise DatasetError(f"{name}: declares {shape[0]} items; at most {MAX_IMAGES} are read")
    return shape


def _read_values(stream: IO[bytes], name: str, shape: tuple[int, ...]) -> np.ndarray:
    """Exactly ``prod(shape)`` bytes of ``stream`` into a new array (allocated only now)."""
    values = np.empty(shape, dtype=np.uint8)
    view = memoryview(values.reshape(-1))
    filled = 0
    while filled < len(view):
        count = stream.readinto(view[filled:])
        if not count:
            raise DatasetError(
                f"{name}: is truncated ({filled} of {len(view)} bytes its header declares)"
            )
        filled += count
    return values


def _shape_text(shape: tuple[int, ...]) -> str:
    return "×".join(str(side) for side in shape)


# --- Keras's mnist.npz ---------------------------------------------------------------------
def read_mnist_npz(path: str | os.PathLike) -> MnistArrays:
    """MNIST from Keras's ``mnist.npz``; DatasetError for a bad or foreign file."""
    name = os.fspath(path)
    max_bytes = MAX_IMAGES * SIDE * SIDE * 8 + 2**20
    with UntrustedArchive(
        path,
        DatasetError,
        max_members=16,
        max_member_bytes=max_bytes,
        max_total_bytes=2 * max_bytes,
    ) as archive:
        arrays = {}
        for key in ("x_train", "y_train", "x_test", "y_test"):
            member = f"{key}.npy"
            if not archive.has(member):
                raise DatasetError(f"{name}: no {key}: not Keras's mnist.npz")
            images = key.startswith("x")
            arrays[key] = archive.read_array(
                member,
                dtypes=("|u1",) if images else _NPY_INTEGERS,
                shape=(None, SIDE, SIDE) if images else (None,),
                max_elements=MAX_IMAGES * SIDE * SIDE if images else MAX_IMAGES,
            )
    for part in ("train", "test"):
        labels = arrays[f"y_{part}"]
        if len(labels) and int(labels.min()) < 0:
            raise DatasetError(f"{name}: y_{part} holds a negative label")
        _check_pair(arrays[f"x_{part}"], labels, f"{name}: x_{part}", f"{name}: y_{part}")
        arrays[f"y_{part}"] = labels.astype(np.uint8)
    return MnistArrays(arrays["x_train"], arrays["y_train"], arrays["x_test"], arrays["y_test"])
