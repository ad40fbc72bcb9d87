"""Figures: every view exported from the Frame (PNG and SVG, at any size, however it is shown
on screen), the sheet, the loss record, the menus that ask for them, and presentation mode."""

import xml.etree.ElementTree as ET

import numpy as np
import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QAction, QContextMenuEvent, QFont, QFontMetricsF, QImage
from PySide6.QtSvg import QSvgRenderer
from PySide6.QtWidgets import (
    QApplication,
    QDockWidget,
    QFileDialog,
    QLabel,
    QMenu,
    QMessageBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from mlpviz.core.history import FIELDS
from mlpviz.gui import figures
from mlpviz.gui.figure_menu import ExportFigureDialog
from mlpviz.gui.loss_plot import LossPlot
from mlpviz.gui.presentation import PRESENTATION_SCALE

SVG = "{http://www.w3.org/2000/svg}"
VIEWS = ["dataPlane", "lossPlot", "weightsPlot", "networkDiagram"]
DOCKS = {"lossPlot": "lossDock", "weightsPlot": "weightsDock", "networkDiagram": "diagramDock"}


def pixels(path) -> np.ndarray:
    """The PNG at ``path`` as an (h, w, 4) uint8 array."""
    image = QImage(str(path)).convertToFormat(QImage.Format.Format_RGBA8888)
    assert not image.isNull(), f"{path} is not a readable PNG"
    rows = np.frombuffer(image.constBits(), np.uint8).reshape(image.height(), -1)
    return rows[:, : 4 * image.width()].reshape(image.height(), image.width(), 4).copy()


def svg_root(path) -> ET.Element:
    """The SVG at ``path``, parsed: it must be well-formed XML with an svg root."""
    root = ET.parse(path).getroot()
    assert root.tag == f"{SVG}svg"
    return root


def trained(qtbot, window, steps: int = 3):
    """Click Step a few times (the window is paused); the frame then shows the last."""
    step = window.toolbar.findChild(QWidget, "stepButton")
    for done in range(1, steps + 1):
        qtbot.mouseClick(step, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda done=done: window.frame.snapshot.iteration == done)
    return window.frame


def hide_view(window, name: str) -> None:
    """Put the view out of sight: its dock closed, or for the plane, the plane hidden."""
    if name == "dataPlane":
        window.data_plane.hide()
    else:
        window.findChild(QDockWidget, DOCKS[name]).hide()


def show_view(qtbot, window, name: str) -> None:
    if name == "dataPlane":
        window.data_plane.show()
    else:
        dock = window.findChild(QDockWidget, DOCKS[name])
        dock.show()
        dock.raise_()
    view = window.findChild(QWidget, name)
    qtbot.waitUntil(lambda: window._on_screen(view))


@pytest.mark.parametrize("name", VIEWS)
def test_a_hidden_view_exports_the_figure_a_visible_one_does(qtbot, window, tmp_path, name):
    trained(qtbot, window)
    hide_view(window, name)
    assert not window._on_screen(window.findChild(QWidget, name))
    hidden_png, hidden_svg = tmp_path / "hidden.png", tmp_path / "hidden.svg"
    window.export_view(name, hidden_png, width=900, height=500)
    window.export_view(name, hidden_svg, width=900, height=500)
    show_view(qtbot, window, name)
    shown_png = tmp_path / "shown.png"
    window.export_view(name, shown_png, width=900, height=500)

    hidden = pixels(hidden_png)
    assert hidden.shape == (500, 900, 4)
    assert (hidden[..., :3] < 128).any(), "the figure has no dark ink (text, lines)"
    np.testing.assert_array_equal(hidden, pixels(shown_png))
    root = svg_root(hidden_svg)
    assert (root.get("width"), root.get("height")) == ("900px", "500px")
    assert len(root.findall(f".//{SVG}text")) >= 3, "the SVG's text is not text"
    renderer = QSvgRenderer(str(hidden_svg))
    assert renderer.isValid() and renderer.defaultSize().toTuple() == (900, 500)


def test_weights_behind_the_diagram_tab_export_whole(qtbot, window, tmp_path):
    """The default layout: the weights' tab behind the diagram's (once a garbled picture)."""
    frame = trained(qtbot, window)
    assert not window._on_screen(window.weights_plot)  # its tab is behind the diagram's
    path = tmp_path / "weights.png"
    window.export_view("weightsPlot", path, width=800, height=600)
    reference = figures.render_figure("weightsPlot", frame, (800, 600))
    reference.save(str(tmp_path / "reference.png"))
    np.testing.assert_array_equal(pixels(path), pixels(tmp_path / "reference.png"))


def test_the_data_plane_svg_draws_points_as_vectors(qtbot, window, tmp_path):
    frame = trained(qtbot, window)
    path = tmp_path / "plane.svg"
    window.export_view("dataPlane", path)
    root = svg_root(path)
    discs = root.findall(f".//{SVG}circle") + root.findall(f".//{SVG}ellipse")
    assert len(discs) >= len(frame.dataset)
    assert root.findall(f".//{SVG}image"), "the regions are embedded as an image"


def test_the_plane_figure_hides_test_points_as_the_screen_does(qtbot, window, tmp_path):
    frame = trained(qtbot, window)
    window.data_plane.set_show_test_points(False)
    window.export_view("dataPlane", tmp_path / "plane.svg")
    discs = svg_root(tmp_path / "plane.svg").findall(f".//{SVG}circle")
    n_train = int((~frame.test_mask).sum())
    assert frame.test_mask.any()
    assert len(discs) == n_train + frame.dataset.n_classes  # points, then the class legend


def test_default_sizes_are_slide_sized_and_width_alone_keeps_the_screen_aspect(window, tmp_path):
    for name in VIEWS:
        window.export_view(name, tmp_path / f"{name}.png")
        width, height = figures.view_spec(name).size
        assert pixels(tmp_path / f"{name}.png").shape[:2] == (height, width)
        assert width / height in (16 / 9, 4 / 3)
    loss = window.loss_plot
    window.export_view("lossPlot", tmp_path / "wide.png", width=1000)
    assert pixels(tmp_path / "wide.png").shape[:2] == (
        round(1000 * loss.height() / loss.width()),
        1000,
    )


def test_larger_figures_get_proportionally_larger_type(window, tmp_path):
    """Laid out at the same size and drawn denser: a 2× figure is the 1× one, magnified."""
    window.export_view("networkDiagram", tmp_path / "small.png", width=800, height=450)
    window.export_view("networkDiagram", tmp_path / "large.png", width=1600, height=900)
    small = pixels(tmp_path / "small.png")[..., :3].astype(float)
    large = pixels(tmp_path / "large.png")[..., :3].astype(float)
    shrunk = large.reshape(450, 2, 800, 2, 3).mean(axis=(1, 3))
    assert np.abs(shrunk - small).mean() < 6  # the same picture, bar antialiasing


def test_bad_names_sizes_and_paths_give_one_line_errors(window, tmp_path):
    cases = [
        ("dataPlane", tmp_path / "plane.jpg", ValueError, "a .png or an .svg"),
        ("dataPlane", tmp_path / "no-folder" / "plane.png", OSError, "no folder"),
        ("dataPlane", tmp_path, ValueError, "a .png or an .svg"),
        ("noSuchView", tmp_path / "a.png", ValueError, "no view named"),
    ]
    for name, path, error, words in cases:
        with pytest.raises(error, match=words) as raised:
            window.export_view(name, path)
        assert "\n" not in str(raised.value)
    with pytest.raises(ValueError, match="pixels a side"):
        window.export_view("lossPlot", tmp_path / "huge.png", width=100_000, height=10)
    assert [p.name for p in tmp_path.iterdir()] == []


def test_the_menu_shows_a_bad_path_in_a_dialog(qtbot, window, tmp_path, monkeypatch):
    target = str(tmp_path / "missing" / "loss.png")
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *args, **kwargs: (target, ""))
    window._on_figure_requested("lossPlot", 800, 450, ".png")
    box = window.findChild(QMessageBox, "errorDialog")
    assert box is not None and "no folder" in box.text() and "\n" not in box.text()
    box.close()


