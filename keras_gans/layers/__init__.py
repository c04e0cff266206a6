from keras_gans.layers.minibatch_discrimination import MinibatchDiscrimination
from keras_gans.layers.minibatch_stddev import MinibatchStdDev

__all__ = ["MinibatchDiscrimination", "MinibatchStdDev"]
