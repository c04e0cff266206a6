"""Cross-backend one-step cases for the encoder variants (BiGAN, AAE, the
semi-supervised AAE with some labels and with none).

Tiny MLPs on 2-D points; every draw of noise goes through the model's
``random_normal`` / ``random_uniform`` so the fixed-noise override applies.
"""

import numpy as np

from keras_gans.models.aae import AdversarialAutoencoder
from keras_gans.models.aae_semisupervised import SemiSupervisedAAE
from keras_gans.models.bigan import BiGAN


def cases(batch):
    rng = np.random.default_rng(7)
    points = rng.standard_normal((batch, 2)).astype("float32")
    labels = (np.arange(batch) % 3).astype("int64")
    return {
        "bigan": (lambda: BiGAN(data_shape=(2,), latent_dim=3, hidden=(16, 16)), points),
        "aae": (lambda: AdversarialAutoencoder(data_shape=(2,), latent_dim=2,
                                               hidden=(16, 16)), points),
        "aae_mixture_supervised": (
            lambda: AdversarialAutoencoder(data_shape=(2,), latent_dim=2, hidden=(16, 16),
                                           prior="mixture", supervised=True,
                                           num_classes=3),
            (points, labels),
        ),
        "aae_semisupervised": (
            lambda: SemiSupervisedAAE(data_shape=(2,), num_classes=3, latent_dim=2,
                                      hidden=(16, 16)),
            (points, np.where(np.arange(batch) % 2 == 0, labels, -1)),
        ),
        "aae_clustering": (
            lambda: SemiSupervisedAAE(data_shape=(2,), num_classes=4, latent_dim=2,
                                      hidden=(16, 16)),
            points,
        ),
    }
