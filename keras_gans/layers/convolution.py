"""``keras.layers.Conv2D`` and ``Conv2DTranspose`` without layout copies on PyTorch.

Keras' torch backend turns a channels-last (NHWC) input into a contiguous NCHW
copy before every convolution (``permute(...).contiguous()``), then, for
``Conv2D``, copies it again into ``channels_last`` memory format for oneDNN,
and adds the bias as a separate op; each copy has its own copy in the
backward. Here the NHWC tensor is handed to torch as ``permute(0, 3, 1, 2)``,
which *is* an NCHW tensor in ``channels_last`` memory format (a view, no copy),
the bias goes into the convolution, and ``Conv2DTranspose``'s "same" padding is
torch's ``padding``/``output_padding`` where those express it (else the same
crop as Keras). The result is permuted back, again a view.

Same variables, config, weights files and results (up to float32 rounding)
as Keras' layers; the class names are Keras' so that layer names and
weights-file paths are unchanged. Every case other than a 4D float input of
the torch backend runs the parent's code: other backends, LoRA, quantized
layers, negative crops of a transposed convolution.
"""

from __future__ import annotations

import keras


def _pair(value):
    return tuple(value) if isinstance(value, (tuple, list)) else (value, value)


def _same_padding(size, kernel, stride, dilation):
    """Keras' "same" padding of one spatial dim: (left, right), extra on the right."""
    effective = (kernel - 1) * dilation + 1
    out = (size + stride - 1) // stride
    total = max(0, (out - 1) * stride + effective - size)
    return total // 2, total - total // 2


def _torch_tensor(x):
    """Whether ``x`` is a torch tensor of the torch backend. torch is imported
    only then: a TensorFlow- or JAX-only install has no torch to import."""
    if keras.backend.backend() != "torch":
        return False
    import torch

    return isinstance(x, torch.Tensor)


def _torch_inputs(layer, inputs):
    """``(x_nchw, kernel)`` as torch tensors if the fast path applies, else None."""
    if not _torch_tensor(inputs):
        return None
    if inputs.ndim != 4 or getattr(layer, "lora_enabled", False):
        return None
    if getattr(layer, "quantization_mode", None):
        return None
    kernel = keras.ops.convert_to_tensor(layer.kernel)
    if not inputs.is_floating_point() or kernel.dtype != inputs.dtype:
        return None
    x = inputs.permute(0, 3, 1, 2) if layer.data_format == "channels_last" else inputs
    return x, kernel


def _onednn(x):
    """Whether torch convolves ``x`` with oneDNN (CPU) or cuDNN: else it runs
    its slow_conv2d, which wants contiguous NCHW tensors. float64 never has a
    oneDNN kernel; float16 and bfloat16 have one only where the CPU does (an
    AMD EPYC here: bfloat16 yes, float16 no)."""
    import torch

    if x.device.type != "cpu" or x.dtype == torch.float32:
        return True
    try:
        if x.dtype == torch.bfloat16:
            return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
        if x.dtype == torch.float16:
            return bool(torch.ops.mkldnn._is_mkldnn_fp16_supported())
    except (AttributeError, RuntimeError):  # a torch without these queries
        return False
    return False


def _to_layout(layer, out):
    return out.permute(0, 2, 3, 1) if layer.data_format == "channels_last" else out


def _bias(layer, dtype):
    if not layer.use_bias:
        return None
    bias = keras.ops.convert_to_tensor(layer.bias)
    return bias if bias.dtype == dtype else None


def _torch_conv2d(layer, x, kernel, bias):
    import torch
    from torch.nn import functional as F

    # Keras kernel (kh, kw, in / groups, out) -> torch (out, in / groups, kh, kw).
    weight = kernel.permute(3, 2, 0, 1)
    if not _onednn(x):
        # torch's slow_conv2d backward refuses a permuted weight (Keras' own
        # torch Conv2D fails there with one output filter): contiguous copies.
        x, weight = x.contiguous(), weight.contiguous()
    elif x.is_contiguous(memory_format=torch.channels_last):
        # What oneDNN wants with a channels_last input (Keras copies it too).
        weight = weight.contiguous(memory_format=torch.channels_last)
    strides, dilation = _pair(layer.strides), _pair(layer.dilation_rate)
    if layer.padding == "same":
        pads = [_same_padding(x.shape[2 + i], weight.shape[2 + i], strides[i], dilation[i])
                for i in range(2)]
        if all(left == right for left, right in pads):
            padding = tuple(left for left, _ in pads)
        else:
            (top, bottom), (left, right) = pads
            x = F.pad(x, (left, right, top, bottom))
            padding = 0
    else:
        padding = 0
    groups = x.shape[1] // weight.shape[1]
    return F.conv2d(x, weight, bias, strides, padding, dilation, groups)


