"""Cross-backend one-step cases for the two-domain translators (see
tests/cross_backend_step.py). CycleGAN's history pool is 4 images for a batch of
16, so one step fills it and then swaps with probability ½ — the pool's random
choices come through model.random_uniform, which the check fixes per call."""

import numpy as np

from keras_gans.models.cyclegan import CycleGAN
from keras_gans.models.discogan import DiscoGAN


def cases(batch):
    rng = np.random.default_rng(7)
    x_a = np.tanh(rng.standard_normal((batch, 28, 28, 1))).astype("float32")
    x_b = np.tanh(rng.standard_normal((batch, 28, 28, 1))).astype("float32")
    return {
        "cyclegan": (
            lambda: CycleGAN(data_shape=(28, 28, 1), filters=4, n_blocks=1, pool_size=4,
                             identity_weight=0.5),
            (x_a, x_b),
        ),
        "discogan": (lambda: DiscoGAN(data_shape=(28, 28, 1), filters=4), (x_a, x_b)),
    }
