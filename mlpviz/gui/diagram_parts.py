"""Pieces the network diagrams share: link pens by |w|, bias fills, hit tests, captions.

``NetworkDiagram`` draws a 2-D network with an item per neuron and per weight; its image mode
(``mlpviz.gui.image_diagram``) draws a digits network compactly. Both colour links and
neurons, pick the strongest links and fit their captions the same way, from here.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetricsF, QPen, QTextOption
from PySide6.QtWidgets import QGraphicsScene, QGraphicsTextItem

from mlpviz.gui import style

LEVELS = 24  # |w| / max|w| is drawn with this many widths and opacities
# A neuron with more inputs shows only its strongest links: 64 × 64 links of a wide layer
# are a grey wall that takes a third of a second to paint; its 8 strongest per neuron say
# what matters and paint in a few milliseconds.
LINKS_PER_NEURON = 8
BIAS_LEVELS = 16  # per sign
HIT_DISTANCE = 4.0  # px around a link or a neuron that still counts as hovering it
MARGIN = 10.0
MAX_NODE_SPACING = 46.0
MAX_RADIUS = 13.0
MIN_RADIUS = 1.5
SUBSCRIPTS = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


@dataclass(frozen=True)
class Target:
    """What the pointer is on: a link (layer ≥ 1, j, k) or a neuron (k is None); 0-based j, k."""

    layer: int
    j: int
    k: int | None = None


@dataclass(frozen=True)
class LinkStyle:
    """How thick and opaque links get in one block; dense blocks get thinner, fainter links."""

    min_width: float
    max_width: float
    min_alpha: int
    max_alpha: int

    @classmethod
    def for_block(cls, n_in: int, n_out: int) -> LinkStyle:
        """The style for links between layers of ``n_in`` and ``n_out`` neurons."""
        crowding = max(1.0, max(n_in, n_out) / 6.0)
        return cls(
            min_width=0.5,
            max_width=float(np.clip(4.5 / np.sqrt(crowding), 1.0, 4.5)),
            min_alpha=int(np.clip(90 / crowding, 10, 90)),
            max_alpha=int(np.clip(255 / crowding**0.25, 170, 255)),
        )

    def pens(self) -> list[QPen]:
        """``LEVELS`` negative pens then ``LEVELS`` positive pens, weakest first."""
        pens = []
        for color in (style.NEGATIVE_COLOR, style.POSITIVE_COLOR):
            for level in range(LEVELS):
                pens.append(self._pen(color, level / (LEVELS - 1)))
        return pens

    def highlight_pen(self, positive: bool) -> QPen:
        """The pen of a hovered link: opaque and thicker than any other."""
        pen = self._pen(style.POSITIVE_COLOR if positive else style.NEGATIVE_COLOR, 1.0)
        pen.setWidthF(self.max_width + 2.0)
        return pen

    def _pen(self, color: str, strength: float) -> QPen:
        # an opaque colour faded towards the white background looks like transparency but
        # paints about five times faster, which matters with thousands of links
        opacity = (self.min_alpha + (self.max_alpha - self.min_alpha) * strength) / 255
        red, green, blue, _ = QColor(color).getRgbF()
        faded = QColor.fromRgbF(*(1 - opacity * (1 - c) for c in (red, green, blue)))
        width = self.min_width + (self.max_width - self.min_width) * strength
        pen = QPen(faded, width)
        pen.setCapStyle(Qt.PenCapStyle.FlatCap)
        return pen


def distances_to_segments(point: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Distance from ``point`` (2,) to each segment starts[i]–ends[i], both (n, 2)."""
    direction = ends - starts
    length_squared = np.maximum((direction**2).sum(axis=1), 1e-12)
    t = np.clip(((point - starts) * direction).sum(axis=1) / length_squared, 0.0, 1.0)
    nearest = starts + t[:, None] * direction
    return np.hypot(*(nearest - point).T)


def strongest_in_each_row(W: np.ndarray, count: int) -> np.ndarray:
    """A mask of W's shape: the ``count`` largest |w| of each row (all when a row is short)."""
    if W.shape[1] <= count:
        return np.ones(W.shape, dtype=bool)
    mask = np.zeros(W.shape, dtype=bool)
    strongest = np.argpartition(-np.abs(W), count - 1, axis=1)[:, :count]
    np.put_along_axis(mask, strongest, True, axis=1)
    return mask


def link_keys(weights: np.ndarray, scale: float) -> np.ndarray:
    """Pen index of each weight: ``LEVELS`` negative strengths, then ``LEVELS`` positive ones."""
    levels = np.minimum(np.rint(np.abs(weights) / scale * (LEVELS - 1)), LEVELS - 1)
    return np.where(weights >= 0, LEVELS, 0) + levels.astype(np.int64)


@functools.cache
def bias_brushes() -> tuple[QBrush, ...]:
    """2·BIAS_LEVELS + 1 light fills from blue (b < 0) through white to red (b > 0), then
    no fill at all (for a neuron whose map shows through)."""
    colormap = style.diverging_colormap()
    brushes = []
    for key in range(2 * BIAS_LEVELS + 1):
        color = colormap.map(key / (2 * BIAS_LEVELS), mode="qcolor")
        # lightened so that the outline and the links stay the loudest things on screen
        light = QColor.fromRgbF(*(0.45 + 0.55 * c for c in color.getRgbF()[:3]))
        brushes.append(QBrush(light))
    brushes.append(QBrush(Qt.BrushStyle.NoBrush))  # the last: a neuron showing its map
    return tuple(brushes)


def fit_captions(
    captions: list[QGraphicsTextItem], texts: list[str], font: QFont, column_spacing: float
) -> float:
    """Set the layers' captions to ``texts``, on one line, or on two when the columns are
    narrow, shrunk rather than overlap their neighbours; returns their height."""
    metrics = QFontMetricsF(font)
    room = column_spacing - 6
    if max(metrics.horizontalAdvance(text) for text in texts) > room:
        texts = [text.replace(" ×", "\n×") for text in texts]
        widest = max(metrics.horizontalAdvance(line) for t in texts for line in t.split("\n"))
        if widest > room:
            font = QFont(font)
            font.setPointSizeF(max(6.0, font.pointSizeF() * room / widest))
    width = max(column_spacing, max(metrics.horizontalAdvance(text) for text in texts))
    for caption, text in zip(captions, texts):
        caption.setFont(font)
        caption.setPlainText(text)
        caption.setTextWidth(width)
    return max(caption.boundingRect().height() for caption in captions)


def add_caption(scene: QGraphicsScene) -> QGraphicsTextItem:
    """A layer's caption in ``scene``: a text item rather than a simple one, so that a caption
    split on two lines stays centred."""
    item = QGraphicsTextItem()
    item.document().setDocumentMargin(0)
    item.document().setDefaultTextOption(QTextOption(Qt.AlignmentFlag.AlignHCenter))
    item.setDefaultTextColor(QColor(style.FOREGROUND))
    scene.addItem(item)
    return item
