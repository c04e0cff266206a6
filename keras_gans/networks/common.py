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
        conditioning: how a conditional discriminator reads its label.
            ``"input"`` (the default; Mirza & Osindero 2014): the one-hot label
            joins the input (constant feature maps for images).
            ``"projection"`` (Miyato & Koyama 2018, "cGANs with Projection
            Discriminator"): the label enters only at the end, as the inner
            product of a learned class embedding with the last features,
            added to the unconditional score. Only for conditional models.
    """

    def __init__(
        self,
        spectral_norm=False,
        constraint=None,
        minibatch_discrimination=False,
        minibatch_stddev=False,
        packing=1,
        conditioning="input",
    ):
        if conditioning not in CONDITIONING:
            raise GANConfigError(
                f"discriminator_options conditioning must be one of {CONDITIONING}; "
                f"got {conditioning!r}."
            )
        self.conditioning = conditioning
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
        if conditioning == "projection" and self.packing > 1:
            raise GANConfigError(
                "discriminator_options conditioning='projection' does not compose with "
                "packing > 1 (a pack holds several labels); use conditioning='input' "
                "to pack a conditional discriminator."
            )

    def label_at_input(self, num_classes):
        """Whether the one-hot label joins the input (the paper's cGAN)."""
        if self.conditioning == "projection" and not num_classes:
            raise _projection_without_label()
        return bool(num_classes) and self.conditioning == "input"

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

    def head(self, x, label=None):
        """The tricks that look across the batch, then the output unit; with
        ``conditioning="projection"``, plus <embed(label), features>."""
        if self.minibatch_stddev:
            x = MinibatchStdDev()(x)
        if len(x.shape) > 2:
            x = layers.Flatten()(x)
        if self.minibatch_discrimination:
            x = MinibatchDiscrimination()(x)
        score = self.dense(1, name="score")(x)
        if self.conditioning != "projection":
            return score
        if label is None:
            raise _projection_without_label()
        # A one-hot label times a bias-free Dense is the class embedding V y.
        embedding = layers.Dense(x.shape[-1], use_bias=False, name="label_embedding",
                                 **self.weight_kwargs())
        if self.spectral_norm:
            embedding = SpectralNormalization(embedding, name="label_embedding_sn")
        embedded = embedding(label)
        projection = layers.Dot(axes=1, name="projection")([x, embedded])
        return layers.Add(name="conditional_score")([score, projection])


CONDITIONING = ("input", "projection")


def _projection_without_label():
    return GANConfigError(
        "discriminator_options conditioning='projection' is for conditional "
        "discriminators (e.g. ConditionalGAN with num_classes=); this one takes "
        "no label. Remove the option."
    )


def label_input(num_classes):
    return keras.Input((num_classes,), name="label")
