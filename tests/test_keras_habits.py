"""What Keras users do out of habit works on a GAN, the same on every backend.

- Keras' monitoring callbacks (EarlyStopping, ModelCheckpoint, ReduceLROnPlateau)
  know that every loss term a model logs is minimised.
- A failed call (evaluate, predict or call with the wrong input, a batch that
  fails inside the trainer) leaves the model usable: on JAX, Keras' trainer
  takes the variables' values out while it runs.
- ``predict(z)`` and ``model(z)`` return the generator's samples; a misuse of
  ``predict``/``evaluate`` raises a keras_gans error of one sentence that names
  the fix.
- A ``.keras`` file saved on one backend trains on another (the compile config
  names public optimizer classes).
- ``LearningRateScheduler`` logs ``learning_rate_<player>`` and sets every
  player's rate.

Run as a script (``test_keras_habits.py xb DIR SAVE_NAME LOAD_NAME...``) it is
the other backends' side of the cross-backend test.
"""

import json
import os
import re
import subprocess
import sys

import keras
import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import keras_gans as kg
from keras_gans.errors import GANConfigError, GANInputError

HERE = os.path.dirname(os.path.abspath(__file__))


def tiny_gan(seed=0, conditional=False):
    if conditional:
        return kg.ConditionalGAN(data_shape=(8, 8, 1), num_classes=10, latent_dim=4,
                                 seed=seed)
    return kg.GAN(data_shape=(8, 8, 1), latent_dim=4, hidden=(16,), seed=seed)


def images(n=32, seed=0):
    return np.random.default_rng(seed).uniform(-1, 1, (n, 8, 8, 1)).astype("float32")


def weights(model):
    return [np.array(keras.ops.convert_to_numpy(v)) for v in model.weights]


def fit_once(model, y=None):
    """One step of fit; returns (history, whether any weight moved)."""
    before = weights(model)
    history = model.fit(images(16), y, batch_size=16, epochs=1, verbose=0)
    moved = any(not np.array_equal(a, b) for a, b in zip(before, weights(model)))
    return history, moved


def all_variants():
    from small_variants import ALL_VARIANTS

    return sorted(ALL_VARIANTS)


def build_variant(name):
    from small_variants import ALL_VARIANTS

    return ALL_VARIANTS[name](None)


def one_sentence(message):
    """A message is one sentence: it ends with a full stop and has no other
    sentence end (". " followed by a capital letter)."""
    return message.endswith(".") and not re.search(r"[.!?]\s+[A-Z]", message)


# ------------------------------------------------------------ 1. monitoring
@pytest.mark.parametrize("variant", all_variants())
def test_every_tracked_loss_is_known_to_be_minimised(variant):
    model = build_variant(variant)
    model.compile()
    for term in model.tracked_terms:
        for monitor in (term, f"val_{term}"):
            callback = keras.callbacks.EarlyStopping(monitor=monitor)
            callback.set_model(model)
            callback._set_monitor_op()  # what each monitoring callback runs first
            assert callback.monitor_op is keras.ops.less, (variant, monitor)


@pytest.mark.parametrize("make_callback", [
    lambda tmp: keras.callbacks.EarlyStopping(monitor="g_loss", patience=5),
    lambda tmp: keras.callbacks.ModelCheckpoint(os.path.join(tmp, "best.keras"),
                                                monitor="d_loss", save_best_only=True),
    lambda tmp: keras.callbacks.ReduceLROnPlateau(monitor="g_loss", patience=0,
                                                  min_delta=1e9, factor=0.5),
], ids=["EarlyStopping", "ModelCheckpoint", "ReduceLROnPlateau"])
def test_monitoring_callbacks_take_a_gan_loss(make_callback, tmp_path):
    model = tiny_gan()
    model.compile()
    callback = make_callback(str(tmp_path))
    history = model.fit(images(32), batch_size=16, epochs=2, verbose=0,
                        callbacks=[callback])
    assert len(history.history["g_loss"]) == 2
    if isinstance(callback, keras.callbacks.ModelCheckpoint):
        loaded = keras.saving.load_model(tmp_path / "best.keras")
        assert loaded.generate(2).shape == (2, 8, 8, 1)
    if isinstance(callback, keras.callbacks.ReduceLROnPlateau):
        # min_delta=1e9: no epoch counts as better, so every player's rate halved
        for player, opt in model.player_optimizers.items():
            lr = float(keras.ops.convert_to_numpy(opt.learning_rate))
            assert lr == pytest.approx(1e-4, rel=1e-5), player


