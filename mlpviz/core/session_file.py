"""Session files (``.mlpviz``): a whole run, saved so that it continues exactly where it was.

A zip archive (``archive.write_archive``) of ``manifest.json`` and a few ``.npy`` arrays:

``manifest.json``
    ``format_version`` (1), ``app_version``, ``workspace`` ("2d" or "digits"), ``split``
    (``test_ratio``, ``split_seed``), ``network`` and ``training`` (the settings in force,
    ``to_dict()``), ``schedule`` (``dense``, ``per_octave``: the one a new run starts with),
    ``data`` (``version``: the current dataset's id, ``points``, ``features``: the network's
    inputs, 2 when missing), ``trainer`` (the live trainer, null before there is data to
    train on), ``timeline`` (``budget_bytes``, its possibly thinned ``schedule``,
    ``last_is_transient``, ``trainings``: the distinct training settings, ``data_versions``:
    ``id`` and ``points`` of each, ``checkpoints``: per checkpoint the index of its training
    settings, its data version id, ``metrics``, ``weight_norms``, ``gradient_norms``,
    ``largest_weight`` (the run's largest |w| so far) and ``trainer``, whose ``order_index``
    says which of the ``orders`` is its epoch's; ``orders``: the length of each distinct sample
    order of the checkpoints — the checkpoints of an epoch share one, and a 200,000-point
    run's is 0.8 MB; a file without ``orders``, from an earlier mlpviz, holds each
    checkpoint's order, concatenated, and no ``order_index``; ``feature_axes``: true
    when the arrays ``checkpoint_feature_*`` below are there — a file without them, from an
    earlier mlpviz, gets them derived along its checkpoints), ``history`` (``rows``,
    ``stride``, ``offered`` and the ``newest`` row shown beyond the kept ones, or null) and
    ``view_settings`` (an object the app keeps for itself). A trainer is ``iteration``,
    ``epoch``, ``rng`` (NumPy's PCG64 state), ``order`` (length of the epoch's sample order,
    null without one), ``position``, ``optimizer_step`` and ``buffers`` (each optimiser
    buffer's name and its number of rows, 0 before the first update, else 1). A number that
    is not finite (not measured) is null.

arrays (P is the network's parameter count)
    ``data_X`` (m, features), ``data_y`` (m,) int64, ``data_test_mask`` (m,) bool: the
    current dataset and split; ``params`` (P,), ``optimizer_buffers`` (rows, P) and ``order``
    (n,) int64: the live network and trainer; ``checkpoint_params`` (checkpoints, P),
    ``checkpoint_buffers`` (rows, P): the checkpoints', in their order, and
    ``checkpoint_orders`` (Σn,) int64: the distinct ``orders``, concatenated; ``versions_X``,
    ``versions_y``, ``versions_test_mask``: the data versions' in the order of
    ``data_versions``, concatenated; ``history`` (rows, 5);
    the checkpoints' feature axes (n: the last hidden layer's size, the inputs' without one;
    c: the number of checkpoints when n ≥ 3, else 0): ``checkpoint_feature_ranges``
    (checkpoints, 2, n) each neuron's lowest and highest activation so far (±inf before any
    sample), ``checkpoint_feature_centres`` (c, n), ``checkpoint_feature_bases`` (c, n, 2)
    and ``checkpoint_feature_extents`` (c, 2). Data, parameters and buffers are float64 in
    the 2-D workspace, float32 in the digits one (images carry their own split: the mask).

Reading trusts nothing: every value must have its type and range and fit the rest, and the
shape of every array follows from the manifest and is checked against the array's header
before its data is read (``archive.UntrustedArchive``), so a bad file raises SessionError
with one line naming the problem, and allocates nothing it claims before that check.
"""

from __future__ import annotations

import math
import os
from dataclasses import asdict, fields, replace
from itertools import pairwise
from typing import NamedTuple

import numpy as np

