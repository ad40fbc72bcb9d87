"""Session files: a saved run continues bit for bit; bad files raise one-line SessionErrors."""

from __future__ import annotations

import copy
import io
import json
import zipfile

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mlpviz.core.archive import MANIFEST
from mlpviz.core.config import HiddenLayer, NetworkConfig, TrainingConfig
from mlpviz.core.datasets import Dataset, make_preset
from mlpviz.core.errors import DivergenceError, SessionError
from mlpviz.core.session import Session
from mlpviz.core.session_file import FORMAT_VERSION
from mlpviz.core.timeline import RecordSchedule
from tests.core.crafted_files import (
    RawMember,
    load_in_limited_process,
    npy_bytes,
    npy_with_header,
    raw_zip,
    zip_bytes,
)
from tests.core.long_steps import assert_same_trainer_state

NET = NetworkConfig((HiddenLayer(8, "tanh"), HiddenLayer(6, "relu")), seed=3)
TRAININGS = {
    "sgd full batch": TrainingConfig("sgd", 0.3),
    "momentum mini-batch l2": TrainingConfig("momentum", 0.05, batch_size=16, l2=0.01),
    "adam mini-batch": TrainingConfig("adam", 0.01, batch_size=16, shuffle_seed=7),
    "adam full batch l2": TrainingConfig("adam", 0.02, l2=0.05),
}
ADAM = TRAININGS["adam mini-batch"]


@pytest.fixture(scope="module")
def xor():
    return make_preset("xor", n=120, noise=0.1, seed=0)


def session(data, training=ADAM, **options) -> Session:
    return Session(data, NET, training, test_ratio=0.25, **options)


def reloaded(run: Session, tmp_path, name: str = "run.mlpviz") -> Session:
    run.save(tmp_path / name)
    return Session.load(tmp_path / name)


def assert_same_session(a: Session, b: Session) -> None:
    """Everything a view shows and every checkpoint a rewind continues from are equal."""
    np.testing.assert_array_equal(a.net.params, b.net.params)
    assert (a.iteration, a.epoch) == (b.iteration, b.epoch)
    assert (a.network_config, a.training_config) == (b.network_config, b.training_config)
    assert (a.test_ratio, a.split_seed, a.budget_bytes) == (
        b.test_ratio,
        b.split_seed,
        b.budget_bytes,
    )
    assert a.dataset == b.dataset
    np.testing.assert_array_equal(a.test_mask, b.test_mask)
    assert a.view_settings == b.view_settings
    ta, tb = a.timeline, b.timeline
    assert ta.iterations == tb.iterations
    assert (ta.last_is_transient, ta.schedule, ta.nbytes) == (
        tb.last_is_transient,
        tb.schedule,
        tb.nbytes,
    )
    for index in range(len(ta)):
        ca, cb = ta[index], tb[index]
        np.testing.assert_array_equal(ca.params, cb.params)
        assert (ca.training, ca.data_version) == (cb.training, cb.data_version)
        assert (ca.weight_norms, ca.gradient_norms) == (cb.weight_norms, cb.gradient_norms)
        assert ca.largest_weight == cb.largest_weight > 0  # the weights' colour scale
        assert_same_feature_axes(ca.feature_axes, cb.feature_axes)
        np.testing.assert_equal(vars(ca.metrics), vars(cb.metrics))  # NaN equals NaN here
        assert_same_trainer_state(ca.trainer, cb.trainer)
        va, vb = ta.data_version(ca.data_version), tb.data_version(cb.data_version)
        assert va.dataset == vb.dataset
        np.testing.assert_array_equal(va.test_mask, vb.test_mask)
    ha, hb = a.history.arrays(), b.history.arrays()
    for field in vars(ha):
        np.testing.assert_array_equal(getattr(ha, field), getattr(hb, field))


def assert_same_feature_axes(a, b) -> None:
    """The feature-space view's ranges and PCA basis of two checkpoints are equal."""
    for field in ("low", "high", "centre", "basis", "extent"):
        np.testing.assert_array_equal(getattr(a, field), getattr(b, field))


def assert_continues_alike(a: Session, b: Session, iterations: int = 300) -> None:
    a.step(iterations)
    b.step(iterations)
    assert_same_session(a, b)


