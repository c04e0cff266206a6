"""Image-to-image players for two-domain translation, sized for 28-64 px images.

- ``resnet_generator`` and ``patchgan_discriminator``: CycleGAN's networks
  (Zhu et al. 2017, appendix 7.2, after Johnson et al. 2016 and pix2pix's
  PatchGAN): reflection padding, instance normalization, residual blocks.
- ``encoder_decoder_generator`` and ``discogan_discriminator``: DiscoGAN's
  networks (Kim et al. 2017, SKTBrain/DiscoGAN ``model.py``): 4x4 stride-2
  convolutions with BatchNorm and LeakyReLU(0.2), mirrored by transposed
  convolutions; the discriminator also returns its hidden features, which the
  DiscoGAN generator loss matches.

Every image side in 28-64 works when it can be halved twice (28, 32, 36, ... 64).
"""

from __future__ import annotations

import keras
from keras import layers, ops

from keras_gans import layers as kg_layers
from keras_gans.errors import GANConfigError


@keras.saving.register_keras_serializable(package="keras_gans")
class ReflectionPadding2D(layers.Layer):
    """Pads height and width by mirroring the border (without repeating it), as
    PyTorch's ``nn.ReflectionPad2d``. Written with slices so that it is the same
    on every backend."""

    def __init__(self, padding=1, **kwargs):
        super().__init__(**kwargs)
        self.padding = int(padding)

    def call(self, x):
        p = self.padding
        if p == 0:
            return x
        top = ops.flip(x[:, 1 : p + 1], axis=1)
        bottom = ops.flip(x[:, -p - 1 : -1], axis=1)
        x = ops.concatenate([top, x, bottom], axis=1)
        left = ops.flip(x[:, :, 1 : p + 1], axis=2)
        right = ops.flip(x[:, :, -p - 1 : -1], axis=2)
        return ops.concatenate([left, x, right], axis=2)

    def compute_output_shape(self, shape):
        p = 2 * self.padding
        h = None if shape[1] is None else shape[1] + p
        w = None if shape[2] is None else shape[2] + p
        return (shape[0], h, w, shape[3])

    def get_config(self):
        return {**super().get_config(), "padding": self.padding}


def _init():
    # pix2pix / CycleGAN and DiscoGAN initialise weights from N(0, 0.02).
    return keras.initializers.RandomNormal(stddev=0.02)


def _instance_norm():
    # PyTorch's InstanceNorm2d default in CycleGAN: no affine parameters, eps 1e-5.
    return layers.GroupNormalization(groups=-1, center=False, scale=False, epsilon=1e-5)


def _check_image_shape(shape, what, halvings=2):
    shape = tuple(shape)
    if len(shape) != 3:
        raise GANConfigError(f"{what} takes images (H, W, C); got the shape {shape}.")
    h, w, _ = shape
    step = 2**halvings
    if h % step or w % step or h < 4 * step // 2:
        raise GANConfigError(
            f"{what} halves the image {halvings} times, so its sides must be multiples "
            f"of {step}; got {h}x{w}. Resize the images (e.g. "
            "keras_gans.data.two_domain.unpaired(..., size=28))."
        )
    return shape


def resnet_generator(
    input_shape,
    output_channels=None,
    filters=64,
    n_blocks=6,
    name="generator",
):
    """CycleGAN's generator: c7s1-k, d2k, d4k, ``n_blocks`` x R4k, u2k, uk,
    c7s1-C with tanh (the paper uses 6 blocks at 128 px and 9 at 256 px).

    Args:
        input_shape: (H, W, C) of the source domain; H and W multiples of 4.
        output_channels: channels of the target domain (default: C).
        filters: k, the width of the first layer (paper: 64).
    """
    h, w, c = _check_image_shape(input_shape, "resnet_generator")
    out_c = int(output_channels or c)
    x_in = keras.Input((h, w, c), name="x")
    x = ReflectionPadding2D(3)(x_in)
    x = kg_layers.Conv2D(filters, 7, kernel_initializer=_init())(x)
    x = layers.ReLU()(_instance_norm()(x))
    width = filters
    for _ in range(2):
        width *= 2
        x = kg_layers.Conv2D(width, 3, strides=2, padding="same", kernel_initializer=_init())(x)
        x = layers.ReLU()(_instance_norm()(x))
    for _ in range(int(n_blocks)):
        y = ReflectionPadding2D(1)(x)
        y = kg_layers.Conv2D(width, 3, kernel_initializer=_init())(y)
        y = layers.ReLU()(_instance_norm()(y))
        y = ReflectionPadding2D(1)(y)
        y = kg_layers.Conv2D(width, 3, kernel_initializer=_init())(y)
        y = _instance_norm()(y)
        x = layers.Add()([x, y])
    for _ in range(2):
        width //= 2
        x = kg_layers.Conv2DTranspose(
            width, 3, strides=2, padding="same", kernel_initializer=_init()
        )(x)
        x = layers.ReLU()(_instance_norm()(x))
    x = ReflectionPadding2D(3)(x)
    x = kg_layers.Conv2D(out_c, 7, activation="tanh", kernel_initializer=_init(), name="image")(x)
    return keras.Model(x_in, x, name=name)


