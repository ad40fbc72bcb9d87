"""A page of formulas and numbers whose widgets are built once and then only given new texts.

The backprop inspector redraws at every frame. Setting its page as rich text took 150 ms a
frame (Qt lays every table out anew, and each number as a link); here a frame builds a plain
description of the page (``Page``: headings, lines, one table per layer) and ``Sheet`` shows
it with labels, built again only when the page's shape changes (another architecture, another
selection); otherwise each label just gets its new text.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

FULL_ENTRIES = 6  # vectors and matrix rows up to this size are shown whole
SMALL = 1e-3  # below this, numbers are written with an exponent
NOTE_COLOR = "#666666"
HEADER_COLOR = "#555555"
_SUBSCRIPTS = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")
_TAGS = re.compile(r"<[^>]+>")


def format_number(value: float) -> str:
    """A number as the inspector shows it: 4 significant digits, a true minus sign, no sign
    on a zero (ReLU′ = 0 times a negative number is −0.0), and below 0.001 a short exponent,
    narrower than the zeros: −5.171e−4, not −0.0005171 (six such columns fit the window)."""
    value += 0.0
    text = f"{value:.3e}" if value and abs(value) < SMALL else f"{value:.4g}"
    if "e" in text:  # e-05 → e−5
        mantissa, exponent = text.split("e")
        text = f"{mantissa}e{int(exponent)}"
    return text.replace("-", "−")


def note(text: str) -> str:
    """``text`` in grey, as rich text."""
    return f'<span style="color: {NOTE_COLOR};">{text}</span>'


def subscript(*indices: int) -> str:
    """Subscript indices: ₁ or ₂,₃."""
    return ",".join(str(i) for i in indices).translate(_SUBSCRIPTS)


@dataclass(frozen=True)
class Cell:
    """One number: ``key`` names it in ``Page.cells``, ``tooltip`` says what it is."""

    key: str
    text: str
    tooltip: str


Part = str | Cell  # rich text, or a number


@dataclass(frozen=True)
class Column:
    """A column of a layer's table: a vector (n_l,) or a matrix (n_l, n_{l−1}) whose row j
    belongs to neuron j. ``key`` names its numbers, ``symbol`` is their name in the tooltips
    (plain text) and ``header`` in the table (rich text; a matrix's gets "row j" added)."""

    header: str
    key: str
    symbol: str
    values: np.ndarray


class Page:
    """The description of one frame's page: blocks of headings, lines and tables.

    ``cells`` maps a key such as ``z[1]_2`` (layer 1, neuron 2) or ``dW[2]_1,3`` (row 1,
    column 3) to the text shown. A layer of more than FULL_ENTRIES neurons shows neuron
    ``focus`` (from 1) and the norms.
    """

    def __init__(self, focus: int) -> None:
        self.focus = focus
        self.blocks: list[tuple] = []
        self.cells: dict[str, str] = {}

    def number(self, key: str, value: float, meaning: str) -> Cell:
        """One number, whose tooltip names it."""
        cell = Cell(key, format_number(value), f"{meaning} = {value:.10g}")
        self.cells[key] = cell.text
        return cell

    def vector(self, key: str, symbol: str, values: np.ndarray) -> list[Part]:
        """A short vector inline, [v₁, …]ᵀ (a long one: the focus entry and the norm)."""
        if len(values) > FULL_ENTRIES:
            j = min(self.focus, len(values))
            entry = self.number(f"{key}_{j}", values[j - 1], f"{symbol}{subscript(j)}")
            norm = self.number(f"‖{key}‖", float(np.linalg.norm(values)), f"‖{symbol}‖")
            return [f"entry {j}: ", entry, ", ‖·‖ = ", norm]
        parts: list[Part] = ["["]
        for i, value in enumerate(values.tolist(), start=1):
            parts += [", "] if i > 1 else []
            parts.append(self.number(f"{key}_{i}", value, f"{symbol}{subscript(i)}"))
        return [*parts, "]ᵀ"]

    def heading(self, title: str, comment: str = "") -> None:
        """A section's title, with a comment in grey."""
        self.blocks.append(
            ("heading", f"<b>{title}</b>" + (f" {note(comment)}" if comment else ""))
        )

    def line(self, *parts: Part) -> None:
        """A line of rich text and numbers."""
        self.blocks.append(("line", tuple(parts)))

    def layer_table(self, columns: list[Column], aliases: dict[str, str] | None = None) -> None:
        """One row per neuron j (for a large layer, the focus neuron and a row of norms);
        ``aliases`` gives other keys the same numbers go by (∂L/∂b^[l] is δ^[l])."""
        n = len(columns[0].values)
        neurons = range(1, n + 1) if n <= FULL_ENTRIES else [min(self.focus, n)]
        headers = [("j", 1)] + [self._header(c) for c in columns]
        rows = [[str(j), *(cell for c in columns for cell in self._cells(c, j))] for j in neurons]
        if n > FULL_ENTRIES:
            rows.append(["‖·‖", *(cell for c in columns for cell in self._norms(c))])
        self.blocks.append(("table", tuple(headers), tuple(tuple(row) for row in rows)))
        for alias, key in (aliases or {}).items():
            for name in [k for k in self.cells if k.startswith(f"{key}_")]:
                self.cells[alias + name[len(key) :]] = self.cells[name]

    def _header(self, column: Column) -> tuple[str, int]:
        if column.values.ndim == 1:
            return column.header, 1
        width = column.values.shape[1]
        if width > FULL_ENTRIES:  # the focus entry and the row's norm
            return f"{column.header}<sub>j,{min(self.focus, width)}</sub> · ‖row j‖", 2
        return f"{column.header}, row j", width

    def _cells(self, column: Column, j: int) -> list[Part]:
        key, symbol = column.key, column.symbol
        if column.values.ndim == 1:
            return [self.number(f"{key}_{j}", column.values[j - 1], symbol + subscript(j))]
        row = column.values[j - 1]
        if len(row) > FULL_ENTRIES:
            k = min(self.focus, len(row))
            entry = self.number(f"{key}_{j},{k}", row[k - 1], symbol + subscript(j, k))
            norm = self.number(f"‖{key}_{j}‖", float(np.linalg.norm(row)), f"‖{symbol} row {j}‖")
            return [entry, norm]
        return [
            self.number(f"{key}_{j},{k}", value, symbol + subscript(j, k))
            for k, value in enumerate(row.tolist(), start=1)
        ]

    def _norms(self, column: Column) -> list[Part]:
        norm = self.number(
            f"‖{column.key}‖", float(np.linalg.norm(column.values)), f"‖{column.symbol}‖"
        )
        width = 1 if column.values.ndim == 1 else min(column.values.shape[1], FULL_ENTRIES + 1)
        return [norm] + [""] * (width - 1)

    def shape(self) -> tuple:
        """What decides the widgets: the blocks, their parts' kinds and the tables' sizes."""
        return tuple(_shape_of(block) for block in self.blocks)

    def parts(self) -> list[Part]:
        """Every label's content, in the order ``Sheet`` builds the labels."""
        parts: list[Part] = []
        for block in self.blocks:
            if block[0] == "heading":
                parts.append(block[1])
            elif block[0] == "line":
                parts.extend(_line_labels(block[1]))
            else:
                parts.extend(header for header, _span in block[1])
                parts.extend(part for row in block[2] for part in row)
        return parts

    def plain_text(self) -> str:
        """The page as plain text."""
        return "\n".join(_plain(block) for block in self.blocks)


def _line_labels(parts: tuple[Part, ...]) -> list[Part]:
    """The labels of a line: one wrapping label when it holds no number."""
    if any(isinstance(part, Cell) for part in parts):
        return list(parts)
    return ["".join(parts)]  # type: ignore[arg-type]


def _shape_of(block: tuple) -> tuple:
    if block[0] == "heading":
        return ("heading",)
    if block[0] == "line":
        return ("line", tuple(isinstance(p, Cell) for p in _line_labels(block[1])))
    headers, rows = block[1], block[2]
    return ("table", tuple(span for _header, span in headers), tuple(len(row) for row in rows))


def _text_of(part: Part) -> str:
    return part.text if isinstance(part, Cell) else html.unescape(_TAGS.sub("", part))


def _plain(block: tuple) -> str:
    if block[0] == "heading":
        return _text_of(block[1])
    if block[0] == "line":
        return "".join(_text_of(part) for part in block[1])
    lines = [" ".join(_text_of(header) for header, _span in block[1])]
    lines += [" ".join(_text_of(part) for part in row) for row in block[2]]
    return "\n".join(lines)


class Sheet(QScrollArea):
    """Shows a Page; labels are built when the page's shape changes, else only refilled."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.StyledPanel)
        self.setBackgroundRole(self.palette().ColorRole.Base)
        self._shape: tuple | None = None
        self._labels: list[QLabel] = []
        self.cell_labels: dict[str, QLabel] = {}

    def show_page(self, page: Page) -> None:
        """Show ``page``."""
        if page.shape() != self._shape:
            self._build(page)
            self._shape = page.shape()
        self.cell_labels = {}
        for label, part in zip(self._labels, page.parts()):
            if isinstance(part, Cell):
                _set_number(label, part)
                self.cell_labels[part.key] = label
            else:
                label.setText(part)

    def _build(self, page: Page) -> None:
        content = QWidget()
        content.setBackgroundRole(self.palette().ColorRole.Base)
        layout = QVBoxLayout(content)
        layout.setContentsMargins(3, 4, 2, 4)
        layout.setSpacing(2)
        self._labels = []
        for block in page.blocks:
            if block[0] == "heading":
                label = self._label(wrap=True)
                label.setContentsMargins(0, 8, 0, 0)
                layout.addWidget(label)
            elif block[0] == "line":
                layout.addLayout(self._line_layout(_line_labels(block[1])))
            else:
                layout.addLayout(self._table_layout(block[1], block[2]))
        layout.addStretch(1)
        position = self.verticalScrollBar().value()
        self.setWidget(content)  # the old content is deleted
        self.verticalScrollBar().setValue(position)

    def _label(self, wrap: bool = False, number: bool = False) -> QLabel:
        label = QLabel()
        label.setTextFormat(Qt.PlainText if number else Qt.RichText)
        label.setWordWrap(wrap)
        if number:
            label.setAlignment(Qt.AlignRight | Qt.AlignVCenter)
            label.setFixedSize(0, label.fontMetrics().height())  # see _set_number
        self._labels.append(label)
        return label

    def _line_layout(self, parts: list[Part]) -> QHBoxLayout:
        row = QHBoxLayout()
        row.setSpacing(0)
        for part in parts:
            row.addWidget(self._label(wrap=len(parts) == 1, number=isinstance(part, Cell)))
        if len(parts) > 1:
            row.addStretch(1)
        return row

    def _table_layout(self, headers: tuple, rows: tuple) -> QGridLayout:
        grid = QGridLayout()
        grid.setContentsMargins(0, 0, 0, 6)
        grid.setHorizontalSpacing(5)
        grid.setVerticalSpacing(1)
        column = 0
        for _header, span in headers:
            label = self._label()
            label.setStyleSheet(f"color: {HEADER_COLOR}; border-bottom: 1px solid #bbbbbb;")
            if span == 1 and column > 0:  # over its numbers, which are right-aligned
                label.setAlignment(Qt.AlignRight | Qt.AlignBottom)
            grid.addWidget(label, 0, column, 1, span)
            column += span
        for r, row in enumerate(rows, start=1):
            for c, part in enumerate(row):
                label = self._label(number=isinstance(part, Cell) or c > 0)
                if c == 0:
                    label.setStyleSheet("color: #888888;")
                grid.addWidget(label, r, c, Qt.AlignRight)
        grid.setColumnStretch(column, 1)
        return grid


def _set_number(label: QLabel, cell: Cell) -> None:
    """Show ``cell`` in its fixed-size label, widened when its text needs it, never narrowed.

    A label of fixed size takes a new text without laying the page out again (that halved a
    frame's cost), and the columns do not jitter as the numbers change.
    """
    label.setText(cell.text)
    label.setToolTip(cell.tooltip)
    width = label.fontMetrics().horizontalAdvance(cell.text) + 1
    if width > label.minimumWidth():
        label.setFixedWidth(width)
