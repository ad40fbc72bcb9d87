"""What every view draws: one state of a run, live or from the timeline, with its data."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .datasets import Dataset
from .snapshot import Snapshot


@dataclass(frozen=True, eq=False)
class Frame:
    """A Snapshot (``snapshot.net`` is a private MLP copy) with the dataset it was trained on,
    its split (``test_mask`` (m,), True for test points) and the user's selection: the index
    in ``dataset`` of the point the backprop inspector follows (Ctrl+click), or None.

    ``checkpoint`` is the timeline index shown, or None for the live state. A view draws a
    frame from these alone, so any view can draw any past iteration.
    """

    snapshot: Snapshot
    dataset: Dataset
    test_mask: np.ndarray
    selection: int | None = None
    checkpoint: int | None = None

    @property
    def is_live(self) -> bool:
        """Whether this is the run as it is now (not a past checkpoint)."""
        return self.checkpoint is None


def follow_selection(before: Dataset, index: int | None, after: Dataset) -> int | None:
    """The index in ``after`` of point ``index`` of ``before`` (same position and label), or
    None once it is gone: the selection follows its point when others are added or removed,
    and into an older version of the data on the timeline."""
    if index is None or index >= len(before):
        return None
    position, label = before.X[index], before.y[index]
    if index < len(after) and np.array_equal(after.X[index], position) and after.y[index] == label:
        return index  # the common case (points added at the end, the same data): no search
    same = np.flatnonzero(np.equal(after.X, position).all(axis=1) & (after.y == label))
    return int(same[0]) if len(same) else None
