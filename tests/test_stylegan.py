"""StyleGAN: the shared mixin, its layers against their definitions, EMA, w_avg,
lazy R1, truncation, style mixing and its errors, on the backend of this process."""

import os

import keras
import numpy as np
import pytest
from gan_test_case import GANTestMixin, weights_of

import keras_gans as kg
from keras_gans import GANConfigError, GANInputError
from keras_gans.layers import (
    EqualizedConv2D,
    EqualizedDense,
    ModulatedConv2D,
    NoiseInjection,
)
from keras_gans.networks import stylegan as nets

ops = keras.ops


def tiny(seed=1, **kwargs):
    kwargs.setdefault("r1_interval", 2)
    return kg.StyleGAN(data_shape=(8, 8, 1), latent_dim=8, channels=8, mapping_layers=2,
                       seed=seed, **kwargs)


def np_(x):
    return np.asarray(ops.convert_to_numpy(x))


@pytest.fixture(autouse=True)
def _data(request, digits8):
    if request.instance is not None:
        request.instance._digits8 = digits8


class TestStyleGAN(GANTestMixin):
    batch_size = 16  # a multiple of the minibatch-stddev group (4)

    def make_model(self, seed=1):
        return tiny(seed)

    def data(self):
        return self._digits8[0], None

    def probe_outputs(self, model):
        # EMA samples, truncated EMA samples (w_avg), the trained generator's
        # samples and the discriminator's scores: all must survive a round trip.
        x = self.data()[0][:8]
        return (
            model.generate(8, seed=3),
            model.generate(8, seed=3, truncation_psi=0.5),
            model.generate(8, seed=3, ema=False),
            np_(model.discriminator(x, training=False)),
            np_(model.w_avg),
        )


# ------------------------------------------------------------------ layers
def test_equalized_dense_scales_weights_at_run_time():
    layer = EqualizedDense(5, lr_mul=0.01, bias_init=1.0)
    x = np.random.default_rng(0).standard_normal((4, 300)).astype("float32")
    y = np_(layer(x))
    kernel, bias = np_(layer.kernel), np_(layer.bias)
    # stored N(0, 1/lr_mul²); effective weight lr_mul/sqrt(fan_in) times that
    assert 80 < kernel.std() < 120
    np.testing.assert_allclose(bias * 0.01, 1.0, rtol=1e-6)
    expected = x @ (kernel * 0.01 / np.sqrt(300)) + bias * 0.01
    np.testing.assert_allclose(y, expected, rtol=1e-4, atol=1e-4)
    # unit-variance inputs give ~unit-variance outputs at init (He constant)
    big = EqualizedDense(256)
    out = np_(big(np.random.default_rng(1).standard_normal((512, 256)).astype("float32")))
    assert 0.8 < out.std() < 1.2


def test_equalized_conv_matches_a_plain_conv_with_the_scaled_kernel():
    layer = EqualizedConv2D(6, 3, activation="linear")
    x = np.random.default_rng(0).standard_normal((2, 5, 5, 4)).astype("float32")
    y = np_(layer(x))
    plain = keras.layers.Conv2D(6, 3, padding="same")
    plain.build(x.shape)
    plain.set_weights([np_(layer.kernel) / np.sqrt(4 * 9), np_(layer.bias)])
    np.testing.assert_allclose(y, np_(plain(x)), rtol=1e-4, atol=1e-5)


def _per_sample_weights(layer, w):
    """The paper's per-sample modulated (and demodulated) weights."""
    s = np_(layer.styles(w))  # (N, C_in)
    base = np_(layer.kernel) * layer.scale  # (k, k, C_in, C_out)
    weights = base[None] * s[:, None, None, :, None]
    if layer.demodulate:
        norm = np.sqrt(np.sum(weights**2, axis=(1, 2, 3), keepdims=True) + layer.epsilon)
        weights = weights / norm
    return weights


