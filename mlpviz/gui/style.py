"""Colours and plot style shared by every view, so a class has one colour everywhere."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg

# Okabe–Ito, the colour-blind-safe palette, ordered so that 2 and 3 classes contrast most;
# grey replaces black so that dark points stay visible on dark regions.
CLASS_COLORS: tuple[str, ...] = (
    "#0072B2",  # blue
    "#E69F00",  # orange
    "#009E73",  # bluish green
    "#CC79A7",  # reddish purple
    "#D55E00",  # vermillion
    "#56B4E9",  # sky blue
    "#F0E442",  # yellow
    "#7F7F7F",  # grey
)

# How activations are named on screen (the lecture's spelling).
ACTIVATION_LABELS: dict[str, str] = {
    "sigmoid": "sigmoid",
    "tanh": "tanh",
    "relu": "ReLU",
    "leaky_relu": "leaky ReLU",
    "linear": "linear",
}

# Diverging pair for signed quantities (weights): blue negative, red positive, white zero.
NEGATIVE_COLOR = "#2166AC"
POSITIVE_COLOR = "#B2182B"

BACKGROUND = "w"
FOREGROUND = "#222222"


def class_rgb() -> np.ndarray:
    """The class colours as an (8, 3) float array of RGB in 0…1."""
    return np.array([pg.mkColor(c).getRgbF()[:3] for c in CLASS_COLORS], dtype=np.float32)


def diverging_colormap() -> pg.ColorMap:
    """Blue (negative) – white (0) – red (positive), for weights centred on zero."""
    return pg.ColorMap([0.0, 0.5, 1.0], [NEGATIVE_COLOR, "#F7F7F7", POSITIVE_COLOR])


def diverging_rgb() -> tuple[np.ndarray, np.ndarray]:
    """The negative and positive colours as RGB arrays (3,) in 0…1 (for neuron maps)."""
    return tuple(
        np.array(pg.mkColor(c).getRgbF()[:3], dtype=np.float32)
        for c in (NEGATIVE_COLOR, POSITIVE_COLOR)
    )


def configure_pyqtgraph() -> None:
    """White backgrounds and antialiasing: plots paste cleanly into reports and slides."""
    pg.setConfigOptions(antialias=True, background=BACKGROUND, foreground=FOREGROUND)


def remove_export_menu(view: pg.GraphicsView) -> None:
    """Drop pyqtgraph's right-click "Export..." entry from ``view``.

    pyqtgraph 0.14.0's SVG exporter raises on plots holding an ImageItem (issues #3495,
    #3485); the main window offers its own PNG export instead of a menu that crashes.
    """
    view.scene().contextMenu = []