# ------------------------------------------------------------ 2, 3. misuse
MISUSES = {
    "evaluate(images)": lambda m: m.evaluate(images(16), batch_size=16, verbose=0),
    "evaluate()": lambda m: m.evaluate(verbose=0),
    "test_on_batch(images)": lambda m: m.test_on_batch(images(16)),
    "predict(images)": lambda m: m.predict(images(16), verbose=0),
    "predict_on_batch(images)": lambda m: m.predict_on_batch(images(16)),
    "model(images)": lambda m: m(images(16)),
    "predict(z of the wrong size)": lambda m: m.predict(np.zeros((4, 7), "float32"),
                                                        verbose=0),
}


@pytest.mark.parametrize("misuse", sorted(MISUSES))
def test_a_misuse_raises_one_clear_sentence_and_the_model_still_works(misuse):
    model = tiny_gan()
    model.compile()
    with pytest.raises((GANInputError, GANConfigError)) as info:
        MISUSES[misuse](model)
    message = str(info.value)
    assert one_sentence(message), message
    assert "GAN" in message
    if "evaluate" in misuse or "test_on_batch" in misuse:
        assert "BestMetricCheckpoint" in message and "keras_gans.metrics" in message
    else:
        assert "(n, 4)" in message and "generate(n)" in message, message
    assert model.generate(3).shape == (3, 8, 8, 1)
    _, moved = fit_once(model)
    assert moved


def _good_then_bad(good, bad):
    yield (good,)
    while True:
        yield (bad,)


class _Raise(keras.callbacks.Callback):
    """Raises ``error`` at the end of the first batch of predict."""

    def __init__(self, error):
        super().__init__()
        self.error = error

    def on_predict_batch_end(self, batch, logs=None):
        raise self.error


FAILING_INSIDE = {
    # Failures met inside Keras' predict loop, after JAX's trainer has taken
    # the variables' values out: a later batch that does not fit (a Python
    # generator can't be checked beforehand), a callback that raises. (Keras'
    # JAX fit puts the values back itself, in a ``finally``.)
    "predict(a later batch of images)": lambda m: m.predict(
        _good_then_bad(np.zeros((4, 4), "float32"), images(4)), steps=2, verbose=0),
    "predict(a callback raises)": lambda m: m.predict(
        np.zeros((8, 4), "float32"), batch_size=4, verbose=0,
        callbacks=[_Raise(RuntimeError("cb"))]),
    "predict(Ctrl-C)": lambda m: m.predict(
        np.zeros((8, 4), "float32"), batch_size=4, verbose=0,
        callbacks=[_Raise(KeyboardInterrupt())]),
}


@pytest.mark.parametrize("misuse", sorted(FAILING_INSIDE))
def test_an_error_inside_the_trainer_leaves_the_model_usable(misuse):
    model = tiny_gan()
    model.compile()
    fit_once(model)  # a trained model, with optimizer state
    before = weights(model)
    with pytest.raises((Exception, KeyboardInterrupt)):
        FAILING_INSIDE[misuse](model)
    for a, b in zip(before, weights(model)):
        np.testing.assert_array_equal(a, b)
    assert model.generate(3).shape == (3, 8, 8, 1)
    _, moved = fit_once(model)
    assert moved


@pytest.mark.parametrize("variant", all_variants())
def test_every_variant_refuses_evaluate_and_wrong_predict_inputs_clearly(variant):
    model = build_variant(variant)
    model.compile()
    spec = model.call_spec()
    assert spec is not None, f"{variant} does not say what predict() takes"
    with pytest.raises(GANConfigError) as info:
        model.evaluate(np.zeros((4, *model.data_shape), "float32"), verbose=0)
    assert one_sentence(str(info.value)), str(info.value)
    # latent vectors for the translators and autoencoders, images for samplers
    wrong = (np.zeros((4, *model.data_shape), "float32") if "latent" in spec["takes"]
             else np.zeros((4, 3), "float32"))
    for method in (model.predict, model):
        with pytest.raises(GANInputError) as info:
            method(wrong)
        message = str(info.value)
        assert one_sentence(message), message
        assert str(tuple(wrong.shape)) in message and spec["instead"] in message, message


