"""Replicas: what the training step needs to know when ``fit`` runs on several
devices (the engine is the backend's own; ``keras_gans.distribute`` picks it).

The core's side of data parallelism: how many replicas there are, the loss
scaling and per-replica noise that make each replica's step equal to the
single-device step on the global batch, synchronized BatchNorm while ``fit``
runs, and the checks ``GANModel.fit`` makes before it starts. It imports
nothing above the core: ``keras_gans.distribute`` (above) builds the engine.
"""

from __future__ import annotations

import keras

from keras_gans.core import processes, torch_engine
from keras_gans.core.batches import UNCHECKED, first_batch
from keras_gans.errors import GANConfigError


def _backend():
    return keras.backend.backend()


# ---------------------------------------------------------------- replicas
def _jax_distribution():
    if _backend() != "jax":
        return None
    return keras.distribution.distribution()


def _jax_batch_devices(distribution):
    """Devices the batch is split over, in this process (JAX)."""
    import jax

    mesh = distribution.device_mesh
    axis = list(mesh.axis_names).index(distribution.batch_dim_name)
    return max(1, int(mesh.shape[axis]) // jax.process_count())


def _tf_strategy():
    if _backend() != "tensorflow":
        return None
    import tensorflow as tf

    return tf.distribute.get_strategy() if tf.distribute.has_strategy() else None


def num_replicas(model=None):
    """How many devices one batch of ``fit`` is split over in this process
    (1 when training on one device)."""
    distribution = _jax_distribution()
    if distribution is not None:
        return _jax_batch_devices(distribution)
    if _backend() == "tensorflow":
        strategy = _tf_strategy()
        if strategy is None and model is not None:
            strategy = getattr(model, "_distribute_strategy", None)
        return strategy.num_replicas_in_sync if strategy is not None else 1
    return 1


def tf_replica_context():
    """The TensorFlow replica context when running on one of several replicas
    (inside ``strategy.run``), else None."""
    if _backend() != "tensorflow":
        return None
    import tensorflow as tf

    if not tf.distribute.in_cross_replica_context() and tf.distribute.has_strategy():
        ctx = tf.distribute.get_replica_context()
        if ctx is not None and ctx.num_replicas_in_sync > 1:
            return ctx
    return None


def multi_worker_logs(logs):
    """The step's logs as Keras' TensorFlow trainer can reduce them over the
    workers of a ``MultiWorkerMirroredStrategy``.

    Keras 3 reduces a multi-worker step's outputs with
    ``strategy.reduce("MEAN", value, axis=0)``, which fails on the scalar logs
    every model returns ("Invalid reduction dimension 0 for input with 0
    dimensions"; tensorflow/tensorflow#72388). Returned with one leading axis,
    each log is reduced to the scalar mean over the replicas.
    """
    ctx = tf_replica_context()
    if ctx is None or processes.world().processes < 2:
        return logs
    from keras import ops

    return {k: ops.reshape(v, (1,)) if len(ops.shape(v)) == 0 else v
            for k, v in logs.items()}


def first_batch_mean(model, iterator):
    """The first batch of a ``MultiWorkerMirroredStrategy`` epoch, reduced leaf
    by leaf to one value (what Keras' TensorFlow trainer builds the model's
    step from), or None when there is no multi-worker strategy.

    Keras 3.15 reduces the whole ``(x,)`` / ``(x, y)`` structure in one
    ``strategy.reduce``, which multi-worker collectives refuse ("Attempt to
    convert a value (PerReplica...) to a Tensor"): every dataset or
    ``PyDataset`` with tuples fails before the first step.
    """
    import tensorflow as tf
    from keras.src import tree

    strategy = getattr(model, "_distribute_strategy", None)
    if iterator is None or strategy is None or processes.world(model).processes < 2:
        return None
    for _, _, it in iterator:
        batch = next(it)
        return tree.map_structure(
            lambda v: strategy.reduce("MEAN", v, axis=None)
            if isinstance(v, tf.distribute.DistributedValues) else v, batch)
    return None


def scale_loss(loss):
    """Divide a replica's mean loss by the number of replicas (TensorFlow):
    the optimizers sum the replicas' gradients, so the update is the one of the
    mean loss over the global batch."""
    ctx = tf_replica_context()
    if ctx is None:
        return loss
    return loss * (1.0 / ctx.num_replicas_in_sync)


def replica_random(draw, shape, seed):
    """``draw(shape, seed=seed)`` for this replica's rows of the global batch.

    On one device (and on JAX, whose arrays are global) it is just the draw. On
    TensorFlow replicas, and in torch processes fitting across processes
    (``core/torch_engine.py``), every replica draws the global batch's values
    from the shared seed state and keeps its own rows: per-example noise
    differs across replicas, the seed generator advances identically on all of
    them, and the values are those of the single-device step on the global
    batch.
    """
    rows = _rows_of_this_replica()
    if rows is None:
        return draw(shape, seed=seed)
    from keras import ops

    count, index = rows
    n = shape[0]
    full = draw((n * count, *shape[1:]), seed=seed)
    start = ops.cast(index, "int32") * n
    return full[start : start + n]


def _rows_of_this_replica():
    """``(replicas, this replica's index)`` when each replica (a TensorFlow
    replica, or a torch process fitting across processes) runs the step on
    its own rows; None when the step sees the whole batch."""
    if torch_engine.torch_fitting() is not None:
        return torch_engine.process_rank()
    ctx = tf_replica_context()
    if ctx is None:
        return None
    return ctx.num_replicas_in_sync, ctx.replica_id_in_sync_group


# ---------------------------------------------------------------- BatchNorm
class synchronized_batch_norm:
    """While active on TensorFlow replicas, every ``BatchNormalization`` layer of
    ``model`` computes its batch statistics over the global batch (Keras'
    ``synchronized=True``), as on one device and on JAX. Restored on exit, so
    the saved model stays loadable on every backend."""

    def __init__(self, model):
        self.model = model
        self.changed = []

    def __enter__(self):
        if _backend() == "tensorflow" and num_replicas(self.model) > 1:
            for layer in _all_layers(self.model):
                if isinstance(layer, keras.layers.BatchNormalization) and not layer.synchronized:
                    layer.synchronized = True
                    self.changed.append(layer)
        return self

    def __exit__(self, *exc):
        for layer in self.changed:
            layer.synchronized = False
        self.changed = []
        return False


def _all_layers(model):
    return [layer for layer in model._flatten_layers(include_self=False, recursive=True)]


# ---------------------------------------------------------------- checks
def check_fit(model, x, y, batch_size):
    """Raise ``GANConfigError`` when ``fit`` cannot run data-parallel as asked.

    Called by ``GANModel.fit``; a no-op on one device.
    """
    backend = _backend()
    if backend != "jax":
        _check_no_keras_distribution(backend)
    if backend == "tensorflow":
        _check_tf(model)
    world = processes.world(model)
    # Several processes: batch_size (or the dataset's batch) is the global
    # batch, split over every device of every process.
    n = world.devices if world.processes > 1 else num_replicas(model)
    if n > 1:
        _check_jax_variables(model)
        _check_divisible(n, x, y, batch_size)


def _check_no_keras_distribution(backend):
    distribution = keras.distribution.distribution()
    if distribution is None:
        return
    if backend == "tensorflow":
        fix = (
            "On TensorFlow use tf.distribute.MirroredStrategy "
            "(keras_gans.distribute.data_parallel()) and build, compile and fit the "
            "model in its scope(); or set KERAS_BACKEND=jax."
        )
    else:
        fix = (
            f"Keras has no data-parallel engine for {backend}: unset it "
            "(keras.distribution.set_distribution(None)) to train on one device, or "
            "set KERAS_BACKEND=jax."
        )
    raise GANConfigError(
        f"A keras.distribution ({type(distribution).__name__}) is set, but the "
        f"{backend} backend ignores it (keras.distribution runs on JAX). {fix}"
    )


def _check_tf(model):
    strategy = _tf_strategy()
    own = getattr(model, "_distribute_strategy", None)
    if strategy is not None and strategy.num_replicas_in_sync > 1 and own is not strategy:
        raise GANConfigError(
            f"{type(model).__name__} was built outside the scope of the "
            f"{type(strategy).__name__} that fit() runs in, so its variables are "
            "not mirrored. Build and compile the model inside "
            "`with strategy.scope():`."
        )


def _check_jax_variables(model):
    distribution = _jax_distribution()
    if distribution is None:
        return
    import jax

    local = [
        v.path
        for v in model.variables
        if isinstance(getattr(v.value, "sharding", None), jax.sharding.SingleDeviceSharding)
    ]
    if local:
        raise GANConfigError(
            f"{type(model).__name__} has variables on one device ({local[0]}, ...) "
            f"but fit() runs under {type(distribution).__name__}: build and compile "
            "the model inside `with distribution.scope():` (or after "
            "keras.distribution.set_distribution(distribution))."
        )


def _check_divisible(n, x, y, batch_size):
    count = _num_samples(x)
    first_batch_size = None
    if count is None:  # a dataset, PyDataset or loader: its batches are its own
        first, _ = first_batch(x, y)
        if first is not None and first is not UNCHECKED:
            first_batch_size = int(first.shape[0])
    if first_batch_size is not None:
        if first_batch_size % n:
            raise GANConfigError(
                f"The dataset's batches have {first_batch_size} samples, which does "
                f"not split evenly over {n} devices. Batch it with a multiple of {n} "
                "(and drop_remainder=True)."
            )
        return
    if batch_size is None:
        batch_size = 32  # Keras' default for arrays
    if batch_size % n:
        raise GANConfigError(
            f"batch_size={batch_size} does not split evenly over {n} devices: the "
            f"global batch size must be a multiple of {n} (e.g. "
            f"{max(n, batch_size // n * n)} or {(batch_size // n + 1) * n})."
        )
    if count is not None and count % batch_size % n:
        last = count % batch_size
        raise GANConfigError(
            f"The last batch of an epoch has {last} samples ({count} samples, "
            f"batch_size={batch_size}), which does not split evenly over {n} "
            f"devices. Use a number of samples that is a multiple of {n} (e.g. "
            f"x[:{count - count % n}]) or of the batch size."
        )


def _num_samples(x):
    if isinstance(x, (list, tuple)) and len(x) == 2:  # fit((x, y))
        x = x[0]
    shape = getattr(x, "shape", None)
    if shape is not None and not hasattr(x, "element_spec") and len(shape):
        return int(shape[0])
    return None
