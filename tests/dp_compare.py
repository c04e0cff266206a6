"""One data-parallel run against one device, group by group of the GAN step's
state: shared by tests/distribute_worker.py (several devices of one process)
and tests/multiprocess_worker.py (several processes). Import it after the
worker has fixed its devices and started its processes."""

from __future__ import annotations

import keras
import numpy as np

import keras_gans as kg
from keras_gans import distribute

BACKEND = keras.backend.backend()
BATCH = 8


def make(variant):
    if variant == "dcgan":
        return kg.DCGAN(data_shape=(28, 28, 1), latent_dim=8, filters=8, seed=1)
    if variant == "dcgan_minibatch_stddev":  # a layer that looks across the batch
        return kg.DCGAN(data_shape=(28, 28, 1), latent_dim=8, filters=8, seed=1,
                        discriminator_options={"minibatch_stddev": True})
    return kg.WGANGP(data_shape=(28, 28, 1), latent_dim=8, filters=8, n_critic=2, seed=1)


def sgd():
    # Plain SGD: a gradient twice (or half) too large shows in the weights.
    # (Adam's first step is ~lr*sign(g) and would hide a wrong loss scale.)
    return {
        "generator_optimizer": keras.optimizers.SGD(0.02),
        "discriminator_optimizer": keras.optimizers.SGD(0.02),
    }


def values(variables):
    return [np.asarray(keras.ops.convert_to_numpy(v), dtype="float64") for v in variables]


def state(model):
    """Every piece of the GAN step's state, by group."""
    return {
        "trainable": values(model.trainable_variables),
        "non_trainable": values(
            [v for v in model.non_trainable_variables if "seed" not in v.path]
        ),
        "optimizers": values(model.optimizer.variables),
        "seed": values([model.seed_generator.state]),
        # Results, not raw totals: a TF Mean sums its count over replicas.
        "metrics": [np.asarray(keras.ops.convert_to_numpy(t.result()), "float64")
                    for t in model.trackers],
    }


def max_diff(a, b):
    return max(((float(np.max(np.abs(x - y))) if x.size else 0.0) for x, y in zip(a, b)),
               default=0.0)


def max_rel_diff(a, b):
    """Like max_diff, relative to the value where it is above 1: metric results
    are losses (WGAN-GP's reach ~10-20), where one float32 ulp is ~2e-6."""
    return max((float(np.max(np.abs(x - y) / np.maximum(1.0, np.abs(x)))) if x.size else 0.0)
               for x, y in zip(a, b))


def diffs(s1, s2):
    return {k: (max_rel_diff if k == "metrics" else max_diff)(s1[k], s2[k]) for k in s1}


def digits(n):
    from keras_gans.data import load_digits

    return load_digits(28)[0][:n]


def pair(variant, engine, compile_kwargs):
    """The same model on one device and on ``engine``, from the same weights."""
    single = make(variant)
    single.compile(**compile_kwargs())
    init = [keras.ops.convert_to_numpy(v) for v in single.weights]
    with engine.scope():
        dist = make(variant)
        dist.compile(**compile_kwargs())
        dist.set_weights(init)
    return single, dist, init


def fit_both(single, dist, engine, x, **kwargs):
    h1 = single.fit(x, batch_size=BATCH, shuffle=False, verbose=0, **kwargs)
    with engine.scope():
        h2 = dist.fit(x, batch_size=BATCH, shuffle=False, verbose=0, **kwargs)
    return h1.history, h2.history


def step_and_fit_case(variant, more_steps=4):
    """One data-parallel step of global batch B vs one single-device step; then
    a short fit of both from there (same compiled steps) and the same check
    (``more_steps=0``: the step only, fit None).

    The models start from the same weights whatever ran before (a fixed global
    seed): from some starting points float32 rounding of another summation
    order grows past the bounds (WGAN-GP's penalty differentiates
    sqrt(|g|^2 + 1e-12); a BatchNorm channel of near-zero variance scales by
    1/sqrt(eps)), which made the comparison flaky. On TensorFlow, where each
    replica runs its own step and the DCGAN fit drifted ~5e-4 in float32 from
    this seed, it runs in float64 (~1e-9); a missing all-reduce, shared noise or
    a wrong loss scale moves the weights > 1e-3 in either precision."""
    keras.utils.set_random_seed(0)
    if BACKEND == "tensorflow":
        keras.config.set_floatx("float64")
    try:
        return _step_and_fit(variant, more_steps)
    finally:
        keras.config.set_floatx("float32")


def _step_and_fit(variant, more_steps):
    engine = distribute.data_parallel()
    single, dist, _ = pair(variant, engine, sgd)
    before = values(single.trainable_variables)
    x = digits(BATCH)
    h1, h2 = fit_both(single, dist, engine, x, epochs=1)
    s1, s2 = state(single), state(dist)
    step = diffs(s1, s2)
    step["moved"] = max_diff(s1["trainable"], before)
    step["losses"] = {k: [h1[k][-1], h2[k][-1]] for k in h1}
    if not more_steps:
        return step, None

    x = digits(BATCH * more_steps // 2)
    h1, h2 = fit_both(single, dist, engine, x, epochs=3, initial_epoch=1)
    s1, s2 = state(single), state(dist)
    fit = diffs(s1, s2)
    fit["moved"] = max_diff(s1["trainable"], before)
    fit["history"] = {k: [h1[k], h2[k]] for k in h1}
    return step, fit


