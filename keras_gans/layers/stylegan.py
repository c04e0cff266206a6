"""Layers of the style-based generator and its discriminator (StyleGAN / StyleGAN2).

Every weight uses the *equalized learning rate* of Karras et al. (ProGAN §4.1,
kept in StyleGAN and StyleGAN2): it is stored drawn from N(0, 1/lr_mul²) and
multiplied at run time by ``lr_mul / sqrt(fan_in)`` (He's constant), so that
Adam's per-parameter step sizes act the same on every layer. Biases are
multiplied by ``lr_mul``. The mapping network uses ``lr_mul = 0.01``.
"""

from __future__ import annotations

import math

import keras
from keras import ops

#: gain of the leaky ReLU (slope 0.2) that keeps activations at unit variance
LRELU_GAIN = math.sqrt(2.0)


def lrelu(x):
    return ops.leaky_relu(x, negative_slope=0.2) * LRELU_GAIN


def _activation(name):
    if name in (None, "linear"):
        return None
    if name == "lrelu":
        return lrelu
    raise ValueError(f"activation must be 'lrelu' or 'linear'; got {name!r}.")


@keras.saving.register_keras_serializable(package="keras_gans")
class EqualizedDense(keras.layers.Layer):
    """Dense layer with equalized learning rate.

    y = act(x @ (W · lr_mul / sqrt(fan_in)) + b · lr_mul), W ~ N(0, 1/lr_mul²).

    Args:
        units: output size.
        lr_mul: learning-rate multiplier (0.01 in the mapping network).
        bias_init: initial value of the *effective* bias (1 for style affines,
            so that styles start around 1).
        activation: ``"lrelu"`` (leaky ReLU · √2) or ``"linear"``.
    """

    def __init__(self, units, lr_mul=1.0, bias_init=0.0, activation="linear", **kwargs):
        super().__init__(**kwargs)
        self.units = int(units)
        self.lr_mul = float(lr_mul)
        self.bias_init = float(bias_init)
        self.activation = activation
        self._act = _activation(activation)

    def build(self, input_shape):
        fan_in = int(input_shape[-1])
        self.scale = self.lr_mul / math.sqrt(fan_in)
        self.kernel = self.add_weight(
            name="kernel", shape=(fan_in, self.units),
            initializer=keras.initializers.RandomNormal(stddev=1.0 / self.lr_mul),
        )
        self.bias = self.add_weight(
            name="bias", shape=(self.units,),
            initializer=keras.initializers.Constant(self.bias_init / self.lr_mul),
        )

    def call(self, x):
        y = ops.matmul(x, self.kernel * self.scale) + self.bias * self.lr_mul
        return y if self._act is None else self._act(y)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.units)

    def get_config(self):
        return {**super().get_config(), "units": self.units, "lr_mul": self.lr_mul,
                "bias_init": self.bias_init, "activation": self.activation}


@keras.saving.register_keras_serializable(package="keras_gans")
class EqualizedConv2D(keras.layers.Layer):
    """'Same'-padded, stride-1 convolution with equalized learning rate (the
    discriminator's convolutions), channels-last."""

    def __init__(self, filters, kernel_size=3, activation="lrelu", **kwargs):
        super().__init__(**kwargs)
        self.filters = int(filters)
        self.kernel_size = int(kernel_size)
        self.activation = activation
        self._act = _activation(activation)

    def build(self, input_shape):
        cin = int(input_shape[-1])
        self.scale = 1.0 / math.sqrt(cin * self.kernel_size**2)
        self.kernel = self.add_weight(
            name="kernel", shape=(self.kernel_size, self.kernel_size, cin, self.filters),
            initializer=keras.initializers.RandomNormal(stddev=1.0),
        )
        self.bias = self.add_weight(name="bias", shape=(self.filters,), initializer="zeros")

    def call(self, x):
        y = ops.conv(x, self.kernel * self.scale, padding="same") + self.bias
        return y if self._act is None else self._act(y)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.filters)

    def get_config(self):
        return {**super().get_config(), "filters": self.filters,
                "kernel_size": self.kernel_size, "activation": self.activation}


