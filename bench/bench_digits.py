"""Time per epoch of MNIST's network: mlpviz against PyTorch CPU, float32, same net and batch.

[784, 128, 64, 10] ReLU, softmax cross-entropy, Adam (lr 1e-3), mini-batches of 128 drawn
from a fresh shuffle every epoch, on 60,000 synthetic samples of MNIST's shape (pixels
uniform in [0, 1], labels 0…9: the arithmetic of an epoch does not depend on the values).
mlpviz runs its Trainer (what the digits workspace and ``mlpviz digits`` drive, without
recording checkpoints); PyTorch a hand-written loop as its tutorials write it (randperm,
index, forward, loss, zero_grad, backward, step), default threads.

Each framework is timed in a block of its own, in a process of its own (two frameworks in
one process make PyTorch's OpenMP threads and NumPy's BLAS threads fight over the cores);
the blocks alternate (mlpviz, PyTorch, PyTorch, mlpviz, …) so that drifts of the machine
reach both alike. A block trains one epoch to warm up, then times ``--epochs`` epochs. A
block starts once the rest of the machine is idle and is run again when other processes used
more than --max-foreign cores meanwhile (at most --max-wait seconds of waiting in all).

    python3 bench/bench_digits.py [--blocks 4] [--epochs 2] [--threads N]

``--threads N`` gives both frameworks N threads (NumPy's BLAS and PyTorch's intra-op
threads); by default each uses its own default (2 here). On a busy machine, spinning threads
waiting for each other slow both frameworks tens of times, and one thread each is the only
fair comparison.

Prints the median seconds per epoch of each framework and the ratio mlpviz / PyTorch
(target ≤ 1.2). Without torch, mlpviz alone is timed.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from bench_core import blas_description, busy_cpu_seconds, cpu_model, wait_until_quiet

ROOT = Path(__file__).resolve().parent.parent
SIZES = [784, 128, 64, 10]
SAMPLES, BATCH, LEARNING_RATE = 60_000, 128, 1e-3
TARGET_RATIO = 1.2


def synthetic_mnist(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """60,000 float32 images of 784 pixels in [0, 1] and labels 0…9."""
    rng = np.random.default_rng(seed)
    return rng.random((SAMPLES, SIZES[0]), dtype=np.float32), rng.integers(0, 10, SAMPLES)


def mlpviz_epoch():
    """A function training mlpviz's Trainer for one epoch."""
    sys.path.insert(0, str(ROOT))  # this worktree's mlpviz, whatever is installed
    from mlpviz.core import MLP, Trainer
    from mlpviz.core.optimizers import Adam

    X, y = synthetic_mnist()
    net = MLP(SIZES, "relu", init="he", seed=0, dtype=np.float32)
    trainer = Trainer(net, Adam(LEARNING_RATE), X, y, batch_size=BATCH, seed=0)
    return lambda: trainer.run(trainer.iterations_per_epoch)


def torch_epoch():
    """A function training the same network with PyTorch for one epoch."""
    import torch

    torch.manual_seed(0)
    X, y = synthetic_mnist()
    X_t, y_t = torch.from_numpy(X), torch.from_numpy(y)
    model = torch.nn.Sequential(
        torch.nn.Linear(784, 128),
        torch.nn.ReLU(),
        torch.nn.Linear(128, 64),
        torch.nn.ReLU(),
        torch.nn.Linear(64, 10),
    )
    optimizer = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE)
    loss_fn = torch.nn.CrossEntropyLoss()

    def epoch() -> None:
        order = torch.randperm(SAMPLES)
        for start in range(0, SAMPLES, BATCH):
            batch = order[start : start + BATCH]
            optimizer.zero_grad()
            loss = loss_fn(model(X_t[batch]), y_t[batch])
            loss.backward()
            optimizer.step()

    return epoch


