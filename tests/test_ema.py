"""A moving average of the sampling networks for every variant (``ema_decay=``):
updated inside the compiled step, used by generate/translate, saved and loaded."""

import os
import sys

import keras
import numpy as np
import pytest

import keras_gans as kg

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from small_variants import _f28 as small_feature_extractor
from small_variants import batch_size, fit_args

BETA = 0.5

MAKERS = {
    "GAN": lambda: kg.GAN(data_shape=(8, 8, 1), latent_dim=4, hidden=(16,), ema_decay=BETA),
    "ConditionalGAN": lambda: kg.ConditionalGAN(data_shape=(8, 8, 1), num_classes=10,
                                                latent_dim=4, ema_decay=BETA),
    "DCGAN": lambda: kg.DCGAN(data_shape=(28, 28, 1), latent_dim=4, filters=4,
                              ema_decay=BETA),
    "WGANGP": lambda: kg.WGANGP(data_shape=(28, 28, 1), latent_dim=4, filters=4, n_critic=1,
                                ema_decay=BETA),
    "StyleGAN": lambda: kg.StyleGAN(data_shape=(8, 8, 1), latent_dim=8, channels=8,
                                    mapping_layers=1, r1_interval=1, ema_decay=BETA),
    "CycleGAN": lambda: kg.CycleGAN(data_shape=(28, 28, 1), filters=4, n_blocks=1,
                                    pool_size=4, ema_decay=BETA),
    "DTN": lambda: kg.DomainTransferNetwork(small_feature_extractor(), filters=4,
                                            ema_decay=BETA),
    "BiGAN": lambda: kg.BiGAN(data_shape=(8, 8, 1), latent_dim=4, hidden=(16,),
                              ema_decay=BETA),
    "AAE": lambda: kg.AdversarialAutoencoder(data_shape=(8, 8, 1), latent_dim=4,
                                             hidden=(16,), ema_decay=BETA),
}


def _weights(network):
    return [np.array(keras.ops.convert_to_numpy(w)) for w in network.weights]


def _sample(model, **kwargs):
    if hasattr(model, "translate"):
        x = fit_args(type(model).__name__ if not isinstance(
            model, kg.DomainTransferNetwork) else "DTN", model)[0][0][:4]
        return model.translate(x)
    labels = np.arange(4) % 10 if getattr(model, "num_classes", None) else None
    return model.generate(4, labels=labels, seed=0, **kwargs)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["DCGAN", "CycleGAN"])
def test_the_moving_average_is_updated_inside_the_compiled_step(name):
    """One step: ema = β w0 + (1 - β) w1 for every weight (BatchNorm
    statistics included), for one network (DCGAN) and for two (CycleGAN); at
    step 0 the warm-up makes β = min(ema_decay, 1/10)."""
    model = MAKERS[name]()
    model.compile()
    before = {n: _weights(getattr(model, n)) for n in model.sampling_networks}
    for n in model.sampling_networks:  # starts equal to the network
        for e, w in zip(_weights(getattr(model, f"{n}_ema")), before[n]):
            np.testing.assert_array_equal(e, w)
    data, labels = fit_args(name, model)
    model.fit(data if labels is None else (data, labels), batch_size=batch_size(name),
              epochs=1, steps_per_epoch=1, verbose=0)
    moved = False
    for n in model.sampling_networks:
        after, ema = _weights(getattr(model, n)), _weights(getattr(model, f"{n}_ema"))
        for w0, w1, e in zip(before[n], after, ema):
            beta = min(BETA, 1 / 10)
            np.testing.assert_allclose(e, beta * w0 + (1 - beta) * w1, rtol=1e-5, atol=1e-6)
            moved |= not np.allclose(e, w1)
    assert moved, "the moving average equals the trained network"


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(MAKERS))
def test_every_variant_samples_from_its_average_and_saves_it(name, tmp_path):
    model = MAKERS[name]()
    rng = np.random.default_rng(0)
    for n in model.sampling_networks:  # an average that differs from the network
        for e in getattr(model, f"{n}_ema").trainable_weights + getattr(
                model, f"{n}_ema").non_trainable_weights:
            if "float" in str(e.dtype) and "moving_variance" not in e.path:
                value = keras.ops.convert_to_numpy(e)
                e.assign(value + rng.normal(0, 0.1, value.shape).astype(value.dtype))
    sampled = _sample(model)
    assert not np.allclose(sampled, _raw_samples(model)), "sampling ignores the EMA"
    path = tmp_path / f"{name}.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert loaded.ema_decay == BETA and loaded.get_config()["ema_decay"] == BETA
    for n in model.sampling_networks:
        for a, b in zip(_weights(getattr(loaded, f"{n}_ema")),
                        _weights(getattr(model, f"{n}_ema"))):
            np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(_sample(loaded), sampled, atol=1e-6)


def _raw_samples(model):
    """The same samples from the trained (not averaged) networks."""
    decay = model.ema_decay
    model.ema_decay = None  # sampler() then returns the trained network
    try:
        return _sample(model)
    finally:
        model.ema_decay = decay


def test_without_ema_decay_nothing_changes():
    model = kg.DCGAN(data_shape=(28, 28, 1), latent_dim=4, filters=4)
    assert model.ema_decay is None and not hasattr(model, "generator_ema")
    assert "ema_decay" not in model.get_config()  # presets' configs are as before
    assert [p.name for p in model.training_phases()] == ["discriminator", "generator"]
    assert model.sampler() is model.generator


@pytest.mark.parametrize("bad", [1.0, -0.1, 2])
def test_an_ema_decay_outside_0_1_is_refused(bad):
    with pytest.raises(kg.GANConfigError, match="ema_decay must be in \\[0, 1\\)"):
        kg.DCGAN(data_shape=(28, 28, 1), latent_dim=4, filters=4, ema_decay=bad)
