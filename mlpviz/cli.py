"""The ``mlpviz`` command: opens the app, or trains headless and writes figures and numbers.

    mlpviz                      open the app
    mlpviz FILE.csv             open the app on a dataset
    mlpviz FILE.mlpviz          open the app on a saved session
    mlpviz gui [FILE]           the same
    mlpviz train … --out DIR    train without a window; write metrics.json, loss.csv,
                                model.npz, dataset.csv and boundary.png into DIR
                                (--save-session FILE.mlpviz also saves the session)
    mlpviz train --session FILE.mlpviz --iterations N --out DIR
                                continue a saved session for N more iterations
    mlpviz export FILE.mlpviz --out DIR [--at ITERATION]
                                write the same files for a saved session at an iteration,
                                and figures of the app's views: boundary.svg, loss.png,
                                loss.svg, weights.png, sheet.png; and model.py (the
                                network as a PyTorch script)
    --gif                       (train, export) also write boundary.gif: the decision
                                regions over the run's timeline, an animated GIF
    mlpviz digits … --out DIR   train on handwritten digits (mlpviz/cli_digits.py)

Qt is imported only when it is needed (the app, or the PNG at the very end of a training
run), so ``mlpviz train --help`` and argument errors answer at once.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import json
import math
import os
import re
import shutil
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import NoReturn, TextIO

import numpy as np

from mlpviz import __version__
from mlpviz.core.activations import ACTIVATIONS, get_activation
from mlpviz.core.archive import check_regular_file
from mlpviz.core.atomic import FILE_MODE
from mlpviz.core.config import (
    MAX_HIDDEN_LAYERS,
    MAX_NEURONS,
    MAX_SEED,
    HiddenLayer,
    NetworkConfig,
    TrainingConfig,
)
from mlpviz.core.datasets import (
    MAX_CLASSES,
    MAX_PRESET_POINTS,
    PRESETS,
    Dataset,
    check_classes_consecutive,
    load_csv,
    make_preset,
    save_csv,
)
from mlpviz.core.errors import ConfigError, DatasetError, MlpvizError
from mlpviz.core.history import HistoryArrays
from mlpviz.core.model_io import save_model
from mlpviz.core.network import INITS, MLP
from mlpviz.core.optimizers import OPTIMIZERS
from mlpviz.core.pytorch_script import save_pytorch_script
from mlpviz.core.session import Session
from mlpviz.core.snapshot import Snapshot
from mlpviz.core.timeline import Metrics

EXIT_OK = 0
EXIT_FAILURE = 1  # the results, or the summary line, could not be written
EXIT_USAGE = 2  # bad arguments, bad data, or training diverged
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report it
EXIT_TERMINATED = 143  # 128 + SIGTERM

MAX_ITERATIONS = 10_000_000
MAX_TEST_RATIO = 0.9
# The result files of `mlpviz train` and `mlpviz export`, and of every command
# (RESULT_FILES): a new run replaces all of those in DIR at once (see _publish), so that DIR
# never mixes two runs' results. boundary.gif is written with --gif, model.py by
# `mlpviz export`.
# The figures of views `mlpviz export` writes, by file name: the view's objectName in
# mlpviz.gui.figures.FIGURE_VIEWS. A view that is not registered there (yet), or has nothing
# to show for the run (the feature space of a net without a hidden layer), is skipped: the
# feature space view is connected by registering "featureSpacePlot" in FIGURE_VIEWS.
VIEW_FIGURES = {
    "loss.png": "lossPlot",
    "loss.svg": "lossPlot",
    "weights.png": "weightsPlot",
    "feature_space.png": "featureSpacePlot",
}
EXPORT_FIGURES = ("boundary.svg", *VIEW_FIGURES, "sheet.png")
OUTPUT_FILES = (
    "metrics.json",
    "loss.csv",
    "model.npz",
    "dataset.csv",
    "boundary.png",
    *EXPORT_FIGURES,
    "boundary.gif",
    "model.py",
)
DIGITS_OUTPUT_FILES = ("confusion.csv", "weights.png", "misclassified.png")
RESULT_FILES = tuple(dict.fromkeys(OUTPUT_FILES + DIGITS_OUTPUT_FILES))
GIF_MAX_SIDE = 480  # boundary.gif: as large as boundary.png, up to this many pixels a side
STAGING_PREFIX = ".mlpviz-new-"  # a folder in DIR where the new results are written
BACKUP_PREFIX = ".mlpviz-old-"  # a folder in DIR holding the previous results while swapping
DEFAULT_PRESET = "xor"
DEFAULT_CLASSES = 2
DEFAULT_POINTS = 200
DEFAULT_NOISE = 0.1
# mlpviz.render's limits, repeated because importing it would load Qt before any check.
MIN_IMAGE_SIDE, MAX_IMAGE_SIDE = 128, 8192
PROGRESS_INTERVAL = 0.1  # seconds between redraws of the progress bar
# Updates between two looks at the progress: each look ends with a measurement of J on the
# whole data set, which costs about one update, so this keeps its share small.
PROGRESS_CHUNK = 100
# The options of the data, network and training groups: a session file holds all of these,
# so they are refused with --session (a test checks that the list is complete).
SETTING_OPTIONS = (
    "preset",
    "data",
    "classes",
    "points",
    "noise",
    "test_ratio",
    "layers",
    "activation",
    "init",
    "optimizer",
    "lr",
    "batch_size",
    "l2",
    "seed",
)


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``mlpviz`` with ``argv`` (default: ``sys.argv[1:]``); returns the exit status."""
    try:
        args = _parser().parse_args(_with_command(list(sys.argv[1:] if argv is None else argv)))
    except SystemExit as stop:  # --help, --version and argument errors end here
        return int(stop.code or 0)
    _outcome.reset()
    try:
        if args.command == "gui":
            return _open_app(args.file)
        with _stop_signals.raised():
            return _run_and_print(args)
    except KeyboardInterrupt as stop:  # Ctrl-C, or SIGTERM as _Terminated
        _fail(_stopped_message(stop, args))
        return EXIT_TERMINATED if isinstance(stop, _Terminated) else EXIT_INTERRUPTED
    except _OutputError as error:
        _fail(f"{error}; {_what_dir_holds(args.out)}")
        return EXIT_FAILURE
    except MlpvizError as error:
        _fail(str(error))
        return EXIT_USAGE


