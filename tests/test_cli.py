"""The mlpviz command: headless training output, argument errors, the app branch."""

import ast
import io
import json
import os
import pty
import re
import select
import signal
import subprocess
import sys
import tempfile
import time
import types
import zipfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

import mlpviz.cli
from mlpviz.cli import main
from mlpviz.core import load_model
from mlpviz.core.activations import ACTIVATIONS
from mlpviz.core.config import MAX_SEED
from mlpviz.core.datasets import PRESETS, load_csv, make_preset, save_csv
from mlpviz.core.network import INITS
from mlpviz.core.optimizers import OPTIMIZERS
from mlpviz.core.session import Session
from mlpviz.core.timeline import RecordSchedule
from mlpviz.core.trainer import Trainer

ROOT = Path(__file__).resolve().parents[1]
OUTPUT_FILES = {"metrics.json", "loss.csv", "model.npz", "dataset.csv", "boundary.png"}
# What `mlpviz export` writes besides: figures of the views (feature_space.png for a net with a
# hidden layer).
EXPORT_FIGURES = {
    "boundary.svg",
    "loss.png",
    "loss.svg",
    "weights.png",
    "feature_space.png",
    "sheet.png",
}
OPTIONAL_FILES = {"boundary.gif", "model.py"}  # with --gif; written by `mlpviz export`
METRIC_KEYS = {
    "train_loss",
    "test_loss",
    "train_accuracy",
    "test_accuracy",
    "iterations",
    "epochs",
    "seconds",
    "train_points",
    "test_points",
    "preset",
    "data",
    "session",
    "classes",
    "points",
    "noise",
    "layers",
    "activation",
    "init",
    "optimizer",
    "lr",
    "batch_size",
    "l2",
    "test_ratio",
    "seed",
    "layer_sizes",
    "mlpviz_version",
}
FAST = ["--iterations", "300", "--image-size", "320x240"]


def train(out, *options):
    """Run ``mlpviz train`` in this process; returns the exit status."""
    return main(["train", *FAST, *options, "--out", str(out)])


def read_metrics(out):
    return json.loads((out / "metrics.json").read_text())


def loss_rows(out):
    lines = (out / "loss.csv").read_text().splitlines()
    return lines[0], [line.split(",") for line in lines[1:]]


@pytest.fixture(scope="module")
def xor_run(tmp_path_factory):
    """One default training run shared by the tests that only read its output."""
    out = tmp_path_factory.mktemp("runs") / "xor"
    assert train(out, "--seed", "3") == 0
    return out


# --- a successful run --------------------------------------------------------------------
def test_writes_exactly_the_five_documented_files(xor_run):
    assert {path.name for path in xor_run.iterdir()} == OUTPUT_FILES
    # what a new run moves aside: anything train or export writes
    assert set(mlpviz.cli.OUTPUT_FILES) == OUTPUT_FILES | EXPORT_FIGURES | OPTIONAL_FILES
    assert [path.name for path in xor_run.parent.iterdir()] == ["xor"]  # no staging left


def test_metrics_hold_the_results_and_every_setting(xor_run):
    metrics = read_metrics(xor_run)
    assert set(metrics) == METRIC_KEYS
    assert metrics["iterations"] == 300
    assert metrics["preset"] == "xor" and metrics["data"] is None and metrics["session"] is None
    assert (metrics["classes"], metrics["points"], metrics["noise"]) == (2, 200, 0.1)
    assert metrics["layers"] == [8, 8] and metrics["activation"] == ["tanh", "tanh"]
    assert metrics["layer_sizes"] == [2, 8, 8, 1]
    assert (metrics["optimizer"], metrics["lr"], metrics["batch_size"]) == ("sgd", 0.1, None)
    assert (metrics["l2"], metrics["test_ratio"], metrics["seed"]) == (0.0, 0.2, 3)
    assert (metrics["train_points"], metrics["test_points"]) == (160, 40)
    assert metrics["train_accuracy"] > 0.9 and 0 < metrics["train_loss"] < 0.69
    assert metrics["seconds"] > 0


def test_loss_csv_holds_the_sessions_loss_record_from_the_untrained_network(xor_run):
    header, rows = loss_rows(xor_run)
    assert header == "iteration,train_loss,test_loss,train_accuracy,test_accuracy"
    # Every iteration up to 200, then 128 per doubling of the iteration count.
    assert [int(row[0]) for row in rows] == [i for i in range(301) if RecordSchedule().wants(i)]
    train_losses = [float(row[1]) for row in rows]
    assert train_losses[-1] < train_losses[0]
    metrics = read_metrics(xor_run)
    last = dict(zip(header.split(","), rows[-1]))
    for name in ("train_loss", "test_loss", "train_accuracy", "test_accuracy"):
        assert float(last[name]) == metrics[name]


def test_saved_model_reproduces_the_metrics_on_the_saved_dataset(xor_run):
    metrics = read_metrics(xor_run)
    net = load_model(xor_run / "model.npz")
    data = load_csv(xor_run / "dataset.csv")
    assert data == make_preset("xor", n=200, noise=0.1, seed=3)
    test = data.test_mask(metrics["test_ratio"], metrics["seed"])
    train_accuracy = np.mean(net.predict(data.X[~test]) == data.y[~test])
    test_accuracy = np.mean(net.predict(data.X[test]) == data.y[test])
    assert train_accuracy == metrics["train_accuracy"]
    assert test_accuracy == metrics["test_accuracy"]


def test_boundary_png_has_the_requested_size_and_many_colours(xor_run, qapp):
    from PySide6.QtGui import QImage

    image = QImage(str(xor_run / "boundary.png"))
    assert (image.width(), image.height()) == (320, 240)
    image = image.convertToFormat(QImage.Format.Format_RGB32)
    colours = np.frombuffer(image.constBits(), np.uint32)
    assert len(np.unique(colours)) > 200


def test_prints_a_one_line_summary(tmp_path, capsys):
    assert train(tmp_path / "out", "--preset", "linear", "--layers", "") == 0
    captured = capsys.readouterr()
    assert captured.err == ""  # no progress bar when stderr is not a terminal
    summary = captured.out.strip()
    assert "\n" not in summary
    assert summary.startswith("train J ") and " | test J " in summary
    assert "300 it in " in summary and summary.endswith(f"→ {tmp_path / 'out'}")


@pytest.mark.parametrize("layers", ["", "0"])
def test_no_hidden_layer_is_the_single_neuron(tmp_path, layers):
    assert train(tmp_path, "--preset", "linear", "--layers", layers) == 0
    metrics = read_metrics(tmp_path)
    assert metrics["layer_sizes"] == [2, 1]
    assert metrics["layers"] == [] and metrics["activation"] == []
    assert metrics["test_accuracy"] == 1.0