@keras.saving.register_keras_serializable(package="keras_gans")
class Conv2D(keras.layers.Conv2D):
    """Drop-in ``keras.layers.Conv2D``; on PyTorch, no layout copies (module docstring)."""

    def call(self, inputs):
        prepared = _torch_inputs(self, inputs)
        if prepared is None:
            return super().call(inputs)
        x, kernel = prepared
        bias = _bias(self, x.dtype)
        if self.use_bias and bias is None:
            return super().call(inputs)
        out = _to_layout(self, _torch_conv2d(self, x, kernel, bias))
        return self.activation(out) if self.activation is not None else out

    def convolution_op(self, inputs, kernel):
        # Also what SpectralNormalization calls with its normalised kernel.
        if _torch_tensor(inputs) and inputs.ndim == 4:
            kernel = keras.ops.convert_to_tensor(kernel)
            if kernel.dtype == inputs.dtype and inputs.is_floating_point():
                x = inputs.permute(0, 3, 1, 2) if self.data_format == "channels_last" else inputs
                return _to_layout(self, _torch_conv2d(self, x, kernel, None))
        return super().convolution_op(inputs, kernel)


@keras.saving.register_keras_serializable(package="keras_gans")
class Conv2DTranspose(keras.layers.Conv2DTranspose):
    """Drop-in ``keras.layers.Conv2DTranspose``; on PyTorch, no layout copies
    (module docstring)."""

    def call(self, inputs):
        prepared = _torch_inputs(self, inputs)
        if prepared is None:
            return super().call(inputs)
        x, kernel = prepared
        bias = _bias(self, x.dtype)
        if self.use_bias and bias is None:
            return super().call(inputs)
        out = self._torch_conv_transpose(x, kernel, bias)
        if out is None:
            return super().call(inputs)
        out = _to_layout(self, out)
        return self.activation(out) if self.activation is not None else out

    def _torch_conv_transpose(self, x, kernel, bias):
        from keras.src.backend.common.backend_utils import (
            compute_conv_transpose_output_crops_for_torch,
        )
        from torch.nn import functional as F

        strides, dilation = _pair(self.strides), _pair(self.dilation_rate)
        nhwc_shape = (x.shape[0], x.shape[2], x.shape[3], x.shape[1])
        # Keras' own crops of torch's full (padding 0) output: (left, right) per dim.
        crops = compute_conv_transpose_output_crops_for_torch(
            input_shape=nhwc_shape, kernel_shape=tuple(kernel.shape), strides=strides,
            padding=self.padding, output_padding=self.output_padding,
            dilation_rate=dilation,
        )
        if any(left < 0 or right < 0 for left, right in crops):
            return None
        # torch's padding p crops p on both sides; output_padding q gives q back
        # on the right: crop (p, p - q), 0 <= q < max(stride, dilation).
        padding, output_padding, rest = [], [], []
        for (left, right), s, d in zip(crops, strides, dilation):
            if 0 <= left - right < max(s, d):
                padding.append(left)
                output_padding.append(left - right)
                rest.append((0, 0))
            else:
                p = min(left, right)
                padding.append(p)
                output_padding.append(0)
                rest.append((left - p, right - p))
        # Keras kernel (kh, kw, out, in) -> torch (in, out, kh, kw).
        weight = kernel.permute(3, 2, 0, 1)
        out = F.conv_transpose2d(x, weight, bias, strides, tuple(padding),
                                 tuple(output_padding), 1, dilation)
        if any(r != (0, 0) for r in rest):
            (t, b), (left, right) = rest
            out = out[:, :, t : out.shape[2] - b, left : out.shape[3] - right]
        return out
