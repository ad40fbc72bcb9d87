"""While playing, the data plane computes a costly background on a coarser grid; a paused,
stepped or scrubbed frame is always computed in full, so they are the same picture.

No wall clock: the CPU time the plane measures comes from a stand-in clock that charges a
set cost per cell of the image.
"""

from __future__ import annotations

import time
from dataclasses import replace

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QSlider, QSpinBox, QToolButton

from mlpviz.core import MLP
from mlpviz.core.config import HiddenLayer, NetworkConfig
from mlpviz.core.history import TrainingHistory
from mlpviz.core.regions import affordable_cells
from mlpviz.core.snapshot import Snapshot
from mlpviz.gui import data_plane as data_plane_module
from mlpviz.gui.data_plane import (
    GRID_CELLS,
    MIN_PLAYING_CELLS,
    PLAYING_REGION_SECONDS,
    DataPlane,
)

from .conftest import shown

TIMEOUT_MS = 10_000
COSTLY = 0.024 / GRID_CELLS**2  # seconds a cell: an 8 × 64 network's 24 ms a full image
CHEAP = 0.002 / GRID_CELLS**2


class CellClock:
    """Stands for the ``time`` module in data_plane: each reading of ``thread_time`` adds
    ``per_cell`` seconds for every cell of the plane's current grid, so computing an image
    costs exactly that (the plane reads the clock before and after)."""

    def __init__(self, plane: DataPlane, per_cell: float) -> None:
        self.plane = plane
        self.per_cell = per_cell
        self.now = 0.0
        self.perf_counter = time.perf_counter  # the brush's, untouched

    def thread_time(self) -> float:
        self.now += self.per_cell * self.plane.region_cells**2
        return self.now


def snapshot_of(net: MLP, running: bool) -> Snapshot:
    history = TrainingHistory().arrays()
    return Snapshot(net, 0, 0, 0.0, 0.0, 0.0, 0.0, 0.0, history, running)


@pytest.fixture
def plane(qtbot):
    return shown(qtbot, DataPlane(), 600, 560)


@pytest.fixture
def net():
    return MLP([2, 8, 8, 1], ["tanh", "tanh"], seed=3)


def charge(monkeypatch, plane: DataPlane, per_cell: float) -> CellClock:
    clock = CellClock(plane, per_cell)
    monkeypatch.setattr(data_plane_module, "time", clock)
    return clock


def test_a_costly_background_is_coarser_while_playing_and_full_when_paused(plane, net, monkeypatch):
    charge(monkeypatch, plane, COSTLY)
    plane.show_snapshot(snapshot_of(net, running=False))
    assert plane.region_cells == GRID_CELLS
    full = plane.background_image.copy()

    plane.show_snapshot(snapshot_of(net, running=True))
    expected = affordable_cells(COSTLY, PLAYING_REGION_SECONDS, GRID_CELLS, MIN_PLAYING_CELLS)
    assert MIN_PLAYING_CELLS <= expected < GRID_CELLS
    assert plane.region_cells == expected
    assert plane.background_image.shape == (expected, expected, 3)
    (x0, x1), (y0, y1) = plane.view_range()
    rect = plane._region_image.mapRectToParent(plane._region_image.boundingRect())
    assert np.allclose([rect.left(), rect.right()], [x0, x1])  # still the whole view
    assert np.allclose([rect.top(), rect.bottom()], [y0, y1])
    assert len(plane.boundary_segments) > 0  # the boundary follows the coarser grid

    plane.show_snapshot(snapshot_of(net, running=False))  # paused again
    assert plane.region_cells == GRID_CELLS
    np.testing.assert_array_equal(plane.background_image, full)


def test_a_cheap_background_stays_full_while_playing(plane, net, monkeypatch):
    charge(monkeypatch, plane, CHEAP)
    plane.show_snapshot(snapshot_of(net, running=False))
    for _ in range(3):
        plane.show_snapshot(snapshot_of(net, running=True))
        assert plane.region_cells == GRID_CELLS


