"""A bounded record of a training run's losses and accuracies, for the loss plot.

Memory stays bounded however long the run: rows are kept at a stride that doubles each time
the record fills up (every other kept row is then dropped), so the kept rows stay evenly
spread over the run and a million iterations are drawn from at most ``capacity`` points.
The newest row is always available, so the curve ends where training is.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

FIELDS = ("iteration", "train_loss", "test_loss", "train_accuracy", "test_accuracy")


@dataclass(frozen=True)
class HistoryArrays:
    """Copies of the recorded columns, each shape (n,); NaN where a value was not measured."""

    iteration: np.ndarray
    train_loss: np.ndarray
    test_loss: np.ndarray
    train_accuracy: np.ndarray
    test_accuracy: np.ndarray

    def __len__(self) -> int:
        return len(self.iteration)

    def until(self, iteration: int) -> HistoryArrays:
        """The rows up to and including ``iteration`` (a past state's record)."""
        kept = self.iteration <= iteration
        return HistoryArrays(*(getattr(self, field)[kept] for field in FIELDS))

    def to_csv(self) -> str:
        """``iteration,train_loss,test_loss,train_accuracy,test_accuracy``, one row per
        recorded iteration; an empty field is a value not measured (no test set), and each
        number is the shortest text that reads back as the same float."""
        columns = [getattr(self, field).tolist() for field in FIELDS]
        lines = [",".join(FIELDS)]
        for iteration, *values in zip(*columns):
            lines.append(",".join([str(iteration), *(_csv_number(value) for value in values)]))
        return "\n".join(lines) + "\n"


def _csv_number(value: float) -> str:
    return repr(value) if math.isfinite(value) else ""


class TrainingHistory:
    """Records ``(iteration, train J, test J, train accuracy, test accuracy)`` rows."""

    def __init__(self, capacity: int = 4096) -> None:
        if capacity < 4:
            raise ValueError("capacity must be at least 4")
        self.capacity = capacity
        self._rows = np.empty((capacity, len(FIELDS)), dtype=np.float64)
        self._count = 0
        self._stride = 1
        self._offered = 0
        self._newest: tuple[float, ...] | None = None

    def __len__(self) -> int:
        return len(self._visible_rows())

    def record(
        self,
        iteration: int,
        train_loss: float,
        test_loss: float = float("nan"),
        train_accuracy: float = float("nan"),
        test_accuracy: float = float("nan"),
    ) -> None:
        """Offer one row; it is kept if it falls on the current stride."""
        row = (iteration, train_loss, test_loss, train_accuracy, test_accuracy)
        self._newest = row
        if self._offered % self._stride == 0:
            if self._count == self.capacity:
                self._thin_out()
            self._rows[self._count] = row
            self._count += 1
        self._offered += 1

    def show_newest(self, row: tuple[float, ...]) -> None:
        """Make ``row`` the curve's end without keeping it (a live state between records)."""
        if self._count and row[0] <= self._rows[self._count - 1, 0]:
            self._newest = None
        else:
            self._newest = tuple(row)

    def truncate_after(self, iteration: int) -> None:
        """Forget the rows after ``iteration``: the run goes on from there."""
        kept = np.searchsorted(self._rows[: self._count, 0], iteration, side="right")
        self._count = int(kept)
        self._newest = None

    def kept_rows(self) -> np.ndarray:
        """A copy of the kept rows, (n, 5) in FIELDS order (for saving)."""
        return self._rows[: self._count].copy()

    def state(self) -> tuple[int, int]:
        """``(stride, offered)``: with ``kept_rows`` what ``restore`` needs."""
        return self._stride, self._offered

    def restore(self, rows: np.ndarray, stride: int, offered: int) -> None:
        """Continue a record saved with ``kept_rows`` and ``state``."""
        if rows.ndim != 2 or rows.shape[1] != len(FIELDS) or len(rows) > self.capacity:
            raise ValueError(f"a loss record has at most {self.capacity} rows of {len(FIELDS)}")
        if stride < 1 or offered < 0:
            raise ValueError("invalid loss record state")
        self._rows[: len(rows)] = rows
        self._count, self._stride, self._offered = len(rows), int(stride), int(offered)
        self._newest = None

    def _thin_out(self) -> None:
        """Drop every other kept row and double the stride: halves the memory used."""
        kept = self._rows[: self._count : 2].copy()
        self._rows[: len(kept)] = kept
        self._count = len(kept)
        self._stride *= 2

    def clear(self) -> None:
        """Forget everything (the network was re-initialised)."""
        self._count = 0
        self._stride = 1
        self._offered = 0
        self._newest = None

    def _visible_rows(self) -> np.ndarray:
        rows = self._rows[: self._count]
        if self._newest is not None and (not self._count or rows[-1, 0] != self._newest[0]):
            rows = np.vstack([rows, self._newest])
        return rows

    def arrays(self) -> HistoryArrays:
        """A copy of the record, safe to hand to another thread."""
        rows = self._visible_rows()
        return HistoryArrays(rows[:, 0].astype(np.int64), *(rows[:, i].copy() for i in range(1, 5)))
