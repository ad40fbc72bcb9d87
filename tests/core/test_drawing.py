"""The drawing pad's preprocessing puts a drawn digit on the dataset's scale: the 20×20 box
centred by centre of mass in 28×28 (MNIST), or the whole 8×8 (scikit-learn's digits)."""

from __future__ import annotations

import numpy as np
import pytest

from mlpviz.core.drawing import centre_of_mass, preprocess_drawing


def stroke_canvas(height=280, width=280) -> np.ndarray:
    """A thick ring and a bar off to the upper left of a large canvas, as a mouse draws."""
    rows, columns = np.mgrid[:height, :width]
    ink = ((np.hypot(rows - 90, columns - 70) - 35) ** 2 < 64).astype(float)
    ink[90:190, 120:130] = 1.0
    return ink


def extent(image: np.ndarray, axis: int) -> int:
    """Number of rows (axis 1) or columns (axis 0) from the first to the last inked one."""
    inked = np.flatnonzero(image.any(axis=axis))
    return int(inked[-1] - inked[0] + 1)


def test_mnist_style_fits_a_20_pixel_box_centred_by_centre_of_mass():
    image = preprocess_drawing(stroke_canvas(), 28)
    assert image.shape == (28, 28) and image.dtype == np.float32
    assert image.min() >= 0.0 and image.max() == 1.0
    row, column = centre_of_mass(image)
    assert abs(row - 14.0) < 0.5 and abs(column - 14.0) < 0.5  # the field's centre
    assert extent(image, axis=1) in (20, 21)  # the taller side fills the box (±1 partial)
    assert extent(image, axis=0) < 20


def test_8x8_style_fills_the_image_along_the_longer_side():
    image = preprocess_drawing(stroke_canvas(), 8)
    assert image.shape == (8, 8) and image.max() == 1.0
    assert extent(image, axis=1) == 8
    column = centre_of_mass(image)[1]
    assert abs(column - 4.0) < 1.0


def test_the_result_does_not_depend_on_where_or_how_large_the_digit_was_drawn():
    digit = stroke_canvas(140, 140)
    twice_as_large = np.zeros((400, 500))
    twice_as_large[90:370, 150:430] = np.kron(digit, np.ones((2, 2)))
    for side in (8, 28):
        expected = preprocess_drawing(digit, side)
        assert np.allclose(preprocess_drawing(twice_as_large, side), expected, atol=1e-6)


def test_an_empty_drawing_is_blank_and_bad_input_is_refused():
    assert not preprocess_drawing(np.zeros((50, 50)), 28).any()
    with pytest.raises(ValueError):
        preprocess_drawing(np.zeros((5, 5)), 16)
    with pytest.raises(ValueError):
        preprocess_drawing(np.zeros(25), 8)


def test_a_dataset_image_loaded_as_ink_is_centred_in_blocks_and_preprocesses_back():
    from mlpviz.core.drawing import image_to_ink

    image = np.zeros((8, 8), dtype=np.float32)
    image[:, 2:6] = np.linspace(0.25, 1.0, 8)[:, None]  # fills the box's height, as 8×8 digits do
    ink = image_to_ink(image.ravel(), 280)
    assert ink.shape == (280, 280) and ink.dtype == np.float32
    assert np.array_equal(ink[28:252, 28:252][::28, ::28], image)  # 28-pixel blocks, centred
    assert not ink[:28].any() and not ink[:, 252:].any()
    assert np.allclose(preprocess_drawing(ink, 8), image, atol=1e-6)
    with pytest.raises(ValueError):
        image_to_ink(np.zeros(10), 280)
    with pytest.raises(ValueError):
        image_to_ink(np.zeros((4, 16)), 280)
    with pytest.raises(ValueError):
        image_to_ink(np.zeros((28, 28)), 20)