def test_three_class_spiral_gets_a_softmax_output(tmp_path):
    assert train(tmp_path, "--preset", "spiral", "--classes", "3", "--optimizer", "adam") == 0
    assert read_metrics(tmp_path)["layer_sizes"] == [2, 8, 8, 3]
    net = load_model(tmp_path / "model.npz")
    proba = net.predict_proba(np.zeros((4, 2)))
    assert proba.shape == (4, 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)


def test_one_activation_per_layer_and_mini_batches(tmp_path):
    options = ["--layers", "6,4", "--activation", "relu, leaky_relu", "--batch-size", "32"]
    assert train(tmp_path, *options, "--l2", "0.001", "--optimizer", "momentum") == 0
    metrics = read_metrics(tmp_path)
    assert metrics["activation"] == ["relu", "leaky_relu"]
    assert metrics["batch_size"] == 32 and metrics["l2"] == 0.001
    assert metrics["epochs"] == 300 // 5  # 160 training points: 5 batches an epoch


def test_the_same_seed_gives_the_same_results(tmp_path):
    first, second = tmp_path / "first", tmp_path / "second"
    options = ["--preset", "moons", "--batch-size", "16", "--seed", "7"]
    assert train(first, *options) == 0
    assert train(second, *options) == 0
    one, two = read_metrics(first), read_metrics(second)
    del one["seconds"], two["seconds"]
    assert one == two
    for name in ("loss.csv", "dataset.csv"):
        assert (first / name).read_bytes() == (second / name).read_bytes()


def test_a_csv_dataset_without_test_set(tmp_path):
    csv = tmp_path / "mine.csv"
    save_csv(make_preset("gaussian", n=60, seed=1, n_classes=4), csv)
    out = tmp_path / "out"
    assert train(out, "--data", str(csv), "--test-ratio", "0") == 0
    metrics = read_metrics(out)
    assert (metrics["preset"], metrics["data"], metrics["noise"]) == (None, str(csv), None)
    assert (metrics["classes"], metrics["points"]) == (4, 60)
    assert metrics["test_loss"] is None and metrics["test_accuracy"] is None
    _header, rows = loss_rows(out)
    assert all(row[2] == row[4] == "" for row in rows)
    assert load_csv(out / "dataset.csv") == load_csv(csv)


def test_long_runs_log_every_early_iteration_then_fewer_and_the_last(tmp_path):
    options = ["--points", "10", "--layers", "", "--iterations", "12000"]
    assert main(["train", *options, "--image-size", "128", "--out", str(tmp_path)]) == 0
    _header, rows = loss_rows(tmp_path)
    iterations = [int(row[0]) for row in rows]
    assert iterations[:201] == list(range(201))
    # 12,000 is off the schedule (every 64th iteration there); the record ends with it anyway.
    assert iterations[-2:] == [11_968, 12_000]
    assert iterations[:-1] == [i for i in range(12_000) if RecordSchedule().wants(i)]
    assert len(iterations) < 1_000


def test_a_new_run_replaces_only_its_own_files(tmp_path, xor_run):
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    (out / "loss.csv").write_text("old")
    assert train(out, "--preset", "circles") == 0
    assert {path.name for path in out.iterdir()} == OUTPUT_FILES | {"notes.txt"}
    assert (out / "notes.txt").read_text() == "mine"
    assert (out / "loss.csv").read_text().startswith("iteration,")


def test_results_are_readable_by_others(tmp_path):
    previous = os.umask(0o022)
    try:
        assert train(tmp_path / "out", "--preset", "linear") == 0
    finally:
        os.umask(previous)
    for path in (tmp_path / "out").iterdir():
        assert path.stat().st_mode & 0o777 == 0o644, path.name


def test_progress_bar_on_a_terminal(tmp_path, monkeypatch):
    class Terminal(io.StringIO):
        def isatty(self):
            return True

    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    assert train(tmp_path, "--preset", "linear") == 0
    drawn = terminal.getvalue()
    assert drawn.startswith("\r[") and drawn.endswith("\n")
    last = drawn.strip().split("\r")[-1]
    assert last.startswith("[####################] 100%  it 300/300  J ")