# --- round trips -------------------------------------------------------------------------------
@pytest.mark.parametrize("training", TRAININGS.values(), ids=TRAININGS.keys())
def test_a_loaded_session_continues_bit_for_bit(xor, tmp_path, training):
    run = session(xor, training)
    run.step(259)  # off the schedule: the newest checkpoint is transient
    loaded = reloaded(run, tmp_path)
    assert loaded.timeline.last_is_transient
    assert_same_session(run, loaded)
    assert_continues_alike(run, loaded)


def test_every_checkpoint_of_a_loaded_session_resumes_exactly(xor, tmp_path):
    run = session(xor, TRAININGS["momentum mini-batch l2"])
    run.step(450)
    loaded = reloaded(run, tmp_path)
    for index in (len(run.timeline) - 2, 250, 77, 0):
        assert run.rewind(index) == loaded.rewind(index)
        assert_continues_alike(run, loaded, 60)


def test_data_edits_within_the_run_and_scrubbing_them_survive(xor, tmp_path):
    run = session(xor)
    run.step(30)
    run.apply(dataset=xor.with_points([[5.0, 5.0], [5.5, 4.0]], 1))
    run.step(20)
    run.apply(test_ratio=0.4, training=TrainingConfig("sgd", 0.1, batch_size=8))
    run.step(15)
    run.apply(dataset=run.dataset.without_points(range(10)))
    loaded = reloaded(run, tmp_path)
    assert_same_session(run, loaded)
    for index in range(len(run.timeline)):
        old, data_old = run.checkpoint_snapshot(index)
        new, data_new = loaded.checkpoint_snapshot(index)
        np.testing.assert_array_equal(old.net.params, new.net.params)
        assert (old.iteration, old.epoch) == (new.iteration, new.epoch)
        assert (old.train_loss, old.test_accuracy) == (new.train_loss, new.test_accuracy)
        assert data_old.dataset == data_new.dataset
        np.testing.assert_array_equal(data_old.test_mask, data_new.test_mask)
    assert_continues_alike(run, loaded)
    run.rewind(40)
    loaded.rewind(40)
    assert_continues_alike(run, loaded)


def test_changes_right_after_loading_are_recorded_as_in_the_original(xor, tmp_path):
    run = session(xor)
    run.step(100)
    loaded = reloaded(run, tmp_path)
    change = TrainingConfig("momentum", 0.02, batch_size=10, l2=0.1)
    for each in (run, loaded):
        each.apply(training=change, dataset=xor.with_points([[0.0, 0.0]], 0))
    assert_same_session(run, loaded)
    assert_continues_alike(run, loaded, 50)


def test_a_thinned_timeline_keeps_its_schedule_and_budget(xor, tmp_path):
    run = session(xor, budget_bytes=60_000)
    run.step(3000)
    assert run.timeline.schedule != RecordSchedule()  # thinned to fit the budget
    loaded = reloaded(run, tmp_path)
    assert_same_session(run, loaded)
    assert_continues_alike(run, loaded, 2000)
    assert run.apply(network=NetworkConfig((HiddenLayer(3),)))  # a new run: full schedule again
    assert loaded.apply(network=NetworkConfig((HiddenLayer(3),)))
    assert_continues_alike(run, loaded, 250)


def test_a_session_saved_after_a_divergence_continues_from_the_reset_optimiser(xor, tmp_path):
    run = session(xor, TrainingConfig("adam", 0.01))
    run.step(40)
    run.apply(training=TrainingConfig("adam", 1e6))
    with pytest.raises(DivergenceError):
        run.step(10)
    loaded = reloaded(run, tmp_path)
    for each in (run, loaded):
        each.apply(training=TrainingConfig("adam", 0.01))
    assert_continues_alike(run, loaded, 100)


def test_sessions_without_data_or_with_one_class_and_the_view_settings(tmp_path):
    empty = Session()
    empty.view_settings = {"zoom": 2.5, "panels": ["loss", "weights"], "grid": None}
    loaded = reloaded(empty, tmp_path, "empty.mlpviz")
    assert_same_session(empty, loaded)
    points = make_preset("linear", n=40, seed=0)
    for each in (empty, loaded):
        each.apply(dataset=points)
    assert_continues_alike(empty, loaded, 20)
    one_class = Session(Dataset(np.ones((6, 2)), np.zeros(6, dtype=int)))
    assert_same_session(one_class, reloaded(one_class, tmp_path, "one.mlpviz"))