def patchgan_discriminator(image_shape, filters=64, n_layers=None, name="discriminator"):
    """PatchGAN: a grid of least-squares scores, one per overlapping patch.

    C64 (no norm) - C128 - ... stride-2 4x4 convolutions with instance norm and
    LeakyReLU(0.2), then a stride-1 C(k·2^n) and a 1-channel stride-1 conv. The
    paper's 70x70 PatchGAN has ``n_layers=3`` at 256 px; by default this picks
    2 stride-2 layers below 64 px and 3 at 64 px and above, so that a 28-64 px
    image still gets a grid of at least 7x7 patches.
    """
    h, w, c = _check_image_shape(image_shape, "patchgan_discriminator")
    if n_layers is None:
        n_layers = 3 if min(h, w) >= 64 else 2
    x_in = keras.Input((h, w, c), name="x")
    x = kg_layers.Conv2D(filters, 4, strides=2, padding="same", kernel_initializer=_init())(x_in)
    x = layers.LeakyReLU(0.2)(x)
    width = filters
    for i in range(1, int(n_layers) + 1):
        width = filters * min(2**i, 8)
        strides = 2 if i < n_layers else 1
        x = kg_layers.Conv2D(width, 4, strides=strides, padding="same", kernel_initializer=_init())(x)
        x = layers.LeakyReLU(0.2)(_instance_norm()(x))
    x = kg_layers.Conv2D(1, 4, padding="same", kernel_initializer=_init(), name="patch_scores")(x)
    return keras.Model(x_in, x, name=name)


def _halvings(shape):
    """How often DiscoGAN's networks halve the image: down to a side of 4 to 7,
    at most 4 times (64 -> 4, as in the paper; 32 -> 4; 28 -> 7)."""
    side, n = min(shape[0], shape[1]), 0
    while n < 4 and side % 2 == 0 and side // 2 >= 4:
        side //= 2
        n += 1
    if n < 2:
        raise GANConfigError(
            f"DiscoGAN networks need images whose sides halve at least twice "
            f"(28, 32, 64, ...); got {tuple(shape)}. Resize the images."
        )
    return n


def _bn():
    return kg_layers.BatchNormalization(epsilon=1e-5, momentum=0.9)


def encoder_decoder_generator(input_shape, output_channels=None, filters=64, name="generator"):
    """DiscoGAN's generator: conv(k, 4, 2) LeakyReLU, then conv-BN-LeakyReLU
    doubling the width, mirrored by transposed conv-BN-ReLU, tanh output (the
    reference uses a sigmoid for images in [0, 1]; keras_gans uses [-1, 1])."""
    shape = tuple(input_shape)
    n = _halvings(shape)
    out_c = int(output_channels or shape[-1])
    x_in = keras.Input(shape, name="x")
    x, width = x_in, filters
    for i in range(n):
        x = kg_layers.Conv2D(width, 4, strides=2, padding="same", use_bias=False,
                          kernel_initializer=_init())(x)
        if i > 0:
            x = _bn()(x)
        x = layers.LeakyReLU(0.2)(x)
        width *= 2
    width //= 2
    for _ in range(n - 1):
        width //= 2
        x = kg_layers.Conv2DTranspose(width, 4, strides=2, padding="same", use_bias=False,
                                   kernel_initializer=_init())(x)
        x = layers.ReLU()(_bn()(x))
    x = kg_layers.Conv2DTranspose(out_c, 4, strides=2, padding="same", use_bias=False,
                               activation="tanh", kernel_initializer=_init(), name="image")(x)
    return keras.Model(x_in, x, name=name)


def discogan_discriminator(image_shape, filters=64, name="discriminator"):
    """DiscoGAN's discriminator: ``[logit, feature_1, ...]``.

    conv(k, 4, 2) LeakyReLU, then conv-BN-LeakyReLU layers doubling the width;
    the outputs of those BN layers' activations are the features that the
    generator's feature-matching loss compares; a final convolution over the
    whole remaining map gives one logit.
    """
    shape = tuple(image_shape)
    n = _halvings(shape)
    x_in = keras.Input(shape, name="x")
    x = kg_layers.Conv2D(filters, 4, strides=2, padding="same", use_bias=False,
                      kernel_initializer=_init())(x_in)
    x = layers.LeakyReLU(0.2)(x)
    width, features = filters, []
    for _ in range(n - 1):
        width *= 2
        x = kg_layers.Conv2D(width, 4, strides=2, padding="same", use_bias=False,
                          kernel_initializer=_init())(x)
        x = layers.LeakyReLU(0.2)(_bn()(x))
        features.append(x)
    # A "valid" convolution over the whole map, like the reference's last 4x4
    # convolution on a 4x4 map, for any final side.
    x = kg_layers.Conv2D(1, tuple(x.shape[1:3]), use_bias=False, kernel_initializer=_init())(x)
    logit = layers.Flatten(name="logit")(x)
    return keras.Model(x_in, [logit, *features], name=name)
