"""Cross-backend one-step case for StyleGAN: mapping, modulated/demodulated
convolutions, noise inputs, style mixing and the lazy R1 penalty (the step
counter is 0, so ``ops.cond`` takes the double-backprop branch).

The harness sets every weight to 0.05·N(0, 1), the scale of plainly
parametrised layers. Equalized-learning-rate weights are stored as N(0, 1) and
scaled at run time, so at 0.05·N(0, 1) the signal vanishes through the layers
and the generator's gradient underflows to zero; the networks here scale what
they are given by 20 (back to N(0, 1)).
"""

import keras
import numpy as np

from keras_gans.models.stylegan import StyleGAN


def _rescaling_set_weights(net):
    def set_weights(values):
        keras.Model.set_weights(net, [20.0 * np.asarray(v) for v in values])

    return set_weights


def _model():
    model = StyleGAN(data_shape=(8, 8, 1), latent_dim=8, channels=4, r1_interval=2, seed=0)
    for net in (model.generator, model.discriminator):
        object.__setattr__(net, "set_weights", _rescaling_set_weights(net))
    return model


def cases(batch):
    rng = np.random.default_rng(5)
    x = np.tanh(rng.standard_normal((batch, 8, 8, 1))).astype("float32")
    return {"stylegan": (_model, x)}
