"""Cross-backend one-step case for the Domain Transfer Network.

f is not a player, so ``init_weights`` of the check leaves it alone: it is
given fixed weights here (backends draw different random initial weights).
"""

import numpy as np

from keras_gans.models.dtn import DomainTransferNetwork
from keras_gans.networks.classifier import conv_classifier


def _fixed_f():
    f = conv_classifier((28, 28, 1), 10, filters=4, feature_dim=8, seed=0,
                        name="feature_extractor")
    rng = np.random.default_rng(7)
    f.set_weights([(0.2 * rng.standard_normal(w.shape)).astype("float32")
                   for w in f.get_weights()])
    return f


def cases(batch):
    rng = np.random.default_rng(11)
    source = np.tanh(rng.standard_normal((batch, 28, 28, 1))).astype("float32")
    target = np.tanh(rng.standard_normal((batch, 28, 28, 1))).astype("float32")
    return {
        "dtn": (lambda: DomainTransferNetwork(_fixed_f(), filters=4, tv_weight=0.5),
                (source, target)),
    }