def test_a_run_whose_training_points_were_all_deleted_continues_after_the_next_edit(tmp_path):
    points = make_preset("moons", n=30, seed=2)
    run = Session(points, NET, ADAM, test_ratio=0.0)
    run.step(7)  # mid-epoch: the trainer holds a sample order
    run.apply(dataset=Dataset.empty())  # all deleted; the trainer waits for points
    loaded = reloaded(run, tmp_path)
    assert (loaded.iteration, loaded.epoch) == (run.iteration, run.epoch)
    for each in (run, loaded):
        each.apply(dataset=points)
    assert_continues_alike(run, loaded, 40)


def test_the_file_holds_little_beyond_the_checkpoints(tmp_path):
    """bench/bench_session_file.py measures a long run; this guards the size of a short one."""
    net = NetworkConfig(tuple(HiddenLayer(16) for _ in range(3)), seed=1)
    run = Session(make_preset("spiral", n=200, seed=0, n_classes=4), net, ADAM, test_ratio=0.2)
    run.step(3000)
    path = tmp_path / "long.mlpviz"
    run.save(path)
    assert path.stat().st_size < run.timeline.nbytes
    assert_continues_alike(run, Session.load(path), 100)


def test_a_file_without_feature_axes_gets_them_derived_along_its_checkpoints(xor, tmp_path):
    """Files written before the feature-space view kept its axes still load, with the axes
    the run would have recorded."""
    run = session(xor, TRAININGS["sgd full batch"])
    run.step(150)
    run.save(tmp_path / "new.mlpviz")
    with zipfile.ZipFile(tmp_path / "new.mlpviz") as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    manifest = json.loads(members.pop(MANIFEST))
    del manifest["timeline"]["feature_axes"]
    members = {name: data for name, data in members.items() if "feature" not in name}
    (tmp_path / "old.mlpviz").write_bytes(
        zip_bytes({MANIFEST: json.dumps(manifest).encode()} | members)
    )
    loaded = Session.load(tmp_path / "old.mlpviz")
    assert loaded.timeline[-1].feature_axes.basis.shape == (6, 2)
    assert_same_session(run, loaded)


def archive_members(path) -> tuple[dict, dict[str, bytes]]:
    """The manifest of a session file and its other members' bytes."""
    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    return json.loads(members.pop(MANIFEST)), members


def test_the_checkpoints_of_an_epoch_share_one_sample_order_in_the_file(xor, tmp_path):
    """A 200,000-point run's order is 0.8 MB: written once per epoch, not per checkpoint."""
    run = session(xor)  # 90 training points in batches of 16: an epoch is 6 updates
    run.step(40)
    run.save(tmp_path / "run.mlpviz")
    manifest, members = archive_members(tmp_path / "run.mlpviz")
    timeline = manifest["timeline"]
    states = [run.timeline[index].trainer for index in range(len(run.timeline))]
    epochs = {state.epoch for state in states if state.order is not None}
    assert timeline["orders"] == [90] * len(epochs)
    packed = np.load(io.BytesIO(members["checkpoint_orders.npy"]))
    assert packed.shape == (90 * len(epochs),)
    for state, entry in zip(states, timeline["checkpoints"]):
        index = entry["trainer"]["order_index"]
        assert (index is None) == (state.order is None)
        if index is not None:
            np.testing.assert_array_equal(packed[90 * index : 90 * (index + 1)], state.order)
    loaded = Session.load(tmp_path / "run.mlpviz")
    assert_same_session(run, loaded)
    first, second = loaded.timeline[10].trainer, loaded.timeline[11].trainer
    assert first.epoch == second.epoch and first.order is second.order  # shared in memory too
    assert_continues_alike(run, loaded, 60)


def test_a_file_with_an_order_per_checkpoint_still_loads(xor, tmp_path):
    """Files written before the orders were shared hold each checkpoint's, end to end."""
    run = session(xor)
    run.step(40)
    run.apply(dataset=xor.with_points([[1.0, 1.0]], 0))  # orders of another length
    run.step(30)
    run.save(tmp_path / "new.mlpviz")
    manifest, members = archive_members(tmp_path / "new.mlpviz")
    del manifest["timeline"]["orders"]
    for entry in manifest["timeline"]["checkpoints"]:
        del entry["trainer"]["order_index"]
    states = [run.timeline[index].trainer for index in range(len(run.timeline))]
    orders = [state.order for state in states if state.order is not None]
    members["checkpoint_orders.npy"] = npy_bytes(np.concatenate(orders).astype(np.int64))
    (tmp_path / "old.mlpviz").write_bytes(
        zip_bytes({MANIFEST: json.dumps(manifest).encode()} | members)
    )
    loaded = Session.load(tmp_path / "old.mlpviz")
    assert_same_session(run, loaded)
    assert_continues_alike(run, loaded, 60)


