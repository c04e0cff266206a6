"""Cross-backend one-step cases for the conditional GAN, DCGAN players: the
paper's form (the label as constant maps at D's input), the same with a
matching-aware D (Reed et al. 2016) and a projection discriminator (Miyato &
Koyama 2018).

The input-label case was left out until stop 29: torch's step differed from
TensorFlow's by 6e-4. The cause was Keras' type promotion, which runs float64
as float32 on JAX and torch in places (``ops.tanh`` on JAX, BatchNormalization
on both); ``cross_backend_step.py`` now keeps float64 float64, and the case
agrees to 1e-8.
"""

import numpy as np

from keras_gans.models.conditional_gan import ConditionalGAN


def cases(batch):
    rng = np.random.default_rng(13)
    x = np.tanh(rng.standard_normal((batch, 28, 28, 1))).astype("float32")
    y = (np.arange(batch) % 3).astype("int32")
    return {
        "conditional_gan_input": (
            lambda: ConditionalGAN(
                data_shape=(28, 28, 1), latent_dim=4, num_classes=3, architecture="dcgan"),
            (x, y)),
        "conditional_gan_matching_aware": (
            lambda: ConditionalGAN(
                data_shape=(28, 28, 1), latent_dim=4, num_classes=3, architecture="dcgan",
                matching_aware=True),
            (x, y)),
        "conditional_gan_projection": (
            lambda: ConditionalGAN(
                data_shape=(28, 28, 1), latent_dim=4, num_classes=3, architecture="dcgan",
                discriminator_options={"conditioning": "projection"}),
            (x, y)),
    }
