"""The network diagram of a digits network: the input as a picture, wide layers in part.

A digits network has 64 or 784 inputs and hidden layers up to 512 wide: a circle per input
and a line per weight (400,000 of them for [784, 512, 10]) would be a wall that takes seconds
to paint and says nothing. ``ImageLayout`` draws instead, in a NetworkDiagram's scene:

- the input as the image's grid (8×8 or 28×28 cells), each pixel shaded by Σ_j |w_j,i^[1]|:
  how strongly the first layer listens to it, from white (the least) to dark (the most);
- a layer of at most WIDE_LAYER neurons in full, a wider one as its first DRAWN_NEURONS
  neurons and "⋮ N more";
- into each drawn neuron its LINKS_PER_NEURON strongest links (by |w|) from the drawn units of
  the layer before (from any pixel of the image), red for w > 0 and blue for w < 0, thick
  and opaque relative to the largest |w| of that layer's matrix.

A few dozen items whatever the width: a frame of [784, 512, 10] costs what [64, 32, 10] does.
Neuron maps (a neuron's activation over the 2-D plane) do not apply: the input is no plane.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
from PySide6.QtCore import QLineF, QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QImage, QPainter, QPen
from PySide6.QtWidgets import (
    QGraphicsEllipseItem,
    QGraphicsItem,
    QGraphicsScene,
    QGraphicsSimpleTextItem,
    QGraphicsTextItem,
)

from mlpviz.gui import style
from mlpviz.gui.diagram_parts import (
    BIAS_LEVELS,
    HIT_DISTANCE,
    LEVELS,
    LINKS_PER_NEURON,
    MARGIN,
    MAX_NODE_SPACING,
    MAX_RADIUS,
    MIN_RADIUS,
    LinkStyle,
    Target,
    add_caption,
    bias_brushes,
    distances_to_segments,
    fit_captions,
    link_keys,
    strongest_in_each_row,
)
from mlpviz.gui.style import ACTIVATION_LABELS

WIDE_LAYER = 48
"""Layers of more neurons are drawn in part: their first DRAWN_NEURONS neurons."""
DRAWN_NEURONS = 24
IMAGE_SHARE = 0.3  # at most this share of the width for the input picture
DARKEST_PIXEL = 0.2  # grey level (1 = white) of the pixel the first layer listens to most
# Links run under the picture towards their pixel: over it, a few hundred lines would hide
# the shading that says where the first layer looks.
LINK_Z, IMAGE_Z, NODE_Z, LABEL_Z = 0.0, 1.0, 2.0, 3.0
NODE_OUTLINE = "#444444"
NOTE_COLOR = "#555555"


def is_image_network(sizes: tuple[int, ...] | list[int]) -> bool:
    """Whether a network of layer ``sizes`` reads images (a square number of inputs, 64 or
    784): the 2-D workspace's networks have 2 inputs."""
    side = math.isqrt(sizes[0])
    return sizes[0] >= 16 and side * side == sizes[0]


def drawn_units(size: int) -> np.ndarray:
    """Indices of the neurons drawn of a layer of ``size``: all, or the first DRAWN_NEURONS of
    a layer wider than WIDE_LAYER (the same ones every frame, so nothing jumps)."""
    return np.arange(size if size <= WIDE_LAYER else DRAWN_NEURONS)


def strongest_links(
    W: np.ndarray, targets: np.ndarray, sources: np.ndarray, count: int = LINKS_PER_NEURON
) -> tuple[np.ndarray, np.ndarray]:
    """The links drawn into layer ``W`` (n_out, n_in): for each of the neurons ``targets``, its
    ``count`` largest |w| among the units ``sources``; their (j, k) indices in W."""
    rows, columns = np.nonzero(strongest_in_each_row(W[np.ix_(targets, sources)], count))
    return targets[rows], sources[columns]


def pixel_importance(W: np.ndarray) -> np.ndarray:
    """Σ_j |w_j,i| (n_in,) of the first layer's W (n_out, n_in): how much it listens to pixel i."""
    return np.abs(W).sum(axis=0, dtype=np.float64)