def _run_and_print(args: argparse.Namespace) -> int:
    """``mlpviz train`` or ``mlpviz export``, up to its summary line having reached stdout."""
    if args.command == "digits":
        from mlpviz.cli_digits import digits_command as command
    else:
        command = _export_command if args.command == "export" else _train_command
    try:
        status = command(args)
        sys.stdout.flush()  # a closed pipe or a full disk shows here, not at exit
    except Exception as error:
        stop = _stop_behind(error)
        if stop is not None:
            raise stop from None
        if not isinstance(error, OSError):
            raise
        # Files are reported as MlpvizErrors: this is stdout or stderr.
        _discard_stdout()
        raise _OutputError(f"cannot print: {_reason(error)}") from None
    return status


def _stop_behind(error: BaseException) -> KeyboardInterrupt | None:
    """The Ctrl-C or SIGTERM that a library's clean-up turned into another error (raised
    inside np.savez, it comes out of zipfile's close as a ValueError), or None."""
    cause = error.__context__
    while cause is not None:
        if isinstance(cause, KeyboardInterrupt):
            return cause
        cause = cause.__context__
    return None


def _discard_stdout() -> None:
    """Point stdout at the null device: Python's flush at exit would fail again, loudly."""
    with contextlib.suppress(OSError, ValueError):  # no file descriptor: nothing to flush
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def _stopped_message(stop: KeyboardInterrupt, args: argparse.Namespace) -> str:
    """The one line for Ctrl-C or SIGTERM; for ``mlpviz train`` it says what became of DIR."""
    what = "terminated" if isinstance(stop, _Terminated) else "interrupted"
    if args.command not in ("train", "export", "digits"):
        return what
    return f"{what}; {_what_dir_holds(args.out)}"


def _what_dir_holds(out: str) -> str:
    """What an unfinished ``mlpviz train`` left in DIR, truthfully."""
    if _outcome.backup is not None:
        return (
            f"{out} may hold a mix of old and new result files; "
            f"the previous ones missing from it are in {_outcome.backup}"
        )
    if _outcome.replaced:
        return f"{out} holds the new results"
    return f"nothing in {out} was changed"


class _OutputError(MlpvizError):
    """The results, or the summary line, could not be written (disk full, no permission,
    a closed pipe); exit status 1."""


def _fail(message: str) -> None:
    """The one line an error gets on stderr, even for a file name with a line break in it."""
    one_line = message.replace("\r", "\\r").replace("\n", "\\n")
    print(f"mlpviz: error: {one_line}", file=sys.stderr)


# --- stopping early ----------------------------------------------------------------------
class _Terminated(KeyboardInterrupt):
    """SIGTERM, raised like Ctrl-C's KeyboardInterrupt so that the same clean-up runs."""


class _StopSignals:
    """SIGINT and SIGTERM as exceptions, held back while _publish moves and removes files.

    Python's default for SIGTERM ends the process at once, leaving a staging folder behind;
    and a stop in the middle of swapping the results in would leave a mix of two runs.
    """

    def __init__(self) -> None:
        self._holding = False
        self._pending: int | None = None

    @contextlib.contextmanager
    def raised(self) -> Iterator[None]:
        """Inside, SIGINT raises KeyboardInterrupt and SIGTERM _Terminated."""
        if threading.current_thread() is not threading.main_thread():
            yield  # only the main thread may set handlers, and only it gets signals
            return
        # An ignored signal stays ignored: `mlpviz train … &` in a script must survive Ctrl-C.
        signums = [
            signum
            for signum in (signal.SIGINT, signal.SIGTERM)
            if signal.getsignal(signum) is not signal.SIG_IGN
        ]
        previous = [signal.signal(signum, self._handle) for signum in signums]
        try:
            yield
        finally:
            for signum, handler in zip(signums, previous):
                signal.signal(signum, signal.SIG_DFL if handler is None else handler)

    @contextlib.contextmanager
    def held(self) -> Iterator[None]:
        """Inside, SIGINT and SIGTERM wait: their exception is raised at the end."""
        if self._holding:
            yield
            return
        self._holding = True
        try:
            yield
        finally:
            self._holding = False
            pending, self._pending = self._pending, None
            if pending is not None:
                raise _stop_exception(pending)

    def _handle(self, signum: int, _frame: object) -> None:
        if self._holding:
            self._pending = signum
        else:
            raise _stop_exception(signum)


def _stop_exception(signum: int) -> KeyboardInterrupt:
    return _Terminated() if signum == signal.SIGTERM else KeyboardInterrupt()


# Kept on the module, as signal handlers are: they belong to the process.
_stop_signals = _StopSignals()


# --- command line ------------------------------------------------------------------------
class _OneLineParser(argparse.ArgumentParser):
    """An ArgumentParser that reports a mistake on one line and exits 2, like our own checks."""

    def error(self, message: str) -> NoReturn:
        _fail(f"{message} (see '{self.prog} --help')")
        raise SystemExit(EXIT_USAGE)


def _with_command(argv: list[str]) -> list[str]:
    """No command means the app: ``mlpviz`` and ``mlpviz FILE`` are ``mlpviz gui …``."""
    if not argv or argv[0] not in {"gui", "train", "export", "digits", "-h", "--help", "--version"}:
        return ["gui", *argv]
    return argv