from .. import __version__
from .archive import MANIFEST, UntrustedArchive, write_archive
from .config import MAX_SEED, NETWORK_CONFIGS, TrainingConfig
from .datasets import Dataset
from .digits import IMAGE_SIDES, ImageDataset
from .errors import ConfigError, DatasetError, SessionError, shown
from .feature_space import FeatureAxes, derive_axes
from .history import FIELDS, TrainingHistory
from .network import MLP
from .optimizers import OPTIMIZERS, OptimizerState, make_optimizer
from .session import Session, SessionParts
from .timeline import Checkpoint, DataVersion, Metrics, RecordSchedule, Timeline
from .trainer import TrainerState

FORMAT_VERSION = 1
WORKSPACES = ("2d", "digits")
# The inputs a workspace's network may have, and the dtype of its data and parameters.
FEATURES = {"2d": (2,), "digits": tuple(side * side for side in IMAGE_SIDES)}
FLOAT_DTYPES = {"2d": "<f8", "digits": "<f4"}
MAX_MANIFEST_BYTES = 32 * 2**20  # a 10-million-iteration run's manifest takes about 1 MiB
MAX_TEST_RATIO = 0.9  # as Dataset.test_mask
MAX_COUNT = 2**62  # iterations, epochs, steps, ids, schedule sizes: far beyond any run
MAX_BUDGET_BYTES = 2**40
MAX_PROBLEM_CHARS = 200  # a message may quote the file; it stays one readable line

# The buffers each optimiser keeps, named as its state() names them.
OPTIMIZER_BUFFERS = {name: tuple(make_optimizer(name, 0.1).state().arrays) for name in OPTIMIZERS}


# --- writing ---------------------------------------------------------------------------------
def write_session(session: Session, path: str | os.PathLike) -> None:
    """Write ``session`` to ``path`` atomically; OSError when the file cannot be written."""
    manifest, arrays = _contents(session._parts())
    write_archive(path, manifest, arrays)


def _contents(parts: SessionParts) -> tuple[dict, dict[str, np.ndarray]]:
    """The manifest and the arrays of a session file (see the module docstring)."""
    timeline = parts.timeline
    checkpoints = [timeline[index] for index in range(len(timeline))]
    distinct = dict.fromkeys(checkpoint.training for checkpoint in checkpoints)
    trainings = {training: index for index, training in enumerate(distinct)}
    version_ids = sorted({checkpoint.data_version for checkpoint in checkpoints})
    versions = [timeline.data_version(version) for version in version_ids]
    states = [checkpoint.trainer for checkpoint in checkpoints]
    orders, order_indices = _distinct_orders(states)
    live = [] if parts.trainer is None else [parts.trainer]
    n_params = len(parts.params)
    manifest = {
        "format_version": FORMAT_VERSION,
        "app_version": __version__,
        "workspace": parts.data.dataset.workspace,
        "split": {"test_ratio": parts.test_ratio, "split_seed": parts.split_seed},
        "network": parts.network.to_dict(),
        "training": parts.training.to_dict(),
        "schedule": asdict(parts.schedule),
        "data": {
            "version": parts.data_version,
            "points": len(parts.data.dataset),
            "features": parts.data.dataset.n_features,
        },
        "trainer": None if parts.trainer is None else _trainer_entry(parts.trainer),
        "timeline": {
            "budget_bytes": timeline.budget_bytes,
            "schedule": asdict(timeline.schedule),
            "last_is_transient": timeline.last_is_transient,
            "feature_axes": True,
            "trainings": [training.to_dict() for training in trainings],
            "data_versions": [
                {"id": version_id, "points": len(version.dataset)}
                for version_id, version in zip(version_ids, versions)
            ],
            "orders": [len(order) for order in orders],
            "checkpoints": [
                _checkpoint_entry(checkpoint, trainings[checkpoint.training], order_index)
                for checkpoint, order_index in zip(checkpoints, order_indices)
            ],
        },
        "history": _history_entry(parts.history),
        "view_settings": parts.view_settings,
    }
    arrays = {
        "data_X": parts.data.dataset.X,
        "data_y": parts.data.dataset.y,
        "data_test_mask": parts.data.test_mask,
        "params": parts.params,
        "optimizer_buffers": _buffer_rows(live, n_params, parts.params.dtype),
        "order": _concatenated([state.order for state in live if state.order is not None]),
        "checkpoint_params": np.stack([checkpoint.params for checkpoint in checkpoints]),
        "checkpoint_buffers": _buffer_rows(states, n_params, parts.params.dtype),
        "checkpoint_orders": _concatenated(orders),
        "versions_X": np.concatenate([version.dataset.X for version in versions]),
        "versions_y": np.concatenate([version.dataset.y for version in versions]),
        "versions_test_mask": np.concatenate([version.test_mask for version in versions]),
        "history": parts.history.kept_rows(),
        **_feature_axes_arrays([checkpoint.feature_axes for checkpoint in checkpoints]),
    }
    return manifest, arrays


