"""``keras.layers.Conv2D`` and ``Conv2DTranspose``: no layout copies on PyTorch, sub-pixel on JAX.

Keras' torch backend turns a channels-last (NHWC) input into a contiguous NCHW
copy before every convolution (``permute(...).contiguous()``), then, for
``Conv2D``, copies it again into ``channels_last`` memory format for oneDNN,
and adds the bias as a separate op; each copy has its own copy in the
backward. Here the NHWC tensor is handed to torch as ``permute(0, 3, 1, 2)``,
which *is* an NCHW tensor in ``channels_last`` memory format (a view, no copy),
the bias goes into the convolution, and ``Conv2DTranspose``'s "same" padding is
torch's ``padding``/``output_padding`` where those express it (else the same
crop as Keras). The result is permuted back, again a view.

On JAX on a CPU, a strided ``Conv2DTranspose`` is computed as a sub-pixel
convolution: XLA's CPU transposed convolution (and, worst, its kernel
gradient) is slow, while a stride-s transposed convolution is exactly one
stride-1 convolution with ``s * s * filters`` filters (one group per output
phase, taps rearranged from the same kernel) followed by depth-to-space and a
crop to Keras' output size. Other backends measured slower that way
(``SUBPIXEL_ON_CPU``); dilation, groups, channels_first, LoRA, quantized
layers and unknown spatial sizes run the parent's code.

Same variables, config, weights files and results (up to float32 rounding)
as Keras' layers; the class names are Keras' so that layer names and
weights-file paths are unchanged. Every case other than a 4D float input of
the torch backend (or the sub-pixel case above) runs the parent's code: other
backends, LoRA, quantized layers, negative crops of a transposed convolution.
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


# --------------------------------------------------------------------- sub-pixel
# Where Conv2DTranspose takes the sub-pixel form: per backend, on CPU, with a
# stride of at least SUBPIXEL_MIN_STRIDE in some dim. Chosen by measurement
# (benchmarks/RESULTS.md, section 6; forward + backward of the DCGAN layers on
# a 2-core EPYC): JAX 2.6-13x faster at stride 2 and no faster at stride 1 (it
# is then the same convolution); TF (graph or XLA) and torch (oneDNN) 0.4-0.8x.
# GPUs keep Keras' own conv_transpose: not measured there.
SUBPIXEL_ON_CPU = {"jax": True, "tensorflow": False, "torch": False}
SUBPIXEL_MIN_STRIDE = 2


def _on_cpu(inputs):
    backend = keras.backend.backend()
    if backend == "jax":
        import jax

        return jax.default_backend() == "cpu"
    if backend == "torch":
        return inputs.device.type == "cpu"
    if backend == "tensorflow":
        import tensorflow as tf

        return not tf.config.list_logical_devices("GPU")
    return False


def _use_subpixel(layer, inputs):
    if not SUBPIXEL_ON_CPU.get(keras.backend.backend()):
        return False
    if len(inputs.shape) != 4 or layer.data_format != "channels_last":
        return False
    if getattr(layer, "lora_enabled", False) or getattr(layer, "quantization_mode", None):
        return False
    if tuple(layer.dilation_rate) != (1, 1) or getattr(layer, "groups", 1) != 1:
        return False
    if max(layer.strides) < SUBPIXEL_MIN_STRIDE:
        return False
    if not keras.backend.is_float_dtype(keras.backend.standardize_dtype(inputs.dtype)):
        return False
    return _on_cpu(inputs)


def _subpixel_plan(size, kernel, stride, pad_left, pad_right):
    """One spatial dim of Keras' JAX conv_transpose (``lax.conv_transpose``,
    flipped kernel, ``(pad_left, pad_right)`` around the stride-dilated input):
    output ``o = i * stride + t - shift`` gets input ``i`` times tap ``t``, with
    ``shift = kernel - 1 - pad_left``. Output phase ``p = o % stride`` at
    ``o = q * stride + p`` is a stride-1 correlation over ``q`` of the input
    with the taps ``t = (p + shift) % stride + m * stride``, reversed. Every
    phase gets one window (zero taps where it has fewer), the same for all.

    Returns ``(taps, (left, right), out)``: ``taps[j][p]``, the kernel tap at
    window position ``j`` of phase ``p`` (``kernel``: a zero tap); the input's
    padding (negative: a crop); Keras' output size. None if nothing to do."""
    out = (size - 1) * stride + pad_left + pad_right - kernel + 2
    if out < 1:
        return None
    shift = kernel - 1 - pad_left
    n_taps = -(-kernel // stride)
    first = [(p + shift) // stride for p in range(stride)]  # input offset per phase
    length = n_taps + first[-1] - first[0]
    taps = []
    for j in range(length):
        row = []
        for p in range(stride):
            m = first[p] - first[0] + n_taps - 1 - j
            t = (p + shift) % stride + m * stride
            row.append(t if 0 <= m and t < kernel else kernel)
        taps.append(row)
    left = n_taps - 1 - first[0]
    right = -(-out // stride) + length - 1 - size - left
    while taps and all(t == kernel for t in taps[0]):
        taps.pop(0)
        left -= 1
    while taps and all(t == kernel for t in taps[-1]):
        taps.pop()
        right -= 1
    return (taps, (left, right), out) if taps else None


def _subpixel_plans(layer, shape):
    """Both spatial dims' plans for an NHWC input ``shape``, or None."""
    from keras.src.backend.common.backend_utils import (
        compute_conv_transpose_padding_args_for_jax,
    )

    spatial = tuple(shape[1:3])
    if not all(isinstance(n, int) and n > 0 for n in spatial):
        return None
    kernel_shape = tuple(layer.kernel_size) + (layer.filters, shape[-1])
    pads = compute_conv_transpose_padding_args_for_jax(
        input_shape=shape, kernel_shape=kernel_shape, strides=layer.strides,
        padding=layer.padding, output_padding=layer.output_padding, dilation_rate=1)
    want = tuple(layer.compute_output_shape(shape)[1:3])
    plans = []
    for n, k, s, (left, right), o in zip(spatial, layer.kernel_size, layer.strides, pads, want):
        plan = _subpixel_plan(n, k, s, left, right)
        if plan is None or plan[2] != o:
            return None
        plans.append(plan)
    return plans


def _subpixel_conv_transpose(x, kernel, plans):
    """Keras' conv_transpose of NHWC ``x`` as one stride-1 convolution with
    ``sh * sw * filters`` filters (every output phase), then depth-to-space."""
    ops = keras.ops
    (taps_h, (top, bottom), out_h), (taps_w, (left, right), out_w) = plans
    filters, channels = kernel.shape[2], kernel.shape[3]
    lh, lw, sh, sw = len(taps_h), len(taps_w), len(taps_h[0]), len(taps_w[0])
    # Keras' kernel (kh, kw, filters, channels), one zero tap appended per dim.
    w = ops.pad(kernel, [[0, 1], [0, 1], [0, 0], [0, 0]])
    w = ops.take(w, [t for row in taps_h for t in row], axis=0)
    w = ops.take(w, [t for row in taps_w for t in row], axis=1)
    w = ops.reshape(w, (lh, sh, lw, sw, filters, channels))
    w = ops.reshape(ops.transpose(w, (0, 2, 5, 1, 3, 4)), (lh, lw, channels, sh * sw * filters))
    if keras.backend.backend() == "jax":
        import jax

        # The padding (negative: a crop) inside the convolution: XLA's CPU
        # gradients of a separate pad + "valid" convolution were 2-3x slower.
        y = jax.lax.conv_general_dilated(x, w, (1, 1), ((top, bottom), (left, right)),
                                         dimension_numbers=("NHWC", "HWIO", "NHWC"))
    else:
        if min(top, bottom, left, right) < 0:
            x = x[:, max(-top, 0) : x.shape[1] - max(-bottom, 0),
                  max(-left, 0) : x.shape[2] - max(-right, 0), :]
        if max(top, bottom, left, right) > 0:
            x = ops.pad(x, [[0, 0], [max(top, 0), max(bottom, 0)],
                            [max(left, 0), max(right, 0)], [0, 0]])
        y = ops.conv(x, w, strides=1, padding="valid", data_format="channels_last")
    qh, qw = y.shape[1], y.shape[2]
    if sh * sw > 1:
        y = ops.reshape(y, (-1, qh, qw, sh, sw, filters))
        y = ops.reshape(ops.transpose(y, (0, 1, 3, 2, 4, 5)), (-1, qh * sh, qw * sw, filters))
    if (qh * sh, qw * sw) != (out_h, out_w):
        y = y[:, :out_h, :out_w, :]
    return y


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
    """Drop-in ``keras.layers.Conv2DTranspose``; on PyTorch, no layout copies;
    strided, on JAX on CPU, a sub-pixel convolution (module docstring)."""

    def call(self, inputs):
        out = self._subpixel_call(inputs) if _use_subpixel(self, inputs) else None
        if out is not None:
            return out
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

    def _subpixel_call(self, inputs):
        """Keras' call as a sub-pixel convolution; None where it does not apply."""
        plans = _subpixel_plans(self, inputs.shape)
        kernel = keras.ops.convert_to_tensor(self.kernel)
        dtype = keras.backend.standardize_dtype
        if plans is None or dtype(kernel.dtype) != dtype(inputs.dtype):
            return None
        out = _subpixel_conv_transpose(inputs, kernel, plans)
        if self.use_bias:
            out = keras.ops.add(out, self.bias)
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
