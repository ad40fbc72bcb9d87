"""The drawing pad: a stroke dragged with the mouse is preprocessed like the dataset's digits
and answered by the frame's network (live or a checkpoint); clearing empties the bars."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest

from mlpviz.core.config import DigitsNetworkConfig, HiddenLayer, TrainingConfig
from mlpviz.core.digits import ImageDataset, load_digits_8x8, timeline_options
from mlpviz.core.drawing import STYLES, centre_of_mass
from mlpviz.core.frame import Frame
from mlpviz.core.network import MLP
from mlpviz.core.session import Session
from mlpviz.gui.drawing_pad import (
    CANVAS_SIDE,
    EMIT_INTERVAL_MS,
    DrawingPad,
    DrawingPanel,
    ProbabilityBars,
)

from .conftest import run_events, save_screenshot, shown

# A "7" as fractions of the pad: the bar, then the long diagonal.
SEVEN = [(0.3, 0.22), (0.45, 0.22), (0.6, 0.21), (0.7, 0.22), (0.66, 0.35), (0.6, 0.5),
         (0.55, 0.65), (0.5, 0.8)]  # fmt: skip


def digits_session(side: int) -> Session:
    """A briefly trained session on the 8×8 digits, or on synthetic 28×28 images."""
    if side == 8:
        data = load_digits_8x8(0)
    else:
        rng = np.random.default_rng(0)
        y = np.arange(300) % 10
        X = (rng.random((300, 784)) < 0.05 + 0.02 * y[:, None]).astype(np.float32)
        data = ImageDataset(X, y, np.arange(300) % 5 == 0)
    config = DigitsNetworkConfig((HiddenLayer(16, "relu"),))
    session = Session(data, config, TrainingConfig("adam", 0.01, 32), **timeline_options(data))
    session.step(60)
    return session


def live_frame(session: Session) -> Frame:
    return Frame(session.snapshot(), session.dataset, session.test_mask)


def old_frame(session: Session, index: int = 3) -> Frame:
    snapshot, data = session.checkpoint_snapshot(index)
    return Frame(snapshot, data.dataset, data.test_mask, checkpoint=index)


@pytest.fixture(scope="module", params=[8, 28], ids=["8x8", "28x28"])
def session(request) -> Session:
    return digits_session(request.param)


@pytest.fixture(scope="module")
def digits8() -> Session:
    return digits_session(8)


@pytest.fixture
def panel(qtbot) -> DrawingPanel:
    return shown(qtbot, DrawingPanel(), 640, 400)


def pad_point(pad: DrawingPad, x: float, y: float) -> QPoint:
    """The viewport position of (x, y), fractions of the pad's sheet."""
    paper = pad.paper_rect()
    return QPoint(round(paper.left() + x * paper.width()), round(paper.top() + y * paper.height()))


def drag(pad: DrawingPad, points, wait_ms: int = 0) -> None:
    """Draw a stroke through ``points`` (fractions of the sheet) with the left button."""
    viewport = pad.viewport()
    QTest.mousePress(viewport, Qt.LeftButton, Qt.NoModifier, pad_point(pad, *points[0]))
    for point in points[1:]:
        QTest.mouseMove(viewport, pad_point(pad, *point))
        if wait_ms:
            run_events(wait_ms)
    QTest.mouseRelease(viewport, Qt.LeftButton, Qt.NoModifier, pad_point(pad, *points[-1]))


def inked_extent(image: np.ndarray, axis: int) -> int:
    """Rows (axis 1) or columns (axis 0) from the first inked one to the last."""
    inked = np.flatnonzero(image.any(axis=axis))
    return int(inked[-1] - inked[0] + 1)


def expected_probabilities(frame: Frame, processed: np.ndarray) -> np.ndarray:
    return frame.snapshot.net.predict_proba(processed.reshape(1, -1))[0]


def test_a_dragged_stroke_is_centred_and_scaled_like_the_datasets_digits(panel, session):
    side = session.dataset.image_shape[0]
    panel.show_frame(live_frame(session))
    drag(panel.pad, SEVEN)
    processed = panel.processed
    assert processed.shape == (side, side) and processed.max() == pytest.approx(1.0)
    assert np.array_equal(panel.processed_view.image, processed)
    assert f"({side}×{side})" in panel.caption.text()
    row, column = centre_of_mass(processed)
    box = STYLES[side].box
    assert inked_extent(processed, axis=1) in (box, box + 1)  # the 7 is taller than wide
    assert inked_extent(processed, axis=0) < inked_extent(processed, axis=1)
    assert abs(column - side / 2) <= 0.5  # centred across its width
    if side == 28:  # MNIST centres the centre of mass both ways; the 8×8 fills its height
        assert abs(row - side / 2) <= 0.5
    save_screenshot(panel, f"drawing-panel-{side}")


def test_the_bars_are_the_frame_networks_probabilities_live_and_from_the_timeline(panel, session):
    live, old = live_frame(session), old_frame(session)
    panel.show_frame(live)
    drag(panel.pad, SEVEN)
    bars = panel.bars
    expected = expected_probabilities(live, panel.processed)
    assert np.allclose(bars.probabilities, expected)
    assert np.allclose(bars.bars.opts["height"], expected)
    winner = int(np.argmax(expected))
    assert bars.percent_label.isVisible() and not bars.hint.isVisible()
    assert bars.percent_label.toPlainText() == f"{100 * expected[winner]:.0f} %"
    assert bars.bars.opts["brushes"][winner] != bars.bars.opts["brushes"][(winner + 1) % 10]
    assert bars.getPlotItem().viewRange()[1] == [0.0, 1.0]

    panel.show_frame(old)  # scrubbed back: the same drawing, that checkpoint's answer
    old_expected = expected_probabilities(old, panel.processed)
    assert np.allclose(bars.probabilities, old_expected)
    assert not np.allclose(old_expected, expected)
    panel.show_frame(live)
    assert np.allclose(bars.probabilities, expected)


