"""Regression guard for the installed Qt binding.

PySide6-Essentials 6.12.0 on Python 3.11 loses a reference to ``True`` on every
``Signal.emit()`` and dies with "Fatal Python error: bool_dealloc" after a few hundred
emits; redrawing a ScatterPlotItem repeatedly made it abort at exit. The app emits up to 60
snapshots a second, so this runs thousands of emits and redraws in a fresh process and
checks that it exits cleanly.
"""

import os
import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent(
    """
    import numpy as np
    import pyqtgraph as pg
    from PySide6.QtCore import QObject, Signal
    from PySide6.QtWidgets import QApplication

    class Emitter(QObject):
        ticked = Signal(object)
        flagged = Signal(bool)

    app = QApplication([])
    emitter = Emitter()
    received = []
    emitter.ticked.connect(received.append)
    emitter.flagged.connect(received.append)
    for i in range(5000):
        emitter.ticked.emit(i)
        emitter.flagged.emit(i % 2 == 0)
    plot = pg.PlotWidget()
    scatter = pg.ScatterPlotItem()
    plot.addItem(scatter)
    rng = np.random.default_rng(0)
    for _ in range(300):
        scatter.setData(pos=rng.normal(size=(200, 2)), brush="b")
        app.processEvents()
    print("ok", len(received))
    """
)


def test_many_signal_emits_and_redraws_exit_cleanly():
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, env=env, timeout=120
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "ok 10000"
