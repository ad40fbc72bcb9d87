"""render_boundary_png: a PNG of the requested size, regions the right way up, boundary, points."""

import numpy as np
import pytest
from PySide6.QtGui import QColor, QImage

from mlpviz.core import MLP
from mlpviz.core.datasets import MAX_COORDINATE, Dataset, make_preset
from mlpviz.core.regions import region_colors
from mlpviz.gui.style import CLASS_COLORS, class_rgb
from mlpviz.render import _ticks, render_boundary, render_boundary_png


@pytest.fixture(autouse=True)
def _application(qapp):
    """Fonts need a QApplication; pytest-qt's is the one render_boundary_png finds."""


def network(W, b):
    """A network with the given output weights and biases and no hidden layer."""
    W = np.asarray(W, dtype=float)
    net = MLP([2, W.shape[0]], seed=0)
    net.weights[0] = W
    net.biases[0] = np.asarray(b, dtype=float)
    return net


def pixels(path):
    """The PNG at ``path`` as an (h, w, 3) uint8 RGB array."""
    image = QImage(str(path))
    assert not image.isNull(), "not a readable PNG"
    image = image.convertToFormat(QImage.Format.Format_RGB888)
    rows = np.frombuffer(image.constBits(), np.uint8).reshape(image.height(), -1)
    return rows[:, : 3 * image.width()].reshape(image.height(), image.width(), 3).copy()


def rgb(hex_color):
    return np.array(QColor(hex_color).getRgb()[:3], dtype=float)


def region_color(cls):
    """The colour of a region where the network is sure of class ``cls``."""
    sure = np.eye(len(CLASS_COLORS))[cls : cls + 1]
    return region_colors(sure, class_rgb())[0].astype(float)


def count_near(image, color, tolerance=3):
    return int((np.abs(image.astype(float) - color).max(axis=2) <= tolerance).sum())


def dark_pixels(image, below=90):
    return int((image.max(axis=2) < below).sum())


SOME_POINTS = Dataset(np.array([[-4.0, -4.0], [4.0, 4.0]]), np.array([0, 1]))


def test_writes_a_png_of_the_requested_size_and_leaves_no_temporary_file(tmp_path):
    path = tmp_path / "figure.png"
    render_boundary_png(network([[3.0, 1.0]], [0.0]), SOME_POINTS, path, size=(640, 480))
    image = QImage(str(path))
    assert (image.width(), image.height()) == (640, 480)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert [p.name for p in tmp_path.iterdir()] == ["figure.png"]


def test_regions_are_the_right_way_up(tmp_path):
    """Class 1 (orange) where x₂ > 0: the top half of the plot; class 0 (blue) below."""
    path = tmp_path / "up.png"
    render_boundary_png(network([[0.0, 8.0]], [0.0]), SOME_POINTS, path)
    image = pixels(path)
    top, bottom = image[150:250, 200:600], image[550:650, 200:600]
    assert count_near(top, region_color(1)) > 0.9 * top.shape[0] * top.shape[1] - 200
    assert count_near(bottom, region_color(0)) > 0.9 * bottom.shape[0] * bottom.shape[1] - 200


def test_regions_left_and_right(tmp_path):
    path = tmp_path / "side.png"
    render_boundary_png(network([[8.0, 0.0]], [0.0]), SOME_POINTS, path)
    image = pixels(path)
    assert count_near(image[200:600, 150:300], region_color(0)) > 50_000
    assert count_near(image[200:600, 550:700], region_color(1)) > 50_000


def test_three_classes_show_three_region_colours(tmp_path):
    angles = 2 * np.pi * np.arange(3) / 3
    W = 6 * np.column_stack([np.cos(angles), np.sin(angles)])
    data = make_preset("spiral", n=60, seed=0, n_classes=3)
    path = tmp_path / "three.png"
    render_boundary_png(network(W, np.zeros(3)), data, path)
    image = pixels(path)
    for cls in range(3):
        assert count_near(image, region_color(cls)) > 20_000, f"class {cls} region missing"