def test_the_playing_resolution_follows_the_measured_cost(plane, net, monkeypatch):
    clock = charge(monkeypatch, plane, CHEAP)
    plane.show_snapshot(snapshot_of(net, running=False))
    sides = []
    for per_cell in [COSTLY] * 10 + [CHEAP] * 10:
        clock.per_cell = per_cell  # a heavier network, then a lighter one
        plane.show_snapshot(snapshot_of(net, running=True))
        sides.append(plane.region_cells)
    # Each frame's grid is chosen from what the images before it cost.
    assert sides[0] == GRID_CELLS
    assert sides[:11] == sorted(sides[:11], reverse=True)
    assert sides[10] == affordable_cells(
        COSTLY, PLAYING_REGION_SECONDS, GRID_CELLS, MIN_PLAYING_CELLS
    )
    assert sides[10:] == sorted(sides[10:])
    assert sides[-1] == GRID_CELLS  # cheap again: full again


def test_a_neuron_map_is_coarser_while_playing_too(plane, net, monkeypatch):
    charge(monkeypatch, plane, COSTLY)
    plane.show_snapshot(snapshot_of(net, running=False))
    plane.show_neuron_map((2, 3))
    assert plane.neuron_values.shape == (GRID_CELLS, GRID_CELLS)
    plane.show_snapshot(snapshot_of(net, running=True))
    cells = plane.region_cells
    assert cells < GRID_CELLS
    assert plane.neuron_values.shape == (cells, cells)
    assert plane.background_image.shape == (cells, cells, 3)


def test_a_zoom_while_playing_keeps_the_playing_grid(qtbot, plane, net, monkeypatch):
    charge(monkeypatch, plane, COSTLY)
    plane.show_snapshot(snapshot_of(net, running=False))
    running = snapshot_of(net, running=True)
    plane.show_snapshot(running)
    cells = plane.region_cells
    plane.getPlotItem().vb.scaleBy((0.5, 0.5))
    qtbot.waitUntil(lambda: np.allclose(plane._region_image.width(), cells))
    assert plane.background_image.shape == (cells, cells, 3)
    plane.show_snapshot(replace(running, running=False))
    assert plane.background_image.shape == (GRID_CELLS, GRID_CELLS, 3)


def test_a_paused_frame_equals_the_scrubbed_one_though_playing_was_coarser(
    qtbot, window, monkeypatch
):
    plane = window.data_plane
    charge(monkeypatch, plane, COSTLY)
    window.state.set_network_config(NetworkConfig((HiddenLayer(6, "tanh"),), seed=1))
    qtbot.waitUntil(lambda: window.last_snapshot.net.depth == 2, timeout=TIMEOUT_MS)
    drawn: list[tuple[bool, int]] = []
    window._frames.frame_shown.connect(
        lambda frame: drawn.append((frame.snapshot.running, plane.region_cells))
    )
    play_until(qtbot, window, 120)
    assert any(running and cells < GRID_CELLS for running, cells in drawn)
    assert plane.region_cells == GRID_CELLS
    paused = plane.background_image.copy()
    boundary = plane.boundary_segments.copy()
    picture = plane.grab().toImage()

    play_until(qtbot, window, 180)
    slider = window.findChild(QSlider, "timelineSlider")
    slider.setValue(120)  # every iteration up to 200 is kept: index = iteration
    qtbot.waitUntil(lambda: window.frame.checkpoint == 120, timeout=TIMEOUT_MS)
    assert plane.region_cells == GRID_CELLS
    np.testing.assert_array_equal(plane.background_image, paused)
    np.testing.assert_array_equal(plane.boundary_segments, boundary)
    assert plane.grab().toImage() == picture


def play_until(qtbot, window, iteration: int) -> None:
    """Type ``iteration`` into the stop-at box, press Play and wait for the paused frame."""
    window.findChild(QSpinBox, "stopAtSpin").setValue(iteration)
    qtbot.mouseClick(window.findChild(QToolButton, "playButton"), Qt.LeftButton)
    qtbot.waitUntil(
        lambda: window.frame.snapshot.iteration == iteration and not window.frame.snapshot.running,
        timeout=TIMEOUT_MS,
    )