# --- bad files ----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def saved(xor, tmp_path_factory):
    """A mini-batch Adam run with data edits, paused mid-epoch, as a file's manifest and arrays."""
    run = session(xor)
    run.step(40)
    run.apply(dataset=xor.with_points([[1.0, 1.0]], 0))
    run.step(219)  # 90 training points in batches of 16: mid-epoch, off the schedule
    path = tmp_path_factory.mktemp("saved") / "good.mlpviz"
    run.save(path)
    with zipfile.ZipFile(path) as archive:
        manifest = json.loads(archive.read(MANIFEST))
        arrays = {
            name.removesuffix(".npy"): np.load(io.BytesIO(archive.read(name)))
            for name in archive.namelist()
            if name != MANIFEST
        }
    assert manifest["trainer"]["order"] and len(arrays["checkpoint_orders"])
    assert 1 < len(manifest["timeline"]["orders"]) < len(manifest["timeline"]["checkpoints"])
    return manifest, arrays


def file_bytes(manifest: dict, arrays: dict[str, np.ndarray], **raw: bytes) -> bytes:
    """A session file of ``manifest`` and ``arrays``, with members replaced by ``raw`` bytes."""
    members = {MANIFEST: json.dumps(manifest).encode()}
    members |= {f"{name}.npy": npy_bytes(array) for name, array in arrays.items()}
    members |= {f"{name}.npy": data for name, data in raw.items()}
    return zip_bytes(members)


def refusal(path) -> str:
    """The one-line message of the SessionError that loading ``path`` raises."""
    with pytest.raises(SessionError) as info:
        Session.load(path)
    message = str(info.value)
    assert "\n" not in message and len(message) < 400 and message.startswith(str(path))
    return message


def mutated(saved, change) -> tuple[dict, dict]:
    manifest, arrays = copy.deepcopy(saved[0]), {k: v.copy() for k, v in saved[1].items()}
    change(manifest, arrays)
    return manifest, arrays


def set_in(path: str, value):
    """A change setting ``manifest[path]`` (keys and indices joined by '/')."""

    def change(manifest, _arrays):
        *parents, last = [int(key) if key.isdigit() else key for key in path.split("/")]
        target = manifest
        for key in parents:
            target = target[key]
        target[last] = value

    return change


def change_array(name: str, change):
    return lambda _manifest, arrays: arrays.__setitem__(name, change(arrays[name]))


def swap_first_iterations(manifest, _arrays):
    first, second = manifest["timeline"]["checkpoints"][:2]
    first["trainer"]["iteration"], second["trainer"]["iteration"] = 1, 0


def longer_live_order(manifest, arrays):
    manifest["trainer"]["order"] += 1
    arrays["order"] = np.arange(len(arrays["order"]) + 1)


def empty_timeline(manifest, arrays):
    manifest["timeline"]["checkpoints"] = []


