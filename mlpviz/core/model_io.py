"""Saving and loading trained networks as ``.npz`` files (no pickle).

The file holds ``format`` ("mlpviz-model"), ``version``, ``layer_sizes``, ``activations``,
``init`` and one array per weight matrix and bias vector (``W1``, ``b1``, …).
"""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path

import numpy as np

from .atomic import write_atomically
from .errors import ConfigError, ModelError
from .network import MLP

FORMAT = "mlpviz-model"
VERSION = 1


def save_model(net: MLP, path: str | os.PathLike) -> None:
    """Write ``net`` to ``path`` (an ``.npz`` file), atomically."""
    arrays: dict[str, np.ndarray] = {
        "format": np.array(FORMAT),
        "version": np.array(VERSION),
        "layer_sizes": np.array(net.layer_sizes, dtype=np.int64),
        "activations": np.array(net.activations, dtype=np.str_).reshape(-1),
        "init": np.array(net.init),
    }
    for index, (W, b) in enumerate(zip(net.weights, net.biases), start=1):
        arrays[f"W{index}"] = W
        arrays[f"b{index}"] = b
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    write_atomically(path, lambda handle: handle.write(buffer.getvalue()))


def load_model(path: str | os.PathLike) -> MLP:
    """Read a network saved by ``save_model``; a bad or foreign file raises ModelError."""
    name = Path(path).name
    try:
        with np.load(path, allow_pickle=False) as archive:
            contents = {key: archive[key] for key in archive.files}
    except FileNotFoundError:
        raise ModelError(f"{name}: no such file") from None
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as error:
        raise ModelError(f"{name}: not an mlpviz model file ({error})") from None
    if not isinstance(contents, dict) or str(contents.get("format", "")) != FORMAT:
        raise ModelError(f"{name}: not an mlpviz model file (no '{FORMAT}' marker)")
    return _network_from(contents, name)


def _network_from(contents: dict[str, np.ndarray], name: str) -> MLP:
    try:
        version = int(contents.get("version", -1))
    except (TypeError, ValueError, OverflowError):
        raise ModelError(f"{name}: invalid format version") from None
    if version > VERSION:
        raise ModelError(f"{name}: made by a newer mlpviz (format version {version})")
    try:
        sizes = [int(n) for n in contents["layer_sizes"]]
        activations = [str(a) for a in contents["activations"]]
        init = str(contents.get("init", "xavier"))
        dtype = contents["W1"].dtype
        net = MLP(sizes, activations, init=init, seed=0, dtype=dtype)
    except (KeyError, TypeError, ValueError, OverflowError, ConfigError) as error:
        raise ModelError(f"{name}: invalid network description ({error})") from None
    for index, (W, b) in enumerate(zip(net.weights, net.biases), start=1):
        for key, target in ((f"W{index}", W), (f"b{index}", b)):
            _copy_parameter(contents, key, target, name)
    return net


def _copy_parameter(contents: dict[str, np.ndarray], key: str, target: np.ndarray, name: str):
    if key not in contents:
        raise ModelError(f"{name}: parameter {key} is missing")
    value = contents[key]
    if value.shape != target.shape or value.dtype.kind != "f":
        raise ModelError(
            f"{name}: parameter {key} has shape {value.shape}, expected {target.shape}"
        )
    if not np.isfinite(value).all():
        raise ModelError(f"{name}: parameter {key} holds NaN or infinite values")
    target[...] = value
