"""StyleGAN networks, small: mapping, synthesis (StyleGAN2 "skip" generator) and
a discriminator with minibatch standard deviation; all with equalized learning
rate (``keras_gans.layers.stylegan``).

Resolutions: the synthesis network starts from a learned constant of side 4
(or 7) and doubles it with bilinear upsampling, so it makes images of side
4·2^k or 7·2^k (k >= 1): 28 = 7·4 (MNIST, Fashion-MNIST) is made natively,
without cropping or resizing; 32 = 4·8 and 64 = 4·16.
"""

from __future__ import annotations

import keras

from keras_gans.errors import GANConfigError
from keras_gans.layers.minibatch_stddev import MinibatchStdDev
from keras_gans.layers.stylegan import (
    BroadcastLatent,
    ConstantInput,
    EqualizedConv2D,
    EqualizedDense,
    LayerLatent,
    ModulatedConv2D,
    NoiseInjection,
    PixelNorm,
)

MAX_SIZE = 256
SUPPORTED_SIZES = tuple(sorted(
    {base * 2**k for base in (4, 7) for k in range(1, 7) if base * 2**k <= MAX_SIZE}
))


def start_size(size):
    """(side of the constant, number of doublings) for an image side, or a
    ``GANConfigError`` naming the sizes the synthesis network can make."""
    for base in (4, 7):
        if size > MAX_SIZE:
            break
        k, s = 0, base
        while s < size:
            s, k = s * 2, k + 1
        if s == size and k >= 1:
            return base, k
    raise GANConfigError(
        f"StyleGAN's synthesis network cannot make {size}x{size} images: it starts "
        "from a 4x4 or 7x7 constant and doubles the side, so it makes sides "
        f"{', '.join(map(str, SUPPORTED_SIZES))}. Resize the data "
        "(keras_gans.data.resize_images) to one of them."
    )


def check_data_shape(data_shape):
    data_shape = tuple(int(d) for d in data_shape)
    if len(data_shape) != 3 or data_shape[0] != data_shape[1]:
        raise GANConfigError(
            f"StyleGAN makes square images (size, size, channels); got data_shape={data_shape}."
        )
    if data_shape[2] not in (1, 3):
        raise GANConfigError(
            f"StyleGAN makes 1- or 3-channel images; data_shape={data_shape} has {data_shape[2]}."
        )
    start_size(data_shape[0])
    return data_shape


def num_ws(size):
    """Number of modulated layers (each takes its own w): conv + ToRGB at the
    start, then two convs and one ToRGB per doubling."""
    _, k = start_size(size)
    return 2 + 3 * k


def noise_shapes(size):
    """Shapes (H, W, 1) of the per-pixel noise of each synthesis convolution."""
    base, k = start_size(size)
    shapes = [(base, base, 1)]
    for i in range(1, k + 1):
        r = base * 2**i
        shapes += [(r, r, 1), (r, r, 1)]
    return shapes


