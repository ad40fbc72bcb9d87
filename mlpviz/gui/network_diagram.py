"""NetworkDiagram: the network's neurons and links, coloured by sign, thick where |w| is large.

Drawn up to 60 times a second while training, so the items are built once per architecture
and later frames only swap pens and brushes; weights are quantised into a few levels so that
a frame touches only the links whose look actually changed.
"""

from __future__ import annotations

import functools
import itertools
import time
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QEvent, QPoint, QPointF, QRect, QSize, Qt, QTimer
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QFontMetricsF,
    QHelpEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPen,
    QResizeEvent,
    QTextOption,
)
from PySide6.QtWidgets import (
    QFrame,
    QGraphicsEllipseItem,
    QGraphicsLineItem,
    QGraphicsScene,
    QGraphicsSimpleTextItem,
    QGraphicsTextItem,
    QGraphicsView,
    QToolTip,
    QWidget,
)

from mlpviz.core.frame import Frame
from mlpviz.core.network import MLP
from mlpviz.core.snapshot import Snapshot
from mlpviz.gui import style
from mlpviz.gui.style import ACTIVATION_LABELS

LEVELS = 24  # |w| / max|w| is drawn with this many widths and opacities
BIAS_LEVELS = 16  # per sign
LINK_Z = 0.0  # links lie under the neurons; stronger links above weaker ones
NODE_Z = 2.0
LABEL_Z = 3.0
FAST_FRAME_SECONDS = 0.015  # a frame cheaper than this is drawn at once, whatever the rate
HIT_DISTANCE = 4.0  # px around a link or a neuron that still counts as hovering it
MARGIN = 10.0
MAX_NODE_SPACING = 46.0
MAX_RADIUS = 13.0
MIN_RADIUS = 1.5
NODE_OUTLINE = "#444444"
INPUT_FILL = "#E8E8E8"
SUBSCRIPTS = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


@dataclass(frozen=True)
class _Frame:
    """What one show_network call asks to draw: private copies of the parameters."""

    architecture: tuple[tuple[int, ...], tuple[str, ...]]
    weights: list[np.ndarray]
    biases: list[np.ndarray]

    @classmethod
    def of(cls, net: MLP) -> _Frame:
        """Copy what the diagram needs from ``net``."""
        return cls(
            (tuple(net.layer_sizes), tuple(net.activations)),
            [np.array(W) for W in net.weights],
            [np.array(b) for b in net.biases],
        )


@dataclass(frozen=True)
class _Target:
    """What the pointer is on: a link (layer ≥ 1, j, k) or a neuron (k is None); 0-based j, k."""

    layer: int
    j: int
    k: int | None = None


@dataclass(frozen=True)
class _LinkStyle:
    """How thick and opaque links get in one block; dense blocks get thinner, fainter links."""

    min_width: float
    max_width: float
    min_alpha: int
    max_alpha: int

    @classmethod
    def for_block(cls, n_in: int, n_out: int) -> _LinkStyle:
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


