"""DataPlane: mouse editing emits intent, points and decision regions are drawn correctly."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QApplication, QMenu

from mlpviz.core import MLP, Adam, Trainer
from mlpviz.core.datasets import BOX, Dataset, make_preset
from mlpviz.core.frame import Frame
from mlpviz.core.history import TrainingHistory
from mlpviz.core.regions import (
    WHITE_MIX,
    class_probabilities,
    grid_for_view,
    region_colors,
    unsure_where_undefined,
)
from mlpviz.core.snapshot import Snapshot
from mlpviz.gui.data_plane import (
    BRUSH_RADIUS_PX,
    GRID_CELLS,
    MAX_EDITED_POINTS,
    DataPlane,
    changed_points,
)
from mlpviz.gui.style import CLASS_COLORS, class_rgb

from .conftest import shown

SHOTS = Path("/tmp/shots")


@pytest.fixture
def plane(qtbot):
    widget = shown(qtbot, DataPlane(), 600, 560)
    qtbot.wait(50)  # the axes settle their widths after the first paint; pixels move then
    return widget


def snapshot_of(net: MLP) -> Snapshot:
    return Snapshot(net, 0, 0, 0.0, 0.0, 0.0, 0.0, 0.0, TrainingHistory().arrays(), False)


def pixel_of(plane: DataPlane, x: float, y: float) -> QPoint:
    """Viewport pixel showing the data point (x, y)."""
    scene = plane.getPlotItem().vb.mapViewToScene(QPointF(x, y))
    return plane.mapFromScene(scene)


def pixel_size(plane: DataPlane) -> float:
    return max(plane.getPlotItem().vb.viewPixelSize())


def image_of(plane: DataPlane) -> pg.ImageItem:
    (item,) = [i for i in plane.getPlotItem().items if isinstance(i, pg.ImageItem)]
    return item


def visible_menus() -> list[QMenu]:
    return [w for w in QApplication.topLevelWidgets() if isinstance(w, QMenu) and w.isVisible()]


def record(signal) -> list[tuple]:
    emitted: list[tuple] = []
    signal.connect(lambda *args: emitted.append(args))
    return emitted


def nearest_class(rgb: np.ndarray, n_classes: int) -> int:
    """Index of the lightened class colour closest to ``rgb`` (uint8, 3)."""
    palette = 255 * (WHITE_MIX + (1 - WHITE_MIX) * class_rgb()[:n_classes])
    return int(np.argmin(np.linalg.norm(palette - rgb.astype(float), axis=1)))


def image_pixel_at(plane: DataPlane, x: float, y: float) -> np.ndarray:
    """The region image's RGB at data point (x, y)."""
    image = image_of(plane)
    rect = image.mapRectToView(image.boundingRect())
    rows, cols = image.image.shape[:2]
    col = int((x - rect.left()) / rect.width() * cols)
    row = int((y - rect.top()) / rect.height() * rows)
    return image.image[row, col]


# --- small functions ------------------------------------------------------------------------
def test_grid_covers_the_view_with_cell_centres_rows_bottom_up():
    grid = grid_for_view((0.0, 10.0), (-5.0, 5.0), cells=10)
    assert grid.shape == (100, 2)
    assert grid[0] == pytest.approx([0.5, -4.5])
    assert grid[9] == pytest.approx([9.5, -4.5])  # first row: x₁ increases along it
    assert grid[10] == pytest.approx([0.5, -3.5])  # next row is higher in x₂
    assert grid[-1] == pytest.approx([9.5, 4.5])


def test_binary_output_becomes_two_class_probabilities():
    output = np.array([[0.2], [0.9]])
    assert class_probabilities(output) == pytest.approx(np.array([[0.8, 0.2], [0.1, 0.9]]))


def test_region_colors_are_lightened_class_colours_and_paler_when_unsure():
    colors = class_rgb()[:3]
    confident = region_colors(np.eye(3), colors)
    expected = 255 * (WHITE_MIX + (1 - WHITE_MIX) * colors)
    assert confident.dtype == np.uint8 and confident.shape == (3, 3)
    assert np.abs(confident.astype(float) - expected).max() <= 1
    unsure = region_colors(np.full((1, 3), 1 / 3), colors)
    assert unsure.astype(int).sum() > confident.astype(int).sum(axis=1).max()


