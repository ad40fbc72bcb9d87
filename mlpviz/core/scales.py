"""Colour scales that views share, computed from a frame's own data."""

from __future__ import annotations

import math

NICE_MANTISSAS = (1.0, 1.5, 2.0, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0)


def nice_ceiling(value: float) -> float:
    """The smallest "nice" number ≥ ``value`` (> 0): 1.2 → 1.5, 3.7 → 4, 9 → 10, 11 → 15."""
    power = 10.0 ** math.floor(math.log10(value))
    return next(m * power for m in NICE_MANTISSAS if m * power >= value * (1 - 1e-9))


def weight_color_limit(largest_weight: float) -> float:
    """The weights' colour scale ±L: the largest |w| of the run so far, at least 1, rounded up
    to a nice number. It only grows within a run, so a colour keeps its meaning."""
    return nice_ceiling(max(1.0, largest_weight)) if math.isfinite(largest_weight) else 1.0
