"""Two-domain translation: the unpaired data, the history pool and the errors
(the models themselves: test_translation.py)."""

import os

import keras
import numpy as np
import pytest

from keras_gans.core.image_pool import pool_query
from keras_gans.data import two_domain
from keras_gans.errors import GANConfigError, GANInputError
from keras_gans.models.cyclegan import CycleGAN

DATA_DIR = os.environ.get("KERAS_GANS_DATA", "/work/shared/datasets")


# ---------------------------------------------------------------- history pool
def _reference_pool(pool, count, images, swap_u, slot_u):
    """junyanz/pytorch-CycleGAN-and-pix2pix ImagePool.query, image by image."""
    pool, shown = pool.copy(), []
    for img, u, v in zip(images, swap_u, slot_u):
        if count < len(pool):
            pool[count] = img
            count += 1
            shown.append(img)
        elif u > 0.5:
            slot = min(int(np.floor(v * len(pool))), len(pool) - 1)
            shown.append(pool[slot].copy())
            pool[slot] = img
        else:
            shown.append(img)
    return np.stack(shown), pool, count


@pytest.mark.parametrize("count", [0, 3, 5])
def test_pool_matches_the_sequential_reference(count):
    rng = np.random.default_rng(count)
    pool = rng.standard_normal((5, 2, 2, 1)).astype("float32")
    images = rng.standard_normal((7, 2, 2, 1)).astype("float32")
    swap_u = np.array([0.9, 0.2, 0.7, 0.6, 0.99, 0.1, 0.8], "float32")
    # Repeated slots: later images of the batch swap with earlier ones' writes.
    slot_u = np.array([0.1, 0.5, 0.1, 0.15, 0.95, 0.3, 0.1], "float32")
    shown, new_pool, new_count = pool_query(
        keras.ops.convert_to_tensor(pool), keras.ops.convert_to_tensor(count, "int32"),
        keras.ops.convert_to_tensor(images), keras.ops.convert_to_tensor(swap_u),
        keras.ops.convert_to_tensor(slot_u),
    )
    ref_shown, ref_pool, ref_count = _reference_pool(pool, count, images, swap_u, slot_u)
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(shown), ref_shown)
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(new_pool), ref_pool)
    assert int(keras.ops.convert_to_numpy(new_count)) == ref_count


def test_pool_shows_stored_images_about_half_the_time():
    pool = np.arange(50, dtype="float32").reshape(50, 1) + 1000.0
    images = -np.arange(1, 401, dtype="float32").reshape(400, 1)
    rng = np.random.default_rng(0)
    u = rng.uniform(size=(2, 400)).astype("float32")
    shown, _, count = pool_query(keras.ops.convert_to_tensor(pool), 50,
                                 keras.ops.convert_to_tensor(images), u[0], u[1])
    shown = keras.ops.convert_to_numpy(shown)
    from_history = np.mean(shown[:, 0] != images[:, 0])
    assert 0.4 < from_history < 0.6
    assert int(keras.ops.convert_to_numpy(count)) == 50


def test_pool_size_zero_shows_the_new_fakes():
    model = CycleGAN(data_shape=(28, 28, 1), filters=4, n_blocks=1, pool_size=0)
    fakes = keras.ops.convert_to_tensor(np.ones((4, 28, 28, 1), "float32"))
    assert model.from_pool("a", fakes) is fakes
    assert not model.non_trainable_weights or all(
        "pool" not in w.path for w in model.non_trainable_weights)