def test_undefined_outputs_become_no_opinion():
    sigmoid = unsure_where_undefined(np.array([[0.9], [np.nan]]))
    assert sigmoid.tolist() == [[0.9], [0.5]]
    softmax = unsure_where_undefined(np.array([[0.2, 0.3, 0.5], [np.nan, 0.1, np.inf]]))
    assert softmax[0].tolist() == [0.2, 0.3, 0.5]
    assert softmax[1] == pytest.approx([1 / 3] * 3)


# --- editing by mouse ------------------------------------------------------------------------
def test_left_click_requests_a_point_of_the_current_class_where_clicked(qtbot, plane):
    plane.set_current_class(3)
    with qtbot.waitSignal(plane.points_requested) as blocker:
        qtbot.mouseClick(plane.viewport(), Qt.MouseButton.LeftButton, pos=pixel_of(plane, 2, -1))
    points, label, _ = blocker.args
    assert points.shape == (1, 2) and points.dtype == np.float64
    assert points[0] == pytest.approx([2, -1], abs=1.5 * pixel_size(plane))
    assert label == 3


def test_every_click_is_a_new_stroke(qtbot, plane):
    emitted = record(plane.points_requested)
    qtbot.mouseClick(plane.viewport(), Qt.MouseButton.LeftButton, pos=pixel_of(plane, 0, 0))
    qtbot.wait(600)  # longer than a double-click interval
    qtbot.mouseClick(plane.viewport(), Qt.MouseButton.LeftButton, pos=pixel_of(plane, 3, 3))
    assert len(emitted) == 2
    assert emitted[0][2] != emitted[1][2]


def test_clicking_on_an_existing_point_still_adds_one(qtbot, plane):
    plane.set_dataset(Dataset(np.array([[1.0, 1.0]]), np.array([0])))
    with qtbot.waitSignal(plane.points_requested):
        qtbot.mouseClick(plane.viewport(), Qt.MouseButton.LeftButton, pos=pixel_of(plane, 1, 1))


def test_right_click_near_a_point_requests_its_removal(qtbot, plane):
    plane.set_dataset(Dataset(np.array([[1.0, 1.0], [-3.0, 2.0], [4.0, 4.0]]), np.array([0, 1, 0])))
    near = pixel_of(plane, -3, 2) + QPoint(4, -3)
    with qtbot.waitSignal(plane.point_removal_requested) as blocker:
        qtbot.mouseClick(plane.viewport(), Qt.MouseButton.RightButton, pos=near)
    assert blocker.args == [1]
    assert visible_menus() == []


def test_right_click_far_from_every_point_requests_nothing(qtbot, plane):
    plane.set_dataset(Dataset(np.array([[1.0, 1.0]]), np.array([0])))
    with qtbot.assertNotEmitted(plane.point_removal_requested, wait=50):
        far = pixel_of(plane, 1, 1) + QPoint(15, 0)
        qtbot.mouseClick(plane.viewport(), Qt.MouseButton.RightButton, pos=far)


def drag(qtbot, plane, path: list[tuple[float, float]], button=Qt.MouseButton.LeftButton):
    """Press at path[0], move through the path, release; pixels are fixed before a pan moves."""
    viewport = plane.viewport()
    pixels = [pixel_of(plane, x, y) for x, y in path]
    qtbot.mousePress(viewport, button, pos=pixels[0])
    for pixel in pixels[1:]:
        qtbot.wait(30)  # slower than pyqtgraph's mouse-move rate limit and the brush interval
        qtbot.mouseMove(viewport, pixel)
    qtbot.mouseRelease(viewport, button, pos=pixels[-1])


def test_brush_drag_sprays_points_near_the_path_in_one_stroke(qtbot, plane):
    plane.set_current_class(1)
    emitted = record(plane.points_requested)
    path = [(-4.0, 0.0), *((-4.0 + 0.5 * i, 0.0) for i in range(1, 10))]
    drag(qtbot, plane, path)
    assert len(emitted) >= 4
    assert {label for _, label, _ in emitted} == {1}
    assert len({stroke for _, _, stroke in emitted}) == 1
    points = np.concatenate([p for p, _, _ in emitted])
    assert points.shape[0] >= len(emitted)
    tolerance = (BRUSH_RADIUS_PX + 2) * pixel_size(plane)
    assert np.abs(points[:, 1]).max() <= tolerance
    assert points[:, 0].min() >= -4 - tolerance and points[:, 0].max() <= 0.5 + tolerance

    drag(qtbot, plane, [(0.0, 3.0), (1.0, 3.0), (2.0, 3.0)])
    assert emitted[-1][2] != emitted[0][2]


