"""Three views of the digits workspace that show images: what the first layer has learnt,
where the network goes wrong, and on which images.

``WeightTilesView`` (``weightTiles``): the first layer's weights, one tile per hidden neuron
reshaped to the image, all on one diverging scale ±limit, drawn as one image.
``ConfusionMatrixView`` (``confusionMatrix``): the test set's confusion matrix, counts and row
percentages; clicking a cell emits ``cell_clicked(true, predicted)``.
``MisclassifiedGallery`` (``misclassifiedGallery``): the test images the network gets wrong,
worst first, or the images of one confusion cell (``show_cell``).

Each draws only the Frame it is given; the confusion matrix and the gallery share the test
set's predictions through ``predict_test_set``, which runs the network once per frame.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from pyqtgraph.GraphicsScene.mouseEvents import HoverEvent, MouseClickEvent
from PySide6.QtCore import QEvent, QPoint, QRect, QRectF, QSize, Qt, Signal, Slot
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetrics,
    QHelpEvent,
    QImage,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPen,
    QResizeEvent,
)
from PySide6.QtWidgets import (
    QGraphicsRectItem,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QToolButton,
    QToolTip,
    QVBoxLayout,
    QWidget,
)

from mlpviz.core.digit_views import (
    DigitPredictions,
    Misclassified,
    WeightTiles,
    confusion_matrix,
    fitting_grid,
    gallery_entries,
    predict_test_set,
    row_percentages,
    tile_mosaic,
    weight_tiles,
)
from mlpviz.core.digits import N_DIGITS
from mlpviz.core.frame import Frame

from .paint_cost import PaintTimed
from .style import FOREGROUND, diverging_colormap, remove_export_menu

COMPACT_WIDTH = 620  # narrower than this, titles say less …
LARGE_WIDTH = 1000  # … and wider, they are larger
GAP_RGBA = (190, 190, 190, 255)  # between tiles: grey, since a weight of 0 is white
EMPTY_RGBA = (0, 0, 0, 0)  # the grid's empty places: nothing
TILE_PIXELS = 32  # small tiles are enlarged to about this many pixels, so the gaps can be thin
MAX_LABELLED_TILES = 16  # fewer tiles than this are numbered
GAP_SCREEN_PIXELS = 2
AXIS_TEXT_SPACE = 16  # pixels beside a tick label: its tick and margins
COLOR_BAR_WIDTH = 14
TILES_MARGIN = (90, 40)  # the colour bar and the title around the tiles, in pixels
MARK_PEN = pg.mkPen("#E69F00", width=3)  # the clicked confusion cell
# Row percentages are coloured on a square-root scale: the few per cent of a confusion
# show as a tint, where a linear scale leaves them white beside the diagonal's 95 %.
CONFUSION_COLORS = pg.ColorMap([0.0, 0.5, 1.0], ["#FFFFFF", "#6BAED6", "#08306B"])
DARK_CELL = 0.6  # on cells darker than this (of the scale), the text is white
EMPTY_CELL_TEXT = "#BBBBBB"  # the zeros fade, so that the confusions stand out
MIN_CELL_FONT_PIXELS, MAX_CELL_FONT_PIXELS = 8, 24
THUMBNAIL_GAP = 8
THUMBNAIL_SIDES = (44, 64, 160)  # pixels: the least in a small view, in a large one, the most
LARGE_GALLERY = QSize(900, 400)
MISTAKE_TEXT = "#B2182B"


def _title_size(widget: QWidget) -> str:
    return "13pt" if widget.width() >= LARGE_WIDTH else "10pt"


def _style_axes(plot: pg.PlotItem, large: bool) -> None:
    """Tick and label fonts of ``plot``'s axes, larger in a large view."""
    font = QFont()
    font.setPointSize(12 if large else 9)
    for name in ("left", "bottom"):
        axis = plot.getAxis(name)
        axis.setStyle(tickFont=font)
        axis.setLabel(axis.labelText, **{"font-size": "12pt" if large else "10pt"})


def _no_mouse(plot: pg.PlotItem) -> None:
    """A fixed picture: no pan, zoom, menu or auto-range button."""
    plot.setMouseEnabled(x=False, y=False)
    plot.setMenuEnabled(False)
    plot.hideButtons()