def test_the_sheet_holds_every_view_under_a_title_naming_the_iteration(
    qtbot, window, tmp_path, monkeypatch
):
    trained(qtbot, window, steps=4)
    path = tmp_path / "sheet.png"
    window.export_sheet(path)
    assert pixels(path).shape[:2] == figures.SHEET_SIZE[::-1]
    titles = []
    real = figures.write_sheet
    monkeypatch.setattr(
        figures, "write_sheet", lambda frame, p, title, *a, **k: titles.append(title)
    )
    window.export_sheet(tmp_path / "sheet.svg")
    (title,) = titles
    assert "iteration 4" in title and "linear" in title and "sgd α = 0.1" in title
    assert "J train" in title and "accuracy" in title
    real(window.frame, tmp_path / "sheet.svg", title, (1920, 1080))
    assert svg_root(tmp_path / "sheet.svg").get("width") == "1920px"


def test_sheet_cells_do_not_overlap_and_stay_on_the_sheet():
    names = ["dataPlane", "lossPlot", "weightsPlot", "networkDiagram", "a", "b"]
    for count in range(1, len(names) + 1):
        cells = list(figures.sheet_cells(names[:count], 1600, 850).values())
        for i, cell in enumerate(cells):
            assert cell.left() >= 0 and cell.top() >= 0
            assert cell.right() <= 1600 + 1e-9 and cell.bottom() <= 850 + 1e-9
            assert cell.width() > 100 and cell.height() > 100
            assert not any(cell.intersects(other) for other in cells[i + 1 :])


