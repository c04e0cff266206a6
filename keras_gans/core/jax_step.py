"""The JAX training step: every phase as a pure function of explicit state.

Keras' JAX trainer jit-compiles ``train_step(state, data)`` where ``state`` is
``(trainable, non_trainable, optimizer, metrics)`` variable values. The GAN's
``self.optimizer`` is a ``keras.optimizers.MultiOptimizer`` holding one optimizer
per player, so every player's optimizer state travels in ``state`` and Keras
itself writes it back, shards it and saves it.

Inside the step the values live in a ``_Store`` (variable -> current value).
Each phase runs the variant's ordinary, stateful-looking loss code inside a
``keras.StatelessScope`` built from the store; ``jax.value_and_grad`` is taken
with respect to the phase's players' values only, and every other update the
phase made (BatchNorm and spectral-norm statistics, the seed generator) comes
back as an auxiliary output and is written into the store.
"""

from __future__ import annotations

import contextlib

import jax
from keras import StatelessScope

from keras_gans.core.loss_scaling import loss_scaler, unscale, update_scale


class _Store:
    def __init__(self, groups):
        self.variables = []
        self.values = {}
        for variables, values in groups:
            for v, value in zip(variables, values):
                if id(v) not in self.values:
                    self.variables.append(v)
                self.values[id(v)] = value

    def scope(self, overrides=None):
        overrides = overrides or {}
        mapping = [
            (v, overrides.get(id(v), self.values[id(v)])) for v in self.variables
        ]
        return StatelessScope(state_mapping=mapping)

    def read(self, scope, exclude=()):
        excluded = {id(v) for v in exclude}
        return {
            id(v): scope.get_current_value(v)
            for v in self.variables
            if id(v) not in excluded
        }

    def get(self, variables):
        return [self.values[id(v)] for v in variables]


def train_step(model, state, data):
    trainable, non_trainable, optimizer_values, metrics_values = state
    store = _Store(
        [
            (model.trainable_variables, trainable),
            (model.non_trainable_variables, non_trainable),
            (model.optimizer.variables, optimizer_values),
            (model.metrics_variables, metrics_values),
        ]
    )
    batch = model.prepare_batch(data)
    logs = {}
    for phase in model.training_phases():
        for _ in range(phase.repeats):
            logs.update(_run_phase(model, phase, batch, store))

    with store.scope() as scope:
        model.optimizer.iterations.assign_add(1)
        results = model.update_trackers(logs)
    store.values.update(store.read(scope))
    new_state = (
        store.get(model.trainable_variables),
        store.get(model.non_trainable_variables),
        store.get(model.optimizer.variables),
        store.get(model.metrics_variables),
    )
    return results, new_state


def _run_phase(model, phase, batch, store):
    variables = model.phase_variables(phase)
    scaler = loss_scaler(model)

    def loss_fn(values):
        overrides = {id(v): x for v, x in zip(variables, values)}
        with store.scope(overrides) as scope:
            loss, logs = phase.loss_fn(batch)
            if scaler is not None:  # mixed_float16: the scale from the state
                loss = scaler.scale_loss(loss)
        return loss, (logs, store.read(scope, exclude=variables))

    (_, (logs, updates)), grads = jax.value_and_grad(loss_fn, has_aux=True)(
        store.get(variables)
    )
    store.values.update(updates)
    if scaler is not None:
        with store.scope():
            grads, finite = unscale(scaler, grads)
        before = dict(store.values)

    start = 0
    for player in phase.players:
        player_vars = model.player_variables(player)
        n = len(player_vars)
        optimizer = model.player_optimizers[player]
        with store.scope() as scope:
            optimizer.apply(grads[start : start + n], player_vars)
        store.values.update(store.read(scope))
        start += n
    if scaler is not None:
        # Skip the update if a gradient overflowed: keep the old values of
        # everything the optimizers touched, then move the scale.
        for key, value in store.values.items():
            if value is not before[key]:
                store.values[key] = jax.numpy.where(finite, value, before[key])
        with store.scope() as scope:
            update_scale(scaler, finite)
        store.values.update(store.read(scope))
    return logs


class KeepStateOnError:
    """Keep a model usable when a Keras JAX trainer call raises.

    Keras' JAX ``fit``, ``evaluate`` and ``predict`` move the variables' values
    into an explicit state and set the variables to None until the call ends;
    an error raised inside (a shape error in ``call``, a failing callback)
    leaves them None and every later use fails. On an error this writes back
    the last state the trainer kept (``_jax_state``, the steps that finished)
    and, for any variable still without a value, the value it had before the
    call, then lets the error go on.
    """

    def __init__(self, model):
        self.model = model

    def _variables(self):
        model = self.model
        variables = list(model.variables)
        optimizer = getattr(model, "optimizer", None)
        if optimizer is not None:
            variables.extend(optimizer.variables)
        variables.extend(model.metrics_variables)
        return variables

    def __enter__(self):
        self.saved = [(v, v._value) for v in self._variables()]
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            return False
        model = self.model
        if getattr(model, "_jax_state", None) and not getattr(
            model, "_jax_state_synced", True
        ):
            with contextlib.suppress(Exception):  # the original error matters more
                model.jax_state_sync()
        for variable, value in self.saved:
            current = variable._value
            lost = current is None or _deleted(current)
            if lost and value is not None and not _deleted(value):
                variable._value = value
        model._jax_state = None
        model._jax_state_synced = True
        return False


def _deleted(value):
    is_deleted = getattr(value, "is_deleted", None)
    return bool(is_deleted()) if callable(is_deleted) else False


def minimize_step(loss_fn, variables, optimizer):
    """JAX's ``backend_steps.minimize_step``: a jit-compiled pure function of
    the values of ``variables`` and of the optimizer's variables, written
    back after each call. Updates ``loss_fn`` makes to other variables are
    discarded (it should run networks in inference mode)."""
    variables = list(variables)
    state = [*variables, *optimizer.variables]

    def pure_step(values, *args):
        store = _Store([(state, values)])

        def loss_of(own):
            with store.scope({id(v): x for v, x in zip(variables, own)}):
                return loss_fn(*args)

        loss, grads = jax.value_and_grad(loss_of)(store.get(variables))
        with store.scope() as scope:
            optimizer.apply(grads, variables)
        store.values.update(store.read(scope))
        return store.get(state), loss

    jitted = jax.jit(pure_step)

    def step(*args):
        values, loss = jitted([v.value for v in state], *args)
        for v, value in zip(state, values):
            v.assign(value)
        return loss

    return step
