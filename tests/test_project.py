"""project(): latent codes that reproduce images, on the backend KERAS_BACKEND names.

The main check can fail: images the dcgan_mnist generator made from known z
must be reproduced far better than by random z (the baseline a projection that
does nothing would score) and below a fixed MSE.
"""

import os

import keras
import numpy as np
import pytest

import keras_gans
from keras_gans.errors import GANConfigError, GANInputError

MNIST = os.path.join(os.path.dirname(__file__), "..", "..", "shared", "datasets", "mnist.npz")
STEPS = 60


@pytest.fixture(scope="module")
def dcgan():
    return keras_gans.presets.from_preset("dcgan_mnist")


def _own_samples(model, n=8, seed=5):
    z = np.random.default_rng(seed).standard_normal((n, model.latent_dim)).astype("float32")
    return keras.ops.convert_to_numpy(model.generator(z, training=False))


def test_projects_generated_images_far_better_than_random_z(dcgan):
    x = _own_samples(dcgan)
    random_z = dcgan.generate(len(x), seed=123)
    baseline = np.mean((random_z - x) ** 2, axis=(1, 2, 3))
    result = keras_gans.project(dcgan, x, steps=STEPS, learning_rate=0.1, seed=0)
    assert result.latents.shape == (8, dcgan.latent_dim)
    assert result.reconstructions.shape == x.shape
    assert result.feature_distance is None and result.space == "z"
    # the stored reconstructions and errors are those of the stored latents
    again = keras.ops.convert_to_numpy(dcgan.generator(result.latents, training=False))
    np.testing.assert_allclose(again, result.reconstructions, atol=1e-4)
    np.testing.assert_allclose(np.mean((again - x) ** 2, axis=(1, 2, 3)), result.mse,
                               rtol=1e-3, atol=1e-6)
    print(f"\nown samples, {STEPS} steps: mse {result.mse.mean():.4f} "
          f"(start {result.initial_mse.mean():.4f}, random z {baseline.mean():.4f})")
    assert result.mse.mean() < 0.3 * result.initial_mse.mean()
    assert result.mse.mean() < 0.3 * baseline.mean()
    assert result.mse.mean() < 0.1
    assert np.all(result.mse < baseline)  # every image, not just on average


def test_feature_distance_with_the_mnist_classifier_and_restarts(dcgan):
    x = _own_samples(dcgan, n=4, seed=6)
    result = keras_gans.project(dcgan, x, steps=10, dataset="mnist", restarts=2, seed=1)
    assert result.feature_network == "mnist_classifier"
    assert result.feature_distance.shape == (4,)
    assert np.all(result.feature_distance >= 0) and np.all(np.isfinite(result.feature_distance))
    assert result.restarts == 2 and result.latents.shape == (4, dcgan.latent_dim)
    errors = result.errors()
    assert set(errors) >= {"mse", "mean_mse", "feature_distance", "initial_mse"}


@pytest.mark.skipif(not os.path.exists(MNIST), reason="needs shared/datasets/mnist.npz")
def test_real_mnist_digits_report_error(dcgan):
    with np.load(MNIST) as f:
        digits = f["x_test"][:8]
    x = (digits.astype("float32") / 127.5 - 1.0)[..., None]
    result = keras_gans.project(dcgan, x, steps=STEPS, seed=0)
    baseline = np.mean((dcgan.generate(8, seed=123) - x) ** 2)
    print(f"\nMNIST test digits, {STEPS} steps: mse {result.mse.mean():.4f} "
          f"(start {result.initial_mse.mean():.4f}, random z {baseline:.4f})")
    assert result.mse.mean() < baseline


def test_batches_smaller_than_the_images(dcgan):
    x = _own_samples(dcgan, n=5, seed=8)
    result = keras_gans.project(dcgan, x, steps=3, batch_size=2, seed=0)
    assert result.latents.shape == (5, dcgan.latent_dim) and result.mse.shape == (5,)


