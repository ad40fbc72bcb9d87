"""LossPlot: draws a run's history, skips unmeasured points, log scale, chance level, 1e6 its."""

from __future__ import annotations

import math
import time
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt

from mlpviz.core import MLP, SGD, Trainer
from mlpviz.core.history import TrainingHistory
from mlpviz.core.snapshot import Snapshot
from mlpviz.gui.loss_plot import LossPlot, short_count

from .conftest import shown

SHOTS = Path("/tmp/shots")
NAN = float("nan")


@pytest.fixture
def loss_plot(qtbot):
    widget = shown(qtbot, LossPlot(), 560, 380)
    return widget


def make_snapshot(history: TrainingHistory, net: MLP | None = None) -> Snapshot:
    """A snapshot whose headline values are the history's newest row."""
    arrays = history.arrays()
    last = len(arrays) - 1
    return Snapshot(
        net=net if net is not None else MLP([2, 1], seed=0),
        iteration=int(arrays.iteration[last]),
        epoch=0,
        train_loss=float(arrays.train_loss[last]),
        test_loss=float(arrays.test_loss[last]),
        train_accuracy=float(arrays.train_accuracy[last]),
        test_accuracy=float(arrays.test_accuracy[last]),
        updates_per_second=0.0,
        history=arrays,
        running=False,
    )


def synthetic_history(rows: int, with_test: bool = True, stride: int = 1) -> TrainingHistory:
    """Falling J; the test set measured on every 5th row only (NaN elsewhere)."""
    history = TrainingHistory()
    for row in range(rows):
        train = 0.7 * math.exp(-row / 100)
        test = train + 0.05 if with_test and row % 5 == 0 else NAN
        accuracy = min(1.0, 0.5 + row / 400)
        test_accuracy = accuracy - 0.05 if with_test and row % 5 == 0 else NAN
        history.record(row * stride, train, test, accuracy, test_accuracy)
    return history


def xor(m: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1.0, 1.0, (m, 2))
    return X, ((X[:, 0] > 0) ^ (X[:, 1] > 0)).astype(np.int64)