def test_middle_drag_pans_in_draw_mode_without_adding_points(qtbot, plane):
    before = plane.getPlotItem().vb.viewRange()[0][0]
    with qtbot.assertNotEmitted(plane.points_requested):
        drag(qtbot, plane, [(0.0, 0.0), (1.0, 0.0), (2.0, 0.0)], Qt.MouseButton.MiddleButton)
    assert plane.getPlotItem().vb.viewRange()[0][0] == pytest.approx(before - 2, abs=0.3)


def test_pan_mode_left_drag_pans_and_right_click_opens_a_menu_without_export(qtbot, plane):
    plane.set_draw_mode(False)
    plane.set_dataset(Dataset(np.array([[1.0, 1.0]]), np.array([0])))
    before = plane.getPlotItem().vb.viewRange()[0][0]
    with (
        qtbot.assertNotEmitted(plane.points_requested),
        qtbot.assertNotEmitted(plane.point_removal_requested),
    ):
        drag(qtbot, plane, [(0.0, 0.0), (1.0, 0.0), (2.0, 0.0)])
        qtbot.wait(600)
        qtbot.mouseClick(plane.viewport(), Qt.MouseButton.RightButton, pos=pixel_of(plane, 1, 1))
    assert plane.getPlotItem().vb.viewRange()[0][0] == pytest.approx(before - 2, abs=0.3)
    (menu,) = visible_menus()
    assert menu.actions()
    assert not any("Export" in action.text() for action in menu.actions())
    menu.close()


def test_cursor_moves_are_reported_in_data_coordinates(qtbot, plane):
    with qtbot.waitSignal(plane.cursor_moved) as blocker:
        qtbot.mouseMove(plane.viewport(), pixel_of(plane, -2.5, 1.5))
    assert blocker.args == pytest.approx([-2.5, 1.5], abs=1.5 * pixel_size(plane))


# --- drawing the points ----------------------------------------------------------------------
def painted(plane: DataPlane) -> np.ndarray:
    """The plane as painted on screen, RGB (h, w, 3) uint8."""
    image = plane.grab().toImage().convertToFormat(QImage.Format.Format_RGB888)
    assert image.devicePixelRatio() == 1
    rows = np.frombuffer(image.constBits(), np.uint8).reshape(image.height(), -1)
    return rows[:, : 3 * image.width()].reshape(image.height(), image.width(), 3).copy()


def painted_view(plane: DataPlane) -> np.ndarray:
    """The plot area as painted, without the axes' ticks along its edges (they settle after a
    paint or two)."""
    area = plane.getPlotItem().vb.sceneBoundingRect().toRect().adjusted(8, 8, -8, -8)
    return painted(plane)[area.top() : area.bottom(), area.left() : area.right()]


def colour_at(picture: np.ndarray, plane: DataPlane, x: float, y: float, right: int = 0):
    """The painted RGB (3,) int at data point (x, y), or ``right`` pixels right of it."""
    pixel = pixel_of(plane, x, y)
    return picture[pixel.y(), pixel.x() + right].astype(int)


def near(rgb: np.ndarray, color: QColor, tolerance: int = 10) -> bool:
    return bool(np.abs(rgb - np.array(color.getRgb()[:3])).max() <= tolerance)


ISOLATED = np.array([[-4.0, 4.0], [4.0, 4.0], [-4.0, -4.0], [4.0, -4.0]])


def test_points_are_drawn_in_their_class_colours(plane):
    data = Dataset(ISOLATED, np.array([0, 1, 2, 3]))
    plane.set_dataset(data)
    positions, labels, hollow = plane.drawn_points()
    assert positions.tolist() == ISOLATED.tolist() and labels.tolist() == [0, 1, 2, 3]
    assert not hollow.any()
    picture = painted(plane)
    for (x, y), label in zip(ISOLATED, labels):
        assert near(colour_at(picture, plane, x, y), QColor(CLASS_COLORS[label]))


