"""The MNIST readers on small files the tests write: IDX (plain and gzip) and Keras's npz,
and every malformed case giving one DatasetError, nothing half-loaded."""

from __future__ import annotations

import gzip
import io
import os
import struct
import tracemalloc

import numpy as np
import pytest

from mlpviz.core.digits import load_mnist
from mlpviz.core.errors import DatasetError
from mlpviz.core.mnist import IDX_NAMES, MAX_IMAGES, read_idx, read_mnist, read_mnist_npz

RNG = np.random.default_rng(0)


def idx_bytes(array: np.ndarray, type_code: int = 0x08, ndim: int | None = None) -> bytes:
    """``array`` (uint8) as an IDX file: the header, then the values."""
    ndim = array.ndim if ndim is None else ndim
    header = bytes([0, 0, type_code, ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(np.uint8).tobytes()


def small_mnist(n_train: int = 12, n_test: int = 5) -> dict[str, np.ndarray]:
    """Random images and labels of MNIST's shapes."""
    return {
        "train_images": RNG.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        "train_labels": RNG.integers(0, 10, n_train, dtype=np.uint8),
        "test_images": RNG.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        "test_labels": RNG.integers(0, 10, n_test, dtype=np.uint8),
    }


def write_idx_folder(folder, arrays: dict[str, np.ndarray], gz: bool = False) -> None:
    folder.mkdir(exist_ok=True)
    for key, array in arrays.items():
        data = idx_bytes(array)
        if gz:
            (folder / f"{IDX_NAMES[key]}.gz").write_bytes(gzip.compress(data))
        else:
            (folder / IDX_NAMES[key]).write_bytes(data)


def write_npz(path, arrays: dict[str, np.ndarray]) -> None:
    keys = {"train_images": "x_train", "train_labels": "y_train"}
    keys |= {"test_images": "x_test", "test_labels": "y_test"}
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **{keys[key]: value for key, value in arrays.items()})
    path.write_bytes(buffer.getvalue())


def assert_same(read, arrays) -> None:
    for key, array in arrays.items():
        assert np.array_equal(getattr(read, key), array)


def one_line_error(call, *args) -> str:
    with pytest.raises(DatasetError) as info:
        call(*args)
    message = str(info.value)
    assert "\n" not in message and len(message) < 300
    return message


# --- well-formed files ----------------------------------------------------------------------
@pytest.mark.parametrize("gz", [False, True], ids=["plain", "gz"])
def test_idx_folder_reads_back_what_was_written(tmp_path, gz):
    arrays = small_mnist()
    write_idx_folder(tmp_path / "mnist", arrays, gz)
    assert_same(read_mnist(tmp_path / "mnist"), arrays)
    # naming one of the four files means its folder
    name = IDX_NAMES["test_labels"] + (".gz" if gz else "")
    assert_same(read_mnist(tmp_path / "mnist" / name), arrays)


def test_plain_and_gz_files_may_be_mixed(tmp_path):
    arrays = small_mnist()
    write_idx_folder(tmp_path / "mixed", dict(list(arrays.items())[:2]), gz=True)
    write_idx_folder(tmp_path / "mixed", dict(list(arrays.items())[2:]), gz=False)
    assert_same(read_mnist(tmp_path / "mixed"), arrays)


def test_keras_npz_reads_back_what_was_written(tmp_path):
    arrays = small_mnist()
    write_npz(tmp_path / "mnist.npz", arrays)
    assert_same(read_mnist(tmp_path / "mnist.npz"), arrays)


def test_load_mnist_scales_pixels_and_keeps_its_split(tmp_path):
    arrays = small_mnist(n_train=7, n_test=3)
    write_npz(tmp_path / "mnist.npz", arrays)
    data = load_mnist(tmp_path / "mnist.npz")
    assert data.X.dtype == np.float32 and data.X.shape == (10, 784)
    assert data.test.tolist() == [False] * 7 + [True] * 3
    expected = np.concatenate([arrays["train_images"], arrays["test_images"]]) / 255
    assert np.allclose(data.images(), expected, atol=1e-7)
    assert data.y.tolist() == [*arrays["train_labels"], *arrays["test_labels"]]
    assert data.image_shape == (28, 28) and data.n_classes == 10


# --- malformed IDX files ---------------------------------------------------------------------
def labels_file(tmp_path, data: bytes, gz: bool = False):
    path = tmp_path / ("labels.gz" if gz else "labels")
    path.write_bytes(gzip.compress(data) if gz else data)
    return path


IMAGES = RNG.integers(0, 256, (3, 28, 28), dtype=np.uint8)
LABELS = np.array([1, 2, 3], dtype=np.uint8)

BAD_IDX = {
    "bad magic": (b"\x01\x00" + idx_bytes(IMAGES)[2:], 3, "bad magic number"),
    "not an idx file": (b"PK\x03\x04hello", 1, "bad magic number"),
    "empty": (b"", 1, "bad magic number"),
    "float type": (idx_bytes(LABELS, type_code=0x0D), 1, "unsigned bytes"),
    "labels read as images": (idx_bytes(LABELS), 3, "has 1 dimensions; MNIST images have 3"),
    "images read as labels": (idx_bytes(IMAGES), 1, "has 3 dimensions; MNIST labels have 1"),
    "header cut short": (idx_bytes(IMAGES)[:10], 3, "header is incomplete"),
    "truncated": (idx_bytes(IMAGES)[:-1], 3, "truncated"),
    "longer than declared": (idx_bytes(LABELS) + b"\0", 1, "more data than its header"),
    "not 28 by 28": (idx_bytes(np.zeros((2, 27, 28), np.uint8)), 3, "MNIST's are 28×28"),
    "too many images": (
        bytes([0, 0, 8, 1]) + struct.pack(">I", MAX_IMAGES + 1),
        1,
        f"at most {MAX_IMAGES}",
    ),
}


@pytest.mark.parametrize("gz", [False, True], ids=["plain", "gz"])
@pytest.mark.parametrize(("data", "ndim", "expected"), BAD_IDX.values(), ids=BAD_IDX)
def test_malformed_idx_is_one_clear_error(tmp_path, data, ndim, expected, gz):
    path = labels_file(tmp_path, data, gz)
    message = one_line_error(read_idx, path, ndim)
    assert message.startswith(str(path)) and expected in message


def error_and_peak_memory(path, ndim) -> tuple[str, int]:
    """The message of ``read_idx(path, ndim)``'s DatasetError, and the most memory it held."""
    tracemalloc.start()
    try:
        return one_line_error(read_idx, path, ndim), tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_a_huge_declared_count_allocates_nothing(tmp_path):
    """A header declaring 100,000 images over a tiny file is refused before any allocation
    of the size it declares (plain: the file length; gz: the gzip trailer)."""
    header = bytes([0, 0, 8, 3]) + struct.pack(">3I", 100_000, 28, 28)
    for gz in (False, True):
        message, peak = error_and_peak_memory(labels_file(tmp_path, header + bytes(100), gz), 3)
        assert peak < 2**20, peak
        assert "truncated" in message or "gzip trailer" in message


def test_gz_is_never_decompressed_beyond_what_the_header_declares(tmp_path):
    """A gz labels file declaring 3 labels followed by 50 MB of zeros (with a trailer
    claiming the right size) stops after one byte more than declared."""
    data = idx_bytes(LABELS) + bytes(50 * 2**20)
    compressed = bytearray(gzip.compress(data))
    compressed[-4:] = struct.pack("<I", len(idx_bytes(LABELS)))  # a forged trailer
    path = tmp_path / "bomb.gz"
    path.write_bytes(bytes(compressed))
    message, peak = error_and_peak_memory(path, 1)
    assert "more data than its header" in message
    assert peak < 4 * 2**20, peak


def test_damaged_gzip_is_one_clear_error(tmp_path):
    compressed = bytearray(gzip.compress(idx_bytes(IMAGES)))
    compressed[len(compressed) // 2] ^= 0xFF
    path = tmp_path / "damaged.gz"
    path.write_bytes(bytes(compressed))
    assert str(path) in one_line_error(read_idx, path, 3)


@pytest.mark.parametrize("gz", [False, True], ids=["plain", "gz"])
def test_labels_of_ten_or_more_are_refused(tmp_path, gz):
    arrays = small_mnist()
    arrays["test_labels"][2] = 10
    write_idx_folder(tmp_path / "m", arrays, gz)
    assert "label 10 is not a digit" in one_line_error(read_mnist, tmp_path / "m")


def test_image_and_label_counts_must_agree(tmp_path):
    arrays = small_mnist()
    arrays["train_labels"] = arrays["train_labels"][:-1]
    write_idx_folder(tmp_path / "m", arrays)
    assert "holds 12 images but" in one_line_error(read_mnist, tmp_path / "m")


def test_a_missing_file_names_all_four(tmp_path):
    arrays = small_mnist()
    del arrays["test_images"]
    write_idx_folder(tmp_path / "m", arrays)
    message = one_line_error(read_mnist, tmp_path / "m")
    assert "no t10k-images-idx3-ubyte" in message and "mnist.npz" in message


def test_missing_path_and_special_files(tmp_path):
    assert "no such file" in one_line_error(read_mnist, tmp_path / "nowhere.npz")
    assert "no such file" in one_line_error(read_mnist, tmp_path / "nowhere")
    os.mkfifo(tmp_path / "fifo")
    assert "device, pipe or socket" in one_line_error(read_idx, tmp_path / "fifo", 1)
    assert "device, pipe or socket" in one_line_error(read_mnist, tmp_path / "fifo")
    assert "is a folder" in one_line_error(read_idx, tmp_path, 1)
    fifo_folder = tmp_path / "f"
    write_idx_folder(fifo_folder, {k: v for k, v in small_mnist().items() if k != "test_images"})
    os.mkfifo(fifo_folder / IDX_NAMES["test_images"])
    assert "device, pipe or socket" in one_line_error(read_mnist, fifo_folder)


# --- malformed npz files -----------------------------------------------------------------------
def test_npz_problems_are_one_clear_error(tmp_path):
    path = tmp_path / "mnist.npz"
    arrays = small_mnist()
    cases = {
        "missing member": ({k: v for k, v in arrays.items() if k != "test_labels"}, "no y_test"),
        "float images": (arrays | {"train_images": arrays["train_images"] / 255}, "dtype"),
        "wrong image shape": (arrays | {"test_images": np.zeros((5, 8, 8), np.uint8)}, "shape"),
        "label ten": (arrays | {"train_labels": np.full(12, 10, np.uint8)}, "not a digit"),
        "negative label": (arrays | {"train_labels": np.full(12, -1, np.int64)}, "negative"),
        "counts differ": (arrays | {"test_labels": np.zeros(4, np.uint8)}, "holds 5 images"),
    }
    for name, (content, expected) in cases.items():
        write_npz(path, content)
        message = one_line_error(read_mnist_npz, path)
        assert expected in message and message.startswith(str(path)), name
    path.write_bytes(b"not a zip at all")
    assert "not a zip" in one_line_error(read_mnist, path)
