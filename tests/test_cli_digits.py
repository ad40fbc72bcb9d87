"""``mlpviz digits``: what it writes, that its numbers agree with each other and with the
model, that bad or missing data end with exit 2 and one line, all or nothing in DIR."""

from __future__ import annotations

import gzip
import json
import struct

import numpy as np
import pytest

import mlpviz.cli_digits
from mlpviz.cli import main
from mlpviz.core import load_model
from mlpviz.core.digits import load_digits_8x8, load_mnist
from mlpviz.core.session import Session

OUTPUT_FILES = {"metrics.json", "confusion.csv", "weights.png", "misclassified.png", "model.npz"}
RNG = np.random.default_rng(0)


def digits(out, *options):
    """Run ``mlpviz digits`` in this process; returns the exit status."""
    return main(["digits", *options, "--out", str(out)])


def read_metrics(out):
    return json.loads((out / "metrics.json").read_text())


def read_confusion(out) -> tuple[list[str], np.ndarray]:
    lines = (out / "confusion.csv").read_text().splitlines()
    rows = [[int(field) for field in line.split(",")] for line in lines[1:]]
    return lines[0].split(","), np.array(rows)


def write_mnist_folder(folder, n_train=300, n_test=100) -> None:
    """A small learnable MNIST-shaped set as gz IDX files: each digit lights its own block."""
    folder.mkdir()
    for part, n in (("train", n_train), ("t10k", n_test)):
        labels = (np.arange(n) % 10).astype(np.uint8)
        images = RNG.integers(0, 60, (n, 28, 28), dtype=np.uint8)
        for index, label in enumerate(labels):
            images[index, 2 * label + 4 : 2 * label + 8, 6:22] = 255
        for kind, array in (("images-idx3", images), ("labels-idx1", labels)):
            header = bytes([0, 0, 8, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
            path = folder / f"{part}-{kind}-ubyte.gz"
            path.write_bytes(gzip.compress(header + array.tobytes()))


@pytest.fixture(scope="module")
def mnist_run(tmp_path_factory):
    """A small run on MNIST-shaped files the test writes (needs no scikit-learn)."""
    base = tmp_path_factory.mktemp("mnist")
    write_mnist_folder(base / "data")
    out = base / "out"
    status = digits(
        out,
        *("--mnist", str(base / "data"), "--layers", "16", "--epochs", "3"),
        *("--save-session", str(base / "run.mlpviz")),
    )
    assert status == 0
    return base


def test_writes_exactly_the_documented_files(mnist_run):
    assert {path.name for path in (mnist_run / "out").iterdir()} == OUTPUT_FILES
    assert set(mlpviz.cli_digits.OUTPUT_FILES) == OUTPUT_FILES


def test_metrics_hold_the_results_and_the_settings(mnist_run):
    metrics = read_metrics(mnist_run / "out")
    assert metrics["layer_sizes"] == [784, 16, 10] and metrics["image_shape"] == [28, 28]
    assert (metrics["epochs"], metrics["iterations"]) == (3, 3 * 10)  # 300 images, batch 32
    assert (metrics["train_images"], metrics["test_images"]) == (300, 100)
    assert (metrics["optimizer"], metrics["lr"], metrics["batch_size"]) == ("adam", 0.01, 32)
    assert metrics["data"] == str(mnist_run / "data") and metrics["seconds"] > 0
    for key in ("train_accuracy", "test_accuracy", "test_loss", "train_loss", "activation"):
        assert key in metrics
    assert metrics["test_accuracy"] > 0.9  # the blocks are easy


def test_confusion_csv_is_the_direct_count_and_its_trace_the_test_accuracy(mnist_run):
    header, rows = read_confusion(mnist_run / "out")
    assert header == ["true", *(str(k) for k in range(10))]
    assert rows[:, 0].tolist() == list(range(10))  # row = true digit
    counts = rows[:, 1:]
    data = load_mnist(mnist_run / "data")
    net = load_model(mnist_run / "out" / "model.npz", n_inputs=784)
    true, predicted = data.y[data.test], net.predict(data.X[data.test])
    direct = [[np.sum((true == t) & (predicted == p)) for p in range(10)] for t in range(10)]
    assert counts.tolist() == direct
    metrics = read_metrics(mnist_run / "out")
    assert np.trace(counts) / counts.sum() == metrics["test_accuracy"]


def test_the_saved_session_is_a_digits_session_of_the_same_network(mnist_run):
    session = Session.load(mnist_run / "run.mlpviz", workspace="digits")
    net = load_model(mnist_run / "out" / "model.npz", n_inputs=784)
    assert np.array_equal(session.net.params, net.params)
    assert session.iteration == read_metrics(mnist_run / "out")["iterations"]


def test_pictures_are_pngs_of_the_tiles_and_the_mistakes(mnist_run, qapp):
    from PySide6.QtGui import QImage

    weights = QImage(str(mnist_run / "out" / "weights.png"))
    assert weights.width() >= 560 and weights.height() > 200
    assert not QImage(str(mnist_run / "out" / "misclassified.png")).isNull()


def test_the_plain_command_trains_64_32_10_on_the_8x8_digits_past_a_seeded_bar(tmp_path):
    pytest.importorskip("sklearn", reason="scikit-learn (the 'digits' extra) is not installed")
    assert digits(tmp_path) == 0
    metrics = read_metrics(tmp_path)
    assert metrics["layer_sizes"] == [64, 32, 10] and metrics["image_shape"] == [8, 8]
    assert metrics["test_accuracy"] >= 0.95  # 0.967 with these seeds (bench: the full figure)
    _, rows = read_confusion(tmp_path)
    assert np.trace(rows[:, 1:]) / rows[:, 1:].sum() == metrics["test_accuracy"]
    data = load_digits_8x8(seed=0)
    assert (metrics["train_images"], metrics["test_images"]) == (1438, 359)
    assert metrics["test_images"] == int(data.test.sum())


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        (["--mnist", "{tmp}/nowhere"], "no such file"),
        (["--mnist", "{tmp}"], "no train-images-idx3-ubyte"),
        (["--mnist", "{tmp}/bad.npz"], "not a zip archive"),
        (["--layers", "513"], "not a layer size 1…512"),
        (["--epochs", "0"], "--epochs must be between 1"),
        (["--subset", "0"], "--subset must be at least 1"),
        (["--lr", "-1"], "--lr must be a positive number"),
        (["--activation", "gelu"], "unknown activation"),
    ],
)
def test_bad_data_or_settings_exit_2_with_one_line_and_write_nothing(
    tmp_path, capsys, options, expected
):
    (tmp_path / "bad.npz").write_bytes(b"not a zip")
    options = [option.replace("{tmp}", str(tmp_path)) for option in options]
    assert digits(tmp_path / "out", *options) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.count("\n") == 1
    assert captured.err.startswith("mlpviz: error: ") and expected in captured.err
    assert not (tmp_path / "out").exists()


def test_missing_scikit_learn_exits_2_saying_how_to_install_it(tmp_path, capsys, monkeypatch):
    from mlpviz.core.digits import MISSING_SKLEARN
    from mlpviz.core.errors import DatasetError

    def missing(seed):
        raise DatasetError(MISSING_SKLEARN)

    monkeypatch.setattr(mlpviz.cli_digits, "load_digits_8x8", missing)
    assert digits(tmp_path / "out") == 2
    assert 'pip install -e ".[digits]"' in capsys.readouterr().err


def test_a_new_run_replaces_every_previous_result_and_keeps_other_files(tmp_path, mnist_run):
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    (out / "boundary.png").write_text("an old 2-D run's result")
    options = ("--mnist", str(mnist_run / "data"), "--layers", "8", "--epochs", "1")
    assert digits(out, *options, "--subset", "50") == 0
    assert {path.name for path in out.iterdir()} == OUTPUT_FILES | {"notes.txt"}
    assert read_metrics(out)["train_images"] == 50 and read_metrics(out)["subset"] == 50