def test_the_decision_boundary_is_drawn(tmp_path):
    """A plane cut in two has a dark boundary line that a one-class plane has not."""
    data = make_preset("linear", n=40, seed=0)
    cut, uniform = tmp_path / "cut.png", tmp_path / "uniform.png"
    render_boundary_png(network([[1.0, 1.0]], [0.0]), data, cut)
    render_boundary_png(network([[0.0, 0.0]], [9.0]), data, uniform)
    line_pixels = dark_pixels(pixels(cut)) - dark_pixels(pixels(uniform))
    assert line_pixels > 600  # the diagonal is about 980 px long and 2 px wide


def test_three_regions_have_a_boundary_between_each_pair(tmp_path):
    """Three sectors meeting in the middle: three dark rays, each drawn once."""
    angles = 2 * np.pi * np.arange(3) / 3
    W = 6 * np.column_stack([np.cos(angles), np.sin(angles)])
    data = make_preset("linear", n=40, seed=0)
    sectors, uniform = tmp_path / "sectors.png", tmp_path / "uniform.png"
    render_boundary_png(network(W, np.zeros(3)), data, sectors)
    render_boundary_png(network(np.zeros((3, 2)), np.array([9.0, 0.0, 0.0])), data, uniform)
    line_pixels = dark_pixels(pixels(sectors)) - dark_pixels(pixels(uniform))
    assert line_pixels > 3 * 300 * 2  # three rays of at least 300 px from the centre, 2 px wide


def test_test_points_are_hollow(tmp_path):
    one_point = Dataset(np.array([[0.0, 3.0]]), np.array([1]))
    net = network([[0.0, 0.0]], [-9.0])  # a class-0 region everywhere
    filled, hollow = tmp_path / "filled.png", tmp_path / "hollow.png"
    render_boundary_png(net, one_point, filled)
    render_boundary_png(net, one_point, hollow, test_mask=np.array([True]))
    orange = rgb(CLASS_COLORS[1])
    for path, centre_is_orange in ((filled, True), (hollow, False)):
        image = pixels(path)[:700]  # the plot, without the legend's orange disc below it
        rows, cols = np.nonzero(np.abs(image.astype(float) - orange).max(axis=2) <= 2)
        assert len(rows) > 30, "the point is not drawn in its class colour"
        centre = image[round(rows.mean()), round(cols.mean())].astype(float)
        assert (np.abs(centre - orange).max() <= 2) == centre_is_orange


def test_points_beyond_the_box_are_inside_the_picture(tmp_path):
    far = Dataset(np.array([[15.0, -15.0]]), np.array([1]))
    path = tmp_path / "far.png"
    render_boundary_png(network([[0.0, 0.0]], [-9.0]), far, path)
    assert count_near(pixels(path), rgb(CLASS_COLORS[1]), tolerance=2) > 40


def test_a_title_is_drawn_above_the_plot(tmp_path):
    plain, titled = tmp_path / "plain.png", tmp_path / "titled.png"
    net = network([[0.0, 0.0]], [9.0])  # no boundary line to cross the rows looked at
    render_boundary_png(net, SOME_POINTS, plain)
    render_boundary_png(net, SOME_POINTS, titled, title="xor · [2, 8, 8, 1]")
    above_plot = (slice(0, 58), slice(200, 600))  # clear of the tick labels
    # Text is near-black; the grey plot frame (which moves down for the title) is not counted.
    assert dark_pixels(pixels(plain)[above_plot], below=60) == 0
    assert dark_pixels(pixels(titled)[above_plot], below=60) > 100


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"size": (10, 800)}, "image size"),
        ({"test_mask": np.array([True])}, "test_mask"),
    ],
)
def test_invalid_arguments_are_refused_before_writing(tmp_path, kwargs, message):
    path = tmp_path / "bad.png"
    with pytest.raises(ValueError, match=message):
        render_boundary_png(network([[1.0, 0.0]], [0.0]), SOME_POINTS, path, **kwargs)
    assert not path.exists()


def spread(reach):
    """Points across the square ±reach, both classes, corners included."""
    unit = np.array([[1, -1], [-1, 1], [1, 1], [-1, -1], [0.3, -0.7], [-0.2, 0.5], [0, 0]])
    return Dataset(unit * reach, np.array([0, 1, 0, 1, 1, 0, 1]))