def _feature_axes_arrays(axes: list[FeatureAxes]) -> dict[str, np.ndarray]:
    """The ``checkpoint_feature_*`` arrays of the checkpoints' ``axes`` (see the docstring)."""
    n = axes[0].n_features
    planes = [item for item in axes if item.basis is not None]
    return {
        "checkpoint_feature_ranges": np.array([(item.low, item.high) for item in axes]),
        "checkpoint_feature_centres": np.array([item.centre for item in planes]).reshape(-1, n),
        "checkpoint_feature_bases": np.array([item.basis for item in planes]).reshape(-1, n, 2),
        "checkpoint_feature_extents": np.array([item.extent for item in planes]).reshape(-1, 2),
    }


def _checkpoint_entry(checkpoint: Checkpoint, training: int, order_index: int | None) -> dict:
    metrics = checkpoint.metrics
    return {
        "training": training,
        "data_version": checkpoint.data_version,
        "metrics": {name: _json_number(value) for name, value in asdict(metrics).items()},
        "weight_norms": [_json_number(norm) for norm in checkpoint.weight_norms],
        "gradient_norms": [_json_number(norm) for norm in checkpoint.gradient_norms],
        "largest_weight": _json_number(checkpoint.largest_weight),
        "trainer": _trainer_entry(checkpoint.trainer) | {"order_index": order_index},
    }


def _trainer_entry(state: TrainerState) -> dict:
    return {
        "iteration": state.iteration,
        "epoch": state.epoch,
        "rng": state.rng,
        "order": None if state.order is None else len(state.order),
        "position": state.position,
        "optimizer_step": state.optimizer.step,
        "buffers": {name: len(arrays) for name, arrays in state.optimizer.arrays.items()},
    }


def _history_entry(history: TrainingHistory) -> dict:
    stride, offered = history.state()
    kept, shown_rows = history.kept_rows(), history.arrays()
    newest = None
    if len(shown_rows) > len(kept):  # the curve ends at a state between two kept rows
        newest = [_json_number(getattr(shown_rows, field)[-1].item()) for field in FIELDS]
    return {"rows": len(kept), "stride": stride, "offered": offered, "newest": newest}


def _buffer_rows(states: list[TrainerState], n_params: int, dtype: np.dtype) -> np.ndarray:
    """The optimiser buffers of ``states``, one row each, in order, in the parameters'
    ``dtype`` (also when there are none: plain SGD keeps no buffer)."""
    rows = [
        array for state in states for arrays in state.optimizer.arrays.values() for array in arrays
    ]
    return np.array(rows, dtype=dtype).reshape(len(rows), n_params)


def _distinct_orders(states: list[TrainerState]) -> tuple[list[np.ndarray], list[int | None]]:
    """Each distinct sample order of ``states`` once, and the index of each state's in that
    list (None for a state without one). The states of an epoch, which come one after the
    other, share its order: each is compared with the one before."""
    orders: list[np.ndarray] = []
    indices: list[int | None] = []
    for state in states:
        if state.order is None:
            indices.append(None)
            continue
        if not orders or not np.array_equal(orders[-1], state.order):
            orders.append(state.order)
        indices.append(len(orders) - 1)
    return orders, indices


def _concatenated(orders: list[np.ndarray]) -> np.ndarray:
    """Sample ``orders`` end to end, as int64."""
    return np.concatenate([np.zeros(0, dtype=np.int64), *orders]).astype(np.int64)


def _json_number(value: float) -> float | None:
    """JSON has no NaN or infinity: a value not measured is null."""
    return value if math.isfinite(value) else None