@pytest.mark.parametrize("demodulate", [True, False])
def test_modulated_conv_is_the_per_sample_convolution(demodulate):
    rng = np.random.default_rng(0)
    layer = ModulatedConv2D(5, 3, demodulate=demodulate, activation="linear")
    x = rng.standard_normal((3, 6, 6, 4)).astype("float32")
    w = rng.standard_normal((3, 7)).astype("float32")
    y = np_(layer([x, w]))
    weights = _per_sample_weights(layer, w)
    for n in range(3):
        ref = np_(ops.conv(x[n : n + 1], weights[n], padding="same"))[0]
        np.testing.assert_allclose(y[n], ref, rtol=1e-4, atol=1e-4)
    if demodulate:
        # every sample's every output channel has a unit-norm weight
        norms = np.sqrt(np.sum(weights**2, axis=(1, 2, 3)))
        np.testing.assert_allclose(norms, 1.0, rtol=1e-5)


def test_demodulation_cancels_the_scale_of_the_style():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 6, 6, 4)).astype("float32")
    w = rng.standard_normal((2, 7)).astype("float32")
    for demodulate in (True, False):
        layer = ModulatedConv2D(5, 3, demodulate=demodulate, activation="linear")
        layer([x, w])
        y1 = np_(layer([x, w]))
        # scale every style by 3 (affine kernel and bias)
        layer.affine.kernel.assign(layer.affine.kernel * 3.0)
        layer.affine.bias.assign(layer.affine.bias * 3.0)
        y3 = np_(layer([x, w]))
        if demodulate:
            np.testing.assert_allclose(y3, y1, rtol=1e-4, atol=1e-5)
        else:
            np.testing.assert_allclose(y3, 3.0 * y1, rtol=1e-4, atol=1e-5)
    # and demodulated outputs of unit-variance inputs have ~unit variance
    big = ModulatedConv2D(64, 3, activation="linear")
    out = np_(big([rng.standard_normal((8, 16, 16, 64)).astype("float32"),
                   rng.standard_normal((8, 7)).astype("float32")]))
    assert 0.8 < out.std() < 1.2


def test_noise_injection_adds_scaled_per_pixel_noise():
    layer = NoiseInjection()
    x = np.random.default_rng(0).standard_normal((2, 4, 4, 3)).astype("float32")
    noise = np.random.default_rng(1).standard_normal((2, 4, 4, 1)).astype("float32")
    np.testing.assert_array_equal(np_(layer([x, noise])), x)  # strength starts at 0
    layer.strength.assign(np.array([0.5, -1.0, 2.0], "float32"))
    np.testing.assert_allclose(np_(layer([x, noise])), x + noise * [0.5, -1.0, 2.0], rtol=1e-6)


# ------------------------------------------------------------------ sizes
@pytest.mark.parametrize("size,ws", [(28, 8), (32, 11), (64, 14), (8, 5)])
def test_supported_sizes_and_layer_counts(size, ws):
    assert nets.num_ws(size) == ws
    g = nets.style_generator(8, (size, size, 1), channels=4)
    assert tuple(g.outputs[0].shape[1:]) == (size, size, 1)


def test_channel_base_thins_the_large_resolutions():
    assert [nets.channels_at(r, 64, 1024) for r in (7, 14, 28, 32, 64)] == [64, 64, 36, 32, 16]
    assert nets.channels_at(28, 64) == 64
    g = nets.style_generator(8, (28, 28, 1), channels=64, channel_base=1024)
    assert g.get_layer("synthesis").get_layer("b28_conv1").filters == 36
    assert g.get_layer("synthesis").get_layer("b14_conv1").filters == 64
    d = nets.style_discriminator((28, 28, 1), channels=64, channel_base=1024)
    assert d.get_layer("b28_conv0").filters == 36 and d.get_layer("b28_conv1").filters == 64


@pytest.mark.parametrize("size", [30, 4, 48, 512])
def test_unsupported_image_size_names_the_supported_ones(size):
    with pytest.raises(GANConfigError, match=rf"cannot make {size}x{size} images.*28, 32.*64"):
        kg.StyleGAN(data_shape=(size, size, 1), latent_dim=8, channels=4)


