"""Model files: exact round-trips, clear errors for bad, foreign or crafted files (fast and
without large allocations), atomic writes."""

import contextlib
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlpviz.core import MLP, ModelError, load_model, save_model
from mlpviz.core.model_io import MAX_MODEL_PARAMETERS
from tests.core.crafted_files import (
    RawMember,
    deflated_zeros,
    float64_header,
    load_in_limited_process,
    model_description,
    model_members,
    npy_bytes,
    npy_with_header,
    raw_zip,
    zip_bytes,
)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_round_trip_is_exact(tmp_path, dtype):
    net = MLP([2, 5, 4, 3], ["relu", "sigmoid"], init="he", seed=4, dtype=dtype)
    path = tmp_path / "model.npz"
    save_model(net, path)
    loaded = load_model(path)
    assert loaded.layer_sizes == net.layer_sizes
    assert loaded.activations == net.activations
    assert loaded.params.dtype == net.params.dtype
    np.testing.assert_array_equal(loaded.params, net.params)
    X = np.random.default_rng(0).normal(size=(5, 2))
    np.testing.assert_array_equal(loaded.predict_proba(X), net.predict_proba(X))


def test_single_neuron_round_trip(tmp_path):
    net = MLP([2, 1], seed=0)
    save_model(net, tmp_path / "m.npz")
    assert load_model(tmp_path / "m.npz").activations == ()


def write_npz(path, **arrays):
    np.savez(path, **arrays)
    return path


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"not a zip at all", "not a zip archive"),
        (None, "no such file"),
    ],
)
def test_unreadable_files(tmp_path, content, message):
    path = tmp_path / "bad.npz"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(ModelError, match=message):
        load_model(path)


def test_foreign_npz_is_refused(tmp_path):
    path = write_npz(tmp_path / "foreign.npz", a=np.zeros(3))
    with pytest.raises(ModelError, match="not an mlpviz model"):
        load_model(path)


def test_object_arrays_are_never_unpickled(tmp_path):
    path = write_npz(tmp_path / "evil.npz", format=np.array([{"x": 1}], dtype=object))
    with pytest.raises(ModelError, match="not an mlpviz model"):
        load_model(path)


def saved(tmp_path, **changes):
    net = MLP([2, 3, 1], seed=0)
    save_model(net, tmp_path / "m.npz")
    with np.load(tmp_path / "m.npz") as archive:
        contents = {key: archive[key] for key in archive.files}
    contents.update(changes)
    for key in [k for k, v in changes.items() if v is None]:
        del contents[key]
    return write_npz(tmp_path / "changed.npz", **contents)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"W2": np.zeros((2, 3))}, r"'W2.npy' has shape \(2, 3\); expected \(1, 3\)"),
        ({"b1": None}, "b1 is missing"),
        ({"W1": np.full((3, 2), np.nan)}, "NaN"),
        ({"activations": np.array(["swish"])}, "invalid network"),
        ({"layer_sizes": np.array([2, 0, 1])}, "invalid network"),
        ({"version": np.array(99)}, "newer mlpviz"),
    ],
)
def test_inconsistent_models_are_refused(tmp_path, changes, message):
    with pytest.raises(ModelError, match=message):
        load_model(saved(tmp_path, **changes))


def test_save_is_atomic_and_leaves_no_temporary_file(tmp_path):
    path = tmp_path / "m.npz"
    path.write_bytes(b"previous")
    save_model(MLP([2, 1]), path)
    assert [p.name for p in tmp_path.iterdir()] == ["m.npz"]
    assert load_model(path).layer_sizes == (2, 1)


@pytest.mark.parametrize("version", [np.array("one"), np.array([1, 2])])
def test_an_unreadable_version_is_a_model_error(tmp_path, version):
    with pytest.raises(ModelError, match="version"):
        load_model(saved(tmp_path, version=version))


