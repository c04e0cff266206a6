"""Dynamic loss scaling under the ``mixed_float16`` policy, shared by the
stateful steps (``backend_steps``) and the JAX step (``jax_step``)."""

from __future__ import annotations

import keras
from keras import ops


def loss_scaler(model):
    """The model's ``LossScaleOptimizer`` (Keras wraps the MultiOptimizer in one
    under the ``mixed_float16`` policy), or None.

    With it every phase multiplies its loss by the dynamic scale before
    differentiating, divides the float32 gradients by it, and applies its
    players' optimizers only if every gradient is finite; the scale halves
    after a non-finite phase and doubles after ``dynamic_growth_steps`` finite
    ones in a row (Keras' own rule, counted per phase update)."""
    optimizer = getattr(model, "optimizer", None)
    if isinstance(optimizer, keras.optimizers.LossScaleOptimizer):
        return optimizer
    return None


def unscale(scaler, grads):
    """-> (gradients divided by the scale, whether all of them are finite)."""
    scale = ops.convert_to_tensor(scaler.dynamic_scale)
    grads = [g / ops.cast(scale, g.dtype) for g in grads]
    if not grads:  # a phase whose players have no trainable variable
        return grads, ops.convert_to_tensor(True)
    finite = ops.all(ops.stack([ops.all(ops.isfinite(g)) for g in grads]))
    return grads, finite


def update_scale(scaler, finite):
    # convert_to_tensor: a variable's value (in the stateless scope on JAX).
    count = ops.where(finite, ops.convert_to_tensor(scaler.step_counter) + 1, 0)
    grow = ops.greater_equal(count, scaler.dynamic_growth_steps)
    scale = ops.convert_to_tensor(scaler.dynamic_scale)
    scaler.dynamic_scale.assign(
        ops.where(finite, ops.where(grow, scale * 2.0, scale), scale * 0.5))
    scaler.step_counter.assign(ops.cast(ops.where(grow, 0, count),
                                        scaler.step_counter.dtype))