def trained_xor_snapshot(steps: int = 1000, every: int = 10) -> Snapshot:
    """An MLP([2, 8, 8, 1]) trained on XOR, history recorded every ``every`` steps."""
    (X, y), (X_test, y_test) = xor(80, 1), xor(40, 2)
    net = MLP([2, 8, 8, 1], seed=0)
    trainer = Trainer(net, SGD(0.5), X, y)
    history = TrainingHistory()
    for _ in range(steps // every + 1):
        loss, accuracy = trainer.evaluate(X, y)
        test_loss, test_accuracy = trainer.evaluate(X_test, y_test)
        history.record(trainer.iteration, loss, test_loss, accuracy, test_accuracy)
        trainer.run(every)
    return make_snapshot(history, net.copy())


def original_data(curve) -> tuple[np.ndarray, np.ndarray]:
    """The data given to a curve (getData would return the clipped, downsampled view)."""
    x, y = curve.getOriginalDataset()
    return (np.array([]), np.array([])) if x is None else (x, y)


def x_range(loss_plot: LossPlot) -> list[float]:
    return loss_plot.cost_plot.viewRange()[0]


def test_object_names_and_accessible_name(loss_plot):
    assert loss_plot.objectName() == "lossPlot"
    assert loss_plot.accessibleName() == "Loss plot"
    assert loss_plot.log_check.text() == "log J"


def test_curves_hold_the_measured_history(loss_plot):
    snapshot = make_snapshot(synthetic_history(500))
    loss_plot.show_snapshot(snapshot)
    h = snapshot.history
    measured = np.isfinite(h.test_loss)
    assert measured.sum() == 100
    x, y = original_data(loss_plot.train_cost_curve)
    np.testing.assert_array_equal(x, h.iteration)
    np.testing.assert_array_equal(y, h.train_loss)
    x, y = original_data(loss_plot.test_cost_curve)
    np.testing.assert_array_equal(x, h.iteration[measured])
    np.testing.assert_array_equal(y, h.test_loss[measured])
    x, y = original_data(loss_plot.train_accuracy_curve)
    np.testing.assert_allclose(y, 100 * h.train_accuracy)
    x, y = original_data(loss_plot.test_accuracy_curve)
    np.testing.assert_allclose(y, 100 * h.test_accuracy[measured])
    assert loss_plot.legend.getLabel(loss_plot.test_cost_curve) is not None


def test_test_curve_absent_without_test_set(loss_plot):
    loss_plot.show_snapshot(make_snapshot(synthetic_history(500)))
    loss_plot.show_snapshot(make_snapshot(synthetic_history(500, with_test=False)))
    assert original_data(loss_plot.test_cost_curve)[0].size == 0
    assert original_data(loss_plot.test_accuracy_curve)[0].size == 0
    assert original_data(loss_plot.train_cost_curve)[0].size == 500
    assert loss_plot.legend.getLabel(loss_plot.test_cost_curve) is None
    assert loss_plot.legend.getLabel(loss_plot.train_cost_curve) is not None


def test_log_check_switches_the_cost_axis_to_log(loss_plot, qtbot):
    loss_plot.show_snapshot(make_snapshot(synthetic_history(200)))
    axis = loss_plot.cost_plot.getAxis("left")
    assert not axis.logMode
    qtbot.mouseClick(loss_plot.log_check, Qt.MouseButton.LeftButton)
    assert loss_plot.cost_plot.ctrl.logYCheck.isChecked()
    assert axis.logMode
    assert loss_plot.log_scale
    # the chance line moves to log10(log 2) so it stays at J = log 2
    assert loss_plot.chance_line.value() == pytest.approx(math.log10(math.log(2)))
    qtbot.mouseClick(loss_plot.log_check, Qt.MouseButton.LeftButton)
    assert not axis.logMode
    assert loss_plot.chance_line.value() == pytest.approx(math.log(2))


@pytest.mark.parametrize("size", [(560, 380), (360, 240)])
def test_log_box_sits_top_right_beside_the_readout(loss_plot, qtbot, size):
    loss_plot.show_snapshot(make_snapshot(synthetic_history(200)))
    loss_plot.resize(*size)
    qtbot.wait(20)
    box = loss_plot.log_check.geometry()
    assert box.right() <= size[0] and box.top() >= 0
    assert box.right() > size[0] - 20
    readout = loss_plot.mapFromScene(loss_plot.readout.sceneBoundingRect()).boundingRect()
    assert readout.right() <= box.left()
    plot_top = loss_plot.mapFromScene(loss_plot.cost_plot.sceneBoundingRect()).boundingRect()
    assert box.bottom() <= plot_top.top() + 2


def test_set_log_scale_ticks_the_box(loss_plot):
    loss_plot.set_log_scale(True)
    assert loss_plot.log_check.isChecked()
    assert loss_plot.cost_plot.getAxis("left").logMode
    loss_plot.set_log_scale(False)
    assert not loss_plot.log_check.isChecked()


@pytest.mark.parametrize(("sizes", "k"), [([2, 1], 2), ([2, 4, 3], 3), ([2, 5], 5)])
def test_chance_line_at_log_k(loss_plot, sizes, k):
    loss_plot.show_snapshot(make_snapshot(synthetic_history(50), MLP(sizes, seed=0)))
    assert loss_plot.chance_line.isVisible()
    assert loss_plot.chance_line.value() == pytest.approx(math.log(k))
    assert f"log {k}" in loss_plot.chance_line.label.toPlainText()


def test_chance_line_label_is_full_when_wide_and_short_when_narrow(loss_plot, qtbot):
    loss_plot.show_snapshot(make_snapshot(synthetic_history(50)))
    assert loss_plot.chance_line.label.toPlainText() == "log 2 (chance, 2 classes)"
    loss_plot.resize(360, 240)
    qtbot.waitUntil(lambda: loss_plot.chance_line.label.toPlainText() == "log 2 (chance)")


def test_million_iterations_are_drawn_quickly_and_fully(loss_plot, qtbot):
    history = synthetic_history(10_001, stride=100)  # iterations 0 … 1,000,000
    snapshot = make_snapshot(history)
    assert len(snapshot.history) <= 4096
    assert snapshot.history.iteration[-1] == 1_000_000
    loss_plot.show_snapshot(snapshot)
    qtbot.waitUntil(lambda: x_range(loss_plot)[0] <= 0 and x_range(loss_plot)[1] >= 1e6)
    start = time.perf_counter()
    for _ in range(10):
        loss_plot.show_snapshot(snapshot)
        loss_plot.grab()  # renders everything, as a frame on screen would
    assert (time.perf_counter() - start) / 10 < 0.1  # well within a 60 Hz budget on a laptop


def test_x_range_follows_training_until_the_user_zooms(loss_plot, qtbot):
    loss_plot.show_snapshot(make_snapshot(synthetic_history(100)))
    qtbot.waitUntil(lambda: x_range(loss_plot)[1] >= 99)
    loss_plot.show_snapshot(make_snapshot(synthetic_history(1000)))
    qtbot.waitUntil(lambda: x_range(loss_plot)[1] >= 999)
    loss_plot.cost_plot.setXRange(100, 200, padding=0)  # as a user zoom does: stops following
    loss_plot.show_snapshot(make_snapshot(synthetic_history(2000)))
    qtbot.wait(50)
    assert x_range(loss_plot) == pytest.approx([100, 200])
    assert loss_plot.accuracy_plot.viewRange()[0] == pytest.approx([100, 200])  # linked
    loss_plot.clear()  # a new run follows its data again
    loss_plot.show_snapshot(make_snapshot(synthetic_history(3000)))
    qtbot.waitUntil(lambda: x_range(loss_plot)[1] >= 2999)


def test_accuracy_axis_stays_at_0_to_100(loss_plot, qtbot):
    loss_plot.show_snapshot(make_snapshot(synthetic_history(300)))
    qtbot.wait(50)
    low, high = loss_plot.accuracy_plot.viewRange()[1]
    assert low < 0 and 100 < high < 115


def test_clear_empties_the_plots(loss_plot):
    loss_plot.show_snapshot(make_snapshot(synthetic_history(300)))
    loss_plot.clear()
    for curve in (
        loss_plot.train_cost_curve,
        loss_plot.test_cost_curve,
        loss_plot.train_accuracy_curve,
        loss_plot.test_accuracy_curve,
    ):
        assert original_data(curve)[0].size == 0
    assert not loss_plot.chance_line.isVisible()
    assert loss_plot.legend.getLabel(loss_plot.test_cost_curve) is None


def test_readout_shows_newest_values(loss_plot):
    loss_plot.show_snapshot(make_snapshot(synthetic_history(300)))
    text = loss_plot.readout.text
    assert "it <b>299</b>" in text
    assert f"{0.7 * math.exp(-2.99):.3g}" in text  # newest train J


def test_a_run_without_history_yet_draws_nothing(loss_plot):
    empty = TrainingHistory().arrays()
    snapshot = Snapshot(MLP([2, 1]), 0, 0, NAN, NAN, NAN, NAN, 0.0, empty, False)
    loss_plot.show_snapshot(snapshot)
    assert original_data(loss_plot.train_cost_curve)[0].size == 0
    assert "J <b" in loss_plot.readout.text and "nan" not in loss_plot.readout.text


def test_short_runs_show_a_dot_per_point(loss_plot):
    loss_plot.show_snapshot(make_snapshot(synthetic_history(1)))
    assert loss_plot.train_cost_curve.opts["symbol"] == "o"  # iteration 0 alone is visible
    loss_plot.show_snapshot(make_snapshot(synthetic_history(150)))
    assert loss_plot.train_cost_curve.opts["symbol"] is None
    assert loss_plot.test_cost_curve.opts["symbol"] == "o"  # measured on every 5th row: 30
    loss_plot.show_snapshot(make_snapshot(synthetic_history(30)))
    assert loss_plot.train_cost_curve.opts["symbol"] == "o"


def test_iteration_axis_labels_whole_non_negative_iterations_only(loss_plot):
    axis = loss_plot.accuracy_plot.getAxis("bottom")
    values = [-1.0, -0.5, 0.0, 0.5, 1.0, 200000.00000000003, 1e6]
    assert axis.tickStrings(values, 1.0, 0.5) == ["", "", "0", "", "1", "200k", "1M"]


@pytest.mark.parametrize(
    ("value", "text"),
    [(0, "0"), (1200, "1200"), (250_000, "250k"), (1_000_000, "1M"), (1_500_000, "1.5M")],
)
def test_iteration_ticks_are_short(value, text):
    assert short_count(value) == text


def test_screenshot_of_xor_training(loss_plot, qtbot):
    snapshot = trained_xor_snapshot()
    loss_plot.show_snapshot(snapshot)
    qtbot.waitUntil(lambda: x_range(loss_plot)[1] >= 1000)
    SHOTS.mkdir(exist_ok=True)
    loss_plot.grab().save(str(SHOTS / "loss_plot_xor.png"))
    loss_plot.set_log_scale(True)
    qtbot.wait(20)
    loss_plot.grab().save(str(SHOTS / "loss_plot_xor_log.png"))
    _, train = original_data(loss_plot.train_cost_curve)
    assert train[0] == pytest.approx(snapshot.history.train_loss[0])
    assert train[-1] < 0.2 * train[0]  # the run learned XOR: J fell well below log 2