class _PixelsItem(QGraphicsItem):
    """The input image: a grey picture scaled into a square, its cells sharp, framed."""

    def __init__(self) -> None:
        super().__init__()
        self.setZValue(IMAGE_Z)
        self._image = QImage()
        self._rect = QRectF()

    def set_rect(self, rect: QRectF) -> None:
        """Where the picture goes (scene units)."""
        self.prepareGeometryChange()
        self._rect = rect

    def set_grey(self, grey: np.ndarray) -> None:
        """The picture: grey levels (rows, cols) uint8, row 0 at the top."""
        rows, cols = grey.shape
        data = np.ascontiguousarray(grey)
        self._image = QImage(data.data, cols, rows, cols, QImage.Format.Format_Grayscale8).copy()
        self.update()

    def boundingRect(self) -> QRectF:
        """The picture's square and its frame."""
        return self._rect.adjusted(-1, -1, 1, 1)

    def paint(self, painter: QPainter, option, widget=None) -> None:
        """The cells without smoothing (a pixel is a cell), then the frame."""
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)
        painter.drawImage(self._rect, self._image)
        painter.setPen(QPen(QColor(NODE_OUTLINE), 1.0))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRect(self._rect)


class _LinksItem(QGraphicsItem):
    """Every link drawn, in one item: grouped by pen, weakest first, the hovered one on top."""

    def __init__(self) -> None:
        super().__init__()
        self.setZValue(LINK_Z)
        self._groups: list[tuple[QPen, list[QLineF]]] = []
        self._highlight: tuple[QPen, QLineF] | None = None
        self._bounds = QRectF()

    def set_links(self, lines: np.ndarray, pens: list[QPen]) -> None:
        """``lines`` (n, 4) x1 y1 x2 y2 drawn with ``pens`` (n,), in that order."""
        self.prepareGeometryChange()
        groups: dict[int, tuple[QPen, list[QLineF]]] = {}
        for line, pen in zip(lines.tolist(), pens):
            groups.setdefault(id(pen), (pen, []))[1].append(QLineF(*line))
        self._groups = list(groups.values())
        if len(lines):
            low, high = lines.reshape(-1, 2).min(axis=0), lines.reshape(-1, 2).max(axis=0)
            self._bounds = QRectF(QPointF(*low), QPointF(*high)).adjusted(-4, -4, 4, 4)
        else:
            self._bounds = QRectF()
        self.update()

    def set_highlight(self, highlight: tuple[QPen, QLineF] | None) -> None:
        """A link drawn over all the others with its own pen, or None."""
        self._highlight = highlight
        self.update()

    def boundingRect(self) -> QRectF:
        """The rectangle around every link."""
        return self._bounds

    def paint(self, painter: QPainter, option, widget=None) -> None:
        """One drawLines call per pen."""
        for pen, lines in self._groups:
            painter.setPen(pen)
            painter.drawLines(lines)
        if self._highlight is not None:
            painter.setPen(self._highlight[0])
            painter.drawLine(self._highlight[1])


