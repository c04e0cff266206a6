"""Regularizers of GAN training: gradient penalty, weight clipping, instance
noise, feature matching.

They live in ``keras_gans.core.regularizers`` because the gradient penalty
takes gradients with respect to the critic's *input*, a backend primitive that
only the core holds (``core.backend_steps.input_gradients``); this module is
their public name.
"""

from keras_gans.core.regularizers import (
    WeightClip,
    feature_matching_loss,
    gradient_penalty,
    instance_noise_std,
)

__all__ = ["WeightClip", "feature_matching_loss", "gradient_penalty", "instance_noise_std"]
