"""Benchmark of the NumPy engine, side by side with PyTorch CPU when it is installed.

Prints, in one run, the median time of (a) one Trainer.step of [2,8,8,1] tanh on 500 points,
full batch; (b) one step of [2,16,16,16,4] ReLU on 1000 points, full batch; (c) predict_proba
over a 200×200 grid with net (b); (d) one step of [784,128,64,10], batch 128, float32.
mlpviz runs in float64 for (a)–(c) as the app does, float32 for (d); PyTorch runs as a user
runs it: nn.Sequential + torch.optim.SGD, float32, default threads.

    python3 bench/bench_core.py [--repeats 7]
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import time
from collections.abc import Callable

import numpy as np

from mlpviz.core import MLP, SGD, Trainer


def calls_per_sample(call: Callable[[], object], min_time: float) -> int:
    """How many calls make one timing sample last at least ``min_time`` seconds."""
    call()
    number = 1
    while True:
        start = time.perf_counter()
        for _ in range(number):
            call()
        if time.perf_counter() - start >= min_time:
            return number
        number *= 2


def median_seconds(calls: list[Callable[[], object]], repeats: int, min_time: float = 0.05):
    """Median time of one call of each callable; their samples are interleaved, so that a
    noisy neighbour on the machine slows every contender alike."""
    numbers = [calls_per_sample(call, min_time) for call in calls]
    samples: list[list[float]] = [[] for _ in calls]
    for _ in range(repeats):
        for call, number, times in zip(calls, numbers, samples):
            start = time.perf_counter()
            for _ in range(number):
                call()
            times.append((time.perf_counter() - start) / number)
    return [statistics.median(times) for times in samples]


def problem(n_in: int, n_classes: int, m: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(m, n_in))
    y = rng.integers(0, n_classes, size=m)
    return X, y


CASES = {
    "a": dict(sizes=[2, 8, 8, 1], act="tanh", m=500, batch=None, dtype=np.float64),
    "b": dict(sizes=[2, 16, 16, 16, 4], act="relu", m=1000, batch=None, dtype=np.float64),
    "d": dict(sizes=[784, 128, 64, 10], act="relu", m=1280, batch=128, dtype=np.float32),
}
GRID = np.stack(np.meshgrid(np.linspace(-6, 6, 200), np.linspace(-6, 6, 200)), -1).reshape(-1, 2)


def mlpviz_step(case: dict) -> Callable[[], float]:
    n_classes = max(2, case["sizes"][-1])
    X, y = problem(case["sizes"][0], n_classes, case["m"])
    net = MLP(case["sizes"], case["act"], seed=0, dtype=case["dtype"])
    trainer = Trainer(net, SGD(1e-3), X, y, batch_size=case["batch"], seed=0)
    return trainer.step


def mlpviz_grid() -> Callable[[], np.ndarray]:
    net = MLP(CASES["b"]["sizes"], "relu", seed=0)
    return lambda: net.predict_proba(GRID)


def torch_model(torch, case: dict):
    sizes = case["sizes"]
    act = {"tanh": torch.nn.Tanh, "relu": torch.nn.ReLU}[case["act"]]
    layers = []
    for index, (n_in, n_out) in enumerate(itertools.pairwise(sizes)):
        layers.append(torch.nn.Linear(n_in, n_out))
        if index < len(sizes) - 2:
            layers.append(act())
    return torch.nn.Sequential(*layers)


def torch_step(torch, case: dict) -> Callable[[], float]:
    n_out = case["sizes"][-1]
    X, y = problem(case["sizes"][0], max(2, n_out), case["m"])
    model = torch_model(torch, case)
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-3)
    X_t = torch.tensor(X, dtype=torch.float32)
    y_t = torch.tensor(y, dtype=torch.float32 if n_out == 1 else torch.long)
    if n_out == 1:
        loss_fn = torch.nn.BCEWithLogitsLoss()
        y_t = y_t[:, None]
    else:
        loss_fn = torch.nn.CrossEntropyLoss()
    batch = case["batch"] or case["m"]
    position = [0]

    def step() -> float:
        start = position[0]
        position[0] = (start + batch) % case["m"]
        optimizer.zero_grad()
        loss = loss_fn(model(X_t[start : start + batch]), y_t[start : start + batch])
        loss.backward()
        optimizer.step()
        return loss.item()

    return step


def torch_grid(torch) -> Callable[[], object]:
    model = torch_model(torch, CASES["b"])
    grid = torch.tensor(GRID, dtype=torch.float32)

    def predict():
        with torch.no_grad():
            return torch.softmax(model(grid), dim=1).numpy()

    return predict


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=21)
    args = parser.parse_args()
    try:
        import torch
    except ImportError:
        torch = None

    rows = [
        ("(a) step [2,8,8,1] tanh, 500 pts", mlpviz_step(CASES["a"]), "a"),
        ("(b) step [2,16,16,16,4] relu, 1000 pts", mlpviz_step(CASES["b"]), "b"),
        ("(c) predict_proba 200×200 grid, net (b)", mlpviz_grid(), "c"),
        ("(d) step [784,128,64,10] batch 128 f32", mlpviz_step(CASES["d"]), "d"),
    ]
    print(f"numpy {np.__version__}" + (f", torch {torch.__version__}" if torch else ", no torch"))
    print(f"{'case':44} {'mlpviz':>10} {'pytorch':>10} {'speed-up':>9}")
    for label, ours, key in rows:
        theirs = None
        if torch is None:
            (mine,) = median_seconds([ours], args.repeats)
        else:
            call = torch_grid(torch) if key == "c" else torch_step(torch, CASES[key])
            mine, theirs = median_seconds([ours, call], args.repeats)
        ratio = f"{theirs / mine:8.1f}×" if theirs else "      n/a"
        theirs_text = f"{theirs * 1e6:8.0f}µs" if theirs else "       n/a"
        print(f"{label:44} {mine * 1e6:8.0f}µs {theirs_text} {ratio}")


if __name__ == "__main__":
    main()
