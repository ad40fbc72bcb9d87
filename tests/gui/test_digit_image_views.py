"""The digits workspace's image views: weight tiles, confusion matrix, misclassified gallery."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtCore import QPointF, Qt

from mlpviz.core.config import DigitsNetworkConfig, HiddenLayer, TrainingConfig
from mlpviz.core.digit_views import confusion_cell, misclassified
from mlpviz.core.digits import ImageDataset, timeline_options
from mlpviz.core.frame import Frame
from mlpviz.core.session import Session
from mlpviz.gui.digit_image_views import (
    ConfusionMatrixView,
    MisclassifiedGallery,
    WeightTilesView,
)

from .conftest import save_screenshot, shown


def _session(data: ImageDataset, hidden: tuple[int, ...], steps: int) -> Session:
    layers = tuple(HiddenLayer(size, "relu") for size in hidden)
    session = Session(
        data,
        DigitsNetworkConfig(layers),
        TrainingConfig("adam", 0.01, 32),
        **timeline_options(data),
    )
    session.step(steps)
    return session


@pytest.fixture(scope="module")
def digits():
    pytest.importorskip("sklearn")
    from mlpviz.core.digits import load_digits_8x8

    return load_digits_8x8(0)


@pytest.fixture(scope="module")
def trained(digits):
    """A [64, 32, 10] network after 200 Adam steps on the 8×8 digits, with its timeline."""
    return _session(digits, (32,), 200)


def _frame(session: Session) -> Frame:
    return Frame(session.snapshot(), session.dataset, session.test_mask)


def _old_frame(session: Session, index: int) -> Frame:
    snapshot = session.checkpoint_snapshot(index)[0]
    return Frame(snapshot, session.dataset, session.test_mask, checkpoint=index)


def _direct_confusion(frame: Frame) -> np.ndarray:
    test = frame.test_mask
    predicted = frame.snapshot.net.predict(frame.dataset.X[test])
    true = frame.dataset.y[test]
    return np.array(
        [[np.sum((true == t) & (predicted == p)) for p in range(10)] for t in range(10)]
    )


def _click_cell(qtbot, view: ConfusionMatrixView, row: int, column: int) -> None:
    scene_point = view.getPlotItem().vb.mapViewToScene(QPointF(column + 0.5, row + 0.5))
    qtbot.mouseClick(view.viewport(), Qt.LeftButton, pos=view.mapFromScene(scene_point))


# --- weight tiles ------------------------------------------------------------------------------
def test_weight_tiles_draw_every_neuron_in_one_image_on_one_symmetric_scale(qtbot, trained):
    view = shown(qtbot, WeightTilesView(), 900, 450)
    frame = _frame(trained)
    view.show_frame(frame)
    W = frame.snapshot.net.weights[0]
    assert view.objectName() == "weightTiles"
    assert np.array_equal(view.tiles.tiles, W.reshape(32, 8, 8))
    assert view.limit == pytest.approx(np.abs(W).max())
    assert view.color_bar.levels() == pytest.approx((-view.limit, view.limit))
    images = [item for item in view.plot.items if isinstance(item, pg.ImageItem)]
    assert images == [view.image]
    rows, columns = view.grid
    assert rows * columns >= 32 and columns > rows  # a wide view: a wide grid
    # The first tile's first pixel has its weight's colour (of 256); white would be w = 0.
    expected = diverging_byte(W[0, 0] / view.limit).astype(int)
    assert np.abs(view.image.image[0, 0, :3] - expected).max() <= 2
    view.resize(400, 800)
    qtbot.waitUntil(lambda: view.grid[0] > view.grid[1])  # a tall view: a tall grid
    save_screenshot(view, "digit-weight-tiles")


def diverging_byte(t: float) -> np.ndarray:
    """The colour of t = w / limit in −1 … 1 on the weights' map, as bytes."""
    from mlpviz.gui.style import diverging_colormap

    return diverging_colormap().map(np.array([t / 2 + 0.5]), mode="byte")[0, :3]


def test_hovering_a_tile_names_its_neuron(qtbot, trained):
    view = shown(qtbot, WeightTilesView(), 700, 500)
    view.show_frame(_frame(trained))
    columns = view.grid[1]
    tile = view.image.image.shape[1] / columns  # mosaic pixels per tile and gap, about
    x, y = 2.5 * tile, 1.5 * tile  # inside tile (row 1, column 2)
    scene_point = view.plot.vb.mapViewToScene(QPointF(x, y))
    qtbot.mouseMove(view.viewport(), view.mapFromScene(scene_point))
    neuron = columns + 2 + 1
    qtbot.waitUntil(lambda: view.image.toolTip().startswith(f"neuron {neuron} of 32"))
    assert "w = " in view.image.toolTip()


