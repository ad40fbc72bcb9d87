"""``mlpviz digits``: train an MLP on handwritten digits headless and write what it learnt.

    mlpviz digits [--mnist PATH] [--layers 32] [--activation relu] [--optimizer adam]
                  [--lr F] [--batch-size N] [--epochs N] [--subset N] [--seed S]
                  --out DIR [--save-session FILE.mlpviz]

writes ``metrics.json``, ``confusion.csv`` (row = true digit), ``weights.png`` (the first
layer's weights, one tile per hidden neuron), ``misclassified.png`` (the test images it got
wrong, worst first) and ``model.npz`` into DIR, all of them or none (as ``mlpviz train``).
Without ``--mnist`` the data are scikit-learn's 8×8 digits (the ``digits`` extra).
The defaults train ``[64, 32, 10]`` ReLU with Adam to about 97 % test accuracy in 20 epochs.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import numpy as np
from threadpoolctl import threadpool_limits

from mlpviz import __version__
from mlpviz.cli import (
    DIGITS_OUTPUT_FILES,
    EXIT_OK,
    _check_range,
    _hidden_and_training,
    _json_number,
    _output_directory,
    _OutputError,
    _publish,
    _reason,
    _save_session,
    _session_path,
    _whole_number,
    add_optimizer_arguments,
    settings_record,
)
from mlpviz.core.activations import ACTIVATIONS
from mlpviz.core.config import (
    MAX_DIGITS_NEURONS,
    MAX_SEED,
    DigitsNetworkConfig,
    TrainingConfig,
)
from mlpviz.core.digit_views import confusion_matrix, misclassified, weight_tiles
from mlpviz.core.digits import (
    ImageDataset,
    load_digits_8x8,
    load_mnist,
    timeline_options,
    training_subset,
)
from mlpviz.core.model_io import save_model
from mlpviz.core.network import INITS, MLP
from mlpviz.core.session import Session

OUTPUT_FILES = ("metrics.json", *DIGITS_OUTPUT_FILES, "model.npz")
MAX_EPOCHS = 10_000
SHOWN_MISTAKES = 60  # images in misclassified.png
SOURCE_8X8 = "scikit-learn 8×8 digits"
SMALL_UPDATE = 2**20  # parameters × batch size below which one BLAS thread trains (_small)


def add_parser(commands: argparse._SubParsersAction) -> None:
    """The ``digits`` command's arguments."""
    parser = commands.add_parser(
        "digits",
        help="train on handwritten digits without a window and write the results",
        description=(
            "Train an MLP on handwritten digits (scikit-learn's 8×8 digits, or MNIST with "
            "--mnist) and write metrics.json, confusion.csv, weights.png, misclassified.png "
            "and model.npz into DIR."
        ),
    )
    data = parser.add_argument_group("data")
    data.add_argument(
        "--mnist",
        metavar="PATH",
        help="MNIST: a folder with the four IDX files (plain or .gz), or Keras's mnist.npz "
        "(default: scikit-learn's 8×8 digits, split 80/20 with --seed)",
    )
    data.add_argument(
        "--subset",
        type=_whole_number,
        metavar="N",
        help="train on N training images drawn with --seed (the test set stays whole)",
    )
    network = parser.add_argument_group("network")
    network.add_argument(
        "--layers",
        default="32",
        metavar="SIZES",
        help="hidden layer sizes, comma-separated: 32 means [64, 32, 10] on the 8×8 digits "
        "(default: %(default)s)",
    )
    network.add_argument(
        "--activation",
        default="relu",
        metavar="NAME",
        help=f"activation of the hidden layers: {', '.join(ACTIVATIONS)} (default: %(default)s)",
    )
    network.add_argument(
        "--init", default="he", choices=INITS, help="weight initialisation (default: %(default)s)"
    )
    _add_training_arguments(parser.add_argument_group("training"))
    output = parser.add_argument_group("output")
    output.add_argument("--out", required=True, metavar="DIR", help="directory for the results")
    output.add_argument(
        "--save-session",
        metavar="FILE.mlpviz",
        help="also save the trained session, to continue it or open it in the app",
    )


