"""Pieces shared by the network builders."""

from __future__ import annotations

import keras
from keras import layers

from keras_gans import layers as kg_layers
from keras_gans.errors import GANConfigError
from keras_gans.layers import (
    MinibatchDiscrimination,
    MinibatchStdDev,
    PackSamples,
    SpectralNormalization,
)


def dcgan_init():
    # Radford et al. 2015: all weights from N(0, 0.02).
    return keras.initializers.RandomNormal(stddev=0.02)


class DiscriminatorOptions:
    """Options every discriminator builder takes, applied the same way.

    Args:
        spectral_norm: wrap each weight layer in
            ``keras_gans.layers.SpectralNormalization`` (Miyato et al. 2018).
        constraint: a constraint for every weight (``WeightClip`` for WGAN).
        minibatch_discrimination: add ``MinibatchDiscrimination`` before the last layer.
        minibatch_stddev: add ``MinibatchStdDev`` before the last block.
        packing: m > 1 packs m samples into one input (PacGAN, Lin et al.
            2018; ``keras_gans.layers.PackSamples``): right after the input (and
            the label, for a conditional discriminator, so each sample keeps
            its label), so the network scores N/m packs of a batch of N; the
            batch size must be a multiple of m. 1 (the default) adds nothing.
    """

    def __init__(
        self,
        spectral_norm=False,
        constraint=None,
        minibatch_discrimination=False,
        minibatch_stddev=False,
        packing=1,
    ):
        self.spectral_norm = spectral_norm
        self.constraint = constraint
        self.minibatch_discrimination = minibatch_discrimination
        self.minibatch_stddev = minibatch_stddev
        self.packing = 1 if packing is None else packing
        if isinstance(packing, bool) or not isinstance(self.packing, int) or self.packing < 1:
            raise GANConfigError(
                f"discriminator_options packing must be a positive integer (the "
                f"number of samples per discriminator input); got {packing}."
            )

    def weight_kwargs(self):
        return {
            "kernel_initializer": dcgan_init(),
            "kernel_constraint": self.constraint,
            "bias_constraint": self.constraint,
        }

    def wrap(self, layer):
        return SpectralNormalization(layer) if self.spectral_norm else layer

    def dense(self, units, **kwargs):
        return self.wrap(layers.Dense(units, **self.weight_kwargs(), **kwargs))

    def conv(self, filters, kernel, strides, **kwargs):
        return self.wrap(
            kg_layers.Conv2D(
                filters, kernel, strides=strides, padding="same",
                **self.weight_kwargs(), **kwargs
            )
        )

    def batch_norm(self):
        return kg_layers.BatchNormalization(
            gamma_initializer=keras.initializers.RandomNormal(1.0, 0.02),
            gamma_constraint=self.constraint,
            beta_constraint=self.constraint,
        )

    def pack(self, x):
        """m samples (with their labels) -> one input; nothing when m = 1."""
        return PackSamples(self.packing, name="packing")(x) if self.packing > 1 else x

    def head(self, x):
        """The tricks that look across the batch, then the output unit."""
        if self.minibatch_stddev:
            x = MinibatchStdDev()(x)
        if len(x.shape) > 2:
            x = layers.Flatten()(x)
        if self.minibatch_discrimination:
            x = MinibatchDiscrimination()(x)
        return self.dense(1, name="score")(x)


def label_input(num_classes):
    return keras.Input((num_classes,), name="label")
