"""The tricks from the literature, each checked against its definition."""

import keras
import numpy as np
import pytest
from keras import layers, ops

import keras_gans
from keras_gans import losses, regularizers
from keras_gans.layers import MinibatchDiscrimination, MinibatchStdDev


def _np(x):
    return np.asarray(ops.convert_to_numpy(x))


# ----------------------------------------------------------------- losses
@pytest.mark.parametrize("name", ["minimax", "non_saturating", "least_squares", "wasserstein", "hinge"])
def test_losses_match_their_formulas(name):
    rng = np.random.default_rng(0)
    real = rng.normal(size=(16, 1)).astype("float32")
    fake = rng.normal(size=(16, 1)).astype("float32")
    sig = lambda v: 1 / (1 + np.exp(-v.astype("float64")))
    expected_d = {
        "minimax": -np.mean(np.log(sig(real))) - np.mean(np.log(1 - sig(fake))),
        "non_saturating": -np.mean(np.log(sig(real))) - np.mean(np.log(1 - sig(fake))),
        "least_squares": 0.5 * np.mean((real - 1) ** 2) + 0.5 * np.mean(fake**2),
        "wasserstein": np.mean(fake) - np.mean(real),
        "hinge": np.mean(np.maximum(0, 1 - real)) + np.mean(np.maximum(0, 1 + fake)),
    }[name]
    expected_g = {
        "minimax": np.mean(np.log(1 - sig(fake))),  # G minimises log(1 - D(G(z)))
        "non_saturating": -np.mean(np.log(sig(fake))),  # G maximises log D(G(z))
        "least_squares": 0.5 * np.mean((fake - 1) ** 2),
        "wasserstein": -np.mean(fake),
        "hinge": -np.mean(fake),
    }[name]
    spec = losses.get(name)
    np.testing.assert_allclose(_np(spec.d_loss(real, fake)), expected_d, rtol=1e-5)
    np.testing.assert_allclose(_np(spec.g_loss(fake)), expected_g, rtol=1e-5)


def test_minimax_generator_loss_is_minus_discriminator_fake_term():
    fake = np.linspace(-3, 3, 8, dtype="float32")[:, None]
    huge_real = np.full_like(fake, 50.0)  # log D(x) ~ 0: d_loss is the fake term alone
    d = _np(losses.get("minimax").d_loss(huge_real, fake))
    g = _np(losses.get("minimax").g_loss(fake))
    np.testing.assert_allclose(g, -d, rtol=1e-5)


def test_one_sided_label_smoothing_changes_only_the_real_target():
    real = np.array([[2.0], [-1.0]], "float32")
    fake = np.array([[0.5], [-0.5]], "float32")
    sig = lambda v: 1 / (1 + np.exp(-v.astype("float64")))
    t = 0.9
    expected = -np.mean(t * np.log(sig(real)) + (1 - t) * np.log(1 - sig(real))) - np.mean(
        np.log(1 - sig(fake))  # fake target stays 0: one-sided
    )
    got = _np(losses.get("non_saturating").d_loss(real, fake, real_target=t))
    np.testing.assert_allclose(got, expected, rtol=1e-5)
    model = keras_gans.GAN(data_shape=(2,), latent_dim=2, hidden=(8,), label_smoothing=0.1)
    assert model.label_smoothing == pytest.approx(0.1)
    with pytest.raises(keras_gans.GANConfigError, match="label_smoothing"):
        keras_gans.WGANGP(data_shape=(2,), latent_dim=2, label_smoothing=0.1)


# ----------------------------------------------------------------- gradient penalty
class _HalfSquaredNorm(layers.Layer):
    """f(x) = ½||x||² per sample: ∇f(x) = x, so the penalty has a closed form."""

    def call(self, x):
        return 0.5 * ops.sum(ops.square(x), axis=-1, keepdims=True)


def test_gradient_penalty_matches_closed_form_with_per_sample_alpha():
    rng = np.random.default_rng(0)
    real = rng.normal(size=(6, 3)).astype("float32")
    fake = rng.normal(size=(6, 3)).astype("float32")
    alpha = rng.uniform(size=(6, 1)).astype("float32")
    critic = keras.Sequential([keras.Input((3,)), _HalfSquaredNorm()])
    got = _np(regularizers.gradient_penalty(critic, real, fake, alpha, weight=10.0))
    x_hat = real + alpha * (fake - real)
    expected = 10.0 * np.mean((np.linalg.norm(x_hat, axis=1) - 1.0) ** 2)
    np.testing.assert_allclose(got, expected, rtol=1e-5)