def test_without_a_hidden_layer_the_tiles_are_the_ten_digits_output_weights(qtbot, digits):
    view = shown(qtbot, WeightTilesView(), 700, 400)
    view.show_frame(_frame(_session(digits, (), 20)))
    assert len(view.tiles.tiles) == 10
    assert "output" in view.plot.titleLabel.text and "digit" in view.plot.titleLabel.text
    assert view.tooltip_at(0.5, 0.5).startswith("digit 0")


def _mnist_shaped(m_train: int = 60, m_test: int = 40) -> ImageDataset:
    rng = np.random.default_rng(0)
    m = m_train + m_test
    return ImageDataset(
        rng.random((m, 784), dtype=np.float32), np.arange(m) % 10, np.arange(m) >= m_train
    )


def test_five_hundred_twelve_mnist_tiles_are_still_one_image(qtbot):
    view = shown(qtbot, WeightTilesView(), 1200, 700)
    view.show_frame(_frame(_session(_mnist_shaped(), (512,), 1)))
    assert view.tiles.tiles.shape == (512, 28, 28)
    rows, columns = view.grid
    assert rows * columns >= 512 > (rows - 1) * columns
    assert [item for item in view.plot.items if isinstance(item, pg.ImageItem)] == [view.image]
    height, width = view.image.image.shape[:2]  # 28×28 tiles with thin gaps between
    assert rows * 28 < height < rows * 32 and columns * 28 < width < columns * 32


# --- confusion matrix --------------------------------------------------------------------------
def test_the_confusion_matrix_counts_the_test_set_and_titles_the_accuracy(qtbot, trained):
    view = shown(qtbot, ConfusionMatrixView(), 900, 600)
    frame = _frame(trained)
    view.show_frame(frame)
    assert view.objectName() == "confusionMatrix"
    assert view.matrix.tolist() == _direct_confusion(frame).tolist()
    assert view.accuracy == pytest.approx(frame.snapshot.test_accuracy)
    assert f"{100 * frame.snapshot.test_accuracy:.1f} %" in view.getPlotItem().titleLabel.text
    texts = view.cell_texts()
    for k, count in enumerate(view.matrix.ravel()):
        assert texts[k].split()[0] == str(count)
    share = 100 * view.matrix[0, 0] / view.matrix[0].sum()
    assert texts[0] == f"{view.matrix[0, 0]}\n{share:.0f} %"  # count and row percentage
    save_screenshot(view, "digit-confusion")


def test_a_scrubbed_frame_draws_its_checkpoints_confusion(qtbot, trained):
    view = shown(qtbot, ConfusionMatrixView(), 600, 450)
    gallery = shown(qtbot, MisclassifiedGallery(), 600, 450)
    view.show_frame(_frame(trained))
    old = _old_frame(trained, 5)
    view.show_frame(old)
    gallery.show_frame(old)
    assert view.matrix.tolist() == _direct_confusion(old).tolist()
    assert np.trace(view.matrix) / view.matrix.sum() == pytest.approx(old.snapshot.test_accuracy)
    assert view.accuracy != pytest.approx(trained.snapshot().test_accuracy)  # not the live run
    wrong = view.matrix.sum() - np.trace(view.matrix)
    assert len(gallery.entries) == wrong


def test_clicking_a_cell_emits_it_marks_it_and_the_gallery_shows_its_images(qtbot, trained):
    view = shown(qtbot, ConfusionMatrixView(), 700, 500)
    gallery = shown(qtbot, MisclassifiedGallery(), 700, 500)
    view.cell_clicked.connect(gallery.show_cell)  # as the workspace wires them
    frame = _frame(trained)
    view.show_frame(frame)
    gallery.show_frame(frame)
    off_diagonal = view.matrix - np.diag(np.diag(view.matrix))
    row, column = np.unravel_index(off_diagonal.argmax(), off_diagonal.shape)
    test = frame.test_mask
    true, predicted = frame.dataset.y[test], frame.snapshot.net.predict(frame.dataset.X[test])
    for cell in ((int(row), int(column)), (3, 3)):
        with qtbot.waitSignal(view.cell_clicked) as signal:
            _click_cell(qtbot, view, *cell)
        assert tuple(signal.args) == cell
        assert view.marked_cell == cell and view.mark.isVisible()
        count = view.matrix[cell]
        assert view.image.toolTip().startswith(f"{count} test image")  # hovered on release
        assert view.mark.rect() == pg.QtCore.QRectF(cell[1], cell[0], 1, 1)
        shown_indices = sorted(entry.index for entry in gallery.entries)
        assert shown_indices == confusion_cell(true, predicted, *cell).tolist()
        assert gallery.cell == cell and gallery.all_button.isVisible()
    confidences = [entry.confidence for entry in gallery.entries]  # the diagonal: close calls first
    assert confidences == sorted(confidences)


