"""Saving and loading trained networks as ``.npz`` files (no pickle).

The file holds ``format`` ("mlpviz-model"), ``version``, ``workspace`` ("2d" for a network
on points, "digits" for one on images; files without it are "2d"), ``layer_sizes`` (the
first is the input size), ``activations``, ``init`` and one array per weight matrix and bias
vector (``W1``, ``b1``, …), in the network's dtype (float32 for digits).

A model file from a user is untrusted (see :mod:`mlpviz.core.archive`). The loader reads the
small members first, checks the declared architecture against these limits, checks every
parameter against the declared sizes, and only then builds the network:

- at most ``MAX_HIDDEN_LAYERS`` hidden layers (config.py: what the app can edit and draw);
- every layer 1 to ``MAX_LAYER_SIZE`` units (network.py: the engine's limit, not the
  editor's ``MAX_NEURONS``: networks built with the core API, say for digits, are wider);
- at most ``MAX_MODEL_PARAMETERS`` weights and biases in all, which bounds the memory a
  model file can make the loader allocate.
"""

from __future__ import annotations

import io
import itertools
import os

import numpy as np

from .archive import UntrustedArchive
from .atomic import write_atomically
from .config import MAX_HIDDEN_LAYERS
from .errors import ConfigError, ModelError, shown
from .network import MLP, parameter_count, validated_layer_sizes

FORMAT = "mlpviz-model"
VERSION = 1

MAX_MODEL_PARAMETERS = 5_000_000
"""Most weights and biases a model file may declare: 40 MB as float64. The editor's largest
network has 30 thousand; a 784-512-512-10 digits network has 670 thousand."""

_TEXT = ("<U",)
_INTEGERS = ("<i8", "<i4")  # NumPy's default integer is 32-bit on Windows before NumPy 2
_FLOATS = ("<f8", "<f4")
_MAX_MEMBERS = 64  # a model has 5 + 2 × layers members; newer versions may add a few
_MAX_FILE_BYTES = 8 * MAX_MODEL_PARAMETERS + 2**20  # the parameters, headers and small members