def test_conditional_model_needs_labels():
    model = keras_gans.ConditionalGAN(data_shape=(28, 28, 1), latent_dim=8, num_classes=3,
                                      seed=0)
    x = model.generate(2, labels=[0, 2], seed=0)
    with pytest.raises(GANInputError, match="conditional.*pass labels="):
        keras_gans.project(model, x, steps=1)
    with pytest.raises(GANInputError, match=r"class ids in \[0, 3\)"):
        keras_gans.project(model, x, labels=[0, 3], steps=1)
    result = keras_gans.project(model, x, labels=[0, 2], steps=20, learning_rate=0.1, seed=9)
    assert result.mse.mean() < result.initial_mse.mean()


@pytest.mark.slow
def test_stylegan_projects_in_w_space_from_w_avg():
    model = keras_gans.StyleGAN(data_shape=(8, 8, 1), latent_dim=8, channels=8,
                                mapping_layers=2, seed=0)
    model.w_avg.assign(np.linspace(-0.5, 0.5, 8).astype("float32"))
    x = model.generate(3, seed=2, noise_mode="none")
    start = keras_gans.project(model, x, steps=1, learning_rate=1e-9)
    # one negligible step: the start is w_avg, for every image
    np.testing.assert_allclose(start.latents, np.repeat(np.linspace(-0.5, 0.5, 8)[None], 3, 0)
                               .astype("float32"), atol=1e-5)
    result = keras_gans.project(model, x, steps=30, learning_rate=0.05, restarts=2)
    assert result.space == "w" and result.latents.shape == (3, model.w_dim)
    assert result.mse.mean() < result.initial_mse.mean()


@pytest.mark.parametrize("bad, match", [
    (np.zeros((2, 28, 28), "float32"), r"add the channel axis"),
    (np.zeros((2, 32, 32, 1), "float32"), r"shape \(2, 32, 32, 1\).*makes \(28, 28, 1\)"),
    (np.zeros((2, 28, 28, 1), "uint8"), r"uint8.*scale_images"),
    (np.full((2, 28, 28, 1), 255.0, "float32"), r"range over.*0\.\.255"),
    (np.full((2, 28, 28, 1), 0.9, "float32") * np.linspace(0, 1, 28)[:, None], r"0\.\.1"),
    (np.full((2, 28, 28, 1), np.nan, "float32"), r"2 image\(s\) contain NaN"),
    (np.zeros((0, 28, 28, 1), "float32"), r"empty"),
])
def test_bad_images_are_refused(dcgan, bad, match):
    with pytest.raises(GANInputError, match=match):
        keras_gans.project(dcgan, bad, steps=1)


def test_bad_settings_and_models_are_refused(dcgan):
    x = np.zeros((1, 28, 28, 1), "float32")
    with pytest.raises(GANConfigError, match="steps must be a positive integer"):
        keras_gans.project(dcgan, x, steps=0)
    with pytest.raises(GANConfigError, match="No feature network for dataset 'svhn'"):
        keras_gans.project(dcgan, x, steps=1, dataset="svhn")
    translator = keras_gans.CycleGAN(data_shape=(16, 16, 1), filters=4, n_blocks=1,
                                     pool_size=0)
    with pytest.raises(GANInputError, match="translates images.*translate"):
        keras_gans.project(translator, np.zeros((1, 16, 16, 1), "float32"))
    with pytest.raises(GANInputError, match="takes a keras_gans model"):
        keras_gans.project(dcgan.generator, x)


def test_aae_starts_from_its_encoder():
    model = keras_gans.AdversarialAutoencoder(data_shape=(28, 28, 1), latent_dim=4,
                                              hidden=(16,), seed=0)
    x = np.tanh(np.random.default_rng(0).standard_normal((2, 28, 28, 1))).astype("float32")
    start = keras_gans.project(model, x, steps=1, learning_rate=1e-9)
    np.testing.assert_allclose(start.latents, model.encode(x), atol=1e-5)