def _add_training_arguments(group: argparse._ArgumentGroup) -> None:
    add_optimizer_arguments(group, "adam", 0.01, 32)
    group.add_argument(
        "--epochs",
        type=_whole_number,
        default=20,
        metavar="N",
        help="passes over the training images (default: %(default)s)",
    )
    group.add_argument(
        "--seed",
        type=_whole_number,
        default=0,
        metavar="S",
        help="seed of the split, the subset, the weights and the batches (default: %(default)s)",
    )


@dataclass(frozen=True)
class _Settings:
    """Everything a digits run needs, checked before any work starts."""

    network: DigitsNetworkConfig
    training: TrainingConfig
    epochs: int
    subset: int | None
    seed: int
    out: Path
    session: Path | None


def _settings(args: argparse.Namespace) -> _Settings:
    """The options, checked; ConfigError naming the first bad one."""
    _check_range("--epochs", args.epochs, 1, MAX_EPOCHS)
    _check_range("--seed", args.seed, 0, MAX_SEED)
    _check_range("--batch-size", args.batch_size, 1, None)
    if args.subset is not None:
        _check_range("--subset", args.subset, 1, None)
    hidden, training = _hidden_and_training(args, MAX_DIGITS_NEURONS)
    return _Settings(
        network=DigitsNetworkConfig(hidden, init=args.init, seed=args.seed),
        training=training,
        epochs=args.epochs,
        subset=args.subset,
        seed=args.seed,
        out=_output_directory(args.out, OUTPUT_FILES),
        session=_session_path(args.save_session),
    )


def _data(args: argparse.Namespace, settings: _Settings) -> ImageDataset:
    """The images to train and test on; DatasetError for missing or bad data."""
    data = load_digits_8x8(settings.seed) if args.mnist is None else load_mnist(args.mnist)
    if settings.subset is not None:
        data = training_subset(data, settings.subset, settings.seed)
    return data


# --- the command ---------------------------------------------------------------------------
def digits_command(args: argparse.Namespace) -> int:
    """``mlpviz digits``: train, then write the results (all or none) and print a summary."""
    settings = _settings(args)
    data = _data(args, settings)
    session = Session(data, settings.network, settings.training, **timeline_options(data))
    threads = 1 if _small(session.net, settings.training.batch_size) else None
    with (
        np.errstate(over="ignore", invalid="ignore", divide="ignore"),
        threadpool_limits(limits=threads, user_api="blas"),
    ):
        seconds = _train(session, settings.epochs, sys.stderr)
    results = _Results.of(session, seconds, settings, args.mnist)
    _write(results, settings)
    _save_session(session, settings.session)
    print(_summary(results.metrics, settings.out))
    return EXIT_OK


def _small(net: MLP, batch_size: int) -> bool:
    """Whether a network's updates are too small to gain from BLAS threads: it then trains on
    one. Their threads wait for each other spinning, and on a busy machine that costs more
    than it saves: [64, 32, 10] on the 8×8 digits took 15 s with two threads where one took
    1.7 s, on this 2-core machine shared with other jobs."""
    return net.parameter_count * batch_size < SMALL_UPDATE


def _train(session: Session, epochs: int, stream: TextIO) -> float:
    """``epochs`` passes over the training images; returns the seconds it took. On a
    terminal, a line per epoch says how far it got and how long the rest will take."""
    start = time.perf_counter()
    for epoch in range(1, epochs + 1):
        session.step_epoch()
        if stream.isatty():
            elapsed = time.perf_counter() - start
            accuracy = session.timeline[-1].metrics.test_accuracy
            left = elapsed / epoch * (epochs - epoch)
            stream.write(
                f"\repoch {epoch}/{epochs}  test acc {100 * accuracy:.1f}%  ETA {left:.0f} s  "
            )
            stream.flush()
    if stream.isatty():
        stream.write("\n")
    return time.perf_counter() - start


