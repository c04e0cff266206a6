"""How a conditional discriminator reads its label: discriminator_options={"conditioning": ...}.

"input" (the default, Mirza & Osindero 2014) joins the one-hot label to the input;
"projection" (Miyato & Koyama 2018) adds <V y, phi(x)> to the unconditional score
psi(phi(x)). Checked on every backend: the projection's arithmetic against its
formula, that the label no longer enters the first layer, a fit step training the
class embedding, the config and .keras round trips, and the errors.
"""

import keras
import numpy as np
import pytest

import keras_gans
from keras_gans.errors import GANConfigError
from keras_gans.networks import dcgan_discriminator, mlp_discriminator


def _np(x):
    return np.asarray(keras.ops.convert_to_numpy(x))


def _features(d):
    """phi(x): the features the projection and the score both read."""
    return keras.Model(d.inputs, d.get_layer("projection").input[0])


@pytest.mark.parametrize("build", [
    lambda: mlp_discriminator((6,), (8,), num_classes=3, conditioning="projection"),
    lambda: dcgan_discriminator((28, 28, 1), filters=4, num_classes=3,
                                conditioning="projection"),
], ids=["mlp", "dcgan"])
def test_projection_score_is_psi_of_phi_plus_the_class_embedding_dot_phi(build):
    keras.utils.set_random_seed(0)
    d = build()
    rng = np.random.default_rng(0)
    embedding = d.get_layer("label_embedding")
    # A nonzero, known embedding (it starts at N(0, 0.02) like every weight).
    v = rng.normal(size=tuple(embedding.kernel.shape)).astype("float32")
    embedding.kernel.assign(v)
    x = rng.normal(size=(5, *d.inputs[0].shape[1:])).astype("float32")
    labels = np.array([0, 1, 2, 1, 0])
    y = np.eye(3, dtype="float32")[labels]
    phi = _np(_features(d)([x, y]))
    score = d.get_layer("score")
    psi = phi @ _np(score.kernel) + _np(score.bias)
    expected = psi[:, 0] + np.sum(phi * v[labels], axis=1)
    np.testing.assert_allclose(_np(d([x, y]))[:, 0], expected, rtol=1e-4, atol=1e-4)
    # The label changes the score only through the embedding.
    other = np.eye(3, dtype="float32")[(labels + 1) % 3]
    np.testing.assert_allclose(_np(d([x, y]) - d([x, other]))[:, 0],
                               np.sum(phi * (v[labels] - v[(labels + 1) % 3]), axis=1),
                               rtol=1e-4, atol=1e-4)


def test_the_label_enters_the_first_layer_only_with_input_conditioning():
    def first_conv(d):
        return next(layer for layer in d.layers if "conv" in type(layer).__name__.lower())

    concat = dcgan_discriminator((28, 28, 1), filters=4, num_classes=10)
    projection = dcgan_discriminator((28, 28, 1), filters=4, num_classes=10,
                                     conditioning="projection")
    assert first_conv(concat).kernel.shape[2] == 1 + 10  # image + one map per class
    assert first_conv(projection).kernel.shape[2] == 1
    names = {layer.name for layer in projection.layers}
    assert {"label_embedding", "projection", "conditional_score"} <= names
    assert not {"label_embedding", "projection"} & {layer.name for layer in concat.layers}


def test_fit_trains_the_embedding_and_round_trips(tmp_path):
    keras.utils.set_random_seed(0)
    x = np.random.default_rng(0).normal(size=(32, 4)).astype("float32")
    y = np.arange(32) % 4
    model = keras_gans.ConditionalGAN(
        data_shape=(4,), latent_dim=3, num_classes=4, seed=0,
        discriminator_options={"conditioning": "projection", "spectral_norm": True})
    model.compile()
    embedding = model.discriminator.get_layer("label_embedding_sn").layer
    before = _np(embedding.kernel).copy()
    weights_before = [_np(w).copy() for w in model.discriminator.trainable_weights]
    history = model.fit(x, y, batch_size=16, epochs=1, verbose=0)
    assert np.isfinite(history.history["d_loss"]).all()
    moved = [not np.allclose(a, _np(b))
             for a, b in zip(weights_before, model.discriminator.trainable_weights)]
    assert all(moved), moved  # the embedding among them
    assert not np.allclose(before, _np(embedding.kernel))
    config = model.get_config()
    assert config["discriminator_options"] == {"conditioning": "projection",
                                               "spectral_norm": True}
    path = str(tmp_path / "cgan_projection.keras")
    model.save(path)
    loaded = keras.models.load_model(path)
    onehot = np.eye(4, dtype="float32")[y]
    np.testing.assert_allclose(_np(loaded.discriminator([x, onehot])),
                               _np(model.discriminator([x, onehot])), rtol=1e-5, atol=1e-5)


def test_bad_conditioning_names_the_fix():
    with pytest.raises(GANConfigError, match="one of \\('input', 'projection'\\)"):
        mlp_discriminator((2,), (8,), num_classes=3, conditioning="concat")
    with pytest.raises(GANConfigError, match="packing"):
        mlp_discriminator((2,), (8,), num_classes=3, conditioning="projection", packing=2)
    with pytest.raises(GANConfigError, match="takes no label"):
        mlp_discriminator((2,), (8,), conditioning="projection")
    with pytest.raises(GANConfigError, match="takes no label"):
        keras_gans.GAN(data_shape=(2,), latent_dim=2,
                       discriminator_options={"conditioning": "projection"})
