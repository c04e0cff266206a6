"""The only code in keras_gans that knows which backend runs it.

The primitives, one implementation per backend:

- ``run_phase``: compute one phase's loss, take its gradient with respect to the
  phase's players' trainable variables only, and apply each player's own optimizer.
- ``input_gradients``: the gradient of a scalar function with respect to its
  *input*, differentiable again (double backprop), for gradient penalties.
- ``minimize_step``: the public "minimise these variables with this optimizer"
  step, for code outside training (``keras_gans.project``).

TensorFlow and PyTorch run the phases statefully (Keras' own trainers call
``train_step(data)``); JAX runs them on explicit state (see ``jax_step.py``).
"""

from __future__ import annotations

import keras
from keras import ops

from keras_gans.core import replicas, torch_engine
from keras_gans.core.loss_scaling import loss_scaler, unscale, update_scale


def _backend() -> str:
    return keras.backend.backend()


def run_phase_stateful(model, phase, batch):
    """One update of ``phase`` on TensorFlow or PyTorch. Returns the phase logs."""
    variables = model.phase_variables(phase)
    if not phase.players:
        # A phase of no players is bookkeeping (e.g. StyleGAN's moving average
        # of the generator's weights after its update): no gradient to take.
        return _run_without_gradient(phase, batch)
    scaler = loss_scaler(model)
    if _backend() == "tensorflow":
        import tensorflow as tf

        with tf.GradientTape() as tape:
            loss, logs = phase.loss_fn(batch)
            # Under tf.distribute the optimizers sum the replicas' gradients:
            # the replica's mean loss (every term of it) counts 1/replicas.
            loss = replicas.scale_loss(loss)
            if scaler is not None:
                loss = scaler.scale_loss(loss)
        grads = tape.gradient(loss, variables)
    elif _backend() == "torch":
        import torch

        loss, logs = phase.loss_fn(batch)
        if scaler is not None:
            loss = scaler.scale_loss(loss)
        grads = torch.autograd.grad(
            loss, [v.value for v in variables], allow_unused=True
        )
        # Several torch processes (keras_gans.distribute): the mean of their
        # gradients is the gradient of the global batch's mean loss.
        grads = torch_engine.reduce_gradients(model, grads)
    else:  # pragma: no cover - guarded by GANModel.train_step
        raise RuntimeError(f"run_phase_stateful does not run on {_backend()}")
    grads = [
        ops.zeros_like(v) if g is None else g for g, v in zip(grads, variables)
    ]
    if scaler is None:
        _apply_per_player(model, phase, grads, variables)
        return logs
    grads, finite = unscale(scaler, grads)
    # A step whose gradients overflowed float16 is skipped (as Keras' own
    # LossScaleOptimizer does): ops.cond is tf.cond / a Python if on torch.
    ops.cond(finite, lambda: _apply_per_player(model, phase, grads, variables),
             lambda: None)
    update_scale(scaler, finite)
    return logs


def _run_without_gradient(phase, batch):
    if _backend() == "torch":
        import torch

        with torch.no_grad():
            return phase.loss_fn(batch)[1]
    return phase.loss_fn(batch)[1]


def _apply_per_player(model, phase, grads, variables):
    start = 0
    for player in phase.players:
        n = len(model.player_variables(player))
        optimizer = model.player_optimizers[player]
        if _backend() == "torch":
            import torch

            with torch.no_grad():
                optimizer.apply(grads[start : start + n], variables[start : start + n])
        else:
            optimizer.apply(grads[start : start + n], variables[start : start + n])
        start += n


def input_gradients(fn, x):
    """Gradient of ``sum(fn(x))`` with respect to ``x``, itself differentiable.

    Used by gradient penalties (WGAN-GP, R1). On every backend the result can be
    differentiated again with respect to the network's weights.
    """
    backend = _backend()
    if backend == "tensorflow":
        import tensorflow as tf

        with tf.GradientTape() as tape:
            tape.watch(x)
            y = ops.sum(fn(x))
        return tape.gradient(y, x)
    if backend == "torch":
        import torch

        x = x.detach().requires_grad_(True)
        y = ops.sum(fn(x))
        (grad,) = torch.autograd.grad(y, x, create_graph=True)
        return grad
    if backend == "jax":
        import jax
        from keras.src.backend.common.stateless_scope import get_stateless_scope

        # Variable updates made inside the inner trace (a BatchNorm in the critic,
        # say) must not leak out of it: they are discarded, as the penalty's
        # forward pass is not a training forward pass of the critic.
        scope = get_stateless_scope()
        saved = dict(scope.state_mapping) if scope is not None else None
        grad = jax.grad(lambda t: ops.sum(fn(t)))(x)
        if scope is not None:
            scope.state_mapping.clear()
            scope.state_mapping.update(saved)
        return grad
    raise NotImplementedError(f"input_gradients is not implemented for {backend}")


# ---------------------------------------------------------------- minimise
def minimize_step(loss_fn, variables, optimizer):
    """``step(*args) -> loss``: one update of ``variables`` by ``optimizer``
    down the gradient of the scalar ``loss_fn(*args)``, on any backend.

    What a training phase does, for code that minimises something other than
    a phase (``keras_gans.project`` optimises latent codes with it):
    TensorFlow takes the gradient with a ``GradientTape`` in a ``tf.function``;
    PyTorch with ``torch.autograd.grad``, applying under ``no_grad``; JAX
    jit-compiles a pure function of the variables' and the optimizer's values
    (``jax_step.minimize_step``) and writes the new values back after each call.

    Args:
        loss_fn: ``(*args) -> scalar`` written with ``keras.ops``; it may read
            other variables (network weights), which are never changed.
        variables: the ``keras.Variable``s to minimise over.
        optimizer: a Keras optimizer built on ``variables``
            (``optimizer.build(variables)``).
    """
    variables = list(variables)
    backend = _backend()
    if backend == "tensorflow":
        import tensorflow as tf

        @tf.function(reduce_retracing=True)
        def tf_step(*args):
            with tf.GradientTape() as tape:
                loss = loss_fn(*args)
            optimizer.apply(tape.gradient(loss, variables), variables)
            return loss

        return tf_step
    if backend == "torch":
        import torch

        def torch_step(*args):
            loss = loss_fn(*args)
            grads = torch.autograd.grad(loss, [v.value for v in variables])
            with torch.no_grad():
                optimizer.apply(list(grads), variables)
            return loss

        return torch_step
    if backend == "jax":
        from keras_gans.core import jax_step

        return jax_step.minimize_step(loss_fn, variables, optimizer)
    raise NotImplementedError(f"minimize_step runs on tensorflow, jax and torch, not {backend}.")