def test_the_loss_record_is_written_as_csv_up_to_the_frame(qtbot, window, tmp_path):
    frame = trained(qtbot, window, steps=5)
    path = tmp_path / "loss.csv"
    window.export_loss_csv(path)
    lines = path.read_text().splitlines()
    assert lines[0] == "iteration,train_loss,test_loss,train_accuracy,test_accuracy"
    assert lines[0].split(",") == list(FIELDS)
    rows = [line.split(",") for line in lines[1:]]
    assert [int(row[0]) for row in rows] == list(range(6))
    assert float(rows[-1][1]) == frame.snapshot.train_loss


def test_export_is_in_the_views_context_menus_and_opens_the_dialog(qtbot, window):
    loss_action = window.loss_plot.scene().contextMenu[0]  # added to pyqtgraph's menu
    for view, action in (
        (window.loss_plot, loss_action),
        (window.weights_plot, window.weights_plot.actions()[0]),
        (window.network_diagram, window.network_diagram.actions()[0]),
    ):
        assert action.text() == "Export…"
        if view is not window.loss_plot:
            assert view.contextMenuPolicy() == Qt.ContextMenuPolicy.ActionsContextMenu
        action.trigger()
        dialog = window.findChild(ExportFigureDialog, "exportFigureDialog")
        assert dialog.isVisible() and dialog.view_combo.currentData() == view.objectName()
        dialog.reject()
        qtbot.waitUntil(lambda: window.findChild(ExportFigureDialog) is None)
    assert window.data_plane.actions() == []  # its right click removes points


@pytest.mark.parametrize("name", ["weightsPlot", "networkDiagram"])
def test_a_right_click_on_a_view_offers_export(qtbot, window, name):
    """A right click (Qt's context menu event) pops a menu up with Export…."""
    window.findChild(QDockWidget, DOCKS[name]).raise_()
    view = window.findChild(QWidget, name).viewport()
    shown = []

    def close_menus() -> None:
        for menu in QApplication.topLevelWidgets():
            if isinstance(menu, QMenu) and menu.isVisible():
                shown.append([action.text() for action in menu.actions()])
                menu.close()

    QTimer.singleShot(200, close_menus)  # the menu runs its own event loop until closed
    where = view.rect().center()
    QApplication.sendEvent(
        view, QContextMenuEvent(QContextMenuEvent.Reason.Mouse, where, view.mapToGlobal(where))
    )
    qtbot.waitUntil(lambda: shown == [["Export…"]])


def test_the_data_plane_export_button_writes_the_chosen_size(qtbot, window, tmp_path, monkeypatch):
    target = tmp_path / "plane"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), ""))
    button = window.findChild(QToolButton, "exportDataPlaneButton")
    assert button.isVisible()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    dialog = window.findChild(ExportFigureDialog, "exportFigureDialog")
    assert dialog.view_combo.currentData() == "dataPlane"
    dialog.width_input.setValue(1000)
    dialog.height_input.setValue(700)
    dialog.format_combo.setCurrentIndex(dialog.format_combo.findData(".svg"))
    dialog.accept()
    root = svg_root(tmp_path / "plane.svg")
    assert (root.get("width"), root.get("height")) == ("1000px", "700px")


