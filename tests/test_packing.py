"""Packing (PacGAN, Lin et al. 2018): discriminator_options={"packing": m}.

The discriminator takes m samples concatenated into one input (features for
vectors, channels for images) and gives N/m scores for a batch of N. Checked
on every backend: the packed layout, the network's first layer and output rows,
that a fit step moves the right player in each phase, the config and .keras
round trips, the batch-size error, and packing with labels, a gradient penalty
and the other discriminator options.
"""

import keras
import numpy as np
import pytest

import keras_gans
from keras_gans.errors import GANInputError
from keras_gans.layers import PackSamples
from keras_gans.networks import dcgan_discriminator, mlp_discriminator


def _np(x):
    return np.asarray(keras.ops.convert_to_numpy(x))


def _ring(n=128):
    return keras_gans.data.load_mixture("ring8", n=n, seed=0)


def _packed_layer(model):
    return [layer for layer in model.layers if isinstance(layer, PackSamples)]


def test_packing_concatenates_consecutive_samples_features_and_channels():
    x = np.arange(6 * 3, dtype="float32").reshape(6, 3)
    out = _np(PackSamples(3)(x))
    np.testing.assert_array_equal(out, x.reshape(2, 9))  # rows 0-2 -> pack 0
    img = np.random.default_rng(0).normal(size=(4, 5, 5, 2)).astype("float32")
    packed = _np(PackSamples(2)(img))
    assert packed.shape == (2, 5, 5, 4)
    np.testing.assert_array_equal(packed[1, ..., :2], img[2])  # sample 0's channels first
    np.testing.assert_array_equal(packed[1, ..., 2:], img[3])


def test_packed_discriminator_takes_m_samples_and_gives_n_over_m_scores():
    plain = mlp_discriminator((2,), (8,))
    packed = mlp_discriminator((2,), (8,), packing=4)
    assert plain.input_shape == packed.input_shape == (None, 2)  # one sample in
    first = [layer for layer in packed.layers if isinstance(layer, keras.layers.Dense)][0]
    assert first.kernel.shape == (4 * 2, 8)  # ... four samples into its first layer
    assert _packed_layer(packed) and not _packed_layer(plain)
    x = _ring(32)
    assert tuple(_np(plain(x)).shape) == (32, 1)
    assert tuple(_np(packed(x)).shape) == (8, 1)
    # images: along channels
    conv = dcgan_discriminator((28, 28, 1), filters=4, packing=2)
    first = [layer for layer in conv.layers if "conv" in type(layer).__name__.lower()][0]
    assert first.kernel.shape[2] == 2  # 2 packed samples x 1 channel
    assert tuple(_np(conv(np.zeros((6, 28, 28, 1), "float32"))).shape) == (3, 1)


def test_default_builders_add_nothing():
    for options in ({}, {"packing": 1}):
        d = mlp_discriminator((2,), (8,), **options)
        assert not _packed_layer(d)
    with pytest.raises(keras_gans.errors.GANConfigError, match="packing"):
        mlp_discriminator((2,), (8,), packing=0)


@pytest.mark.parametrize("phase_name", ["discriminator", "generator"])
def test_fit_step_moves_only_the_phase_player(phase_name):
    keras.utils.set_random_seed(0)
    model = keras_gans.GAN(data_shape=(2,), latent_dim=2, hidden=(16,), seed=0,
                           discriminator_options={"packing": 2})
    model.compile()
    only = [p for p in model.phases() if p.name == phase_name]
    model.phases = lambda: only
    before = {p: [_np(v).copy() for v in model.player_variables(p)] for p in model.players}
    history = model.fit(_ring(32), batch_size=32, epochs=1, shuffle=False, verbose=0)
    assert np.isfinite([v for k, v in history.history.items() if k.endswith("loss")]).all()
    for player in model.players:
        after = [_np(v) for v in model.player_variables(player)]
        moved = any(not np.allclose(a, b) for a, b in zip(before[player], after))
        assert moved == (player == phase_name), (phase_name, player, moved)


