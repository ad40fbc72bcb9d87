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

# The digits workspace's ten classes (labels 0–9): matplotlib's tab10, ten hues that stay
# apart on the white background (the 2-D workspace keeps its eight CLASS_COLORS).
DIGIT_COLORS: tuple[str, ...] = (
    "#1F77B4",  # 0 blue
    "#FF7F0E",  # 1 orange
    "#2CA02C",  # 2 green
    "#D62728",  # 3 red
    "#9467BD",  # 4 purple
    "#8C564B",  # 5 brown
    "#E377C2",  # 6 pink
    "#7F7F7F",  # 7 grey
    "#BCBD22",  # 8 olive
    "#17BECF",  # 9 cyan
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


def class_colors(dataset: object) -> tuple[str, ...]:
    """The colours of ``dataset``'s classes: DIGIT_COLORS for the digits workspace's images
    (``dataset.workspace == "digits"``), CLASS_COLORS for points of the plane."""
    return DIGIT_COLORS if getattr(dataset, "workspace", None) == "digits" else CLASS_COLORS


def class_rgb(colors: tuple[str, ...] = CLASS_COLORS) -> np.ndarray:
    """The class colours ``colors`` as a (k, 3) float array of RGB in 0…1."""
    return np.array([pg.mkColor(c).getRgbF()[:3] for c in colors], dtype=np.float32)


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
