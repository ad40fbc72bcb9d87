"""Starting the desktop application."""

from __future__ import annotations

import sys

from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication

from .main_window import RESOURCES, MainWindow
from .style import configure_pyqtgraph


def create_application(argv: list[str] | None = None) -> QApplication:
    """The QApplication with mlpviz's names (for QSettings), icon and plot style."""
    app = QApplication.instance() or QApplication(argv if argv is not None else sys.argv[:1])
    app.setOrganizationName("mlpviz")
    app.setApplicationName("mlpviz")
    app.setApplicationDisplayName("mlpviz")
    app.setWindowIcon(QIcon(str(RESOURCES / "mlpviz.svg")))
    configure_pyqtgraph()
    return app


def run_app(path: str | None = None) -> int:
    """Open the main window (with ``path``, a ``.mlpviz`` session or a CSV dataset, opened
    if given) and run until it closes."""
    app = create_application()
    window = MainWindow()
    window.show()
    if path is not None:
        window.open_path(path)
    return app.exec()
