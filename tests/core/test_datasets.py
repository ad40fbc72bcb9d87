"""Behaviour tests for mlpviz.core.datasets: the Dataset value, presets and CSV I/O."""

from __future__ import annotations

import dataclasses
import itertools
import os
import sys
import tempfile
from pathlib import Path
from unittest import mock

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlpviz.core import datasets
from mlpviz.core.datasets import (
    BOX,
    MAX_CLASSES,
    MAX_COORDINATE,
    PRESETS,
    Dataset,
    check_classes_consecutive,
    load_csv,
    make_preset,
    save_csv,
)
from mlpviz.core.errors import DatasetError
from tests.core.crafted_files import load_in_limited_process

ALL_PRESETS = ["linear", "xor", "circles", "moons", "spiral", "gaussian"]
PRESET_CASES = [(name, 2) for name in ALL_PRESETS] + [
    ("spiral", 3),
    ("spiral", 8),
    ("gaussian", 5),
    ("gaussian", 8),
]


def small() -> Dataset:
    """Four points, labels 0, 1, 0, 1."""
    X = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 2.0], [-3.0, -3.0]])
    return Dataset(X, np.array([0, 1, 0, 1]))


# --------------------------------------------------------------------------- Dataset value


def test_construction_converts_to_float64_and_int64():
    ds = Dataset([[1, 2], [3, 4]], [0, 1])
    assert ds.X.dtype == np.float64 and ds.X.shape == (2, 2)
    assert ds.y.dtype == np.int64 and ds.y.shape == (2,)
    assert len(ds) == 2


def test_arrays_are_read_only():
    ds = small()
    with pytest.raises(ValueError):
        ds.X[0, 0] = 5.0
    with pytest.raises(ValueError):
        ds.y[0] = 1
    with pytest.raises(ValueError):
        ds.X.flags.writeable = True
    with pytest.raises(dataclasses.FrozenInstanceError):
        ds.X = np.zeros((4, 2))  # type: ignore[misc]


def test_construction_copies_the_callers_arrays():
    X = np.array([[1.0, 2.0]])
    y = np.array([1])
    ds = Dataset(X, y)
    X[0, 0] = 99.0
    y[0] = 0
    assert ds.X[0, 0] == 1.0 and ds.y[0] == 1


@pytest.mark.parametrize(
    ("X", "y"),
    [
        ([[1.0, 2.0, 3.0]], [0]),  # three columns
        ([1.0, 2.0], [0]),  # one-dimensional
        ([[np.nan, 0.0]], [0]),
        ([[np.inf, 0.0]], [0]),
        ([["a", "b"]], [0]),
        ([[1.0, 2.0]], [0, 1]),  # length mismatch
        ([[1.0, 2.0]], [-1]),
        ([[1.0, 2.0]], [MAX_CLASSES]),
        ([[1.0, 2.0]], [1.5]),
        ([[1.0, 2.0]], [[0]]),
        ([[1.0, 2.0], [1.0]], [0, 0]),  # ragged
        ([[1e308, 0.0]], [0]),
        ([[0.0, -1000000.1]], [0]),
    ],
)
def test_invalid_construction_raises(X, y):
    with pytest.raises(DatasetError):
        Dataset(X, y)


def test_integral_float_labels_are_accepted():
    assert Dataset([[0.0, 0.0]], np.array([3.0])).y.tolist() == [3]


def test_empty_dataset():
    ds = Dataset.empty()
    assert ds.X.shape == (0, 2) and ds.y.shape == (0,)
    assert len(ds) == 0
    assert ds.n_classes == 2
    assert ds.class_counts().tolist() == [0, 0]
    assert ds.nearest_point((0.0, 0.0)) is None
    assert ds == Dataset(np.empty((0, 2)), [])


def test_equality_compares_contents_and_datasets_are_unhashable():
    assert small() == small()
    assert small() != small().without_point(0)
    changed = Dataset(small().X, [0, 1, 0, 0])
    assert small() != changed
    assert small() != "not a dataset"
    with pytest.raises(TypeError):
        hash(small())


