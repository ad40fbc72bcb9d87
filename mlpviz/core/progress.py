"""How far a run is through its epoch, and how long the rest will take: what the digits
workspace's progress bar shows (a pass over MNIST takes tens of seconds)."""

from __future__ import annotations

import math
from typing import NamedTuple

from .snapshot import Snapshot


class EpochProgress(NamedTuple):
    """``done``: the share (0 … 1) of the current epoch's samples already used;
    ``seconds_left``: the time to the end of the epoch at the snapshot's speed, None when it is
    not training (or its speed is not measured yet)."""

    done: float
    seconds_left: float | None


def epoch_progress(snapshot: Snapshot) -> EpochProgress:
    """The progress through the epoch of ``snapshot``: the position in the epoch's sample
    order its trainer is at (a new epoch begins at 0), and the time left at its measured
    updates per second."""
    trainer, training = snapshot.trainer, snapshot.training
    order = None if trainer is None else trainer.order
    if order is None or len(order) == 0:
        return EpochProgress(0.0, None)
    done = min(1.0, trainer.position / len(order))
    rate = snapshot.updates_per_second
    if not snapshot.running or not rate > 0 or training is None:
        return EpochProgress(done, None)
    batch = training.batch_size or len(order)
    updates_left = math.ceil((len(order) - trainer.position) / batch)
    return EpochProgress(done, updates_left / rate)


def duration_text(seconds: float) -> str:
    """``seconds`` as "0:42", "12:05" or "1:02:03" (rounded up: an ETA never says 0:00 early)."""
    total = math.ceil(max(0.0, seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