@dataclass(frozen=True)
class _Results:
    """What a digits run writes: its numbers and the pictures' content."""

    session: Session
    metrics: dict
    confusion: np.ndarray
    test_images: np.ndarray
    test_labels: np.ndarray
    probabilities: np.ndarray

    @classmethod
    def of(
        cls, session: Session, seconds: float, settings: _Settings, mnist: str | None
    ) -> _Results:
        """Measure the trained network of ``session``."""
        data: ImageDataset = session.dataset  # type: ignore[assignment]
        net, test = session.net, data.test
        measured = session.evaluate()
        confusion = confusion_matrix(data.y[test], net.predict(data.X[test]))
        metrics = {
            "train_accuracy": measured.train_accuracy,
            "test_accuracy": measured.test_accuracy,
            "train_loss": measured.train_loss,
            "test_loss": measured.test_loss,
            "epochs": session.epoch,
            "iterations": session.iteration,
            "seconds": seconds,
            "train_images": int((~test).sum()),
            "test_images": int(test.sum()),
            **_settings_used(settings, mnist, data, net.layer_sizes),
        }
        return cls(
            session=session,
            metrics={key: _json_number(value) for key, value in metrics.items()},
            confusion=confusion,
            test_images=data.images(test),
            test_labels=data.y[test],
            probabilities=net.predict_proba(data.X[test]),
        )


def _settings_used(
    settings: _Settings, mnist: str | None, data: ImageDataset, layer_sizes: tuple[int, ...]
) -> dict:
    """The settings part of metrics.json."""
    return {
        "data": SOURCE_8X8 if mnist is None else mnist,
        "image_shape": list(data.image_shape),
        "subset": settings.subset,
        **settings_record(settings.network, settings.training),
        "seed": settings.seed,
        "layer_sizes": list(layer_sizes),
        "mlpviz_version": __version__,
    }


def confusion_csv(matrix: np.ndarray) -> str:
    """``true,0,1,…,9`` then one row per true digit: the digit, then its counts."""
    classes = range(len(matrix))
    lines = [",".join(["true", *(str(k) for k in classes)])]
    lines += [",".join([str(k), *(str(int(n)) for n in row)]) for k, row in zip(classes, matrix)]
    return "\n".join(lines) + "\n"


def _write(results: _Results, settings: _Settings) -> None:
    """Write the result files into DIR, all or none; what stops that is an _OutputError."""
    from mlpviz.render_digits import render_misclassified_png, render_weights_png

    net = results.session.net
    dataset: ImageDataset = results.session.dataset  # type: ignore[assignment]
    tiles = weight_tiles(net.weights[0], dataset.image_shape)
    mistakes = misclassified(results.probabilities, results.test_labels)[:SHOWN_MISTAKES]
    title = _title(results.metrics)
    text = json.dumps(results.metrics, indent=2, allow_nan=False) + "\n"
    writers = {
        "metrics.json": lambda path: path.write_text(text, encoding="utf-8"),
        "confusion.csv": lambda path: path.write_text(
            confusion_csv(results.confusion), encoding="utf-8"
        ),
        "weights.png": lambda path: render_weights_png(tiles, path, title=title),
        "misclassified.png": lambda path: render_misclassified_png(
            results.test_images, mistakes, path, title=title
        ),
        "model.npz": lambda path: save_model(net, path),
    }
    try:
        _publish(writers, settings.out)
    except OSError as error:
        raise _OutputError(
            f"cannot write the results into {settings.out}: {_reason(error)}"
        ) from None


def _title(metrics: dict) -> str:
    """``8×8 digits · [64, 32, 10] relu · adam α = 0.01 · 20 epochs · test 97.2 %``."""
    rows, columns = metrics["image_shape"]
    activations = "/".join(dict.fromkeys(metrics["activation"])) or "no hidden layer"
    return (
        f"{rows}×{columns} digits · {metrics['layer_sizes']} {activations} · "
        f"{metrics['optimizer']} α = {metrics['lr']:g} · {metrics['epochs']} epochs · "
        f"test {100 * metrics['test_accuracy']:.1f} %"
    )


def _summary(metrics: dict, out: Path) -> str:
    """``train acc 99.9% | test J 0.0914 acc 97.2% | 20 epochs (900 it) in 0.81 s → DIR``."""
    return (
        f"train acc {100 * metrics['train_accuracy']:.1f}% | "
        f"test J {metrics['test_loss']:.4g} acc {100 * metrics['test_accuracy']:.1f}% | "
        f"{metrics['epochs']} epochs ({metrics['iterations']} it) in {metrics['seconds']:.2f} s "
        f"→ {out}"
    )