def test_n_classes_and_class_counts():
    ds = small()
    assert ds.n_classes == 2
    assert ds.class_counts().tolist() == [2, 2]
    only_zeros = Dataset([[0.0, 0.0]], [0])
    assert only_zeros.n_classes == 2
    assert only_zeros.class_counts().tolist() == [1, 0]


# --------------------------------------------------------------------------- edits


def test_with_points_returns_new_dataset_and_leaves_original():
    ds = small()
    grown = ds.with_points([[5.0, 5.0], [4.0, -4.0]], 1)
    assert len(ds) == 4 and len(grown) == 6
    assert grown.X[4:].tolist() == [[5.0, 5.0], [4.0, -4.0]]
    assert grown.y[4:].tolist() == [1, 1]
    assert np.array_equal(grown.X[:4], ds.X)


def test_with_points_accepts_a_single_point():
    grown = small().with_points((1.5, -2.5), 0)
    assert grown.X[-1].tolist() == [1.5, -2.5] and grown.y[-1] == 0


def test_adding_a_class_2_point_grows_n_classes():
    grown = small().with_points([[0.5, 0.5]], 2)
    assert grown.n_classes == 3
    assert grown.class_counts().tolist() == [2, 2, 1]
    assert small().n_classes == 2


@pytest.mark.parametrize("label", [-1, MAX_CLASSES, 1.0, True, "1"])
def test_with_points_rejects_bad_labels(label):
    with pytest.raises(DatasetError):
        small().with_points([[0.0, 0.0]], label)


def test_with_points_rejects_bad_points():
    with pytest.raises(DatasetError):
        small().with_points([[0.0, np.nan]], 0)
    with pytest.raises(DatasetError):
        small().with_points([[0.0, 1.0, 2.0]], 0)


def test_without_point_removes_exactly_that_point():
    ds = small()
    smaller = ds.without_point(1)
    assert len(smaller) == 3
    assert smaller.X.tolist() == [[0.0, 0.0], [0.0, 2.0], [-3.0, -3.0]]
    assert smaller.y.tolist() == [0, 0, 1]
    assert len(ds) == 4


def test_without_points_removes_several():
    smaller = small().without_points([0, 3, 3])
    assert smaller.X.tolist() == [[1.0, 0.0], [0.0, 2.0]]
    assert small().without_points([]) == small()


@pytest.mark.parametrize("index", [4, -1, 100])
def test_without_point_rejects_out_of_range(index):
    with pytest.raises(DatasetError):
        small().without_point(index)


def test_nearest_point():
    ds = small()
    assert ds.nearest_point((0.9, 0.1)) == 1
    assert ds.nearest_point(np.array([-2.0, -2.5])) == 3
    assert ds.nearest_point((0.9, 0.1), max_distance=0.5) == 1
    assert ds.nearest_point((0.9, 0.1), max_distance=0.1) is None
    # Exactly at max_distance counts as near enough.
    assert ds.nearest_point((0.0, 1.0), max_distance=1.0) == 0


def test_nearest_point_tie_goes_to_lowest_index():
    ds = Dataset([[1.0, 0.0], [-1.0, 0.0]], [0, 1])
    assert ds.nearest_point((0.0, 0.0)) == 0


def test_nearest_point_rejects_bad_input():
    with pytest.raises(DatasetError):
        small().nearest_point((0.0, 0.0, 0.0))
    with pytest.raises(DatasetError):
        small().nearest_point((0.0, 0.0), max_distance=-1.0)


# --------------------------------------------------------------------------- split


def grid(m: int) -> Dataset:
    """m distinct points on a line, labels alternating."""
    return Dataset(np.column_stack([np.arange(m), np.zeros(m)]), np.arange(m) % 2)


@pytest.mark.parametrize(("m", "ratio"), [(10, 0.2), (7, 0.3), (200, 0.25), (101, 0.5), (5, 0.0)])
def test_test_mask_has_exact_count(m, ratio):
    mask = grid(m).test_mask(ratio, seed=3)
    assert mask.dtype == bool and mask.shape == (m,)
    assert mask.sum() == round(ratio * m)


def test_test_mask_picks_the_smallest_keys():
    m, ratio, seed = 50, 0.3, 11
    keys = np.random.default_rng(seed).random(m)
    expected = np.zeros(m, dtype=bool)
    expected[np.argsort(keys)[: round(ratio * m)]] = True
    assert np.array_equal(grid(m).test_mask(ratio, seed), expected)