FAR_AWAY = [1e3, MAX_COORDINATE]  # datasets hold no farther point
NETWORKS = {
    "tanh layer": lambda: MLP([2, 8, 1], seed=1),
    "relu layers": lambda: MLP([2, 6, 6, 3], activations=["relu", "relu"], seed=2),
    "no hidden layer": lambda: MLP([2, 1], seed=3),
    "float32": lambda: MLP([2, 8, 1], seed=1).astype(np.float32),
}


@pytest.mark.parametrize("make_net", NETWORKS.values(), ids=NETWORKS)
@pytest.mark.parametrize("reach", FAR_AWAY)
def test_coordinates_as_far_as_datasets_go_give_a_png_without_warnings(tmp_path, reach, make_net):
    """Warnings are errors in this suite: no overflow, no NaN on the way."""
    path = tmp_path / "far.png"
    render_boundary_png(make_net(), spread(reach), path, size=(400, 300), title="far")
    image = pixels(path)
    assert image.shape == (300, 400, 3)
    assert count_near(image, rgb(CLASS_COLORS[0]), tolerance=2) > 20  # the points are drawn


@pytest.mark.parametrize("reach", FAR_AWAY)
def test_tick_labels_of_large_coordinates_fit_in_the_picture(tmp_path, reach):
    path = tmp_path / "labels.png"
    render_boundary_png(network([[0.0, 0.0]], [9.0]), spread(reach), path)
    image = pixels(path)
    assert dark_pixels(image[:, :4]) == 0, "a label runs over the left edge"
    assert dark_pixels(image[:, -4:]) == 0, "a label runs over the right edge"


@pytest.mark.parametrize(
    ("span", "labels"),
    [
        ((-6.0, 6.0), ["−6", "−4", "−2", "0", "2", "4", "6"]),
        ((-0.5, 0.5), ["−0.4", "−0.2", "0", "0.2", "0.4"]),
        ((-1.04e6, 1.04e6), ["−1e+06", "−5e+05", "0", "5e+05", "1e+06"]),
        ((-6.0, 1.6e6), ["0", "5e+05", "1e+06", "1.5e+06"]),
        ((-1.04e300, 1.04e300), ["−1e+300", "−5e+299", "0", "5e+299", "1e+300"]),
        (
            (-1.7e308, 1.7e308),
            ["−1.5e+308", "−1e+308", "−5e+307", "0", "5e+307", "1e+308", "1.5e+308"],
        ),
    ],
)
def test_tick_labels_are_short(span, labels):
    assert _ticks(*span, 7).labels == labels


def test_the_plot_is_framed_by_the_data_not_by_a_fixed_box(tmp_path):
    """Data spanning [−1.2, 2.1] × [−0.5, 0.9] fill the plot's width, with a margin."""
    corners = Dataset(np.array([[-1.2, -0.5], [2.1, 0.9]]), np.array([0, 1]))
    path = tmp_path / "framed.png"
    render_boundary_png(network([[0.0, 0.0]], [9.0]), corners, path, size=(800, 600))
    image = pixels(path)[:520]  # the plot, without the legend below it
    columns = [np.nonzero(np.abs(image - rgb(CLASS_COLORS[k])).max(axis=2) <= 2)[1] for k in (0, 1)]
    assert columns[1].mean() - columns[0].mean() > 0.7 * 800


def test_the_boundary_figure_as_svg_has_vector_points_and_text(tmp_path):
    import xml.etree.ElementTree as ET

    path = tmp_path / "boundary.svg"
    data = make_preset("linear", n=40, seed=0)
    render_boundary(network([[1.0, 1.0]], [0.0]), data, path, size=(640, 480), title="t")
    root = ET.parse(path).getroot()
    svg = "{http://www.w3.org/2000/svg}"
    assert (root.get("width"), root.get("height")) == ("640px", "480px")
    assert len(root.findall(f".//{svg}circle")) >= len(data)
    assert root.findall(f".//{svg}text") and root.findall(f".//{svg}image")
    assert [p.name for p in tmp_path.iterdir()] == ["boundary.svg"]
