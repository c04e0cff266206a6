"""Small layers of the networks a model serves (``GANModel.serving_network``,
``keras_gans.export_generator``): written with plain ops every exporter
(tf2onnx, torch.onnx, jax2onnx, jax2tf) converts."""

from __future__ import annotations

import keras
import numpy as np
from keras import ops


class OneHotLabels(keras.layers.Layer):
    """int class ids (N,) -> float32 one-hot (N, num_classes), written as a
    comparison with ``arange`` so every exporter handles it."""

    def __init__(self, num_classes, **kwargs):
        super().__init__(**kwargs)
        self.num_classes = int(num_classes)

    def call(self, labels):
        labels = ops.reshape(ops.cast(labels, "int32"), (-1, 1))
        # a constant, not ops.arange: jax2onnx cannot convert arange here
        classes = ops.convert_to_tensor(np.arange(self.num_classes, dtype="int32")[None])
        return ops.cast(ops.equal(labels, classes), "float32")

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.num_classes)


class Truncation(keras.layers.Layer):
    """w -> w̄ + ψ (w - w̄), with w̄ a constant of the artifact."""

    def __init__(self, w_avg, psi, **kwargs):
        super().__init__(**kwargs)
        self.w_avg_value = np.asarray(w_avg, "float32")
        self.psi = float(psi)

    def build(self, input_shape):
        self.w_avg = self.add_weight(shape=self.w_avg_value.shape, trainable=False,
                                     initializer="zeros", name="w_avg")
        self.w_avg.assign(self.w_avg_value)

    def call(self, w):
        return self.w_avg + self.psi * (w - self.w_avg)


class ZeroNoise(keras.layers.Layer):
    """z (N, ...) -> zeros (N, H, W, 1): the synthesis network's noise input
    switched off, with the batch size taken from z."""

    def __init__(self, shape, **kwargs):
        super().__init__(**kwargs)
        self.noise_shape = tuple(int(s) for s in shape)

    def call(self, z):
        batch = ops.reshape(ops.zeros_like(z[:, 0]), (-1,) + (1,) * len(self.noise_shape))
        return batch + ops.zeros((1, *self.noise_shape), z.dtype)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], *self.noise_shape)


class ClipImages(keras.layers.Layer):
    """Clip to the images' range [-1, 1] (StyleGAN's output is linear)."""

    def call(self, x):
        return ops.clip(x, -1.0, 1.0)