def test_probabilities_are_computed_only_when_the_ink_or_the_network_changes(
    panel, session, monkeypatch
):
    calls = []
    predict_proba = MLP.predict_proba

    def counted(self, *args, **kwargs):
        calls.append(self)
        return predict_proba(self, *args, **kwargs)

    monkeypatch.setattr(MLP, "predict_proba", counted)
    live = live_frame(session)
    panel.show_frame(live)
    assert calls == []  # nothing drawn: nothing to answer
    drag(panel.pad, SEVEN)
    assert len(calls) == 1
    panel.show_frame(live)
    panel.show_frame(Frame(live.snapshot, live.dataset, live.test_mask, selection=3))
    assert len(calls) == 1  # the same network and ink
    panel.show_frame(old_frame(session))
    assert len(calls) == 2
    drag(panel.pad, [(0.4, 0.5), (0.6, 0.5)])
    assert len(calls) == 3


def test_a_blank_pad_redraws_no_bars_for_new_frames(panel, session, monkeypatch):
    draws = []
    monkeypatch.setattr(ProbabilityBars, "_draw", lambda self, *a, **k: draws.append(self))
    panel.show_frame(live_frame(session))
    panel.show_frame(old_frame(session))
    assert draws == []


@pytest.mark.parametrize("how", ["right click", "button", "Delete", "Backspace"])
def test_clearing_empties_the_pad_and_the_bars(panel, qtbot, digits8, how):
    panel.show_frame(live_frame(digits8))
    drag(panel.pad, SEVEN)
    assert panel.bars.probabilities is not None
    with qtbot.waitSignal(panel.pad.ink_changed) as blank:
        if how == "right click":
            QTest.mouseClick(panel.pad.viewport(), Qt.RightButton, Qt.NoModifier, QPoint(50, 50))
        elif how == "button":
            QTest.mouseClick(panel.clear_button, Qt.LeftButton)
        else:
            panel.pad.setFocus()
            QTest.keyClick(panel.pad, Qt.Key_Delete if how == "Delete" else Qt.Key_Backspace)
    assert not blank.args[0].any() and panel.pad.is_empty()
    assert panel.processed is None and not panel.processed_view.image.any()
    assert panel.bars.probabilities is None and panel.bars.hint.isVisible()
    assert not np.any(panel.bars.bars.opts["height"])
    with qtbot.assertNotEmitted(panel.pad.ink_changed):
        panel.pad.clear()  # already blank: nothing changes


def test_the_ink_is_sent_at_most_30_times_a_second_while_drawing_and_at_the_stroke_end(qtbot):
    pad = shown(qtbot, DrawingPad(), 300, 300)
    assert 1000 / EMIT_INTERVAL_MS <= 30
    sent = []
    pad.ink_changed.connect(sent.append)
    drag(pad, SEVEN)  # no event processed between the moves: only the stroke's end is sent
    assert len(sent) == 1
    ink = sent[0]
    assert ink.shape == (CANVAS_SIDE, CANVAS_SIDE) and ink.dtype == np.float32
    assert ink.min() >= 0.0 and ink.max() == pytest.approx(1.0)
    assert np.array_equal(ink, pad.ink())

    sent.clear()
    viewport = pad.viewport()
    QTest.mousePress(viewport, Qt.LeftButton, Qt.NoModifier, pad_point(pad, 0.2, 0.9))
    QTest.mouseMove(viewport, pad_point(pad, 0.8, 0.9))
    qtbot.waitUntil(lambda: len(sent) == 1)  # live while the button is still down
    QTest.mouseRelease(viewport, Qt.LeftButton, Qt.NoModifier, pad_point(pad, 0.8, 0.9))
    assert len(sent) == 2 and np.array_equal(sent[-1], pad.ink())
    assert sent[0][int(0.9 * CANVAS_SIDE), int(0.5 * CANVAS_SIDE)] > 0.9  # the new stroke


def test_an_empty_pad_shows_the_hint_and_no_bars(qtbot):
    bars = shown(qtbot, ProbabilityBars(), 300, 200)
    assert bars.probabilities is None and bars.hint.isVisible()
    assert bars.hint.toPlainText() == "draw a digit"
    bars.set_drawing(np.zeros((8, 8)))
    assert bars.probabilities is None


def test_a_dataset_image_loaded_into_the_pad_is_answered_and_can_be_edited(panel, digits8):
    frame = live_frame(digits8)
    panel.show_frame(frame)
    image = digits8.dataset.X[0]
    panel.set_image(image)
    assert not panel.pad.is_empty()
    assert np.abs(panel.processed.ravel() - image).mean() < 0.1  # much the same picture
    assert np.allclose(panel.bars.probabilities, expected_probabilities(frame, panel.processed))
    loaded = panel.processed.copy()
    drag(panel.pad, [(0.05, 0.05), (0.95, 0.95)])
    assert not np.allclose(panel.processed, loaded)


def test_a_hidden_panel_answers_once_shown(qtbot, digits8):
    panel = DrawingPanel()
    qtbot.addWidget(panel)
    frame = live_frame(digits8)
    panel.show_frame(frame)
    panel.set_image(digits8.dataset.X[5])
    assert panel.bars.probabilities is None  # behind another tab: not drawn
    panel.show()
    qtbot.waitExposed(panel)
    assert np.allclose(panel.bars.probabilities, expected_probabilities(frame, panel.processed))