@pytest.mark.parametrize(("m", "ratio"), [(2, 0.9), (3, 0.9), (1, 0.9), (1, 0.5)])
def test_test_mask_keeps_a_training_point(m, ratio):
    mask = grid(m).test_mask(ratio)
    assert (~mask).sum() >= 1


def test_test_mask_on_empty_dataset():
    assert Dataset.empty().test_mask(0.5).shape == (0,)


@pytest.mark.parametrize("ratio", [-0.1, 0.95, 1.0, float("nan"), "0.2"])
def test_test_mask_rejects_bad_ratio(ratio):
    with pytest.raises(DatasetError):
        grid(10).test_mask(ratio)


def test_test_mask_is_seeded():
    ds = grid(100)
    assert np.array_equal(ds.test_mask(0.3, seed=5), ds.test_mask(0.3, seed=5))
    assert not np.array_equal(ds.test_mask(0.3, seed=5), ds.test_mask(0.3, seed=6))


def test_test_mask_is_stable_when_points_are_appended():
    ds = grid(40)
    grown = ds.with_points([[100.0, 1.0]], 0)
    before = ds.test_mask(0.25, seed=2)
    after = grown.test_mask(0.25, seed=2)[:40]
    # The old points' split only moves at the boundary: one side contains the other.
    assert np.all(before <= after) or np.all(after <= before)
    assert np.sum(before != after) <= 1


@settings(max_examples=60, deadline=None)
@given(
    m=st.integers(0, 80),
    k=st.integers(1, 10),
    ratio=st.floats(0.0, 0.9),
    seed=st.integers(0, 2**32),
)
def test_test_mask_split_of_old_points_is_nested_after_appending(m, k, ratio, seed):
    ds = grid(m)
    grown = ds.with_points(np.full((k, 2), 50.0), 1)
    before = ds.test_mask(ratio, seed)
    after = grown.test_mask(ratio, seed)[:m]
    assert np.all(before <= after) or np.all(after <= before)
    assert np.sum(before != after) <= k + 1


def test_split_partitions_the_dataset():
    ds = make_preset("gaussian", n=100, n_classes=4, seed=1)
    train, test = ds.split(0.2, seed=7)
    mask = ds.test_mask(0.2, seed=7)
    assert len(train) == 80 and len(test) == 20
    assert train == Dataset(ds.X[~mask], ds.y[~mask])
    assert test == Dataset(ds.X[mask], ds.y[mask])


# --------------------------------------------------------------------------- presets


def test_preset_registry_names():
    assert sorted(PRESETS) == sorted(ALL_PRESETS)


@pytest.mark.parametrize(("name", "k"), PRESET_CASES)
@pytest.mark.parametrize("noise", [0.0, 0.1, 1.0])
def test_preset_shape_box_and_classes(name, k, noise):
    ds = make_preset(name, n=203, noise=noise, seed=4, n_classes=k)
    assert ds.X.shape == (203, 2) and ds.y.shape == (203,)
    assert np.all(np.abs(ds.X) <= BOX)
    assert ds.n_classes == k
    counts = ds.class_counts()
    assert counts.sum() == 203 and counts.max() - counts.min() <= 1


@pytest.mark.parametrize(("name", "k"), PRESET_CASES)
def test_preset_is_seeded(name, k):
    a = make_preset(name, n=50, seed=123, n_classes=k)
    b = make_preset(name, n=50, seed=123, n_classes=k)
    c = make_preset(name, n=50, seed=124, n_classes=k)
    assert a == b
    assert a != c


def test_seed_none_draws_fresh_data():
    assert make_preset("moons", seed=None) != make_preset("moons", seed=None)


@pytest.mark.parametrize("name", ALL_PRESETS)
def test_preset_with_one_point(name):
    ds = make_preset(name, n=1)
    assert len(ds) == 1


@pytest.mark.parametrize(("name", "k"), PRESET_CASES)
def test_preset_generators_can_be_called_directly(name, k):
    X, y = PRESETS[name](30, 0.1, np.random.default_rng(0), k)
    assert X.shape == (30, 2) and y.shape == (30,)
    assert set(np.unique(y).tolist()) == set(range(k))