# --- reading ---------------------------------------------------------------------------------
def read_session(path: str | os.PathLike, workspace: str | None = None) -> Session:
    """The session saved in ``path`` by ``write_session``.

    A bad file (missing, not a session, damaged, from a newer mlpviz, inconsistent), or a
    session of another workspace than ``workspace`` (None: any), raises SessionError with
    one line naming the file and the problem.
    """
    with UntrustedArchive(path, SessionError) as archive:
        manifest = archive.read_json(MANIFEST, max_bytes=MAX_MANIFEST_BYTES)
        try:
            return _Reader(archive).session(manifest, workspace)
        except (_ContentError, ConfigError, DatasetError) as problem:
            message = shown(str(problem), MAX_PROBLEM_CHARS)
            raise SessionError(f"{os.fspath(path)}: {message}") from None


class _ContentError(Exception):
    """A problem with the content of a session file (the caller adds the file's name)."""


class _Object:
    """A JSON object of the manifest, whose fields are read with type and range checks."""

    def __init__(self, value: object, where: str) -> None:
        if not isinstance(value, dict):
            raise _ContentError(f"{where} must be a JSON object")
        self.value = value
        self.where = where

    def field(self, key: str) -> object:
        """The value of ``key``, which must be there."""
        if key not in self.value:
            raise _ContentError(f"{self.where}.{key} is missing")
        return self.value[key]

    def integer(self, key: str, low: int = 0, high: int = MAX_COUNT) -> int:
        """A whole number in [low, high] (not a boolean, not 3.0)."""
        value = self.field(key)
        if type(value) is not int or not low <= value <= high:
            bound = f"from {low} to {high}" if high < MAX_COUNT else f"≥ {low}"
            raise _ContentError(f"{self.where}.{key} must be a whole number {bound}")
        return value

    def number(self, key: str) -> float:
        """A number; null reads as NaN (a value not measured)."""
        return _number(self.field(key), f"{self.where}.{key}")

    def flag(self, key: str) -> bool:
        """true or false."""
        value = self.field(key)
        if not isinstance(value, bool):
            raise _ContentError(f"{self.where}.{key} must be true or false")
        return value

    def object(self, key: str) -> _Object:
        """A nested object."""
        return _Object(self.field(key), f"{self.where}.{key}")

    def optional_object(self, key: str) -> _Object | None:
        """A nested object, or None for null."""
        value = self.field(key)
        return None if value is None else _Object(value, f"{self.where}.{key}")

    def objects(self, key: str) -> list[_Object]:
        """A list of objects."""
        where = f"{self.where}.{key}"
        return [_Object(item, f"{where}[{i}]") for i, item in enumerate(self.json_list(key))]

    def numbers(self, key: str) -> tuple[float, ...]:
        """A list of numbers (null reads as NaN)."""
        return _numbers(self.field(key), f"{self.where}.{key}")

    def json_list(self, key: str) -> list:
        """A list of anything."""
        value = self.field(key)
        if not isinstance(value, list):
            raise _ContentError(f"{self.where}.{key} must be a list")
        return value


def _numbers(value: object, where: str) -> tuple[float, ...]:
    if not isinstance(value, list):
        raise _ContentError(f"{where} must be a list of numbers")
    return tuple(_number(item, f"{where}[{i}]") for i, item in enumerate(value))


def _number(value: object, where: str) -> float:
    if value is None:
        return math.nan
    if type(value) not in (int, float):
        raise _ContentError(f"{where} must be a number or null")
    try:
        return float(value)
    except OverflowError:  # an integer beyond any float
        raise _ContentError(f"{where} is too large") from None


class _TrainerEntry(NamedTuple):
    """A trainer of the manifest, checked, waiting for its arrays."""

    iteration: int
    epoch: int
    rng: dict
    order: int | None  # the length of its epoch's sample order
    position: int
    step: int
    buffers: dict[str, int]  # each optimiser buffer's number of rows
    order_index: int | None = None  # which of the timeline's shared orders is its epoch's

    @property
    def n_rows(self) -> int:
        """Rows of the optimiser buffers array that are this trainer's."""
        return sum(self.buffers.values())

    def state(self, rows: np.ndarray, order: np.ndarray | None) -> TrainerState:
        """The TrainerState with (copies of) its buffer ``rows`` and its sample ``order``
        (as is: the checkpoints of an epoch share it, as they share it in the file)."""
        arrays, start = {}, 0
        for name, count in self.buffers.items():
            arrays[name] = [row.copy() for row in rows[start : start + count]]
            start += count
        optimizer = OptimizerState(self.step, arrays)
        return TrainerState(self.iteration, self.epoch, optimizer, self.rng, order, self.position)


