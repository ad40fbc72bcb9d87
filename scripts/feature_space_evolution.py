"""Draw the feature space of the last hidden layer at four iterations side by side (README).

The lecture's figure "evolution of the feature space of the last layer over the iterations":
a seeded run on the two-class spiral with a last hidden layer of 2 tanh neurons, drawn by
the app's own featureSpacePlot from the run's timeline, offscreen.

    python3 scripts/feature_space_evolution.py [--out resources/feature_space_evolution.png]
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGridLayout, QLabel, QWidget

from mlpviz.core.config import HiddenLayer, NetworkConfig, TrainingConfig
from mlpviz.core.datasets import make_preset
from mlpviz.core.frame import Frame
from mlpviz.core.session import Session
from mlpviz.gui.app import create_application
from mlpviz.gui.feature_space_plot import FeatureSpacePlot
from mlpviz.gui.style import configure_pyqtgraph

ITERATIONS = (0, 20, 80, 400)
NETWORK = NetworkConfig((HiddenLayer(16, "tanh"), HiddenLayer(2, "tanh")), seed=4)
TRAINING = TrainingConfig("sgd", 0.1)
PANEL_SIZE = 400


def trained_session() -> Session:
    """The seeded run, trained up to the last of ITERATIONS."""
    data = make_preset("spiral", n=250, noise=0.1, seed=0)
    session = Session(data, NETWORK, TRAINING, test_ratio=0.2)
    session.step(ITERATIONS[-1])
    return session


def figure(session: Session) -> QWidget:
    """One featureSpacePlot per iteration, titled, in a row."""
    sheet = QWidget()
    sheet.setStyleSheet("background: white;")
    grid = QGridLayout(sheet)
    for column, iteration in enumerate(ITERATIONS):
        snapshot, data = session.checkpoint_snapshot(session.timeline.index_of(iteration))
        title = QLabel(
            f"iteration {iteration:,} · train accuracy {snapshot.train_accuracy:.0%}",
            alignment=Qt.AlignmentFlag.AlignCenter,
        )
        title.setStyleSheet("font-size: 13pt; color: #222222;")
        plot = FeatureSpacePlot()
        plot.setFixedSize(PANEL_SIZE, PANEL_SIZE)
        plot.show_frame(Frame(snapshot, data.dataset, data.test_mask))
        grid.addWidget(title, 0, column)
        grid.addWidget(plot, 1, column)
    return sheet


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("resources/feature_space_evolution.png"))
    args = parser.parse_args()
    app = create_application([])
    configure_pyqtgraph()
    sheet = figure(trained_session())
    sheet.show()
    app.processEvents()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    if not sheet.grab().save(str(args.out)):
        raise SystemExit(f"could not write {args.out}")
    print(args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
