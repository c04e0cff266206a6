"""ConditionalGAN(matching_aware=True): D also learns to call fake the real
images paired with a wrong label (Reed et al. 2016, GAN-CLS).

Checked on every backend: the wrong labels are always wrong and spread over the
other classes; D's loss is the formula d(real, y) + ½ (f(G(z, y), y) +
f(real, y')) computed by hand from the same draws; the option off leaves the
loss as it was; a fit step; the config and .keras round trips; the errors.
"""

import keras
import numpy as np
import pytest

import keras_gans
from keras_gans.errors import GANConfigError


def _np(x):
    return np.asarray(keras.ops.convert_to_numpy(x))


def _softplus(x):
    return np.logaddexp(0.0, x)


def _model(**kwargs):
    return keras_gans.ConditionalGAN(data_shape=(6,), latent_dim=3, num_classes=4, seed=1,
                                     **kwargs)


def _fixed_draws(model):
    """The model's noise from numpy, recorded, in call order."""
    drawn = []

    def draw(kind):
        def sample(shape):
            rng = np.random.default_rng(100 + len(drawn))
            arr = rng.standard_normal(shape) if kind == "normal" else rng.uniform(size=shape)
            arr = arr.astype("float32")
            drawn.append(arr)
            return keras.ops.convert_to_tensor(arr)

        return sample

    model.random_normal = draw("normal")
    model.random_uniform = draw("uniform")
    return drawn


def test_wrong_labels_are_wrong_and_uniform_over_the_other_classes():
    model = _model(matching_aware=True)
    ids = np.arange(9000) % 4
    wrong = _np(model.wrong_labels(model.one_hot(ids))).argmax(-1)
    assert not np.any(wrong == ids)
    for c in range(4):
        counts = np.bincount(wrong[ids == c], minlength=4)
        others = np.delete(counts, c)
        # 2,250 rows per class over 3 wrong classes: 750 each expected
        assert others.min() > 650 and others.max() < 850, (c, counts)


@pytest.mark.parametrize("matching_aware", [True, False])
def test_discriminator_loss_is_the_formula(matching_aware):
    model = _model(matching_aware=matching_aware)
    drawn = _fixed_draws(model)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(8, 6)).astype("float32")
    ids = np.array([0, 1, 2, 3, 3, 2, 1, 0])
    y = np.eye(4, dtype="float32")[ids]
    loss, logs = model.discriminator_loss({"x": keras.ops.convert_to_tensor(x),
                                           "y": keras.ops.convert_to_tensor(y)})
    z = drawn[0]
    fake = _np(model.generator([z, y], training=True))
    d = model.discriminator
    real_out = _np(d([x, y], training=True))[:, 0]
    fake_out = _np(d([fake, y], training=True))[:, 0]
    expected_fake = _softplus(fake_out).mean()
    if matching_aware:
        assert len(drawn) == 2  # z, then one uniform per image for its wrong label
        u = drawn[1]
        wrong = (ids + 1 + np.minimum(np.floor(u * 3).astype(int), 2)) % 4
        assert not np.any(wrong == ids)
        mis_out = _np(d([x, np.eye(4, dtype="float32")[wrong]], training=True))[:, 0]
        # the two kinds of fake weigh the same: the mean over both
        expected_fake = 0.5 * (_softplus(fake_out).mean() + _softplus(mis_out).mean())
    else:
        assert len(drawn) == 1
    expected = _softplus(-real_out).mean() + expected_fake
    np.testing.assert_allclose(_np(loss), expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(_np(logs["d_loss"]), expected, rtol=1e-5, atol=1e-6)


def test_fit_step_trains_and_the_option_survives_config_and_keras_file(tmp_path):
    keras.utils.set_random_seed(0)
    model = _model(matching_aware=True)
    model.compile()
    x = np.random.default_rng(1).normal(size=(32, 6)).astype("float32")
    y = np.arange(32) % 4
    before = [_np(v) for v in model.discriminator.trainable_variables]
    history = model.fit(x, y, batch_size=16, epochs=1, verbose=0)
    assert np.isfinite(history.history["d_loss"][-1])
    after = [_np(v) for v in model.discriminator.trainable_variables]
    assert any(np.max(np.abs(a - b)) > 1e-6 for a, b in zip(after, before))

    assert model.get_config()["matching_aware"] is True
    # (from_config consumes the nested networks' configs: a fresh one per call)
    assert keras_gans.ConditionalGAN.from_config(model.get_config()).matching_aware is True
    path = str(tmp_path / "cgan.keras")
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert loaded.matching_aware is True
    np.testing.assert_allclose(_np(loaded.generate(4, labels=[0, 1, 2, 3], seed=3)),
                               _np(model.generate(4, labels=[0, 1, 2, 3], seed=3)),
                               rtol=1e-5, atol=1e-6)
    # Configs written before the option existed load with it off.
    config = model.get_config()
    del config["matching_aware"]
    assert keras_gans.ConditionalGAN.from_config(config).matching_aware is False


def test_matching_aware_must_be_a_bool():
    with pytest.raises(GANConfigError, match="matching_aware must be True or False"):
        _model(matching_aware="yes")
