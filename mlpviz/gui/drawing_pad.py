"""The drawing pad: the student draws a digit and watches the network's ten probabilities.

``DrawingPad`` (drawingPad) is the paper: dark ink on white, as the digit images are shown
everywhere in the workspace. Its ink goes through the dataset's preprocessing
(:func:`mlpviz.core.drawing.preprocess_drawing`: cropped, scaled and centred the way the 8×8
or MNIST digits were), shown beside it at the dataset's resolution (``ProcessedImage``), and
``ProbabilityBars`` (probabilityBars) show the frame's network's answer for it. The
``DrawingPanel`` (drawingPanel) holds the three and is the view the workspace hands frames:
a checkpoint scrubbed on the timeline answers for the same drawing with its own network.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, QSize, Qt, QTimer, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QImage,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPalette,
    QPen,
    QResizeEvent,
    QShowEvent,
)
from PySide6.QtWidgets import (
    QAbstractScrollArea,
    QGraphicsItem,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from mlpviz.core.digits import N_DIGITS
from mlpviz.core.drawing import image_to_ink, preprocess_drawing
from mlpviz.core.frame import Frame
from mlpviz.core.network import MLP

from .paint_cost import PaintTimed
from .style import FOREGROUND, remove_export_menu

CANVAS_SIDE = 280
"""Pixels of the pad's ink, whatever its size on screen (10× MNIST's 28, 35× the 8×8's 8)."""

PEN_WIDTH = 26
"""Stroke width in canvas pixels (a tenth of the pad): a digit drawn across most of the pad
then carries as much ink, once preprocessed, as the datasets' digits on average (a mean pixel
of about 0.13 on MNIST, 0.3 on the 8×8 digits; measured on a drawn 7)."""

EMIT_INTERVAL_MS = 34
"""While drawing, the ink is sent at most every this many ms (≤ 30 times a second)."""

PAPER_COLOR = QColor("white")
INK_COLOR = QColor("black")
BORDER_COLOR = QColor("#9A9A9A")
HINT_COLOR = "#8A8A8A"
BAR_COLOR = "#B8B8B8"
GRID_COLOR = "#DADADA"
WINNER_COLOR = "#0072B2"  # the class colours' blue: the network's answer
TALL_BAR = 0.8  # above this the winner's % goes beside the bar's top, not above it


def _gray_array(image: QImage) -> np.ndarray:
    """The pixels of a Format_Grayscale8 ``image`` as a (height, width) uint8 copy."""
    rows = np.frombuffer(image.constBits(), dtype=np.uint8).reshape(
        image.height(), image.bytesPerLine()
    )
    return rows[:, : image.width()].copy()


