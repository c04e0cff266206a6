"""DiffAugment (keras_gans.augment): each operation against straightforward numpy
with the same drawn parameters, its properties, gradients through it, its errors,
and the ``augment=`` setting on every image variant, on the backend of this process."""

import os

import keras
import numpy as np
import pytest
from gan_test_case import changed, weights_of
from small_variants import VARIANTS, batch_size, fit_args

import keras_gans as kg
from keras_gans.augment import DEFAULT_POLICY, DiffAugment, cutout_mask
from keras_gans.core.backend_steps import input_gradients
from keras_gans.errors import GANConfigError

ops = keras.ops


def np_(x):
    return np.asarray(ops.convert_to_numpy(x))


def numpy_uniform(seed=0):
    rng = np.random.default_rng(seed)
    return lambda shape: ops.convert_to_tensor(rng.uniform(size=shape).astype("float32"))


def images(n=6, h=16, w=12, c=3, seed=0):
    return np.random.default_rng(seed).uniform(-1, 1, (n, h, w, c)).astype("float32")


def drawn(aug, x, seed=0):
    params = aug.sample(ops.convert_to_tensor(x), numpy_uniform(seed))
    return params, [(s, tuple(np_(q) for q in p) if isinstance(p, tuple) else np_(p))
                    for s, p in params]


# ---------------------------------------------------------------- each op vs numpy
def reference(x, params):
    """The reference code's operations, channels-last, one sample at a time."""
    x = x.astype("float64").copy()
    n, h, w, _ = x.shape
    for step, p in params:
        if step == "brightness":
            x = x + (p - 0.5)
        elif step == "saturation":
            m = x.mean(axis=-1, keepdims=True)
            x = (x - m) * (2 * p) + m
        elif step == "contrast":
            m = x.mean(axis=(1, 2, 3), keepdims=True)
            x = (x - m) * (p + 0.5) + m
        elif step == "translation":
            dy, dx = p
            padded = np.zeros_like(x)
            for k in range(n):
                for i in range(h):
                    for j in range(w):
                        si, sj = i + dy[k], j + dx[k]
                        if 0 <= si < h and 0 <= sj < w:
                            padded[k, i, j] = x[k, si, sj]
            x = padded
        else:  # cutout
            cy, cx = p
            ch, cw = int(h * 0.5 + 0.5), int(w * 0.5 + 0.5)
            for k in range(n):
                top, left = cy[k] - ch // 2, cx[k] - cw // 2
                x[k, max(top, 0):max(top + ch, 0), max(left, 0):max(left + cw, 0)] = 0.0
    return x


@pytest.mark.parametrize("policy", ["color", "translation", "cutout", DEFAULT_POLICY])
def test_each_operation_matches_numpy_with_the_same_parameters(policy):
    aug = DiffAugment(policy)
    x = images()
    params, np_params = drawn(aug, x)
    got = np_(aug.apply(ops.convert_to_tensor(x), params))
    np.testing.assert_allclose(got, reference(x, np_params), rtol=1e-5, atol=1e-5)


def test_parameters_lie_in_the_papers_ranges():
    aug = DiffAugment(DEFAULT_POLICY)
    x = np.zeros((4000, 64, 64, 1), "float32")
    _, p = drawn(aug, x)
    steps = dict(p)
    for name in ("brightness", "saturation", "contrast"):
        u = steps[name]
        assert u.shape == (4000, 1, 1, 1) and 0 <= u.min() and u.max() < 1
    dy, dx = steps["translation"]
    assert set(np.unique(dy)) == set(range(-8, 9)) == set(np.unique(dx))  # 1/8 of 64
    cy, cx = steps["cutout"]
    assert cy.min() == 0 and cy.max() == 64 and cx.min() == 0 and cx.max() == 64


def test_translation_moves_content_and_fills_with_zeros():
    x = np.zeros((1, 16, 16, 1), "float32")
    x[0, 8, 5, 0] = 1.0
    aug = DiffAugment("translation")
    for seed in range(5):
        params, p = drawn(aug, x, seed)
        dy, dx = int(p[0][1][0][0]), int(p[0][1][1][0])
        out = np_(aug.apply(ops.convert_to_tensor(x), params))
        expect = np.zeros_like(x)
        if 0 <= 8 - dy < 16 and 0 <= 5 - dx < 16:
            expect[0, 8 - dy, 5 - dx, 0] = 1.0
        np.testing.assert_array_equal(out, expect)


def test_cutout_zeroes_one_square_of_half_the_side():
    h = w = 16
    centres = (ops.convert_to_tensor(np.array([8, 0, 16], "int32")),
               ops.convert_to_tensor(np.array([8, 3, 16], "int32")))
    mask = np_(cutout_mask(centres, h, w))[..., 0]
    # Inside the image: exactly an 8x8 square; at the border: the square clipped.
    assert (mask[0] == 0).sum() == 64
    rows, cols = np.nonzero(mask[0] == 0)
    assert (rows.min(), rows.max(), cols.min(), cols.max()) == (4, 11, 4, 11)
    assert (mask[1] == 0).sum() == 4 * 7 and (mask[2] == 0).sum() == 4 * 4
    ones = np.ones((3, h, w, 2), "float32")
    out = np_(DiffAugment("cutout").apply(ops.convert_to_tensor(ones),
                                          [("cutout", centres)]))
    np.testing.assert_array_equal(out, mask[..., None] * ones)


