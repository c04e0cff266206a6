"""Clear errors: each names the problem and the fix, with the right exception type.

Every check raises before any training step runs, so the models stay tiny and
are never trained here.
"""

import re

import keras
import numpy as np
import pytest

import keras_gans as kg
from keras_gans import GANConfigError, GANInputError

BACKEND = keras.backend.backend()


def dcgan():
    model = kg.DCGAN(data_shape=(28, 28, 1), latent_dim=8, filters=8, seed=0)
    model.compile()
    return model


def points_gan():
    model = kg.GAN(data_shape=(2,), latent_dim=2, hidden=(8,), seed=0)
    model.compile()
    return model


def images(shape, n=4):
    """Float images already in [-1, 1]."""
    return np.random.default_rng(0).uniform(-1.0, 1.0, (n, *shape)).astype("float32")


def points(n=64):
    return np.random.default_rng(0).standard_normal((n, 2)).astype("float32")


# ------------------------------------------------------------------ shapes
def test_image_shape_and_channels_do_not_fit_model():
    with pytest.raises(GANInputError, match=r"\(32, 32, 3\) but DCGAN was built for \(28, 28, 1\)"
                       r".*data_shape=\(32, 32, 3\)"):
        dcgan().fit(images((32, 32, 3)), batch_size=2, verbose=0)


def test_missing_channel_axis_hints_x_none():
    with pytest.raises(GANInputError, match=r"\(28, 28\) but DCGAN was built for \(28, 28, 1\)"
                       r".*Add a channel axis: x\[\.\.\., None\]"):
        dcgan().fit(images((28, 28)), batch_size=2, verbose=0)


def test_channels_mismatch_names_both_counts():
    with pytest.raises(GANInputError, match=r"takes 1 channel\(s\), the data has 3"
                       r".*data_shape=\(28, 28, 3\) or convert the images"):
        dcgan().fit(images((28, 28, 3)), batch_size=2, verbose=0)


def test_image_size_mismatch_suggests_resize_or_data_shape():
    with pytest.raises(GANInputError, match=r"\(32, 32, 1\) but DCGAN was built for \(28, 28, 1\)"
                       r".*resize_images\(x, 28\).*data_shape=\(32, 32, 1\)"):
        dcgan().fit(images((32, 32, 1)), batch_size=2, verbose=0)


def test_vector_size_mismatch_suggests_data_shape():
    x = np.zeros((8, 3), "float32")
    with pytest.raises(GANInputError, match=r"\(3,\) but GAN was built for \(2,\).*data_shape=\(3,\)"):
        points_gan().fit(x, batch_size=4, verbose=0)


# ------------------------------------------------------------------ labels
def test_conditional_gan_without_labels():
    model = kg.ConditionalGAN(
        data_shape=(2,), num_classes=4, latent_dim=2,
        generator=kg.networks.mlp_generator(2, (2,), (8,), 4, None),
        discriminator=kg.networks.mlp_discriminator((2,), (8,), 4),
    )
    model.compile()
    with pytest.raises(GANInputError, match=r"conditional \(num_classes=4\): fit\(\) needs labels"
                       r".*fit\(x, y\)"):
        model.fit(points(), batch_size=32, verbose=0)


# ------------------------------------------------------------------ empty data
def test_empty_numpy_dataset():
    with pytest.raises(GANInputError, match=r"empty: fit\(\) got no samples"):
        points_gan().fit(np.zeros((0, 2), "float32"), batch_size=4, verbose=0)


def test_empty_pydataset():
    class Empty(keras.utils.PyDataset):
        def __len__(self):
            return 0

        def __getitem__(self, i):
            raise IndexError(i)

    with pytest.raises(GANInputError, match=r"empty: fit\(\) got no samples"):
        points_gan().fit(Empty(), verbose=0)


@pytest.mark.skipif(BACKEND != "tensorflow", reason="tf.data input is for the TensorFlow backend")
def test_empty_tf_dataset():
    import tensorflow as tf

    ds = tf.data.Dataset.from_tensor_slices(np.zeros((0, 2), "float32")).batch(4)
    with pytest.raises(GANInputError, match=r"empty: fit\(\) got no samples.*Check the path"):
        points_gan().fit(ds, verbose=0)