class DrawingPad(QAbstractScrollArea):
    """A square sheet to draw a digit on with the left mouse button; the right button, or
    Delete / Backspace while it has focus, clears it.

    ``ink_changed(ink)`` sends the ink, a (CANVAS_SIDE, CANVAS_SIDE) float32 array in [0, 1]
    (1 = full ink): at most 30 times a second while a stroke is drawn, always when it ends,
    and after :meth:`clear` or :meth:`set_image`. The pad is the largest square that fits
    the widget; its ink has the same resolution at any size. A scroll area only for its
    viewport (mouse and paint events arrive there as in pyqtgraph's views); it never scrolls.
    """

    ink_changed = Signal(object)  # np.ndarray (CANVAS_SIDE, CANVAS_SIDE), float32 in [0, 1]

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("drawingPad")
        self.setAccessibleName("Drawing pad")
        self.setToolTip("Draw a digit with the mouse · right-click or Delete clears")
        self.setFrameShape(QAbstractScrollArea.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.PreventContextMenu)  # right = clear
        self.viewport().setCursor(Qt.CursorShape.CrossCursor)
        self.viewport().setBackgroundRole(QPalette.ColorRole.Window)  # around the sheet
        self.setMinimumSize(120, 120)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self._canvas = QImage(CANVAS_SIDE, CANVAS_SIDE, QImage.Format.Format_Grayscale8)
        self._canvas.fill(PAPER_COLOR)
        self._empty = True
        self._last_point: QPointF | None = None  # in canvas pixels, while a stroke is drawn
        self._unsent = False  # ink drawn since the last ink_changed
        self._emit_timer = QTimer(self)
        self._emit_timer.setSingleShot(True)
        self._emit_timer.setInterval(EMIT_INTERVAL_MS)
        self._emit_timer.timeout.connect(self._on_emit_timer)

    # --- what it holds ----------------------------------------------------------------------
    def ink(self) -> np.ndarray:
        """The ink: (CANVAS_SIDE, CANVAS_SIDE) float32 in [0, 1], 1 where fully inked."""
        return 1.0 - _gray_array(self._canvas).astype(np.float32) / np.float32(255.0)

    def is_empty(self) -> bool:
        """Whether nothing is drawn."""
        return self._empty

    def clear(self) -> None:
        """Blank the pad (and send the blank ink); nothing happens when it is already blank."""
        self._last_point = None
        self._emit_timer.stop()
        self._unsent = False
        if self._empty:
            return
        self._canvas.fill(PAPER_COLOR)
        self._empty = True
        self.viewport().update()
        self.ink_changed.emit(self.ink())

    def set_image(self, image: np.ndarray) -> None:
        """Replace the drawing with a dataset image (side × side or its row of side²
        pixels), in blocks of its pixels, to edit it."""
        ink = image_to_ink(image, CANVAS_SIDE)
        gray = np.ascontiguousarray(np.rint(255.0 * (1.0 - ink)).astype(np.uint8))
        canvas = QImage(gray.data, CANVAS_SIDE, CANVAS_SIDE, CANVAS_SIDE, QImage.Format_Grayscale8)
        self._canvas = canvas.copy()  # the QImage must not keep pointing into ``gray``
        self._last_point = None
        self._emit_timer.stop()
        self._unsent = False
        self._empty = not ink.any()
        self.viewport().update()
        self.ink_changed.emit(ink)

    # --- drawing ----------------------------------------------------------------------------
    def paper_rect(self) -> QRectF:
        """Where the sheet is on the viewport: the largest centred square (a 1-pixel margin
        for its border)."""
        size = self.viewport().size()
        side = max(min(size.width(), size.height()) - 2, 1)
        return QRectF((size.width() - side) / 2, (size.height() - side) / 2, side, side)

    def _to_canvas(self, position: QPointF) -> QPointF:
        paper = self.paper_rect()
        scale = CANVAS_SIDE / paper.width()
        return QPointF((position.x() - paper.left()) * scale, (position.y() - paper.top()) * scale)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        """Left: start a stroke (a click leaves a dot); right: clear."""
        if event.button() == Qt.MouseButton.RightButton:
            self.clear()
        elif event.button() == Qt.MouseButton.LeftButton:
            self._last_point = self._to_canvas(event.position())
            self._stroke_to(self._last_point)
        else:
            super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        """Continue the stroke, if one is being drawn."""
        if self._last_point is None:
            super().mouseMoveEvent(event)
            return
        point = self._to_canvas(event.position())
        self._stroke_to(point)
        self._last_point = point

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        """End the stroke and send its ink at once."""
        if event.button() != Qt.MouseButton.LeftButton or self._last_point is None:
            super().mouseReleaseEvent(event)
            return
        self._stroke_to(self._to_canvas(event.position()))
        self._last_point = None
        self._emit_timer.stop()
        self._send_ink()

    def _stroke_to(self, point: QPointF) -> None:
        """Ink a round-capped segment from the stroke's last point to ``point``."""
        painter = QPainter(self._canvas)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        pen = QPen(INK_COLOR, PEN_WIDTH)
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
        painter.setPen(pen)
        painter.drawLine(self._last_point, point)
        painter.end()
        self._empty = False
        self._unsent = True
        self.viewport().update()
        if not self._emit_timer.isActive():
            self._emit_timer.start()  # sent when it fires, with what is drawn until then

    def _on_emit_timer(self) -> None:
        if self._unsent:
            self._send_ink()
            self._emit_timer.start()  # the next send no sooner than an interval from now

    def _send_ink(self) -> None:
        self._unsent = False
        self.ink_changed.emit(self.ink())

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Delete or Backspace clears."""
        if event.key() in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace):
            self.clear()
        else:
            super().keyPressEvent(event)

    def paintEvent(self, event: QPaintEvent) -> None:
        """The sheet, its border, and a hint while it is blank."""
        painter = QPainter(self.viewport())
        paper = self.paper_rect()
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        painter.drawImage(paper, self._canvas)
        painter.setPen(QPen(BORDER_COLOR, 1))
        painter.drawRect(paper.adjusted(-0.5, -0.5, 0.5, 0.5))
        if self._empty:
            self._paint_hint(painter, paper)
        painter.end()

    def _paint_hint(self, painter: QPainter, paper: QRectF) -> None:
        font = QFont(self.font())
        font.setPointSizeF(min(max(9.0, paper.height() / 24), 14.0))
        painter.setFont(font)
        painter.setPen(QColor(HINT_COLOR))
        painter.drawText(
            paper.adjusted(8, 8, -8, -8),
            Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
            "draw a digit here\n(right-click or Delete clears)",
        )


class ProcessedImage(QWidget):
    """An image at its own resolution, each pixel a visible square (nearest neighbour),
    dark ink on white: the drawing as the network sees it."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("processedDrawing")
        self.setAccessibleName("The drawing as the network sees it")
        self.setMinimumSize(64, 64)
        self._image = np.zeros((8, 8), dtype=np.float32)
        self._picture = self._to_qimage(self._image)

    @property
    def image(self) -> np.ndarray:
        """The image shown, (side, side) float32 in [0, 1]."""
        return self._image

    def set_image(self, image: np.ndarray) -> None:
        """Show ``image`` (side, side) in [0, 1]."""
        self._image = np.asarray(image, dtype=np.float32)
        self._picture = self._to_qimage(self._image)
        self.update()

    @staticmethod
    def _to_qimage(image: np.ndarray) -> QImage:
        gray = np.ascontiguousarray(np.rint(255.0 * (1.0 - np.clip(image, 0.0, 1.0))))
        gray = gray.astype(np.uint8)
        rows, columns = gray.shape
        return QImage(gray.data, columns, rows, columns, QImage.Format.Format_Grayscale8).copy()

    def picture_rect(self) -> QRectF:
        """Where the image is drawn: centred, each pixel a whole number of screen pixels
        (so that all of them look the same size)."""
        side = self._image.shape[0]
        block = max((min(self.width(), self.height()) - 2) // side, 1)  # 1 pixel for the frame
        extent = block * side
        return QRectF((self.width() - extent) // 2, (self.height() - extent) // 2, extent, extent)

    def paintEvent(self, event: QPaintEvent) -> None:
        """The image, scaled by whole pixels without smoothing, framed."""
        painter = QPainter(self)
        rect = self.picture_rect()
        painter.drawImage(rect, self._picture)
        painter.setPen(QPen(BORDER_COLOR, 1))
        painter.drawRect(rect.adjusted(-0.5, -0.5, 0.5, 0.5))
        painter.end()


class ProbabilityBars(PaintTimed, pg.PlotWidget):
    """The frame's network's ten class probabilities for the drawing, one bar per digit
    0–9 on a fixed 0–1 axis, the most probable in blue with its percentage; without a
    drawing (or a network) no bars and a hint "draw a digit".

    The probabilities are computed when the drawing (:meth:`set_drawing`) or the frame's
    network (:meth:`show_frame`) changes, never again for the same pair.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("probabilityBars")
        self.setAccessibleName("Class probabilities of the drawing")
        remove_export_menu(self)
        self.setMinimumSize(160, 120)
        self._net: MLP | None = None
        self._drawing: np.ndarray | None = None
        self._computed_for: tuple[MLP | None, np.ndarray | None] = (None, None)
        self._probabilities: np.ndarray | None = None
        self._frame: Frame | None = None
        self._set_up_plot()
        self.bars = pg.BarGraphItem(
            x=np.arange(N_DIGITS), height=np.zeros(N_DIGITS), width=0.7, pen=None
        )
        self.getPlotItem().addItem(self.bars)
        self.percent_label = pg.TextItem(color=WINNER_COLOR)
        self.hint = pg.TextItem("draw a digit", color=HINT_COLOR, anchor=(0.5, 0.5))
        self.hint.setPos((N_DIGITS - 1) / 2, 0.5)
        for item in (self.percent_label, self.hint):
            font = QFont()
            font.setPointSize(11)
            font.setBold(item is self.percent_label)
            item.setFont(font)
            self.getPlotItem().addItem(item, ignoreBounds=True)
        self._draw()

    def _set_up_plot(self) -> None:
        plot = self.getPlotItem()
        plot.setMouseEnabled(x=False, y=False)
        plot.setMenuEnabled(False)
        plot.hideButtons()
        plot.setXRange(-0.6, N_DIGITS - 0.4, padding=0)
        plot.setYRange(0.0, 1.0, padding=0)
        # grid lines of our own: the axis's grid would clip the "1" on the view's top edge
        for level in (0.25, 0.5, 0.75, 1.0):
            plot.addItem(pg.InfiniteLine(level, angle=0, pen=pg.mkPen(GRID_COLOR)))
        tick_font = QFont()
        tick_font.setPointSize(10)
        bottom, left = plot.getAxis("bottom"), plot.getAxis("left")
        bottom.setTicks([[(digit, str(digit)) for digit in range(N_DIGITS)]])
        left.setTicks([[(0.0, "0"), (0.5, "0.5"), (1.0, "1")], [(0.25, ""), (0.75, "")]])
        plot.layout.setContentsMargins(0, 8, 6, 0)
        for axis in (bottom, left):
            axis.setStyle(tickFont=tick_font, tickLength=5)  # towards the labels, clear of the bars
            axis.setTextPen(FOREGROUND)
            axis.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        plot.setLabel("bottom", "digit", **{"font-size": "10pt"})
        plot.setLabel("left", "probability", **{"font-size": "10pt"})

    @property
    def probabilities(self) -> np.ndarray | None:
        """The ten probabilities shown, (10,), or None when no bars are shown."""
        return self._probabilities

    def set_drawing(self, image: np.ndarray | None) -> None:
        """The drawing as the network sees it, (side, side) in [0, 1]; None or a blank
        image clears the bars."""
        if image is not None and not np.any(image):
            image = None
        self._drawing = image
        self._refresh()

    def show_frame(self, frame: Frame) -> None:
        """Answer with the frame's network (kept while hidden, drawn when shown)."""
        self._frame = frame
        if self.isVisible():
            self._net = frame.snapshot.net
            self._refresh()

    def showEvent(self, event: QShowEvent) -> None:
        """Draw the frame kept while hidden."""
        super().showEvent(event)
        if self._frame is not None:
            self._net = self._frame.snapshot.net
            self._refresh()

    def _refresh(self) -> None:
        """Recompute and draw, unless the network and drawing are those already shown."""
        net, drawing = self._net, self._drawing
        if net is self._computed_for[0] and drawing is self._computed_for[1]:
            return
        self._computed_for = (net, drawing)
        probabilities = None
        if net is not None and drawing is not None and net.layer_sizes[0] == drawing.size:
            probabilities = net.predict_proba(drawing.reshape(1, -1))[0]
        if probabilities is None and self._probabilities is None:
            return  # a blank pad while training: nothing to redraw at every frame
        self._probabilities = probabilities
        self._draw()

    def _draw(self) -> None:
        probabilities = self._probabilities
        self.hint.setVisible(probabilities is None)
        self.percent_label.setVisible(probabilities is not None)
        if probabilities is None:
            self.bars.setOpts(height=np.zeros(N_DIGITS))
            return
        winner = int(np.argmax(probabilities))
        brushes = [pg.mkBrush(BAR_COLOR)] * N_DIGITS
        brushes[winner] = pg.mkBrush(WINNER_COLOR)
        self.bars.setOpts(height=np.asarray(probabilities, dtype=np.float64), brushes=brushes)
        self._place_percent(winner, float(probabilities[winner]))

    def _place_percent(self, winner: int, probability: float) -> None:
        """The winner's percentage above its bar, or beside its top when the bar is too
        tall to leave room above it inside the fixed 0–1 axis."""
        self.percent_label.setText(f"{100 * probability:.0f} %")
        if probability <= TALL_BAR:
            self.percent_label.setAnchor((0.5, 1.0))
            self.percent_label.setPos(winner, probability)
        elif winner < N_DIGITS - 3:
            self.percent_label.setAnchor((0.0, 0.0))
            self.percent_label.setPos(winner + 0.4, probability)
        else:
            self.percent_label.setAnchor((1.0, 0.0))
            self.percent_label.setPos(winner - 0.4, probability)


class DrawingPanel(QWidget):
    """The drawing pad, the drawing as the network sees it (captioned with the dataset's
    resolution), the Clear button and the probability bars: the view the workspace hands
    its frames.

    The dataset's image side (``frame.dataset.image_shape[0]``) sets the preprocessing; the
    frame's network answers. Nothing is recomputed for a frame with the network and data of
    the previous one.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("drawingPanel")
        self.pad = DrawingPad()
        self.processed_view = ProcessedImage()
        self.caption = QLabel()
        self.caption.setObjectName("processedDrawingCaption")
        self.caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.caption.setWordWrap(True)
        self.caption.setStyleSheet(f"color: {FOREGROUND};")
        self.bars = ProbabilityBars()
        self.clear_button = QPushButton("Clear")
        self.clear_button.setObjectName("clearDrawingButton")
        self.clear_button.setToolTip("Clear the drawing (Delete, or right-click the pad)")
        self._side: int | None = None
        self._ink: np.ndarray | None = None
        self._processed: np.ndarray | None = None
        self._lay_out()
        self._show_side(8)
        self.pad.ink_changed.connect(self._on_ink_changed)
        self.clear_button.clicked.connect(self.pad.clear)

    def _lay_out(self) -> None:
        self._pad_column = QWidget()
        left = QVBoxLayout(self._pad_column)
        left.setContentsMargins(0, 0, 0, 0)
        left.addWidget(self.pad, 1)
        left.addWidget(self.clear_button, 0, Qt.AlignmentFlag.AlignLeft)
        self.processed_view.setSizePolicy(
            QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding
        )
        right = QVBoxLayout()
        right.addWidget(self.processed_view, 3)
        right.addWidget(self.caption, 0)
        right.addSpacing(4)
        right.addWidget(self.bars, 5)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self._pad_column, 0)
        layout.addLayout(right, 1)

    def resizeEvent(self, event: QResizeEvent) -> None:
        """Make the pad's column as wide as the square pad is high, within 40–60 % of the
        width: no empty band above and below the pad, room left for the bars."""
        super().resizeEvent(event)
        layout = self.layout()
        margins = layout.contentsMargins()
        below_pad = self.clear_button.sizeHint().height() + self._pad_column.layout().spacing()
        square = self.height() - margins.top() - margins.bottom() - below_pad
        width = self.width()
        self._pad_column.setFixedWidth(int(min(max(square, 0.4 * width), 0.6 * width)))

    def minimumSizeHint(self) -> QSize:
        """As small as the pad's and the bars' minimums: the pad's column, fixed to the
        panel's size above, must not hold the panel (and a small window) wide."""
        layout = self.layout()
        margins = layout.contentsMargins()
        width = self.pad.minimumWidth() + self.bars.minimumWidth() + layout.spacing()
        height = super().minimumSizeHint().height()
        return QSize(width + margins.left() + margins.right(), height)

    @property
    def processed(self) -> np.ndarray | None:
        """The drawing as the network sees it, (side, side) float32, or None when blank."""
        return self._processed

    def show_frame(self, frame: Frame) -> None:
        """Preprocess for the frame's dataset and answer with its network."""
        side = frame.dataset.image_shape[0]
        if side != self._side:
            self._show_side(side)
        self.bars.show_frame(frame)

    def set_image(self, image_row: np.ndarray) -> None:
        """Put a dataset image (a row of side² pixels) on the pad, to edit it."""
        self.pad.set_image(image_row)

    def take_paint_seconds(self) -> float:
        """Seconds the bars (what a frame redraws) painted since the last call."""
        return self.bars.take_paint_seconds()

    def _show_side(self, side: int) -> None:
        self._side = side
        self.caption.setText(f"as the network sees it ({side}×{side})")
        self.processed_view.setMinimumSize(_preview_minimum(side), _preview_minimum(side))
        self._reprocess()

    def _on_ink_changed(self, ink: np.ndarray) -> None:
        self._ink = ink
        self._reprocess()

    def _reprocess(self) -> None:
        side = self._side
        blank = self._ink is None or not self._ink.any()
        self._processed = None if blank else preprocess_drawing(self._ink, side)
        shown = np.zeros((side, side), np.float32) if blank else self._processed
        self.processed_view.set_image(shown)
        self.bars.set_drawing(self._processed)


def _preview_minimum(side: int) -> int:
    """Smallest preview that shows ``side`` pixels at a whole number of screen pixels each,
    at least about 64 screen pixels."""
    return side * math.ceil(64 / side)
