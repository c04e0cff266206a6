"""``keras.layers.BatchNormalization`` with a fused kernel on PyTorch.

On the torch backend Keras builds batch normalisation from elementwise ops
(``ops.moments`` as E[x^2] - E[x]^2, then subtract, multiply, add): about a
dozen kernels forward and as many again backward, where ``torch.nn`` runs one
(``native_batch_norm``) each way. This subclass calls
``torch.nn.functional.batch_norm`` instead and keeps everything else Keras':
the same variables (gamma, beta, moving_mean, moving_variance, in that order),
config, weights files and numerics up to float32 rounding:

- training (``training=True`` and the layer trainable): normalise with the
  batch mean and the *biased* batch variance; update
  ``moving = momentum * moving + (1 - momentum) * batch`` with Keras' momentum
  convention (0.99 keeps 99 % of the old value) and the biased variance, as
  Keras does (torch's own ``running_var`` would be the unbiased one);
- otherwise: normalise with the moving statistics.

Channels-last inputs (Keras' default) are handed to torch as a permuted view:
for a 4D ``(N, H, W, C)`` tensor, ``permute(0, 3, 1, 2)`` is an NCHW tensor in
``channels_last`` memory format, which torch's CPU and CUDA kernels take as is,
so no copy is made either way.

Every other case runs the parent's code: other backends, masks,
``renorm=True``, ``synchronized=True``, inputs or variables that are not
float32, 3D/5D channels-last inputs, and a reduction over a single value per
channel (torch refuses to train on it, Keras gives variance 0).
"""

from __future__ import annotations

import keras

_MOMENTUM_ONE = 1.0


def _torch_fast_path_layout(layer, inputs):
    """``(to_nc, from_nc)`` permutations putting the channel axis at 1, or None."""
    ndim = len(inputs.shape)
    if ndim < 2:
        return None
    axis = layer.axis % ndim
    if axis == 1:
        return (), ()
    if axis == ndim - 1 and ndim == 4:
        return (0, 3, 1, 2), (0, 2, 3, 1)
    return None


@keras.saving.register_keras_serializable(package="keras_gans")
class BatchNormalization(keras.layers.BatchNormalization):
    """Drop-in ``keras.layers.BatchNormalization``, fused on PyTorch.

    Same arguments, variables, config and results as the Keras layer (see the
    module docstring for the cases that simply run Keras' code). The class keeps
    Keras' name so that layer names and weights-file paths are those of
    ``keras.layers.BatchNormalization``: a weights file written for a network
    built with Keras' layer loads into one built with this one, and back.
    """

    def call(self, inputs, training=None, mask=None):
        if keras.backend.backend() == "torch" and mask is None:
            out = self._torch_call(inputs, training)
            if out is not None:
                return out
        return super().call(inputs, training=training, mask=mask)

    def _torch_call(self, inputs, training):
        import torch
        from keras.src.backend.common.stateless_scope import in_stateless_scope
        from torch.nn import functional as F

        if self.renorm or self.synchronized or in_stateless_scope():
            return None
        if not isinstance(inputs, torch.Tensor) or inputs.dtype != torch.float32:
            return None
        if self.compute_dtype != "float32":
            return None
        variables = [self.moving_mean, self.moving_variance]
        variables += [v for v in (self.gamma, self.beta) if v is not None]
        if any(v.dtype != "float32" for v in variables):
            return None
        layout = _torch_fast_path_layout(self, inputs)
        if layout is None:
            return None
        to_nc, from_nc = layout
        x = inputs.permute(to_nc) if to_nc else inputs
        gamma = self.gamma.value if self.scale else None
        beta = self.beta.value if self.center else None
        moving_mean = self.moving_mean.value
        moving_variance = self.moving_variance.value

        if training and self.trainable:
            channels = x.shape[1]
            n = x.numel() // channels if channels else 0
            if n < 2:
                return None
            # F.batch_norm with momentum 1 writes the batch statistics into
            # these buffers (running = 1 * batch + 0 * running); the variance
            # it writes is the unbiased one, n / (n - 1) times Keras'.
            batch_mean = torch.zeros(channels, dtype=x.dtype, device=x.device)
            batch_var = torch.zeros(channels, dtype=x.dtype, device=x.device)
            out = F.batch_norm(
                x, batch_mean, batch_var, gamma, beta, training=True,
                momentum=_MOMENTUM_ONE, eps=self.epsilon,
            )
            m = self.momentum
            with torch.no_grad():
                # Keras: moving * momentum + batch * (1 - momentum), biased var.
                moving_mean.mul_(m).add_(batch_mean, alpha=1.0 - m)
                moving_variance.mul_(m).add_(batch_var, alpha=(1.0 - m) * (n - 1) / n)
        else:
            out = F.batch_norm(
                x, moving_mean, moving_variance, gamma, beta, training=False,
                eps=self.epsilon,
            )
        return out.permute(from_nc) if from_nc else out
