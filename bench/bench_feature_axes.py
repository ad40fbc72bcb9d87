"""What deriving the feature-space view's axes adds to recording a checkpoint.

For a 250-point spiral and a 200,000-point dataset on a [8×6] network: the time of
``derive_axes`` (the ranges and the aligned PCA basis stored in each checkpoint) against the
rest of recording one (the metrics on every point) and against one training update.

    python3 bench/bench_feature_axes.py
"""

from __future__ import annotations

import time

import numpy as np

from mlpviz.core.config import HiddenLayer, NetworkConfig, TrainingConfig
from mlpviz.core.datasets import Dataset, make_preset
from mlpviz.core.feature_space import derive_axes
from mlpviz.core.session import Session

NETWORK = NetworkConfig((HiddenLayer(8, "tanh"), HiddenLayer(6, "relu")), seed=0)
TRAINING = TrainingConfig("adam", 0.01)


def best_of(function, repeats: int) -> float:
    """The shortest of ``repeats`` runs of ``function()``, in seconds."""
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return min(times)


def spiral(n: int) -> Dataset:
    """The spiral preset with ``n`` points (presets stop at 100,000: copies, shifted a little)."""
    base = make_preset("spiral", n=min(n, 100_000), noise=0.1, seed=0)
    copies = -(-n // len(base))
    X = np.concatenate([base.X + 0.01 * k for k in range(copies)])[:n]
    return Dataset(X, np.tile(base.y, copies)[:n])


def measure(n: int) -> str:
    """One line: the costs on an ``n``-point spiral."""
    data = spiral(n)
    session = Session(data, NETWORK, TRAINING)
    session.step(5)
    repeats = 200 if n < 10_000 else 10
    previous = session.timeline[-1].feature_axes
    axes = best_of(lambda: derive_axes(session.net, data.X, previous), repeats)
    metrics = best_of(session.evaluate, repeats)
    record = best_of(lambda: session._record(transient=True), repeats)
    step = best_of(lambda: session.step(1), repeats)
    return (
        f"{n:>7,} points: derive_axes {axes * 1e3:7.3f} ms, whole record {record * 1e3:7.3f} ms"
        f" (metrics {metrics * 1e3:7.3f} ms), one step with its record {step * 1e3:7.3f} ms"
        f" → the axes are {axes / record:.0%} of a record"
    )


def main() -> None:
    for n in (250, 200_000):
        print(measure(n))


if __name__ == "__main__":
    main()