# ---------------------------------------------------------------- unpaired data
def test_pairing_shuffles_independently_and_repeats_the_shorter():
    idx_a, idx_b = two_domain.pairing_indices(10, 4, seed=0)
    assert len(idx_a) == len(idx_b) == 10
    assert sorted(idx_a) == list(range(10))
    assert np.bincount(idx_b, minlength=4).tolist() in ([3, 3, 2, 2], [3, 2, 3, 2],
                                                        [3, 2, 2, 3], [2, 3, 3, 2],
                                                        [2, 3, 2, 3], [2, 2, 3, 3])
    # every B image is used before any is used twice
    assert sorted(idx_b[:4]) == [0, 1, 2, 3] and sorted(idx_b[4:8]) == [0, 1, 2, 3]
    a, b = two_domain.pairing_indices(50, 50, seed=1)
    assert sorted(a) == sorted(b) == list(range(50))
    assert not np.array_equal(a, b) and not np.array_equal(a, np.arange(50))


def test_unpaired_resizes_and_converts_channels():
    rng = np.random.default_rng(0)
    x_a = rng.integers(0, 256, (10, 28, 28), dtype=np.uint8)
    x_b = rng.integers(0, 256, (4, 16, 16), dtype=np.uint8)
    a, b = two_domain.unpaired(x_a, x_b, size=28, seed=0)
    assert a.shape == b.shape == (10, 28, 28, 1)
    assert a.dtype == b.dtype == np.float32 and -1 <= b.min() and b.max() <= 1
    rgb = rng.integers(0, 256, (3, 28, 28, 3), dtype=np.uint8)
    a, b = two_domain.unpaired(x_a, rgb, channels=3, seed=0)
    assert a.shape == b.shape == (10, 28, 28, 3)
    np.testing.assert_array_equal(a[..., 0], a[..., 2])  # grey repeated
    a, b = two_domain.unpaired(x_a, rgb, channels=1, seed=0)
    assert b.shape == (10, 28, 28, 1)


def test_unreconcilable_shapes_name_the_fix():
    x_a = np.zeros((4, 28, 28), np.uint8)
    with pytest.raises(GANInputError, match="size="):
        two_domain.unpaired(x_a, np.zeros((4, 16, 16), np.uint8))
    with pytest.raises(GANInputError, match="channels="):
        two_domain.unpaired(x_a, np.zeros((4, 28, 28, 3), np.uint8))
    with pytest.raises(GANInputError, match="empty"):
        two_domain.unpaired(x_a, np.zeros((0, 28, 28), np.uint8))


def test_unpaired_batches_repair_each_epoch():
    x_a = np.linspace(-1, 1, 10, dtype="float32").reshape(10, 1, 1, 1)
    x_b = np.linspace(-1, 1, 6, dtype="float32").reshape(6, 1, 1, 1)
    ds = two_domain.UnpairedBatches(x_a, x_b, batch_size=4, seed=0)
    assert len(ds) == 3
    a, b = ds[0]
    assert a.shape == b.shape == (4, 1, 1, 1)
    first = (ds.idx_a.copy(), ds.idx_b.copy())
    ds.on_epoch_end()
    assert not (np.array_equal(first[0], ds.idx_a) and np.array_equal(first[1], ds.idx_b))
    assert sorted(ds.idx_a) == list(range(10))


def test_jitter_and_flip_crops_and_mirrors_with_keras_layers():
    """CycleGAN's jitter through UnpairedBatches: same shape and range, each
    image a crop of its enlarged self, about half of them mirrored, the same
    batches again from the same seed."""
    rng = np.random.default_rng(0)
    # a left-right ramp: a mirrored image's ramp runs the other way
    ramp = np.linspace(-1, 1, 16, dtype="float32")[None, None, :, None]
    x = np.repeat(np.repeat(ramp, 16, axis=1), 64, axis=0)
    x = (x + rng.normal(0, 0.01, x.shape)).clip(-1, 1).astype("float32")

    def batches(seed):
        ds = two_domain.UnpairedBatches(x, x[::-1], batch_size=64, seed=0,
                                        augment=two_domain.jitter_and_flip(16, seed=seed))
        return ds[0]

    a, b = batches(seed=3)
    assert a.shape == b.shape == x.shape and a.dtype == x.dtype
    assert a.min() >= -1 and a.max() <= 1
    slope = np.sign(a[:, 8, -1, 0] - a[:, 8, 0, 0])
    assert 16 <= (slope < 0).sum() <= 48  # mirrored about half the time
    assert not np.allclose(a, x)  # cropped: the ramps moved
    again, _ = batches(seed=3)
    np.testing.assert_allclose(again, a, atol=1e-6)
    no_flip = two_domain.UnpairedBatches(
        x, x, batch_size=64, seed=0, augment=two_domain.jitter_and_flip(16, flip=False, seed=1))
    kept, _ = no_flip[0]
    assert (np.sign(kept[:, 8, -1, 0] - kept[:, 8, 0, 0]) > 0).all()


