"""The desktop application: PySide6 widgets and pyqtgraph plots over ``mlpviz.core``.

``MainWindow`` is imported on first use, so importing one panel does not build them all.
"""

__all__ = ["MainWindow"]


def __getattr__(name: str):
    if name == "MainWindow":
        from .main_window import MainWindow

        return MainWindow
    raise AttributeError(f"module 'mlpviz.gui' has no attribute {name!r}")