def test_a_click_outside_the_cells_emits_nothing(qtbot, trained):
    view = shown(qtbot, ConfusionMatrixView(), 500, 400)
    view.show_frame(_frame(trained))
    with qtbot.assertNotEmitted(view.cell_clicked):
        qtbot.mouseClick(view.viewport(), Qt.LeftButton, pos=pg.QtCore.QPoint(3, 3))
    assert view.marked_cell is None


def test_a_small_confusion_matrix_keeps_its_counts_readable(qtbot, trained):
    view = shown(qtbot, ConfusionMatrixView(), 400, 300)
    view.show_frame(_frame(trained))
    qtbot.wait(20)
    assert [text.split()[0] for text in view.cell_texts()] == [str(c) for c in view.matrix.ravel()]
    save_screenshot(view, "digit-confusion-small")


# --- gallery -----------------------------------------------------------------------------------
def test_the_gallery_shows_the_mistakes_worst_first_with_their_count(qtbot, trained):
    gallery = shown(qtbot, MisclassifiedGallery(), 900, 500)
    frame = _frame(trained)
    gallery.show_frame(frame)
    test = np.flatnonzero(frame.test_mask)
    expected = misclassified(
        frame.snapshot.net.predict_proba(frame.dataset.X[test]), frame.dataset.y[test]
    )
    assert [e.index for e in gallery.entries] == [e.index for e in expected]
    confidences = [e.confidence for e in gallery.entries]
    assert confidences == sorted(confidences, reverse=True)
    assert all(e.true != e.predicted for e in gallery.entries)
    assert f"<b>{len(expected):,}</b> of {len(test):,}" in gallery.header.text()
    assert not gallery.all_button.isVisible()
    save_screenshot(gallery, "digit-gallery")


def test_the_gallery_pages_and_goes_back_to_all_mistakes(qtbot, trained):
    gallery = shown(qtbot, MisclassifiedGallery(), 400, 300)
    gallery.show_frame(_frame(trained))
    everything = gallery.entries
    capacity = len(gallery.shown_entries)
    assert gallery.page_count == -(-len(everything) // capacity) > 1
    assert gallery.shown_entries == everything[:capacity]
    qtbot.mouseClick(gallery.next_button, Qt.LeftButton)
    assert gallery.page == 1 and gallery.shown_entries == everything[capacity : 2 * capacity]
    true, predicted = everything[0].true, everything[0].predicted
    gallery.show_cell(true, predicted)
    assert gallery.page == 0 and all(
        (e.true, e.predicted) == (true, predicted) for e in gallery.entries
    )
    qtbot.mouseClick(gallery.all_button, Qt.LeftButton)
    assert gallery.cell == (None, None) and gallery.entries == everything


def test_clicking_an_image_emits_its_dataset_index(qtbot, trained):
    gallery = shown(qtbot, MisclassifiedGallery(), 600, 400)
    frame = _frame(trained)
    gallery.show_frame(frame)
    second = gallery.entries[1]
    with qtbot.waitSignal(gallery.image_clicked) as signal:
        qtbot.mouseClick(gallery.grid, Qt.LeftButton, pos=gallery.grid.thumbnail_rect(1).center())
    index = signal.args[0]
    assert index == np.flatnonzero(frame.test_mask)[second.index]
    assert frame.dataset.y[index] == second.true


def test_confusion_and_gallery_run_the_test_set_once_a_frame(qtbot, trained, inference_calls):
    view = shown(qtbot, ConfusionMatrixView(), 500, 400)
    gallery = shown(qtbot, MisclassifiedGallery(), 500, 400)
    calls = inference_calls
    frame = _frame(trained)
    for _ in range(2):  # the same frame twice: nothing is computed again
        view.show_frame(frame)
        gallery.show_frame(frame)
    assert len(calls) == 1
