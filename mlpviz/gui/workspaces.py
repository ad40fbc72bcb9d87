"""Which workspace the window shows: the points of the plane (2-D) or the digits.

The 2-D workspace is the window's docks and bars around the data plane; the digits workspace
is one widget. Showing the digits hides the 2-D docks and bars (their layout is kept and put
back as it was) and disables the menu entries that only apply to points.
"""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QObject, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import (
    QDockWidget,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QSizePolicy,
    QStackedWidget,
    QToolBar,
    QToolButton,
    QWidget,
)

POINTS, DIGITS = "2d", "digits"
WORKSPACES = {
    POINTS: ("Points", "Ctrl+1", "pointsWorkspaceButton", "Points on the plane (2-D data)"),
    DIGITS: ("Digits", "Ctrl+2", "digitsWorkspaceButton", "Handwritten digits (images)"),
}


class WorkspaceSwitch(QObject):
    """The workspace switch (``workspaceBar``: Points | Digits, Ctrl+1 / Ctrl+2, at the right
    of the menu bar), and showing the chosen workspace.

    ``pages`` maps each workspace to the stack's page that shows it; ``points_bars`` are the
    2-D workspace's toolbars and ``points_actions`` its menu entries.
    """

    changed = Signal(str)  # the workspace now shown

    def __init__(
        self,
        window: QMainWindow,
        stack: QStackedWidget,
        pages: dict[str, QWidget],
        points_bars: list[QToolBar],
    ) -> None:
        super().__init__(window)
        self._window, self._stack, self._pages = window, stack, pages
        self._points_bars = points_bars
        self._points_actions: list[QAction] = []
        self._points_layout: QByteArray | None = None  # the 2-D docks' layout while hidden
        self._current = POINTS
        self._policies = {name: page.sizePolicy() for name, page in pages.items()}
        self._hold_size_of(POINTS)
        # In the menu bar's corner: always in view, and no toolbar row of its own.
        self.toolbar = QWidget(window)
        self.toolbar.setObjectName("workspaceBar")
        row = QHBoxLayout(self.toolbar)
        row.setContentsMargins(0, 0, 4, 0)
        row.setSpacing(2)
        row.addWidget(QLabel("Workspace:"))
        self._group = QActionGroup(self)
        self._group.setExclusive(True)
        self.actions: dict[str, QAction] = {}
        for name, (text, shortcut, object_name, tip) in WORKSPACES.items():
            action = QAction(text, self)
            action.setCheckable(True)
            action.setChecked(name == POINTS)
            action.setShortcut(QKeySequence(shortcut))
            action.setToolTip(f"{tip} ({shortcut})")
            action.triggered.connect(lambda _checked=False, n=name: self.set_current(n))
            self._group.addAction(action)
            button = QToolButton(objectName=object_name)
            button.setDefaultAction(action)
            button.setAutoRaise(True)
            row.addWidget(button)
            window.addAction(action)
            self.actions[name] = action
        window.menuBar().setCornerWidget(self.toolbar, Qt.Corner.TopRightCorner)

    @property
    def current(self) -> str:
        """The workspace shown: "2d" or "digits"."""
        return self._current

    def add_points_actions(self, actions: list[QAction]) -> None:
        """Menu entries that only apply to the 2-D workspace (disabled in the other)."""
        self._points_actions += actions
        for action in actions:
            action.setEnabled(self._current == POINTS)

    def points_layout(self) -> QByteArray:
        """The window's layout of the 2-D docks and bars (as it was, when they are hidden)."""
        return self._window.saveState() if self._current == POINTS else self._points_layout

    def _hold_size_of(self, name: str) -> None:
        """Only the page shown sets how small the window may be: a stack otherwise asks for
        the largest minimum of its pages, and the digits' columns would keep the window
        wider than a small screen in the 2-D workspace."""
        ignored = QSizePolicy.Policy.Ignored
        for page_name, page in self._pages.items():
            if page_name == name:
                page.setSizePolicy(self._policies[page_name])
            else:
                page.setSizePolicy(ignored, ignored)

    def _take_size_back(self, size: QSize) -> None:
        """Resize the window to ``size`` once the layout allows it again."""
        self._window.layout().activate()  # its minimum, from the bars as they are now
        self._window.resize(size)

    def set_current(self, name: str) -> None:
        """Show workspace ``name``; ValueError for an unknown one."""
        if name not in WORKSPACES:
            raise ValueError(f"unknown workspace {name!r}: choose one of {', '.join(WORKSPACES)}")
        self.actions[name].setChecked(True)
        if name == self._current:
            return
        if name == POINTS:
            size = self._window.size()
            self._stack.setCurrentWidget(self._pages[name])
            if self._points_layout is not None:
                self._window.restoreState(self._points_layout)
            # The bars shown again ask for their full width until laid out, widening a small
            # window: once they are, it takes its size back.
            QTimer.singleShot(0, self._window, lambda: self._take_size_back(size))
        else:
            self._points_layout = self._window.saveState()
            for widget in (*self._window.findChildren(QDockWidget), *self._points_bars):
                widget.hide()
            self._stack.setCurrentWidget(self._pages[name])
        self._current = name
        self._hold_size_of(name)
        for action in self._points_actions:
            action.setEnabled(name == POINTS)
        self.changed.emit(name)