@keras.saving.register_keras_serializable(package="keras_gans")
class ModulatedConv2D(keras.layers.Layer):
    """Modulated convolution with optional demodulation (StyleGAN2 §2.2).

    Inputs ``[x, w]``: feature maps (N, H, W, C_in) and one intermediate latent
    (N, w_dim). A style s = A(w) ∈ R^{C_in} (an ``EqualizedDense`` with bias 1)
    scales the input channels of the weight, w'_{k,i,o} = s_i · w_{k,i,o}, and
    demodulation divides each output channel by
    σ_o = sqrt(Σ_{k,i} w'²_{k,i,o} + ε), so outputs keep unit variance for
    unit-variance inputs. Computed as conv(x · s) · (1/σ) — the same numbers as
    the per-sample grouped convolution of the paper ("fused_modconv=False" in
    the official code), with one shared kernel, so it is fast on CPU.
    Then the bias and the activation (ToRGB: 1×1, no demodulation, linear).

    Args:
        filters: C_out.
        kernel_size: 3 for the synthesis convolutions, 1 for ToRGB.
        demodulate: divide by σ (StyleGAN2); False for ToRGB.
        activation: ``"lrelu"`` or ``"linear"``.
    """

    def __init__(self, filters, kernel_size=3, demodulate=True, activation="lrelu",
                 epsilon=1e-8, **kwargs):
        super().__init__(**kwargs)
        self.filters = int(filters)
        self.kernel_size = int(kernel_size)
        self.demodulate = bool(demodulate)
        self.activation = activation
        self.epsilon = float(epsilon)
        self._act = _activation(activation)

    def build(self, input_shape):
        x_shape, w_shape = input_shape
        cin = int(x_shape[-1])
        self.cin = cin
        self.scale = 1.0 / math.sqrt(cin * self.kernel_size**2)
        self.affine = EqualizedDense(cin, bias_init=1.0, name="affine")
        self.affine.build(w_shape)
        self.kernel = self.add_weight(
            name="kernel", shape=(self.kernel_size, self.kernel_size, cin, self.filters),
            initializer=keras.initializers.RandomNormal(stddev=1.0),
        )
        self.bias = self.add_weight(name="bias", shape=(self.filters,), initializer="zeros")

    def styles(self, w):
        return self.affine(w)

    def demodulation(self, styles):
        """1/σ per sample and output channel, (N, C_out)."""
        weight = self.kernel * self.scale
        w2 = ops.sum(ops.square(weight), axis=(0, 1))  # (C_in, C_out)
        return ops.rsqrt(ops.matmul(ops.square(styles), w2) + self.epsilon)

    def call(self, inputs):
        x, w = inputs
        s = self.styles(w)  # (N, C_in)
        y = ops.conv(x * s[:, None, None, :], self.kernel * self.scale, padding="same")
        if self.demodulate:
            y = y * self.demodulation(s)[:, None, None, :]
        y = y + self.bias
        return y if self._act is None else self._act(y)

    def compute_output_shape(self, input_shape):
        return (*input_shape[0][:-1], self.filters)

    def get_config(self):
        return {**super().get_config(), "filters": self.filters,
                "kernel_size": self.kernel_size, "demodulate": self.demodulate,
                "activation": self.activation, "epsilon": self.epsilon}


@keras.saving.register_keras_serializable(package="keras_gans")
class NoiseInjection(keras.layers.Layer):
    """Per-pixel noise with a learned per-channel scale (StyleGAN §3.2).

    Inputs ``[x, noise]`` with noise (N, H, W, 1), one N(0, 1) value per pixel
    shared by all channels; returns x + strength · noise, strength ∈ R^C
    initialised to 0. The noise is an input (drawn by the model) so that
    training steps are reproducible and noise-free sampling is ``noise = 0``.
    ``activation="lrelu"`` then applies the synthesis layer's nonlinearity
    (StyleGAN2 order: modulated conv, noise, bias, activation; the bias, added
    by the convolution, commutes with the noise).
    """

    def __init__(self, activation="linear", **kwargs):
        super().__init__(**kwargs)
        self.activation = activation
        self._act = _activation(activation)

    def build(self, input_shape):
        channels = int(input_shape[0][-1])
        self.strength = self.add_weight(name="strength", shape=(channels,),
                                        initializer="zeros")

    def call(self, inputs):
        x, noise = inputs
        y = x + ops.cast(noise, x.dtype) * self.strength
        return y if self._act is None else self._act(y)

    def compute_output_shape(self, input_shape):
        return input_shape[0]

    def get_config(self):
        return {**super().get_config(), "activation": self.activation}


@keras.saving.register_keras_serializable(package="keras_gans")
class ConstantInput(keras.layers.Layer):
    """The synthesis network's learned constant input (StyleGAN §2), N(0, 1).

    Called on the per-layer latents (N, L, w_dim) only to know the batch size;
    returns (N, size, size, channels).
    """

    def __init__(self, size, channels, **kwargs):
        super().__init__(**kwargs)
        self.size = int(size)
        self.channels = int(channels)

    def build(self, input_shape):
        self.const = self.add_weight(
            name="const", shape=(1, self.size, self.size, self.channels),
            initializer=keras.initializers.RandomNormal(stddev=1.0),
        )

    def call(self, ws):
        n = ops.shape(ws)[0]
        return ops.tile(ops.cast(self.const, ws.dtype), (n, 1, 1, 1))

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.size, self.size, self.channels)

    def get_config(self):
        return {**super().get_config(), "size": self.size, "channels": self.channels}


@keras.saving.register_keras_serializable(package="keras_gans")
class PixelNorm(keras.layers.Layer):
    """x / sqrt(mean(x²) + ε) over the last axis (the mapping network's input
    normalisation of z, ProGAN §4.2)."""

    def __init__(self, epsilon=1e-8, **kwargs):
        super().__init__(**kwargs)
        self.epsilon = float(epsilon)

    def call(self, x):
        return x * ops.rsqrt(ops.mean(ops.square(x), axis=-1, keepdims=True) + self.epsilon)

    def get_config(self):
        return {**super().get_config(), "epsilon": self.epsilon}


@keras.saving.register_keras_serializable(package="keras_gans")
class LayerLatent(keras.layers.Layer):
    """Picks layer ``index``'s latent from the per-layer latents (N, L, w_dim)."""

    def __init__(self, index, **kwargs):
        super().__init__(**kwargs)
        self.index = int(index)

    def call(self, ws):
        return ws[:, self.index]

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[2])

    def get_config(self):
        return {**super().get_config(), "index": self.index}


@keras.saving.register_keras_serializable(package="keras_gans")
class BroadcastLatent(keras.layers.Layer):
    """w (N, w_dim) -> the same w for every synthesis layer, (N, num_ws, w_dim)."""

    def __init__(self, num_ws, **kwargs):
        super().__init__(**kwargs)
        self.num_ws = int(num_ws)

    def call(self, w):
        return ops.repeat(ops.expand_dims(w, 1), self.num_ws, axis=1)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.num_ws, input_shape[-1])

    def get_config(self):
        return {**super().get_config(), "num_ws": self.num_ws}