def test_test_points_are_hollow_and_can_be_hidden(plane):
    white = QColor("white")
    data = Dataset(ISOLATED[:2], np.array([1, 1]))
    plane.set_dataset(data, np.array([False, True]))
    assert plane.drawn_points()[2].tolist() == [False, True]
    picture = painted(plane)
    (x_train, y_train), (x_test, y_test) = ISOLATED[:2]
    assert near(colour_at(picture, plane, x_train, y_train), QColor(CLASS_COLORS[1]))
    assert near(colour_at(picture, plane, x_test, y_test), white)  # hollow…
    ring = QColor.fromRgb(*colour_at(picture, plane, x_test, y_test, right=4))
    assert ring.hue() == pytest.approx(QColor(CLASS_COLORS[1]).hue(), abs=8)  # …in a ring

    plane.set_show_test_points(False)
    assert plane.drawn_points()[0].tolist() == [[x_train, y_train]]
    picture = painted(plane)
    assert near(colour_at(picture, plane, x_test, y_test, right=4), white, tolerance=0)


def test_hidden_test_points_are_not_removed_by_right_click(qtbot, plane):
    plane.set_dataset(
        Dataset(np.array([[1.0, 1.0], [3.0, 3.0]]), np.array([0, 1])), np.array([True, False])
    )
    plane.set_show_test_points(False)
    with qtbot.assertNotEmitted(plane.point_removal_requested, wait=50):
        qtbot.mouseClick(plane.viewport(), Qt.MouseButton.RightButton, pos=pixel_of(plane, 1, 1))


# --- many points, edited one at a time ---------------------------------------------------------
MANY = 100_000
TEST_RATIO = 0.2


def crowd(m: int = MANY) -> Dataset:
    """``m`` points of classes 0–2 crowding the left half of the default view; the right half
    stays empty, for points that must be seen on their own."""
    rng = np.random.default_rng(1)  # not the split's seed: test points spread everywhere
    X = np.column_stack([rng.uniform(-BOX, -0.5, m), rng.uniform(-BOX, BOX, m)])
    return Dataset(X, rng.integers(0, 3, m))


def frame_of(data: Dataset, snapshot: Snapshot) -> Frame:
    return Frame(snapshot, data, data.test_mask(TEST_RATIO))


class EditingAsTheWindowDoes:
    """Answers the plane's requests as the main window does: the dataset with the edit, its
    split, a new live Frame."""

    def __init__(self, plane: DataPlane, data: Dataset) -> None:
        self.plane, self.data = plane, data
        self.snapshot = snapshot_of(single_neuron(0.0, 0.0, 9.0))  # one region everywhere
        plane.points_requested.connect(self.add)
        plane.point_removal_requested.connect(self.remove)
        self.show(data)

    def add(self, points: np.ndarray, label: int, _stroke: int) -> None:
        self.show(self.data.with_points(points, label))

    def remove(self, index: int) -> None:
        self.show(self.data.without_point(index))

    def show(self, data: Dataset) -> None:
        self.data = data
        self.plane.show_frame(frame_of(data, self.snapshot))


def click_and_paint(qtbot, plane: DataPlane, button: Qt.MouseButton, x: float, y: float) -> None:
    """Click at data point (x, y) and paint the plane, as the screen does before the next."""
    qtbot.mouseClick(plane.viewport(), button, pos=pixel_of(plane, x, y))
    plane.viewport().repaint()


def count_drawn(plane: DataPlane) -> tuple[np.ndarray, np.ndarray]:
    """How many points of each class are drawn (8,), filled and hollow."""
    _, labels, hollow = plane.drawn_points()
    return np.bincount(labels[~hollow], minlength=8), np.bincount(labels[hollow], minlength=8)


def shows_no_point(plane: DataPlane, x: float, y: float) -> bool:
    """Whether (x, y) has the colour of the empty corner (5, 5) of the one-region plane."""
    picture = painted(plane)
    empty = QColor.fromRgb(*colour_at(picture, plane, 5.0, 5.0))
    return near(colour_at(picture, plane, x, y), empty, tolerance=0)


