from keras_gans.layers.batch_normalization import BatchNormalization
from keras_gans.layers.convolution import Conv2D, Conv2DTranspose
from keras_gans.layers.minibatch_discrimination import MinibatchDiscrimination
from keras_gans.layers.minibatch_stddev import MinibatchStdDev
from keras_gans.layers.packing import PackSamples
from keras_gans.layers.spectral_normalization import SpectralNormalization
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

__all__ = [
    "BatchNormalization",
    "BroadcastLatent",
    "ConstantInput",
    "Conv2D",
    "Conv2DTranspose",
    "EqualizedConv2D",
    "EqualizedDense",
    "LayerLatent",
    "MinibatchDiscrimination",
    "MinibatchStdDev",
    "ModulatedConv2D",
    "NoiseInjection",
    "PackSamples",
    "PixelNorm",
    "SpectralNormalization",
]
