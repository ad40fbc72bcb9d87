"""Where the user asks for a figure: File ▸ Export figure…'s dialog, each view's Export…
in its context menu, and a button on the data plane (whose right click removes points)."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QSpinBox,
    QToolButton,
    QWidget,
)

from . import figures

FORMAT_NAMES = {".png": "PNG image (pixels)", ".svg": "SVG (vectors, for editing)"}
CORNER_MARGIN = 6  # pixels between the data plane's export button and its corner


class ExportFigureDialog(QDialog):
    """Choose a view, a size in pixels and a format; ``export_requested`` says which."""

    export_requested = Signal(str, int, int, str)  # view name, width, height, ".png"/".svg"

    def __init__(self, views: dict[str, str], parent: QWidget | None = None) -> None:
        """``views`` maps the exportable views' names to their titles."""
        super().__init__(parent)
        self.setObjectName("exportFigureDialog")
        self.setWindowTitle("Export figure")
        self.view_combo = QComboBox(objectName="exportViewCombo")
        for name, title in views.items():
            self.view_combo.addItem(title, name)
        self.width_input = _side_input("exportWidthInput")
        self.height_input = _side_input("exportHeightInput")
        self.format_combo = QComboBox(objectName="exportFormatCombo")
        for suffix, text in FORMAT_NAMES.items():
            self.format_combo.addItem(text, suffix)
        self._build_layout()
        self.view_combo.currentIndexChanged.connect(self._on_view_changed)
        self._on_view_changed()

    def _build_layout(self) -> None:
        size = QHBoxLayout()
        size.addWidget(self.width_input)
        size.addWidget(QLabel("×"))
        size.addWidget(self.height_input)
        size.addWidget(QLabel("pixels"))
        form = QFormLayout(self)
        form.addRow("View", self.view_combo)
        form.addRow("Size", size)
        form.addRow("Format", self.format_combo)
        note = QLabel("The default size is a slide's, at twice the screen's sharpness.")
        note.setWordWrap(True)
        form.addRow(note)
        buttons = QDialogButtonBox(QDialogButtonBox.Save | QDialogButtonBox.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def select_view(self, name: str) -> None:
        """Preselect the view ``name`` (the one whose Export… was chosen)."""
        index = self.view_combo.findData(name)
        if index >= 0:
            self.view_combo.setCurrentIndex(index)

    def _on_view_changed(self) -> None:
        """Each view has its own default size (a plane is 4:3, a loss plot 16:9)."""
        name = self.view_combo.currentData()
        if name is not None:
            width, height = figures.view_spec(name).size
            self.width_input.setValue(width)
            self.height_input.setValue(height)

    def accept(self) -> None:
        """Close, and say what to export."""
        super().accept()
        self.export_requested.emit(
            self.view_combo.currentData(),
            self.width_input.value(),
            self.height_input.value(),
            self.format_combo.currentData(),
        )


def _side_input(name: str) -> QSpinBox:
    spin = QSpinBox(objectName=name)
    spin.setRange(figures.MIN_SIDE, figures.MAX_SIDE)
    spin.setSingleStep(100)
    spin.setAccelerated(True)
    return spin


def offer_export(view: QWidget, action: QAction) -> None:
    """Put ``action`` (Export…) in the view's context menu.

    A right click on a view whose plots have a pyqtgraph menu (the loss plot's zoom and
    axis options) gets Export… added at the end of that menu, as pyqtgraph did with its
    own exporter; any other view shows a menu of its actions.
    """
    scene = view.scene() if hasattr(view, "scene") else None
    if scene is not None and hasattr(scene, "contextMenu") and _has_plot_menu(scene):
        scene.contextMenu = [action]
    else:
        view.addAction(action)
        view.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)


def _has_plot_menu(scene) -> bool:
    """Whether a right click in the scene raises a pyqtgraph view box's menu."""
    return any(getattr(item, "menuEnabled", lambda: False)() for item in scene.items())


class CornerButton(QObject):
    """A small button kept at the top-right corner of a view, over it."""

    def __init__(self, view: QWidget, button: QToolButton) -> None:
        super().__init__(view)
        self._view = view
        self._button = button
        button.setParent(view)
        button.setAutoRaise(False)
        button.adjustSize()
        view.installEventFilter(self)
        self._place()
        button.show()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Follow the view's corner when it is resized."""
        if event.type() == QEvent.Type.Resize:
            self._place()
        return False

    def _place(self) -> None:
        button = self._button
        button.move(self._view.width() - button.width() - CORNER_MARGIN, CORNER_MARGIN)