def test_with_many_points_a_click_draws_exactly_one_more_point_of_the_current_class(qtbot, plane):
    editing = EditingAsTheWindowDoes(plane, crowd())
    plane.set_current_class(2)
    filled, hollow = count_drawn(plane)
    plane.viewport().repaint()
    click_and_paint(qtbot, plane, Qt.MouseButton.LeftButton, 3, 2)
    assert len(editing.data) == MANY + 1
    now_filled, now_hollow = count_drawn(plane)
    assert (now_filled + now_hollow).sum() == MANY + 1
    assert (now_filled + now_hollow - filled - hollow).tolist() == [0, 0, 1, 0, 0, 0, 0, 0]
    assert near(colour_at(painted(plane), plane, 3, 2), QColor(CLASS_COLORS[2]), tolerance=40)


def test_with_many_points_a_right_click_removes_the_nearest(qtbot, plane):
    lonely = [[3.0, 2.0], [3.6, 2.0]]
    data = crowd().with_points(lonely, 1)
    editing = EditingAsTheWindowDoes(plane, data)
    plane.viewport().repaint()
    click_and_paint(qtbot, plane, Qt.MouseButton.RightButton, 3.6 - pixel_size(plane) * 3, 2.0)
    assert len(editing.data) == MANY + 1
    assert editing.data.X[-1].tolist() == [3.0, 2.0]
    positions, _, _ = plane.drawn_points()
    assert [3.6, 2.0] not in positions.tolist() and [3.0, 2.0] in positions.tolist()
    assert shows_no_point(plane, 3.6, 2.0)


def test_with_many_points_test_points_are_drawn_hollow_and_can_be_hidden(plane):
    editing = EditingAsTheWindowDoes(plane, crowd())
    mask = editing.data.test_mask(TEST_RATIO)
    _, labels, hollow = plane.drawn_points()
    assert hollow.tolist() == mask.tolist() and labels.tolist() == editing.data.y.tolist()
    plane.set_show_test_points(False)
    positions, _, hollow = plane.drawn_points()
    assert not hollow.any() and positions.tolist() == editing.data.X[~mask].tolist()


def test_a_frame_of_an_older_dataset_draws_that_version(qtbot, plane):
    editing = EditingAsTheWindowDoes(plane, crowd())
    older = editing.data
    plane.viewport().repaint()
    for x in (1.0, 2.0, 3.0):
        click_and_paint(qtbot, plane, Qt.MouseButton.LeftButton, x, 1)
    click_and_paint(qtbot, plane, Qt.MouseButton.RightButton, 2, 1)
    assert len(editing.data) == MANY + 2
    plane.show_frame(frame_of(older, editing.snapshot))  # scrubbing back on the timeline
    positions, labels, hollow = plane.drawn_points()
    assert positions.tolist() == older.X.tolist() and labels.tolist() == older.y.tolist()
    assert hollow.tolist() == older.test_mask(TEST_RATIO).tolist()
    assert shows_no_point(plane, 1.0, 1.0)


def test_points_edited_one_by_one_look_as_if_drawn_at_once(qtbot, plane):
    """Redrawing only around the edited points gives the picture a whole redraw gives."""
    editing = EditingAsTheWindowDoes(plane, crowd(20_000))
    plane.viewport().repaint()
    for k, (x, y) in enumerate([(-3.0, 1.0), (-2.9, 1.1), (2.0, -2.0), (-1.0, 0.0)]):
        plane.set_current_class(k % 3)
        click_and_paint(qtbot, plane, Qt.MouseButton.LeftButton, x, y)
    for x, y in [(2.0, -2.0), (-2.9, 1.1)]:  # one alone, one in the crowd
        click_and_paint(qtbot, plane, Qt.MouseButton.RightButton, x, y)
    fresh = shown(qtbot, DataPlane(), 600, 560)
    qtbot.wait(50)
    fresh.show_frame(frame_of(editing.data, editing.snapshot))
    assert np.array_equal(painted_view(fresh), painted_view(plane))