def test_clean_circles_have_the_documented_radii():
    ds = make_preset("circles", n=400, noise=0.0)
    radius = np.hypot(ds.X[:, 0], ds.X[:, 1])
    assert radius[ds.y == 0].max() <= 2.0
    assert radius[ds.y == 1].min() >= 3.5 and radius[ds.y == 1].max() <= 5.0


def test_clean_xor_labels_follow_the_quadrant_sign():
    ds = make_preset("xor", n=400, noise=0.0)
    product = ds.X[:, 0] * ds.X[:, 1]
    assert np.all((product > 0) == (ds.y == 0))


def test_noise_moves_points_across_classes():
    clean = make_preset("circles", n=400, noise=0.0)
    noisy = make_preset("circles", n=400, noise=1.0)
    r_clean = np.hypot(*clean.X.T)
    r_noisy = np.hypot(*noisy.X.T)
    assert np.all(r_clean[clean.y == 0] < r_clean[clean.y == 1].min())
    assert np.any(r_noisy[noisy.y == 0] > r_noisy[noisy.y == 1].min())


def sigmoid_neuron_accuracy(ds: Dataset, steps: int = 300) -> float:
    """Train one sigmoid neuron (logistic regression) by gradient descent; training accuracy."""
    X = np.column_stack([ds.X / BOX, np.ones(len(ds))])
    t = ds.y.astype(float)
    w = np.zeros(3)
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(-(X @ w)))
        w -= 2.0 * X.T @ (p - t) / len(t)
    return float(np.mean((X @ w > 0) == (ds.y == 1)))


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_linear_preset_is_learnable_by_a_single_sigmoid_neuron(seed):
    ds = make_preset("linear", n=200, noise=0.1, seed=seed)
    assert sigmoid_neuron_accuracy(ds) >= 0.97


def test_clean_linear_preset_is_separable_with_a_margin():
    ds = make_preset("linear", n=400, noise=0.0, seed=5)
    signs = np.where(ds.y == 1, 1.0, -1.0)
    X = np.column_stack([ds.X, np.ones(len(ds))])
    w = np.zeros(3)
    # Perceptron: converges (no mistakes in a full pass) only on separable data.
    for _ in range(100):
        wrong = signs * (X @ w) <= 0
        if not wrong.any():
            break
        i = int(np.argmax(wrong))
        w += signs[i] * X[i]
    assert np.all(signs * (X @ w) > 0)


def test_xor_is_not_linearly_separable():
    # Guards the sigmoid test above against accepting anything.
    assert sigmoid_neuron_accuracy(make_preset("xor", n=200, noise=0.1)) < 0.8


def test_clean_spiral_arms_follow_the_documented_curve():
    k = 3
    ds = make_preset("spiral", n=300, noise=0.0, n_classes=k)
    radius = np.hypot(ds.X[:, 0], ds.X[:, 1])
    assert radius.min() >= 0.15 * 5.5 - 1e-9 and radius.max() <= 5.5 + 1e-9
    # Arm j lies on theta = 2*pi*j/K + 4 * r / 5.5.
    expected = 2 * np.pi * ds.y / k + 4.0 * radius / 5.5
    gap = np.angle(np.exp(1j * (np.arctan2(ds.X[:, 1], ds.X[:, 0]) - expected)))
    assert np.all(np.abs(gap) < 1e-9)


