"""DCGAN players (Radford et al. 2015) for 28x28, 32x32 and 64x64 images.

The paper's rules: strided convolutions instead of pooling, fractionally-strided
(transposed) convolutions in the generator, BatchNorm in both networks except the
generator's output and the discriminator's input, ReLU in the generator with a
tanh output, LeakyReLU(0.2) in the discriminator, weights from N(0, 0.02).
"""

from __future__ import annotations

import keras
from keras import layers

from keras_gans import layers as kg_layers
from keras_gans.errors import GANConfigError
from keras_gans.networks.common import DiscriminatorOptions, dcgan_init, label_input

# image side -> (starting side, number of 2x upsamplings)
_PLANS = {28: (7, 2), 32: (4, 3), 64: (4, 4)}


def _plan(image_shape):
    if len(image_shape) != 3 or image_shape[0] != image_shape[1]:
        raise GANConfigError(
            f"DCGAN networks take square images (H, W, C); got {tuple(image_shape)}."
        )
    side = image_shape[0]
    if side not in _PLANS:
        raise GANConfigError(
            f"DCGAN networks are built for sides {sorted(_PLANS)}; got {side}. "
            "Resize the images (keras_gans.data.resize_images) to one of them."
        )
    return _PLANS[side]


def dcgan_generator(latent_dim, image_shape, filters=64, num_classes=None, name="generator"):
    """z -> image. ``filters`` is the width of the last hidden layer; it doubles
    towards the input, as in the paper's figure 1."""
    start, ups = _plan(image_shape)
    z = keras.Input((latent_dim,), name="z")
    inputs = [z]
    x = z
    if num_classes:
        label = label_input(num_classes)
        inputs.append(label)
        x = layers.Concatenate()([z, label])
    width = filters * 2 ** (ups - 1)
    x = layers.Dense(start * start * width, use_bias=False, kernel_initializer=dcgan_init())(x)
    x = layers.Reshape((start, start, width))(x)
    x = _bn(x)
    x = layers.ReLU()(x)
    for i in range(ups - 1):
        width //= 2
        x = kg_layers.Conv2DTranspose(
            width, 4, strides=2, padding="same", use_bias=False,
            kernel_initializer=dcgan_init(),
        )(x)
        x = _bn(x)
        x = layers.ReLU()(x)
    x = kg_layers.Conv2DTranspose(
        image_shape[-1], 4, strides=2, padding="same", activation="tanh",
        kernel_initializer=dcgan_init(), name="image",
    )(x)
    return keras.Model(inputs if num_classes else z, x, name=name)


def dcgan_discriminator(
    image_shape,
    filters=64,
    batch_norm=True,
    num_classes=None,
    name="discriminator",
    **options,
):
    """image -> one unbounded score. ``batch_norm=False`` for critics that must
    not couple samples (WGAN-GP, Gulrajani et al. 2017 §4)."""
    _, ups = _plan(image_shape)
    opts = DiscriminatorOptions(**options)
    x_in = keras.Input(tuple(image_shape), name="x")
    inputs = [x_in]
    x = x_in
    label = None
    if num_classes:
        label = label_input(num_classes)
        inputs.append(label)
    if opts.label_at_input(num_classes):
        # One constant feature map per class, concatenated to the image channels.
        maps = layers.Reshape((1, 1, num_classes))(label)
        maps = layers.UpSampling2D(size=tuple(image_shape[:2]))(maps)
        x = layers.Concatenate()([x, maps])
    x = opts.pack(x)
    width = filters
    for i in range(ups):
        x = opts.conv(width, 4, 2, use_bias=not (batch_norm and i > 0))(x)
        if batch_norm and i > 0:
            x = opts.batch_norm()(x)
        x = layers.LeakyReLU(0.2)(x)
        width *= 2
    out = opts.head(x, label)
    return keras.Model(inputs if num_classes else x_in, out, name=name)


def _bn(x):
    return kg_layers.BatchNormalization(
        gamma_initializer=keras.initializers.RandomNormal(1.0, 0.02)
    )(x)
