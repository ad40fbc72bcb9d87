"""Benchmark of the NumPy engine, beside PyTorch CPU when it is installed.

Cases: (a) one Trainer.step of [2,8,8,1] tanh on 500 points, full batch; (b) one step of
[2,16,16,16,4] ReLU on 1000 points, full batch; (c) predict_proba over a 200×200 grid with
net (b); (d) one step of [784,128,64,10], batch 128 of 1280 points, float32. mlpviz runs in
float64 for (a)–(c) as the app does, float32 for (d). PyTorch runs as a user runs it:
nn.Sequential + torch.optim.SGD, float32, default threads; for (a) and (b) it is also timed
in float64, the precision mlpviz computes in there.

Each contender is timed alone, in a process of its own: running two frameworks in one process
(or side by side) makes PyTorch's OpenMP threads and NumPy's BLAS threads fight over the cores
and slows both. For each case the contenders' processes take turns, block after block
(A B C, B C A, C A B, …), so that slow drifts of the machine reach every contender alike.
A time is the median of every sample of every block; the range is that of the block medians.
A block starts once the rest of the machine is idle and is run again when other processes
used more than --max-foreign cores while it was timed (at most --max-wait seconds in all).

    python3 bench/bench_core.py [--cases abcd] [--blocks 5] [--samples 5] [--min-time 0.05]

Prints a markdown report (machine, command, table). Without torch, mlpviz alone is timed.
"""

from __future__ import annotations

import argparse
import importlib.util
import itertools
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
BLAS_HINTS = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS")

CASES = {
    "a": dict(sizes=[2, 8, 8, 1], act="tanh", m=500, batch=None, dtype="float64"),
    "b": dict(sizes=[2, 16, 16, 16, 4], act="relu", m=1000, batch=None, dtype="float64"),
    "c": dict(sizes=[2, 16, 16, 16, 4], act="relu", grid=200, dtype="float64"),
    "d": dict(sizes=[784, 128, 64, 10], act="relu", m=1280, batch=128, dtype="float32"),
}
LABELS = {
    "a": "(a) step [2,8,8,1] tanh, 500 pts, full batch",
    "b": "(b) step [2,16,16,16,4] ReLU, 1000 pts, full batch",
    "c": "(c) predict_proba 200×200 grid, net (b)",
    "d": "(d) step [784,128,64,10], batch 128, f32",
}
TARGETS = {"a": 5.0, "b": 2.0, "c": 1.0, "d": 1.0}
# Contenders of each case: mlpviz, PyTorch float32, and PyTorch float64 where mlpviz is float64.
CONTENDERS = {
    "a": ["mlpviz", "torch32", "torch64"],
    "b": ["mlpviz", "torch32", "torch64"],
    "c": ["mlpviz", "torch32"],
    "d": ["mlpviz", "torch32"],
}


# --- the timed calls (built inside a worker process) -----------------------------------------
def problem(n_in: int, n_classes: int, m: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(m, n_in))
    y = rng.integers(0, n_classes, size=m)
    return X, y


def grid_points(n: int) -> np.ndarray:
    axis = np.linspace(-6, 6, n)
    return np.stack(np.meshgrid(axis, axis), -1).reshape(-1, 2)


def mlpviz_call(case: dict) -> Callable[[], object]:
    from mlpviz.core import MLP, SGD, Trainer

    net = MLP(case["sizes"], case["act"], seed=0, dtype=np.dtype(case["dtype"]))
    if "grid" in case:
        grid = grid_points(case["grid"])
        return lambda: net.predict_proba(grid)
    X, y = problem(case["sizes"][0], net.n_classes, case["m"])
    trainer = Trainer(net, SGD(1e-3), X, y, batch_size=case["batch"], seed=0)
    return trainer.step


def torch_call(case: dict, dtype_name: str) -> Callable[[], object]:
    import torch

    dtype = getattr(torch, dtype_name)
    sizes = case["sizes"]
    act = {"tanh": torch.nn.Tanh, "relu": torch.nn.ReLU}[case["act"]]
    layers: list[torch.nn.Module] = []
    for index, (n_in, n_out) in enumerate(itertools.pairwise(sizes)):
        layers.append(torch.nn.Linear(n_in, n_out))
        if index < len(sizes) - 2:
            layers.append(act())
    model = torch.nn.Sequential(*layers).to(dtype)

    if "grid" in case:
        grid = torch.tensor(grid_points(case["grid"]), dtype=dtype)

        def predict():
            with torch.no_grad():
                return torch.softmax(model(grid), dim=1).numpy()

        return predict

    n_out = sizes[-1]
    X, y = problem(sizes[0], max(2, n_out), case["m"])
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-3)
    X_t = torch.tensor(X, dtype=dtype)
    if n_out == 1:
        loss_fn: torch.nn.Module = torch.nn.BCEWithLogitsLoss()
        y_t = torch.tensor(y, dtype=dtype)[:, None]
    else:
        loss_fn = torch.nn.CrossEntropyLoss()
        y_t = torch.tensor(y, dtype=torch.long)
    batch = case["batch"] or case["m"]
    position = [0]

    def step() -> float:
        # Consecutive slices, not a shuffled gather as mlpviz's Trainer does: this favours
        # PyTorch slightly, and is what a hand-written loop without DataLoader does.
        start = position[0]
        position[0] = (start + batch) % case["m"]
        optimizer.zero_grad()
        loss = loss_fn(model(X_t[start : start + batch]), y_t[start : start + batch])
        loss.backward()
        optimizer.step()
        return loss.item()

    return step