# --- errors: exit 2, one line, nothing written ---------------------------------------------
def write_bad_csv(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("x1,x2,label\n1,2,0\n3,four,1\n")
    return path


def write_good_csv(tmp_path):
    path = tmp_path / "good.csv"
    save_csv(make_preset("linear", n=20), path)
    return path


BAD_ARGUMENTS = {
    "unknown preset": (["--preset", "banana"], "unknown preset 'banana'"),
    "missing data file": (["--data", "{tmp}/none.csv"], "none.csv: no such file"),
    "data a folder": (["--data", "{tmp}"], ": is a folder, not a file"),
    "data a device": (["--data", "/dev/zero"], "/dev/zero: is a device, pipe or socket"),
    "data with a line break": (["--data", "{tmp}/no\nne.csv"], "/no\\nne.csv: no such file"),
    "data with a NUL character": (["--data", "a\0b"], "'a\\x00b': not a valid file name"),
    "malformed data file": (["--data", "{bad}"], "line 3: x2 value 'four' is not a number"),
    "a class missing": (["--data", "{gap}"], "class 0 has no point): renumber them 0, 1"),
    "one class": (["--data", "{one}"], "Training needs points of at least two classes"),
    "preset and data": (["--preset", "xor", "--data", "{good}"], "either --preset or --data"),
    "classes with data": (["--data", "{good}", "--classes", "3"], "--classes only apply"),
    "too few classes": (["--preset", "spiral", "--classes", "1"], "--classes must be"),
    "too many classes": (["--preset", "spiral", "--classes", "9"], "--classes must be"),
    "classes of a binary preset": (["--preset", "xor", "--classes", "3"], "has 2 classes"),
    "layer not a number": (["--layers", "8,x"], "'x' is not a layer size"),
    "negative layer": (["--layers=-8"], "'-8' is not a layer size"),
    "empty layer": (["--layers", "8,,8"], "'' is not a layer size"),
    "layer too wide": (["--layers", "65"], "'65' is not a layer size 1…64"),
    "too many layers": (["--layers", "2,2,2,2,2,2,2,2,2"], "at most 8 hidden layers"),
    "unknown activation": (["--activation", "swish"], "unknown activation 'swish'"),
    "activation count": (["--activation", "relu,tanh,relu"], "need 1 or 2 names, got 3"),
    "activations of no layer": (
        ["--layers", "", "--activation", "relu,tanh"],
        "--activation: there is no hidden layer, so one name at most, got 2",
    ),
    "activations of one layer": (
        ["--layers", "4", "--activation", "relu,tanh"],
        "--activation: 1 hidden layer takes 1 name, got 2",
    ),
    "zero learning rate": (["--lr", "0"], "--lr must be a positive number"),
    "negative learning rate": (["--lr=-0.1"], "--lr must be a positive number"),
    "NaN learning rate": (["--lr", "nan"], "--lr must be a positive number"),
    "infinite learning rate": (["--lr", "inf"], "--lr must be a positive number"),
    "zero batch size": (["--batch-size", "0"], "--batch-size must be at least 1"),
    "negative L2": (["--l2=-1"], "L2 must be a non-negative number"),
    "no iterations": (["--iterations", "0"], "--iterations must be between 1"),
    "too many iterations": (["--iterations", "10000001"], "--iterations must be between 1"),
    "test ratio too large": (["--test-ratio", "0.95"], "--test-ratio must be between 0"),
    "negative test ratio": (["--test-ratio=-0.1"], "--test-ratio must be between 0"),
    "no points": (["--points", "0"], "--points must be between 1"),
    "noise above 1": (["--noise", "2"], "--noise must be between 0 and 1"),
    "negative seed": (["--seed=-1"], "--seed must be between 0"),
    "tiny image": (["--image-size", "20"], "--image-size: each side"),
    "malformed image size": (["--image-size", "big"], "give PIXELS or WIDTHxHEIGHT"),
    "layer a superscript": (["--layers", "²"], "'²' is not a layer size"),
    "superscript among layers": (["--layers", "8,¹"], "'¹' is not a layer size"),
    "layer a circled digit": (["--layers", "①"], "'①' is not a layer size"),
    "layer an Arabic-Indic digit": (["--layers", "٣"], "'٣' is not a layer size"),
    "layer a full-width digit": (["--layers", "８"], "'８' is not a layer size"),
    "image size a superscript": (["--image-size", "²"], "give PIXELS or WIDTHxHEIGHT"),
    "image size in Devanagari digits": (["--image-size", "३००"], "give PIXELS or WIDTHxHEIGHT"),
    "image size beyond int()": (["--image-size", "9" * 5000], "give PIXELS or WIDTHxHEIGHT"),
    "points an Arabic-Indic digit": (["--points", "٣"], "--points: '٣' is not a whole number"),
    "seed a superscript": (["--seed", "²"], "--seed: '²' is not a whole number"),
    "iterations with underscores": (["--iterations", "1_000"], "'1_000' is not a whole"),
    "learning rate in Arabic-Indic digits": (["--lr", "٠.١"], "--lr: '٠.١' is not a number"),
    "argparse: not a number": (["--lr", "fast"], "--lr: 'fast' is not a number"),
    "argparse: unknown option": (["--speed", "3"], "unrecognized arguments: --speed 3"),
    "argparse: unknown optimizer": (["--optimizer", "lbfgs"], "invalid choice: 'lbfgs'"),
    "divergence": (["--preset", "xor", "--lr", "1e6"], "training diverged at iteration"),
}


def write_csv(path, text):
    path.write_text(text)
    return path


def assert_one_error_line(stderr, expected):
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert lines[0].startswith("mlpviz: error: ")
    assert expected in lines[0]
    assert "Traceback" not in stderr


@pytest.mark.parametrize(("options", "expected"), BAD_ARGUMENTS.values(), ids=BAD_ARGUMENTS)
def test_bad_arguments_exit_2_with_one_line_and_write_nothing(tmp_path, capsys, options, expected):
    files = {
        "tmp": tmp_path,
        "bad": write_bad_csv(tmp_path),
        "good": write_good_csv(tmp_path),
        "gap": write_csv(tmp_path / "gap.csv", "x1,x2,label\n0,0,1\n1,1,2\n2,2,1\n"),
        "one": write_csv(tmp_path / "one.csv", "x1,x2,label\n0,0,0\n1,1,0\n2,2,0\n"),
    }
    options = [option.format(**files) for option in options]
    before = set(tmp_path.iterdir())
    assert main(["train", *options, "--out", str(tmp_path / "out")]) == 2
    captured = capsys.readouterr()
    assert_one_error_line(captured.err, expected)
    assert captured.out == ""
    assert set(tmp_path.iterdir()) == before


def test_out_must_not_be_a_file(tmp_path, capsys):
    existing = tmp_path / "results"
    existing.write_text("keep me")
    assert main(["train", "--out", str(existing)]) == 2
    assert_one_error_line(capsys.readouterr().err, f"error: --out {existing}: is a file, not")
    assert existing.read_text() == "keep me"
    assert main(["train", "--out", str(existing / "below")]) == 2
    expected = f"error: --out {existing / 'below'}: {existing} is a file, not a directory"
    assert_one_error_line(capsys.readouterr().err, expected)


@pytest.fixture
def nothing_trained(monkeypatch):
    """Fail the test if a run gets as far as making its data, let alone training."""

    def too_late(*args, **kwargs):
        raise AssertionError("the data was made before --out was checked")

    monkeypatch.setattr(mlpviz.cli, "make_preset", too_late)


@pytest.fixture
def unwritable_folder(tmp_path):
    """A folder no file can be created in: read-only for a user; for root, /sys if it is."""
    if os.geteuid() != 0:
        folder = tmp_path / "read-only"
        folder.mkdir()
        folder.chmod(0o555)
        yield folder
        folder.chmod(0o755)
        return
    try:
        tempfile.TemporaryFile(dir="/sys").close()
    except OSError:
        yield Path("/sys")
    else:
        pytest.skip("root can write everywhere here")


@pytest.mark.parametrize("below", ["", "new/deeper"])
def test_an_unwritable_out_is_refused_before_training(
    unwritable_folder, below, capsys, nothing_trained
):
    out = unwritable_folder / below
    before = sorted(os.listdir(unwritable_folder))
    assert train(out) == 2
    captured = capsys.readouterr()
    assert_one_error_line(captured.err, f"--out {out}: ")
    assert captured.out == ""
    assert sorted(os.listdir(unwritable_folder)) == before


BAD_OUT = {
    "empty": ("", "--out needs a folder name"),
    "NUL character": ("a\0b", "--out 'a\\x00b': not a valid file name"),
    "lone surrogate": ("\ud800", "--out '\\ud800': not a valid file name"),
    "name too long": ("{tmp}/" + "x" * 300, "File name too long"),
    "unknown user's home": ("~no-such-user-mlpviz/out", "--out ~no-such-user-mlpviz/out: "),
}


@pytest.mark.parametrize(("out", "expected"), BAD_OUT.values(), ids=BAD_OUT)
def test_a_bad_out_is_refused_before_training(tmp_path, capsys, nothing_trained, out, expected):
    assert train(out.format(tmp=tmp_path)) == 2
    assert_one_error_line(capsys.readouterr().err, expected)
    assert list(tmp_path.iterdir()) == []


def test_a_folder_named_like_a_result_is_refused_before_training(tmp_path, capsys, nothing_trained):
    (tmp_path / "model.npz").mkdir()
    (tmp_path / "model.npz" / "mine").write_text("keep me")
    assert train(tmp_path) == 2
    assert_one_error_line(capsys.readouterr().err, f"{tmp_path / 'model.npz'} is a folder")
    assert [path.name for path in tmp_path.iterdir()] == ["model.npz"]
    assert (tmp_path / "model.npz" / "mine").read_text() == "keep me"


def test_a_failed_run_leaves_previous_results_untouched(tmp_path, xor_run, capsys):
    out = tmp_path / "out"
    out.mkdir()
    for name in OUTPUT_FILES:
        (out / name).write_bytes((xor_run / name).read_bytes())
    assert main(["train", "--lr", "1e6", "--out", str(out)]) == 2
    for name in OUTPUT_FILES:
        assert (out / name).read_bytes() == (xor_run / name).read_bytes()
    assert [path.name for path in tmp_path.iterdir()] == ["out"]


def contents(folder):
    """Every entry of ``folder``, hidden ones too, with the bytes of each file."""
    return {path.name: path.read_bytes() for path in folder.iterdir()}


@pytest.fixture
def old_results(tmp_path, xor_run):
    """A folder holding a previous run's results and a file of the user's."""
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    for name in OUTPUT_FILES:
        (out / name).write_bytes((xor_run / name).read_bytes())
    return out


def fail_once(monkeypatch, error, source=None, target=None):
    """Make the first os.replace from ``source`` or to ``target`` raise ``error``."""
    real_replace = os.replace
    failed = []

    def replace(from_path, to_path):
        if not failed and (Path(from_path) == source or Path(to_path) == target):
            failed.append(from_path)
            raise error
        return real_replace(from_path, to_path)

    monkeypatch.setattr(os, "replace", replace)


SWAP_FAILURES = {
    "disk full moving an old file aside": ("source", OSError(28, "No space left on device"), 1),
    "disk full moving a new file in": ("target", OSError(28, "No space left on device"), 1),
    "Ctrl-C moving an old file aside": ("source", KeyboardInterrupt(), 130),
    "Ctrl-C moving a new file in": ("target", KeyboardInterrupt(), 130),
}


@pytest.mark.parametrize(("where", "error", "status"), SWAP_FAILURES.values(), ids=SWAP_FAILURES)
def test_a_failure_while_swapping_leaves_every_old_result(
    old_results, capsys, monkeypatch, where, error, status
):
    before = contents(old_results)
    fail_once(monkeypatch, error, **{where: old_results / "model.npz"})
    assert train(old_results, "--seed", "5") == status
    assert_one_error_line(capsys.readouterr().err, f"; nothing in {old_results} was changed")
    assert contents(old_results) == before
    assert [path.name for path in old_results.parent.iterdir()] == ["out"]


def test_when_undoing_a_failed_swap_fails_the_message_says_where_the_old_results_are(
    old_results, capsys, monkeypatch, xor_run
):
    real_replace = os.replace

    def replace(source, target):
        if Path(target) == old_results / "model.npz":
            raise OSError(5, "Input/output error")
        return real_replace(source, target)

    monkeypatch.setattr(os, "replace", replace)
    assert train(old_results, "--seed", "5") == 1
    line = capsys.readouterr().err.strip()
    assert_one_error_line(line, f"{old_results} may hold a mix of old and new result files")
    backup = Path(line.rpartition(" are in ")[2])
    assert backup.parent == old_results
    assert contents(backup) == {"model.npz": (xor_run / "model.npz").read_bytes()}


def test_an_interruption_after_the_swap_says_the_new_results_are_there(
    old_results, capsys, monkeypatch
):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(mlpviz.cli, "_summary", interrupted)
    assert train(old_results, "--seed", "5") == 130
    assert_one_error_line(capsys.readouterr().err, f"; {old_results} holds the new results")
    assert read_metrics(old_results)["seed"] == 5
    assert set(contents(old_results)) == OUTPUT_FILES | {"notes.txt"}


def test_the_missing_out_directory_is_created(tmp_path):
    out = tmp_path / "figs" / "week 3"
    assert train(out, "--preset", "linear") == 0
    assert {path.name for path in out.iterdir()} == OUTPUT_FILES


def test_ctrl_c_while_training_exits_130_and_writes_nothing(tmp_path, capsys, monkeypatch):
    real_step = Trainer.step

    def step_until_interrupted(trainer, *args):
        if trainer.iteration == 5:
            raise KeyboardInterrupt
        return real_step(trainer, *args)

    monkeypatch.setattr(Trainer, "step", step_until_interrupted)
    assert train(tmp_path / "out") == 130
    assert_one_error_line(capsys.readouterr().err, "interrupted")
    assert list(tmp_path.iterdir()) == []


def test_ctrl_c_while_writing_leaves_no_partial_output(tmp_path, capsys, monkeypatch):
    import mlpviz.render

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(mlpviz.render, "render_boundary", interrupted)
    assert train(tmp_path / "out") == 130
    assert_one_error_line(capsys.readouterr().err, "interrupted")
    assert list(tmp_path.iterdir()) == []


def test_a_write_failure_exits_1_with_one_line(tmp_path, capsys, monkeypatch):
    def disk_full(net, path):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(mlpviz.cli, "save_model", disk_full)
    assert train(tmp_path / "out") == 1
    assert_one_error_line(capsys.readouterr().err, "No space left on device")
    assert list(tmp_path.iterdir()) == []


# --- signals: a real process, stopped while training or while writing ----------------------
STOPS = {
    "Ctrl-C": (signal.SIGINT, 130, "interrupted"),
    "SIGTERM": (signal.SIGTERM, 143, "terminated"),
}


def start(out, *options, stderr, stdout=subprocess.PIPE):
    """``python -m mlpviz.cli train … --out out`` as a child process, Ctrl-C not ignored."""
    command = [sys.executable, "-m", "mlpviz.cli", "train", *options, "--out", str(out)]
    return subprocess.Popen(
        command,
        stdin=subprocess.DEVNULL,
        stdout=stdout,
        stderr=stderr,
        # A shell runs background jobs with SIGINT ignored, and children inherit that.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )


def read_terminal(fd, *, redraws=None):
    """What the child wrote to the terminal ``fd``: all until it ends, or ``redraws`` redraws
    of the progress bar (each starts with a carriage return)."""
    text = ""
    while select.select([fd], [], [], 30)[0]:
        try:
            text += os.read(fd, 65536).decode()
        except OSError:  # EIO: the child has closed its side
            break
        if redraws is not None and text.count("\r") >= redraws:
            break
    return text


def assert_stopped(child, stdout, stderr, status, expected):
    """The child ended with ``status``; its last line on stderr is the one error line."""
    assert child.returncode == status, stderr
    assert stdout == b""
    lines = [line for line in re.split(r"[\r\n]+", stderr) if line.strip()]
    assert "Traceback" not in stderr and stderr.count("mlpviz: error: ") == 1, stderr
    assert lines[-1].startswith("mlpviz: error: ") and expected in lines[-1], stderr


@pytest.mark.skipif(os.name != "posix", reason="POSIX signals and terminals")
@pytest.mark.parametrize(("signum", "status", "word"), STOPS.values(), ids=STOPS)
def test_a_signal_while_training_leaves_the_old_results(old_results, signum, status, word):
    before = contents(old_results)
    terminal, child_side = pty.openpty()  # the progress bar shows when training has begun
    child = start(old_results, "--iterations", "10000000", stderr=child_side)
    os.close(child_side)
    try:
        # The second redraw, not the first: a stop right after the first draw leaves the bar's
        # line unended (_Progress notes that it drew only after drawing).
        started = read_terminal(terminal, redraws=2)
        assert started.count("\r") >= 2, f"no progress within 30 s: {started!r}"
        child.send_signal(signum)
        stdout, _ = child.communicate(timeout=30)
        stderr = started + read_terminal(terminal)
    finally:
        os.close(terminal)
        child.kill()
    expected = f"{word}; nothing in {old_results} was changed"
    assert_stopped(child, stdout, stderr, status, expected)
    assert contents(old_results) == before
    assert [path.name for path in old_results.parent.iterdir()] == ["out"]


@pytest.mark.skipif(os.name != "posix", reason="POSIX signals")
@pytest.mark.parametrize(("signum", "status", "word"), STOPS.values(), ids=STOPS)
def test_a_signal_while_writing_leaves_no_staging_folder(old_results, signum, status, word):
    before = contents(old_results)
    parent = old_results.parent
    # 100,000 points take over a second to draw and save: time to stop it while writing.
    options = ["--iterations", "1", "--points", "100000", "--layers", "", "--image-size", "256"]
    child = start(old_results, *options, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        while set(os.listdir(old_results)) == set(before) and os.listdir(parent) == ["out"]:
            assert time.monotonic() < deadline and child.poll() is None, "nothing was staged"
            time.sleep(0.002)
        child.send_signal(signum)
        stdout, stderr = child.communicate(timeout=30)
    finally:
        child.kill()
    expected = f"{word}; nothing in {old_results} was changed"
    assert_stopped(child, stdout, stderr.decode(), status, expected)
    assert contents(old_results) == before
    assert os.listdir(parent) == ["out"]


def test_ctrl_c_while_swapping_waits_until_the_new_results_are_in(old_results, capsys, monkeypatch):
    real_replace = os.replace

    def replace(source, target):
        if Path(source) == old_results / "model.npz":  # in the middle of the swap
            os.kill(os.getpid(), signal.SIGINT)
        return real_replace(source, target)

    monkeypatch.setattr(os, "replace", replace)
    assert train(old_results, "--seed", "5") == 130
    expected = f"interrupted; {old_results} holds the new results"
    assert_one_error_line(capsys.readouterr().err, expected)
    assert read_metrics(old_results)["seed"] == 5
    assert set(contents(old_results)) == OUTPUT_FILES | {"notes.txt"}


# --- fuzzing: any argument list ends in exit 0 or in one error line with exit 2 -------------
HOSTILE_VALUES = [
    *["", " ", "-1", "+3", "0", "1e999", "nan", "-inf", "1_0", "0x10", "1e-320", "9" * 40],
    *["1e308", "-1e-308", "2" * 5000],
    *["²", "٣", "８", "①", "8,", ",", "8,,8", "128x", "x", "2x3x4", "relu,", "tanh, relu"],
    *["a\0b", "\udcff", "~nobody/x", ".", "/dev/zero", "/dev/null", "--lr", "-h"],
]
TRAIN_OPTIONS = {
    "--preset": st.sampled_from([*PRESETS, "Xor"]),
    "--data": st.just("{tmp}/none.csv"),
    "--classes": st.integers(-1, 9).map(str),
    "--points": st.integers(-1, 300).map(str),
    "--noise": st.floats(-0.5, 1.5).map(repr),
    "--test-ratio": st.floats(-0.1, 1.0).map(repr),
    "--layers": st.lists(st.integers(-1, 70), max_size=9).map(lambda s: ",".join(map(str, s))),
    "--activation": st.sampled_from([*ACTIVATIONS, "relu,tanh", "softmax"]),
    "--init": st.sampled_from([*INITS, "zeros"]),
    "--optimizer": st.sampled_from([*OPTIMIZERS, "lbfgs"]),
    "--lr": st.floats(1e-6, 10).map(repr),
    "--batch-size": st.integers(-1, 10**30).map(str),
    "--l2": st.floats(0, 1).map(repr),
    "--seed": st.integers(-1, MAX_SEED + 1).map(str),
    "--image-size": st.sampled_from(["0", "127", "128", "300x128", "129X200", "8193", "200x"]),
}
hostile = st.sampled_from(HOSTILE_VALUES) | st.text(max_size=6)
option_lists = st.lists(
    st.sampled_from(sorted(TRAIN_OPTIONS)).flatmap(
        lambda option: st.tuples(
            st.just(option),
            # Mostly sensible values, so that many lists get past the checks and train.
            st.one_of(*[TRAIN_OPTIONS[option]] * 3, hostile),
        )
    ),
    max_size=5,
)


@settings(
    max_examples=120,
    deadline=None,
    derandomize=True,  # the same examples on every run: a failure here is reproducible
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(options=option_lists)
def test_any_train_arguments_end_in_success_or_one_error_line(tmp_path, capsys, options):
    out = tmp_path / "out"
    argv = [value.replace("{tmp}", str(tmp_path)) for pair in options for value in pair]
    # Fixed last (the last of an option wins), so that every run that starts is quick.
    status = main(["train", *argv, "--iterations", "1", "--points", "20", "--out", str(out)])
    captured = capsys.readouterr()
    if status == 0:
        assert captured.err == "" and captured.out.count("\n") == 1
        assert {path.name for path in out.iterdir()} == OUTPUT_FILES
    else:
        assert status == 2, captured.err
        assert_one_error_line(captured.err, "")
    assert [path.name for path in tmp_path.iterdir()] in ([], ["out"])


def closed_pipe():
    """The writing end of a pipe nobody reads: ``mlpviz train … | true``."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    return write_end


def full_disk():
    """``mlpviz train … > /dev/full``."""
    if not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full here")
    return os.open("/dev/full", os.O_WRONLY)


@pytest.mark.parametrize("stdout", [closed_pipe, full_disk], ids=["closed pipe", "full disk"])
def test_a_summary_that_cannot_be_printed_is_one_error_line(tmp_path, stdout):
    out = tmp_path / "out"
    fd = stdout()
    try:
        options = ["--iterations", "1", "--image-size", "128"]
        child = start(out, *options, stdout=fd, stderr=subprocess.PIPE)
    finally:
        os.close(fd)
    stderr = child.communicate(timeout=60)[1].decode()
    assert child.returncode == 1
    assert_one_error_line(stderr, "error: cannot print: ")
    assert stderr.rstrip().endswith(f"; {out} holds the new results")
    assert {path.name for path in out.iterdir()} == OUTPUT_FILES


# --- the app branch, help, version ---------------------------------------------------------
@pytest.fixture
def fake_app(monkeypatch):
    """Replace mlpviz.gui.app so that no window opens; records run_app's arguments."""
    calls = []
    module = types.ModuleType("mlpviz.gui.app")
    module.run_app = lambda csv_path=None: calls.append(csv_path) or 0
    monkeypatch.setitem(sys.modules, "mlpviz.gui.app", module)
    return calls


def test_no_arguments_opens_the_app(fake_app):
    assert main([]) == 0
    assert fake_app == [None]


@pytest.mark.parametrize("command", [["gui"], []])
def test_a_csv_argument_opens_the_app_on_it(tmp_path, fake_app, command):
    csv = write_good_csv(tmp_path)
    assert main([*command, str(csv)]) == 0
    assert fake_app == [str(csv)]


def a_fifo(tmp_path):
    os.mkfifo(tmp_path / "pipe")
    return "{tmp}/pipe"


NOT_A_DATASET_FILE = {
    "missing": (lambda tmp_path: "{tmp}/nowhere.csv", "{tmp}/nowhere.csv: no such file"),
    "below a file": (lambda tmp_path: f"{write_good_csv(tmp_path)}/x.csv", "good.csv/x.csv: no"),
    "a folder": (lambda tmp_path: "{tmp}", "{tmp}: is a folder, not a file"),
    "a FIFO": (a_fifo, "{tmp}/pipe: is a device, pipe or socket, not a file"),
    "a device": (lambda tmp_path: "/dev/null", "/dev/null: is a device, pipe or socket"),
    "a NUL character": (lambda tmp_path: "a\0b", "'a\\x00b': not a valid file name"),
}


@pytest.mark.parametrize(("make", "expected"), NOT_A_DATASET_FILE.values(), ids=NOT_A_DATASET_FILE)
def test_the_app_refuses_what_is_not_a_dataset_file(tmp_path, fake_app, capsys, make, expected):
    assert main([make(tmp_path).format(tmp=tmp_path)]) == 2
    assert_one_error_line(capsys.readouterr().err, expected.format(tmp=tmp_path))
    assert fake_app == []


def test_a_session_file_argument_opens_the_app_on_it(tmp_path, fake_app):
    session = tmp_path / "run.mlpviz"
    session.write_bytes(b"the app checks the content")
    assert main([str(session)]) == 0
    assert fake_app == [str(session)]


def test_a_pipe_as_data_is_refused_without_blocking(tmp_path, capsys):
    fifo = tmp_path / "points.csv"
    os.mkfifo(fifo)  # nothing ever writes to it: reading would block forever
    assert train(tmp_path / "out", "--data", str(fifo)) == 2
    assert "is a device, pipe or socket, not a file" in capsys.readouterr().err


def test_help_and_version(capsys):
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == "mlpviz 0.1.0"
    assert main(["train", "--help"]) == 0
    help_text = capsys.readouterr().out
    assert "--out DIR" in help_text and "--session FILE.mlpviz" in help_text
    assert "learning rate α (default: 0.1)" in help_text  # defaults show as values
    assert main(["export", "--help"]) == 0
    assert "--at ITERATION" in capsys.readouterr().out


def test_importing_the_cli_and_refusing_arguments_do_not_load_qt(tmp_path):
    script = (
        "import sys\n"
        "from mlpviz.cli import main\n"
        f"assert main(['train', '--lr', '0', '--out', {str(tmp_path)!r}]) == 2\n"
        "assert not [m for m in sys.modules if m.startswith(('PySide6', 'pyqtgraph'))]\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


# --- sessions: --save-session, --session, export ------------------------------------------
def train_and_save(out, session, *options):
    return train(out, "--save-session", str(session), *options)


def same_model(first, second) -> bool:
    return np.array_equal(
        load_model(first / "model.npz").params, load_model(second / "model.npz").params
    )


MEASURED = ("train_loss", "test_loss", "train_accuracy", "test_accuracy", "iterations", "epochs")


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "adam"])
def test_a_saved_session_continues_exactly_as_one_long_run(tmp_path, optimizer):
    options = ["--preset", "moons", "--optimizer", optimizer, "--batch-size", "24", "--l2", "0.01"]
    assert train(tmp_path / "straight", *options) == 0  # 300 iterations
    half = ["--iterations", "150"]
    assert train_and_save(tmp_path / "first", tmp_path / "half.mlpviz", *options, *half) == 0
    continued = ["--session", str(tmp_path / "half.mlpviz"), *half, "--image-size", "128"]
    assert main(["train", *continued, "--out", str(tmp_path / "second")]) == 0
    assert same_model(tmp_path / "straight", tmp_path / "second")
    straight, second = read_metrics(tmp_path / "straight"), read_metrics(tmp_path / "second")
    assert [straight[key] for key in MEASURED] == [second[key] for key in MEASURED]
    assert second["session"] == str(tmp_path / "half.mlpviz") and second["preset"] is None
    for name in ("loss.csv", "dataset.csv"):
        assert (tmp_path / "straight" / name).read_bytes() == (
            tmp_path / "second" / name
        ).read_bytes()


def test_a_continued_session_can_be_saved_again_and_says_what_it_did(tmp_path, capsys):
    first, second = tmp_path / "first.mlpviz", tmp_path / "second.mlpviz"
    assert train_and_save(tmp_path / "a", first, "--preset", "linear", "--iterations", "40") == 0
    capsys.readouterr()
    again = ["train", "--session", str(first), "--iterations", "60", "--save-session", str(second)]
    assert main([*again, "--out", str(tmp_path / "b")]) == 0
    summary = capsys.readouterr().out
    assert "| 60 it in " in summary and " s (100 in all) → " in summary
    assert read_metrics(tmp_path / "b")["iterations"] == 100
    assert main(["export", str(second), "--out", str(tmp_path / "c")]) == 0
    assert same_model(tmp_path / "b", tmp_path / "c")


def test_export_at_an_iteration_gives_the_run_that_stopped_there(tmp_path, capsys):
    options = ["--preset", "circles", "--optimizer", "adam", "--batch-size", "16"]
    session = tmp_path / "run.mlpviz"
    assert train_and_save(tmp_path / "run", session, *options, "--iterations", "1000") == 0
    for asked, used in ((100, 100), (333, 332)):  # past 256 every other iteration is kept
        out, short = tmp_path / f"at{asked}", tmp_path / f"short{asked}"
        capsys.readouterr()
        export = ["export", str(session), "--at", str(asked), "--image-size", "128"]
        assert main([*export, "--out", str(out)]) == 0
        assert f"| iteration {used} → {out}" in capsys.readouterr().out
        assert train(short, *options, "--iterations", str(used)) == 0
        assert same_model(out, short)
        assert read_metrics(out)["iterations"] == used and read_metrics(out)["seconds"] is None
        assert (out / "loss.csv").read_bytes() == (short / "loss.csv").read_bytes()
    assert main(["export", str(session), "--out", str(tmp_path / "last")]) == 0
    assert same_model(tmp_path / "last", tmp_path / "run")
    assert {
        path.name for path in (tmp_path / "last").iterdir()
    } == OUTPUT_FILES | EXPORT_FIGURES | {"model.py"}


def test_export_writes_the_figures_of_the_views_at_slide_sizes(tmp_path, capsys, qapp):
    import xml.etree.ElementTree as ET

    from PySide6.QtGui import QImage

    session = tmp_path / "run.mlpviz"
    options = ["--preset", "spiral", "--classes", "3", "--layers", "6", "--iterations", "60"]
    assert train_and_save(tmp_path / "run", session, *options) == 0
    out = tmp_path / "figures"
    assert main(["export", str(session), "--out", str(out), "--at", "40"]) == 0
    sizes = {"loss.png": (1600, 900), "weights.png": (1600, 1200), "sheet.png": (3200, 1800)}
    for name, size in sizes.items():
        image = QImage(str(out / name))
        assert (image.width(), image.height()) == size, name
    for name, size in (("boundary.svg", ("800px", "800px")), ("loss.svg", ("1600px", "900px"))):
        root = ET.parse(out / name).getroot()  # well-formed
        assert root.tag == "{http://www.w3.org/2000/svg}svg"
        assert (root.get("width"), root.get("height")) == size
        assert list(root.iter("{http://www.w3.org/2000/svg}text")), "text is text"
    rows = (out / "loss.csv").read_text().splitlines()
    assert rows[0] == "iteration,train_loss,test_loss,train_accuracy,test_accuracy"
    assert rows[-1].startswith("40,")  # --at 40: the record stops there
    assert {path.name for path in out.iterdir()} == OUTPUT_FILES | EXPORT_FIGURES | {"model.py"}
    assert QImage(str(out / "feature_space.png")).size().toTuple() == (1600, 900)


def test_export_of_a_net_without_hidden_layer_has_no_feature_space(tmp_path, qapp):
    session = tmp_path / "run.mlpviz"
    assert train_and_save(tmp_path / "run", session, "--layers", "0", "--iterations", "5") == 0
    assert main(["export", str(session), "--out", str(tmp_path / "figures")]) == 0
    written = {path.name for path in (tmp_path / "figures").iterdir()}
    assert written == OUTPUT_FILES | EXPORT_FIGURES - {"feature_space.png"} | {"model.py"}


def gif_pictures(path):
    """The frames of the GIF at ``path`` as (h, w, 3) float arrays."""
    with Image.open(path) as gif:
        pictures = []
        for index in range(gif.n_frames):
            gif.seek(index)
            pictures.append(np.asarray(gif.convert("RGB")).astype(float))
    return pictures


def first_checkpoint_picture(session_path, side):
    """What the animation's first frame must show: checkpoint 0 of the saved run."""
    from mlpviz.render_animation import render_frame, rgb_array, timeline_frames  # Qt

    first = timeline_frames(Session.load(session_path), last=0)[0]
    assert first.snapshot.iteration == 0
    return rgb_array(render_frame(first, ["dataPlane"], side, 0.0)).astype(float)


def test_train_gif_replays_the_runs_own_timeline(tmp_path, qapp):
    out, session = tmp_path / "out", tmp_path / "run.mlpviz"
    assert train_and_save(out, session, "--iterations", "40", "--gif") == 0
    assert {path.name for path in out.iterdir()} == OUTPUT_FILES | {"boundary.gif"}
    pictures = gif_pictures(out / "boundary.gif")
    assert len(pictures) == 41  # one frame per checkpoint, iterations 0…40
    assert len({picture.tobytes() for picture in pictures}) >= 20
    side = 240 // 16 * 16  # as large as boundary.png (320x240 here), up to 480
    assert pictures[0].shape[1] == side
    assert np.abs(pictures[0] - first_checkpoint_picture(session, side)).mean() < 1.0
    assert train(out) == 0  # the next run, without --gif, leaves no stale animation
    assert {path.name for path in out.iterdir()} == OUTPUT_FILES


def test_export_writes_model_py_and_with_gif_the_animation_up_to_at(tmp_path, qapp):
    session = tmp_path / "run.mlpviz"
    assert train_and_save(tmp_path / "run", session, "--iterations", "60") == 0
    out = tmp_path / "out"
    export = ["export", str(session), "--at", "30", "--image-size", "200", "--gif"]
    assert main([*export, "--out", str(out)]) == 0
    assert {path.name for path in out.iterdir()} == OUTPUT_FILES | EXPORT_FIGURES | OPTIONAL_FILES
    pictures = gif_pictures(out / "boundary.gif")
    assert len(pictures) == 31  # the timeline up to --at 30
    assert np.abs(pictures[0] - first_checkpoint_picture(session, 192)).mean() < 1.0
    values = {
        node.targets[0].id: node.value
        for node in ast.parse((out / "model.py").read_text()).body
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name)
    }
    net = load_model(out / "model.npz")
    for W, b, W_text, b_text in zip(
        net.weights, net.biases, *map(ast.literal_eval, (values["WEIGHTS"], values["BIASES"]))
    ):
        assert np.array_equal(np.array(W_text), W) and np.array_equal(np.array(b_text), b)


SAMPLE_SETTINGS = {
    "--preset": "xor",
    "--data": "points.csv",
    "--classes": "2",
    "--points": "50",
    "--noise": "0.1",
    "--test-ratio": "0.2",
    "--layers": "8,8",
    "--activation": "tanh",
    "--init": "xavier",
    "--optimizer": "sgd",
    "--lr": "0.1",
    "--batch-size": "8",
    "--l2": "0",
    "--seed": "0",
}


def test_every_data_network_and_training_option_is_refused_with_session():
    """SETTING_OPTIONS must follow the parser: a new option there is refused with --session
    too (argparse lists a group's options only through its private attributes)."""
    train_parser = mlpviz.cli._parser()._subparsers._group_actions[0].choices["train"]
    settings = {
        option
        for group in train_parser._action_groups
        if group.title in ("data", "network", "training")
        for action in group._group_actions
        for option in action.option_strings
    }
    assert settings - {"--iterations"} == set(SAMPLE_SETTINGS)


@pytest.mark.parametrize(("option", "value"), SAMPLE_SETTINGS.items())
def test_session_with_a_setting_exits_2_with_one_line(tmp_path, capsys, option, value):
    session = tmp_path / "run.mlpviz"
    session.write_bytes(b"never read: the options are checked first")
    argv = ["train", "--session", str(session), option, value, "--out", str(tmp_path / "out")]
    assert main(argv) == 2
    assert_one_error_line(capsys.readouterr().err, f"{option} cannot be used with --session")
    assert not (tmp_path / "out").exists()


def newer_session(tmp_path):
    """A session file written by a future mlpviz."""
    path = tmp_path / "future.mlpviz"
    assert train_and_save(tmp_path / "run", path, "--preset", "linear", "--iterations", "5") == 0
    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    manifest = json.loads(members["manifest.json"])
    manifest["format_version"] += 1
    members["manifest.json"] = json.dumps(manifest).encode()
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


@pytest.mark.parametrize("command", ["export", "continue"])
def test_bad_session_files_exit_2_with_one_line_and_write_nothing(tmp_path, capsys, command):
    garbage = tmp_path / "garbage.mlpviz"
    garbage.write_text("x1,x2,label\n")
    cases = {
        tmp_path / "missing.mlpviz": "missing.mlpviz: no such file",
        garbage: "not a zip archive",
        newer_session(tmp_path): "made by a newer mlpviz",
    }
    capsys.readouterr()
    for path, expected in cases.items():
        out = tmp_path / "out"
        if command == "export":
            argv = ["export", str(path), "--out", str(out)]
        else:
            argv = ["train", "--session", str(path), "--iterations", "5", "--out", str(out)]
        assert main(argv) == 2
        assert_one_error_line(capsys.readouterr().err, expected)
        assert not out.exists()


def test_the_session_is_saved_only_when_the_run_succeeded(tmp_path, capsys):
    session, out = tmp_path / "run.mlpviz", str(tmp_path / "out")
    assert main(["train", "--lr", "1e6", "--save-session", str(session), "--out", out]) == 2
    assert_one_error_line(capsys.readouterr().err, "training diverged")
    assert list(tmp_path.iterdir()) == []
    nowhere = str(tmp_path / "nowhere" / "run.mlpviz")
    assert main(["train", "--save-session", nowhere, "--out", out]) == 2
    assert_one_error_line(capsys.readouterr().err, "there is no folder")


def test_a_session_write_failure_exits_1_with_one_line(tmp_path, capsys, monkeypatch):
    def disk_full(session, path):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Session, "save", disk_full)
    assert train_and_save(tmp_path / "out", tmp_path / "run.mlpviz") == 1
    assert_one_error_line(capsys.readouterr().err, "cannot write the session")
    assert not (tmp_path / "run.mlpviz").exists()


def test_export_refuses_a_negative_iteration(tmp_path, capsys):
    assert main(["export", "run.mlpviz", "--at=-1", "--out", str(tmp_path / "out")]) == 2
    assert_one_error_line(capsys.readouterr().err, "--at must be at least 0")


# --- end to end ------------------------------------------------------------------------------
def test_module_entry_point_trains_headless_end_to_end(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "QT_QPA_PLATFORM")}
    out = tmp_path / "figs"
    command = [sys.executable, "-m", "mlpviz.cli", "train", "--preset", "moons", *FAST]
    result = subprocess.run(
        [*command, "--out", str(out)], capture_output=True, text=True, env=env, cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert result.stdout.startswith("train J ") and result.stdout.count("\n") == 1
    assert {path.name for path in out.iterdir()} == OUTPUT_FILES
    assert read_metrics(out)["preset"] == "moons"
    assert (out / "boundary.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_main_py_passes_its_arguments_through():
    result = subprocess.run(
        [sys.executable, str(ROOT / "main.py"), "--version"], capture_output=True, text=True
    )
    assert (result.returncode, result.stdout.strip()) == (0, "mlpviz 0.1.0")


def test_a_stop_that_a_library_turns_into_another_error_is_still_a_stop(old_results, monkeypatch):
    """Ctrl-C inside np.savez's zip writing comes out of zipfile's clean-up as a ValueError:
    it is still an interruption (exit 130, the old results untouched), not a failure."""
    from mlpviz.core import model_io

    before = contents(old_results)
    real_savez = np.savez

    def savez_interrupted(*args, **kwargs):
        try:
            raise KeyboardInterrupt
        finally:
            raise ValueError("Can't close the ZIP file while there is an open writing handle")

    monkeypatch.setattr(model_io.np, "savez", savez_interrupted)
    assert train(old_results, "--seed", "5") == 130
    monkeypatch.setattr(model_io.np, "savez", real_savez)
    assert contents(old_results) == before
