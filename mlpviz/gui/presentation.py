"""Presentation mode: the window full screen for a projector, the views magnified.

Each view is laid out in a smaller room and drawn magnified by PRESENTATION_SCALE, so its
fonts, markers and lines all grow together and its layout stays the one it was designed
for; pyqtgraph's lines, which are as thin at any magnification, are thickened to match.
The window's bars get larger type and the editing panels are hidden. Figures exported
meanwhile use the same scale (see ``PresentationMode.scale``).
"""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import QByteArray, QEvent, QObject, QRectF, Signal
from PySide6.QtGui import QFont, QPen, QResizeEvent, QTransform
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QDockWidget,
    QGraphicsItem,
    QGraphicsView,
    QMainWindow,
    QTabBar,
    QWidget,
)

PRESENTATION_SCALE = 1.5
FIT_MARGIN = 2  # pixels QGraphicsView.fitInView leaves around what it fits


class Magnifier(QObject):
    """Draws a QGraphicsView ``scale`` times larger: the scene is laid out in the view's size
    divided by ``scale`` (again after every resize) and the view magnifies it."""

    def __init__(self, view: QGraphicsView, scale: float) -> None:
        super().__init__(view)
        self._view = view
        self._scale = scale
        self._pens: list[tuple[object, QPen]] = []  # (item, its own pen) to give back
        self._unmagnified: list[QGraphicsItem] = []  # legends drawn at one size: now grow
        self._fonts = Fonts()
        view.installEventFilter(self)
        self._apply()
        self._thicken_lines()
        self._magnify_fixed_items()
        for button in view.findChildren(QAbstractButton):  # floating over the view
            self._fonts.enlarge(button, scale)
            button.adjustSize()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Before the view handles a resize, give it the smaller room to lay out."""
        if event.type() == QEvent.Type.Resize and isinstance(self._view, pg.GraphicsView):
            self._view.range = self._room(event.size().width(), event.size().height())
        return False

    def _room(self, width: int, height: int) -> QRectF:
        """The scene's room in a view ``width`` × ``height``: pyqtgraph fits it in with
        QGraphicsView.fitInView, which leaves FIT_MARGIN pixels on each side."""
        scale, margin = self._scale, 2 * FIT_MARGIN if self._scale != 1.0 else 0
        return QRectF(0, 0, (width - margin) / scale, (height - margin) / scale)

    def remove(self) -> None:
        """Back to drawing the view at its own size, with its own pens."""
        self._view.removeEventFilter(self)
        self._scale = 1.0
        for item, pen in self._pens:
            item.setPen(pen)
        for item in self._unmagnified:
            item.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations, True)
        self._fonts.restore()
        for button in self._view.findChildren(QAbstractButton):
            button.adjustSize()
        self._apply()
        self.deleteLater()

    def _apply(self) -> None:
        view, scale = self._view, self._scale
        if isinstance(view, pg.GraphicsView):
            # The class's own setRange: PlotWidget forwards setRange to its plot.
            room = self._room(view.width(), view.height())
            pg.GraphicsView.setRange(view, room, padding=0, disableAutoPixel=scale != 1.0)
            view.autoPixelRange = scale == 1.0
            view.updateMatrix()
        else:  # a plain QGraphicsView lays its scene out in its resizeEvent
            view.setTransform(QTransform.fromScale(scale, scale))
            QApplication.sendEvent(view, QResizeEvent(view.size(), view.size()))

    def _thicken_lines(self) -> None:
        for item in self._view.scene().items():
            pen = _pen_of(item)
            if pen is not None and pen.isCosmetic():
                self._pens.append((item, QPen(pen)))
                thick = QPen(pen)
                thick.setWidthF(max(1.0, pen.widthF()) * self._scale)
                item.setPen(thick)

    def _magnify_fixed_items(self) -> None:
        """pyqtgraph draws legends at one size whatever the view's transform."""
        flag = QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations
        for item in self._view.scene().items():
            if isinstance(item, pg.LegendItem) and item.flags() & flag:
                item.setFlag(flag, False)
                self._unmagnified.append(item)