# --- weight tiles ------------------------------------------------------------------------------
class _TilesImage(pg.ImageItem):
    """The mosaic of tiles; hovering a tile shows its neuron and the weight under the mouse."""

    def __init__(self, view: WeightTilesView) -> None:
        super().__init__(axisOrder="row-major")
        self._view = view

    def hoverEvent(self, event: HoverEvent) -> None:
        """Tooltip: the neuron of the tile under the mouse."""
        text = "" if event.isExit() else self._view.tooltip_at(event.pos().x(), event.pos().y())
        self.setToolTip(text)


class WeightTilesView(PaintTimed, pg.GraphicsLayoutWidget):
    """The first layer's weights W^{[1]}: (n_1, pixels), one tile per hidden neuron j, the
    row w_j reshaped to the image it looks at (8×8 or 28×28), on a diverging colour map
    (blue < 0 < red, white at 0) with one symmetric scale ±limit shared by every tile (the
    largest |w| of the frame's W^{[1]}). The tiles are one image built with NumPy, however
    many (up to 512), laid out in the grid that makes them largest in the view. Without a
    hidden layer, the output layer's ten tiles, one per digit.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("weightTiles")
        self.setAccessibleName("First layer's weights as images")
        remove_export_menu(self)
        self._colormap = diverging_colormap()
        self._lookup_table = self._colormap.getLookupTable(nPts=256, alpha=True, mode="byte")
        self._tiles: WeightTiles | None = None
        self._net: object = None
        self._grid = (0, 0)
        self._scale = 1  # mosaic pixels per image pixel
        self._gap = 1  # mosaic pixels between tiles
        self._labels: list[pg.TextItem] = []
        self.plot = self.addPlot(row=0, col=0)
        self.plot.hideAxis("left")
        self.plot.hideAxis("bottom")
        self.plot.setAspectLocked(True)
        self.plot.invertY(True)  # the first row of tiles and of pixels at the top
        _no_mouse(self.plot)
        self.image = _TilesImage(self)
        self.plot.addItem(self.image)
        self.color_bar = pg.ColorBarItem(
            values=(-1.0, 1.0),
            colorMap=self._colormap,
            interactive=False,
            width=COLOR_BAR_WIDTH,
            colorMapMenu=False,
        )
        self.addItem(self.color_bar, row=0, col=1)
        self.sigDeviceRangeChanged.connect(self._on_view_resized)

    @property
    def tiles(self) -> WeightTiles | None:
        """The tiles drawn (None before the first frame)."""
        return self._tiles

    @property
    def grid(self) -> tuple[int, int]:
        """(rows, columns) of the tiles on screen."""
        return self._grid

    @property
    def limit(self) -> float:
        """The colour scale runs from −limit (blue) to +limit (red)."""
        return 1.0 if self._tiles is None else self._tiles.limit

    def show_frame(self, frame: Frame) -> None:
        """Draw the first weight matrix of the frame's network as tiles."""
        net = frame.snapshot.net
        if net is self._net:
            return  # the same snapshot's network: the same picture
        self._net = net
        self._tiles = weight_tiles(net.weights[0], frame.dataset.image_shape)
        self._scale = max(1, TILE_PIXELS // frame.dataset.image_shape[0])
        self._set_title()
        limit = self._tiles.limit
        self.color_bar.setLevels((-limit, limit))
        end = limit * (1 - 1e-6)  # ticks exactly at the ends may round out of the axis
        ticks = [(-end, f"−{limit:.2g}"), (0.0, "0"), (end, f"+{limit:.2g}")]
        axis = self.color_bar.getAxis("right")
        axis.setTicks([ticks, []])
        font = QFont()
        font.setPointSize(12 if self.width() >= LARGE_WIDTH else 9)
        axis.setStyle(tickFont=font, hideOverlappingLabels=False)  # keep the ends' labels
        # pyqtgraph drops labels wider than the axis: make room for the widest
        widest = max(QFontMetrics(font).horizontalAdvance(label) for _, label in ticks)
        axis.setWidth(widest + AXIS_TEXT_SPACE)
        self._draw_mosaic()

    def _is_output_layer(self) -> bool:
        return self._net is not None and self._net.depth == 1

    def _set_title(self) -> None:
        count = len(self._tiles.tiles)
        rows, columns = self._tiles.tiles.shape[1:]
        compact = self.width() < COMPACT_WIDTH
        if self._is_output_layer():
            text = "No hidden layer: the output's weights, one tile per digit 0–9"
            if compact:
                text = "No hidden layer: output weights, digits 0–9"
        elif compact:
            text = f"First layer: {count} neurons' weights"
        else:
            text = f"First layer's weights: one {rows}×{columns} tile per hidden neuron ({count})"
        self.plot.setTitle(text, size=_title_size(self))

    def _draw_mosaic(self) -> None:
        """Lay the tiles out in the grid that fits the view best, as one RGB image."""
        tiles = self._tiles.tiles
        width, height = self.width() - TILES_MARGIN[0], self.height() - TILES_MARGIN[1]
        self._grid = rows, columns = fitting_grid(len(tiles), width, height)
        enlarged = tiles.repeat(self._scale, axis=1).repeat(self._scale, axis=2)
        # Gaps of about GAP_SCREEN_PIXELS on screen, whatever the tiles' size there.
        on_screen = max(1.0, min(width / columns, height / rows))
        self._gap = max(1, math.ceil(GAP_SCREEN_PIXELS * enlarged.shape[1] / on_screen))
        mosaic = tile_mosaic(enlarged, rows, columns, self._gap)
        outside = np.isnan(mosaic)
        # A 256-colour lookup: 512 MNIST tiles are 400,000 pixels, mapped in a few ms.
        levels = np.where(outside, 0.0, mosaic) * (127.5 / self._tiles.limit) + 127.5
        rgba = self._lookup_table[np.rint(np.clip(levels, 0, 255)).astype(np.uint8)]
        rgba[outside] = GAP_RGBA
        first_empty = len(tiles) - (rows - 1) * columns  # the empty places end the last row
        if first_empty < columns:
            top = (rows - 1) * (enlarged.shape[1] + self._gap) - self._gap
            left = first_empty * (enlarged.shape[2] + self._gap) - self._gap
            rgba[top:, left:] = EMPTY_RGBA
        self.image.setImage(rgba, autoLevels=False, levels=(0, 255))
        self._label_tiles(enlarged.shape[1] + self._gap, enlarged.shape[2] + self._gap)
        self.plot.setRange(xRange=(0, mosaic.shape[1]), yRange=(0, mosaic.shape[0]), padding=0.02)

    def _label_tiles(self, row_step: int, column_step: int) -> None:
        """Number the tiles in a corner when they are few (and so large): the neuron, or
        the digit of an output tile."""
        count = len(self._tiles.tiles) if len(self._tiles.tiles) <= MAX_LABELLED_TILES else 0
        while len(self._labels) < count:
            label = pg.TextItem(color=FOREGROUND, fill=pg.mkBrush(255, 255, 255, 200))
            self.plot.addItem(label)
            self._labels.append(label)
        columns = self._grid[1]
        font = QFont()
        font.setPointSize(12 if self.width() >= LARGE_WIDTH else 9)
        for index, label in enumerate(self._labels):
            label.setVisible(index < count)
            if index < count:
                row, column = divmod(index, columns)
                label.setFont(font)
                label.setText(f"{index if self._is_output_layer() else index + 1}")
                label.setPos(column * column_step, row * row_step)

    @Slot()
    def _on_view_resized(self) -> None:
        if self._tiles is None:
            return
        self._set_title()
        self._draw_mosaic()  # the grid, the labels' size: resizing is rare, and this is cheap

    def tooltip_at(self, x: float, y: float) -> str:
        """What the mosaic's pixel (x, y) (image coordinates) shows: its tile's neuron and the
        weight there; "" over a gap."""
        if self._tiles is None or x < 0 or y < 0:
            return ""
        _, side_y, side_x = self._tiles.tiles.shape
        (tile_row, pixel_row), (tile_column, pixel_column) = (
            divmod(int(y), side_y * self._scale + self._gap),
            divmod(int(x), side_x * self._scale + self._gap),
        )
        pixel_row, pixel_column = pixel_row // self._scale, pixel_column // self._scale
        index = tile_row * self._grid[1] + tile_column
        if pixel_row >= side_y or pixel_column >= side_x or tile_column >= self._grid[1]:
            return ""
        if index >= len(self._tiles.tiles):
            return ""
        weight = self._tiles.tiles[index, pixel_row, pixel_column]
        pixel = f"pixel ({pixel_row + 1}, {pixel_column + 1}): w = {weight:+.3f}"
        if self._is_output_layer():
            return f"digit {index} · {pixel}"
        return f"neuron {index + 1} of {len(self._tiles.tiles)} · {pixel}"


# --- confusion matrix --------------------------------------------------------------------------
class _CellsImage(pg.ImageItem):
    """The 10×10 cells; hovering one shows its count and share."""

    def __init__(self, view: ConfusionMatrixView) -> None:
        super().__init__(axisOrder="row-major")
        self._view = view

    def hoverEvent(self, event: HoverEvent) -> None:
        """Tooltip: the cell under the mouse, in words."""
        text = (
            ""
            if event.isExit()
            else self._view.cell_text(int(event.pos().y()), int(event.pos().x()))
        )
        self.setToolTip(text)


class ConfusionMatrixView(PaintTimed, pg.PlotWidget):
    """The test set's confusion matrix: row = true digit, column = predicted digit, each cell
    with its count and its share of the row (the true digit's images), coloured by that
    share; the accuracy (trace / total) in the title. Clicking a cell marks it and emits
    ``cell_clicked(true, predicted)``.
    """

    cell_clicked = Signal(int, int)  # (true digit, predicted digit)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, background="w")
        self.setObjectName("confusionMatrix")
        self.setAccessibleName("Confusion matrix of the test set")
        self.setAccessibleDescription("Rows: true digit; columns: predicted. Click a cell.")
        remove_export_menu(self)
        self._net: object = None
        self._matrix = np.zeros((N_DIGITS, N_DIGITS), dtype=np.int64)
        self._percentages = np.zeros((N_DIGITS, N_DIGITS))
        self._texts_for: tuple[np.ndarray, bool] | None = None
        self._marked: tuple[int, int] | None = None
        plot = self.getPlotItem()
        _no_mouse(plot)
        plot.invertY(True)  # true digit 0 in the top row, as the matrix is written
        for name, label in (("left", "true digit"), ("bottom", "predicted digit")):
            plot.getAxis(name).setTicks([[(k + 0.5, str(k)) for k in range(N_DIGITS)], []])
            plot.setLabel(name, label)
        _style_axes(plot, large=False)
        plot.setRange(xRange=(0, N_DIGITS), yRange=(0, N_DIGITS), padding=0.0)
        self.image = _CellsImage(self)
        self.image.setLookupTable(CONFUSION_COLORS.getLookupTable(nPts=256, alpha=False))
        self.image.setImage(np.zeros((N_DIGITS, N_DIGITS)), levels=(0.0, 1.0))
        self.image.setRect(QRectF(0, 0, N_DIGITS, N_DIGITS))
        plot.addItem(self.image)
        self._texts = [self._make_text(k) for k in range(N_DIGITS * N_DIGITS)]
        self.mark = QGraphicsRectItem(QRectF(0, 0, 1, 1))
        pen = QPen(MARK_PEN)
        pen.setCosmetic(True)
        self.mark.setPen(pen)
        self.mark.setZValue(20)
        self.mark.setVisible(False)
        plot.addItem(self.mark)
        self.scene().sigMouseClicked.connect(self._on_scene_clicked)
        self.sigDeviceRangeChanged.connect(self._on_view_resized)

    def _make_text(self, k: int) -> pg.TextItem:
        text = pg.TextItem(anchor=(0.5, 0.5))
        row, column = divmod(k, N_DIGITS)
        text.setPos(column + 0.5, row + 0.5)
        self.getPlotItem().addItem(text)
        return text

    # --- public ---------------------------------------------------------------------------
    @property
    def matrix(self) -> np.ndarray:
        """The counts drawn, (10, 10): [true, predicted]."""
        return self._matrix.copy()

    @property
    def accuracy(self) -> float:
        """trace / total of the matrix drawn (NaN for an empty test set)."""
        total = self._matrix.sum()
        return float(np.trace(self._matrix) / total) if total else math.nan

    @property
    def marked_cell(self) -> tuple[int, int] | None:
        """(true, predicted) of the cell marked by the last click, or None."""
        return self._marked

    def cell_texts(self) -> list[str]:
        """The text of every cell, row by row (what the cells say, without markup)."""
        return [item.textItem.toPlainText() for item in self._texts]

    def show_frame(self, frame: Frame) -> None:
        """Draw the confusion matrix of the frame's network on the frame's test set."""
        net = frame.snapshot.net
        if net is self._net:
            return
        self._net = net
        predictions = predict_test_set(net, frame.dataset, frame.test_mask)
        self._matrix = confusion_matrix(predictions.true, predictions.predicted)
        self._percentages = row_percentages(self._matrix)
        self.image.setImage(np.sqrt(self._percentages / 100.0), autoLevels=False, levels=(0, 1))
        self._set_title()
        self._fill_cells()

    def mark_cell(self, true: int | None, predicted: int | None = None) -> None:
        """Outline cell (true, predicted); None removes the mark."""
        self._marked = None if true is None or predicted is None else (true, predicted)
        self.mark.setVisible(self._marked is not None)
        if self._marked is not None:
            self.mark.setRect(QRectF(predicted, true, 1, 1))

    def cell_text(self, row: int, column: int) -> str:
        """Cell (row, column) in words, for its tooltip ("" outside the matrix)."""
        if not (0 <= row < N_DIGITS and 0 <= column < N_DIGITS):
            return ""
        count, share = int(self._matrix[row, column]), self._percentages[row, column]
        verdict = "right" if row == column else f"taken for {column}"
        return (
            f"{count} test image{'s' * (count != 1)} of digit {row} {verdict}: "
            f"{share:.1f} % of the {row}s · click to see them"
        )

    # --- drawing --------------------------------------------------------------------------
    def _set_title(self) -> None:
        total, correct = int(self._matrix.sum()), int(np.trace(self._matrix))
        if total == 0:
            text = "Test set: no image"
        elif self.width() < COMPACT_WIDTH:
            text = f"Test set: accuracy {100 * correct / total:.1f} %"
        else:
            text = (
                f"Test set: accuracy {100 * correct / total:.1f} % "
                f"({correct:,} of {total:,} right) · rows: true, columns: predicted"
            )
        self.getPlotItem().setTitle(text, size=_title_size(self))

    def _cell_pixels(self) -> tuple[float, float]:
        box = self.getPlotItem().vb.sceneBoundingRect()
        return box.width() / N_DIGITS, box.height() / N_DIGITS

    def _fill_cells(self) -> None:
        """Each cell's count and, when there is room, its row percentage; redone only when
        the numbers or the room change."""
        width, height = self._cell_pixels()
        with_share = height >= 26 and width >= 34
        if self._texts_for is not None:
            matrix, share_shown = self._texts_for
            if share_shown == with_share and np.array_equal(matrix, self._matrix):
                return
        self._texts_for = (self._matrix.copy(), with_share)
        fitting = min(height / (2.6 if with_share else 1.6), width / 3.2)
        pixel_size = max(MIN_CELL_FONT_PIXELS, min(MAX_CELL_FONT_PIXELS, round(fitting)))
        font = QFont()
        font.setPixelSize(pixel_size)
        shading = np.sqrt(self._percentages / 100.0)
        for k, item in enumerate(self._texts):
            row, column = divmod(k, N_DIGITS)
            count = self._matrix[row, column]
            color = "#FFFFFF" if shading[row, column] > DARK_CELL else FOREGROUND
            color = EMPTY_CELL_TEXT if count == 0 else color
            number = f"<b>{count}</b>" if count else "0"
            html = f'<div style="color:{color}" align="center">{number}'
            if with_share and count:  # "0 %" under every 0 would only add clutter
                small = max(MIN_CELL_FONT_PIXELS, pixel_size - 3)
                share = self._percentages[row, column]
                html += f'<br><span style="font-size:{small}px">{share:.0f} %</span>'
            item.setFont(font)
            item.textItem.setTextWidth(-1)  # measure the text's natural width …
            item.setHtml(html + "</div>")
            item.setTextWidth(item.textItem.document().idealWidth())  # … to centre its lines

    @Slot()
    def _on_view_resized(self) -> None:
        _style_axes(self.getPlotItem(), large=self.width() >= LARGE_WIDTH)
        if self._texts_for is not None:
            self._set_title()
            self._fill_cells()

    def _on_scene_clicked(self, event: MouseClickEvent) -> None:
        if event.button() != Qt.MouseButton.LeftButton:
            return
        vb = self.getPlotItem().vb
        if not vb.sceneBoundingRect().contains(event.scenePos()):
            return
        point = vb.mapSceneToView(event.scenePos())
        row, column = math.floor(point.y()), math.floor(point.x())
        if 0 <= row < N_DIGITS and 0 <= column < N_DIGITS:
            self.mark_cell(row, column)
            self.cell_clicked.emit(row, column)


# --- misclassified gallery ---------------------------------------------------------------------
class _ThumbnailGrid(PaintTimed, QWidget):
    """A page of small images with a caption under each, painted in one pass. The
    thumbnails are as large as lets the whole list fit (within THUMBNAIL_SIDES), so that a
    few mistakes fill the view and many take pages."""

    clicked = Signal(int)  # position on the page
    resized = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("misclassifiedGalleryImages")
        self.setMouseTracking(True)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self._images: list[QImage] = []
        self._captions: list[str] = []
        self._tooltips: list[str] = []
        self._correct: list[bool] = []
        self._message = ""
        self._count = 0  # images in the whole list
        self._image_side = 8
        self._side = self._image_side  # of a thumbnail, in pixels

    def sizeHint(self) -> QSize:
        """Room for a few rows of thumbnails."""
        return QSize(400, 240)

    def minimumSizeHint(self) -> QSize:
        """One thumbnail with its caption."""
        return QSize(*self.cell_size())

    def fit(self, count: int, image_side: int) -> None:
        """Size the thumbnails for a list of ``count`` images of ``image_side`` pixels: the
        largest whole multiple of the image (pixels stay square) at which all fit, else the
        least, larger in a large view."""
        self._count, self._image_side = count, image_side
        large = self.width() >= LARGE_GALLERY.width() and self.height() >= LARGE_GALLERY.height()
        least, _, most = THUMBNAIL_SIDES
        least = THUMBNAIL_SIDES[1] if large else least
        smallest = max(1, round(least / image_side))
        for factor in range(max(smallest, most // image_side), smallest - 1, -1):
            self._side = image_side * factor
            if self.capacity() >= count:
                return
        self._side = image_side * smallest

    def _font(self) -> QFont:
        font = QFont()
        font.setPointSize(9 if self._side < 80 else 11)
        return font

    def cell_size(self) -> tuple[int, int]:
        """(width, height) of a thumbnail with its caption and the gap after them."""
        metrics = QFontMetrics(self._font())
        caption = metrics.horizontalAdvance("8 → 8 · 100 %") + 4
        width, height = max(self._side, caption), self._side + metrics.height()
        return width + THUMBNAIL_GAP, height + THUMBNAIL_GAP

    def layout_grid(self) -> tuple[int, int]:
        """(rows, columns) of thumbnails that fit the widget."""
        width, height = self.cell_size()
        return max(1, self.height() // height), max(1, self.width() // width)

    def capacity(self) -> int:
        """How many thumbnails fit at once."""
        rows, columns = self.layout_grid()
        return rows * columns

    def set_page(
        self,
        images: np.ndarray,
        captions: list[str],
        tooltips: list[str],
        correct: list[bool],
        message: str = "",
    ) -> None:
        """Show ``images: (k, side, side)`` in [0, 1] as dark ink on white with their texts."""
        grey = np.rint(255 * (1.0 - np.clip(images, 0.0, 1.0))).astype(np.uint8)
        self._images = [_grey_image(picture) for picture in grey]
        self._captions, self._tooltips, self._correct = captions, tooltips, correct
        self._message = message
        self.update()

    def position_at(self, point: QPoint) -> int | None:
        """The page position of the thumbnail at ``point`` (widget pixels), or None."""
        width, height = self.cell_size()
        rows, columns = self.layout_grid()
        column, row = point.x() // width, point.y() // height
        if point.x() < 0 or point.y() < 0 or column >= columns or row >= rows:
            return None
        position = row * columns + column
        return position if position < len(self._images) else None

    def thumbnail_rect(self, position: int) -> QRect:
        """Where thumbnail ``position`` of the page is drawn."""
        width, height = self.cell_size()
        row, column = divmod(position, self.layout_grid()[1])
        return QRect(
            column * width + (width - self._side) // 2, row * height, self._side, self._side
        )

    def paintEvent(self, event: QPaintEvent) -> None:
        """The thumbnails, each framed, with its caption; or the message when empty."""
        painter = QPainter(self)
        try:
            painter.fillRect(self.rect(), QColor("white"))
            painter.setFont(self._font())
            if not self._images:
                painter.setPen(QColor(FOREGROUND))
                painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, self._message)
                return
            width = self.cell_size()[0]
            caption_height = QFontMetrics(self._font()).height()
            for position, (image, caption) in enumerate(zip(self._images, self._captions)):
                box = self.thumbnail_rect(position)
                painter.drawImage(box, image)  # nearest neighbour: the pixels stay square
                painter.setPen(QPen(QColor("#BBBBBB"), 1))
                painter.drawRect(box.adjusted(-1, -1, 0, 0))
                painter.setPen(QColor(FOREGROUND if self._correct[position] else MISTAKE_TEXT))
                below = QRect(
                    box.center().x() - width // 2, box.bottom() + 2, width, caption_height
                )
                painter.drawText(below, Qt.AlignmentFlag.AlignCenter, caption)
        finally:
            painter.end()

    def event(self, event: QEvent) -> bool:
        """Tooltips: the hovered image's numbers."""
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            position = self.position_at(event.pos())
            if position is None:
                QToolTip.hideText()
                event.ignore()
            else:
                QToolTip.showText(event.globalPos(), self._tooltips[position], self)
            return True
        return super().event(event)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        """A click on a thumbnail emits its page position."""
        position = self.position_at(event.position().toPoint())
        if event.button() == Qt.MouseButton.LeftButton and position is not None:
            self.clicked.emit(position)
        super().mousePressEvent(event)

    def resizeEvent(self, event: QResizeEvent) -> None:
        """Say so: the gallery pages anew."""
        super().resizeEvent(event)
        self.resized.emit()


def _grey_image(grey: np.ndarray) -> QImage:
    """A QImage owning a copy of ``grey: (rows, columns)`` uint8."""
    data = np.ascontiguousarray(grey)
    rows, columns = data.shape
    return QImage(data.tobytes(), columns, rows, columns, QImage.Format.Format_Grayscale8).copy()


class MisclassifiedGallery(QWidget):
    """The test images the frame's network gets wrong, worst (most confident) first, each
    captioned "true → predicted · confidence", as many as fit with pages for the rest; or,
    after ``show_cell``, the images of one confusion cell with a button back to all mistakes.
    A click on an image emits ``image_clicked`` with its index in the frame's dataset.
    """

    image_clicked = Signal(int)  # index of the image in the Frame's dataset

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("misclassifiedGallery")
        self.setAccessibleName("Misclassified test images")
        self._frame: Frame | None = None
        self._predictions: DigitPredictions | None = None
        self._cell: tuple[int | None, int | None] = (None, None)
        self._entries: list[Misclassified] = []
        self._page = 0
        self._build()

    def _build(self) -> None:
        palette = self.palette()
        palette.setColor(self.backgroundRole(), QColor("white"))
        self.setPalette(palette)
        self.setAutoFillBackground(True)
        self.header = QLabel()
        self.header.setObjectName("misclassifiedGalleryHeader")
        # One line, cut when too narrow rather than wrapped taller than its row.
        self.header.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.all_button = QPushButton("All mistakes")
        self.all_button.setObjectName("misclassifiedGalleryAllButton")
        self.all_button.setToolTip("Back to every misclassified test image")
        self.all_button.clicked.connect(self.show_all_mistakes)
        self.previous_button = self._page_button("◀", "Previous page", -1)
        self.page_label = QLabel()
        self.next_button = self._page_button("▶", "Next page", +1)
        top = QHBoxLayout()
        top.addWidget(self.header, 1)
        for widget in (self.all_button, self.previous_button, self.page_label, self.next_button):
            top.addWidget(widget)
        self.grid = _ThumbnailGrid(self)
        self.grid.clicked.connect(self._on_thumbnail_clicked)
        self.grid.resized.connect(self._show_page)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.addLayout(top)
        layout.addWidget(self.grid, 1)
        self._show_page()

    def _page_button(self, text: str, tip: str, step: int) -> QToolButton:
        button = QToolButton()
        button.setText(text)
        button.setToolTip(tip)
        button.setObjectName(f"misclassifiedGallery{tip.split()[0]}Page")
        button.clicked.connect(lambda: self.go_to_page(self._page + step))
        return button

    # --- public ---------------------------------------------------------------------------
    @property
    def entries(self) -> list[Misclassified]:
        """Every image of the current list, in order (all pages); ``index`` is the position
        in the test set, as in ``confusion_cell``."""
        return list(self._entries)

    @property
    def page(self) -> int:
        """The page shown, from 0."""
        return self._page

    @property
    def page_count(self) -> int:
        """How many pages the list takes (at least 1)."""
        return max(1, math.ceil(len(self._entries) / self.grid.capacity()))

    @property
    def shown_entries(self) -> list[Misclassified]:
        """The images on the page shown."""
        capacity = self.grid.capacity()
        return self._entries[self._page * capacity : (self._page + 1) * capacity]

    @property
    def cell(self) -> tuple[int | None, int | None]:
        """(true, predicted) of the cell shown; (None, None) for all mistakes."""
        return self._cell

    def show_frame(self, frame: Frame) -> None:
        """Draw the list (all mistakes, or the chosen cell) of the frame's network."""
        if self._frame is not None and frame.snapshot.net is self._frame.snapshot.net:
            return
        self._frame = frame
        self._predictions = predict_test_set(frame.snapshot.net, frame.dataset, frame.test_mask)
        self._refresh()

    def show_cell(self, true: int | None, predicted: int | None = None) -> None:
        """Show the images of confusion cell (true, predicted) (the diagonal: the correct
        ones); with one of them None, the mistakes of that row or column; with both, all."""
        self._cell = (true, predicted)
        self._page = 0
        self._refresh()

    @Slot()
    def show_all_mistakes(self) -> None:
        """Back to every misclassified image."""
        self.show_cell(None, None)

    def go_to_page(self, page: int) -> None:
        """Show page ``page`` (from 0; clamped)."""
        self._page = min(max(page, 0), self.page_count - 1)
        self._show_page()

    # --- drawing --------------------------------------------------------------------------
    def _refresh(self) -> None:
        if self._predictions is not None:
            self._entries = gallery_entries(self._predictions, *self._cell)
        self._show_page()

    @Slot()
    def _show_page(self) -> None:
        if self._frame is not None:
            self.grid.fit(len(self._entries), self._frame.dataset.image_shape[0])
        self._page = min(self._page, self.page_count - 1)
        pages = self.page_count
        self.page_label.setText(f"{self._page + 1} / {pages}")
        self.previous_button.setEnabled(self._page > 0)
        self.next_button.setEnabled(self._page < pages - 1)
        for widget in (self.previous_button, self.page_label, self.next_button):
            widget.setVisible(pages > 1)
        self.all_button.setVisible(self._cell != (None, None))
        self.header.setText(self._header_text())
        shown = self.shown_entries
        if self._predictions is None:
            self.grid.set_page(np.zeros((0, 8, 8)), [], [], [], "No network yet")
            return
        indices = self._predictions.indices[[entry.index for entry in shown]]
        images = self._frame.dataset.X[indices].reshape(-1, *self._frame.dataset.image_shape)
        self.grid.set_page(
            images,
            [f"{e.true} → {e.predicted} · {100 * e.confidence:.0f} %" for e in shown],
            [_tooltip(e, int(i), self._predictions) for e, i in zip(shown, indices)],
            [e.true == e.predicted for e in shown],
            "No image here" if self._cell != (None, None) else "No test image is misclassified",
        )

    def _header_text(self) -> str:
        """What the list is, and its order unless the view is narrow (the tooltip says all)."""
        what, order = self._header_parts()
        self.header.setToolTip(f"{what} · {order}" if order else what)
        return what if self.width() < COMPACT_WIDTH or not order else f"{what} · {order}"

    def _header_parts(self) -> tuple[str, str]:
        count = len(self._entries)
        true, predicted = self._cell
        number, plural = f"<b>{count:,}</b>", "s" * (count != 1)
        if self._predictions is None:
            return "Misclassified test images", ""
        if true is None and predicted is None:
            total = len(self._predictions.true)
            return f"{number} of {total:,} test images misclassified", "worst first"
        if true is not None and true == predicted:
            return f"{number} {true}{plural} recognised", "least sure first"
        if predicted is None:
            return f"{number} {true}{plural} misclassified", "worst first"
        if true is None:
            return f"{number} image{plural} wrongly taken for {predicted}", "worst first"
        return f"{number} {true}{plural} taken for {predicted}", "worst first"

    @Slot(int)
    def _on_thumbnail_clicked(self, position: int) -> None:
        entry = self.shown_entries[position]
        self.image_clicked.emit(int(self._predictions.indices[entry.index]))


def _tooltip(entry: Misclassified, dataset_index: int, predictions: DigitPredictions) -> str:
    """An image's numbers: its digit, the prediction, and the probability of the truth."""
    truth = predictions.probabilities[entry.index, entry.true]
    return (
        f"image {dataset_index:,} · true {entry.true}, predicted {entry.predicted} "
        f"({100 * entry.confidence:.1f} %); p({entry.true}) = {100 * truth:.1f} %"
    )
