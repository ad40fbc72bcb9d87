"""Timeline: which iterations are kept, exact checkpoints, the memory budget."""

import numpy as np
import pytest

from mlpviz.core.config import TrainingConfig
from mlpviz.core.datasets import Dataset
from mlpviz.core.optimizers import OptimizerState
from mlpviz.core.timeline import (
    Checkpoint,
    DataVersion,
    Metrics,
    RecordSchedule,
    Timeline,
)
from mlpviz.core.trainer import TrainerState

PARAMS_2_16_16_16_4 = 3 * 16 + 17 * 16 * 2 + 17 * 4
DATA = DataVersion(Dataset.empty(), np.zeros(0, dtype=bool))


def fake_checkpoint(iteration: int, n_params: int = PARAMS_2_16_16_16_4, version: int = 0):
    """A checkpoint shaped like an Adam run's (parameters and two moments)."""
    arrays = {"m": [np.zeros(n_params)], "v": [np.zeros(n_params)]}
    trainer = TrainerState(iteration, 0, OptimizerState(iteration, arrays), {}, None, 0)
    return Checkpoint(
        np.full(n_params, float(iteration)), trainer, TrainingConfig(), version, Metrics(), (), ()
    )


def record_run(timeline: Timeline, iterations: int, n_params: int = PARAMS_2_16_16_16_4):
    for iteration in range(iterations + 1):
        if timeline.wants(iteration) or iteration == iterations:
            timeline.record(fake_checkpoint(iteration, n_params), DATA)


def test_every_early_iteration_is_kept_then_a_fixed_number_per_doubling():
    schedule = RecordSchedule()
    assert all(schedule.wants(i) for i in range(201))
    octave = [i for i in range(16_384, 32_768) if schedule.wants(i)]
    assert len(octave) == schedule.per_octave
    assert np.ptp(np.diff(octave)) == 0  # evenly spread inside the octave


def test_a_thinner_schedule_keeps_a_subset_of_the_same_iterations():
    schedule = RecordSchedule()
    thinner = schedule.thinner()
    kept = [i for i in range(100_000) if thinner.wants(i)]
    assert all(schedule.wants(i) for i in kept)
    assert len(kept) < 0.6 * sum(schedule.wants(i) for i in range(100_000))


def test_a_long_run_keeps_hundreds_of_checkpoints_under_the_default_budget():
    timeline = Timeline()
    record_run(timeline, 200_000)
    iterations = timeline.iterations
    assert iterations[0] == 0 and iterations[-1] == 200_000
    assert 300 <= len(timeline) <= 2_000
    assert timeline.nbytes <= timeline.budget_bytes
    # Spread over the whole run: no gap wider than a hundredth of it.
    assert max(np.diff(iterations)) <= 200_000 / 100


def test_the_budget_always_wins_and_the_ends_stay():
    budget = 1_000_000  # room for ~60 checkpoints of this size
    timeline = Timeline(budget_bytes=budget)
    record_run(timeline, 200_000)
    assert timeline.nbytes <= budget
    assert timeline.iterations[0] == 0 and timeline.iterations[-1] == 200_000
    assert len(timeline) >= 30
    size = sum(timeline[i].nbytes for i in range(len(timeline))) + DATA.nbytes
    assert timeline.nbytes == size


def test_a_transient_newest_checkpoint_is_replaced_by_the_next_record():
    timeline = Timeline()
    record_run(timeline, 250)
    timeline.record(fake_checkpoint(251), DATA, transient=True)
    assert timeline.iterations[-1] == 251 and timeline.last_is_transient
    timeline.record(fake_checkpoint(252), DATA)
    assert timeline.iterations[-2:] == [250, 252]
    assert not timeline.last_is_transient


def test_truncating_drops_later_checkpoints_and_unreferenced_data():
    timeline = Timeline()
    other = DataVersion(Dataset(np.ones((5, 2)), np.zeros(5, dtype=int)), np.zeros(5, dtype=bool))
    for iteration in range(10):
        timeline.record(
            fake_checkpoint(iteration, version=iteration // 5), [DATA, other][iteration // 5]
        )
    before = timeline.nbytes
    assert timeline.truncate_after(3) == 6
    assert timeline.iterations == [0, 1, 2, 3]
    with pytest.raises(KeyError):
        timeline.data_version(1)
    assert timeline.nbytes < before - other.nbytes


def test_index_lookups():
    timeline = Timeline()
    record_run(timeline, 1000)
    assert timeline.index_of(999) is None
    assert timeline.iterations[timeline.index_at_or_before(999)] == 996
    assert timeline.index_at_or_before(-5) == 0
    assert timeline.iterations[timeline.index_of(1000)] == 1000


def test_a_smaller_budget_thins_the_timeline_at_once():
    timeline = Timeline()
    record_run(timeline, 20_000)
    before = len(timeline)
    timeline.set_budget(300_000)
    assert timeline.nbytes <= 300_000 and len(timeline) < before
    assert timeline.iterations[0] == 0 and timeline.iterations[-1] == 20_000
