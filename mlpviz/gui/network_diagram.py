"""NetworkDiagram: the network's neurons and links, coloured by sign, thick where |w| is large.

Drawn up to 60 times a second while training, so the items are built once per architecture
and later frames only swap pens and brushes; weights are quantised into a few levels so that
a frame touches only the links whose look actually changed.

Each hidden neuron shows its map: its activation over the data plane's rectangle, a small
picture on the layer's shared colour scale (``mlpviz.core.neurons``). Clicking a hidden
neuron asks for its map as the data plane's background.

A network reading images (the digits workspace: 64 or 784 inputs, layers up to 512) is drawn
compactly instead (``mlpviz.gui.image_diagram``): the input as a picture, wide layers in part,
each neuron's strongest links; no neuron maps (its input is not a plane).
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import (
    QEvent,
    QLineF,
    QPoint,
    QPointF,
    QRect,
    QRectF,
    QSize,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QFontMetricsF,
    QHelpEvent,
    QImage,
    QMouseEvent,
    QPainter,
    QPen,
    QResizeEvent,
    QTransform,
)
from PySide6.QtWidgets import (
    QFrame,
    QGraphicsEllipseItem,
    QGraphicsItem,
    QGraphicsLineItem,
    QGraphicsScene,
    QGraphicsSimpleTextItem,
    QGraphicsTextItem,
    QGraphicsView,
    QToolTip,
    QWidget,
)

from mlpviz.core.datasets import BOX
from mlpviz.core.frame import Frame
from mlpviz.core.network import MLP
from mlpviz.core.neurons import NeuronMaps, activation_colors, neuron_maps
from mlpviz.core.snapshot import Snapshot
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
    SUBSCRIPTS,
    LinkStyle,
    Target,
    add_caption,
    bias_brushes,
    distances_to_segments,
    fit_captions,
    link_keys,
    strongest_in_each_row,
)
from mlpviz.gui.image_diagram import ImageLayout, is_image_network
from mlpviz.gui.paint_cost import PaintTimed
from mlpviz.gui.style import ACTIVATION_LABELS

LINK_Z = 0.0  # links lie under the neurons; stronger links above weaker ones
NODE_Z = 2.0
LABEL_Z = 3.0
MAP_Z = NODE_Z - 0.1  # under the neurons' outlines, over the links ending at them
MAP_MAX_RADIUS = 18.0
MIN_MAP_RADIUS = 6.0  # px: smaller neurons show no map (a few pixels would say nothing)
MAP_INTERVAL_SECONDS = 0.25  # while training, the maps are redrawn at most 4 times a second
SHOWN_NEURON_PEN = 3.0
FAST_FRAME_SECONDS = 0.015  # a frame cheaper than this is drawn at once, whatever the rate
NODE_OUTLINE = "#444444"
INPUT_FILL = "#E8E8E8"


@dataclass(frozen=True)
class _Frame:
    """What one show_network call asks to draw: private copies of the parameters, and a
    private copy of the network for its neuron maps."""

    architecture: tuple[tuple[int, ...], tuple[str, ...]]
    weights: list[np.ndarray]
    biases: list[np.ndarray]
    net: MLP
    running: bool

    @classmethod
    def of(cls, net: MLP, running: bool) -> _Frame:
        """Copy what the diagram needs from ``net``."""
        return cls(
            (tuple(net.layer_sizes), tuple(net.activations)),
            [np.array(W) for W in net.weights],
            [np.array(b) for b in net.biases],
            net.copy(),
            running,
        )


class _MapsItem(QGraphicsItem):
    """The hidden neurons' maps, each painted as a disc textured with its picture.

    One item for all of them: a few hundred neurons are then one paint call, not a few
    hundred items to index and repaint one by one.
    """

    def __init__(self) -> None:
        super().__init__()
        self.setZValue(MAP_Z)
        self._discs: list[tuple[QRectF, QBrush]] = []
        self._bounds = QRectF()

    def set_discs(self, discs: list[tuple[QRectF, QImage]]) -> None:
        """Paint each image (any size, row 0 at the top) into the disc inscribed in its rect."""
        self.prepareGeometryChange()
        self._discs = []
        bounds = QRectF()
        for rect, image in discs:
            brush = QBrush(image)
            scale = QTransform.fromScale(
                rect.width() / image.width(), rect.height() / image.height()
            )
            brush.setTransform(scale * QTransform.fromTranslate(rect.left(), rect.top()))
            self._discs.append((rect, brush))
            bounds = bounds.united(rect)
        self._bounds = bounds
        self.update()

    def boundingRect(self) -> QRectF:
        """The rectangle around every disc."""
        return self._bounds

    def paint(self, painter: QPainter, option, widget=None) -> None:
        """Every disc, antialiased, its picture smoothly scaled."""
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        painter.setPen(Qt.PenStyle.NoPen)
        for rect, brush in self._discs:
            painter.setBrush(brush)
            painter.drawEllipse(rect)


class _LinksItem(QGraphicsItem):
    """Every link of the diagram, weakest first, each run of links with one pen in one call.

    The QGraphicsLineItems stay the links' model (pen, visibility, line: what the tests and
    the hover read) but paint nothing: painted one by one, the 3,720 links shown for 8 × 64
    tanh took 31 ms of every frame. A hovered link paints itself, above the others.
    """

    def __init__(self) -> None:
        super().__init__()
        self.setZValue(LINK_Z)
        self._lines: list[list[QLineF]] = []  # per block, W.ravel() order
        self._pens: list[list[QPen]] = []
        self._looks: list[tuple[np.ndarray, np.ndarray]] = []  # per block: keys, shown
        self._bounds = QRectF()

    def set_lines(self, lines: list[list[QLineF]], pens: list[list[QPen]]) -> None:
        """Where each block's links run, and the pens of its keys (``LinkStyle.pens``)."""
        self.prepareGeometryChange()
        self._lines, self._pens = lines, pens
        bounds = QRectF()
        for block in lines:
            for line in block[:1] + block[-1:]:  # a block's corners: its first and last links
                bounds = bounds.united(QRectF(line.p1(), line.p2()).normalized())
        widest = max((pen.widthF() for block in pens for pen in block), default=0.0)
        self._bounds = bounds.adjusted(-widest, -widest, widest, widest)
        self.update()

    def set_looks(self, looks: list[tuple[np.ndarray, np.ndarray]]) -> None:
        """Each block's pen keys (-1: not drawn yet) and which of its links are shown."""
        self._looks = looks
        self.update()

    def boundingRect(self) -> QRectF:
        """The rectangle around every link."""
        return self._bounds

    def paint(self, painter: QPainter, option, widget=None) -> None:
        """The links stacked as the scene stacked them one item each (by strength, then
        block, then index: no colour always on top), each run of one pen in one call."""
        if not self._looks or len(self._looks) != len(self._lines):
            return
        blocks, indices, keys = self._stacking_order()
        if keys.size == 0:
            return
        runs = (np.flatnonzero((np.diff(keys) != 0) | (np.diff(blocks) != 0)) + 1).tolist()
        for start, end in zip([0, *runs], [*runs, keys.size], strict=True):
            block = int(blocks[start])
            lines = self._lines[block]
            painter.setPen(self._pens[block][int(keys[start])])
            painter.drawLines([lines[index] for index in indices[start:end].tolist()])

    def _stacking_order(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The shown links' blocks, indices and pen keys, in painting order."""
        parts = []
        for block, (keys, shown) in enumerate(self._looks):
            drawn = np.flatnonzero(shown & (keys >= 0))
            parts.append((np.full(drawn.size, block), drawn, keys[drawn]))
        blocks, indices, keys = (np.concatenate(column) for column in zip(*parts, strict=True))
        order = np.lexsort((indices, blocks, keys % LEVELS))
        return blocks[order], indices[order], keys[order]


class NetworkDiagram(PaintTimed, QGraphicsView):
    """The network of a snapshot: inputs x, neurons, outputs ŷ and the weighted links.

    Links are red for w > 0 and blue for w < 0, thicker and more opaque as |w| approaches
    the largest |w| of the network; neuron fills show the bias b, and hidden neurons large
    enough show their map instead. Hovering a link or a neuron shows its value in the
    lecture's notation, kept up to date while training. Clicking a hidden neuron emits
    ``neuron_map_requested((l, j))`` (numbered from 1), or None when its map is the one shown.
    """

    neuron_map_requested = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("networkDiagram")
        self.setAccessibleName("Network diagram")
        self._configure_view()
        self._architecture: tuple[tuple[int, ...], tuple[str, ...]] | None = None
        self._weights: list[np.ndarray] = []
        self._biases: list[np.ndarray] = []
        self._net: MLP | None = None
        self._plane_range: tuple[tuple[float, float], tuple[float, float]] = (
            (-BOX, BOX),
            (-BOX, BOX),
        )
        self._shown_neuron: tuple[int, int] | None = None
        self._maps: NeuronMaps | None = None
        self._map_images: dict[tuple[int, int], np.ndarray] = {}
        self._maps_drawn_at = -np.inf
        self._map_palette = style.diverging_rgb()
        self._image: ImageLayout | None = None  # the layout of a network reading images
        self._clear_items()
        self._hovered: Target | None = None
        self._tooltip_target: Target | None = None
        self._tooltip_position = QPoint()
        self._pending: _Frame | None = None
        self._update_seconds = self._last_update_end = 0.0
        self._throttle_timer = QTimer(self)
        self._throttle_timer.setSingleShot(True)
        self._throttle_timer.timeout.connect(self._apply_pending_frame)

    def _configure_view(self) -> None:
        scene = QGraphicsScene(self)
        scene.setItemIndexMethod(QGraphicsScene.ItemIndexMethod.NoIndex)  # hit tests are ours
        self.setScene(scene)
        self.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.setRenderHint(QPainter.RenderHint.TextAntialiasing)
        self.setBackgroundBrush(QBrush(QColor("white")))
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        # most links change look together; one repaint beats thousands of dirty rectangles
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.FullViewportUpdate)
        self.setMouseTracking(True)

    def _clear_items(self) -> None:
        self.scene().clear()
        self._maps_item = _MapsItem()
        self.scene().addItem(self._maps_item)
        self._links_item = _LinksItem()
        self.scene().addItem(self._links_item)
        self._nodes: list[list[QGraphicsEllipseItem]] = []
        self._links: list[list[QGraphicsLineItem]] = []  # block l: W[l].ravel() order
        self._link_styles: list[LinkStyle] = []
        self._link_pens: list[list[QPen]] = []
        self._link_keys: list[np.ndarray] = []
        self._links_shown: list[np.ndarray] = []  # per block, W.ravel() order
        self._node_keys: list[np.ndarray] = []
        self._node_labels: list[list[QGraphicsSimpleTextItem | None]] = []
        self._captions: list[QGraphicsTextItem] = []
        self._centres: list[np.ndarray] = []  # per layer, (n_l, 2) in viewport pixels
        self._radii: list[float] = []

    def sizeHint(self) -> QSize:
        """Room for a few layers of a dozen neurons."""
        return QSize(420, 280)

    def minimumSizeHint(self) -> QSize:
        """Below this the captions no longer fit."""
        return QSize(160, 120)

    # --- public API -----------------------------------------------------------------
    @property
    def node_count(self) -> int:
        """Number of neurons drawn, inputs and outputs included (an image's pixels too)."""
        if self._image is not None:
            return self._image.node_count
        return sum(len(layer) for layer in self._nodes)

    @property
    def link_count(self) -> int:
        """Number of links (weights) drawn."""
        if self._image is not None:
            return self._image.link_count
        return sum(len(block) for block in self._links)

    @property
    def image_layout(self) -> ImageLayout | None:
        """The compact layout of a network reading images, or None (a 2-D network, drawn
        with an item per neuron and per weight)."""
        return self._image

    def node_item(self, layer: int, j: int) -> QGraphicsEllipseItem:
        """Neuron j (from 1) of layer ``layer`` (0 = the inputs), in the lecture's numbering."""
        return self._nodes[layer][j - 1]

    def link_item(self, layer: int, j: int, k: int) -> QGraphicsLineItem:
        """The link of w_{j,k}^{[layer]}: from unit k of layer−1 to neuron j of layer (from 1)."""
        n_in = self._architecture[0][layer - 1]
        return self._links[layer - 1][(j - 1) * n_in + (k - 1)]

    @property
    def neuron_maps(self) -> NeuronMaps | None:
        """The hidden neurons' maps drawn, or None when the neurons are too small to show
        them (or the network has no hidden layer)."""
        return self._maps

    def map_image(self, layer: int, j: int) -> np.ndarray:
        """The RGB picture (cells, cells, 3) of neuron j of hidden layer ``layer`` (from 1)
        as drawn, row 0 at the bottom (lowest x₂) as on the data plane."""
        return self._map_images[(layer, j)]

    def set_plane_range(self, x_range: tuple[float, float], y_range: tuple[float, float]):
        """The rectangle of the input plane the neurons' maps cover (the data plane's view)."""
        self._plane_range = (
            (float(x_range[0]), float(x_range[1])),
            (float(y_range[0]), float(y_range[1])),
        )
        self._update_maps(running=False)

    def set_shown_neuron(self, neuron: tuple[int, int] | None) -> None:
        """Ring the neuron (l, j) whose map the data plane shows; None rings none."""
        previous, self._shown_neuron = self._shown_neuron, neuron
        for target in (previous, neuron):
            if target is not None and self._has_hidden_neuron(*target):
                layer, j = target
                self._nodes[layer][j - 1].setPen(self._node_outline(layer, j - 1))
        self._apply_hover_highlight()

    def show_snapshot(self, snapshot: Snapshot) -> None:
        """Draw the network of ``snapshot``."""
        self.show_network(snapshot.net, snapshot.running)

    def show_frame(self, frame: Frame) -> None:
        """Draw the frame's network."""
        self.show_network(frame.snapshot.net, frame.snapshot.running)

    def show_network(self, net: MLP, running: bool = False) -> None:
        """Draw ``net``; items are rebuilt only when its layer sizes or activations change.

        A network so large that drawing it takes a noticeable time is redrawn less often,
        so that the diagram never takes more than a third of the window's time; while
        ``running`` (training), the neuron maps are redrawn a few times a second.
        """
        self._pending = _Frame.of(net, running)
        if self._throttle_timer.isActive():
            return
        delay = self._throttle_delay_ms()
        if delay > 0:
            self._throttle_timer.start(delay)
        else:
            self._apply_pending_frame()

    def _throttle_delay_ms(self) -> int:
        cost = self._update_seconds + self.last_paint_seconds
        if cost < FAST_FRAME_SECONDS:
            return 0
        return round(1000 * (self._last_update_end + 2 * cost - time.perf_counter()))

    def _apply_pending_frame(self) -> None:
        frame, self._pending = self._pending, None
        if frame is None:
            return
        self._weights, self._biases = frame.weights, frame.biases
        self._net = frame.net
        rebuilt = frame.architecture != self._architecture
        if rebuilt:
            self._rebuild(frame.architecture)  # draws the new network's maps too
        start = time.perf_counter()
        if self._image is not None:
            self._image.show(self._weights, self._biases)
        else:
            if not rebuilt:
                self._update_maps(frame.running)
            self._update_link_pens()
            self._update_node_brushes()
        self._apply_hover_highlight()
        self._refresh_visible_tooltip()
        self._last_update_end = time.perf_counter()
        self._update_seconds = self._last_update_end - start

    # --- building -------------------------------------------------------------------
    def _rebuild(self, architecture: tuple[tuple[int, ...], tuple[str, ...]]) -> None:
        self._architecture = architecture
        self._hovered = self._tooltip_target = None
        self._clear_items()
        sizes = architecture[0]
        self._image = None
        if is_image_network(sizes):
            self._maps, self._map_images = None, {}
            self._image = ImageLayout(self.scene(), self.font(), architecture)
            self._layout_items()
            return
        for n_in, n_out in itertools.pairwise(sizes):
            self._add_link_block(n_in, n_out)
        for layer, size in enumerate(sizes):
            self._add_layer_nodes(layer, size)
        self._captions = [self._add_caption() for _ in sizes]
        self._layout_items()

    def _add_link_block(self, n_in: int, n_out: int) -> None:
        link_style = LinkStyle.for_block(n_in, n_out)
        scene = self.scene()
        items = []
        for _ in range(n_in * n_out):
            item = QGraphicsLineItem()
            item.setFlag(QGraphicsItem.GraphicsItemFlag.ItemHasNoContents)  # _LinksItem paints
            item.setZValue(LINK_Z)
            scene.addItem(item)
            items.append(item)
        self._links.append(items)
        self._link_styles.append(link_style)
        self._link_pens.append(link_style.pens())
        self._link_keys.append(np.full(n_in * n_out, -1))
        self._links_shown.append(np.ones(n_in * n_out, dtype=bool))

    def _add_layer_nodes(self, layer: int, size: int) -> None:
        scene = self.scene()
        nodes = []
        for j in range(size):
            item = QGraphicsEllipseItem()
            item.setPen(self._node_outline(layer, j))
            item.setBrush(QBrush(QColor(INPUT_FILL)))
            item.setZValue(NODE_Z)
            scene.addItem(item)
            nodes.append(item)
        self._nodes.append(nodes)
        self._node_keys.append(np.full(size, -1))
        self._node_labels.append([self._unit_label(layer, j) for j in range(size)])

    def _node_outline(self, layer: int, j: int) -> QPen:
        """Outputs get a thicker ring, softmax ones in their class's colour as in the data plane;
        the neuron whose map the data plane shows a thick dark ring."""
        if self._shown_neuron == (layer, j + 1):
            return QPen(QColor(style.FOREGROUND), SHOWN_NEURON_PEN)
        if not self._is_output(layer):
            return QPen(QColor(NODE_OUTLINE), 1.0)
        n_out = self._architecture[0][-1]
        color = style.CLASS_COLORS[j % len(style.CLASS_COLORS)] if n_out > 1 else NODE_OUTLINE
        return QPen(QColor(color), 2.0)

    def _is_output(self, layer: int) -> bool:
        return layer == len(self._architecture[0]) - 1

    def _unit_label(self, layer: int, j: int) -> QGraphicsSimpleTextItem | None:
        if layer == 0:
            return self._add_text(f"x{j + 1}".translate(SUBSCRIPTS), italic=True)
        if self._is_output(layer):
            single = self._architecture[0][-1] == 1
            return self._add_text("ŷ" if single else f"ŷ{j + 1}".translate(SUBSCRIPTS), True)
        return None

    def _add_text(self, text: str, italic: bool = False) -> QGraphicsSimpleTextItem:
        item = QGraphicsSimpleTextItem(text)
        font = QFont(self.font())
        font.setItalic(italic)
        item.setFont(font)
        item.setBrush(QColor(style.FOREGROUND))
        item.setZValue(LABEL_Z)
        self.scene().addItem(item)
        return item

    def _add_caption(self) -> QGraphicsTextItem:
        return add_caption(self.scene())

    def _caption_texts(self) -> list[str]:
        sizes, activations = self._architecture
        hidden = [
            f"{ACTIVATION_LABELS.get(name, name)} ×{size}"
            for name, size in zip(activations, sizes[1:-1])
        ]
        output = "sigmoid" if sizes[-1] == 1 else f"softmax ×{sizes[-1]}"
        return ["input", *hidden, output]

    # --- layout ---------------------------------------------------------------------
    def resizeEvent(self, event: QResizeEvent) -> None:
        """Lay the network out again to fill the new size."""
        super().resizeEvent(event)
        if self._architecture is not None:
            self._layout_items()

    def _layout_items(self) -> None:
        # In scene units: a magnified view (presentation mode) lays out a smaller room.
        magnification = self.transform().m11()
        width = round(self.viewport().width() / magnification)
        height = round(self.viewport().height() / magnification)
        self.scene().setSceneRect(0, 0, width, height)
        if self._image is not None:
            self._image.layout(width, height)
            return
        caption_height = self._fit_captions(self._column_spacing(width))
        top, bottom = MARGIN, max(height - MARGIN - caption_height, MARGIN + 1)
        xs = self._column_xs(width)
        sizes = self._architecture[0]
        column_gap = (xs[1] - xs[0]) if len(xs) > 1 else width
        self._centres, self._radii = [], []
        for layer, (x, size) in enumerate(zip(xs, sizes)):
            spacing = min((bottom - top) / size, MAX_NODE_SPACING)
            # hidden neurons carry their maps: a little larger where there is room
            share, largest = (
                (0.4, MAP_MAX_RADIUS) if 0 < layer < len(sizes) - 1 else (0.36, MAX_RADIUS)
            )
            radius = float(np.clip(share * spacing, MIN_RADIUS, min(largest, 0.2 * column_gap)))
            offsets = (np.arange(size) - (size - 1) / 2) * spacing
            ys = (top + bottom) / 2 + offsets
            self._centres.append(np.column_stack([np.full(size, x), ys]))
            self._radii.append(radius)
        self._place_nodes()
        self._place_links()
        self._place_captions(xs, height - MARGIN / 2 - caption_height)
        self._update_maps(running=False)

    def _label_widths(self) -> tuple[float, float]:
        def widest(labels: list[QGraphicsSimpleTextItem | None]) -> float:
            return max((label.boundingRect().width() for label in labels if label), default=0.0)

        return widest(self._node_labels[0]), widest(self._node_labels[-1])

    def _column_xs(self, width: int) -> np.ndarray:
        left_label, right_label = self._label_widths()
        left = MARGIN + left_label + 4 + MAX_RADIUS
        right = width - MARGIN - right_label - 4 - MAX_RADIUS
        return np.linspace(left, max(left, right), len(self._architecture[0]))

    def _column_spacing(self, width: int) -> float:
        xs = self._column_xs(width)
        return float(xs[1] - xs[0]) if len(xs) > 1 else float(width)

    def _place_nodes(self) -> None:
        for layer, (centres, radius) in enumerate(zip(self._centres, self._radii)):
            for item, (x, y) in zip(self._nodes[layer], centres):
                item.setRect(x - radius, y - radius, 2 * radius, 2 * radius)
            self._place_unit_labels(layer, centres, radius)

    def _place_unit_labels(self, layer: int, centres: np.ndarray, radius: float) -> None:
        labels = self._node_labels[layer]
        if not any(labels):
            return
        line_height = QFontMetricsF(self.font()).height()
        spacing = centres[1, 1] - centres[0, 1] if len(centres) > 1 else line_height
        crowded = spacing < line_height  # then only the first and last are named
        for j, (label, (x, y)) in enumerate(zip(labels, centres)):
            label.setVisible(not crowded or j in (0, len(labels) - 1))
            rect = label.boundingRect()
            gap = radius + 4
            left = x - gap - rect.width() if layer == 0 else x + gap
            label.setPos(left, y - rect.height() / 2)

    def _place_links(self) -> None:
        lines = []
        for block, items in enumerate(self._links):
            sources, targets = self._centres[block], self._centres[block + 1]
            n_in = len(sources)
            block_lines = []
            for index, item in enumerate(items):
                (x1, y1), (x2, y2) = sources[index % n_in], targets[index // n_in]
                item.setLine(x1, y1, x2, y2)
                block_lines.append(item.line())
            lines.append(block_lines)
        self._links_item.set_lines(lines, self._link_pens)

    def _fit_captions(self, column_spacing: float) -> float:
        """Captions on one line, or on two when the columns are narrow; returns their height."""
        return fit_captions(self._captions, self._caption_texts(), self.font(), column_spacing)

    def _place_captions(self, xs: np.ndarray, top: float) -> None:
        for caption, x in zip(self._captions, xs):
            caption.setPos(x - caption.textWidth() / 2, top)

    # --- neuron maps ------------------------------------------------------------------
    def _has_hidden_neuron(self, layer: int, j: int) -> bool:
        """Whether the network drawn has neuron j (from 1) in hidden layer ``layer``."""
        if self._architecture is None or self._image is not None:
            return False  # a digits network's neurons have no map: the input is not a plane
        sizes = self._architecture[0]
        return 1 <= layer < len(sizes) - 1 and 1 <= j <= sizes[layer]

    def _layer_shows_maps(self, layer: int) -> bool:
        """Whether hidden layer ``layer``'s neurons are large enough to show their maps."""
        return (
            self._maps is not None
            and 0 < layer < len(self._radii) - 1
            and self._radii[layer] >= MIN_MAP_RADIUS
        )

    def _update_maps(self, running: bool) -> None:
        """Compute and draw every hidden neuron's map, unless none is large enough to show
        (then nothing is computed) or, while training, the last maps are recent enough."""
        sizes = self._architecture[0] if self._architecture else ()
        shown = self._net is not None and any(r >= MIN_MAP_RADIUS for r in self._radii[1:-1])
        if not shown or self._net.layer_sizes != sizes:
            if self._maps is not None:
                self._maps, self._map_images = None, {}
                self._maps_item.set_discs([])
                self._update_node_brushes()
            return
        now = time.perf_counter()
        if running and now - self._maps_drawn_at < MAP_INTERVAL_SECONDS:
            return
        self._maps_drawn_at = now
        self._maps = neuron_maps(self._net, *self._plane_range)
        self._draw_maps()
        self._update_node_brushes()

    def _draw_maps(self) -> None:
        maps, discs, images = self._maps, [], {}
        for layer, layer_maps in enumerate(maps.maps, start=1):
            level, limit = maps.levels[layer - 1], maps.limits[layer - 1]
            colors = activation_colors(layer_maps, level, limit, *self._map_palette)
            radius = self._radii[layer]
            for j, rgb in enumerate(colors, start=1):
                images[(layer, j)] = rgb
                if self._layer_shows_maps(layer):
                    x, y = self._centres[layer][j - 1]
                    rect = QRectF(x - radius, y - radius, 2 * radius, 2 * radius)
                    discs.append((rect, _image_of(rgb)))
        self._map_images = images
        self._maps_item.set_discs(discs)

    # --- colours --------------------------------------------------------------------
    def _weight_scale(self) -> float:
        """The largest |w| of the network: the weight drawn thickest."""
        largest = max((float(np.abs(W).max()) for W in self._weights if W.size), default=0.0)
        return largest if largest > 0 else 1.0

    def _update_link_pens(self) -> None:
        scale = self._weight_scale()
        for block, W in enumerate(self._weights):
            keys = link_keys(W.ravel(), scale)
            for index in np.flatnonzero(keys != self._link_keys[block]):
                self._set_link_look(block, int(index), int(keys[index]))
            self._link_keys[block] = keys
            shown = strongest_in_each_row(W, LINKS_PER_NEURON).ravel()
            items = self._links[block]
            for index in np.flatnonzero(shown != self._links_shown[block]):
                items[index].setVisible(bool(shown[index]))
            self._links_shown[block] = shown
        self._links_item.set_looks(list(zip(self._link_keys, self._links_shown, strict=True)))

    def link_shown(self, layer: int, j: int, k: int) -> bool:
        """Whether the link of w_{j,k}^{[layer]} is drawn (from 1): a neuron with more than
        LINKS_PER_NEURON inputs shows its strongest links only."""
        n_in = self._architecture[0][layer - 1]
        return bool(self._links_shown[layer - 1][(j - 1) * n_in + (k - 1)])

    def _set_link_look(self, block: int, index: int, key: int) -> None:
        self._links[block][index].setPen(self._link_pens[block][key])

    def _update_node_brushes(self) -> None:
        largest = max((float(np.abs(b).max()) for b in self._biases if b.size), default=0.0)
        scale = largest if largest > 0 else 1.0
        brushes = bias_brushes()
        for layer, b in enumerate(self._biases, start=1):
            keys = np.rint(b / scale * BIAS_LEVELS).astype(np.int64) + BIAS_LEVELS
            if self._layer_shows_maps(layer):  # the map shows through the neuron
                keys[:] = len(brushes) - 1
            items = self._nodes[layer]
            for j in np.flatnonzero(keys != self._node_keys[layer]):
                items[j].setBrush(brushes[keys[j]])
            self._node_keys[layer] = keys

    # --- hover and tooltips ---------------------------------------------------------
    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        """Highlight the link or neuron under the pointer."""
        super().mouseMoveEvent(event)
        target = self._target_at(event.position())
        if target != self._hovered:
            self._set_hovered(target)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        """A left click on a hidden neuron asks for its map on the data plane (or, on the
        neuron whose map is shown, for the decision regions again)."""
        target = self._target_at(event.position())
        if (
            event.button() == Qt.MouseButton.LeftButton
            and target is not None
            and target.k is None
            and self._has_hidden_neuron(target.layer, target.j + 1)
        ):
            neuron = (target.layer, target.j + 1)
            self.neuron_map_requested.emit(None if neuron == self._shown_neuron else neuron)
            event.accept()
            return
        super().mousePressEvent(event)

    def leaveEvent(self, event: QEvent) -> None:
        """Nothing is hovered once the pointer has left."""
        super().leaveEvent(event)
        self._set_hovered(None)

    def viewportEvent(self, event: QEvent) -> bool:
        """Tooltips come from our own hit test: the links are thinner than a pointer."""
        if event.type() == QEvent.Type.ToolTip and self._architecture is not None:
            self._show_tooltip(event)
            return True
        return super().viewportEvent(event)

    def _show_tooltip(self, event: QHelpEvent) -> None:
        target = self._target_at(QPointF(event.pos()))
        self._tooltip_target = target
        if target is None:
            QToolTip.hideText()
            return
        self._tooltip_position = event.globalPos()
        self._show_tooltip_text(target)

    def _show_tooltip_text(self, target: Target) -> None:
        # leaving a small square around the pointer hides it, as over an ordinary widget
        area = QRect(
            self.viewport().mapFromGlobal(self._tooltip_position) - QPoint(6, 6), QSize(12, 12)
        )
        QToolTip.showText(self._tooltip_position, self._describe(target), self.viewport(), area)

    def _refresh_visible_tooltip(self) -> None:
        if self._tooltip_target is not None and QToolTip.isVisible():
            self._show_tooltip_text(self._tooltip_target)

    def _set_hovered(self, target: Target | None) -> None:
        previous, self._hovered = self._hovered, target
        if previous is not None and self._image is None:
            self._restore_look(previous)
        if target != self._tooltip_target:
            self._tooltip_target = None
        self._apply_hover_highlight()

    def _apply_hover_highlight(self) -> None:
        target = self._hovered
        if self._image is not None:
            self._image.set_hovered(target)
            return
        if target is None:
            return
        if target.k is None:
            node = self._nodes[target.layer][target.j]
            pen = QPen(node.pen())
            pen.setWidthF(3.0)
            node.setPen(pen)
            return
        block = target.layer - 1
        item = self._links[block][target.j * self._architecture[0][block] + target.k]
        positive = self._weights[block][target.j, target.k] >= 0
        item.setPen(self._link_styles[block].highlight_pen(positive))
        item.setZValue(NODE_Z - 0.5)
        item.setFlag(QGraphicsItem.GraphicsItemFlag.ItemHasNoContents, False)  # paints itself

    def _restore_look(self, target: Target) -> None:
        if target.k is None:
            self._nodes[target.layer][target.j].setPen(self._node_outline(target.layer, target.j))
            return
        block = target.layer - 1
        index = target.j * self._architecture[0][block] + target.k
        self._set_link_look(block, index, int(self._link_keys[block][index]))
        item = self._links[block][index]
        item.setZValue(LINK_Z)
        item.setFlag(QGraphicsItem.GraphicsItemFlag.ItemHasNoContents)  # _LinksItem paints it

    def _target_at(self, position: QPointF) -> Target | None:
        """The neuron or, failing that, the nearest link within HIT_DISTANCE of ``position``."""
        if self._architecture is None or not self._weights:
            return None
        position = self.transform().inverted()[0].map(position)  # scene units
        point = np.array([position.x(), position.y()])
        if self._image is not None:
            return self._image.target_at(point)
        return self._node_at(point) or self._link_at(point)

    def _node_at(self, point: np.ndarray) -> Target | None:
        for layer, (centres, radius) in enumerate(zip(self._centres, self._radii)):
            distances = np.hypot(*(centres - point).T)
            j = int(np.argmin(distances))
            if distances[j] <= radius + HIT_DISTANCE / 2:
                return Target(layer, j)
        return None

    def _link_at(self, point: np.ndarray) -> Target | None:
        for block in range(len(self._links)):
            sources, targets = self._centres[block], self._centres[block + 1]
            if not sources[0, 0] <= point[0] <= targets[0, 0]:
                continue
            n_in, n_out = len(sources), len(targets)
            starts = np.tile(sources, (n_out, 1))  # W.ravel() order: j major, k minor
            ends = np.repeat(targets, n_in, axis=0)
            distances = distances_to_segments(point, starts, ends)
            distances[~self._links_shown[block]] = np.inf  # what is not drawn is not hovered
            nearest = float(distances.min())
            if nearest <= HIT_DISTANCE:
                # where links cross, the one drawn on top (the strongest) is the one seen
                close = np.flatnonzero(distances <= nearest + 1.0)
                index = int(close[np.argmax(self._link_keys[block][close] % LEVELS)])
                return Target(block + 1, index // n_in, index % n_in)
        return None

    def _describe(self, target: Target) -> str:
        """The tooltip of a link or a neuron, in the lecture's notation (numbered from 1)."""
        if self._image is not None:
            return self._image.describe(target)
        if target.k is not None:
            return self._describe_link(target.layer, target.j, target.k)
        return self._describe_neuron(target.layer, target.j)

    def _describe_link(self, layer: int, j: int, k: int) -> str:
        w = self._weights[layer - 1][j, k]
        return (
            f"w<sub>{j + 1},{k + 1}</sub><sup>[{layer}]</sup> = {w:.4g}<br>"
            f"from {self._unit_name(layer - 1, k)} to {self._unit_name(layer, j)}"
        )

    def _describe_neuron(self, layer: int, j: int) -> str:
        name = self._unit_name(layer, j)
        if layer == 0:
            return f"{name}: input {j + 1} of the network"
        sizes, activations = self._architecture
        if self._is_output(layer):
            kind = "sigmoid output" if sizes[-1] == 1 else "softmax output"
        else:
            kind = ACTIVATION_LABELS.get(activations[layer - 1], activations[layer - 1])
        b = self._biases[layer - 1][j]
        text = f"b<sub>{j + 1}</sub><sup>[{layer}]</sup> = {b:.4g}<br>{name}, {kind}"
        n_in = sizes[layer - 1]
        if n_in > LINKS_PER_NEURON:
            text += f"<br>its {LINKS_PER_NEURON} strongest of {n_in} incoming links are drawn"
        if self._is_output(layer):
            return text
        action = "hide its map" if self._shown_neuron == (layer, j + 1) else "show its map"
        return f"{text}<br><i>Click: {action} on the data plane</i>"

    def _unit_name(self, layer: int, j: int) -> str:
        sizes = self._architecture[0]
        if layer == 0:
            return f"x<sub>{j + 1}</sub>"
        if self._is_output(layer):
            return "ŷ" if sizes[-1] == 1 else f"ŷ<sub>{j + 1}</sub>"
        return f"neuron {j + 1} of layer {layer}"


def _image_of(rgb: np.ndarray) -> QImage:
    """A QImage owning a copy of ``rgb`` (rows, cols, 3) uint8, row 0 at the bottom."""
    flipped = np.ascontiguousarray(rgb[::-1])
    rows, cols, _ = flipped.shape
    return QImage(flipped.data, cols, rows, 3 * cols, QImage.Format.Format_RGB888).copy()