P = "timeline/checkpoints/3"
BAD_CONTENT = {
    "newer format": (set_in("format_version", FORMAT_VERSION + 1), "made by a newer mlpviz"),
    "format as text": (set_in("format_version", "1"), "format_version must be a whole number"),
    "other workspace": (set_in("workspace", "mnist"), "not a session of the 2-D workspace"),
    "manifest not an object": (
        lambda m, a: m.clear() or m.update(a=1),
        "format_version is missing",
    ),
    "missing array": (
        lambda m, a: a.pop("checkpoint_params"),
        "'checkpoint_params.npy' is missing",
    ),
    "mis-shaped params": (change_array("params", lambda p: p[:-1]), "'params.npy' has shape"),
    "float32 params": (change_array("params", lambda p: p.astype("<f4")), "has dtype <f4"),
    "NaN params": (change_array("params", lambda p: p * np.nan), "NaN or infinite"),
    "int labels as floats": (change_array("data_y", lambda y: y * 1.0), "has dtype <f8"),
    "params of another network": (set_in("network/hidden/0/size", 9), "'params.npy' has shape"),
    "unknown activation": (set_in("network/hidden/0/activation", "swish"), "activation 'swish'"),
    "unknown optimiser": (set_in("training/optimizer", "lbfgs"), "unknown optimizer 'lbfgs'"),
    "labels beyond 7": (change_array("data_y", lambda y: y + 8), "labels must be integers 0..7"),
    "labels without output": (
        change_array("versions_y", lambda y: np.where(y == 1, 2, y)),
        "labels the network has no output for",
    ),
    "test ratio as text": (set_in("split/test_ratio", "0.25"), "test_ratio must be a number"),
    "test ratio too big": (set_in("split/test_ratio", 0.95), "test_ratio must be from 0 to 0.9"),
    "negative seed": (set_in("split/split_seed", -1), "split_seed must be a whole number"),
    "checkpoints not a list": (set_in("timeline/checkpoints", {}), "checkpoints must be a list"),
    "no checkpoint": (empty_timeline, "the timeline has no checkpoint"),
    "float iteration": (set_in(f"{P}/trainer/iteration", 3.0), "iteration must be a whole number"),
    "boolean epoch": (set_in(f"{P}/trainer/epoch", True), "epoch must be a whole number"),
    "iterations out of order": (swap_first_iterations, "not in increasing iteration order"),
    "live iteration elsewhere": (
        lambda m, a: m["trainer"].update(iteration=m["trainer"]["iteration"] + 1),
        "the trainer's iteration is not the last checkpoint's",
    ),
    "rng of another generator": (
        set_in(f"{P}/trainer/rng", {"bit_generator": "MT19937"}),
        "not a state of NumPy's PCG64",
    ),
    "rng state as float": (set_in(f"{P}/trainer/rng/state/state", 1.5), "PCG64"),
    "rng state beyond 128 bits": (set_in("trainer/rng/state/inc", 2**200), "PCG64"),
    "buffers of another optimiser": (
        set_in(f"{P}/trainer/buffers", {"velocity": 1}),
        "does not fit the optimiser adam",
    ),
    "position beyond the order": (set_in("trainer/position", 10_000), "beyond its sample order"),
    "order not a permutation": (
        change_array("checkpoint_orders", lambda o: np.where(o == 0, 1, o)),
        "no permutation",
    ),
    "order of another length": (longer_live_order, "order does not fit the training set"),
    "order index beyond the orders": (
        set_in(f"{P}/trainer/order_index", 99),
        "order_index is no sample order of its length",
    ),
    "order index of another length": (
        lambda m, a: (
            m["timeline"]["orders"].append(7)
            or m["timeline"]["checkpoints"][3]["trainer"].update(
                order_index=len(m["timeline"]["orders"]) - 1
            )
        ),
        "order_index is no sample order of its length",
    ),
    "missing order index": (
        set_in(f"{P}/trainer/order_index", None),
        "order_index is no sample order of its length",
    ),
    "empty shared order": (set_in("timeline/orders/0", 0), "orders must hold whole numbers ≥ 1"),
    "unknown data version": (set_in(f"{P}/data_version", 99), "refers to no data version"),
    "unknown training index": (set_in(f"{P}/training", 7), "training must be a whole number"),
    "norms of another depth": (set_in(f"{P}/weight_norms", [1.0]), "norms for another number"),
    "metric as text": (set_in(f"{P}/metrics/train_loss", "low"), "must be a number or null"),
    "transient as 1": (set_in("timeline/last_is_transient", 1), "must be true or false"),
    "zero budget": (set_in("timeline/budget_bytes", 0), "budget_bytes must be a whole number"),
    "zero per octave": (set_in("schedule/per_octave", 0), "per_octave must be a whole number"),
    "too many history rows": (set_in("history/rows", 5000), "rows must be a whole number"),
    "short newest row": (set_in("history/newest", [1, 2]), "newest must hold 5 numbers"),
    "NaN feature basis": (
        change_array("checkpoint_feature_bases", lambda b: b * np.nan),
        "'checkpoint_feature_bases.npy' holds NaN",
    ),
    "feature ranges of another layer": (
        change_array("checkpoint_feature_ranges", lambda r: r[:, :, :-1]),
        "'checkpoint_feature_ranges.npy' has shape",
    ),
    "feature axes flag as 1": (set_in("timeline/feature_axes", 1), "must be true or false"),
    "view settings as list": (set_in("view_settings", []), "view_settings must be a JSON object"),
}


