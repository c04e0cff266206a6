"""Data-parallel training on the engine Keras already has for the backend.

keras_gans adds no distributed engine of its own. ``data_parallel()`` returns
the backend's own:

- JAX: ``keras.distribution.DataParallel`` (over all devices, the ``devices``
  given or a 1-D ``keras.distribution.DeviceMesh``). The whole GAN step is one
  ``jax.jit`` over globally sharded batches: variables, every player's optimizer
  state, BatchNorm/spectral-norm statistics, the seed generator and the metrics
  are replicated; the batch is split along its first axis. Means over the batch
  and random draws of shape ``(batch, ...)`` are global, so the step is the
  single-device step on the global batch.
- TensorFlow: ``tf.distribute.MirroredStrategy``. Each replica runs the step on
  its slice of the batch; keras_gans makes that equal to the global-batch step:
  each phase's loss (whatever its terms: Wasserstein, gradient penalty, hinge)
  is divided by the number of replicas before its gradient, since the
  optimizers all-reduce gradients as a sum; every replica draws the global
  batch's noise from the shared seed and keeps its own rows (so per-example
  noise differs across replicas and the seed state agrees); BatchNorm layers
  compute their batch statistics over all replicas while ``fit`` runs.
- PyTorch: Keras 3 has no distribution for torch (``keras.distribution`` is
  JAX-only there), so ``data_parallel()`` raises ``GANConfigError``.

Use it as::

    strategy = keras_gans.distribute.data_parallel()
    with strategy.scope():
        gan = keras_gans.DCGAN(data_shape=(28, 28, 1))
        gan.compile()
        gan.fit(x, batch_size=256)   # the global batch, split over the devices
"""

from __future__ import annotations

import keras

from keras_gans.core.replicas import check_fit, num_replicas
from keras_gans.errors import GANConfigError

__all__ = ["check_fit", "data_parallel", "num_replicas"]



def _backend():
    return keras.backend.backend()


_TF_STRATEGIES = {}


def data_parallel(devices=None, device_mesh=None):
    """The data-parallel engine of the running backend; build, compile and fit
    the model inside its ``scope()``.

    Args:
        devices: the devices to use, in the backend's own spelling
            (JAX: ``["gpu:0", "gpu:1"]``; TensorFlow: ``["/gpu:0", "/gpu:1"]``).
            None: every device of the default type.
        device_mesh: JAX only: a 1-D ``keras.distribution.DeviceMesh``.

    Returns:
        ``keras.distribution.DataParallel`` on JAX,
        ``tf.distribute.MirroredStrategy`` on TensorFlow (the same one for the
        same devices within a process).
    """
    backend = _backend()
    if backend == "jax":
        if devices is not None and device_mesh is not None:
            raise GANConfigError(
                "Pass devices= or device_mesh= to data_parallel(), not both."
            )
        return keras.distribution.DataParallel(device_mesh=device_mesh, devices=devices)
    if backend == "tensorflow":
        if device_mesh is not None:
            raise GANConfigError(
                "device_mesh= is a keras.distribution (JAX) argument; on TensorFlow "
                "pass devices=['/gpu:0', '/gpu:1'] (tf.distribute.MirroredStrategy)."
            )
        import tensorflow as tf

        # One strategy per set of devices and process: a second MirroredStrategy
        # over the same devices reuses collective keys of the first and its
        # all-reduces can meet the wrong tensors (shape-mismatch aborts).
        key = None if devices is None else tuple(devices)
        if key not in _TF_STRATEGIES:
            _TF_STRATEGIES[key] = tf.distribute.MirroredStrategy(devices)
        return _TF_STRATEGIES[key]
    raise GANConfigError(
        f"Data-parallel training is not supported on the {backend} backend: Keras "
        f"{keras.version()} has no distribution for it (keras.distribution runs on "
        "JAX only). Train with KERAS_BACKEND=jax (keras.distribution.DataParallel) "
        "or KERAS_BACKEND=tensorflow (tf.distribute.MirroredStrategy), or on one "
        "device."
    )