def test_missing_or_impossible_version(tmp_path):
    with pytest.raises(ModelError, match="version is missing"):
        load_model(saved(tmp_path, version=None))
    with pytest.raises(ModelError, match="invalid format version 0"):
        load_model(saved(tmp_path, version=np.array(0)))


def test_models_written_by_other_numpy_calls_still_load(tmp_path):
    net = MLP([2, 3, 2], "relu", seed=1)
    save_model(net, tmp_path / "m.npz")
    with np.load(tmp_path / "m.npz") as archive:
        contents = {key: archive[key] for key in archive.files}
    contents["W1"] = np.asfortranarray(contents["W1"])
    np.savez_compressed(tmp_path / "compressed.npz", **contents)
    loaded = load_model(tmp_path / "compressed.npz")
    np.testing.assert_array_equal(loaded.params, net.params)


def test_n_inputs_must_match_the_workspace(tmp_path):
    save_model(MLP([3, 4, 1], seed=0), tmp_path / "m.npz")
    assert load_model(tmp_path / "m.npz", n_inputs=3).layer_sizes == (3, 4, 1)
    with pytest.raises(ModelError, match="the model has 3 inputs; this workspace needs 2"):
        load_model(tmp_path / "m.npz", n_inputs=2)


def crafted(tmp_path, **changes: bytes) -> Path:
    """A valid [2, 3, 1] model file with ``changes`` to its members."""
    path = tmp_path / "crafted.npz"
    path.write_bytes(zip_bytes(model_members([2, 3, 1], **changes)))
    return path


def layer_sizes(value) -> dict[str, bytes]:
    return {"layer_sizes.npy": npy_bytes(np.array(value))}


CRAFTED = [
    (layer_sizes([2.5, 3, 1]), "'layer_sizes.npy' has dtype <f8; expected <i8 or <i4"),
    (layer_sizes([[2, 3, 1]]), "'layer_sizes.npy' has shape (1, 3); expected (any,)"),
    (layer_sizes([2, *[4] * 9, 1]), "'layer_sizes.npy' holds 11 values; at most 10 allowed"),
    (layer_sizes([2, 5000, 1]), "every layer size must be between 1 and 4096"),
    (layer_sizes([2, 0, 1]), "every layer size must be between 1 and 4096"),
    (layer_sizes([2, -3, 1]), "every layer size must be between 1 and 4096"),
    (layer_sizes([2]), "needs at least an input and an output size"),
    (layer_sizes([2, 4096, 4096, 1]), "has 16,797,697 parameters; at most 5,000,000 allowed"),
    ({"init.npy": npy_bytes(np.array(["xavier"]))}, "'init.npy' has shape (1,); expected ()"),
    ({"init.npy": npy_bytes(np.array("x" * 10**5))}, "unknown init 'xxxxx"),
    ({"activations.npy": npy_bytes(np.array(["x" * 10**5]))}, "unknown activation 'xxxx"),
    ({"W1.npy": npy_bytes(np.zeros((3, 2), np.int64))}, "'W1.npy' has dtype <i8"),
    ({"b2.npy": npy_bytes(np.array([np.inf]))}, "parameter b2 holds NaN or infinite values"),
]


@pytest.mark.parametrize(("changes", "message"), CRAFTED, ids=[case[1] for case in CRAFTED])
def test_crafted_models_are_refused_with_a_short_message(tmp_path, changes, message):
    with pytest.raises(ModelError) as info:
        load_model(crafted(tmp_path, **changes))
    assert message in str(info.value) and len(str(info.value)) < 300


def test_the_parameter_limit_leaves_room_for_digits_networks(tmp_path):
    assert MLP([784, 512, 512, 10]).parameter_count < MAX_MODEL_PARAMETERS
    save_model(MLP([784, 128, 10], seed=0), tmp_path / "digits.npz")
    assert load_model(tmp_path / "digits.npz", n_inputs=784).layer_sizes == (784, 128, 10)


# --------------------------------------------------------------------------- the QA probe

BOMB_BYTES = 1144 * 2**20  # 1.2 GB of zeros that deflate to 1.2 MB