def test_brightness_shifts_the_mean_and_saturation_is_a_no_op_on_grayscale():
    x = images(c=1)
    aug = DiffAugment("color")
    params, p = drawn(aug, x)
    bright = np_(aug.apply(ops.convert_to_tensor(x), params[:1]))
    np.testing.assert_allclose(bright.mean(axis=(1, 2, 3)),
                               x.mean(axis=(1, 2, 3)) + p[0][1].ravel() - 0.5, atol=1e-5)
    sat = np_(aug.apply(ops.convert_to_tensor(x), params[1:2]))
    np.testing.assert_allclose(sat, x, atol=1e-6)


def test_fresh_parameters_per_call_and_per_sample():
    model = kg.DCGAN(data_shape=(28, 28, 1), latent_dim=4, filters=4, augment="color",
                     seed=0)
    x = ops.convert_to_tensor(np.zeros((4, 28, 28, 1), "float32"))
    a, b = np_(model.augment_images(x)), np_(model.augment_images(x))
    assert not np.allclose(a, b)
    assert len(np.unique(a.mean(axis=(1, 2, 3)).round(5))) == 4


# ---------------------------------------------------------------- gradients
def test_gradients_flow_through_the_augmentation():
    aug = DiffAugment(DEFAULT_POLICY)
    x = ops.convert_to_tensor(images())
    params = aug.sample(x, numpy_uniform(1))
    grad = np_(input_gradients(lambda t: ops.sum(ops.square(aug.apply(t, params))), x))
    assert np.all(np.isfinite(grad)) and np.abs(grad).sum() > 0
    # Cutout alone is a 0/1 mask M: d/dx sum((M x)^2) = 2 M x exactly.
    cut = DiffAugment("cutout")
    p = cut.sample(x, numpy_uniform(2))
    mask = np_(cut.apply(ops.ones_like(x), p))
    grad = np_(input_gradients(lambda t: ops.sum(ops.square(cut.apply(t, p))), x))
    np.testing.assert_allclose(grad, 2 * mask * np_(x), atol=1e-6)


@pytest.mark.slow
def test_the_generator_learns_through_the_augmented_discriminator():
    model = kg.DCGAN(data_shape=(28, 28, 1), latent_dim=4, filters=4, augment=DEFAULT_POLICY,
                     seed=0)
    model.compile()
    g_phase = [p for p in model.phases() if p.name == "generator"]
    model.phases = lambda: g_phase
    before = weights_of(model.generator.trainable_variables)
    x = np.random.default_rng(0).uniform(-1, 1, (8, 28, 28, 1)).astype("float32")
    model.fit(x, batch_size=8, epochs=1, verbose=0)
    assert changed(before, weights_of(model.generator.trainable_variables))


# ---------------------------------------------------------------- errors
def test_unknown_policy_names_the_known_ones():
    with pytest.raises(GANConfigError, match=r"Unknown DiffAugment policy 'colour'.*'color'"):
        DiffAugment("colour,translation")
    with pytest.raises(GANConfigError, match="Unknown DiffAugment policy"):
        kg.DCGAN(data_shape=(28, 28, 1), augment="flip")
    with pytest.raises(GANConfigError, match="empty"):
        DiffAugment("")
    with pytest.raises(GANConfigError, match="policy string"):
        DiffAugment(3)


def test_vector_data_and_latent_discriminators_refuse_augment():
    with pytest.raises(GANConfigError, match=r"shape \(2,\), not images.*Drop augment="):
        kg.GAN(data_shape=(2,), augment="translation")
    with pytest.raises(GANConfigError, match=r"not images"):
        kg.BiGAN(data_shape=(2,), latent_dim=2, hidden=(8,), augment="color")
    with pytest.raises(GANConfigError, match="latent codes, not images.*Drop augment="):
        kg.AdversarialAutoencoder(data_shape=(8, 8, 1), hidden=(8,), augment="color")


# ---------------------------------------------------------------- every image variant
@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_one_fit_step_with_diffaugment(name):
    model = VARIANTS[name](DEFAULT_POLICY)
    assert model.augment == DEFAULT_POLICY
    calls = []
    original = model.augment_images

    def counting(x, params=None):
        calls.append(1)
        return original(x, params)

    model.augment_images = counting
    model.compile()
    before = {p: weights_of(model.player_variables(p)) for p in model.players}
    x, y = fit_args(name, model)
    history = model.fit(x, y, batch_size=batch_size(name), epochs=1,
                        verbose=0, shuffle=False)
    for term in model.tracked_terms:
        assert np.all(np.isfinite(history.history[term])), (term, history.history[term])
    for player in model.players:
        assert changed(before[player], weights_of(model.player_variables(player))), player
    assert calls, "the discriminator never saw an augmented batch"


@pytest.mark.slow
@pytest.mark.parametrize("name", ["DCGAN", "WGANGP", "StyleGAN", "CycleGAN", "DTN", "BiGAN"])
def test_augment_survives_config_and_keras_file(name, tmp_path):
    model = VARIANTS[name]("translation,cutout")
    config = model.get_config()
    assert config["augment"] == "translation,cutout"
    clone = type(model).from_config(config)
    assert clone.augment == "translation,cutout"
    assert VARIANTS[name](None).get_config()["augment"] is None
    model.compile()
    path = os.path.join(tmp_path, "model.keras")
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert loaded.augment == "translation,cutout"
    assert loaded.diff_augment.steps == ["translation", "cutout"]


def test_generated_samples_are_not_augmented():
    keras.utils.set_random_seed(0)
    plain = kg.DCGAN(data_shape=(28, 28, 1), latent_dim=4, filters=4, seed=0)
    augmented = kg.DCGAN(data_shape=(28, 28, 1), latent_dim=4, filters=4, seed=0,
                         augment=DEFAULT_POLICY)
    augmented.set_weights(plain.get_weights())
    np.testing.assert_array_equal(plain.generate(4, seed=1), augmented.generate(4, seed=1))
