"""Digits data (ImageDataset, the 8×8 set, subsets) and digits sessions: the network takes
the images' pixels and has ten outputs, computes in float32, saves and loads with its
workspace, and the two workspaces refuse each other's models and sessions."""

from __future__ import annotations

import numpy as np
import pytest

from mlpviz.core.config import (
    MAX_DIGITS_NEURONS,
    DigitsNetworkConfig,
    HiddenLayer,
    NetworkConfig,
    TrainingConfig,
)
from mlpviz.core.datasets import make_preset
from mlpviz.core.digits import (
    MISSING_SKLEARN,
    ImageDataset,
    load_digits_8x8,
    stratified_test_mask,
    training_subset,
)
from mlpviz.core.errors import ConfigError, DatasetError, ModelError, SessionError
from mlpviz.core.model_io import load_model, save_model
from mlpviz.core.session import Session

RNG = np.random.default_rng(1)


def random_images(m: int = 60, side: int = 8, test_share: float = 0.25) -> ImageDataset:
    """Random pixels with labels 0…9 cycling; the last images are the test set."""
    X = RNG.random((m, side * side), dtype=np.float32)
    y = np.arange(m) % 10
    return ImageDataset(X, y, np.arange(m) >= round(m * (1 - test_share)))


def digits_session(data: ImageDataset | None = None, sizes=(16,)) -> Session:
    network = DigitsNetworkConfig(tuple(HiddenLayer(n, "relu") for n in sizes), "he", seed=3)
    training = TrainingConfig("adam", 0.01, batch_size=8, shuffle_seed=2)
    return Session(data or random_images(), network, training)


# --- ImageDataset --------------------------------------------------------------------------
def test_image_dataset_is_float32_read_only_with_its_own_split():
    data = random_images()
    assert data.X.dtype == np.float32 and data.n_features == 64
    assert data.image_shape == (8, 8) and data.images([0, 1]).shape == (2, 8, 8)
    assert data.n_classes == 10 and data.workspace == "digits"
    assert np.array_equal(data.test_mask(0.5, seed=9), data.test)  # the data's own split
    for array in (data.X, data.y, data.test):
        assert not array.flags.writeable


@pytest.mark.parametrize(
    ("X", "y", "test"),
    [
        (np.zeros((2, 63)), [0, 1], [False, True]),  # not a square image the app knows
        (np.full((2, 64), 1.5), [0, 1], [False, True]),  # pixels beyond 1
        (np.full((2, 64), np.nan), [0, 1], [False, True]),
        (np.zeros((2, 64)), [0, 10], [False, True]),  # not a digit
        (np.zeros((2, 64)), [0, 1], [False]),  # mask of another length
        (np.zeros((2, 64)), [0.5, 1], [False, True]),
    ],
)
def test_invalid_images_raise(X, y, test):
    with pytest.raises(DatasetError):
        ImageDataset(X, y, test)


def test_stratified_split_keeps_every_digits_share_and_its_seed():
    y = np.repeat(np.arange(10), [50, 40, 30, 20, 10, 50, 40, 30, 20, 10])
    mask = stratified_test_mask(y, 0.2, seed=4)
    assert np.array_equal(np.bincount(y[mask]), [10, 8, 6, 4, 2, 10, 8, 6, 4, 2])
    assert np.array_equal(mask, stratified_test_mask(y, 0.2, seed=4))
    assert not np.array_equal(mask, stratified_test_mask(y, 0.2, seed=5))


def test_subset_takes_n_training_images_and_the_whole_test_set():
    data = random_images(80)
    subset = training_subset(data, 7, seed=1)
    assert (~subset.test).sum() == 7 and subset.test.sum() == data.test.sum()
    assert np.array_equal(subset.X[subset.test], data.X[data.test])
    assert np.array_equal(subset.X, training_subset(data, 7, seed=1).X)
    assert training_subset(data, 10_000) is data
    with pytest.raises(DatasetError):
        training_subset(data, 0)


def test_8x8_digits_when_scikit_learn_is_installed():
    pytest.importorskip("sklearn", reason="scikit-learn (the 'digits' extra) is not installed")
    data = load_digits_8x8(seed=0)
    assert len(data) == 1797 and data.image_shape == (8, 8)
    assert data.X.min() == 0.0 and data.X.max() == 1.0
    assert abs(data.test.mean() - 0.2) < 0.01
    assert np.array_equal(data.test, load_digits_8x8(seed=0).test)