def test_changes_found_between_two_lists_of_points():
    X = np.arange(20.0).reshape(10, 2)
    styles = np.zeros(10, dtype=np.int8)
    assert changed_points(X, styles, X, styles).shape == (0, 2)
    appended = np.vstack([X, [[50.0, 51.0]]])
    found = changed_points(X, styles, appended, np.zeros(11, dtype=np.int8))
    assert found.tolist() == [[50.0, 51.0]]
    removed = np.delete(X, 3, axis=0)
    assert changed_points(X, styles, removed, styles[:9]).tolist() == [[6.0, 7.0]]
    restyled = styles.copy()
    restyled[[2, 8]] = 1  # two points become test points while one is appended
    found = changed_points(X, styles, appended, np.append(restyled, 0))
    assert sorted(found.tolist()) == [[4.0, 5.0], [16.0, 17.0], [50.0, 51.0]]
    assert changed_points(X, styles, X[::-1], styles) is None  # not one block: redraw all
    many = np.zeros((MAX_EDITED_POINTS + 1, 2))
    assert changed_points(X, styles, np.vstack([X, many]), np.zeros(75, np.int8)) is None


def test_fit_view_shows_all_points_or_the_default_box(plane):
    plane.set_dataset(Dataset(np.array([[20.0, 20.0], [26.0, 23.0]]), np.array([0, 1])))
    plane.fit_view()
    (x0, x1), (y0, y1) = plane.getPlotItem().vb.viewRange()
    assert x0 < 20 < 26 < x1 and y0 < 20 < 23 < y1
    plane.set_dataset(Dataset.empty())
    plane.fit_view()
    (x0, x1), (y0, y1) = plane.getPlotItem().vb.viewRange()
    assert x0 <= -BOX and x1 >= BOX and y0 <= -BOX and y1 >= BOX
    assert x1 - x0 < 3 * BOX


# --- decision regions ------------------------------------------------------------------------
def single_neuron(w1: float, w2: float, b: float) -> MLP:
    net = MLP([2, 1])
    net.weights[0] = np.array([[w1, w2]])
    net.biases[0] = np.array([b])
    return net


def test_single_neuron_colours_each_side_and_draws_its_line(plane):
    plane.show_snapshot(snapshot_of(single_neuron(4.0, 0.0, 0.0)))
    image = image_of(plane)
    assert image.isVisible()
    assert image.image.shape == (150, 150, 3) and image.image.dtype == np.uint8
    assert image.image.flags["C_CONTIGUOUS"]
    assert nearest_class(image_pixel_at(plane, -3, 2), 2) == 0
    assert nearest_class(image_pixel_at(plane, 3, -2), 2) == 1

    segments = plane.boundary_segments
    cell = 12 / 150
    xs, ys = segments[:, [0, 2]], segments[:, [1, 3]]
    assert np.abs(xs).max() < cell  # on the line x₁ = 0
    assert ys.max() - ys.min() > 10  # across the whole view


def cell_size(plane: DataPlane) -> float:
    """The width of one cell of the region grid, in data units."""
    (x0, x1), _ = plane.getPlotItem().vb.viewRange()
    return (x1 - x0) / GRID_CELLS


def test_three_classes_give_three_coloured_regions_and_the_boundary_of_each_pair(plane):
    net = MLP([2, 3])  # logits −4x₁, 4x₁, 4x₂ − 8
    net.weights[0] = np.array([[-4.0, 0.0], [4.0, 0.0], [0.0, 4.0]])
    net.biases[0] = np.array([0.0, 0.0, -8.0])
    plane.show_snapshot(snapshot_of(net))
    assert nearest_class(image_pixel_at(plane, -4, -4), 3) == 0
    assert nearest_class(image_pixel_at(plane, 4, -4), 3) == 1
    assert nearest_class(image_pixel_at(plane, 0, 5), 3) == 2

    ends = plane.boundary_segments.reshape(-1, 2)
    x, y = ends[:, 0], ends[:, 1]
    distances = np.column_stack(  # to the edges 0|1 (x₁ = 0), 0|2 and 1|2 (x₂ = 2 + |x₁|)
        [np.where(y <= 2, np.abs(x), np.inf), np.abs(y - 2 - np.abs(x)) / np.sqrt(2)]
    )
    assert distances.min(axis=1).max() < cell_size(plane)
    (_, _), (_, top) = plane.getPlotItem().vb.viewRange()
    near_top = x[y > top - 2 * cell_size(plane)]
    assert y.min() < -5 and (near_top < 0).any() and (near_top > 0).any()  # all edges reach out