def relu_mlp_test_accuracy(ds: Dataset, steps: int = 1500, seed: int = 0) -> float:
    """Train a 2-16-16-K ReLU network (softmax, full-batch Adam); accuracy on an 80/20 split."""
    train, test = ds.split(0.2)
    rng = np.random.default_rng(seed)
    sizes = [2, 16, 16, ds.n_classes]
    params = []
    for fan_in, fan_out in itertools.pairwise(sizes):
        params += [rng.normal(0, np.sqrt(2 / fan_in), (fan_in, fan_out)), np.zeros(fan_out)]
    moments = [(np.zeros_like(p), np.zeros_like(p)) for p in params]

    def forward(X):
        acts = [X / BOX]
        for i in range(0, len(params), 2):
            z = acts[-1] @ params[i] + params[i + 1]
            acts.append(np.maximum(z, 0) if i < len(params) - 2 else z)
        return acts

    targets = np.eye(ds.n_classes)[train.y]
    for t in range(1, steps + 1):
        acts = forward(train.X)
        logits = acts[-1] - acts[-1].max(axis=1, keepdims=True)
        probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
        delta = (probs - targets) / len(train)
        grads = [None] * len(params)
        for layer in reversed(range(len(params) // 2)):
            grads[2 * layer] = acts[layer].T @ delta
            grads[2 * layer + 1] = delta.sum(axis=0)
            delta = (delta @ params[2 * layer].T) * (acts[layer] > 0)
        for p, g, (m, v) in zip(params, grads, moments):
            m[...] = 0.9 * m + 0.1 * g
            v[...] = 0.999 * v + 0.001 * g * g
            p -= 0.01 * (m / (1 - 0.9**t)) / (np.sqrt(v / (1 - 0.999**t)) + 1e-8)
    return float(np.mean(forward(test.X)[-1].argmax(axis=1) == test.y))


def test_three_class_spiral_is_learnable_by_two_small_relu_layers():
    ds = make_preset("spiral", n=300, noise=0.1, seed=0, n_classes=3)
    assert relu_mlp_test_accuracy(ds) >= 0.9


@pytest.mark.parametrize(
    "kwargs",
    [
        {"name": "nope"},
        {"name": "linear", "n": 0},
        {"name": "linear", "n": 100_001},
        {"name": "linear", "n": 2.5},
        {"name": "linear", "n": True},
        {"name": "linear", "noise": -0.1},
        {"name": "linear", "noise": 1.5},
        {"name": "linear", "noise": float("nan")},
        {"name": "linear", "seed": -1},
        {"name": "linear", "seed": 1.5},
        {"name": 3},
        {"name": "spiral", "n_classes": 3.0},
        {"name": "spiral", "n_classes": 1},
        {"name": "gaussian", "n_classes": MAX_CLASSES + 1},
    ],
)
def test_make_preset_rejects_invalid_arguments(kwargs):
    with pytest.raises(DatasetError):
        make_preset(**kwargs)


def test_unknown_preset_lists_valid_names():
    with pytest.raises(DatasetError) as info:
        make_preset("spirals")
    for name in ALL_PRESETS:
        assert name in str(info.value)


@pytest.mark.parametrize("name", ["linear", "xor", "circles", "moons"])
def test_binary_presets_reject_more_classes(name):
    with pytest.raises(DatasetError, match=f"preset '{name}' has 2 classes"):
        make_preset(name, n_classes=3)


# --------------------------------------------------------------------------- CSV


def test_csv_round_trip_is_exact(tmp_path):
    X = np.array(
        [[0.1 + 0.2, -0.0], [1e-300, -1e6], [5e-324, 1.0 / 3.0], [-6.0, 999999.9999999999]]
    )
    ds = Dataset(X, [0, 7, 3, 1])
    path = tmp_path / "data.csv"
    save_csv(ds, path)
    back = load_csv(path)
    assert back == ds
    assert back.X.tobytes() == ds.X.tobytes()  # also keeps the sign of -0.0
    assert path.read_text(encoding="utf-8").splitlines()[0] == "x1,x2,label"


def test_saved_file_format(tmp_path):
    path = tmp_path / "out.csv"
    save_csv(Dataset([[0.5, -1.0]], [2]), path)
    assert path.read_bytes() == b"x1,x2,label\n0.5,-1.0,2\n"
    assert os.listdir(tmp_path) == ["out.csv"]  # no temporary file left behind


@settings(max_examples=40, deadline=None)
@given(
    points=st.lists(
        st.tuples(
            st.floats(-MAX_COORDINATE, MAX_COORDINATE),
            st.floats(-MAX_COORDINATE, MAX_COORDINATE),
            st.integers(0, MAX_CLASSES - 1),
        ),
        min_size=1,
        max_size=20,
    )
)
def test_csv_round_trip_property(points):
    ds = Dataset([p[:2] for p in points], [p[2] for p in points])
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "d.csv"
        save_csv(ds, path)
        assert load_csv(path).X.tobytes() == ds.X.tobytes()
        assert load_csv(path) == ds


def test_save_empty_dataset_is_refused(tmp_path):
    with pytest.raises(DatasetError, match="empty"):
        save_csv(Dataset.empty(), tmp_path / "e.csv")
    assert not (tmp_path / "e.csv").exists()


def test_save_to_missing_folder_raises_dataset_error(tmp_path):
    with pytest.raises(DatasetError, match="cannot write"):
        save_csv(small(), tmp_path / "missing" / "d.csv")


@pytest.mark.parametrize(
    "content",
    [
        b"x1,x2,label\r\n1,2,0\r\n-3.5,4e-2,1\r\n",  # CRLF
        b"\xef\xbb\xbfx1,x2,label\n1,2,0\n-3.5,4e-2,1\n",  # BOM
        b"  x1 , x2 ,label  \n 1 ,2, 0\n-3.5,4e-2 , 1\n\n  \n",  # whitespace, blank end lines
        b"x1,x2,label\n1.0,+2,0\n-3.5,0.04,+1",  # no final newline, explicit signs
        b"x1,x2,label\r1,2,0\r-3.5,4e-2,1\r",  # CR only (classic Mac OS)
        b"x1,x2,label\r1,2,0\r\n-3.5,4e-2,1\n\r\r\n",  # mixed endings, blank end lines
    ],
)
def test_load_tolerated_variants(tmp_path, content):
    path = tmp_path / "ok.csv"
    path.write_bytes(content)
    ds = load_csv(path)
    assert ds.X.tolist() == [[1.0, 2.0], [-3.5, 0.04]]
    assert ds.y.tolist() == [0, 1]


def write(tmp_path: Path, content: bytes | str) -> Path:
    path = tmp_path / "data.csv"
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return path


def test_load_error_message_example(tmp_path):
    rows = "".join(f"{i},{i},0\n" for i in range(5))
    path = write(tmp_path, f"x1,x2,label\n{rows}1,1,-1\n")
    with pytest.raises(DatasetError) as info:
        load_csv(path)
    expected = f"{path}, line 7: label '-1' is negative; labels must be integers 0..7"
    assert str(info.value) == expected


@pytest.mark.parametrize(
    ("content", "line", "problem"),
    [
        (b"x1,x2,label\n1,2,\xff\n", 2, "not UTF-8"),
        (b"", 1, "empty"),
        (b"\n \n", 1, "empty"),
        ("1,2,0\n3,4,1\n", 1, "missing header"),
        ("1,2,0\n", 1, "expected 'x1,x2,label'"),
        ("a,b,c\n1,2,0\n", 1, "wrong header"),
        ("x,y,label\n1,2,0\n", 1, "expected 'x1,x2,label'"),
        ("x1,x2\n1,2\n", 1, "wrong header"),
        ("x1,x2,label\n", 2, "no data rows"),
        ("x1,x2,label\n\n\n", 2, "no data rows"),
        ("x1,x2,label\n1,2,0\n1,2\n", 3, "found 2 columns, expected 3"),
        ("x1,x2,label\n1,2,0,4\n", 2, "found 4 columns, expected 3"),
        ("x1,x2,label\n1;2;0\n", 2, "found 1 columns, expected 3"),
        ("x1,x2,label\nabc,2,0\n", 2, "x1 value 'abc' is not a number"),
        ("x1,x2,label\n1,2,0\n1,two,0\n", 3, "x2 value 'two' is not a number"),
        ("x1,x2,label\n1_000,2,0\n", 2, "not a number"),
        ('x1,x2,label\n"1",2,0\n', 2, "not a number"),
        ("x1,x2,label\n,2,0\n", 2, "x1 is empty"),
        ("x1,x2,label\nnan,2,0\n", 2, "NaN or infinite"),
        ("x1,x2,label\n1,NaN,0\n", 2, "NaN or infinite"),
        ("x1,x2,label\ninf,2,0\n", 2, "NaN or infinite"),
        ("x1,x2,label\n1,-Infinity,0\n", 2, "NaN or infinite"),
        ("x1,x2,label\n1e999,2,0\n", 2, "x1 value '1e999' is out of range"),
        ("x1,x2,label\n1,2,0\n0,-1e308,1\n", 3, "x2 value '-1e308' is out of range"),
        ("x1,x2,label\n1000000.5,0,1\n", 2, "must be between -1,000,000 and 1,000,000"),
        ("x1,x2,label\n1,2,-1\n", 2, "label '-1' is negative"),
        ("x1,x2,label\n1,2,1.5\n", 2, "label '1.5' is not an integer"),
        ("x1,x2,label\n1,2,2.0\n", 2, "label '2.0' is not an integer"),
        ("x1,x2,label\n1,2,one\n", 2, "label 'one' is not an integer"),
        ("x1,x2,label\n1,2,\n", 2, "label '' is not an integer"),
        ("x1,x2,label\n1,2,8\n", 2, "label '8' is too large"),
        ("x1,x2,label\n1,2,12\n", 2, "label '12' is too large"),
        ("x1,x2,label\n1,2,0\n\n3,4,1\n", 3, "blank line"),
    ],
)
def test_malformed_csv_names_file_line_and_problem(tmp_path, content, line, problem):
    path = write(tmp_path, content)
    with pytest.raises(DatasetError) as info:
        load_csv(path)
    message = str(info.value)
    assert message.startswith(f"{path}, line {line}: ")
    assert problem in message


def test_label_error_states_the_allowed_range(tmp_path):
    path = write(tmp_path, "x1,x2,label\n1,2,9\n")
    with pytest.raises(DatasetError, match=r"labels must be integers 0\.\.7"):
        load_csv(path)


def test_huge_label_literal_is_reported_not_crashed(tmp_path):
    path = write(tmp_path, "x1,x2,label\n1,2," + "9" * 1000 + "\n")
    with pytest.raises(DatasetError, match="too large"):
        load_csv(path)


def test_missing_file(tmp_path):
    path = tmp_path / "nowhere.csv"
    with pytest.raises(DatasetError) as info:
        load_csv(path)
    assert str(info.value) == f"{path}: no such file"


def test_a_folder_is_refused(tmp_path):
    with pytest.raises(DatasetError) as info:
        load_csv(tmp_path)
    assert str(info.value) == f"{tmp_path}: is a folder, not a file"


def test_load_returns_dataset_with_expected_dtypes(tmp_path):
    ds = load_csv(write(tmp_path, "x1,x2,label\n1,2,7\n"))
    assert ds.X.dtype == np.float64 and ds.y.dtype == np.int64
    assert ds.n_classes == 8


def test_far_points_are_refused_however_they_come():
    with pytest.raises(DatasetError, match="between -1,000,000 and 1,000,000"):
        small().with_points([2e6, 0.0], 0)
    assert len(small().with_points([MAX_COORDINATE, -MAX_COORDINATE], 0)) == 5


def test_a_garbage_header_is_echoed_short(tmp_path):
    garbage = "\x1b[2J" + "#" * 900
    with pytest.raises(DatasetError) as info:
        load_csv(write(tmp_path, f"{garbage}\r1,2,0\r"))  # CR endings: line 1 is the header only
    message = str(info.value)
    assert message.startswith(f"{tmp_path / 'data.csv'}, line 1: wrong header '\\x1b[2J####")
    assert "#" * 61 not in message and "\x1b" not in message and "…" in message


def test_long_lines_are_refused_without_reading_them_whole(tmp_path):
    with pytest.raises(DatasetError, match="line 2: line is longer than 1024 bytes"):
        load_csv(write(tmp_path, "x1,x2,label\n" + "1" * 1025 + ",2,0\n"))
    path = tmp_path / "one_line.csv"
    path.write_bytes(b"x1,x2,label\n" + b"7" * (20 * 2**20))  # 20 MB without a line break
    with pytest.raises(DatasetError, match="line 2: line is longer than 1024 bytes"):
        load_csv(path)


def test_the_point_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(datasets, "MAX_CSV_POINTS", 3)
    rows = "".join(f"{i},{i},0\n" for i in range(3))
    assert len(load_csv(write(tmp_path, f"x1,x2,label\n{rows}"))) == 3
    with pytest.raises(DatasetError, match="line 5: more than 3 points, the most mlpviz reads"):
        load_csv(write(tmp_path, f"x1,x2,label\n{rows}3,3,1\n"))


def test_the_size_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(datasets, "MAX_CSV_BYTES", 100)
    rows = "".join(f"{i},{i},0\n" for i in range(30))
    with pytest.raises(DatasetError, match="file is larger than 0 MiB"):
        load_csv(write(tmp_path, f"x1,x2,label\n{rows}"))


@pytest.mark.skipif(not os.path.isfile("/proc/self/maps"), reason="needs Linux /proc")
def test_the_size_limit_holds_when_the_system_reports_no_size(monkeypatch):
    # /proc files say they are empty; reading must still stop at the limit.
    assert os.stat("/proc/self/maps").st_size == 0
    monkeypatch.setattr(datasets, "MAX_CSV_BYTES", 100)
    with pytest.raises(DatasetError, match="file is larger than"):
        load_csv("/proc/self/maps")


@pytest.mark.skipif(sys.platform != "linux", reason="RLIMIT_AS and /dev/zero")
def test_dev_zero_is_refused_at_once_in_little_memory():
    result = load_in_limited_process("mlpviz.core.datasets.load_csv", Path("/dev/zero"))
    assert result["outcome"] == "DatasetError", result
    assert result["message"] == "/dev/zero: is a device, pipe or socket, not a file"
    assert result["seconds"] < 0.5


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
@pytest.mark.timeout(10)  # opening a FIFO blocks until a writer comes: fail, do not hang
def test_a_fifo_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    with pytest.raises(DatasetError, match=r"pipe\.csv: is a device, pipe or socket"):
        load_csv(fifo)


def test_an_interrupt_is_not_swallowed(tmp_path):
    path = write(tmp_path, "x1,x2,label\n1,2,0\n")
    with (
        mock.patch.object(datasets, "_read_chunk", side_effect=KeyboardInterrupt),
        pytest.raises(KeyboardInterrupt),
    ):
        load_csv(path)


LINES = st.lists(
    st.sampled_from(
        ["1,2,0", " -3.5 , 4e-2 ,+1", "", "  ", "x", "7,7,9", "\ufeff1,1,1", "1e9,0,0"]
    ),
    max_size=6,
)
ENDINGS = st.sampled_from([b"\n", b"\r\n", b"\r"])


@settings(max_examples=200, deadline=None)
@given(
    lines=LINES,
    endings=st.lists(ENDINGS, min_size=7, max_size=7),
    bom=st.booleans(),
    chunk=st.integers(1, 9),
)
def test_reading_in_chunks_changes_nothing(fuzz_dir, lines, endings, bom, chunk):
    """Whatever the chunk size, a file reads as the same lines: a CRLF or a BOM split between
    two chunks is still one line ending, and errors name the same line."""
    text = [b"x1,x2,label", *(line.encode() for line in lines)]
    content = (b"\xef\xbb\xbf" if bom else b"") + b"".join(
        line + ending for line, ending in zip(text, endings)
    )
    path = fuzz_dir / "d.csv"
    path.write_bytes(content)
    with mock.patch.object(datasets, "_CHUNK_BYTES", chunk):
        small_chunks = outcome(path)
    assert small_chunks == outcome(path)


def outcome(path: Path) -> str | tuple:
    try:
        dataset = load_csv(path)
    except DatasetError as error:
        return str(error)
    return dataset.X.tolist(), dataset.y.tolist()


@settings(max_examples=200, deadline=None)
@given(content=st.binary(max_size=200) | st.text(max_size=100).map(str.encode))
def test_fuzz_only_dataset_errors_escape(fuzz_dir, content):
    path = fuzz_dir / "d.csv"
    path.write_bytes(b"x1,x2,label\n" + content)
    outcome(path)


def test_labels_with_a_missing_class_are_refused_not_turned_into_an_empty_class(tmp_path):
    path = tmp_path / "gap.csv"
    path.write_text("x1,x2,label\n0,0,1\n1,1,2\n2,2,1\n")
    with pytest.raises(DatasetError, match=r"labels are 1, 2.*class 0 has no point.*0, 1"):
        check_classes_consecutive(load_csv(path), "gap.csv")
    check_classes_consecutive(make_preset("spiral", n=30, n_classes=3), "spiral")