def test_predict_and_call_give_the_generators_samples():
    """For an unconditional model from z, for a conditional one from [z, labels]
    with class ids or one-hot labels."""
    z = np.random.default_rng(1).normal(size=(6, 4)).astype("float32")
    model = tiny_gan()
    expected = keras.ops.convert_to_numpy(model.generator(z, training=False))
    for out in (model.predict(z, verbose=0), model.predict(z, batch_size=4, verbose=0),
                keras.ops.convert_to_numpy(model(z)), model.predict_on_batch(z)):
        np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-6)
    model = tiny_gan(conditional=True)
    labels = np.arange(6) % 10
    expected = model.generate_from_latent(z, labels)
    onehot = np.eye(10, dtype="float32")[labels]
    for out in (model.predict([z, labels], verbose=0), model.predict([z, onehot], verbose=0),
                keras.ops.convert_to_numpy(model([z, labels])),
                model.predict_on_batch([z, labels])):
        np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-6)


# ------------------------------------------------------------ 4. across backends
def _save(directory, name):
    model = tiny_gan(seed=1)
    model.compile()
    fit_once(model)
    model.save(os.path.join(directory, name))


def _load_and_fit(path):
    """Load a ``.keras`` file and fit one step on this backend."""
    model = keras.saving.load_model(path)
    for player, opt in model.player_optimizers.items():
        public = getattr(keras.optimizers, type(opt).__name__)
        assert isinstance(opt, public), (player, type(opt))
        assert int(keras.ops.convert_to_numpy(opt.iterations)) == 1, player
    history, moved = fit_once(model)
    assert moved and np.all(np.isfinite(history.history["g_loss"]))
    assert model.generate(2).shape == (2, 8, 8, 1)
    return {"loaded": os.path.basename(path), "on": keras.backend.backend()}


# Each backend's run pairs with the next in this cycle (as test_cross_backend.py).
CYCLE = {"tensorflow": "jax", "jax": "torch", "torch": "tensorflow"}


@pytest.mark.slow
def test_a_keras_file_saved_on_one_backend_trains_on_another(tmp_path):
    """Saved here, trained on the next backend of the cycle, and the reverse:
    the three backends' runs together cover every ordered pair (tf -> jax,
    jax -> tf in the TensorFlow run; jax <-> torch in JAX's; torch <-> tf in
    PyTorch's). Each pair once: a second backend per run added 13-25 s and
    covered every pair twice."""
    mine = keras.backend.backend()
    _save(str(tmp_path), f"{mine}.keras")
    config = json.loads(json.dumps(tiny_gan_compiled().get_compile_config()))
    for player in ("generator", "discriminator"):
        assert config[f"{player}_optimizer"]["module"] == "keras.optimizers"
    others = [CYCLE[mine]]
    for other in others:
        env = dict(os.environ, KERAS_BACKEND=other, TF_CPP_MIN_LOG_LEVEL="2")
        proc = subprocess.run(
            [sys.executable, os.path.abspath(__file__), "xb", str(tmp_path),
             f"{other}.keras", f"{mine}.keras"],
            env=env, capture_output=True, text=True, check=False, timeout=600,
        )
        assert proc.returncode == 0, f"{mine} -> {other}:\n{proc.stderr[-3000:]}"
    for other in others:
        assert _load_and_fit(str(tmp_path / f"{other}.keras"))["on"] == mine


def tiny_gan_compiled():
    model = tiny_gan()
    model.compile()
    return model


# ------------------------------------------------------------ 5. learning rates
@pytest.mark.parametrize("variant", all_variants())
def test_each_players_optimizer_is_named_after_the_player(variant):
    model = build_variant(variant)
    model.compile()
    assert sorted(o.name for o in model.optimizer.optimizers) == sorted(model.players)


def test_learning_rate_scheduler_logs_and_sets_each_players_rate():
    model = tiny_gan()
    model.compile(generator_optimizer=keras.optimizers.Adam(1e-3),
                  discriminator_optimizer=keras.optimizers.SGD(4e-3))
    scheduler = keras.callbacks.LearningRateScheduler(lambda epoch, lr: lr * 0.5)
    history = model.fit(images(32), batch_size=16, epochs=2, verbose=0,
                        callbacks=[scheduler])
    logged = sorted(k for k in history.history if k.startswith("learning_rate"))
    assert logged == ["learning_rate_discriminator", "learning_rate_generator"]
    np.testing.assert_allclose(history.history["learning_rate_generator"], [5e-4, 2.5e-4],
                               rtol=1e-5)
    np.testing.assert_allclose(history.history["learning_rate_discriminator"],
                               [2e-3, 1e-3], rtol=1e-5)


def _xb_main(directory, save_name, *load_names):
    _save(directory, save_name)
    for name in load_names:
        print(json.dumps(_load_and_fit(os.path.join(directory, name))))


if __name__ == "__main__":
    if sys.argv[1] == "xb":
        _xb_main(*sys.argv[2:])
