"""For the tests of long steps: ``interrupt`` callables that count how often they are asked,
and comparisons of whole training states."""

from __future__ import annotations

import numpy as np


class StopAt:
    """Says True the ``n``-th time it is asked (never when ``n`` is None)."""

    def __init__(self, n: int | None = None) -> None:
        self.n, self.asked = n, 0

    def __call__(self) -> bool:
        self.asked += 1
        return self.asked == self.n


class RandomStops:
    """Says True with probability ``p`` each time it is asked, from a seeded generator."""

    def __init__(self, p: float, seed: int) -> None:
        self.p, self.rng = p, np.random.default_rng(seed)
        self.asked = self.fired = 0

    def __call__(self) -> bool:
        self.asked += 1
        fire = bool(self.rng.random() < self.p)
        self.fired += fire
        return fire


def assert_same_trainer_state(a, b):
    """Two TrainerStates hold the same counters, buffers, generator state and batch order."""
    assert (a.iteration, a.epoch, a.position, a.rng) == (b.iteration, b.epoch, b.position, b.rng)
    assert (a.order is None) == (b.order is None)
    if a.order is not None:
        np.testing.assert_array_equal(a.order, b.order)
    assert a.optimizer.step == b.optimizer.step
    assert a.optimizer.arrays.keys() == b.optimizer.arrays.keys()
    for name, arrays in a.optimizer.arrays.items():
        for array, other in zip(arrays, b.optimizer.arrays[name], strict=True):
            np.testing.assert_array_equal(array, other)