def worker(contender: str, epochs: int, threads: int | None) -> None:
    """Time ``epochs`` epochs of one framework in this process; print one JSON line."""
    info: dict[str, object] = {}
    if contender == "mlpviz":
        from threadpoolctl import threadpool_limits

        threadpool_limits(limits=threads, user_api="blas")
        epoch = mlpviz_epoch()
        info["blas"] = blas_description()
    else:
        import torch

        if threads:
            torch.set_num_threads(threads)
        epoch = torch_epoch()
        info.update(torch=torch.__version__, threads=torch.get_num_threads())
    epoch()  # warm-up: buffers, BLAS threads, PyTorch's allocator
    times = []
    busy, own, wall = busy_cpu_seconds(), time.process_time(), time.perf_counter()
    for _ in range(epochs):
        start = time.perf_counter()
        epoch()
        times.append(time.perf_counter() - start)
    wall = time.perf_counter() - wall
    info["foreign"] = (busy_cpu_seconds() - busy - (time.process_time() - own)) / wall
    print(json.dumps(dict(times=times, **info)))


def run_block(contender: str, args: argparse.Namespace) -> dict:
    command = [sys.executable, str(Path(__file__).resolve()), "--worker", contender]
    command += ["--epochs", str(args.epochs)]
    if args.threads:
        command += ["--threads", str(args.threads)]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        sys.exit(f"worker {contender} failed:\n{result.stderr}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--blocks", type=int, default=4, help="blocks per framework")
    parser.add_argument("--epochs", type=int, default=2, help="timed epochs per block")
    parser.add_argument("--max-foreign", type=float, default=0.2, help="cores others may use")
    parser.add_argument("--max-wait", type=float, default=300, help="seconds of waiting in all")
    parser.add_argument("--threads", type=int, help="threads of each framework")
    parser.add_argument("--worker", metavar="CONTENDER", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker, args.epochs, args.threads)
        return
    contenders = ["mlpviz", "torch"] if importlib.util.find_spec("torch") else ["mlpviz"]
    times: dict[str, list[float]] = {name: [] for name in contenders}
    infos: dict[str, dict] = {}
    waited, foreign, began = 0.0, 0.0, time.perf_counter()
    for block in range(args.blocks):
        order = contenders if block % 2 == 0 else contenders[::-1]
        for name in order:
            print(f"block {block + 1}/{args.blocks}: {name}", file=sys.stderr)
            while True:
                waited += wait_until_quiet(args.max_foreign, max(args.max_wait - waited, 0))
                started = time.perf_counter()
                result = run_block(name, args)
                if result["foreign"] <= args.max_foreign or waited >= args.max_wait:
                    break
                waited += time.perf_counter() - started  # a lost block counts as waiting
                print(f"  others used {result['foreign']:.2f} cores: again", file=sys.stderr)
            foreign = max(foreign, result["foreign"])
            infos.setdefault(name, result)
            times[name] += result["times"]
    report(times, infos, foreign, waited, time.perf_counter() - began, args)


def report(
    times: dict[str, list[float]],
    infos: dict[str, dict],
    foreign: float,
    waited: float,
    elapsed: float,
    args: argparse.Namespace,
) -> None:
    """The markdown report: machine, settings, medians and the ratio."""
    medians = {name: statistics.median(values) for name, values in times.items()}
    print(f"- Command: `{' '.join(['python3', *sys.argv])}`")
    print(f"- CPU: {cpu_model()}, {os.cpu_count()} logical cores")
    torch_text = "torch not installed"
    if "torch" in infos:
        torch_text = f"torch {infos['torch']['torch']} ({infos['torch']['threads']} threads)"
    print(f"- Python {platform.python_version()}, numpy {np.__version__}, {torch_text}")
    print(f"- NumPy BLAS: {infos['mlpviz']['blas']}")
    print(f"- threads per framework: {args.threads or 'each its default'}")
    print(
        f"- {args.blocks} blocks × {args.epochs} epochs per framework; {elapsed:.0f} s in all, "
        f"{waited:.0f} s of it waiting for a quiet machine; others' CPU use in a kept block: "
        f"at most {foreign:.2f} cores"
    )
    print()
    print("| framework | s / epoch (median) | epochs timed | range |")
    print("|---|---:|---:|---:|")
    for name, values in times.items():
        print(
            f"| {name} | {medians[name]:.3f} | {len(values)} | "
            f"{min(values):.3f}–{max(values):.3f} |"
        )
    if "torch" in medians:
        ratio = medians["mlpviz"] / medians["torch"]
        met = "yes" if ratio <= TARGET_RATIO else "no"
        print(f"\nmlpviz / PyTorch = {ratio:.2f} (target ≤ {TARGET_RATIO}: {met})")


if __name__ == "__main__":
    main()
