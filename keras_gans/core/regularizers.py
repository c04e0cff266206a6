"""Regularizers and tricks from the GAN literature, usable from any variant."""

from __future__ import annotations

import keras
from keras import ops

from keras_gans.core.backend_steps import input_gradients


def gradient_penalty(critic, real, fake, alpha, weight=10.0, target=1.0, extra_inputs=()):
    """WGAN-GP penalty (Gulrajani et al. 2017, Algorithm 1).

    ``alpha`` is one U[0, 1] draw *per sample*, shape ``(batch, 1, ..., 1)``.
    The critic's gradient at x̂ = real + α (fake - real) is taken with respect to
    x̂ (double backprop on every backend); its norm is computed as
    sqrt(sum g² + 1e-12) so the penalty's own gradient stays finite where g = 0
    (plain sqrt has an infinite derivative at zero and gives NaN).
    """
    real = ops.cast(real, "float32")
    fake = ops.cast(fake, "float32")
    alpha = ops.cast(alpha, "float32")
    interpolated = real + alpha * (fake - real)

    def critic_sum(x):
        inputs = [x, *extra_inputs] if extra_inputs else x
        return ops.sum(ops.cast(critic(inputs, training=True), "float32"))

    grads = input_gradients(critic_sum, interpolated)
    axes = tuple(range(1, len(grads.shape)))
    norm = ops.sqrt(ops.sum(ops.square(grads), axis=axes) + 1e-12)
    return weight * ops.mean(ops.square(norm - target))


@keras.saving.register_keras_serializable(package="keras_gans")
class WeightClip(keras.constraints.Constraint):
    """Clip every weight to [-c, c] after each update (WGAN, Arjovsky et al. 2017)."""

    def __init__(self, clip_value=0.01):
        self.clip_value = float(clip_value)

    def __call__(self, w):
        return ops.clip(w, -self.clip_value, self.clip_value)

    def get_config(self):
        return {"clip_value": self.clip_value}


def instance_noise_std(initial_std, anneal_steps, step):
    """σ of instance noise (Sønderby et al. 2016; Arjovsky & Bottou 2017),
    annealed linearly from ``initial_std`` to 0 over ``anneal_steps`` steps."""
    if not anneal_steps:
        return ops.convert_to_tensor(initial_std, "float32")
    frac = 1.0 - ops.cast(step, "float32") / float(anneal_steps)
    return initial_std * ops.maximum(frac, 0.0)


def feature_matching_loss(real_features, fake_features):
    """||E f(x) - E f(G(z))||² (Salimans et al. 2016, §3.1); real side constant."""
    real_mean = ops.stop_gradient(ops.mean(ops.cast(real_features, "float32"), axis=0))
    fake_mean = ops.mean(ops.cast(fake_features, "float32"), axis=0)
    return ops.sum(ops.square(real_mean - fake_mean))