def probe_members(kind: str) -> dict[str, bytes] | list[RawMember]:
    """The members of the QA probe's crafted model files."""
    small_w1 = {"W1.npy": npy_bytes(np.zeros((1, 1)))}
    if kind == "wide":  # 1.5 KB declaring 50 million parameters
        return {**model_description([2, 4096, 4096, 4096, 4096, 1]), **small_w1}
    if kind == "deep":  # 2000 hidden layers of 4096 units
        return {**model_description([2, *[4096] * 2000, 1]), **small_w1}
    if kind == "huge W1 header":  # W1's header declares 10**12 values (8 TB)
        return model_members([2, 1], **{"W1.npy": npy_with_header(float64_header((10**12,)))})
    if kind == "float layer sizes":
        return model_members([2, 3, 1], **layer_sizes([2.5, 3.0, 1.0]))
    header = npy_with_header(float64_header((BOMB_BYTES // 8,)))
    payload = deflated_zeros(BOMB_BYTES, prefix=header)
    bomb = RawMember("W1.npy", payload, method=8, size=len(header) + BOMB_BYTES, crc=0)
    return [RawMember(name, data) for name, data in model_description([2, 1]).items()] + [bomb]


@pytest.mark.skipif(sys.platform != "linux", reason="RLIMIT_AS and ru_maxrss in KiB")
@pytest.mark.parametrize(
    "kind", ["wide", "deep", "huge W1 header", "float layer sizes", "zip bomb"]
)
def test_probe_files_fail_fast_with_little_memory(tmp_path, kind):
    members = probe_members(kind)
    path = tmp_path / "probe.npz"
    path.write_bytes(raw_zip(members) if isinstance(members, list) else zip_bytes(members))
    result = load_in_limited_process("mlpviz.core.model_io.load_model", path, memory=2**30)
    assert result["outcome"] == "ModelError", result
    assert result["seconds"] < 1.0, result
    assert result["kib"] < 32 * 1024, result


# --------------------------------------------------------------------------- fuzzing

VALID_MODEL = zip_bytes(model_members([2, 3, 2]))


@settings(max_examples=200, deadline=None)
@given(data=st.binary(max_size=400))
def test_fuzz_random_bytes(fuzz_dir, data):
    path = fuzz_dir / "m.npz"
    path.write_bytes(data)
    with contextlib.suppress(ModelError):
        load_model(path)


@settings(max_examples=200, deadline=None)
@given(
    flips=st.lists(st.tuples(st.integers(0, len(VALID_MODEL) - 1), st.integers(0, 255)), min_size=1)
)
def test_fuzz_damaged_model_files(fuzz_dir, flips):
    damaged = bytearray(VALID_MODEL)
    for position, value in flips:
        damaged[position] = value
    path = fuzz_dir / "m.npz"
    path.write_bytes(bytes(damaged))
    with contextlib.suppress(ModelError):
        load_model(path)


MEMBER_VALUES = st.sampled_from(
    [
        np.array("mlpviz-model"),
        np.array(1),
        np.array(2**40),
        np.array([2, 3, 2]),
        np.array([2, -1]),
        np.array(["tanh"]),
        np.array("he"),
        np.zeros((3, 2)),
        np.zeros(3, np.float32),
        np.full(2, np.nan),
        np.array(True),
        np.zeros((0, 3)),
    ]
)


@settings(max_examples=200, deadline=None)
@given(
    replaced=st.dictionaries(
        st.sampled_from(sorted(model_members([2, 3, 2]))), MEMBER_VALUES | st.binary(max_size=40)
    )
)
def test_fuzz_replaced_members(fuzz_dir, replaced):
    changes = {
        name: value if isinstance(value, bytes) else npy_bytes(value)
        for name, value in replaced.items()
    }
    path = fuzz_dir / "m.npz"
    path.write_bytes(zip_bytes(model_members([2, 3, 2], **changes)))
    with contextlib.suppress(ModelError):
        load_model(path)