# Numbers are read from ASCII digits only: int() and float() also accept other scripts'
# digits ("٣" is 3, "８" is 8), and str.isdigit() passes superscripts that int() refuses.
_INTEGER = re.compile(r"[+-]?[0-9]+")
_DECIMAL = re.compile(
    r"[+-]?(?:(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|inf|infinity|nan)",
    re.IGNORECASE,  # inf and nan are read so that the range checks can name the option
)


def _parse_integer(text: str) -> int | None:
    """``text`` as an int when it is an optional sign and the digits 0-9, else None."""
    text = text.strip()
    if not _INTEGER.fullmatch(text):
        return None
    try:
        return int(text)
    except ValueError:  # more digits than Python converts (sys.get_int_max_str_digits)
        return None


def _whole_number(text: str) -> int:
    """argparse type of the integer options; see _parse_integer."""
    value = _parse_integer(text)
    if value is None:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number")
    return value


def _number(text: str) -> float:
    """argparse type of the decimal options: digits 0-9, a point, an exponent, inf or nan."""
    if not _DECIMAL.fullmatch(text.strip()):
        raise argparse.ArgumentTypeError(f"{text!r} is not a number")
    return float(text)


def _parser() -> argparse.ArgumentParser:
    parser = _OneLineParser(
        prog="mlpviz",
        description="Watch a neural network learn. Without a command, opens the app.",
        epilog="mlpviz FILE.csv opens the app on a dataset, mlpviz FILE.mlpviz on a saved "
        "session; 'mlpviz train --help' explains headless training.",
    )
    parser.add_argument("--version", action="version", version=f"mlpviz {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="{gui,train,export,digits}")
    gui = commands.add_parser("gui", help="open the app (the default)", description="Open the app.")
    gui.add_argument(
        "file", nargs="?", metavar="FILE", help="a dataset (.csv) or a saved session (.mlpviz)"
    )
    train = commands.add_parser(
        "train",
        help="train without a window and write the results into a directory",
        description=(
            "Train a network headless and write metrics.json, loss.csv, model.npz, "
            "dataset.csv and boundary.png into DIR."
        ),
    )
    _add_data_arguments(train)
    _add_network_arguments(train)
    _add_training_arguments(train)
    _add_output_arguments(train)
    _add_session_arguments(train)
    # With --session the settings come from the file: a run must tell what the user gave.
    train.set_defaults(**{dest: _Default(train.get_default(dest)) for dest in SETTING_OPTIONS})
    export = commands.add_parser(
        "export",
        help="write the results of a saved session at one of its iterations",
        description=(
            "Write metrics.json, loss.csv, model.npz, dataset.csv and boundary.png into DIR "
            "for a saved session as it was at ITERATION: its last checkpoint at or before it; "
            "and figures of the app's views drawn there: boundary.svg, loss.png, loss.svg, "
            "weights.png and sheet.png (all the views on one slide); and model.py, the network "
            "as a standalone PyTorch script. loss.csv and the loss figures stop at ITERATION."
        ),
    )
    export.add_argument(
        "session",
        metavar="FILE.mlpviz",
        help="a session saved by the app or by 'mlpviz train --save-session'",
    )
    export.add_argument(
        "--at",
        type=int,
        metavar="ITERATION",
        help="the iteration to export (default: the newest state of the session)",
    )
    _add_output_arguments(export)
    from mlpviz import cli_digits  # it builds on this module

    cli_digits.add_parser(commands)
    return parser


@dataclass(frozen=True)
class _Default:
    """The default of an option the user did not give; ``--help`` shows it as the value."""

    value: object

    def __str__(self) -> str:
        return str(self.value)


def _given_settings(args: argparse.Namespace) -> list[str]:
    """The SETTING_OPTIONS the user gave; the others get their default values back."""
    given = []
    for dest in SETTING_OPTIONS:
        value = getattr(args, dest)
        if isinstance(value, _Default):
            setattr(args, dest, value.value)
        else:
            given.append("--" + dest.replace("_", "-"))
    return given


def _add_data_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("data")
    group.add_argument(
        "--preset",
        metavar="NAME",
        help=f"generated dataset: {', '.join(PRESETS)} (default: {DEFAULT_PRESET})",
    )
    group.add_argument("--data", metavar="FILE.csv", help="dataset file with header x1,x2,label")
    group.add_argument(
        "--classes",
        type=_whole_number,
        metavar="K",
        help=f"classes of a preset (default: {DEFAULT_CLASSES})",
    )
    group.add_argument(
        "--points",
        type=_whole_number,
        metavar="N",
        help=f"points of a preset (default: {DEFAULT_POINTS})",
    )
    group.add_argument(
        "--noise",
        type=_number,
        metavar="F",
        help=f"noise of a preset, 0…1 (default: {DEFAULT_NOISE})",
    )
    group.add_argument(
        "--test-ratio",
        type=_number,
        default=0.2,
        metavar="F",
        help="share of the points held out as test set, 0…0.9 (default: %(default)s)",
    )


def _add_network_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("network")
    group.add_argument(
        "--layers",
        default="8,8",
        metavar="SIZES",
        help="hidden layer sizes, comma-separated; '' or 0 for none, the single neuron "
        "(default: %(default)s)",
    )
    group.add_argument(
        "--activation",
        default="tanh",
        metavar="NAME",
        help="activation of every hidden layer, or one per layer comma-separated: "
        f"{', '.join(ACTIVATIONS)} (default: %(default)s)",
    )
    group.add_argument(
        "--init",
        default="xavier",
        choices=INITS,
        help="weight initialisation (default: %(default)s)",
    )


def _add_training_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("training")
    add_optimizer_arguments(group, "sgd", 0.1, None)
    group.add_argument(
        "--iterations",
        type=_whole_number,
        default=1000,
        metavar="N",
        help=f"parameter updates, 1…{MAX_ITERATIONS:,} (default: %(default)s)",
    )
    group.add_argument(
        "--seed",
        type=_whole_number,
        default=0,
        metavar="S",
        help="seed of the preset, the split, the weights and the batches (default: %(default)s)",
    )


def add_optimizer_arguments(
    group: argparse._ArgumentGroup, optimizer: str, lr: float, batch_size: int | None
) -> None:
    """--optimizer, --lr, --batch-size (None: the full set) and --l2, with these defaults."""
    group.add_argument(
        "--optimizer",
        default=optimizer,
        choices=OPTIMIZERS,
        help="optimiser (default: %(default)s)",
    )
    group.add_argument(
        "--lr",
        type=_number,
        default=lr,
        metavar="F",
        help="learning rate α (default: %(default)s)",
    )
    group.add_argument(
        "--batch-size",
        type=_whole_number,
        default=batch_size,
        metavar="N",
        help="samples per update (default: %(default)s)"
        if batch_size
        else "samples per update (default: the full set)",
    )
    group.add_argument(
        "--l2",
        type=_number,
        default=0.0,
        metavar="F",
        help="L2 coefficient λ (default: %(default)s)",
    )


def _add_output_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("output")
    group.add_argument("--out", required=True, metavar="DIR", help="directory for the results")
    group.add_argument(
        "--image-size",
        default="800",
        metavar="PIXELS",
        help="size of boundary.png: PIXELS for a square, or WIDTHxHEIGHT (default: %(default)s)",
    )
    group.add_argument(
        "--gif",
        action="store_true",
        help="also write boundary.gif: the decision regions replayed over the run's "
        f"checkpoints, one frame per checkpoint (at most a few hundred), up to {GIF_MAX_SIDE} "
        "pixels a side",
    )


def _add_session_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("session")
    group.add_argument(
        "--session",
        metavar="FILE.mlpviz",
        help="continue this saved session for --iterations more updates, with its data, "
        "network and training settings (so no data, network or training option)",
    )
    group.add_argument(
        "--save-session",
        metavar="FILE.mlpviz",
        help="also save the trained session, to continue it or open it in the app",
    )


# --- the app -----------------------------------------------------------------------------
def _open_app(path: str | None) -> int:
    if path is not None:
        _check_dataset_file(path)
    from mlpviz.gui.app import run_app  # Qt loads only here, so `mlpviz train` starts fast

    # run_app takes a dataset (.csv) or a saved session (.mlpviz): the app tells them apart.
    return run_app(path)


def _check_dataset_file(text: str) -> None:
    """Raise DatasetError, saying why, unless ``text`` names a regular file: a folder, a
    device or a pipe is refused before anything reads it (/dev/zero never ends, an empty
    pipe never answers)."""
    if not _is_file_name(text):
        raise DatasetError(f"{text!r}: not a valid file name")
    check_regular_file(text, DatasetError)


# --- settings ----------------------------------------------------------------------------
@dataclass(frozen=True)
class _Settings:
    """Everything a training run needs, checked before any work starts."""

    network: NetworkConfig
    training: TrainingConfig
    iterations: int
    test_ratio: float
    seed: int
    image_size: tuple[int, int]
    out: Path


def _settings(args: argparse.Namespace) -> _Settings:
    """Validate the training arguments; a bad one raises ConfigError naming the option."""
    _check_range("--iterations", args.iterations, 1, MAX_ITERATIONS)
    _check_range("--seed", args.seed, 0, MAX_SEED)
    if not 0.0 <= args.test_ratio <= MAX_TEST_RATIO:  # also rejects NaN
        raise ConfigError(
            f"--test-ratio must be between 0 and {MAX_TEST_RATIO}, got {args.test_ratio}"
        )
    if args.batch_size is not None:
        _check_range("--batch-size", args.batch_size, 1, None)
    hidden, training = _hidden_and_training(args)
    return _Settings(
        network=NetworkConfig(hidden, init=args.init, seed=args.seed),
        training=training,
        iterations=args.iterations,
        test_ratio=args.test_ratio,
        seed=args.seed,
        image_size=_image_size(args.image_size),
        out=_output_directory(args.out),
    )


def _hidden_and_training(
    args: argparse.Namespace, max_size: int = MAX_NEURONS
) -> tuple[tuple[HiddenLayer, ...], TrainingConfig]:
    """The hidden layers (--layers, at most ``max_size`` wide, --activation) and the training
    settings (--optimizer, --lr, --batch-size, --l2, --seed) asked for; ConfigError."""
    if not (math.isfinite(args.lr) and args.lr > 0):
        raise ConfigError(f"--lr must be a positive number, got {args.lr}")
    sizes = _layer_sizes(args.layers, max_size)
    hidden = tuple(
        HiddenLayer(size, name) for size, name in zip(sizes, _activations(args.activation, sizes))
    )
    training = TrainingConfig(
        optimizer=args.optimizer,
        learning_rate=args.lr,
        batch_size=args.batch_size,
        l2=args.l2,
        shuffle_seed=args.seed,
    )
    return hidden, training


def _check_range(option: str, value: int, low: int, high: int | None) -> None:
    if value < low or (high is not None and value > high):
        bound = f"at least {low}" if high is None else f"between {low} and {high:,}"
        raise ConfigError(f"{option} must be {bound}, got {value}")


def _layer_sizes(text: str, max_size: int = MAX_NEURONS) -> list[int]:
    """``"8,8"`` → [8, 8]; ``""`` and ``"0"`` → [] (no hidden layer: the single neuron);
    ConfigError for a size outside 1…``max_size``."""
    if text.strip() in ("", "0"):
        return []
    sizes = []
    for part in text.split(","):
        size = _parse_integer(part)
        if size is None or not 1 <= size <= max_size:
            raise ConfigError(
                f"--layers {text!r}: {part.strip()!r} is not a layer size 1…{max_size}; "
                "give sizes like 8,8, or '' for no hidden layer"
            )
        sizes.append(size)
    if len(sizes) > MAX_HIDDEN_LAYERS:
        raise ConfigError(f"--layers: at most {MAX_HIDDEN_LAYERS} hidden layers, got {len(sizes)}")
    return sizes


def _activations(text: str, sizes: list[int]) -> list[str]:
    """One activation name per hidden layer, from one name or a comma-separated list."""
    names = [name.strip() for name in text.split(",")]
    for name in names:  # checked even without hidden layers, so a typo never passes silently
        get_activation(name)
    if len(names) == 1:
        return names * len(sizes)
    if len(names) != len(sizes):
        raise ConfigError(f"--activation: {_names_wanted(len(sizes))}, got {len(names)}")
    return names


def _names_wanted(layers: int) -> str:
    """How many activation names ``layers`` hidden layers take, in words."""
    if layers == 0:
        return "there is no hidden layer, so one name at most"
    if layers == 1:
        return "1 hidden layer takes 1 name"
    return f"{layers} hidden layers need 1 or {layers} names"


def _image_size(text: str) -> tuple[int, int]:
    sides = [_parse_integer(part) for part in text.lower().split("x")]
    if len(sides) == 1:
        sides *= 2
    if len(sides) != 2 or None in sides:
        raise ConfigError(
            f"--image-size {text!r}: give PIXELS or WIDTHxHEIGHT, e.g. 800 or 1200x800"
        )
    width, height = sides
    if not (
        MIN_IMAGE_SIDE <= width <= MAX_IMAGE_SIDE and MIN_IMAGE_SIDE <= height <= MAX_IMAGE_SIDE
    ):
        raise ConfigError(
            f"--image-size: each side must be {MIN_IMAGE_SIDE} to {MAX_IMAGE_SIDE} pixels"
        )
    return width, height


def _output_directory(text: str, names: Iterable[str] = OUTPUT_FILES) -> Path:
    """``--out`` as an absolute path, checked before training so that a mistake costs none.

    DIR must be a folder (or not exist yet) that a file can be created in, and none of its
    entries named like a result file (``names``) may be a folder. Nothing is created yet: a run that
    fails later leaves no empty folder behind.
    """
    if not text:
        raise ConfigError("--out needs a folder name")  # '' would silently mean "here"
    if not _is_file_name(text):
        raise ConfigError(f"--out {text!r}: not a valid file name")
    try:
        out = Path(text).expanduser().absolute()
        _check_output_folder(out, text, names)
    except (OSError, RuntimeError) as error:  # RuntimeError: ~nobody has no home
        raise ConfigError(f"--out {text}: {_reason(error)}") from None
    return out


def _is_file_name(text: str) -> bool:
    """False for a NUL character or a lone surrogate (no bytes spell it): os calls raise
    ValueError on those, and Path.exists() merely says False."""
    try:
        os.fsencode(text)
    except UnicodeError:
        return False
    return "\0" not in text


def _check_output_folder(out: Path, text: str, names: Iterable[str]) -> None:
    """Raise ConfigError if the results could not be written into ``out``; see above."""
    if out.exists() and not out.is_dir():
        raise ConfigError(f"--out {text}: is a file, not a directory")
    existing = out
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        raise ConfigError(f"--out {text}: {existing} is a file, not a directory")
    # A real file rather than os.access(): root passes every check access() makes, yet some
    # folders (/sys, FUSE mounts) still refuse new files.
    with tempfile.TemporaryFile(dir=existing, prefix=".mlpviz-check."):
        pass
    folder = _folder_among(out, names)
    if folder is not None:
        raise ConfigError(f"--out {text}: {folder} is a folder; a result file needs that name")


def _reason(error: BaseException) -> str:
    """The part of an error worth showing: ``Permission denied``, not ``[Errno 13] …``."""
    return getattr(error, "strerror", None) or str(error)


def _dataset(args: argparse.Namespace) -> tuple[Dataset, dict]:
    """The dataset to train on, and how it was made (for metrics.json)."""
    if args.data is not None:
        if args.preset is not None:
            raise ConfigError("give either --preset or --data, not both")
        preset_only = [
            option
            for option, value in (
                ("--classes", args.classes),
                ("--points", args.points),
                ("--noise", args.noise),
            )
            if value is not None
        ]
        if preset_only:
            raise ConfigError(f"{', '.join(preset_only)} only apply to --preset, not to --data")
        _check_dataset_file(args.data)
        dataset = load_csv(args.data)
        check_classes_consecutive(dataset, args.data)
        source = {"preset": None, "data": args.data, "session": None, "noise": None}
        return dataset, source | {"classes": dataset.n_classes, "points": len(dataset)}
    preset = DEFAULT_PRESET if args.preset is None else args.preset
    classes = DEFAULT_CLASSES if args.classes is None else args.classes
    points = DEFAULT_POINTS if args.points is None else args.points
    noise = DEFAULT_NOISE if args.noise is None else args.noise
    if preset not in PRESETS:
        raise ConfigError(f"unknown preset {preset!r}; choose one of {', '.join(PRESETS)}")
    _check_range("--classes", classes, 2, MAX_CLASSES)
    _check_range("--points", points, 1, MAX_PRESET_POINTS)
    if not 0.0 <= noise <= 1.0:
        raise ConfigError(f"--noise must be between 0 and 1, got {noise}")
    dataset = make_preset(preset, n=points, noise=noise, seed=args.seed, n_classes=classes)
    source = {"preset": preset, "data": None, "session": None, "noise": noise}
    return dataset, source | {"classes": classes, "points": points}


# --- training ----------------------------------------------------------------------------
@dataclass(frozen=True)
class _Run:
    """A network at one iteration of a run, its data split and what was measured there."""

    net: MLP
    dataset: Dataset
    test_mask: np.ndarray
    metrics: Metrics
    iteration: int
    epoch: int
    loss_rows: HistoryArrays  # the run's loss record up to ``iteration``
    seconds: float | None  # time spent training by this command; None when it did not train
    snapshot: Snapshot | None = None  # for the views' figures (an export writes them)


def _train_command(args: argparse.Namespace) -> int:
    given = _given_settings(args)
    # The Trainer reports a divergence as one DivergenceError; NumPy's overflow warnings on
    # the way there would only add noise to the one line the user gets.
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        if args.session is None:
            session, settings, source = _new_run(args)
        else:
            session, settings, source = _continued_run(args, given)
        save_to = _session_path(args.save_session)
        run = _train(session, settings.iterations)
        metrics = _metrics(run, settings, source)
    extra = _gif_writer(session, len(session.timeline) - 1, settings) if args.gif else {}
    _write_results(run, metrics, settings, source, extra)
    _save_session(session, save_to)
    print(_summary(metrics, settings.out, trained=settings.iterations))
    return EXIT_OK


def _new_run(args: argparse.Namespace) -> tuple[Session, _Settings, dict]:
    """A new session made of the data, network and training options."""
    settings = _settings(args)
    dataset, source = _dataset(args)
    session = Session(
        dataset,
        settings.network,
        settings.training,
        test_ratio=settings.test_ratio,
        split_seed=settings.seed,
    )
    return session, settings, source


def _continued_run(args: argparse.Namespace, given: list[str]) -> tuple[Session, _Settings, dict]:
    """The session saved in --session, to continue with its own settings."""
    if given:
        raise ConfigError(
            f"{', '.join(given)} cannot be used with --session: "
            "the session file holds the data, network and training settings"
        )
    _check_range("--iterations", args.iterations, 1, MAX_ITERATIONS)
    image_size, out = _image_size(args.image_size), _output_directory(args.out)
    session = Session.load(args.session)
    settings = _session_settings(session, session.training_config, args.iterations, image_size, out)
    return session, settings, _session_source(args.session, session.dataset)


def _session_path(text: str | None) -> Path | None:
    """--save-session as an absolute path, checked before training: a file in a folder that
    exists."""
    if text is None:
        return None
    path = Path(text).expanduser().absolute()
    if path.is_dir():
        raise ConfigError(f"--save-session {text}: is a folder, not a file")
    if not path.parent.is_dir():
        raise ConfigError(f"--save-session {text}: there is no folder {path.parent}")
    return path


def _session_settings(
    session: Session,
    training: TrainingConfig,
    iterations: int,
    image_size: tuple[int, int],
    out: Path,
) -> _Settings:
    """The settings of a saved session, for metrics.json and the figure's title."""
    return _Settings(
        network=session.network_config,
        training=training,
        iterations=iterations,
        test_ratio=session.test_ratio,
        seed=session.split_seed,
        image_size=image_size,
        out=out,
    )


def _session_source(path: str, dataset: Dataset) -> dict:
    """Where the data came from, for metrics.json: a session file."""
    return {
        "preset": None,
        "data": None,
        "session": path,
        "noise": None,
        "classes": dataset.n_classes,
        "points": len(dataset),
    }


def _train(session: Session, iterations: int) -> _Run:
    """``iterations`` more updates of ``session``, in memory: nothing touches the disk."""
    progress = _Progress(iterations, sys.stderr)
    start = time.perf_counter()
    done = 0
    try:
        while done < iterations:
            done += session.step(min(PROGRESS_CHUNK, iterations - done))
            progress.update(done, session.timeline[-1].metrics.train_loss)
    finally:
        progress.close()
    seconds = time.perf_counter() - start
    return _Run(
        net=session.net,
        dataset=session.dataset,
        test_mask=session.test_mask,
        metrics=session.evaluate(),
        iteration=session.iteration,
        epoch=session.epoch,
        loss_rows=session.history.arrays(),
        seconds=seconds,
    )


# --- export --------------------------------------------------------------------------------
def _export_command(args: argparse.Namespace) -> int:
    if args.at is not None:
        _check_range("--at", args.at, 0, None)
    image_size, out = _image_size(args.image_size), _output_directory(args.out)
    session = Session.load(args.session)
    timeline = session.timeline
    index = len(timeline) - 1 if args.at is None else timeline.index_at_or_before(args.at)
    run = _checkpoint_run(session, index)
    training = timeline[index].training
    settings = _session_settings(session, training, run.iteration, image_size, out)
    source = _session_source(args.session, run.dataset)
    metrics = _metrics(run, settings, source)
    title = _figure_title(source, settings, run)
    extra = {"model.py": lambda path: save_pytorch_script(run.net, path, title)}
    if args.gif:
        extra |= _gif_writer(session, index, settings)
    _write_results(run, metrics, settings, source, extra)
    print(_summary(metrics, settings.out, trained=None))
    return EXIT_OK


def _checkpoint_run(session: Session, index: int) -> _Run:
    """The run as it was at checkpoint ``index``, its loss record ending there."""
    snapshot, data = session.checkpoint_snapshot(index)
    return _Run(
        net=snapshot.net,
        dataset=data.dataset,
        test_mask=data.test_mask,
        metrics=session.timeline[index].metrics,
        iteration=snapshot.iteration,
        epoch=snapshot.epoch,
        loss_rows=snapshot.history.until(snapshot.iteration),
        seconds=None,
        # The record ends at the state exported, in the loss figure as in loss.csv.
        snapshot=replace(snapshot, history=snapshot.history.until(snapshot.iteration)),
    )


class _Progress:
    """``[#####-----] 52%  it 520/1000  J 0.3121`` on a terminal, redrawn ≤ 10 times a second.

    J is measured on the whole training set.
    """

    WIDTH = 20

    def __init__(self, total: int, stream: TextIO) -> None:
        self._total = total
        self._stream = stream
        self._enabled = stream.isatty()
        self._last_draw = -math.inf
        self._drawn = False

    def update(self, iteration: int, loss: float) -> None:
        """Redraw when enough time has passed, and always for the last iteration."""
        if not self._enabled:
            return
        now = time.monotonic()
        if now - self._last_draw < PROGRESS_INTERVAL and iteration < self._total:
            return
        self._last_draw = now
        done = round(self.WIDTH * iteration / self._total)
        bar = "#" * done + "-" * (self.WIDTH - done)
        percent = 100 * iteration // self._total
        self._stream.write(f"\r[{bar}] {percent:3d}%  it {iteration}/{self._total}  J {loss:.4g}")
        self._stream.flush()
        self._drawn = True

    def close(self) -> None:
        """End the bar's line, so what follows starts on a fresh one."""
        if self._drawn:
            self._stream.write("\n")
            self._stream.flush()


# --- results -----------------------------------------------------------------------------
def _metrics(run: _Run, settings: _Settings, source: dict) -> dict:
    """The content of metrics.json: final measurements, then every setting used."""
    mask = run.test_mask
    measured = {
        "train_loss": run.metrics.train_loss,
        "test_loss": run.metrics.test_loss,
        "train_accuracy": run.metrics.train_accuracy,
        "test_accuracy": run.metrics.test_accuracy,
        "iterations": run.iteration,
        "epochs": run.epoch,
        "seconds": run.seconds,
        "train_points": int((~mask).sum()),
        "test_points": int(mask.sum()),
    }
    used = {
        **source,
        **settings_record(settings.network, settings.training),
        "test_ratio": settings.test_ratio,
        "seed": settings.seed,
        "layer_sizes": list(run.net.layer_sizes),
        "mlpviz_version": __version__,
    }
    return {key: _json_number(value) for key, value in (measured | used).items()}


def settings_record(network: NetworkConfig, training: TrainingConfig) -> dict:
    """The network and training settings as metrics.json lists them."""
    return {
        "layers": [layer.size for layer in network.hidden],
        "activation": [layer.activation for layer in network.hidden],
        "init": network.init,
        "optimizer": training.optimizer,
        "lr": training.learning_rate,
        "batch_size": training.batch_size,
        "l2": training.l2,
    }


def _json_number(value: object) -> object:
    """NaN (no test set) becomes null: JSON has no NaN."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _dataset_name(source: dict) -> str:
    """The preset's name, or the name of the file the data came from."""
    return source["preset"] or Path(source["data"] or source["session"]).name


def _figure_title(source: dict, settings: _Settings, run: _Run) -> str:
    """``xor · [2, 8, 8, 1] tanh · sgd α = 0.1 · 1000 it``."""
    name = _dataset_name(source)
    activations = [layer.activation for layer in settings.network.hidden]
    network = str(list(run.net.layer_sizes))
    if activations:
        network += " " + (activations[0] if len(set(activations)) == 1 else "/".join(activations))
    training = f"{settings.training.optimizer} α = {settings.training.learning_rate:g}"
    return f"{name} · {network} · {training} · {run.iteration} it"


_Writer = Callable[[Path], None]  # writes one result file to the path it is given


def _gif_writer(session: Session, last: int, settings: _Settings) -> dict[str, _Writer]:
    """boundary.gif: the data plane over the session's checkpoints 0…``last``."""
    side = min(GIF_MAX_SIDE, *settings.image_size)

    def write(path: Path) -> None:
        from mlpviz.render_animation import write_timeline_gif  # Qt and Pillow load here

        write_timeline_gif(session, path, last=last, size=side)

    return {"boundary.gif": write}


def _write_results(
    run: _Run,
    metrics: dict,
    settings: _Settings,
    source: dict,
    extra: Mapping[str, _Writer] | None = None,
) -> None:
    """Write the result files, and ``extra`` ones, into DIR; what stops that is an
    _OutputError."""
    try:
        _write_outputs(run, metrics, settings, source, extra or {})
    except OSError as error:
        reason = _reason(error)
        raise _OutputError(f"cannot write the results into {settings.out}: {reason}") from None


def _save_session(session: Session, path: Path | None) -> None:
    """Write the --save-session file, if asked for, once the results are written."""
    if path is None:
        return
    try:
        session.save(path)
    except OSError as error:
        raise _OutputError(f"cannot write the session {path}: {_reason(error)}") from None


def _write_outputs(
    run: _Run, metrics: dict, settings: _Settings, source: dict, extra: Mapping[str, _Writer]
) -> None:
    """Write the result files, and ``extra`` ones, into DIR: all of them, or none (see
    _publish)."""
    _publish({**_result_writers(run, metrics, settings, source), **extra}, settings.out)


def _result_writers(
    run: _Run, metrics: dict, settings: _Settings, source: dict
) -> dict[str, _Writer]:
    """The writer of each result file, to be called with the path to write to."""
    from mlpviz.render import render_boundary  # Qt loads only once training succeeded

    title = _figure_title(source, settings, run)
    metrics_text = json.dumps(metrics, indent=2, allow_nan=False) + "\n"

    def boundary(path: Path) -> None:  # boundary.png, or .svg
        render_boundary(
            run.net,
            run.dataset,
            path,
            size=settings.image_size,
            test_mask=run.test_mask,
            title=title,
        )

    return {
        "metrics.json": lambda path: path.write_text(metrics_text, encoding="utf-8"),
        "loss.csv": lambda path: path.write_text(run.loss_rows.to_csv(), encoding="utf-8"),
        "model.npz": lambda path: save_model(run.net, path),
        "dataset.csv": lambda path: save_csv(run.dataset, path),
        "boundary.png": boundary,
        **_figure_writers(run, settings, boundary, _dataset_name(source)),
    }


def _figure_writers(
    run: _Run, settings: _Settings, boundary: _Writer, dataset_name: str
) -> dict[str, _Writer]:
    """The writers of EXPORT_FIGURES, for a run with a snapshot (an export); Qt draws them
    offscreen, each view from the run's Frame. ``boundary`` writes boundary.png or .svg."""
    if run.snapshot is None:
        return {}
    from mlpviz.core.frame import Frame
    from mlpviz.gui import figures

    frame = Frame(run.snapshot, run.dataset, run.test_mask)
    heading = figures.sheet_title(dataset_name, frame, settings.training)
    writers: dict[str, _Writer] = {"boundary.svg": boundary}
    for name, view in VIEW_FIGURES.items():
        if figures.can_draw(view, frame):
            writers[name] = lambda path, view=view: figures.write_figure(view, frame, path)
    writers["sheet.png"] = lambda path: figures.write_sheet(frame, path, heading)
    return writers


def _summary(metrics: dict, out: Path, trained: int | None) -> str:
    """``train J 0.0123 acc 99.5% | test J 0.0456 acc 97.5% | 1000 it in 0.42 s → DIR``.

    ``trained`` is the number of updates this command did: ``500 it in 0.2 s (1000 in
    all)`` when it continued a session, ``iteration 1000`` when it did none (an export).
    """
    train = _score("train", metrics) or "no training set"  # a saved session may have none
    test = _score("test", metrics) or "no test set"
    iterations = metrics["iterations"]
    if trained is None:
        timing = f"iteration {iterations}"
    else:
        timing = f"{trained} it in {metrics['seconds']:.2f} s"
        timing += f" ({iterations} in all)" if trained != iterations else ""
    return f"{train} | {test} | {timing} → {out}"


def _score(part: str, metrics: dict) -> str | None:
    """``train J 0.0123 acc 99.5%`` for ``part`` "train" or "test"; None if not measured."""
    loss, accuracy = metrics[f"{part}_loss"], metrics[f"{part}_accuracy"]
    if loss is None:
        return None
    return f"{part} J {loss:.4g} acc {100 * accuracy:.1f}%"


# --- publishing the results --------------------------------------------------------------
@dataclass
class _Outcome:
    """What the current ``mlpviz train`` has done to DIR, for the message if it fails.

    Kept on the module: an interruption can end the run anywhere, where no return value
    carries it back to main.
    """

    replaced: bool = False  # DIR holds the new results
    backup: Path | None = None  # undoing a failed swap failed: the previous results left here

    def reset(self) -> None:
        """Back to "nothing done yet", for the next run in the same process."""
        self.replaced, self.backup = False, None


_outcome = _Outcome()


def _publish(writers: Mapping[str, _Writer], out: Path) -> None:
    """Call each writer on its file in a staging folder inside DIR, then swap them all in.

    Whatever fails or interrupts this, DIR then holds either every result file of the
    previous run or every one of this run, never a mix (only if undoing a failed swap fails
    too, _outcome.backup says where the rest of the previous results are). Files in DIR that
    are not results are never touched; a DIR created here is removed again on failure.
    """
    missing = _missing_folders(out)
    staging: Path | None = None
    try:
        with _stop_signals.held():  # so that a stop cannot come between making and noting
            for folder in missing:
                folder.mkdir()
            staging = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=out))
        for name, write in writers.items():
            write(staging / name)
            os.chmod(staging / name, FILE_MODE)  # temporary files are private; results are not
        with _stop_signals.held():
            _swap_in(staging, out)
    finally:
        with _stop_signals.held():
            if staging is not None:
                shutil.rmtree(staging, ignore_errors=True)
            _remove_empty(missing)