def test_a_trained_three_class_spiral_has_boundaries_where_the_class_changes(plane):
    data = make_preset("spiral", n=300, noise=0.1, seed=0, n_classes=3)
    net = MLP([2, 16, 16, 3], "tanh", seed=1)
    Trainer(net, Adam(0.02), data.X, data.y).run(300)
    plane.set_dataset(data)
    plane.show_snapshot(snapshot_of(net.copy()))
    segments = plane.boundary_segments
    assert len(segments) > 100
    # Around the middle of every segment, within a cell, the network predicts two classes.
    middles = (segments[:, :2] + segments[:, 2:]) / 2
    angles = np.linspace(0, 2 * np.pi, 12, endpoint=False)
    ring = cell_size(plane) * np.column_stack([np.cos(angles), np.sin(angles)])
    around = net.predict((middles[:, None, :] + ring).reshape(-1, 2)).reshape(len(middles), -1)
    assert (around.min(axis=1) != around.max(axis=1)).all()
    # Every pair of classes meets somewhere: the boundaries are not only those of one class.
    pairs = {tuple(sorted(set(row))) for row in around.tolist() if len(set(row)) == 2}
    assert pairs == {(0, 1), (0, 2), (1, 2)}


def grabbed_row(plane: DataPlane, y: float, x_from: float, x_to: float) -> np.ndarray:
    """RGB (n, 3) of the painted pixels along x₂ = y from x₁ = x_from to x_to."""
    start, end = pixel_of(plane, x_from, y), pixel_of(plane, x_to, y)
    return painted(plane)[start.y(), start.x() : end.x()]


def test_regions_are_painted_smoothly_not_cell_by_cell(plane):
    """Across a fade the colour changes from one pixel to the next, not once per grid cell."""
    plane.show_snapshot(snapshot_of(single_neuron(4.0, 0.0, 0.0)))  # fades over x₁ ∈ (0, 1)
    row = grabbed_row(plane, 3.0, 0.1, 1.0).astype(int)
    pixels_per_cell = len(row) / (0.9 / cell_size(plane))
    assert pixels_per_cell >= 3  # drawn cell by cell, most neighbours would be equal
    unchanged = (np.abs(np.diff(row, axis=0)).max(axis=1) == 0).mean()
    assert unchanged < 0.3


def test_panning_recomputes_regions_over_the_new_view(qtbot, plane):
    plane.show_snapshot(snapshot_of(single_neuron(4.0, 0.0, 0.0)))
    plane.setXRange(10, 20, padding=0)

    def covers_view():
        image = image_of(plane)
        shown = image.mapRectToView(image.boundingRect())
        view = plane.getPlotItem().vb.viewRect()
        return shown.left() == pytest.approx(view.left()) and shown.right() == pytest.approx(
            view.right()
        )

    qtbot.waitUntil(covers_view)
    assert nearest_class(image_pixel_at(plane, 15, 0), 2) == 1


class CountingMLP(MLP):
    """An MLP that counts how often the regions were computed."""

    calls = 0

    def predict_proba(self, X):
        CountingMLP.calls += 1
        return super().predict_proba(X)


def test_a_burst_of_view_changes_recomputes_the_regions_once(qtbot, plane):
    net = CountingMLP([2, 1])
    plane.show_snapshot(snapshot_of(net))
    CountingMLP.calls = 0
    for width in (8, 7, 6, 5):  # like the steps of a wheel zoom
        plane.setXRange(-width, width, padding=0)
    qtbot.wait(20)
    assert CountingMLP.calls == 1


def test_clear_regions_hides_them(plane):
    plane.show_snapshot(snapshot_of(single_neuron(1.0, 0.0, 0.0)))
    plane.clear_regions()
    assert not image_of(plane).isVisible()


# --- screenshot for the eye --------------------------------------------------------------------
def test_screenshot_of_a_trained_spiral(plane):
    data = make_preset("spiral", n=300, noise=0.1, seed=0, n_classes=3)
    mask = data.test_mask(0.2, seed=0)
    net = MLP([2, 16, 16, 3], "tanh", seed=1)
    Trainer(net, Adam(0.02), data.X[~mask], data.y[~mask]).run(300)
    plane.set_dataset(data, mask)
    plane.show_snapshot(snapshot_of(net.copy()))
    accuracy = (net.predict(data.X[~mask]) == data.y[~mask]).mean()
    assert accuracy > 0.9
    SHOTS.mkdir(parents=True, exist_ok=True)
    assert plane.grab().save(str(SHOTS / "data_plane_spiral.png"))