class NetworkDiagram(QGraphicsView):
    """The network of a snapshot: inputs x, neurons, outputs ŷ and the weighted links.

    Links are red for w > 0 and blue for w < 0, thicker and more opaque as |w| approaches
    the largest |w| of the network; neuron fills show the bias b. Hovering a link or a
    neuron shows its value in the lecture's notation, kept up to date while training.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("networkDiagram")
        self.setAccessibleName("Network diagram")
        self._configure_view()
        self._architecture: tuple[tuple[int, ...], tuple[str, ...]] | None = None
        self._weights: list[np.ndarray] = []
        self._biases: list[np.ndarray] = []
        self._clear_items()
        self._hovered: _Target | None = None
        self._tooltip_target: _Target | None = None
        self._tooltip_position = QPoint()
        self._pending: _Frame | None = None
        self._update_seconds = self._paint_seconds = self._last_update_end = 0.0
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
        self._nodes: list[list[QGraphicsEllipseItem]] = []
        self._links: list[list[QGraphicsLineItem]] = []  # block l: W[l].ravel() order
        self._link_styles: list[_LinkStyle] = []
        self._link_pens: list[list[QPen]] = []
        self._link_keys: list[np.ndarray] = []
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
        """Number of neurons drawn, inputs and outputs included."""
        return sum(len(layer) for layer in self._nodes)

    @property
    def link_count(self) -> int:
        """Number of links (weights) drawn."""
        return sum(len(block) for block in self._links)

    def node_item(self, layer: int, j: int) -> QGraphicsEllipseItem:
        """Neuron j (from 1) of layer ``layer`` (0 = the inputs), in the lecture's numbering."""
        return self._nodes[layer][j - 1]

    def link_item(self, layer: int, j: int, k: int) -> QGraphicsLineItem:
        """The link of w_{j,k}^{[layer]}: from unit k of layer−1 to neuron j of layer (from 1)."""
        n_in = self._architecture[0][layer - 1]
        return self._links[layer - 1][(j - 1) * n_in + (k - 1)]

    def show_snapshot(self, snapshot: Snapshot) -> None:
        """Draw the network of ``snapshot``."""
        self.show_network(snapshot.net)

    def show_frame(self, frame: Frame) -> None:
        """Draw the frame's network."""
        self.show_network(frame.snapshot.net)

    def show_network(self, net: MLP) -> None:
        """Draw ``net``; items are rebuilt only when its layer sizes or activations change.

        A network so large that drawing it takes a noticeable time is redrawn less often,
        so that the diagram never takes more than a third of the window's time.
        """
        self._pending = _Frame.of(net)
        if self._throttle_timer.isActive():
            return
        delay = self._throttle_delay_ms()
        if delay > 0:
            self._throttle_timer.start(delay)
        else:
            self._apply_pending_frame()

    def _throttle_delay_ms(self) -> int:
        cost = self._update_seconds + self._paint_seconds
        if cost < FAST_FRAME_SECONDS:
            return 0
        return round(1000 * (self._last_update_end + 2 * cost - time.perf_counter()))

    def _apply_pending_frame(self) -> None:
        frame, self._pending = self._pending, None
        if frame is None:
            return
        if frame.architecture != self._architecture:
            self._rebuild(frame.architecture)
        start = time.perf_counter()
        self._weights, self._biases = frame.weights, frame.biases
        self._update_link_pens()
        self._update_node_brushes()
        self._apply_hover_highlight()
        self._refresh_visible_tooltip()
        self._last_update_end = time.perf_counter()
        self._update_seconds = self._last_update_end - start

    def paintEvent(self, event: QPaintEvent) -> None:
        """Paint, timing it: large networks are then redrawn less often."""
        start = time.perf_counter()
        super().paintEvent(event)
        self._paint_seconds = time.perf_counter() - start

    # --- building -------------------------------------------------------------------
    def _rebuild(self, architecture: tuple[tuple[int, ...], tuple[str, ...]]) -> None:
        self._architecture = architecture
        self._hovered = self._tooltip_target = None
        self._clear_items()
        sizes = architecture[0]
        for n_in, n_out in itertools.pairwise(sizes):
            self._add_link_block(n_in, n_out)
        for layer, size in enumerate(sizes):
            self._add_layer_nodes(layer, size)
        self._captions = [self._add_caption() for _ in sizes]
        self._layout_items()

    def _add_link_block(self, n_in: int, n_out: int) -> None:
        link_style = _LinkStyle.for_block(n_in, n_out)
        scene = self.scene()
        items = []
        for _ in range(n_in * n_out):
            item = QGraphicsLineItem()
            item.setZValue(LINK_Z)
            scene.addItem(item)
            items.append(item)
        self._links.append(items)
        self._link_styles.append(link_style)
        self._link_pens.append(link_style.pens())
        self._link_keys.append(np.full(n_in * n_out, -1))

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
        """Outputs get a thicker ring, softmax ones in their class's colour as in the data plane."""
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
        # a text item rather than a simple one: a caption split on two lines stays centred
        item = QGraphicsTextItem()
        item.document().setDocumentMargin(0)
        item.document().setDefaultTextOption(QTextOption(Qt.AlignmentFlag.AlignHCenter))
        item.setDefaultTextColor(QColor(style.FOREGROUND))
        self.scene().addItem(item)
        return item

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
        caption_height = self._fit_captions(self._column_spacing(width))
        top, bottom = MARGIN, max(height - MARGIN - caption_height, MARGIN + 1)
        xs = self._column_xs(width)
        sizes = self._architecture[0]
        column_gap = (xs[1] - xs[0]) if len(xs) > 1 else width
        self._centres, self._radii = [], []
        for x, size in zip(xs, sizes):
            spacing = min((bottom - top) / size, MAX_NODE_SPACING)
            radius = float(np.clip(0.36 * spacing, MIN_RADIUS, min(MAX_RADIUS, 0.2 * column_gap)))
            offsets = (np.arange(size) - (size - 1) / 2) * spacing
            ys = (top + bottom) / 2 + offsets
            self._centres.append(np.column_stack([np.full(size, x), ys]))
            self._radii.append(radius)
        self._place_nodes()
        self._place_links()
        self._place_captions(xs, height - MARGIN / 2 - caption_height)

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
        for block, items in enumerate(self._links):
            sources, targets = self._centres[block], self._centres[block + 1]
            n_in = len(sources)
            for index, item in enumerate(items):
                (x1, y1), (x2, y2) = sources[index % n_in], targets[index // n_in]
                item.setLine(x1, y1, x2, y2)

    def _fit_captions(self, column_spacing: float) -> float:
        """Captions on one line, or on two when the columns are narrow; returns their height."""
        texts = self._caption_texts()
        font = QFont(self.font())
        metrics = QFontMetricsF(font)
        room = column_spacing - 6
        if max(metrics.horizontalAdvance(text) for text in texts) > room:
            texts = [text.replace(" ×", "\n×") for text in texts]
            widest = max(metrics.horizontalAdvance(line) for t in texts for line in t.split("\n"))
            if widest > room:  # shrink rather than overlap the neighbours
                font.setPointSizeF(max(6.0, font.pointSizeF() * room / widest))
        width = max(column_spacing, max(metrics.horizontalAdvance(text) for text in texts))
        for caption, text in zip(self._captions, texts):
            caption.setFont(font)
            caption.setPlainText(text)
            caption.setTextWidth(width)
        return max(caption.boundingRect().height() for caption in self._captions)

    def _place_captions(self, xs: np.ndarray, top: float) -> None:
        for caption, x in zip(self._captions, xs):
            caption.setPos(x - caption.textWidth() / 2, top)

    # --- colours --------------------------------------------------------------------
    def _weight_scale(self) -> float:
        """The largest |w| of the network: the weight drawn thickest."""
        largest = max((float(np.abs(W).max()) for W in self._weights if W.size), default=0.0)
        return largest if largest > 0 else 1.0

    def _update_link_pens(self) -> None:
        scale = self._weight_scale()
        for block, W in enumerate(self._weights):
            keys = _link_keys(W.ravel(), scale)
            for index in np.flatnonzero(keys != self._link_keys[block]):
                self._set_link_look(block, int(index), int(keys[index]))
            self._link_keys[block] = keys

    def _set_link_look(self, block: int, index: int, key: int) -> None:
        item = self._links[block][index]
        item.setPen(self._link_pens[block][key])
        item.setZValue(LINK_Z + (key % LEVELS) / LEVELS)

    def _update_node_brushes(self) -> None:
        largest = max((float(np.abs(b).max()) for b in self._biases if b.size), default=0.0)
        scale = largest if largest > 0 else 1.0
        brushes = _bias_brushes()
        for layer, b in enumerate(self._biases, start=1):
            keys = np.rint(b / scale * BIAS_LEVELS).astype(np.int64) + BIAS_LEVELS
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

    def _show_tooltip_text(self, target: _Target) -> None:
        # leaving a small square around the pointer hides it, as over an ordinary widget
        area = QRect(
            self.viewport().mapFromGlobal(self._tooltip_position) - QPoint(6, 6), QSize(12, 12)
        )
        QToolTip.showText(self._tooltip_position, self._describe(target), self.viewport(), area)

    def _refresh_visible_tooltip(self) -> None:
        if self._tooltip_target is not None and QToolTip.isVisible():
            self._show_tooltip_text(self._tooltip_target)

    def _set_hovered(self, target: _Target | None) -> None:
        previous, self._hovered = self._hovered, target
        if previous is not None:
            self._restore_look(previous)
        if target != self._tooltip_target:
            self._tooltip_target = None
        self._apply_hover_highlight()

    def _apply_hover_highlight(self) -> None:
        target = self._hovered
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

    def _restore_look(self, target: _Target) -> None:
        if target.k is None:
            self._nodes[target.layer][target.j].setPen(self._node_outline(target.layer, target.j))
            return
        block = target.layer - 1
        index = target.j * self._architecture[0][block] + target.k
        self._set_link_look(block, index, int(self._link_keys[block][index]))

    def _target_at(self, position: QPointF) -> _Target | None:
        """The neuron or, failing that, the nearest link within HIT_DISTANCE of ``position``."""
        if self._architecture is None or not self._weights:
            return None
        position = self.transform().inverted()[0].map(position)  # scene units
        point = np.array([position.x(), position.y()])
        return self._node_at(point) or self._link_at(point)

    def _node_at(self, point: np.ndarray) -> _Target | None:
        for layer, (centres, radius) in enumerate(zip(self._centres, self._radii)):
            distances = np.hypot(*(centres - point).T)
            j = int(np.argmin(distances))
            if distances[j] <= radius + HIT_DISTANCE / 2:
                return _Target(layer, j)
        return None

    def _link_at(self, point: np.ndarray) -> _Target | None:
        for block in range(len(self._links)):
            sources, targets = self._centres[block], self._centres[block + 1]
            if not sources[0, 0] <= point[0] <= targets[0, 0]:
                continue
            n_in, n_out = len(sources), len(targets)
            starts = np.tile(sources, (n_out, 1))  # W.ravel() order: j major, k minor
            ends = np.repeat(targets, n_in, axis=0)
            distances = _distances_to_segments(point, starts, ends)
            nearest = float(distances.min())
            if nearest <= HIT_DISTANCE:
                # where links cross, the one drawn on top (the strongest) is the one seen
                close = np.flatnonzero(distances <= nearest + 1.0)
                index = int(close[np.argmax(self._link_keys[block][close] % LEVELS)])
                return _Target(block + 1, index // n_in, index % n_in)
        return None

    def _describe(self, target: _Target) -> str:
        """The tooltip of a link or a neuron, in the lecture's notation (numbered from 1)."""
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
        return f"b<sub>{j + 1}</sub><sup>[{layer}]</sup> = {b:.4g}<br>{name}, {kind}"

    def _unit_name(self, layer: int, j: int) -> str:
        sizes = self._architecture[0]
        if layer == 0:
            return f"x<sub>{j + 1}</sub>"
        if self._is_output(layer):
            return "ŷ" if sizes[-1] == 1 else f"ŷ<sub>{j + 1}</sub>"
        return f"neuron {j + 1} of layer {layer}"


def _distances_to_segments(point: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Distance from ``point`` (2,) to each segment starts[i]–ends[i], both (n, 2)."""
    direction = ends - starts
    length_squared = np.maximum((direction**2).sum(axis=1), 1e-12)
    t = np.clip(((point - starts) * direction).sum(axis=1) / length_squared, 0.0, 1.0)
    nearest = starts + t[:, None] * direction
    return np.hypot(*(nearest - point).T)


def _link_keys(weights: np.ndarray, scale: float) -> np.ndarray:
    """Pen index of each weight: ``LEVELS`` negative strengths, then ``LEVELS`` positive ones."""
    levels = np.minimum(np.rint(np.abs(weights) / scale * (LEVELS - 1)), LEVELS - 1)
    return np.where(weights >= 0, LEVELS, 0) + levels.astype(np.int64)


@functools.cache
def _bias_brushes() -> tuple[QBrush, ...]:
    """2·BIAS_LEVELS + 1 light fills from blue (b < 0) through white to red (b > 0)."""
    colormap = style.diverging_colormap()
    brushes = []
    for key in range(2 * BIAS_LEVELS + 1):
        color = colormap.map(key / (2 * BIAS_LEVELS), mode="qcolor")
        # lightened so that the outline and the links stay the loudest things on screen
        light = QColor.fromRgbF(*(0.45 + 0.55 * c for c in color.getRgbF()[:3]))
        brushes.append(QBrush(light))
    return tuple(brushes)