def _missing_folders(path: Path) -> list[Path]:
    """``path`` and those of its parents that do not exist yet, outermost first."""
    missing = []
    while not path.exists():
        missing.append(path)
        path = path.parent
    return missing[::-1]


def _remove_empty(folders: list[Path]) -> None:
    """Remove ``folders`` (outermost first) from the innermost out, while they are empty."""
    for folder in reversed(folders):
        try:
            folder.rmdir()
        except OSError:  # not empty: the results are in it
            return


def _swap_in(staging: Path, out: Path) -> None:
    """Move DIR's previous result files into a backup folder, then the staged ones into DIR.

    The previous result files are all of RESULT_FILES, and any staged name, found in DIR:
    a result the new run does not write must not stay behind from the old one.
    """
    new = sorted(path.name for path in staging.iterdir())
    old = [name for name in sorted({*RESULT_FILES, *new}) if os.path.lexists(out / name)]
    folder = _folder_among(out, old)
    if folder is not None:  # made after the check before training; never move it, nor delete
        raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(folder))
    backup = Path(tempfile.mkdtemp(prefix=BACKUP_PREFIX, dir=out))
    moves = [(out / name, backup / name) for name in old]
    moves += [(staging / name, out / name) for name in new]
    try:
        _move_all(moves)
    except _OutputError:
        _outcome.backup = backup  # the only copy of some previous results: keep it
        raise
    except BaseException:
        with contextlib.suppress(OSError):  # never hide why the swap failed
            backup.rmdir()  # empty again: every previous result is back in DIR
        raise
    _outcome.replaced = True
    shutil.rmtree(backup, ignore_errors=True)


def _folder_among(out: Path, names: Iterable[str]) -> Path | None:
    """The first of ``names`` in ``out`` that is a folder (not a link to one), if any."""
    for name in names:
        path = out / name
        if path.is_dir() and not path.is_symlink():
            return path
    return None


def _move_all(moves: list[tuple[Path, Path]]) -> None:
    """Rename each (source, target), all or none: on failure, undo those done, last first.

    Renames within one folder are atomic. If undoing fails too, raises _OutputError after
    undoing as much as it can.
    """
    done: list[tuple[Path, Path]] = []
    try:
        for source, target in moves:
            os.replace(source, target)
            done.append((source, target))
    except BaseException as error:
        undo_errors = []
        for source, target in reversed(done):
            try:
                os.replace(target, source)
            except OSError as undo_error:
                undo_errors.append(undo_error)
        if undo_errors:
            raise _OutputError(
                f"cannot write the results: {_reason(error)}, "
                f"and cannot put the previous ones back: {_reason(undo_errors[0])}"
            ) from error
        raise


if __name__ == "__main__":
    raise SystemExit(main())