def test_the_loss_plot_y_axes_leave_room_for_the_label_beside_100_percent(window):
    axis = window.loss_plot.accuracy_plot.getAxis("left")
    ticks = QFontMetricsF(axis.style["tickFont"]).horizontalAdvance("100%")
    label = QFont()
    label.setPointSizeF(11)
    assert axis.width() >= ticks + QFontMetricsF(label).height() + 10


def test_f11_enters_and_leaves_presentation_mode(qtbot, window, tmp_path, monkeypatch):
    action = window.findChild(QAction, "presentationModeAction")
    keys = [a for a in window.findChildren(QAction) if "F11" in a.shortcut().toString()]
    assert keys == [action], "F11 must belong to one action, or it is ambiguous and does nothing"
    window.resize(760, 560)  # the offscreen screen is small: a size it can give back
    qtbot.waitUntil(lambda: window.width() == 760)
    qtbot.wait(200)  # the docks take their share of the new width
    toolbar_size = window.toolbar.font().pointSizeF()
    shown = ("dataDock", "networkDock", "diagramDock", "lossDock")
    places = [window.findChild(QDockWidget, name).geometry() for name in shown]
    data_dock = window.findChild(QDockWidget, "dataDock")
    assert data_dock.isVisible()

    qtbot.keyClick(window, Qt.Key.Key_F11)
    qtbot.waitUntil(window.isFullScreen)
    qtbot.waitUntil(lambda: window.width() == window.screen().geometry().width())
    assert action.isChecked()
    assert (
        not data_dock.isVisible() and not window.findChild(QDockWidget, "networkDock").isVisible()
    )
    assert window.toolbar.font().pointSizeF() == pytest.approx(toolbar_size * PRESENTATION_SCALE)
    for view in (window.data_plane, window.loss_plot, window.network_diagram):
        assert view.transform().m11() == pytest.approx(PRESENTATION_SCALE)
    scales = []
    real = figures.write_figure
    monkeypatch.setattr(
        figures, "write_figure", lambda *a, **k: scales.append(k["scale"]) or real(*a, **k)
    )
    window.export_view("lossPlot", tmp_path / "loss.png")
    assert scales == [PRESENTATION_SCALE]

    qtbot.keyClick(window, Qt.Key.Key_F11)
    qtbot.waitUntil(lambda: not window.isFullScreen())
    assert not action.isChecked() and data_dock.isVisible()
    assert window.toolbar.font().pointSizeF() == pytest.approx(toolbar_size)
    for view in (window.data_plane, window.loss_plot, window.network_diagram):
        assert view.transform().m11() == pytest.approx(1.0)
    qtbot.waitUntil(lambda: (window.width(), window.height()) == (760, 560))
    qtbot.waitUntil(
        lambda: [window.findChild(QDockWidget, name).geometry() for name in shown] == places
    )


def test_presentation_mode_draws_points_larger(qtbot, window):
    """A point of the plane grows with the fonts, and is as before once the mode is left."""

    def point_area() -> int:
        image = window.data_plane.grab().toImage().convertToFormat(QImage.Format.Format_RGB888)
        rows = np.frombuffer(image.constBits(), np.uint8).reshape(image.height(), -1)
        rgb = rows[:, : 3 * image.width()].reshape(image.height(), image.width(), 3)
        return int((np.abs(rgb.astype(int) - (0, 114, 178)).max(axis=2) < 12).sum())

    next(a for a in window.findChildren(QAction) if a.text() == "&Clear all points").trigger()
    plane = window.data_plane.viewport()
    qtbot.mouseClick(plane, Qt.MouseButton.LeftButton, pos=plane.rect().center())
    qtbot.waitUntil(lambda: len(window.frame.dataset) == 1)
    before = point_area()
    assert before > 20
    action = window.findChild(QAction, "presentationModeAction")
    action.trigger()
    qtbot.waitUntil(window.isFullScreen)
    qtbot.wait(100)
    assert point_area() > 1.8 * before  # 1.5² larger
    action.trigger()
    qtbot.waitUntil(lambda: not window.isFullScreen())
    qtbot.wait(100)
    assert point_area() == pytest.approx(before, rel=0.1)