class _CheckpointEntry(NamedTuple):
    """A checkpoint of the manifest, checked, waiting for its arrays."""

    training: TrainingConfig
    data_version: int
    metrics: Metrics
    weight_norms: tuple[float, ...]
    gradient_norms: tuple[float, ...]
    largest_weight: float
    trainer: _TrainerEntry


class _Reader:
    """Reads one session file: the manifest first, then each array with the shape it implies.

    The network's sizes follow from the current data's classes: ``session`` reads that first.
    """

    def __init__(self, archive: UntrustedArchive) -> None:
        self._archive = archive
        self._rng_probe = np.random.PCG64()  # checks the saved generator states

    def session(self, manifest: object, workspace: str | None) -> Session:
        """The session described by ``manifest`` and the arrays."""
        top = _Object(manifest, "manifest")
        self._workspace = _check_format(top, workspace)
        self._float = FLOAT_DTYPES[self._workspace]
        split = top.object("split")
        test_ratio = split.number("test_ratio")
        if not 0.0 <= test_ratio <= MAX_TEST_RATIO:
            raise _ContentError(f"manifest.split.test_ratio must be from 0 to {MAX_TEST_RATIO}")
        network = NETWORK_CONFIGS[self._workspace].from_dict(top.field("network"))
        training = TrainingConfig.from_dict(top.field("training"))
        data_entry = top.object("data")
        self._features = _features(data_entry, self._workspace)
        data = self._current_data(data_entry)
        dataset = data.dataset
        net = self._net = network.build(dataset.n_classes, dataset.n_features, dataset.X.dtype)
        self._n_params, self._depth, self._n_classes = net.parameter_count, net.depth, net.n_classes
        params = self._parameters("params", (self._n_params,))
        trainer = self._live_trainer(top.optional_object("trainer"), training)
        timeline = self._timeline(top.object("timeline"))
        if trainer is not None and trainer.iteration != timeline[-1].iteration:
            raise _ContentError("the trainer's iteration is not the last checkpoint's")
        parts = SessionParts(
            network=network,
            training=training,
            test_ratio=test_ratio,
            split_seed=split.integer("split_seed", 0, MAX_SEED),
            schedule=_schedule(top.object("schedule")),
            data=data,
            data_version=data_entry.integer("version"),
            params=params,
            trainer=trainer,
            timeline=timeline,
            history=self._history(top.object("history")),
            view_settings=top.object("view_settings").value,
        )
        return Session._from_parts(parts)

    # --- arrays ----------------------------------------------------------------------------
    def _array(self, name: str, dtype: str, shape: tuple[int, ...]) -> np.ndarray:
        return self._archive.read_array(f"{name}.npy", dtypes=(dtype,), shape=shape)

    def _parameters(self, name: str, shape: tuple[int, ...]) -> np.ndarray:
        array = self._array(name, self._float, shape)
        if not np.isfinite(array).all():
            raise _ContentError(f"member '{name}.npy' holds NaN or infinite parameters")
        return array

    def _orders(
        self, name: str, entries: list[_TrainerEntry], shared: list[int] | None
    ) -> list[np.ndarray | None]:
        """The sample order of each trainer of ``entries`` (None for those without one):
        one of the ``shared`` orders of those lengths, or (None: a file from before they
        were shared) one of its own each."""
        if shared is None:
            lengths = [entry.order for entry in entries if entry.order is not None]
            orders = iter(self._packed_orders(name, lengths))
            return [None if entry.order is None else next(orders) for entry in entries]
        for entry in entries:
            index = entry.order_index
            known = index is not None and index < len(shared) and shared[index] == entry.order
            if entry.order is not None and not known:
                raise _ContentError("a checkpoint's order_index is no sample order of its length")
        orders = self._packed_orders(name, shared)
        return [None if entry.order is None else orders[entry.order_index] for entry in entries]

    def _packed_orders(self, name: str, lengths: list[int]) -> list[np.ndarray]:
        """Sample orders of ``lengths``, end to end in member ``name``, each checked."""
        packed = self._array(name, "<i8", (sum(lengths),))
        orders, start = [], 0
        for length in lengths:
            order = packed[start : start + length]
            if not _is_permutation(order):
                raise _ContentError(f"member '{name}.npy' holds an order that is no permutation")
            orders.append(order.astype(np.intp))
            start += length
        return orders

    def _trainer_states(
        self,
        entries: list[_TrainerEntry],
        buffers: str,
        orders: str,
        shared: list[int] | None = None,
    ) -> list[TrainerState]:
        n_rows = sum(entry.n_rows for entry in entries)
        rows = self._array(buffers, self._float, (n_rows, self._n_params))
        states, start = [], 0
        for entry, order in zip(entries, self._orders(orders, entries, shared)):
            states.append(entry.state(rows[start : start + entry.n_rows], order))
            start += entry.n_rows
        return states

    def _data_versions(self, points: list[int], prefix: str) -> list[DataVersion]:
        """The datasets and splits of ``points`` points each, from the members ``prefix``_X, …"""
        total = sum(points)
        X = self._array(f"{prefix}_X", self._float, (total, self._features))
        y = self._array(f"{prefix}_y", "<i8", (total,))
        mask = self._array(f"{prefix}_test_mask", "|b1", (total,))
        versions, start = [], 0
        for count in points:
            end = start + count
            # Copies, as the mask below; images carry their split.
            parts = (X[start:end], y[start:end], mask[start:end])
            dataset = Dataset(*parts[:2]) if self._workspace == "2d" else ImageDataset(*parts)
            versions.append(DataVersion(dataset, mask[start:end].copy()))
            start = end
        return versions

    # --- parts -----------------------------------------------------------------------------
    def _current_data(self, entry: _Object) -> DataVersion:
        (data,) = self._data_versions([entry.integer("points")], "data")
        return data

    def _live_trainer(self, entry: _Object | None, training: TrainingConfig) -> TrainerState | None:
        entries = [] if entry is None else [self._trainer_entry(entry, training)]
        states = self._trainer_states(entries, "optimizer_buffers", "order")
        return states[0] if states else None

    def _trainer_entry(self, entry: _Object, training: TrainingConfig) -> _TrainerEntry:
        order = entry.field("order")
        if order is not None:
            order = entry.integer("order", 1)
        position = entry.integer("position")
        if position >= (order or 1):
            raise _ContentError(f"{entry.where}.position is beyond its sample order")
        order_index = None
        if entry.value.get("order_index") is not None:
            order_index = entry.integer("order_index")
        return _TrainerEntry(
            iteration=entry.integer("iteration"),
            epoch=entry.integer("epoch"),
            rng=self._rng_state(entry.field("rng"), f"{entry.where}.rng"),
            order=order,
            position=position,
            step=entry.integer("optimizer_step"),
            buffers=_buffer_counts(entry.object("buffers"), training),
            order_index=order_index,
        )

    def _rng_state(self, state: object, where: str) -> dict:
        """``state`` as NumPy's PCG64 takes and gives it back; anything else is refused."""
        try:
            self._rng_probe.state = state
        except (TypeError, ValueError, KeyError, OverflowError):
            raise _ContentError(f"{where} is not a state of NumPy's PCG64 generator") from None
        accepted = self._rng_probe.state
        if accepted != state:  # e.g. 1.5 taken as 1: not what was saved
            raise _ContentError(f"{where} is not a state of NumPy's PCG64 generator")
        return accepted

    def _timeline(self, entry: _Object) -> Timeline:
        trainings = [TrainingConfig.from_dict(item) for item in entry.json_list("trainings")]
        version_entries = entry.objects("data_versions")
        ids = [version.integer("id") for version in version_entries]
        if len(set(ids)) != len(ids):
            raise _ContentError("manifest.timeline.data_versions holds an id twice")
        checkpoints = [
            self._checkpoint_entry(item, trainings, set(ids))
            for item in entry.objects("checkpoints")
        ]
        _check_checkpoints(checkpoints, ids)
        points = [version.integer("points") for version in version_entries]
        versions = dict(zip(ids, self._data_versions(points, "versions")))
        for version in versions.values():
            if version.dataset.n_classes > self._n_classes:
                raise _ContentError("a data version has labels the network has no output for")
        params = self._parameters("checkpoint_params", (len(checkpoints), self._n_params))
        states = self._trainer_states(
            [checkpoint.trainer for checkpoint in checkpoints],
            "checkpoint_buffers",
            "checkpoint_orders",
            self._shared_orders(entry),
        )
        restored = [
            Checkpoint(
                params=row.copy(),
                trainer=state,
                training=checkpoint.training,
                data_version=checkpoint.data_version,
                metrics=checkpoint.metrics,
                weight_norms=checkpoint.weight_norms,
                gradient_norms=checkpoint.gradient_norms,
                largest_weight=checkpoint.largest_weight,
            )
            for checkpoint, row, state in zip(checkpoints, params, states)
        ]
        if "feature_axes" in entry.value and entry.flag("feature_axes"):
            restored = self._with_feature_axes(restored)
        else:  # a file from before they were kept: derived along its checkpoints
            restored = _derived_feature_axes(restored, versions, self._net)
        timeline = Timeline(entry.integer("budget_bytes", 1, MAX_BUDGET_BYTES))
        timeline._restore(
            restored, versions, _schedule(entry.object("schedule")), entry.flag("last_is_transient")
        )
        return timeline

    @staticmethod
    def _shared_orders(entry: _Object) -> list[int] | None:
        """The lengths of the distinct sample orders the checkpoints share (``orders``), or
        None for a file from before they were shared (each checkpoint holds its own)."""
        if "orders" not in entry.value:
            return None
        lengths = entry.json_list("orders")
        if not all(type(length) is int and 1 <= length <= MAX_COUNT for length in lengths):
            raise _ContentError(f"{entry.where}.orders must hold whole numbers ≥ 1")
        return lengths

    def _with_feature_axes(self, checkpoints: list[Checkpoint]) -> list[Checkpoint]:
        """``checkpoints`` with the feature axes the file holds for them."""
        count, n = len(checkpoints), self._net.layer_sizes[-2]
        planes = count if n >= 3 else 0
        ranges = self._array("checkpoint_feature_ranges", "<f8", (count, 2, n))
        centres = self._finite_array("checkpoint_feature_centres", (planes, n))
        bases = self._finite_array("checkpoint_feature_bases", (planes, n, 2))
        extents = self._finite_array("checkpoint_feature_extents", (planes, 2))
        if np.isnan(ranges).any():
            raise _ContentError("member 'checkpoint_feature_ranges.npy' holds NaN")
        axes = [
            FeatureAxes(low.copy(), high.copy())
            if not planes
            else FeatureAxes(low.copy(), high.copy(), centres[i], bases[i], extents[i])
            for i, (low, high) in enumerate(ranges)
        ]
        return [replace(c, feature_axes=a) for c, a in zip(checkpoints, axes)]

    def _finite_array(self, name: str, shape: tuple[int, ...]) -> np.ndarray:
        array = self._array(name, "<f8", shape)
        if not np.isfinite(array).all():
            raise _ContentError(f"member '{name}.npy' holds NaN or infinite values")
        return array

    def _checkpoint_entry(
        self, entry: _Object, trainings: list[TrainingConfig], version_ids: set[int]
    ) -> _CheckpointEntry:
        training = trainings[entry.integer("training", 0, len(trainings) - 1)]
        data_version = entry.integer("data_version")
        if data_version not in version_ids:
            raise _ContentError(f"{entry.where}.data_version refers to no data version")
        weight_norms = entry.numbers("weight_norms")
        gradient_norms = entry.numbers("gradient_norms")
        if len(weight_norms) != self._depth or len(gradient_norms) not in (0, self._depth):
            raise _ContentError(f"{entry.where} has norms for another number of layers")
        metrics = entry.object("metrics")
        return _CheckpointEntry(
            training=training,
            data_version=data_version,
            metrics=Metrics(*(metrics.number(field.name) for field in fields(Metrics))),
            weight_norms=weight_norms,
            gradient_norms=gradient_norms,
            largest_weight=entry.number("largest_weight"),
            trainer=self._trainer_entry(entry.object("trainer"), training),
        )

    def _history(self, entry: _Object) -> TrainingHistory:
        history = TrainingHistory()
        rows = self._array("history", "<f8", (entry.integer("rows", 0, history.capacity), 5))
        history.restore(rows, entry.integer("stride", 1), entry.integer("offered"))
        newest = entry.field("newest")
        if newest is not None:
            values = _numbers(newest, f"{entry.where}.newest")
            if len(values) != len(FIELDS):
                raise _ContentError(f"{entry.where}.newest must hold {len(FIELDS)} numbers")
            history.show_newest(values)
        return history