class ImageLayout:
    """A digits network drawn compactly in ``scene`` (see the module's docstring).

    ``build`` makes the items of an architecture, ``layout`` places them in a room of
    ``width`` × ``height`` scene units, ``show`` colours them for one network's parameters.
    ``target_at`` / ``describe`` / ``set_hovered`` serve the diagram's hover and tooltips;
    targets are ``Target(layer, j, k)`` as in the 2-D diagram (a pixel is a unit of layer 0).
    """

    def __init__(
        self,
        scene: QGraphicsScene,
        font: QFont,
        architecture: tuple[tuple[int, ...], tuple[str, ...]],
    ) -> None:
        self._scene, self._font = scene, font
        self.sizes, self._activations = architecture
        self.side = math.isqrt(self.sizes[0])
        self._drawn = [np.arange(self.sizes[0])] + [drawn_units(n) for n in self.sizes[1:]]
        self._weights: list[np.ndarray] = []
        self._biases: list[np.ndarray] = []
        self._importance = np.zeros(self.sizes[0])
        self._links: list[tuple[np.ndarray, np.ndarray]] = []  # per block: (j, k) drawn
        self._keys: list[np.ndarray] = []  # per block: the pen of each link drawn
        self._lines = np.zeros((0, 4))  # every link drawn, in painting order
        self._line_targets = np.zeros((0, 3), dtype=np.int64)  # and its (layer, j, k)
        # links from the picture are as crowded as from a layer of DRAWN_NEURONS
        crowding = [DRAWN_NEURONS] + [len(drawn) for drawn in self._drawn[1:]]
        self._styles = [LinkStyle.for_block(*pair) for pair in itertools.pairwise(crowding)]
        self._pens = [link_style.pens() for link_style in self._styles]
        self._centres: list[np.ndarray] = [np.zeros((0, 2))] * len(self.sizes)
        self._radii = [0.0] * len(self.sizes)
        self._image_rect = QRectF()
        self._hovered: Target | None = None
        self._build_items()

    # --- items ------------------------------------------------------------------------
    def _build_items(self) -> None:
        scene = self._scene
        self._pixels = _PixelsItem()
        scene.addItem(self._pixels)
        self._links_item = _LinksItem()
        scene.addItem(self._links_item)
        self._nodes: list[list[QGraphicsEllipseItem]] = [[]]
        for layer in range(1, len(self.sizes)):
            nodes = []
            for j in self._drawn[layer]:
                item = QGraphicsEllipseItem()
                item.setPen(self._outline(layer, int(j)))
                item.setZValue(NODE_Z)
                scene.addItem(item)
                nodes.append(item)
            self._nodes.append(nodes)
        self._digit_labels = [self._text(str(d)) for d in range(self.sizes[-1])]
        self._more = [
            self._text(f"⋮ {size - len(drawn)} more") if size > len(drawn) else None
            for size, drawn in zip(self.sizes, self._drawn)
        ]
        self._note = self._text(
            f"each neuron: its {LINKS_PER_NEURON} strongest links by |w| · "
            f"pixel shade: Σ|w| into layer 1, light (least) to dark (most)",
            small=True,
        )
        self._captions: list[QGraphicsTextItem] = [add_caption(scene) for _ in self.sizes]

    def _text(self, text: str, small: bool = False) -> QGraphicsSimpleTextItem:
        item = QGraphicsSimpleTextItem(text)
        font = QFont(self._font)
        if small:
            font.setPointSizeF(font.pointSizeF() * 0.85)
        item.setFont(font)
        item.setBrush(QColor(NOTE_COLOR if small else style.FOREGROUND))
        item.setZValue(LABEL_Z)
        self._scene.addItem(item)
        return item

    def _outline(self, layer: int, j: int, width: float | None = None) -> QPen:
        """Outputs ringed in their digit's colour, hidden neurons in grey."""
        if layer == len(self.sizes) - 1:
            return QPen(QColor(style.DIGIT_COLORS[j % len(style.DIGIT_COLORS)]), width or 2.0)
        return QPen(QColor(NODE_OUTLINE), width or 1.0)

    @property
    def node_count(self) -> int:
        """Pixels and neurons drawn."""
        return self.sizes[0] + sum(len(nodes) for nodes in self._nodes)

    @property
    def link_count(self) -> int:
        """Links drawn."""
        return sum(len(j) for j, _ in self._links)

    def drawn_neurons(self, layer: int) -> np.ndarray:
        """Indices (from 0) of the neurons of ``layer`` (≥ 1) drawn."""
        return self._drawn[layer].copy()

    def links(self, layer: int) -> tuple[np.ndarray, np.ndarray]:
        """The links drawn into ``layer`` (≥ 1): indices (j, k) (from 0) in its W."""
        j, k = self._links[layer - 1]
        return j.copy(), k.copy()

    def node_rect(self, layer: int, j: int) -> QRectF:
        """The circle of drawn neuron j (from 0) of ``layer`` (≥ 1), in scene units."""
        return self._nodes[layer][int(np.flatnonzero(self._drawn[layer] == j)[0])].rect()

    def pixel_centre(self, k: int) -> QPointF:
        """The centre of pixel k (from 0) of the input picture, in scene units."""
        return QPointF(*self._unit_positions(0, np.array([k]))[0])

    # --- layout -----------------------------------------------------------------------
    def layout(self, width: float, height: float) -> None:
        """Place the picture, the neurons, the labels and the links in ``width`` × ``height``."""
        spacing = width / len(self.sizes)
        caption_height = fit_captions(self._captions, self._caption_texts(), self._font, spacing)
        self._note.setPos(MARGIN, MARGIN / 2)
        top = MARGIN + self._note.boundingRect().height()
        bottom = max(height - MARGIN - caption_height, top + 1)
        side = max(8.0, min(bottom - top, IMAGE_SHARE * width))
        middle = (top + bottom) / 2
        self._image_rect = QRectF(MARGIN, middle - side / 2, side, side)
        self._pixels.set_rect(self._image_rect)
        label_width = max(label.boundingRect().width() for label in self._digit_labels)
        right = width - MARGIN - label_width - 4 - MAX_RADIUS
        left = self._image_rect.right()
        gap = max(right - left, 1.0) / (len(self.sizes) - 1)
        xs = [self._image_rect.center().x()] + [left + gap * i for i in range(1, len(self.sizes))]
        for layer in range(1, len(self.sizes)):
            self._place_column(layer, xs[layer], top, bottom, gap)
        for caption, x in zip(self._captions, xs):
            # centred under its column, but inside the room (the output's is near the edge)
            half = caption.document().idealWidth() / 2
            x = min(max(x, MARGIN / 2 + half), width - MARGIN / 2 - half)
            caption.setPos(x - caption.textWidth() / 2, height - MARGIN / 2 - caption_height)
        self._place_links()

    def _place_column(self, layer: int, x: float, top: float, bottom: float, gap: float) -> None:
        drawn, more = self._drawn[layer], self._more[layer]
        slots = len(drawn) + (more is not None)
        spacing = min((bottom - top) / slots, MAX_NODE_SPACING)
        radius = float(np.clip(0.36 * spacing, MIN_RADIUS, min(MAX_RADIUS, 0.2 * gap)))
        ys = (top + bottom) / 2 + (np.arange(slots) - (slots - 1) / 2) * spacing
        self._centres[layer] = np.column_stack([np.full(len(drawn), x), ys[: len(drawn)]])
        self._radii[layer] = radius
        for item, (cx, cy) in zip(self._nodes[layer], self._centres[layer]):
            item.setRect(cx - radius, cy - radius, 2 * radius, 2 * radius)
        if more is not None:
            rect = more.boundingRect()
            more.setPos(x - rect.width() / 2, ys[-1] - rect.height() / 2)
        if layer == len(self.sizes) - 1:
            crowded = spacing < QFontMetricsF(self._font).height()
            for j, (label, (cx, cy)) in enumerate(zip(self._digit_labels, self._centres[layer])):
                label.setVisible(not crowded or j in (0, len(drawn) - 1))
                label.setPos(cx + radius + 4, cy - label.boundingRect().height() / 2)

    def _caption_texts(self) -> list[str]:
        hidden = [
            f"{ACTIVATION_LABELS.get(name, name)} ×{size}"
            for name, size in zip(self._activations, self.sizes[1:-1])
        ]
        return [f"input {self.side}×{self.side}", *hidden, f"softmax ×{self.sizes[-1]}"]

    def _unit_positions(self, layer: int, units: np.ndarray) -> np.ndarray:
        """Scene positions (n, 2) of ``units`` of ``layer``: pixel centres for the input."""
        if layer == 0:
            cell = self._image_rect.width() / self.side
            rows, columns = np.divmod(units, self.side)
            return np.column_stack(
                [
                    self._image_rect.left() + (columns + 0.5) * cell,
                    self._image_rect.top() + (rows + 0.5) * cell,
                ]
            )
        slot = np.searchsorted(self._drawn[layer], units)
        return self._centres[layer][slot]

    def _place_links(self) -> None:
        if not self._links:
            return
        lines, targets, pens = [], [], []
        for block, ((j, k), keys) in enumerate(zip(self._links, self._keys)):
            order = np.argsort(keys % LEVELS, kind="stable")  # strongest drawn last, on top
            j, k = j[order], k[order]
            starts = self._unit_positions(block, k)
            ends = self._unit_positions(block + 1, j)
            lines.append(np.column_stack([starts, ends]))
            targets.append(np.column_stack([np.full(len(j), block + 1), j, k]))
            pens.extend(self._pens[block][key] for key in keys[order])
        self._lines = np.concatenate(lines)
        self._line_targets = np.concatenate(targets)
        self._links_item.set_links(self._lines, pens)
        self._apply_hover()

    # --- colours ----------------------------------------------------------------------
    def show(self, weights: list[np.ndarray], biases: list[np.ndarray]) -> None:
        """Colour the items for a network's ``weights`` (n_out, n_in) and ``biases``."""
        self._weights, self._biases = weights, biases
        self._importance = pixel_importance(weights[0])
        # from the least to the most listened-to pixel: Σ over hundreds of neurons varies by
        # a few tens of percent, which on a scale from 0 would be one flat dark square
        low, high = self._importance.min(), self._importance.max()
        spread = high - low
        shade = (self._importance - low) / spread if spread > 0 else np.zeros(self.sizes[0])
        grey = np.rint(255 * (1 - (1 - DARKEST_PIXEL) * shade)).astype(np.uint8)
        self._pixels.set_grey(grey.reshape(self.side, self.side))
        self._links, self._keys = [], []
        for block, W in enumerate(weights):
            j, k = strongest_links(W, self._drawn[block + 1], self._drawn[block])
            largest = float(np.abs(W).max()) if W.size else 0.0
            self._links.append((j, k))
            self._keys.append(link_keys(W[j, k], largest if largest > 0 else 1.0))
        self._colour_nodes(biases)
        self._place_links()

    def _colour_nodes(self, biases: list[np.ndarray]) -> None:
        largest = max((float(np.abs(b).max()) for b in biases if b.size), default=0.0)
        scale = largest if largest > 0 else 1.0
        brushes = bias_brushes()
        for layer, b in enumerate(biases, start=1):
            drawn = b[self._drawn[layer]]
            keys = np.rint(drawn / scale * BIAS_LEVELS).astype(np.int64) + BIAS_LEVELS
            for item, key in zip(self._nodes[layer], keys):
                item.setBrush(brushes[key])

    # --- hover ------------------------------------------------------------------------
    def target_at(self, point: np.ndarray) -> Target | None:
        """The neuron, else the pixel, else the nearest link within HIT_DISTANCE of ``point``
        (scene units), or None."""
        for layer in range(1, len(self.sizes)):
            centres = self._centres[layer]
            distances = np.hypot(*(centres - point).T)
            slot = int(np.argmin(distances))
            if distances[slot] <= self._radii[layer] + HIT_DISTANCE / 2:
                return Target(layer, int(self._drawn[layer][slot]))
        if self._image_rect.contains(QPointF(*point)):  # the picture covers its links' ends
            cell = self._image_rect.width() / self.side
            column = min(int((point[0] - self._image_rect.left()) / cell), self.side - 1)
            row = min(int((point[1] - self._image_rect.top()) / cell), self.side - 1)
            return Target(0, row * self.side + column)
        return self._link_at(point)

    def _link_at(self, point: np.ndarray) -> Target | None:
        if not len(self._lines):
            return None
        distances = distances_to_segments(point, self._lines[:, :2], self._lines[:, 2:])
        nearest = float(distances.min())
        if nearest > HIT_DISTANCE:
            return None
        # where links cross, the one painted last (on top, the strongest) is the one seen
        index = int(np.flatnonzero(distances <= nearest + 1.0)[-1])
        layer, j, k = self._line_targets[index].tolist()
        return Target(layer, j, k)

    def set_hovered(self, target: Target | None) -> None:
        """Highlight the hovered neuron (thicker ring) or link (opaque, on top)."""
        previous, self._hovered = self._hovered, target
        if previous is not None and previous.k is None and previous.layer > 0:
            self._node_item(previous).setPen(self._outline(previous.layer, previous.j))
        self._apply_hover()

    def _apply_hover(self) -> None:
        target = self._hovered
        self._links_item.set_highlight(None)
        if target is None or target.layer == 0:
            return
        if target.k is None:
            self._node_item(target).setPen(self._outline(target.layer, target.j, 3.0))
            return
        W = self._weights[target.layer - 1]
        pen = self._styles[target.layer - 1].highlight_pen(W[target.j, target.k] >= 0)
        start = self._unit_positions(target.layer - 1, np.array([target.k]))[0]
        end = self._unit_positions(target.layer, np.array([target.j]))[0]
        self._links_item.set_highlight((pen, QLineF(*start, *end)))

    def _node_item(self, target: Target) -> QGraphicsEllipseItem:
        slot = int(np.searchsorted(self._drawn[target.layer], target.j))
        return self._nodes[target.layer][slot]

    def describe(self, target: Target) -> str:
        """The tooltip of a pixel, a neuron or a link (numbered from 1, as in the lecture)."""
        if target.layer == 0:
            return self._describe_pixel(target.j)
        if target.k is None:
            return self._describe_neuron(target.layer, target.j)
        w = self._weights[target.layer - 1][target.j, target.k]
        return (
            f"w<sub>{target.j + 1},{target.k + 1}</sub><sup>[{target.layer}]</sup> = {w:.4g}<br>"
            f"from {self._unit_name(target.layer - 1, target.k)} "
            f"to {self._unit_name(target.layer, target.j)}"
        )

    def _describe_pixel(self, k: int) -> str:
        row, column = divmod(k, self.side)
        return (
            f"x<sub>{k + 1}</sub>: pixel (row {row + 1}, column {column + 1}) of the "
            f"{self.side}×{self.side} image<br>Σ|w| of its {self.sizes[1]} links into layer 1 "
            f"= {self._importance[k]:.4g} (the shade: darker, listened to more)"
        )

    def _describe_neuron(self, layer: int, j: int) -> str:
        b = self._biases[layer - 1][j]
        output = layer == len(self.sizes) - 1
        kind = (
            f"softmax output: the probability of the digit {j}"
            if output
            else ACTIVATION_LABELS.get(self._activations[layer - 1], self._activations[layer - 1])
        )
        name = self._unit_name(layer, j)
        text = f"b<sub>{j + 1}</sub><sup>[{layer}]</sup> = {b:.4g}<br>{name}, {kind}"
        n_in, drawn_in = self.sizes[layer - 1], len(self._drawn[layer - 1])
        source = "pixels" if layer == 1 else f"drawn neurons of layer {layer - 1}"
        of = f" (of {n_in})" if drawn_in < n_in else ""
        text += (
            f"<br>drawn: its {LINKS_PER_NEURON} strongest links (by |w|) "
            f"from the {drawn_in} {source}{of}"
        )
        drawn, size = len(self._drawn[layer]), self.sizes[layer]
        if drawn < size:
            text += f"<br>neurons 1–{drawn} of this layer's {size} are drawn"
        return text

    def _unit_name(self, layer: int, j: int) -> str:
        if layer == 0:
            return f"x<sub>{j + 1}</sub>"
        if layer == len(self.sizes) - 1:
            return f"ŷ<sub>{j + 1}</sub> (digit {j})"
        return f"neuron {j + 1} of layer {layer}"
