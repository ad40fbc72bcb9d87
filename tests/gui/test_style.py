"""Class colours: eight for the plane's classes, ten for the digits, chosen by the dataset."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg

from mlpviz.core.datasets import Dataset
from mlpviz.core.digits import ImageDataset
from mlpviz.gui.style import CLASS_COLORS, DIGIT_COLORS, class_colors, class_rgb


def test_ten_distinct_digit_colours_that_stand_out_on_white():
    rgb = class_rgb(DIGIT_COLORS)
    assert rgb.shape == (10, 3)
    distances = np.linalg.norm(rgb[:, None] - rgb[None], axis=-1)
    assert distances[~np.eye(10, dtype=bool)].min() > 0.15
    luminance = rgb @ np.array([0.2126, 0.7152, 0.0722])
    assert luminance.max() < 0.8  # none fades into the white background


def test_the_dataset_chooses_its_palette():
    images = ImageDataset(np.zeros((3, 64), np.float32), np.array([0, 5, 9]), np.zeros(3, bool))
    points = Dataset(np.zeros((2, 2)), np.array([0, 1]))
    assert class_colors(images) == DIGIT_COLORS
    assert class_colors(points) == CLASS_COLORS
    assert np.array_equal(class_rgb(), class_rgb(CLASS_COLORS))
    assert pg.mkColor(DIGIT_COLORS[3]).name() == "#d62728"