def channels_at(res, channels, channel_base=None):
    """Feature maps at side ``res``: ``channels``, or with ``channel_base``
    min(channels, channel_base // res) as in StyleGAN (fewer maps where the
    maps are large, which is where the compute goes)."""
    if not channel_base:
        return int(channels)
    return max(1, min(int(channels), int(channel_base) // int(res)))


def mapping_network(latent_dim, w_dim, layers=4, lr_mul=0.01, name="mapping"):
    """z -> w: pixel-normalised z through ``layers`` equalized dense layers with
    leaky ReLU and learning-rate multiplier 0.01 (StyleGAN §2)."""
    z = keras.Input((latent_dim,), name="z")
    x = PixelNorm(name="normalize_z")(z)
    for i in range(layers):
        x = EqualizedDense(w_dim, lr_mul=lr_mul, activation="lrelu", name=f"fc{i}")(x)
    return keras.Model(z, x, name=name)


def synthesis_network(data_shape, w_dim, channels, channel_base=None, name="synthesis"):
    """[ws (N, num_ws, w_dim), noise_0, noise_1, ...] -> image (N, H, W, C).

    StyleGAN2's skip generator: a learned constant, then per resolution
    (bilinear ×2 upsampling) two 3×3 modulated/demodulated convolutions, each
    followed by per-pixel noise, bias and leaky ReLU, and a 1×1 ToRGB whose
    output is added to the upsampled RGB image so far. Output is linear (not
    squashed by tanh), as in the papers.
    """
    size, _, colors = data_shape
    base, k = start_size(size)
    n_ws = num_ws(size)
    ws = keras.Input((n_ws, w_dim), name="ws")
    noises = [keras.Input(s, name=f"noise{i}") for i, s in enumerate(noise_shapes(size))]
    layer = iter(range(n_ws))
    noise = iter(noises)

    def w_of():
        i = next(layer)
        return LayerLatent(i, name=f"w{i}")(ws)

    def conv(x, res, j):
        x = ModulatedConv2D(channels_at(res, channels, channel_base), 3, activation="linear",
                            name=f"b{res}_conv{j}")([x, w_of()])
        return NoiseInjection(activation="lrelu", name=f"b{res}_noise{j}")([x, next(noise)])

    def to_rgb(x, res):
        return ModulatedConv2D(colors, 1, demodulate=False, activation="linear",
                               name=f"b{res}_torgb")([x, w_of()])

    x = ConstantInput(base, channels_at(base, channels, channel_base), name="const")(ws)
    x = conv(x, base, 0)
    rgb = to_rgb(x, base)
    for i in range(1, k + 1):
        res = base * 2**i
        x = keras.layers.UpSampling2D(2, interpolation="bilinear", name=f"b{res}_up")(x)
        x = conv(x, res, 0)
        x = conv(x, res, 1)
        rgb = keras.layers.UpSampling2D(2, interpolation="bilinear", name=f"b{res}_rgb_up")(rgb)
        rgb = keras.layers.Add(name=f"b{res}_skip")([rgb, to_rgb(x, res)])
    return keras.Model([ws, *noises], rgb, name=name)


def style_generator(latent_dim, data_shape, w_dim=None, channels=64, mapping_layers=4,
                    channel_base=None, name="generator"):
    """The whole generator as one model: inputs ``[z, noise_0, ...]``; its
    layers ``mapping`` and ``synthesis`` are the two networks (called apart by
    the StyleGAN model for style mixing and truncation)."""
    data_shape = check_data_shape(data_shape)
    w_dim = int(w_dim or latent_dim)
    mapping = mapping_network(latent_dim, w_dim, mapping_layers)
    synthesis = synthesis_network(data_shape, w_dim, channels, channel_base)
    z = keras.Input((latent_dim,), name="z")
    noises = [keras.Input(s, name=f"noise{i}") for i, s in enumerate(noise_shapes(data_shape[0]))]
    ws = BroadcastLatent(num_ws(data_shape[0]), name="broadcast")(mapping(z))
    return keras.Model([z, *noises], synthesis([ws, *noises]), name=name)


def style_discriminator(data_shape, channels=64, mbstd_group_size=4, channel_base=None,
                        name="discriminator"):
    """StyleGAN's discriminator (the "orig" architecture): 1×1 FromRGB, two 3×3
    convolutions and 2×2 average pooling per resolution, then minibatch
    standard deviation (ProGAN), a 3×3 convolution and two dense layers; all
    equalized, leaky ReLU. Outputs one logit."""
    data_shape = check_data_shape(data_shape)
    size = data_shape[0]
    base, k = start_size(size)
    x_in = keras.Input(data_shape, name="image")
    def ch(res):
        return channels_at(res, channels, channel_base)

    x = EqualizedConv2D(ch(size), 1, name="fromrgb")(x_in)
    for i in range(k, 0, -1):
        res = base * 2**i
        x = EqualizedConv2D(ch(res), 3, name=f"b{res}_conv0")(x)
        x = EqualizedConv2D(ch(res // 2), 3, name=f"b{res}_conv1")(x)
        x = keras.layers.AveragePooling2D(2, name=f"b{res}_down")(x)
    if mbstd_group_size:
        x = MinibatchStdDev(group_size=mbstd_group_size, name="mbstd")(x)
    x = EqualizedConv2D(ch(base), 3, name=f"b{base}_conv")(x)
    x = keras.layers.Flatten(name="flatten")(x)
    x = EqualizedDense(ch(base), activation="lrelu", name="fc")(x)
    out = EqualizedDense(1, name="out")(x)
    return keras.Model(x_in, out, name=name)
