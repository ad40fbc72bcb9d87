"""Memory and speed of the timeline over a long run, as the app and the CLI record it.

Trains a ``[2,16,16,16,4]`` ReLU network with Adam on a 4-class dataset for 200,000
iterations (mini-batches of 32) through a Session, and prints the process's peak RSS before
and after, the timeline's own byte count against its budget, how many checkpoints it kept and
how they spread, and the time recording costs against plain Trainer.step.

    python3 bench/bench_timeline.py [--iterations 200000] [--budget-mb 200]
"""

from __future__ import annotations

import argparse
import resource
import time

import numpy as np

from mlpviz.core import Trainer
from mlpviz.core.config import HiddenLayer, NetworkConfig, TrainingConfig
from mlpviz.core.datasets import make_preset
from mlpviz.core.session import Session

NETWORK = NetworkConfig(tuple(HiddenLayer(16, "relu") for _ in range(3)), seed=0)
TRAINING = TrainingConfig("adam", 0.01, batch_size=32)


def peak_rss_mb() -> float:
    """The process's peak resident memory so far, in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=200_000)
    parser.add_argument("--budget-mb", type=float, default=200.0)
    args = parser.parse_args()
    data = make_preset("gaussian", n=1000, noise=0.1, seed=0, n_classes=4)
    budget = int(args.budget_mb * 2**20)

    session = Session(data, NETWORK, TRAINING, test_ratio=0.2, budget_bytes=budget)
    rss_before = peak_rss_mb()
    started = time.perf_counter()
    for _ in range(args.iterations // 1000):
        session.step(1000)
    with_timeline = time.perf_counter() - started
    rss_after = peak_rss_mb()

    train = data.split(0.2, seed=0)[0]
    net = NETWORK.build(4)
    trainer = Trainer(net, TRAINING.build_optimizer(), train.X, train.y, batch_size=32, seed=0)
    started = time.perf_counter()
    for _ in range(args.iterations):
        trainer.step()
    plain = time.perf_counter() - started

    timeline = session.timeline
    gaps = np.diff(timeline.iterations)
    print(f"{args.iterations:,} iterations of [2,16,16,16,4] ReLU, Adam, batch 32, 800 points")
    print(f"peak RSS            {rss_before:8.1f} MiB before, {rss_after:8.1f} MiB after")
    used = timeline.nbytes / 2**20
    print(f"timeline            {used:8.1f} MiB of a {args.budget_mb:g} MiB budget")
    print(f"checkpoints         {len(timeline):8,d} (largest gap {gaps.max():,} iterations)")
    print(f"Session.step        {with_timeline:8.2f} s ({args.iterations / with_timeline:,.0f}/s)")
    print(f"Trainer.step alone  {plain:8.2f} s ({args.iterations / plain:,.0f}/s)")
    print(f"recording costs     {100 * (with_timeline / plain - 1):8.1f} %")


if __name__ == "__main__":
    main()