class _RecordingWGANGP(keras_gans.WGANGP):
    uniform_shapes = []

    def random_uniform(self, shape):
        type(self).uniform_shapes.append(tuple(int(s) for s in shape))
        return super().random_uniform(shape)


@pytest.mark.slow
def test_interpolation_weight_is_one_uniform_draw_per_sample(digits28):
    x = digits28[0][:32]
    model = _RecordingWGANGP(data_shape=(28, 28, 1), latent_dim=8, filters=8, n_critic=1)
    model.compile()
    model.fit(x, batch_size=16, epochs=1, verbose=0)
    # Drawn from random_uniform (U[0, 1)), one per sample, broadcast over pixels.
    assert (16, 1, 1, 1) in _RecordingWGANGP.uniform_shapes, _RecordingWGANGP.uniform_shapes
    a = _np(model.random_uniform((10_000,)))
    assert a.min() >= 0.0 and a.max() < 1.0 and abs(a.mean() - 0.5) < 0.02


def test_gradient_penalty_stays_finite_where_the_critic_gradient_is_zero():
    # A linear critic with zero weights has ∇x D = 0 everywhere: a plain sqrt in
    # the norm would make the penalty's gradient 0/0 = NaN at the first step.
    critic = keras.Sequential(
        [keras.Input((2,)), layers.Dense(1, kernel_initializer="zeros")], name="discriminator"
    )
    generator = keras.Sequential([keras.Input((2,)), layers.Dense(2)], name="generator")
    model = keras_gans.WGANGP(generator, critic, latent_dim=2, n_critic=1)
    model.compile()
    x = np.random.default_rng(0).normal(size=(64, 2)).astype("float32")
    history = model.fit(x, batch_size=32, epochs=1, verbose=0)
    assert np.isfinite(history.history["gp"]).all()
    # The penalty was ~λ(0 - 1)² = 10 at the start: it was really evaluated at zero gradient.
    assert history.history["gp"][0] > 5.0
    kernel = _np(critic.layers[-1].kernel)
    assert np.isfinite(kernel).all() and np.abs(kernel).max() > 0


# ----------------------------------------------------------------- weight clipping
@pytest.mark.slow
def test_weight_clipping_holds_for_every_critic_weight_after_training(digits28):
    model = keras_gans.WGAN(data_shape=(28, 28, 1), latent_dim=8, filters=8)
    model.compile(discriminator_optimizer=keras.optimizers.RMSprop(1e-2))
    model.fit(digits28[0][:64], batch_size=16, epochs=1, verbose=0)
    c = model.clip_value
    critic = np.concatenate([_np(v).ravel() for v in model.discriminator.trainable_variables])
    assert np.abs(critic).max() <= c + 1e-7
    assert np.isclose(np.abs(critic), c).mean() > 0.05  # the constraint was active
    generator = np.concatenate([_np(v).ravel() for v in model.generator.trainable_variables])
    assert np.abs(generator).max() > 10 * c  # the generator is not clipped


# ----------------------------------------------------------------- instance noise
def test_instance_noise_anneals_linearly_to_zero():
    got = [float(_np(regularizers.instance_noise_std(0.2, 100, s))) for s in (0, 50, 100, 400)]
    np.testing.assert_allclose(got, [0.2, 0.1, 0.0, 0.0], atol=1e-7)
    assert float(_np(regularizers.instance_noise_std(0.2, 0, 1000))) == pytest.approx(0.2)


def test_instance_noise_is_added_to_discriminator_inputs(digits28):
    class Probe(keras_gans.DCGAN):
        pass

    x = digits28[0][:32]
    noisy = Probe(data_shape=(28, 28, 1), latent_dim=8, filters=8, instance_noise=0.5,
                  instance_noise_anneal_steps=2)
    noisy.compile()
    # Before any step σ = 0.5: the noisy input differs from x by about σ.
    diff = _np(noisy._noisy(ops.convert_to_tensor(x))) - x
    assert 0.4 < diff.std() < 0.6
    noisy.fit(x, batch_size=16, epochs=1, verbose=0)  # 2 steps: annealed to 0
    assert int(_np(noisy.optimizer.iterations)) == 2
    np.testing.assert_allclose(_np(noisy._noisy(ops.convert_to_tensor(x))), x)


# ----------------------------------------------------------------- feature matching
def test_feature_matching_loss_is_squared_distance_of_feature_means():
    rng = np.random.default_rng(1)
    a = rng.normal(size=(8, 5)).astype("float32")
    b = rng.normal(size=(8, 5)).astype("float32")
    expected = np.sum((a.mean(0) - b.mean(0)) ** 2)
    np.testing.assert_allclose(_np(regularizers.feature_matching_loss(a, b)), expected, rtol=1e-5)