needs_data = pytest.mark.skipif(
    not os.path.exists(os.path.join(DATA_DIR, "usps.npz")), reason="no offline datasets")


@needs_data
def test_mnist2usps_resizes_usps_and_keeps_labels():
    pair = two_domain.load_pair("mnist2usps", split="test", data_dir=DATA_DIR)
    assert pair.x_a.shape == (10000, 28, 28, 1) and pair.x_b.shape == (2007, 28, 28, 1)
    assert pair.y_a.shape == (10000,) and pair.y_b.shape == (2007,)
    assert set(np.unique(pair.y_b)) == set(range(10))
    x_a, x_b = pair.unpaired(seed=0)
    assert len(x_a) == len(x_b) == 10000


@needs_data
def test_horse2zebra_splits_the_domains():
    pair = two_domain.load_pair("horse2zebra", split="test", data_dir=DATA_DIR)
    assert pair.x_a.shape == (120, 64, 64, 3) and pair.x_b.shape == (140, 64, 64, 3)
    assert pair.y_a is None and pair.y_b is None
    with pytest.raises(GANConfigError, match="mnist2usps"):
        two_domain.load_pair("mnist2usp")


# ---------------------------------------------------------------- errors
@pytest.fixture(scope="module")
def model():
    m = CycleGAN(data_shape=(28, 28, 1), filters=4, n_blocks=1, pool_size=4)
    m.compile()
    return m


def test_single_domain_dataset_is_refused(model, digits28):
    x, _ = digits28
    with pytest.raises(GANInputError, match="single-domain"):
        model.fit(x, batch_size=8, epochs=1, verbose=0)


def test_labels_are_refused(model, digits28):
    x, y = digits28
    with pytest.raises(GANInputError, match="takes no labels"):
        model.fit((x, -x), y, batch_size=8, epochs=1, verbose=0)
    with pytest.raises(GANInputError, match="takes no labels"):
        model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    with pytest.raises(GANInputError, match="takes no labels"):
        model.fit((x, y), batch_size=8, epochs=1, verbose=0)


def test_mismatched_domains_name_the_fix(model, digits28):
    x, _ = digits28
    with pytest.raises(GANInputError, match="size=28"):
        model.fit((x, x[:, :16, :16]), batch_size=8, epochs=1, verbose=0)
    with pytest.raises(GANInputError, match="channels=1"):
        model.fit((x, np.repeat(x, 3, axis=-1)), batch_size=8, epochs=1, verbose=0)
    with pytest.raises(GANInputError, match="unpaired"):
        model.fit((x, x[:10]), batch_size=8, epochs=1, verbose=0)
    with pytest.raises(GANConfigError, match="size"):
        CycleGAN(data_shape_a=(28, 28, 1), data_shape_b=(32, 32, 1))
    with pytest.raises(GANConfigError, match="identity"):
        CycleGAN(data_shape_a=(28, 28, 1), data_shape_b=(28, 28, 3), identity_weight=0.5)


def test_translate_only(model, digits28):
    with pytest.raises(GANConfigError, match="translate"):
        model.generate(4)
    with pytest.raises(GANConfigError, match="direction"):
        model.translate(digits28[0][:2], direction="ab")
    out = model.translate(digits28[0][:2], direction="b2a")
    assert out.shape == (2, 28, 28, 1)