def test_missing_scikit_learn_says_how_to_install_it(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_sklearn(name, *args, **kwargs):
        if name.startswith("sklearn"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_sklearn)
    with pytest.raises(DatasetError, match="not installed") as info:
        load_digits_8x8()
    assert str(info.value) == MISSING_SKLEARN and 'pip install -e ".[digits]"' in MISSING_SKLEARN


# --- digits sessions -----------------------------------------------------------------------
def test_a_digits_session_builds_a_float32_network_on_the_pixels():
    session = digits_session(random_images(side=28), sizes=(MAX_DIGITS_NEURONS,))
    assert session.workspace == "digits"
    assert session.net.layer_sizes == (784, MAX_DIGITS_NEURONS, 10)
    assert session.net.params.dtype == np.float32
    assert session.step(5) == 5
    assert session.net.params.dtype == np.float32
    assert session.test_mask.sum() == 15  # the data's split, not a ratio's


def test_digits_training_learns_separable_images():
    """Two pixels say the digit: a small net learns it (float32 all the way)."""
    X = RNG.random((200, 64), dtype=np.float32) * 0.1
    y = np.arange(200) % 10
    X[np.arange(200), y] = 1.0
    session = digits_session(ImageDataset(X, y, np.arange(200) >= 150))
    session.step(300)
    assert session.evaluate().test_accuracy == 1.0


def test_the_workspaces_refuse_each_others_settings_and_data():
    with pytest.raises(ConfigError, match="1 to 64 neurons"):
        Session(make_preset("xor"), DigitsNetworkConfig((HiddenLayer(100),)))
    session = digits_session()
    with pytest.raises(ConfigError, match="digits session cannot train on 2d data"):
        session.apply(dataset=make_preset("xor"))
    with pytest.raises(ConfigError):
        NetworkConfig((HiddenLayer(65),))
    assert DigitsNetworkConfig((HiddenLayer(MAX_DIGITS_NEURONS),)).hidden[0].size == 512


def test_digits_session_file_round_trip_continues_exactly(tmp_path):
    session = digits_session()
    session.step(13)
    path = tmp_path / "digits.mlpviz"
    session.save(path)
    loaded = Session.load(path, workspace="digits")
    assert loaded.workspace == "digits" and isinstance(loaded.dataset, ImageDataset)
    assert loaded.dataset == session.dataset
    assert isinstance(loaded.network_config, DigitsNetworkConfig)
    assert loaded.net.params.dtype == np.float32
    assert np.array_equal(loaded.net.params, session.net.params)
    session.step(9)
    loaded.step(9)
    assert np.array_equal(loaded.net.params, session.net.params)  # bit for bit
    assert Session.load(path, workspace=None).workspace == "digits"


def test_each_workspace_refuses_the_others_session_files(tmp_path):
    digits_path, points_path = tmp_path / "d.mlpviz", tmp_path / "p.mlpviz"
    digits_session().save(digits_path)
    Session(make_preset("xor"), NetworkConfig((HiddenLayer(4),))).save(points_path)
    with pytest.raises(SessionError, match="not a session of the 2-D workspace but of the digits"):
        Session.load(digits_path)  # the 2-D workspace's default
    with pytest.raises(SessionError, match="not a session of the digits workspace but of the 2-D"):
        Session.load(points_path, workspace="digits")


def test_each_workspace_refuses_the_others_models(tmp_path):
    path = tmp_path / "digits.npz"
    save_model(digits_session().net, path)
    with pytest.raises(ModelError, match="the model has 64 inputs; this workspace needs 2"):
        load_model(path, n_inputs=2)
    assert load_model(path, n_inputs=64).params.dtype == np.float32
    save_model(Session(make_preset("xor"), NetworkConfig((HiddenLayer(4),))).net, path)
    with pytest.raises(ModelError, match="the model has 2 inputs; this workspace needs 784"):
        load_model(path, n_inputs=784)


def test_model_files_name_their_workspace_and_it_must_fit_the_inputs(tmp_path):
    path = tmp_path / "digits.npz"
    save_model(digits_session().net, path)
    with np.load(path) as members:
        assert str(members["workspace"]) == "digits"
        forged = {key: members[key] for key in members.files} | {"workspace": np.array("2d")}
    np.savez(path, **forged)
    with pytest.raises(ModelError, match="a model of the workspace '2d' cannot have 64 inputs"):
        load_model(path)


def test_a_digits_session_starts_from_a_digits_model_only():
    session = digits_session()
    other = digits_session(sizes=(16,))
    other.step(3)
    session.start_from(other.net)
    assert np.array_equal(session.net.params, other.net.params)
    points = Session(make_preset("xor"), NetworkConfig((HiddenLayer(16),)))
    with pytest.raises(ConfigError, match="the data need 64 inputs"):
        session.start_from(points.net)


def test_timeline_options_leave_the_checkpoints_their_budget_and_measure_large_sets_less():
    from mlpviz.core.digits import LARGE_SET, timeline_options
    from mlpviz.core.timeline import DEFAULT_BUDGET_BYTES, RecordSchedule

    small = random_images(100)
    assert timeline_options(small)["schedule"] is None  # every iteration at first
    large = random_images(LARGE_SET + 1)
    options = timeline_options(large)
    data_bytes = large.X.nbytes + large.y.nbytes + large.test.nbytes
    assert options["budget_bytes"] == DEFAULT_BUDGET_BYTES + data_bytes
    schedule: RecordSchedule = options["schedule"]
    assert [i for i in range(1, 4097) if schedule.wants(i)] == [2**k for k in range(13)]
    session = Session(large, DigitsNetworkConfig((HiddenLayer(8),)), **options)
    session.step(40)
    assert session.timeline.iterations == [0, 1, 2, 4, 8, 16, 32, 40]  # 40: the newest