@pytest.mark.parametrize(("change", "expected"), BAD_CONTENT.values(), ids=BAD_CONTENT)
def test_bad_content_is_one_session_error_naming_the_problem(saved, tmp_path, change, expected):
    path = tmp_path / "bad.mlpviz"
    path.write_bytes(file_bytes(*mutated(saved, change)))
    assert expected in refusal(path)


def test_the_unchanged_test_file_loads(saved, tmp_path):
    path = tmp_path / "good.mlpviz"
    path.write_bytes(file_bytes(*saved))
    assert Session.load(path).iteration == 259


def test_files_that_are_no_session(saved, tmp_path):
    good = file_bytes(*saved)
    cases = {
        "text.mlpviz": (b"x1,x2,label\n1,2,0\n", "not a zip archive"),
        "truncated.mlpviz": (good[: len(good) // 2], "not a zip archive"),
        "empty.mlpviz": (b"", "not a zip archive"),
        "no-manifest.mlpviz": (
            zip_bytes({"params.npy": npy_bytes(np.zeros(3))}),
            "'manifest.json' is missing",
        ),
        "bad-json.mlpviz": (zip_bytes({MANIFEST: b"{'format_version': 1"}), "cannot be read"),
    }
    for name, (data, expected) in cases.items():
        (tmp_path / name).write_bytes(data)
        assert expected in refusal(tmp_path / name), name
    assert "no such file" in refusal(tmp_path / "missing.mlpviz")
    assert "is a folder" in refusal(tmp_path)


def test_object_arrays_are_refused_unread(saved, tmp_path):
    path = tmp_path / "pickle.mlpviz"
    evil = npy_bytes(np.array([{"x": 1}, None], dtype=object), allow_pickle=True)
    path.write_bytes(file_bytes(*saved, params=evil))
    assert "'params.npy' has an unsupported dtype '|O'" in refusal(path)


def test_a_member_claiming_gigabytes_is_refused_from_the_directory(saved, tmp_path):
    members = [
        RawMember(name, data, size=3 * 2**30 if name == "checkpoint_params.npy" else None)
        for name, data in zipfile_members(file_bytes(*saved)).items()
    ]
    path = tmp_path / "huge.mlpviz"
    path.write_bytes(raw_zip(members))
    assert "'checkpoint_params.npy' unpacks to 3221225472 bytes" in refusal(path)


def zipfile_members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def test_a_manifest_claiming_a_billion_points_allocates_nothing_for_them(saved, tmp_path):
    billion = 10**9

    def claim(manifest, arrays):
        manifest["data"]["points"] = billion

    header = f"{{'descr': '<f8', 'fortran_order': False, 'shape': ({billion}, 2), }}".ljust(117)
    path = tmp_path / "billion.mlpviz"
    path.write_bytes(file_bytes(*mutated(saved, claim), data_X=npy_with_header(header + "\n")))
    result = load_in_limited_process(
        "mlpviz.core.session_file.read_session", path, memory=1536 * 2**20
    )
    assert result["outcome"] == "SessionError", result
    assert "data_X.npy" in result["message"]
    assert result["kib"] < 64 * 1024 and result["seconds"] < 2


# --- fuzzing: only SessionError escapes ---------------------------------------------------------
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=6),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3)
    ),
    max_leaves=8,
)


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    """A small saved session (few checkpoints: fuzzing mutates one field of many at random)."""
    points = make_preset("xor", n=24, seed=1)
    run = Session(points, NetworkConfig((HiddenLayer(3),)), ADAM, test_ratio=0.25)
    run.step(5)
    run.apply(dataset=points.with_points([[0.5, 0.5]], 1))
    run.step(3)
    path = tmp_path_factory.mktemp("small") / "small.mlpviz"
    run.save(path)
    members = zipfile_members(path.read_bytes())
    return json.loads(members[MANIFEST]), members


def loads_or_refuses(path) -> None:
    try:
        Session.load(path)
    except SessionError as error:
        assert "\n" not in str(error)


