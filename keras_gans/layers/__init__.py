from keras_gans.layers.minibatch_discrimination import MinibatchDiscrimination
from keras_gans.layers.minibatch_stddev import MinibatchStdDev
from keras_gans.layers.spectral_normalization import SpectralNormalization

__all__ = ["MinibatchDiscrimination", "MinibatchStdDev", "SpectralNormalization"]