class PanelOfPlots(QWidget):
    """A view made of widgets (a label over a plot), as a future panel may be."""

    def __init__(self) -> None:
        super().__init__()
        layout = QVBoxLayout(self)
        self.label = QLabel("a panel")
        self.plot = LossPlot()
        layout.addWidget(self.label)
        layout.addWidget(self.plot)

    def show_frame(self, frame) -> None:
        self.label.setText(f"iteration {frame.snapshot.iteration}")
        self.plot.show_frame(frame)


def test_a_new_view_is_exported_once_registered(qtbot, window, tmp_path, monkeypatch):
    """One line in FIGURE_VIEWS: the menu lists it and export_view draws it, a panel of
    widgets as well as a single plot."""
    trained(qtbot, window)
    spec = figures.FigureView("Panel", PanelOfPlots, (1200, 900))
    monkeypatch.setitem(figures.FIGURE_VIEWS, "panelOfPlots", spec)
    window.export_view("panelOfPlots", tmp_path / "panel.png")
    window.export_view("panelOfPlots", tmp_path / "panel.svg")
    image = pixels(tmp_path / "panel.png")
    assert image.shape[:2] == (900, 1200)
    assert (image[:60, :, :3] < 100).any(), "the label over the plot is drawn"
    assert svg_root(tmp_path / "panel.svg").get("width") == "1200px"
    window._ask_figure()
    dialog = window.findChild(ExportFigureDialog, "exportFigureDialog")
    assert dialog.view_combo.findData("panelOfPlots") >= 0
    dialog.reject()


def test_a_view_with_nothing_to_show_is_not_offered(qtbot, window, tmp_path, monkeypatch):
    """A feature space needs a hidden layer: without one it is neither listed nor written."""
    spec = figures.FigureView("Feature space", PanelOfPlots, available=lambda frame: False)
    monkeypatch.setitem(figures.FIGURE_VIEWS, "featureSpaceLike", spec)
    with pytest.raises(ValueError, match="feature space has nothing to show"):
        window.export_view("featureSpaceLike", tmp_path / "features.png")
    assert list(tmp_path.iterdir()) == []
    window._ask_figure()
    dialog = window.findChild(ExportFigureDialog, "exportFigureDialog")
    assert dialog.view_combo.findData("featureSpaceLike") == -1
    dialog.reject()


def test_the_feature_space_exports_from_its_tab_once_there_is_a_hidden_layer(
    qtbot, window, tmp_path
):
    add_layer = window.network_editor.findChild(QWidget, "addLayerButton")
    qtbot.mouseClick(add_layer, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.frame.snapshot.net.depth == 2)
    frame = trained(qtbot, window, steps=1)
    assert not window._on_screen(window.findChild(QWidget, "featureSpacePlot"))  # a tab behind
    window.export_view("featureSpacePlot", tmp_path / "features.png", width=800, height=450)
    figures.render_figure("featureSpacePlot", frame, (800, 450)).save(str(tmp_path / "ref.png"))
    np.testing.assert_array_equal(pixels(tmp_path / "features.png"), pixels(tmp_path / "ref.png"))


@pytest.mark.parametrize("name", ["gradientNormPlot", "singleNeuronPanel"])
def test_the_inside_views_export_while_their_docks_are_closed(qtbot, window, tmp_path, name):
    """The default network is a single neuron: its panel and the gradient norms export as
    figures of the requested size with their docks closed, the same as drawn directly."""
    frame = trained(qtbot, window, steps=4)
    for dock in window.findChildren(QDockWidget):
        dock.hide()
    png, svg = tmp_path / f"{name}.png", tmp_path / f"{name}.svg"
    window.export_view(name, png, width=900, height=500)
    window.export_view(name, svg, width=900, height=500)
    reference = tmp_path / "reference.png"
    figures.render_figure(name, frame, (900, 500)).save(str(reference))
    drawn = pixels(png)
    assert drawn.shape == (500, 900, 4) and (drawn[..., :3] < 128).any()
    np.testing.assert_array_equal(drawn, pixels(reference))
    renderer = QSvgRenderer(str(svg))
    assert renderer.isValid() and renderer.defaultSize().toTuple() == (900, 500)