def json_paths(value, prefix=()) -> list[tuple]:
    """Every place in a JSON value: the keys and indices leading there."""
    children = (
        value.items()
        if isinstance(value, dict)
        else enumerate(value)
        if isinstance(value, list)
        else ()
    )
    paths = [prefix]
    for key, child in children:
        paths += json_paths(child, (*prefix, key))
    return paths


@FUZZ
@given(data=st.binary(max_size=400))
def test_fuzz_random_bytes(fuzz_dir, data):
    path = fuzz_dir / "random.mlpviz"
    path.write_bytes(data)
    loads_or_refuses(path)


@FUZZ
@given(data=st.data())
def test_fuzz_one_field_of_the_manifest_replaced_or_removed(small, fuzz_dir, data):
    manifest, members = copy.deepcopy(small[0]), small[1]
    where = data.draw(st.sampled_from(json_paths(manifest)[1:]))
    target = manifest
    for key in where[:-1]:
        target = target[key]
    if data.draw(st.booleans()) and isinstance(target, dict):
        del target[where[-1]]
    else:
        target[where[-1]] = data.draw(JSON)
    path = fuzz_dir / "field.mlpviz"
    path.write_bytes(zip_bytes(members | {MANIFEST: json.dumps(manifest).encode()}))
    loads_or_refuses(path)


@FUZZ
@given(manifest=st.dictionaries(st.text(max_size=12), JSON, max_size=6) | JSON)
def test_fuzz_random_manifests(small, fuzz_dir, manifest):
    path = fuzz_dir / "manifest.mlpviz"
    path.write_bytes(zip_bytes(small[1] | {MANIFEST: json.dumps(manifest).encode()}))
    loads_or_refuses(path)


DESCRS = st.sampled_from(["<f8", "<f4", "<i8", "|b1", "|O", "<U3", ">f8", "f8,f8", ""]) | st.text(
    max_size=6
)
SHAPES = st.lists(st.integers(-2, 2**40) | st.booleans() | st.floats(), max_size=3).map(tuple)
HEADERS = st.builds(
    lambda descr, order, shape: repr({"descr": descr, "fortran_order": order, "shape": shape}),
    DESCRS,
    st.booleans() | st.none(),
    SHAPES | st.integers(),
)


@FUZZ
@given(data=st.data())
def test_fuzz_npy_headers_and_member_contents(small, fuzz_dir, data):
    members = dict(small[1])
    for name in data.draw(st.lists(st.sampled_from(sorted(members)), min_size=1, max_size=3)):
        header = data.draw(HEADERS | st.text(max_size=30))
        payload = data.draw(st.binary(max_size=64) | st.just(members[name][128:]))
        members[name] = data.draw(
            st.sampled_from(
                [npy_with_header(header.encode("latin-1", "replace"), payload), payload]
            )
        )
    path = fuzz_dir / "npy.mlpviz"
    path.write_bytes(zip_bytes(members))
    loads_or_refuses(path)


@FUZZ
@given(
    flips=st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), min_size=1, max_size=8)
)
def test_fuzz_damaged_bytes_of_a_good_file(small, fuzz_dir, flips):
    damaged = bytearray(zip_bytes(small[1]))
    for position, value in flips:
        damaged[position % len(damaged)] = value
    path = fuzz_dir / "damaged.mlpviz"
    path.write_bytes(bytes(damaged))
    loads_or_refuses(path)


def test_a_float32_session_without_optimiser_buffers_round_trips(tmp_path):
    """Plain SGD keeps no buffer: the empty rows are written in the parameters' dtype, which
    the reader of a digits session requires (float32)."""
    from mlpviz.core.config import DigitsNetworkConfig, HiddenLayer
    from mlpviz.core.digits import ImageDataset

    rng = np.random.default_rng(0)
    data = ImageDataset(
        rng.random((40, 64), dtype=np.float32), np.arange(40) % 10, np.arange(40) % 5 == 0
    )
    network = DigitsNetworkConfig((HiddenLayer(8, "tanh"),))
    session = Session(data, network, TrainingConfig("sgd", 0.1, 8))
    session.step(5)
    session.save(tmp_path / "sgd.mlpviz")
    loaded = Session.load(tmp_path / "sgd.mlpviz", workspace="digits")
    assert loaded.iteration == 5
    assert np.array_equal(loaded.net.params, session.net.params)
