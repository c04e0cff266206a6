"""The small conv classifier's training helper and its ``zoom_shift``
augmentation (what the DTN's f needs to read the other digit set's framing).

The digits are scikit-learn's at 28 px: they fill the frame, like USPS. The
"other framing" is the same digits shrunk to 18 px in the middle of the frame,
as MNIST's digits sit in a 20 px box.
"""

import numpy as np
import pytest
from digit_frames import SMALL, shrink, shuffled_digits

from keras_gans.errors import GANConfigError, GANInputError
from keras_gans.networks.classifier import (
    classifier_accuracy,
    train_classifier,
    zoom_shift,
)


@pytest.fixture(scope="module")
def digits():
    return shuffled_digits()


def test_zoom_shift_keeps_shape_range_and_shrinks_into_the_frame(digits):
    x = digits[0][:64]
    out = zoom_shift(x, np.random.default_rng(0))
    assert out.shape == x.shape and out.dtype == np.float32
    assert out.min() >= -1.0 and out.max() <= 1.0
    # some copies are shrunk, some not: side 28 is one of the six sides
    changed = [not np.allclose(a, b) for a, b in zip(out, x)]
    assert 0 < sum(changed) < len(x)
    # two sides only, 14 and 28: each copy is its original or fits in 14 x 14
    half = zoom_shift(x, np.random.default_rng(0), min_scale=0.5, steps=2)
    for a, b in zip(half, x):
        if np.array_equal(a, b):
            continue
        rows, cols = np.flatnonzero((a != -1).any(axis=(1, 2))), np.flatnonzero(
            (a != -1).any(axis=(0, 2)))
        assert rows[-1] - rows[0] < 14 and cols[-1] - cols[0] < 14
    # the same rng seed gives the same copies; another seed other ones
    np.testing.assert_array_equal(out, zoom_shift(x, np.random.default_rng(0)))
    assert not np.array_equal(out, zoom_shift(x, np.random.default_rng(1)))


def test_zoom_shift_at_scale_one_is_the_identity(digits):
    x = digits[0][:16]
    np.testing.assert_allclose(zoom_shift(x, np.random.default_rng(0), min_scale=1.0), x)


def test_zoom_shift_refuses_bad_input(digits):
    rng = np.random.default_rng(0)
    with pytest.raises(GANInputError, match="square"):
        zoom_shift(np.zeros((2, 28, 20, 1), "float32"), rng)
    with pytest.raises(GANInputError, match="square"):
        zoom_shift(np.zeros((28, 28, 1), "float32"), rng)
    with pytest.raises(GANConfigError, match="min_scale"):
        zoom_shift(digits[0][:2], rng, min_scale=0.0)


@pytest.mark.slow
def test_train_classifier_applies_augment_once_per_epoch(digits):
    x, y = digits[0][:64], digits[1][:64]
    calls = []

    def flip(images, rng):
        calls.append(rng.integers(1 << 30))
        return images[:, :, ::-1]

    train_classifier(x, y, epochs=3, seed=0, augment=flip, **SMALL)
    assert len(calls) == 3 and len(set(calls)) == 3  # afresh each epoch, one seeded rng


def test_train_classifier_refuses_bad_augment(digits):
    x, y = digits[0][:32], digits[1][:32]
    with pytest.raises(GANConfigError, match="augment must be"):
        train_classifier(x, y, epochs=1, augment="zoom", **SMALL)
    with pytest.raises(GANConfigError, match="changed the images' shape"):
        train_classifier(x, y, epochs=1, augment=lambda im, rng: im[:, :20], **SMALL)


@pytest.mark.slow
def test_train_classifier_with_no_epochs_is_the_untrained_network(digits):
    """What a resumed recipe builds before loading its saved weights."""
    x, y = digits[0][:32], digits[1][:32]
    untrained = train_classifier(x, y, epochs=0, seed=0, **SMALL)
    trained = train_classifier(x, y, epochs=1, seed=0, **SMALL)
    assert untrained.output_shape == (None, 10)
    assert any(not np.allclose(a, b) for a, b in
               zip(untrained.get_weights(), trained.get_weights()))


@pytest.mark.slow
def test_zoom_shift_teaches_the_classifier_the_other_framing(digits):
    """Trained on full-frame digits only, a classifier reads the shrunk,
    centred digits barely above chance (0.18-0.22 measured on TF and JAX, two
    seeds); trained on zoom_shift copies of the same images it reads them at
    0.66-0.73, at some cost on full-frame test digits (0.94-0.96 -> 0.86-0.88)."""
    x, y = digits
    test_shrunk = shrink(x[1000:])
    plain = train_classifier(x[:1000], y[:1000], epochs=6, seed=0, **SMALL)
    zoomed = train_classifier(x[:1000], y[:1000], epochs=6, seed=0, augment="zoom_shift",
                              **SMALL)
    plain_acc = classifier_accuracy(plain, test_shrunk, y[1000:])
    zoomed_acc = classifier_accuracy(zoomed, test_shrunk, y[1000:])
    assert zoomed_acc >= 0.5, zoomed_acc
    assert zoomed_acc - plain_acc >= 0.3, (plain_acc, zoomed_acc)
    assert classifier_accuracy(zoomed, x[1000:], y[1000:]) >= 0.75