# ------------------------------------------------------------------ scale, NaN
def test_uint8_images_not_scaled():
    x = np.random.default_rng(0).integers(0, 256, (4, 28, 28, 1)).astype("uint8")
    with pytest.raises(GANInputError, match=r"dtype uint8.*\[-1, 1\].*keras_gans\.data\.scale_images\(x\)"):
        dcgan().fit(x, batch_size=2, verbose=0)


def test_float_images_in_0_255_not_scaled():
    x = np.random.default_rng(0).integers(0, 256, (4, 28, 28, 1)).astype("float32")
    x[0, 0, 0, 0], x[0, 0, 1, 0] = 0.0, 255.0
    with pytest.raises(GANInputError, match=r"range over \[0, 255\] but the generator produces "
                       r"\[-1\.0, 1\.0\].*scale_images\(x\)"):
        dcgan().fit(x, batch_size=2, verbose=0)


def test_nan_in_a_batch():
    x = points(64)
    x[-1, 1] = np.nan  # in the last batch, not the first
    with pytest.raises(GANInputError, match=r"NaN or infinite.*clean or drop those samples"):
        points_gan().fit(x, batch_size=16, verbose=0)


def test_nan_in_first_pydataset_batch():
    class Batches(keras.utils.PyDataset):
        def __len__(self):
            return 2

        def __getitem__(self, i):
            x = points(16)
            x[3, 0] = np.nan
            return x

    with pytest.raises(GANInputError, match=r"NaN or infinite"):
        points_gan().fit(Batches(), verbose=0)


# ------------------------------------------------------------------ names
def test_unknown_variant_suggests_closest():
    with pytest.raises(GANConfigError, match=r"Unknown variant 'dcgna'.*Did you mean 'dcgan'\?"):
        kg.models.get_variant("dcgna")
    assert kg.models.get_variant("DCGAN") is kg.DCGAN  # the lookup itself works


def test_unknown_loss_suggests_closest():
    with pytest.raises(GANConfigError, match=r"Unknown adversarial loss 'wasserstien'.*"
                       r"Did you mean 'wasserstein'\?"):
        kg.losses.get("wasserstien")
    assert kg.losses.get("wasserstein").name == "wasserstein"


def test_unknown_loss_in_constructor():
    with pytest.raises(GANConfigError, match=r"Did you mean 'least_squares'\?"):
        kg.LSGAN(data_shape=(2,), latent_dim=2, loss="least_square")


# ------------------------------------------------------------------ compile
def test_fit_before_compile():
    model = kg.GAN(data_shape=(2,), latent_dim=2, hidden=(8,))
    with pytest.raises(GANConfigError, match=r"Call GAN\.compile\(\) before fit\(\)"):
        model.fit(points(), batch_size=16, verbose=0)


def test_compile_with_single_optimizer():
    model = kg.GAN(data_shape=(2,), latent_dim=2, hidden=(8,))
    with pytest.raises(GANConfigError, match=r"each needs its own optimizer: pass "
                       r"generator_optimizer=, discriminator_optimizer= instead of optimizer="):
        model.compile(optimizer=keras.optimizers.Adam())


def test_compile_with_shared_optimizer_instance():
    model = kg.GAN(data_shape=(2,), latent_dim=2, hidden=(8,))
    opt = keras.optimizers.Adam(1e-3)
    with pytest.raises(GANConfigError, match=r"same optimizer instance.*create one per player"):
        model.compile(generator_optimizer=opt, discriminator_optimizer=opt)


def test_compile_unknown_argument():
    model = kg.GAN(data_shape=(2,), latent_dim=2, hidden=(8,))
    with pytest.raises(GANConfigError, match=r"Unknown argument\(s\) \['generator_optimiser'\] to "
                       r"GAN\.compile\(\).*'discriminator_optimizer', 'generator_optimizer'"):
        model.compile(generator_optimiser="adam")
    with pytest.raises(GANConfigError, match=re.escape("Unknown argument(s) ['loss']")):
        model.compile(loss="binary_crossentropy")


# ------------------------------------------------------------------ tricks
@pytest.mark.parametrize("cls", [kg.WGAN, kg.WGANGP])
def test_label_smoothing_rejected_for_wasserstein(cls):
    with pytest.raises(GANConfigError, match=r"label_smoothing.*not for loss='wasserstein'"
                       r".*drop label_smoothing="):
        cls(data_shape=(2,), latent_dim=2, label_smoothing=0.1)
