"""The wiring every workspace's run shares: its toolbar, timeline and network editor drive its
AppState and worker, and they follow the state; the worker's snapshots go to its frames.

The worker's commands only enqueue and are thread-safe: they are connected directly, never
queued to the training thread (whose loop runs no Qt event loop).
"""

from __future__ import annotations

from PySide6.QtCore import Qt

from .app_state import AppState
from .frames import FrameDirector
from .network_editor import NetworkEditor
from .timeline_bar import TimelineBar
from .training_toolbar import TrainingToolbar
from .worker import TrainingWorker


def connect_run(
    state: AppState,
    worker: TrainingWorker,
    frames: FrameDirector,
    toolbar: TrainingToolbar,
    timeline: TimelineBar,
    editor: NetworkEditor,
) -> None:
    """Connect one run's controls, state, worker and frames (a new architecture from the
    editor, Reset and the data are each workspace's own business)."""
    direct = Qt.ConnectionType.DirectConnection
    editor.training_config_changed.connect(state.set_training_config)
    toolbar.speed_changed.connect(state.set_speed)
    toolbar.stop_at_changed.connect(state.set_stop_at)
    toolbar.play_requested.connect(worker.play, direct)
    toolbar.pause_requested.connect(worker.pause, direct)
    toolbar.step_requested.connect(worker.step, direct)
    toolbar.step_epoch_requested.connect(worker.step_epoch, direct)
    state.network_config_changed.connect(editor.set_network_config)
    state.training_config_changed.connect(editor.set_training_config)
    state.speed_changed.connect(toolbar.set_speed)
    state.stop_at_changed.connect(toolbar.set_stop_at)
    state.network_config_changed.connect(lambda config: worker.apply(network=config), direct)
    state.training_config_changed.connect(worker.set_training, direct)
    state.speed_changed.connect(worker.set_speed, direct)
    state.stop_at_changed.connect(worker.set_stop_at, direct)
    timeline.checkpoint_requested.connect(frames.show_checkpoint)
    timeline.live_requested.connect(frames.show_live)
    timeline.continue_requested.connect(worker.rewind)
    worker.snapshot_ready.connect(frames.receive)
    worker.running_changed.connect(toolbar.set_running)
