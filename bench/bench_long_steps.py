"""Long training steps: their time and memory in chunks, and how soon stopping ends them.

``steps``: the median time of one full-batch Trainer.step of ``[2, 64×8, 1]`` ReLU on
1,000, 200,000 and 1,000,000 points, with one BLAS thread as in the app's worker, computed in
one pass (GRADIENT_CHUNK above the batch: the code path of every batch before chunking) and
in chunks of GRADIENT_CHUNK, samples interleaved; then each one's peak RSS, one fresh process
per case.

``stop``: the time ``stop_worker`` takes when called at set moments during the Step command on
1,000,000 points (the update, then the evaluation of the checkpoint and of the snapshot). It
uses only what older versions also have, so that it measures them too:

    python3 bench/bench_long_steps.py steps [--repeats 3]
    python3 bench/bench_long_steps.py stop
    git archive OLD mlpviz | tar -x -C /tmp/old && \
        PYTHONPATH=/tmp/old python3 bench/bench_long_steps.py stop

Measured on the project's 2-core machine (medians; the machine is shared and noisy):

    points      one pass   chunks   peak RSS one pass / chunks
    1,000       5.5 ms     5.4 ms   44 / 44 MiB (one chunk: the same code)
    200,000     2.0 s      1.3 s    1,049 / 135 MiB
    1,000,000   12 s       6.2 s    5,089 / 158 MiB   (other runs: 15–24 s against 6–11 s)

    stop_worker during Step, 1,000,000 points: 0.001–0.17 s (before chunking: 11–26 s,
    median 16 s)
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from mlpviz.core.config import HiddenLayer, NetworkConfig, TrainingConfig
from mlpviz.core.datasets import Dataset

POINTS = (1_000, 200_000, 1_000_000)
SIZES = [2, *[64] * 8, 1]
NETWORK = NetworkConfig(tuple(HiddenLayer(64, "relu") for _ in range(8)), seed=0)
STOP_DELAYS = (1.0, 3.0, 5.0, 7.0, 9.0, 11.0)  # seconds after the Step command


def line_data(m: int) -> Dataset:
    """``m`` points labelled by the side of the line x₁ + x₂ = 0."""
    X = np.random.default_rng(0).uniform(-3.0, 3.0, size=(m, 2))
    return Dataset(X, (X.sum(axis=1) > 0).astype(np.int64))


def full_batch_step(m: int, chunk: int) -> Callable[[], None]:
    """One full-batch Trainer.step on ``m`` points with gradient chunks of ``chunk``."""
    from mlpviz.core import MLP, SGD, Trainer, network

    data = line_data(m)
    trainer = Trainer(MLP(SIZES, "relu", seed=0), SGD(1e-4), data.X, data.y)

    def step() -> None:
        network.GRADIENT_CHUNK = chunk
        trainer.step()

    return step


def one_pass_and_chunks(m: int) -> dict[str, Callable[[], None]]:
    from mlpviz.core.network import GRADIENT_CHUNK

    return {
        "one pass": full_batch_step(m, sys.maxsize),
        "chunks": full_batch_step(m, GRADIENT_CHUNK),
    }


def median_seconds(calls: dict[str, Callable[[], None]], repeats: int) -> dict[str, float]:
    """Median time of one call of each, their samples interleaved (a noisy neighbour on the
    machine slows both alike); a call is repeated to last at least 50 ms."""
    numbers = {}
    for name, call in calls.items():
        start = time.perf_counter()
        call()
        numbers[name] = max(1, int(0.05 / (time.perf_counter() - start)))
    samples: dict[str, list[float]] = {name: [] for name in calls}
    for _ in range(repeats):
        for name, call in calls.items():
            start = time.perf_counter()
            for _ in range(numbers[name]):
                call()
            samples[name].append((time.perf_counter() - start) / numbers[name])
    return {name: statistics.median(times) for name, times in samples.items()}


def peak_rss_mb_of_one_step(m: int, chunk: int) -> float:
    """Peak RSS of a fresh process that does one step, in MiB."""
    command = [sys.executable, __file__, "one-step", str(m), str(chunk)]
    result = subprocess.run(command, capture_output=True, text=True, check=True)
    return float(result.stdout)


def bench_steps(repeats: int) -> None:
    from threadpoolctl import threadpool_limits

    from mlpviz.core.network import GRADIENT_CHUNK

    print(f"full-batch step, {SIZES} ReLU, 1 BLAS thread, GRADIENT_CHUNK {GRADIENT_CHUNK:,}")
    print(f"{'points':>10} {'one pass':>10} {'chunks':>10} {'ratio':>6}   peak RSS one pass/chunks")
    with threadpool_limits(limits=1, user_api="blas"):
        for m in POINTS:
            times = median_seconds(one_pass_and_chunks(m), repeats if m > 1000 else 21)
            rss = [peak_rss_mb_of_one_step(m, chunk) for chunk in (sys.maxsize, GRADIENT_CHUNK)]
            print(
                f"{m:>10,} {times['one pass']:>9.4g}s {times['chunks']:>9.4g}s "
                f"{times['chunks'] / times['one pass']:>6.2f}   {rss[0]:,.0f} / {rss[1]:,.0f} MiB",
                flush=True,
            )


def one_step(m: int, chunk: int) -> None:
    """Print this process's peak RSS in MiB after one step (for ``peak_rss_mb_of_one_step``).

    Read from /proc (Linux): getrusage's figure would include the parent's, a forked process
    keeps it across exec.
    """
    full_batch_step(m, chunk)()
    status = Path("/proc/self/status").read_text()
    kib = next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM:"))
    print(int(kib) / 1024)


def seconds_to_stop(delay: float) -> float:
    """Start a worker on 1,000,000 points, send Step, wait ``delay`` s, time stop_worker."""
    from PySide6.QtCore import QObject

    from mlpviz.core.session import Session
    from mlpviz.gui.worker import start_worker, stop_worker

    session = Session(line_data(1_000_000), NETWORK, TrainingConfig("sgd", 1e-4))
    parent = QObject()
    thread, worker = start_worker(parent, session)
    worker.step()
    time.sleep(delay)
    start = time.perf_counter()
    stop_worker(thread, worker)
    return time.perf_counter() - start


def bench_stop() -> None:
    import mlpviz

    print(f"stop_worker during Step on 1,000,000 points, {SIZES} ReLU ({mlpviz.__file__})")
    waits = []
    for delay in STOP_DELAYS:
        waits.append(seconds_to_stop(delay))
        print(f"  stop {delay:4.1f} s after Step: stop_worker took {waits[-1]:6.3f} s", flush=True)
    print(f"  median {statistics.median(waits):.3f} s, longest {max(waits):.3f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    steps = commands.add_parser("steps", help="step time and memory, one pass and chunks")
    steps.add_argument("--repeats", type=int, default=3)
    commands.add_parser("stop", help="how long stop_worker waits during a long step")
    one = commands.add_parser("one-step", help=argparse.SUPPRESS)
    one.add_argument("points", type=int)
    one.add_argument("chunk", type=int)
    args = parser.parse_args()
    if args.command == "steps":
        bench_steps(args.repeats)
    elif args.command == "stop":
        bench_stop()
    else:
        one_step(args.points, args.chunk)


if __name__ == "__main__":
    main()