def calls_per_sample(call: Callable[[], object], min_time: float) -> int:
    """How many calls make one timing sample last at least ``min_time`` seconds."""
    number = 1
    while True:
        start = time.perf_counter()
        for _ in range(number):
            call()
        if time.perf_counter() - start >= min_time:
            return number
        number *= 2


def worker(contender: str, key: str, samples: int, min_time: float) -> None:
    """Time one contender on one case in this process; print the samples as one JSON line."""
    sys.path.insert(0, str(ROOT))  # this worktree's mlpviz, whatever is installed
    case = CASES[key]
    info: dict[str, object] = {}
    if contender == "mlpviz":
        import mlpviz

        call = mlpviz_call(case)
        info["mlpviz"] = mlpviz.__file__
    else:
        import torch

        call = torch_call(case, {"torch32": "float32", "torch64": "float64"}[contender])
        info.update(torch=torch.__version__, threads=torch.get_num_threads())
    warm_until = time.perf_counter() + 0.1
    while time.perf_counter() < warm_until:
        call()
    number = calls_per_sample(call, min_time)
    times = []
    busy, own, wall = busy_cpu_seconds(), time.process_time(), time.perf_counter()
    for _ in range(samples):
        start = time.perf_counter()
        for _ in range(number):
            call()
        times.append((time.perf_counter() - start) / number)
    # CPU time the rest of the machine used meanwhile, in cores: a loaded machine is no
    # measurement (PyTorch's spinning OpenMP threads are then slowed down tenfold or more).
    wall = time.perf_counter() - wall
    info["foreign"] = (busy_cpu_seconds() - busy - (time.process_time() - own)) / wall
    if contender == "mlpviz":
        info["blas"] = blas_description()
    print(json.dumps(dict(times=times, number=number, **info)))


