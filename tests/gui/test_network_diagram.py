"""NetworkDiagram: items per neuron and weight, colours by sign, live tooltips, reuse."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QPoint
from PySide6.QtGui import QColor, QHelpEvent
from PySide6.QtWidgets import (
    QApplication,
    QGraphicsEllipseItem,
    QGraphicsItem,
    QGraphicsLineItem,
    QToolTip,
)

from mlpviz.core.history import TrainingHistory
from mlpviz.core.network import MLP
from mlpviz.core.snapshot import Snapshot
from mlpviz.gui import style
from mlpviz.gui.network_diagram import NetworkDiagram

from .conftest import shown

SHOTS = Path("/tmp/shots")


@pytest.fixture
def diagram(qtbot):
    """A shown diagram of a usual size."""
    widget = shown(qtbot, NetworkDiagram(), 520, 340)
    return widget


def single_neuron(w1: float, w2: float, b: float = 0.0) -> MLP:
    net = MLP([2, 1], seed=0)
    net.weights[0] = np.array([[w1, w2]])
    net.biases[0] = np.array([b])
    return net


def view_point(diagram: NetworkDiagram, item: QGraphicsLineItem, t: float) -> QPoint:
    """The viewport pixel a fraction ``t`` along a link."""
    return diagram.mapFromScene(item.line().pointAt(t))


def tooltip_at(diagram: NetworkDiagram, point: QPoint) -> str:
    """Ask the diagram for its tooltip at ``point``, as Qt does when the pointer rests."""
    QToolTip.hideText()
    viewport = diagram.viewport()
    event = QHelpEvent(QEvent.ToolTip, point, viewport.mapToGlobal(point))
    QApplication.sendEvent(viewport, event)
    return QToolTip.text()


def rgb(color: QColor) -> np.ndarray:
    return np.array(color.getRgbF()[:3])


def test_one_item_per_neuron_and_per_weight(diagram):
    diagram.show_network(MLP([2, 4, 3], seed=0))
    assert diagram.node_count == 2 + 4 + 3
    assert diagram.link_count == 2 * 4 + 4 * 3
    items = diagram.scene().items()
    assert sum(isinstance(item, QGraphicsLineItem) for item in items) == 20
    assert sum(isinstance(item, QGraphicsEllipseItem) for item in items) == 9


def test_link_colour_follows_the_sign_and_width_grows_with_the_magnitude(diagram):
    net = MLP([2, 3, 1], seed=0)
    net.weights[0] = np.array([[1.0, -1.0], [0.5, -0.1], [0.05, 0.2]])
    diagram.show_network(net)
    strongest_positive = diagram.link_item(1, 1, 1).pen()
    strongest_negative = diagram.link_item(1, 1, 2).pen()
    assert strongest_positive.color().name() == QColor(style.POSITIVE_COLOR).name()
    assert strongest_negative.color().name() == QColor(style.NEGATIVE_COLOR).name()
    # weaker weights keep their sign's hue, faded towards the white background
    faint = rgb(diagram.link_item(1, 2, 2).pen().color())
    assert np.linalg.norm(faint - rgb(QColor(style.NEGATIVE_COLOR))) < np.linalg.norm(
        faint - rgb(QColor(style.POSITIVE_COLOR))
    )
    by_magnitude = [(3, 1), (2, 2), (2, 1), (1, 1)]  # |w| = 0.05, 0.1, 0.5, 1
    widths = [diagram.link_item(1, j, k).pen().widthF() for j, k in by_magnitude]
    assert widths == sorted(widths) and widths[0] < widths[-1]
    assert widths[0] >= 0.5  # |w| = 0.05 stays visible


def test_link_tooltip_shows_the_weight_and_follows_new_values(diagram):
    diagram.show_network(single_neuron(0.123456, -2.5))
    first_link = diagram.link_item(1, 1, 1)
    point = view_point(diagram, first_link, 0.3)
    text = tooltip_at(diagram, point)
    assert "w<sub>1,1</sub><sup>[1]</sup> = 0.1235" in text
    assert "x<sub>1</sub>" in text
    diagram.show_network(single_neuron(-0.0004321, -2.5))
    assert diagram.link_item(1, 1, 1) is first_link
    assert "= -0.0004321" in tooltip_at(diagram, point)
    second = tooltip_at(diagram, view_point(diagram, diagram.link_item(1, 1, 2), 0.3))
    assert "w<sub>1,2</sub><sup>[1]</sup> = -2.5" in second


def test_neuron_tooltip_shows_the_bias_and_activation(diagram):
    net = MLP([2, 3, 1], "relu", seed=0)
    net.biases[0] = np.array([0.0, 0.987654, 0.0])
    diagram.show_network(net)
    centre = diagram.mapFromScene(diagram.node_item(1, 2).rect().center())
    text = tooltip_at(diagram, centre)
    assert "b<sub>2</sub><sup>[1]</sup> = 0.9877" in text and "ReLU" in text
    output = diagram.mapFromScene(diagram.node_item(2, 1).rect().center())
    assert "sigmoid output" in tooltip_at(diagram, output)


def test_nothing_under_the_pointer_shows_no_tooltip(diagram):
    diagram.show_network(single_neuron(1.0, 1.0))
    assert tooltip_at(diagram, QPoint(diagram.width() // 2, 3)) == ""


def test_hovering_a_link_highlights_it_until_the_pointer_leaves(qtbot, diagram):
    diagram.show_network(single_neuron(0.2, 1.0))
    link = diagram.link_item(1, 1, 1)
    normal_width = link.pen().widthF()
    qtbot.mouseMove(diagram.viewport(), view_point(diagram, link, 0.4))
    qtbot.waitUntil(lambda: link.pen().widthF() > normal_width)
    diagram.show_network(single_neuron(0.3, 1.0))  # a new frame keeps the highlight
    strongest = diagram.link_item(1, 1, 2)
    assert link.pen().widthF() > strongest.pen().widthF()
    qtbot.mouseMove(diagram.viewport(), QPoint(diagram.width() // 2, 3))
    qtbot.waitUntil(lambda: link.pen().widthF() < normal_width + 1)


def test_same_architecture_reuses_items_and_another_rebuilds(diagram):
    diagram.show_network(MLP([2, 4, 1], seed=0))
    link, node = diagram.link_item(2, 1, 4), diagram.node_item(1, 3)
    diagram.show_network(MLP([2, 4, 1], seed=1))
    assert diagram.link_item(2, 1, 4) is link and diagram.node_item(1, 3) is node
    diagram.show_network(MLP([2, 4, 1], "relu", seed=1))  # a new activation: new captions
    assert diagram.link_item(2, 1, 4) is not link
    rebuilt = diagram.link_item(2, 1, 4)
    diagram.show_network(MLP([2, 5, 1], "relu", seed=1))
    assert diagram.link_count == 10 + 5
    assert rebuilt not in diagram.scene().items()


def test_show_snapshot_draws_the_snapshot_network(diagram):
    net = MLP([2, 3, 3], seed=4)
    snapshot = Snapshot(net, 0, 0, 0.7, 0.7, 0.5, 0.5, 0.0, TrainingHistory().arrays(), False)
    diagram.show_snapshot(snapshot)
    assert diagram.node_count == 8
    centre = diagram.mapFromScene(diagram.node_item(2, 3).rect().center())
    assert "softmax output" in tooltip_at(diagram, centre)


def test_resizing_lays_the_same_items_out_again(qtbot, diagram):
    diagram.show_network(MLP([2, 4, 1], seed=0))
    output = diagram.node_item(2, 1)
    before = output.rect().center().x()
    diagram.resize(800, 340)
    qtbot.waitUntil(lambda: output.rect().center().x() > before + 200)
    assert diagram.node_item(2, 1) is output


def test_large_layers_get_smaller_neurons_and_thinner_links(diagram):
    diagram.show_network(MLP([2, 4, 1], seed=0))
    small_radius = diagram.node_item(1, 1).rect().width()
    widest_small = max(diagram.link_item(2, 1, k).pen().widthF() for k in range(1, 5))
    diagram.show_network(MLP([2, 64, 64, 3], seed=0))
    assert diagram.node_item(1, 1).rect().width() < small_radius / 3
    widths = [diagram.link_item(2, j, k).pen().widthF() for j in range(1, 65) for k in (1, 2)]
    assert max(widths) < widest_small / 2
    # neighbouring neurons of a 64-neuron layer do not overlap
    gap = diagram.node_item(1, 2).rect().top() - diagram.node_item(1, 1).rect().bottom()
    assert gap > 0


def random_net(sizes: list[int], activation: str, seed: int) -> MLP:
    net = MLP(sizes, activation, seed=seed)
    net.params[:] = np.random.default_rng(seed).normal(0.0, 0.6, net.params.size)
    return net


@pytest.mark.parametrize(
    ("sizes", "activation", "name"),
    [([2, 8, 8, 1], "tanh", "network_diagram_8_8"), ([2, 64, 64, 3], "relu", "network_diagram_64")],
)
def test_screenshot(qtbot, diagram, sizes, activation, name):
    diagram.show_network(random_net(sizes, activation, seed=3))
    qtbot.wait(20)
    SHOTS.mkdir(exist_ok=True)
    image = diagram.grab().toImage()
    assert image.save(str(SHOTS / f"{name}.png"))
    assert image.pixelColor(2, 2).name() == "#ffffff"  # white background, as the plots


def test_a_wide_layer_draws_only_each_neurons_strongest_links(qtbot):
    """64 inputs a neuron: its LINKS_PER_NEURON strongest links are drawn, the others hidden
    (and not hovered); a narrow layer draws every link."""
    from mlpviz.gui.network_diagram import LINKS_PER_NEURON

    diagram = NetworkDiagram()
    qtbot.addWidget(diagram)
    diagram.resize(500, 400)
    net = MLP([2, 64, 64, 1], seed=0)
    diagram.show_network(net)
    W = net.weights[1]
    for j in range(64):
        shown = [k for k in range(64) if diagram.link_shown(2, j + 1, k + 1)]
        strongest = np.argsort(-np.abs(W[j]))[:LINKS_PER_NEURON]
        assert sorted(shown) == sorted(strongest.tolist())
        visible = [diagram.link_item(2, j + 1, k + 1).isVisible() for k in range(64)]
        assert visible == [k in shown for k in range(64)]
    assert all(diagram.link_shown(1, j, k) for j in range(1, 65) for k in (1, 2))
    net.weights[1][0, :] = 0.0
    net.weights[1][0, 5] = 3.0  # now the strongest link into neuron 1 of layer 2
    diagram.show_network(net)  # drawn at once or, the diagram being large, a little later
    qtbot.waitUntil(lambda: diagram.link_shown(2, 1, 6))


def crossing_colour(diagram: NetworkDiagram, net: MLP) -> np.ndarray:
    """The colour painted where the links x₁→h₂ and x₂→h₁ cross (half-way, by symmetry)."""
    diagram.show_network(net)
    centres = [
        diagram.node_item(layer, j).sceneBoundingRect().center()
        for layer, j in ((0, 1), (0, 2), (1, 1), (1, 2))
    ]
    middle = sum(centres[1:], centres[0]) / 4
    image = diagram.grab().toImage()
    return rgb(image.pixelColor(diagram.mapFromScene(middle)))


def colour_distance(seen: np.ndarray, colour: str) -> float:
    return float(np.abs(seen - rgb(QColor(colour))).sum())


def test_a_stronger_link_is_painted_over_a_weaker_one_whatever_its_colour(diagram):
    """Links are painted by strength, as one item each was stacked: the stronger of two
    crossing links is the one seen where they cross, be it positive or negative."""
    net = MLP([2, 2, 1], seed=0)
    for strong, weak in ((2.0, -0.3), (-2.0, 0.3)):
        net.weights[0] = np.array([[0.01, weak], [strong, 0.01]])  # x₂→h₁ weak, x₁→h₂ strong
        seen = crossing_colour(diagram, net)
        strong_colour, weak_colour = (style.POSITIVE_COLOR, style.NEGATIVE_COLOR)[
            :: int(np.sign(strong))
        ]
        assert colour_distance(seen, strong_colour) < colour_distance(seen, weak_colour)


def test_the_link_items_paint_nothing_but_a_hovered_one_paints_over_the_rest(diagram, qtbot):
    """One item paints every link (thousands of line items painted one by one were slow);
    the hovered link, highlighted, paints itself above them."""
    net = MLP([2, 3, 1], seed=0)
    diagram.show_network(net)
    flag = QGraphicsItem.GraphicsItemFlag.ItemHasNoContents
    links = [diagram.link_item(1, j, k) for j in (1, 2, 3) for k in (1, 2)]
    assert all(link.flags() & flag for link in links)
    link = diagram.link_item(1, 2, 1)
    qtbot.mouseMove(diagram.viewport(), view_point(diagram, link, 0.5))
    qtbot.waitUntil(lambda: not link.flags() & flag)
    assert link.pen().widthF() > max(other.pen().widthF() for other in links if other is not link)
    qtbot.mouseMove(diagram.viewport(), QPoint(2, 2))  # away: its look comes back
    qtbot.waitUntil(lambda: bool(link.flags() & flag))