def test_config_and_keras_file_round_trip(tmp_path):
    model = keras_gans.GAN(data_shape=(2,), latent_dim=2, hidden=(16,), seed=0,
                           discriminator_options={"packing": 2, "spectral_norm": True})
    model.compile()
    x = _ring(32)
    config = model.get_config()
    assert config["discriminator_options"] == {"packing": 2, "spectral_norm": True}
    again = keras_gans.GAN.from_config(config)
    assert len(_packed_layer(again.discriminator)) == 1
    assert _packed_layer(again.discriminator)[0].packing == 2
    path = str(tmp_path / "pacgan.keras")
    model.save(path)
    loaded = keras.models.load_model(path)
    assert _packed_layer(loaded.discriminator)[0].packing == 2
    np.testing.assert_allclose(_np(loaded.discriminator(x)), _np(model.discriminator(x)),
                               rtol=1e-5, atol=1e-6)
    assert tuple(_np(loaded.discriminator(x)).shape) == (16, 1)


def test_batch_not_divisible_by_m_names_the_fix():
    layer = PackSamples(4)
    with pytest.raises(GANInputError, match="multiple of 4"):
        layer(np.zeros((6, 2), "float32"))
    model = keras_gans.GAN(data_shape=(2,), latent_dim=2, hidden=(8,), seed=0,
                           discriminator_options={"packing": 4})
    model.compile()
    with pytest.raises(Exception, match="batch_size that is a multiple of 4"):
        model.fit(_ring(30), batch_size=30, epochs=1, verbose=0)


def test_packing_composes_with_labels_gradient_penalty_and_other_options():
    x, y = _ring(64), np.arange(64) % 3
    cgan = keras_gans.ConditionalGAN(
        data_shape=(2,), latent_dim=2, num_classes=3, seed=0,
        discriminator_options={"packing": 2, "minibatch_stddev": True,
                               "minibatch_discrimination": True})
    first = [layer for layer in cgan.discriminator.layers
             if isinstance(layer, keras.layers.Dense)][0]
    assert first.kernel.shape[0] == 2 * (2 + 3)  # each sample packed with its label
    kinds = {type(layer).__name__ for layer in cgan.discriminator.layers}
    assert {"PackSamples", "MinibatchStdDev", "MinibatchDiscrimination"} <= kinds
    cgan.compile()
    h = cgan.fit(x, y, batch_size=16, epochs=1, verbose=0)
    assert np.isfinite(h.history["d_loss"]).all()
    # WGAN-GP: interpolate per sample, then pack
    wgan = keras_gans.WGANGP(data_shape=(2,), latent_dim=2, seed=0, n_critic=1,
                             discriminator_options={"packing": 2})
    wgan.compile()
    h = wgan.fit(x, batch_size=16, epochs=1, verbose=0)
    assert np.isfinite(h.history["gp"]).all() and h.history["gp"][0] > 0


# ------------------------------------------- minibatch discrimination, same sums
def _minibatch_discrimination_before(x, kernel, num_kernels, kernel_dim):
    """The layer as it was computed before its (B, N, N) layout: one (N, N, B, C)
    tensor of differences reduced over C (numpy, float64)."""
    m = (x.astype("float64") @ kernel.astype("float64")).reshape(-1, num_kernels, kernel_dim)
    diff = m[None, :, :, :] - m[:, None, :, :]
    c = np.exp(-np.abs(diff).sum(-1))
    return np.concatenate([x, c.sum(axis=1) - 1.0], axis=-1)


def test_minibatch_discrimination_gives_the_same_outputs_as_before():
    from keras_gans.layers import MinibatchDiscrimination

    rng = np.random.default_rng(0)
    layer = MinibatchDiscrimination(num_kernels=7, kernel_dim=3)
    x = rng.normal(size=(9, 6)).astype("float32")
    layer.build(x.shape)
    layer.kernel.assign(rng.normal(scale=0.3, size=(6, 21)).astype("float32"))
    out = _np(layer(x))
    ref = _minibatch_discrimination_before(x, _np(layer.kernel), 7, 3)
    assert out.shape == (9, 13)
    assert ref[:, 6:].std() > 0.1  # the sums vary: a permuted layout would show
    np.testing.assert_allclose(out, ref, rtol=1e-5, atol=1e-5)