# --- the driver -----------------------------------------------------------------------------
def blas_description() -> str:
    """The BLAS NumPy uses as threadpoolctl sees it: library, version, kernel, threads."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return "unknown (threadpoolctl not installed)"
    pools = [pool for pool in threadpool_info() if pool.get("user_api") == "blas"]
    return "; ".join(
        f"{pool.get('internal_api')} {pool.get('version')}, kernel "
        f"{pool.get('architecture', '?')}, {pool.get('num_threads')} threads"
        for pool in pools
    )


def busy_cpu_seconds() -> float:
    """CPU seconds all processes of the machine have used since boot (0 if unknown)."""
    try:
        with open("/proc/stat") as stat:
            fields = [int(field) for field in stat.readline().split()[1:9]]
    except (OSError, ValueError):
        return 0.0
    idle = fields[3] + fields[4]  # idle and iowait
    return (sum(fields) - idle) / os.sysconf("SC_CLK_TCK")


def wait_until_quiet(max_foreign: float, budget: float) -> float:
    """Wait, at most ``budget`` seconds, until the rest of the machine uses no more than
    ``max_foreign`` cores over a quarter of a second; returns the seconds waited."""
    began = time.perf_counter()
    while True:
        busy = busy_cpu_seconds()
        time.sleep(0.25)
        if busy_cpu_seconds() - busy <= max_foreign * 0.25:
            break
        if time.perf_counter() - began >= budget:
            break
    return max(time.perf_counter() - began - 0.25, 0.0)


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def load_average() -> str:
    try:
        return f"{os.getloadavg()[0]:.2f}"
    except OSError:
        return "?"


def run_worker(contender: str, key: str, args: argparse.Namespace) -> dict:
    command = [sys.executable, str(Path(__file__).resolve()), "--worker", contender, key]
    command += ["--samples", str(args.samples), "--min-time", str(args.min_time)]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        sys.exit(f"worker {contender} {key} failed:\n{result.stderr}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def micro(seconds: float) -> str:
    return f"{seconds * 1e6:,.0f} µs"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--blocks", type=int, default=5, help="processes per contender and case")
    parser.add_argument("--samples", type=int, default=5, help="timing samples per process")
    parser.add_argument("--min-time", type=float, default=0.05, help="seconds per sample")
    parser.add_argument(
        "--max-foreign",
        type=float,
        default=0.1,
        help="repeat a block when other processes used more than this many cores meanwhile",
    )
    parser.add_argument(
        "--max-wait",
        type=float,
        default=600,
        help="seconds to wait in all for the machine to be quiet before giving up",
    )
    parser.add_argument("--cases", default="abcd", help="which cases to time, e.g. ab")
    parser.add_argument("--worker", nargs=2, metavar=("CONTENDER", "CASE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(*args.worker, args.samples, args.min_time)
        return

    has_torch = importlib.util.find_spec("torch") is not None
    load_before = load_average()
    began = time.perf_counter()
    medians: dict[tuple[str, str], float] = {}
    ranges: dict[tuple[str, str], tuple[float, float]] = {}
    infos: dict[str, dict] = {}
    retries, foreign, waited = 0, 0.0, 0.0
    for key, contenders in CONTENDERS.items():
        if key not in args.cases:
            continue
        if not has_torch:
            contenders = ["mlpviz"]
        samples: dict[str, list[float]] = {name: [] for name in contenders}
        block_medians: dict[str, list[float]] = {name: [] for name in contenders}
        for block in range(args.blocks):
            shift = block % len(contenders)
            for name in contenders[shift:] + contenders[:shift]:
                print(f"case {key}, block {block + 1}/{args.blocks}: {name}", file=sys.stderr)
                while True:
                    waited += wait_until_quiet(args.max_foreign, args.max_wait - waited)
                    started = time.perf_counter()
                    result = run_worker(name, key, args)
                    if result["foreign"] <= args.max_foreign or waited >= args.max_wait:
                        break
                    retries += 1
                    waited += time.perf_counter() - started  # a lost block counts as waiting
                    print(f"  others used {result['foreign']:.2f} cores: again", file=sys.stderr)
                foreign = max(foreign, result["foreign"])
                infos.setdefault(name, result)
                samples[name] += result["times"]
                block_medians[name].append(statistics.median(result["times"]))
        for name in contenders:
            medians[key, name] = statistics.median(samples[name])
            ranges[key, name] = (min(block_medians[name]), max(block_medians[name]))
    elapsed = time.perf_counter() - began
    load_after = load_average()

    mlpviz_info = infos["mlpviz"]
    hints = ", ".join(f"{name}={os.environ[name]}" for name in BLAS_HINTS if name in os.environ)
    affinity = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else "?"
    torch_text = (
        f"torch {infos['torch32']['torch']} ({infos['torch32']['threads']} threads)"
        if has_torch
        else "torch not installed"
    )
    print(f"- Command: `{' '.join(['python3', *sys.argv])}`")
    print(f"- CPU: {cpu_model()}, {os.cpu_count()} logical cores ({affinity} usable)")
    print(f"- Python {platform.python_version()}, numpy {np.__version__}, {torch_text}")
    print(f"- NumPy BLAS: {mlpviz_info['blas']}")
    print(f"- BLAS/OpenMP environment: {hints or 'none of ' + ', '.join(BLAS_HINTS) + ' set'}")
    print(f"- mlpviz from {Path(mlpviz_info['mlpviz']).parent}")
    print(
        f"- {args.blocks} blocks × {args.samples} samples of ≥ {args.min_time * 1e3:g} ms per "
        f"contender and case, each block its own process; run took {elapsed:.0f} s"
    )
    print(f"- 1-minute load average before / after the run: {load_before} / {load_after}")
    print(
        f"- other processes' CPU use while a block was timed: at most {foreign:.2f} cores in a "
        f"kept block; {retries} block(s) repeated because it exceeded {args.max_foreign:g}; "
        f"{waited:.0f} s spent waiting for a quiet machine"
        + (
            " — **the machine was busy: these figures are disturbed**"
            if foreign > args.max_foreign
            else ""
        )
    )
    print()
    header = ["case", "mlpviz (block range)", "PyTorch f32 (block range)", "ratio f32"]
    header += ["PyTorch f64", "ratio f64", "target", "met (f32)"]
    print("| " + " | ".join(header) + " |")
    print("|" + "|".join(["---"] + ["---:"] * (len(header) - 1)) + "|")

    def cell(key: str, name: str) -> str:
        if (key, name) not in medians:
            return "—"
        low, high = ranges[key, name]
        return f"{micro(medians[key, name])} ({low * 1e6:,.0f}–{high * 1e6:,.0f})"

    def ratio(key: str, name: str) -> str:
        if (key, name) not in medians:
            return "—"
        return f"{medians[key, name] / medians[key, 'mlpviz']:.2f}×"

    for key in (key for key in CASES if key in args.cases):
        dtype = CASES[key]["dtype"].replace("float", "f")
        f64 = micro(medians[key, "torch64"]) if (key, "torch64") in medians else "—"
        row = [f"{LABELS[key]} (mlpviz {dtype})", cell(key, "mlpviz"), cell(key, "torch32")]
        row += [ratio(key, "torch32"), f64, ratio(key, "torch64"), f"≥ {TARGETS[key]:g}×"]
        if (key, "torch32") in medians:
            met = medians[key, "torch32"] >= TARGETS[key] * medians[key, "mlpviz"]
            row.append("yes" if met else "**no**")
        else:
            row.append("—")
        print("| " + " | ".join(row) + " |")
    print()
    print("ratio = PyTorch time / mlpviz time (above 1: mlpviz is faster).")


if __name__ == "__main__":
    main()
