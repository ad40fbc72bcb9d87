"""GradientNormPlot: the timeline's stored norms per layer on a log axis, the frame marked."""

from __future__ import annotations

import numpy as np
import pytest

from mlpviz.core.config import HiddenLayer, NetworkConfig, TrainingConfig
from mlpviz.core.datasets import make_preset
from mlpviz.core.frame import Frame
from mlpviz.core.session import Session
from mlpviz.gui.gradient_norm_plot import GradientNormPlot

from .conftest import shown

DEEP_SIGMOID = NetworkConfig((HiddenLayer(8, "sigmoid"),) * 8)


@pytest.fixture
def plot(qtbot):
    return shown(qtbot, GradientNormPlot(), 520, 340)


def deep_session(iterations: int = 300) -> Session:
    data = make_preset("xor", n=200, noise=0.1, seed=0)
    session = Session(data, DEEP_SIGMOID, TrainingConfig())
    session.step(iterations)
    return session


def frame_of(session: Session, index: int | None = None) -> Frame:
    if index is None:
        return Frame(session.snapshot(), session.dataset, session.test_mask)
    snapshot, data = session.checkpoint_snapshot(index)
    return Frame(snapshot, data.dataset, data.test_mask, checkpoint=index)


def drawn(curve) -> tuple[np.ndarray, np.ndarray]:
    """A curve's drawn points, as values (the log axis draws log10 of them)."""
    x, y = curve.getData()
    shown = np.isfinite(y)
    return x[shown], 10.0 ** y[shown]


def test_curves_are_the_norms_the_timeline_stored(plot):
    session = deep_session()
    plot.show_frame(frame_of(session))
    timeline = session.timeline
    assert len(plot.gradient_curves) == len(plot.weight_curves) == 9
    iterations = np.array(timeline.iterations, dtype=float)
    for layer in range(9):
        x, y = drawn(plot.weight_curves[layer])
        np.testing.assert_array_equal(x, iterations)
        stored = [checkpoint.weight_norms[layer] for checkpoint in timeline]
        np.testing.assert_allclose(y, stored, rtol=1e-12)
        x, y = drawn(plot.gradient_curves[layer])
        np.testing.assert_array_equal(x, iterations[1:])  # none before the first update
        stored = [checkpoint.gradient_norms[layer] for checkpoint in list(timeline)[1:]]
        np.testing.assert_allclose(y, stored, rtol=1e-12)
    names = [label.text for _, label in plot.legend.items]
    assert names == [f"[{layer}]" for layer in range(1, 9)] + ["[9] out"]


def test_the_marker_stands_at_the_frame_iteration_and_old_frames_draw_the_same(plot, qtbot):
    session = deep_session(60)
    plot.show_frame(frame_of(session))
    assert plot.marker.value() == 60 and plot.marker.isVisible()
    live = [drawn(curve)[1] for curve in plot.gradient_curves]
    plot.show_frame(frame_of(session, 20))
    assert plot.marker.value() == 20
    for curve, before in zip(plot.gradient_curves, live):
        np.testing.assert_array_equal(drawn(curve)[1], before)  # the whole run, either way


def test_eight_sigmoid_layers_show_the_vanishing_gradient(plot):
    """The README's example: over the first updates each layer's gradient is below the next
    one's, and the first layer's is four orders of magnitude below the output layer's."""
    session = deep_session(30)
    plot.show_frame(frame_of(session))
    gradients = np.array([drawn(curve)[1] for curve in plot.gradient_curves])  # (L, 30)
    assert gradients.shape == (9, 30)
    assert np.all(np.diff(gradients, axis=0) > 0)
    assert np.all(gradients[0] < gradients[-1] / 1e4)


def test_a_new_architecture_gets_new_curves(plot):
    session = Session(make_preset("xor", n=50, seed=0), NetworkConfig((HiddenLayer(3),)))
    session.step(5)
    plot.show_frame(frame_of(session))
    assert len(plot.gradient_curves) == 2
    assert [label.text for _, label in plot.legend.items] == ["[1]", "[2] out"]


def test_a_run_without_updates_draws_its_weights_only(plot):
    session = Session(make_preset("xor", n=50, seed=0), DEEP_SIGMOID)
    plot.show_frame(frame_of(session))
    assert len(plot.gradient_curves) == 9
    assert len(drawn(plot.gradient_curves[0])[0]) == 0
    assert len(drawn(plot.weight_curves[0])[0]) == 1


def test_a_hidden_plot_draws_its_last_frame_when_shown(qtbot):
    plot = GradientNormPlot()
    session = deep_session(5)
    plot.show_frame(frame_of(session))
    assert plot.gradient_curves == []  # nobody sees it: nothing drawn
    shown(qtbot, plot, 400, 300)
    assert len(plot.gradient_curves) == 9 and plot.marker.value() == 5
