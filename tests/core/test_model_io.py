"""Model files: exact round-trips, clear errors for bad or foreign files, atomic writes."""

import numpy as np
import pytest

from mlpviz.core import MLP, ModelError, load_model, save_model


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
        (b"not a zip at all", "not an mlpviz model"),
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
        ({"W2": np.zeros((2, 3))}, "W2 has shape"),
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