class Fonts:
    """Fonts made larger, and given back."""

    def __init__(self) -> None:
        self._kept: list[tuple[QWidget, QFont, QWidget | None]] = []

    def enlarge(self, widget: QWidget, scale: float, pin: QWidget | None = None) -> None:
        """``widget``'s font ``scale`` times larger; its child ``pin`` (a view magnified on
        its own) keeps the size it had."""
        font = QFont(widget.font())
        if pin is not None:
            kept = QFont(pin.font())
            kept.setPointSizeF(kept.pointSizeF())  # set, not inherited: it stays this size
            pin.setFont(kept)
        self._kept.append((widget, font, pin))
        larger = QFont(font)
        larger.setPointSizeF(font.pointSizeF() * scale)
        widget.setFont(larger)

    def restore(self) -> None:
        """Every font as it was; a pinned child inherits its parent's again."""
        for widget, font, pin in reversed(self._kept):
            widget.setFont(font)
            if pin is not None:
                pin.setFont(QFont())  # a font that sets nothing: inherited again
        self._kept = []


def _pen_of(item: object) -> QPen | None:
    """The cosmetic line pen of a pyqtgraph item that has one (curves, lines, axes)."""
    if isinstance(item, pg.PlotCurveItem):
        return item.opts["pen"]
    if isinstance(item, pg.InfiniteLine):
        return item.pen
    if isinstance(item, pg.AxisItem):
        return item.pen()
    return None


class PresentationMode(QObject):
    """View ▸ Presentation mode: full screen, larger type, views magnified, editing panels
    hidden; leaving it puts everything back as it was."""

    active_changed = Signal(bool)

    def __init__(
        self,
        window: QMainWindow,
        views: list[QWidget],
        bars: list[QWidget],
        editing_docks: list[QDockWidget],
    ) -> None:
        """``views`` are magnified, ``bars`` (menus, toolbars, status) get larger type, the
        ``editing_docks`` are hidden."""
        super().__init__(window)
        self._window = window
        self._views = views
        self._bars = bars
        self._editing_docks = editing_docks
        self._magnifiers: list[Magnifier] = []
        self._fonts = Fonts()
        self._hidden_docks: list[QDockWidget] = []
        self._geometry = self._layout = QByteArray()
        self._active = False

    @property
    def scale(self) -> float:
        """How much larger views are drawn (1 outside presentation mode), exports included."""
        return PRESENTATION_SCALE if self._active else 1.0

    def set_active(self, active: bool) -> None:
        """Enter (True) or leave presentation mode; a setter that changes nothing does nothing."""
        if active == self._active:
            return
        self._active = active
        if active:
            self._enter()
        else:
            self._leave()
        self.active_changed.emit(active)

    def _enter(self) -> None:
        window = self._window
        self._geometry, self._layout = window.saveGeometry(), window.saveState()
        self._hidden_docks = [dock for dock in self._editing_docks if dock.isVisible()]
        for dock in self._hidden_docks:
            dock.hide()
        for bar in [*self._bars, *window.findChildren(QTabBar)]:
            self._fonts.enlarge(bar, PRESENTATION_SCALE)
        for dock in window.findChildren(QDockWidget):  # the title; the content is magnified
            self._fonts.enlarge(dock, PRESENTATION_SCALE, pin=dock.widget())
        window.showFullScreen()
        self._magnifiers = [Magnifier(view, PRESENTATION_SCALE) for view in self._views]

    def _leave(self) -> None:
        for magnifier in self._magnifiers:
            magnifier.remove()
        self._magnifiers = []
        self._fonts.restore()
        for dock in self._hidden_docks:
            dock.show()
        self._window.showNormal()
        self._window.restoreGeometry(self._geometry)  # maximised or not, where it was
        self._window.restoreState(self._layout)  # the docks' sizes too
