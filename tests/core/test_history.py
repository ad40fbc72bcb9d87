"""TrainingHistory keeps a bounded, evenly spread record that always ends at the newest row."""

import numpy as np
import pytest

from mlpviz.core.history import TrainingHistory


def test_rows_are_kept_in_order_with_nan_for_unmeasured_values():
    history = TrainingHistory()
    history.record(0, 0.7)
    history.record(1, 0.6, 0.65, 0.5, 0.4)
    arrays = history.arrays()
    np.testing.assert_array_equal(arrays.iteration, [0, 1])
    np.testing.assert_array_equal(arrays.train_loss, [0.7, 0.6])
    assert np.isnan(arrays.test_loss[0]) and arrays.test_loss[1] == 0.65
    assert arrays.iteration.dtype == np.int64


def test_memory_is_bounded_and_rows_stay_evenly_spread():
    history = TrainingHistory(capacity=64)
    for iteration in range(1_000_000 // 100):
        history.record(iteration * 100, 1.0 / (iteration + 1))
    arrays = history.arrays()
    assert len(arrays) <= 65
    assert arrays.iteration[0] == 0 and arrays.iteration[-1] == 999_900
    gaps = np.diff(arrays.iteration[:-1])
    assert gaps.min() == gaps.max()


def test_arrays_are_copies():
    history = TrainingHistory()
    history.record(0, 1.0)
    arrays = history.arrays()
    history.record(1, 2.0)
    arrays.train_loss[0] = 99.0
    assert history.arrays().train_loss.tolist() == [1.0, 2.0]


def test_clear_forgets_everything():
    history = TrainingHistory(capacity=4)
    for i in range(10):
        history.record(i, 0.5)
    history.clear()
    assert len(history) == 0
    history.record(0, 0.1)
    assert history.arrays().iteration.tolist() == [0]


def test_capacity_must_hold_a_curve():
    with pytest.raises(ValueError):
        TrainingHistory(capacity=2)


def test_the_record_as_csv_reads_back_exactly_and_stops_where_asked():
    history = TrainingHistory()
    history.record(0, 0.7)
    history.record(1, 0.1 + 0.2, 0.65, 0.5, 0.4)
    history.record(2, 0.5, 0.55, 0.75, 0.5)
    lines = history.arrays().until(1).to_csv().splitlines()
    assert lines == [
        "iteration,train_loss,test_loss,train_accuracy,test_accuracy",
        "0,0.7,,,",  # not measured: empty
        "1,0.30000000000000004,0.65,0.5,0.4",  # the shortest text of the same float
    ]
    assert float(lines[2].split(",")[1]) == 0.1 + 0.2
