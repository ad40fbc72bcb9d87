"""Size, save time and load time of a long run's session file.

Trains [2,16,16,16,4] tanh with Adam (batch 32) on a 4-class spiral of 400 points for
200,000 iterations, then saves and loads the session a few times and prints the medians.
``--large``: xor [8,8] tanh, SGD (α 0.03, batch 10) on 200,000 points, half of them test
points, as gui_bench's large case; every checkpoint there holds its epoch's order of 100,000
samples (0.8 MB).

    python3 bench/bench_session_file.py [--iterations 200000] [--repeats 5]
    python3 bench/bench_session_file.py --large --iterations 1000 --repeats 3
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from mlpviz.core.config import HiddenLayer, NetworkConfig, TrainingConfig
from mlpviz.core.datasets import Dataset, make_preset
from mlpviz.core.session import Session


def long_run() -> Session:
    """The spiral run of the docstring, at iteration 0."""
    network = NetworkConfig(tuple(HiddenLayer(16) for _ in range(3)), seed=1)
    data = make_preset("spiral", n=400, seed=0, n_classes=4)
    return Session(data, network, TrainingConfig("adam", 0.01, batch_size=32), test_ratio=0.2)


def large_run() -> Session:
    """The 200,000-point xor run of the docstring, at iteration 0 (presets stop at 100,000
    points: two seeds are stacked)."""
    parts = [make_preset("xor", n=100_000, noise=0.1, seed=seed) for seed in range(2)]
    data = Dataset(np.vstack([p.X for p in parts]), np.concatenate([p.y for p in parts]))
    network = NetworkConfig((HiddenLayer(8, "tanh"), HiddenLayer(8, "tanh")), seed=1)
    return Session(data, network, TrainingConfig("sgd", 0.03, batch_size=10), test_ratio=0.5)


def main() -> None:
    """Train, then time Session.save and Session.load."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=200_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--large", action="store_true", help="the 200,000-point run instead")
    args = parser.parse_args()
    run = large_run() if args.large else long_run()
    start = time.perf_counter()
    run.step(args.iterations)
    print(f"trained {args.iterations:,} iterations in {time.perf_counter() - start:.1f} s")
    print(f"{len(run.timeline)} checkpoints, {run.timeline.nbytes / 2**20:.1f} MiB in memory")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "long.mlpviz"
        saves, loads = [], []
        for _ in range(args.repeats):
            start = time.perf_counter()
            run.save(path)
            saves.append(time.perf_counter() - start)
            start = time.perf_counter()
            loaded = Session.load(path)
            loads.append(time.perf_counter() - start)
        print(f"file {path.stat().st_size / 2**20:.1f} MiB")
    print(f"save {statistics.median(saves):.2f} s, load {statistics.median(loads):.2f} s (medians)")
    run.step(1000)
    loaded.step(1000)
    print("continues bit for bit:", np.array_equal(run.net.params, loaded.net.params))


if __name__ == "__main__":
    main()