def test_non_square_or_odd_channel_data_shape_is_refused():
    with pytest.raises(GANConfigError, match="square"):
        kg.StyleGAN(data_shape=(28, 32, 1))
    with pytest.raises(GANConfigError, match="1- or 3-channel"):
        kg.StyleGAN(data_shape=(28, 28, 2))


# ------------------------------------------------------------------ training
def _fixed_noise(model):
    """Numpy noise, by call order, recorded so the test can recompute w."""
    drawn = []

    def normal(shape):
        shape = tuple(s if isinstance(s, int) else 16 for s in shape)
        arr = np.random.default_rng(100 + len(drawn)).standard_normal(shape).astype("float32")
        drawn.append(arr)
        return ops.convert_to_tensor(arr)

    def uniform(shape):
        shape = tuple(s if isinstance(s, int) else 16 for s in shape)
        return ops.convert_to_tensor(np.full(shape, 0.5, "float32"))

    model.random_normal = normal
    model.random_uniform = uniform
    return drawn


@pytest.mark.slow
def test_ema_w_avg_and_lazy_r1_over_three_steps():
    """Three training steps of one compiled step, read after each."""
    model = tiny(ema_decay=0.9, w_avg_decay=0.8, r1_interval=2)
    drawn = _fixed_noise(model)
    model.compile()
    x = np.tanh(np.random.default_rng(3).standard_normal((48, 8, 8, 1))).astype("float32")
    mapping = model.networks()[0]

    def state():
        return {"g": weights_of(model.generator.weights),
                "ema": weights_of(model.generator_ema.weights),
                "mapping": weights_of(mapping.weights), "w_avg": np_(model.w_avg)}

    # Three fit() calls of one step each share one compiled step; the state is
    # read between them (on JAX, callbacks do not see the variables mid-fit).
    states = [state()]
    r1 = []
    for t in range(3):
        h = model.fit(x[16 * t : 16 * (t + 1)], batch_size=16, epochs=1, shuffle=False, verbose=0)
        r1.append(h.history["r1"][0])
        states.append(state())
    assert len(states) == 4
    # EMA starts equal to the generator, then θ_ema ← θ + β (θ_ema − θ) after
    # each generator update, β = min(ema_decay, (1 + s) / (10 + s)) at step s.
    for a, b in zip(states[0]["g"], states[0]["ema"]):
        np.testing.assert_array_equal(a, b)
    for t in range(1, 4):
        moved = False
        beta = min(0.9, t / (9 + t))  # step s = t - 1
        for g, e_prev, e in zip(states[t]["g"], states[t - 1]["ema"], states[t]["ema"]):
            np.testing.assert_allclose(e, g + beta * (e_prev - g), rtol=1e-5, atol=1e-6)
            moved |= not np.allclose(e, e_prev)
        assert moved
    # w_avg ← mean(w) + β (w_avg − mean(w)), w = mapping(z) of the generator
    # phase's first latent, with the mapping weights of that moment (the
    # discriminator phase does not change them).
    d_phase_normals = 2 + len(model.noise_shapes)  # z1, z2, then the noise inputs
    per_step = 2 * d_phase_normals  # the generator phase draws as many
    assert len(drawn) % per_step == 0 and len(drawn) > 0
    probe = nets.mapping_network(8, 8, layers=2)
    for t in range(3):
        if len(drawn) == 3 * per_step:  # eager (torch): fresh draws every step
            z = drawn[t * per_step + d_phase_normals]
        else:  # traced (tf.function, jax.jit): the last trace's draws are constants
            z = drawn[len(drawn) - per_step + d_phase_normals]
        probe.set_weights(states[t]["mapping"])
        w = np_(probe(z)).mean(axis=0)
        np.testing.assert_allclose(states[t + 1]["w_avg"], w + 0.8 * (states[t]["w_avg"] - w),
                                   rtol=1e-4, atol=1e-6)
    # Lazy R1: computed on steps 0 and 2 (iterations % 2 == 0), zero on step 1.
    assert r1[0] > 1e-6 and r1[2] > 1e-6, r1
    assert abs(r1[1]) < 1e-6 * max(r1), r1


