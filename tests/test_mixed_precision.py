"""Mixed precision (keras.mixed_precision policies) on every variant, on the
backend of this process: a couple of fit steps under mixed_bfloat16 and
mixed_float16 give finite losses and move every player's weights; under
mixed_float16 Keras wraps the players' MultiOptimizer in a LossScaleOptimizer
(one dynamic scale; each phase scales, unscales and skips an overflowing step); penalties stay finite; samples
come back as float32. Every test restores the global float32 policy."""

import os

import keras
import numpy as np
import pytest
from gan_test_case import changed, weights_of
from small_variants import ALL_VARIANTS, batch_size, fit_args

import keras_gans as kg
from keras_gans import regularizers

ops = keras.ops
POLICIES = ("mixed_bfloat16", "mixed_float16")


@pytest.fixture
def policy(request):
    keras.config.set_dtype_policy(request.param)
    try:
        yield request.param
    finally:
        keras.config.set_dtype_policy("float32")


@pytest.fixture(autouse=True)
def _float32_after():
    yield
    keras.config.set_dtype_policy("float32")


def outputs_of(name, model):
    x, y = fit_args(name, model)
    if name in ("CycleGAN", "DiscoGAN"):
        return model.translate(x[0][:4])
    if name == "DTN":
        return model.translate(x[0][:4])
    if name == "AAE":
        return model.reconstruct(x[:4])
    return model.generate(4, labels=None if y is None else y[:4], seed=0)


@pytest.mark.slow
@pytest.mark.parametrize("policy", POLICIES, indirect=True)
@pytest.mark.parametrize("name", sorted(ALL_VARIANTS))
def test_fit_steps_under_the_policy(name, policy):
    model = ALL_VARIANTS[name](None)
    assert model.dtype_policy.name == policy
    model.compile()
    scaled = isinstance(model.optimizer, keras.optimizers.LossScaleOptimizer)
    assert scaled == (policy == "mixed_float16"), (policy, type(model.optimizer))
    before = {p: weights_of(model.player_variables(p)) for p in model.players}
    x, y = fit_args(name, model)
    history = model.fit(x, y, batch_size=batch_size(name), epochs=2, verbose=0,
                        shuffle=False)
    for term in model.tracked_terms:
        assert np.all(np.isfinite(history.history[term])), (term, history.history[term])

    def still():
        return [p for p in model.players
                if not changed(before[p], weights_of(model.player_variables(p)))]

    if policy == "mixed_float16":
        # The scale starts at 2^15: a phase whose scaled gradients overflow
        # float16 is skipped and the scale halved, so a player may need a few
        # more steps before its first update.
        for _ in range(12):
            if not still():
                break
            model.fit(x, y, batch_size=batch_size(name), epochs=1, verbose=0,
                      shuffle=False)
    assert not still(), f"{still()} did not move under {policy}"
    for player in model.players:
        after = weights_of(model.player_variables(player))
        assert all(w.dtype == np.float32 for w in after), player  # float32 variables
        assert all(np.isfinite(w).all() for w in after), player
    out = outputs_of(name, model)
    assert out.dtype == np.float32 and np.all(np.isfinite(out))


@pytest.mark.slow
@pytest.mark.parametrize("policy", ["mixed_float16"], indirect=True)
def test_gradient_penalty_is_finite_in_float16(policy):
    model = kg.WGANGP(data_shape=(28, 28, 1), latent_dim=4, filters=4, n_critic=1)
    real = ops.convert_to_tensor(np.zeros((4, 28, 28, 1), "float16"))
    fake = ops.convert_to_tensor(np.zeros((4, 28, 28, 1), "float16"))
    alpha = ops.convert_to_tensor(np.full((4, 1, 1, 1), 0.5, "float32"))
    # Identical real and fake: the critic's gradient at the interpolates is
    # finite and the penalty's norm has its epsilon inside the sqrt.
    gp = regularizers.gradient_penalty(model.discriminator, real, fake, alpha)
    assert ops.convert_to_numpy(gp).dtype == np.float32
    assert np.isfinite(ops.convert_to_numpy(gp))
    model.compile()
    x, _ = fit_args("WGANGP", model)
    history = model.fit(x, batch_size=16, epochs=2, verbose=0)
    assert np.all(np.isfinite(history.history["gp"]))


@pytest.mark.slow
@pytest.mark.parametrize("policy", ["mixed_float16"], indirect=True)
def test_an_overflowing_step_is_skipped_and_the_scale_halved(policy):
    model = kg.DCGAN(data_shape=(28, 28, 1), latent_dim=4, filters=4)
    model.compile()
    scaler = model.optimizer
    # A scale this large overflows float16 activations' gradients: both
    # phases are skipped (weights unchanged) and the scale halves twice.
    scaler.dynamic_scale.assign(2.0**40)
    before = weights_of(model.trainable_variables)
    x, _ = fit_args("DCGAN", model)
    model.fit(x[:16], batch_size=16, epochs=1, verbose=0)
    scale = float(ops.convert_to_numpy(scaler.dynamic_scale))
    assert scale == 2.0**38, scale
    assert not changed(before, weights_of(model.trainable_variables))
    model.fit(x[:16], batch_size=16, epochs=1, verbose=0)  # finite again soon
    for _ in range(30):
        if changed(before, weights_of(model.trainable_variables)):
            break
        model.fit(x[:16], batch_size=16, epochs=1, verbose=0)
    assert changed(before, weights_of(model.trainable_variables))


@pytest.mark.slow
@pytest.mark.parametrize("policy", ["mixed_float16"], indirect=True)
def test_loss_scaled_model_survives_a_keras_file(policy, tmp_path):
    model = kg.DCGAN(data_shape=(28, 28, 1), latent_dim=4, filters=4)
    model.compile()
    x, _ = fit_args("DCGAN", model)
    model.fit(x, batch_size=16, epochs=1, verbose=0)
    path = os.path.join(tmp_path, "model.keras")
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert loaded.dtype_policy.name == "mixed_float16"
    assert isinstance(loaded.optimizer, keras.optimizers.LossScaleOptimizer)
    np.testing.assert_allclose(
        ops.convert_to_numpy(loaded.optimizer.dynamic_scale),
        ops.convert_to_numpy(model.optimizer.dynamic_scale))
    np.testing.assert_allclose(model.generate(4, seed=0), loaded.generate(4, seed=0),
                               atol=1e-3)


def test_the_policy_is_restored():
    assert keras.config.dtype_policy().name == "float32"
