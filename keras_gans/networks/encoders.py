"""Networks of the encoder variants (BiGAN, adversarial autoencoder): an MLP
encoder x -> z and an MLP discriminator on joint pairs (x, z)."""

from __future__ import annotations

import keras
from keras import layers

from keras_gans.networks.common import DiscriminatorOptions


def _mlp_trunk(data_shape, hidden):
    """``(input, features)``: a sample, flattened, through Dense + LeakyReLU(0.2) layers."""
    x_in = keras.Input(tuple(data_shape), name="x")
    x = layers.Flatten()(x_in) if len(data_shape) > 1 else x_in
    for units in hidden:
        x = layers.Dense(units)(x)
        x = layers.LeakyReLU(0.2)(x)
    return x_in, x


def mlp_encoder(data_shape, latent_dim, hidden=(256, 256), name="encoder"):
    """A sample of ``data_shape`` -> a code of size ``latent_dim`` (linear output)."""
    x_in, x = _mlp_trunk(data_shape, hidden)
    z = layers.Dense(latent_dim, name="code")(x)
    return keras.Model(x_in, z, name=name)


def two_head_encoder(data_shape, num_classes, latent_dim, hidden=(1000, 1000),
                     name="encoder"):
    """x -> [class logits (num_classes), style code (latent_dim)]: one MLP trunk, a
    head for q(y|x) (logits; the semi-supervised AAE takes their softmax) and a
    linear head q(z|x)."""
    x_in, x = _mlp_trunk(data_shape, hidden)
    logits = layers.Dense(num_classes, name="y_logits")(x)
    z = layers.Dense(latent_dim, name="z")(x)
    return keras.Model(x_in, [logits, z], name=name)


def mlp_joint_discriminator(data_shape, latent_dim, hidden=(256, 256),
                            name="discriminator", **options):
    """A pair (x, z) -> one logit: is it (x, E(x)) or (G(z), z)?

    As in BiGAN's permutation-invariant MNIST discriminator (Donahue et al. 2017,
    appendix), x passes through its own first layer before z joins it.
    """
    opts = DiscriminatorOptions(**options)
    x_in = keras.Input(tuple(data_shape), name="x")
    z_in = keras.Input((latent_dim,), name="z")
    x = layers.Flatten()(x_in) if len(data_shape) > 1 else x_in
    x = opts.dense(hidden[0])(x)
    x = layers.LeakyReLU(0.2)(x)
    x = layers.Concatenate()([x, z_in])
    for units in hidden[1:]:
        x = opts.dense(units)(x)
        x = layers.LeakyReLU(0.2)(x)
    out = opts.head(x)
    return keras.Model([x_in, z_in], out, name=name)