def save_model(net: MLP, path: str | os.PathLike) -> None:
    """Write ``net`` to ``path`` (an ``.npz`` file), atomically."""
    arrays: dict[str, np.ndarray] = {
        "format": np.array(FORMAT),
        "version": np.array(VERSION),
        "workspace": np.array(model_workspace(net.layer_sizes[0])),
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


def model_workspace(n_inputs: int) -> str:
    """The workspace of a network with ``n_inputs`` inputs: "2d" for 2 (points), else
    "digits" (images)."""
    return "2d" if n_inputs == 2 else "digits"


def load_model(path: str | os.PathLike, *, n_inputs: int | None = None) -> MLP:
    """Read a network saved by ``save_model``; ModelError for a bad, foreign or oversized file
    (limits in the module docstring), and for a model without ``n_inputs`` inputs when given
    (a workspace's input size: 2 for points, 64 or 784 for images).
    """
    name = os.fspath(path)
    with UntrustedArchive(
        path,
        ModelError,
        max_members=_MAX_MEMBERS,
        max_member_bytes=_MAX_FILE_BYTES,
        max_total_bytes=_MAX_FILE_BYTES,
    ) as archive:
        _check_format(archive, name)
        sizes = _layer_sizes(archive, name)
        workspace = _workspace(archive, name, sizes[0])
        if n_inputs is not None and sizes[0] != n_inputs:
            raise ModelError(
                f"{name}: the model has {sizes[0]} inputs; this workspace needs {n_inputs} "
                f"(a model of the {_WORKSPACE_NAMES[workspace]} workspace)"
            )
        activations = _read(archive, name, "activations", dtypes=_TEXT, shape=(len(sizes) - 2,))
        init = _read(archive, name, "init", dtypes=_TEXT, shape=())
        parameters = [
            _parameter(archive, name, key, shape) for key, shape in _parameter_shapes(sizes)
        ]
    return _network(name, sizes, activations.tolist(), str(init), parameters)


def _read(archive: UntrustedArchive, name: str, key: str, **expected) -> np.ndarray:
    """Member ``key`` as an array checked against ``expected`` (``read_array``'s limits)."""
    if not archive.has(f"{key}.npy"):
        raise ModelError(f"{name}: {key} is missing")
    return archive.read_array(f"{key}.npy", **expected)


def _check_format(archive: UntrustedArchive, name: str) -> None:
    """Raise unless the file carries the format marker and a version this code can read."""
    try:
        marker = str(archive.read_array("format.npy", dtypes=_TEXT, shape=()))
    except ModelError:  # missing or unreadable: either way not one of ours
        marker = None
    if marker != FORMAT:
        raise ModelError(f"{name}: not an mlpviz model file (no '{FORMAT}' marker)")
    version = int(_read(archive, name, "version", dtypes=_INTEGERS, shape=()))
    if version > VERSION:
        raise ModelError(f"{name}: made by a newer mlpviz (format version {version})")
    if version < 1:
        raise ModelError(f"{name}: invalid format version {version}")


_WORKSPACE_NAMES = {"2d": "2-D", "digits": "digits"}


def _workspace(archive: UntrustedArchive, name: str, n_inputs: int) -> str:
    """The workspace the file names (``2d`` for older files without one), which must be the
    one its input size belongs to."""
    workspace = "2d"
    if archive.has("workspace.npy"):
        workspace = str(_read(archive, name, "workspace", dtypes=_TEXT, shape=()))
    if workspace != model_workspace(n_inputs):
        raise ModelError(
            f"{name}: a model of the workspace '{shown(workspace)}' cannot have {n_inputs} inputs"
        )
    return workspace


def _layer_sizes(archive: UntrustedArchive, name: str) -> tuple[int, ...]:
    """The declared layer sizes, checked against the limits before anything is allocated."""
    values = _read(
        archive,
        name,
        "layer_sizes",
        dtypes=_INTEGERS,
        shape=(None,),
        max_elements=MAX_HIDDEN_LAYERS + 2,
    )
    try:
        sizes = validated_layer_sizes(values.tolist())
    except ConfigError as error:
        raise ModelError(f"{name}: invalid network description ({error})") from None
    count = parameter_count(sizes)
    if count > MAX_MODEL_PARAMETERS:
        raise ModelError(
            f"{name}: the network has {count:,} parameters; "
            f"at most {MAX_MODEL_PARAMETERS:,} allowed"
        )
    return sizes


def _parameter_shapes(sizes: tuple[int, ...]) -> list[tuple[str, tuple[int, ...]]]:
    """``[("W1", (n1, n0)), ("b1", (n1,)), ("W2", …), …]`` for these layer sizes."""
    shapes = []
    for index, (n_in, n_out) in enumerate(itertools.pairwise(sizes), start=1):
        shapes += [(f"W{index}", (n_out, n_in)), (f"b{index}", (n_out,))]
    return shapes


def _parameter(
    archive: UntrustedArchive, name: str, key: str, shape: tuple[int, ...]
) -> np.ndarray:
    """Parameter ``key``: its header must declare ``shape``, its values must be finite."""
    value = _read(archive, name, key, dtypes=_FLOATS, shape=shape)
    if not np.isfinite(value).all():
        raise ModelError(f"{name}: parameter {key} holds NaN or infinite values")
    return value


def _network(
    name: str,
    sizes: tuple[int, ...],
    activations: list[str],
    init: str,
    parameters: list[np.ndarray],
) -> MLP:
    """The MLP with these parameters (W1, b1, W2, …), in the dtype of W1."""
    try:
        net = MLP(sizes, activations, init=init, seed=0, dtype=parameters[0].dtype)
    except ConfigError as error:
        raise ModelError(f"{name}: invalid network description ({error})") from None
    targets = [view for pair in zip(net.weights, net.biases) for view in pair]
    for target, value in zip(targets, parameters, strict=True):
        target[...] = value
    return net