def _derived_feature_axes(
    checkpoints: list[Checkpoint], versions: dict[int, DataVersion], net: MLP
) -> list[Checkpoint]:
    """``checkpoints`` with feature axes derived along them, as a run records them."""
    derived, previous = [], None
    for checkpoint in checkpoints:
        net.params[...] = checkpoint.params
        X = versions[checkpoint.data_version].dataset.X
        previous = derive_axes(net, X, previous)
        derived.append(replace(checkpoint, feature_axes=previous))
    return derived


def _check_format(top: _Object, expected: str | None) -> str:
    """Refuse a file of another format version or workspace before reading anything else;
    return the file's workspace."""
    version = top.field("format_version")
    if type(version) is not int:
        raise _ContentError("manifest.format_version must be a whole number")
    if version > FORMAT_VERSION:
        raise _ContentError(f"made by a newer mlpviz (session format {version}); update mlpviz")
    if version != FORMAT_VERSION:
        raise _ContentError(f"unknown session format {version}")
    workspace = top.field("workspace")
    known = workspace in WORKSPACES
    if known and expected in (None, workspace):
        return workspace
    problem = f"of the {_WORKSPACE_NAMES[workspace]} one: open it there" if known else ""
    problem = problem or f"of an unknown workspace '{shown(str(workspace))}'"
    if expected is None:
        raise _ContentError(f"a session {problem}")
    raise _ContentError(
        f"not a session of the {_WORKSPACE_NAMES[expected]} workspace but {problem}"
    )