def test_r1_penalty_matches_finite_differences():
    # Without minibatch stddev the samples are independent, so every central
    # difference of every sample is one row of a single discriminator batch.
    model = tiny(r1_gamma=4.0, mbstd_group_size=0)
    x = np.tanh(np.random.default_rng(4).standard_normal((4, 8, 8, 1))).astype("float32")
    r1 = float(np_(model.r1_penalty(ops.convert_to_tensor(x))))
    eps = 1e-3
    d = x[0].size
    steps = (eps * np.eye(d, dtype="float32")).reshape(d, 8, 8, 1)
    plus = (x[:, None] + steps[None]).reshape(-1, 8, 8, 1)
    minus = (x[:, None] - steps[None]).reshape(-1, 8, 8, 1)
    out = np_(model.discriminator(np.concatenate([plus, minus]), training=True)).reshape(2, 4, d)
    grads = (out[0].astype("float64") - out[1]) / (2 * eps)
    expected = 0.5 * 4.0 * np.mean(np.sum(grads**2, axis=1))
    assert expected > 0
    np.testing.assert_allclose(r1, expected, rtol=1e-2)


def test_r1_of_a_linear_discriminator_is_gamma_half_weight_norm():
    d_in = keras.Input((8, 8, 1))
    d = keras.Model(d_in, keras.layers.Dense(1, use_bias=False)(keras.layers.Flatten()(d_in)))
    model = kg.StyleGAN(nets.style_generator(8, (8, 8, 1), channels=4), d, latent_dim=8,
                        r1_gamma=10.0)
    v = np_(d.weights[0])
    x = np.random.default_rng(0).standard_normal((4, 8, 8, 1)).astype("float32")
    np.testing.assert_allclose(np_(model.r1_penalty(ops.convert_to_tensor(x))),
                               5.0 * np.sum(v**2), rtol=1e-5)


# ------------------------------------------------------------------ sampling
def _trained_looking(model, seed=0):
    """Give w_avg and the noise strengths non-trivial values without training."""
    rng = np.random.default_rng(seed)
    model.w_avg.assign(rng.standard_normal(model.w_dim).astype("float32"))
    for v in model.generator_ema.weights:
        if "strength" in v.path:
            v.assign(rng.uniform(0.5, 1.0, v.shape).astype("float32"))
    return model


def test_truncation_psi_zero_one_and_half():
    model = _trained_looking(tiny())
    at_zero = model.generate(6, seed=1, truncation_psi=0.0, noise_mode="none")
    for img in at_zero[1:]:
        np.testing.assert_allclose(img, at_zero[0], atol=1e-5)
    # ... and that image is the synthesis of w_avg itself
    ws = np.repeat(np_(model.w_avg)[None, None], model.num_ws, axis=1)
    np.testing.assert_allclose(at_zero[0], model._synthesize(ws, None, "none", True)[0], atol=1e-5)
    free = model.generate(6, seed=1, noise_mode="none")
    np.testing.assert_array_equal(model.generate(6, seed=1, truncation_psi=1.0, noise_mode="none"),
                                  free)
    assert np.abs(free - at_zero).max() > 1e-3
    z = np.random.default_rng(2).standard_normal((3, 8)).astype("float32")
    w = np_(model.map_latents(z))
    np.testing.assert_allclose(np_(model.map_latents(z, 0.5)), (w + np_(model.w_avg)) / 2,
                               rtol=1e-5, atol=1e-6)


def test_generate_uses_the_ema_weights():
    model = tiny()
    for v in model.generator.weights:
        v.assign(v * 1.5)
    ema = model.generate(4, seed=0)
    raw = model.generate(4, seed=0, ema=False)
    assert np.abs(ema - raw).max() > 1e-3
    for v, e in zip(model.generator.weights, model.generator_ema.weights):
        e.assign(v)
    np.testing.assert_allclose(model.generate(4, seed=0), raw, atol=1e-6)


