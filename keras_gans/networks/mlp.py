"""Multilayer-perceptron players, for 2-D points and small flattened images."""

from __future__ import annotations

import math

import keras
from keras import layers

from keras_gans.networks.common import DiscriminatorOptions, label_input


def mlp_generator(
    latent_dim,
    data_shape,
    hidden=(256, 256),
    num_classes=None,
    output_activation="tanh",
    name="generator",
):
    """z (and a one-hot label when ``num_classes``) -> a sample of ``data_shape``.

    ``output_activation`` is ``"tanh"`` for images in [-1, 1] and ``None`` for
    unbounded data (2-D mixtures).
    """
    z = keras.Input((latent_dim,), name="z")
    inputs = [z]
    x = z
    if num_classes:
        label = label_input(num_classes)
        inputs.append(label)
        x = layers.Concatenate()([z, label])
    for units in hidden:
        x = layers.Dense(units)(x)
        x = layers.LeakyReLU(0.2)(x)
    x = layers.Dense(math.prod(data_shape), activation=output_activation)(x)
    x = layers.Reshape(tuple(data_shape))(x)
    return keras.Model(inputs if num_classes else z, x, name=name)


def mlp_discriminator(
    data_shape,
    hidden=(256, 256),
    num_classes=None,
    name="discriminator",
    **options,
):
    """A sample (and a one-hot label) -> one unbounded score (a logit or critic value)."""
    opts = DiscriminatorOptions(**options)
    x_in = keras.Input(tuple(data_shape), name="x")
    inputs = [x_in]
    x = layers.Flatten()(x_in) if len(data_shape) > 1 else x_in
    label = None
    if num_classes:
        label = label_input(num_classes)
        inputs.append(label)
    if opts.label_at_input(num_classes):
        x = layers.Concatenate()([x, label])
    x = opts.pack(x)
    for units in hidden:
        x = opts.dense(units)(x)
        x = layers.LeakyReLU(0.2)(x)
    out = opts.head(x, label)
    return keras.Model(inputs if num_classes else x_in, out, name=name)