_WORKSPACE_NAMES = {"2d": "2-D", "digits": "digits"}


def _features(entry: _Object, workspace: str) -> int:
    """The number of features of the data (the network's inputs), checked for ``workspace``."""
    features = entry.integer("features") if "features" in entry.value else 2
    if features not in FEATURES[workspace]:
        allowed = " or ".join(str(n) for n in FEATURES[workspace])
        raise _ContentError(f"{entry.where}.features must be {allowed} for {workspace} data")
    return features


def _schedule(entry: _Object) -> RecordSchedule:
    return RecordSchedule(entry.integer("dense"), entry.integer("per_octave", 1))


def _buffer_counts(entry: _Object, training: TrainingConfig) -> dict[str, int]:
    """Each buffer's number of rows: every buffer of the optimiser (none for a trainer that
    has not started), all with 0 rows before its first update and 1 after (the trainer
    updates one flat parameter vector)."""
    counts = {name: entry.integer(name, 0, 1) for name in entry.value}
    names = set(OPTIMIZER_BUFFERS[training.optimizer])
    if set(counts) not in (set(), names) or len(set(counts.values())) > 1:
        raise _ContentError(f"{entry.where} does not fit the optimiser {training.optimizer}")
    return counts


def _check_checkpoints(checkpoints: list[_CheckpointEntry], version_ids: list[int]) -> None:
    if not checkpoints:
        raise _ContentError("the timeline has no checkpoint")
    iterations = [checkpoint.trainer.iteration for checkpoint in checkpoints]
    if any(later <= earlier for earlier, later in pairwise(iterations)):
        raise _ContentError("the checkpoints are not in increasing iteration order")
    if {checkpoint.data_version for checkpoint in checkpoints} != set(version_ids):
        raise _ContentError("a data version is used by no checkpoint")


def _is_permutation(order: np.ndarray) -> bool:
    n = len(order)
    return bool(
        order.min() >= 0 and order.max() < n and (np.bincount(order, minlength=n) == 1).all()
    )