def test_mix_styles_takes_early_layers_from_z1_and_the_rest_from_z2():
    model = _trained_looking(tiny())
    rng = np.random.default_rng(5)
    z1 = rng.standard_normal((3, 8)).astype("float32")
    z2 = rng.standard_normal((3, 8)).astype("float32")
    w1, w2 = np_(model.map_latents(z1)), np_(model.map_latents(z2))

    def image_of(w):
        return model._synthesize(ops.convert_to_tensor(np.repeat(w[:, None], model.num_ws, 1)),
                                 None, "none", True)

    np.testing.assert_allclose(model.mix_styles(z1, z2, model.num_ws), image_of(w1), atol=1e-5)
    np.testing.assert_allclose(model.mix_styles(z1, z2, 0), image_of(w2), atol=1e-5)
    c = 2
    ws = np.concatenate([np.repeat(w1[:, None], c, 1), np.repeat(w2[:, None], model.num_ws - c, 1)], 1)
    mixed = model.mix_styles(z1, z2, c)
    np.testing.assert_allclose(mixed, model._synthesize(ops.convert_to_tensor(ws), None, "none",
                                                        True), atol=1e-5)
    assert np.abs(mixed - image_of(w1)).max() > 1e-4 and np.abs(mixed - image_of(w2)).max() > 1e-4
    # one z2 row broadcasts over z1's rows
    assert model.mix_styles(z1, z2[:1], c).shape == (3, 8, 8, 1)


# ------------------------------------------------------------------ errors
@pytest.mark.parametrize("psi", [-0.1, 1.5])
def test_truncation_psi_outside_unit_interval(psi):
    model = tiny()
    with pytest.raises(GANInputError, match=r"truncation_psi must be in \[0, 1\]"):
        model.generate(2, truncation_psi=psi)
    with pytest.raises(GANInputError, match=r"truncation_psi must be in \[0, 1\]"):
        model.mix_styles(np.zeros((1, 8)), np.zeros((1, 8)), 1, truncation_psi=psi)


@pytest.mark.parametrize("crossover", [6, -1, 99])
def test_crossover_beyond_the_layers(crossover):
    model = tiny()  # 8x8: 5 modulated layers
    with pytest.raises(GANInputError, match=r"has 5 modulated layers.*\[0, 5\]"):
        model.mix_styles(np.zeros((1, 8)), np.zeros((1, 8)), crossover)


def test_crossover_must_be_an_int_and_latents_the_right_shape():
    model = tiny()
    with pytest.raises(GANInputError, match="crossover must be an int"):
        model.mix_styles(np.zeros((1, 8)), np.zeros((1, 8)), 2.5)
    with pytest.raises(GANInputError, match=r"z2 must have shape \(N, 8\)"):
        model.mix_styles(np.zeros((1, 8)), np.zeros((1, 4)), 2)


def test_bad_settings():
    with pytest.raises(GANConfigError, match="style_mixing_prob"):
        tiny(style_mixing_prob=1.5)
    with pytest.raises(GANConfigError, match="ema_decay"):
        tiny(ema_decay=1.0)
    with pytest.raises(GANConfigError, match="r1_interval"):
        tiny(r1_interval=0)
    with pytest.raises(GANConfigError, match="data_shape"):
        kg.StyleGAN()


@pytest.mark.slow
def test_registered_and_keras_file_keeps_ema_and_w_avg(tmp_path):
    assert kg.get_variant("stylegan") is kg.StyleGAN
    model = _trained_looking(tiny())
    path = os.path.join(tmp_path, "s.keras")
    model.save(path)
    loaded = keras.saving.load_model(path)
    np.testing.assert_array_equal(np_(loaded.w_avg), np_(model.w_avg))
    for a, b in zip(weights_of(model.generator_ema.weights), weights_of(loaded.generator_ema.weights)):
        np.testing.assert_array_equal(a, b)
    assert not loaded.generator_ema.trainable
    assert len(loaded.trainable_variables) == len(model.generator.trainable_variables) + len(
        model.discriminator.trainable_variables)