def test_feature_matching_generator_objective():
    d = keras_gans.networks.mlp_discriminator((2,), hidden=(16, 16))
    layer = d.layers[-2].name  # the last hidden activation
    model = keras_gans.GAN(generator=keras_gans.networks.mlp_generator(2, (2,), (16,), None, None),
                           discriminator=d, latent_dim=2, feature_matching_layer=layer)
    model.compile()
    x = np.random.default_rng(0).normal(size=(64, 2)).astype("float32") + 3.0
    before = [_np(v).copy() for v in model.generator.trainable_variables]
    history = model.fit(x, batch_size=32, epochs=1, verbose=0)
    assert np.isfinite(history.history["g_loss"]).all()
    # g_loss is the feature-matching distance (non-negative), not -log D(G(z)).
    assert min(history.history["g_loss"]) >= 0.0
    after = [_np(v) for v in model.generator.trainable_variables]
    assert any(np.abs(a - b).max() > 0 for a, b in zip(after, before))
    # The feature model shares the discriminator's weights rather than copying them.
    assert model._feature_model.layers[1].kernel is d.layers[1].kernel


# ----------------------------------------------------------------- minibatch layers
def test_minibatch_discrimination_counts_close_neighbours():
    layer = MinibatchDiscrimination(num_kernels=4, kernel_dim=3)
    same = np.ones((5, 6), "float32")
    out = _np(layer(same))
    assert out.shape == (5, 10)
    np.testing.assert_allclose(out[:, :6], same)
    # Identical samples: c_b = exp(0) = 1 for each of the 4 other samples.
    np.testing.assert_allclose(out[:, 6:], 4.0, rtol=1e-6)
    spread = np.arange(30, dtype="float32").reshape(5, 6) * 100.0
    assert _np(layer(spread))[:, 6:].max() < 1e-3  # far apart: no close neighbours


def test_minibatch_stddev_appends_the_group_std():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(8, 4, 4, 3)).astype("float32")
    out = _np(MinibatchStdDev(group_size=4)(x))
    assert out.shape == (8, 4, 4, 4)
    np.testing.assert_allclose(out[..., :3], x)
    groups = x.reshape(4, 2, 4, 4, 3)  # sample g*2 + m is member g of group m
    expected = np.sqrt(groups.var(axis=0) + 1e-8).mean(axis=(1, 2, 3))  # (2,)
    for i in range(8):
        np.testing.assert_allclose(out[i, ..., 3], expected[i % 2], rtol=1e-5)


@pytest.mark.parametrize(
    "options", [{"spectral_norm": True}, {"minibatch_discrimination": True},
                {"minibatch_stddev": True}]
)
@pytest.mark.slow
def test_discriminator_options_train_in_a_variant(options, digits28):
    model = keras_gans.DCGAN(data_shape=(28, 28, 1), latent_dim=8, filters=8,
                             discriminator_options=options)
    model.compile()
    history = model.fit(digits28[0][:32], batch_size=16, epochs=1, verbose=0)
    assert np.isfinite(history.history["d_loss"]).all()
    kinds = {type(layer).__name__ for layer in model.discriminator.layers}
    wanted = {"spectral_norm": "SpectralNormalization",
              "minibatch_discrimination": "MinibatchDiscrimination",
              "minibatch_stddev": "MinibatchStdDev"}[next(iter(options))]
    assert wanted in kinds


@pytest.mark.slow
def test_spectral_normalization_bounds_the_kernel_norm(digits28):
    model = keras_gans.DCGAN(data_shape=(28, 28, 1), latent_dim=8, filters=8,
                             discriminator_options={"spectral_norm": True})
    model.compile(discriminator_optimizer=keras.optimizers.Adam(1e-2))
    model.fit(digits28[0][:64], batch_size=16, epochs=2, verbose=0)
    sn = [layer for layer in model.discriminator.layers
          if type(layer).__name__ == "SpectralNormalization"]
    assert len(sn) >= 3
    for layer in sn:
        w = _np(layer.normalized_kernel())
        top = np.linalg.svd(w.reshape(-1, w.shape[-1]), compute_uv=False)[0]
        # One power iteration per call: the estimate is close, not exact.
        assert 0.9 < top < 1.1, (layer.name, top)
        # W / σ(W) does not depend on the scale of W: blow the raw kernel up 5x.
        layer.layer.kernel.assign(5.0 * _np(layer.layer.kernel))
        for _ in range(5):
            layer.normalized_kernel(training=True)  # power iterations on u
        w = _np(layer.normalized_kernel())
        top = np.linalg.svd(w.reshape(-1, w.shape[-1]), compute_uv=False)[0]
        assert 0.95 < top < 1.05, (layer.name, top)
