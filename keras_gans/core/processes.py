"""Several processes: the world a data-parallel ``fit`` runs in.

The engines are the backends' own (``keras_gans.distribute`` starts them):
JAX's distributed runtime under ``keras.distribution``, TensorFlow's
``MultiWorkerMirroredStrategy`` and ``torch.distributed``. This module is the
core's side of it, importing nothing above the core:

- ``world()``: how many processes there are, which one this is, how many
  devices the global batch is split over;
- ``process_inputs``: every process is given the same data and the *global*
  batch size, as on one process; each keeps its own rows of every global batch
  (JAX and PyTorch; TensorFlow's ``tf.distribute`` shards the data itself);
- ``collective_errors``: a failed collective (a partner that died) named as such.

PyTorch, where Keras has no engine, is ``core/torch_engine.py``.
"""

from __future__ import annotations

import contextlib
from typing import NamedTuple

import keras

from keras_gans.core.torch_engine import torch_multi, torch_world_size
from keras_gans.errors import GANConfigError


def _backend():
    return keras.backend.backend()


class World(NamedTuple):
    """The processes of a data-parallel run, as this process sees them."""

    processes: int = 1
    index: int = 0
    devices: int = 1  # devices the global batch is split over, in all processes
    engine: str = "one device"

    @property
    def is_first(self):
        """Whether this process writes the run folder, samples and checkpoints."""
        return self.index == 0

    def describe(self, batch_size=None):
        per = max(1, self.devices // max(1, self.processes))
        text = (f"{self.processes} process(es) x {per} device(s); this is process "
                f"{self.index}")
        if batch_size:
            text += (f"; global batch {batch_size} "
                     f"({batch_size // max(1, self.devices)} per device)")
        return text


# ---------------------------------------------------------------- the world
def world(model=None):
    """The ``World`` this process trains in (one process, one device when no
    multi-process engine is running)."""
    backend = _backend()
    if backend == "jax":
        import jax

        distribution = keras.distribution.distribution()
        if distribution is None:
            return World(jax.process_count(), jax.process_index(), 1,
                         "one device" if jax.process_count() == 1 else "jax.distributed")
        mesh = distribution.device_mesh
        axis = list(mesh.axis_names).index(distribution.batch_dim_name)
        return World(jax.process_count(), jax.process_index(), int(mesh.shape[axis]),
                     type(distribution).__name__)
    if backend == "tensorflow":
        import tensorflow as tf

        strategy = tf.distribute.get_strategy() if tf.distribute.has_strategy() else None
        if strategy is None and model is not None:
            strategy = getattr(model, "_distribute_strategy", None)
        if strategy is None:
            return World()
        resolver = getattr(strategy, "cluster_resolver", None)
        processes, index = 1, 0
        if resolver is not None and resolver.cluster_spec().as_dict():
            spec = resolver.cluster_spec().as_dict()
            processes = sum(len(spec.get(job, ())) for job in ("chief", "worker"))
            index = int(resolver.task_id or 0) + (
                1 if resolver.task_type == "worker" and "chief" in spec else 0)
        name = "MultiWorkerMirroredStrategy" if processes > 1 else type(strategy).__name__
        return World(processes, index, strategy.num_replicas_in_sync, name)
    if backend == "torch":
        size = torch_world_size()
        if size > 1 and (model is None or torch_multi(model)):
            import torch.distributed as dist

            return World(size, dist.get_rank(), size,
                         f"torch.distributed ({dist.get_backend()})")
    return World()


@contextlib.contextmanager
def collective_errors(model):
    """Several processes: an error inside ``fit`` (a collective that failed
    because another process stopped, most often) becomes a
    ``GANTrainingError`` that says which process stopped training and why,
    instead of a backend trace alone. The engines' own timeouts
    (``keras_gans.distribute.initialize(timeout_s=)``) bound the wait."""
    w = world(model)
    if w.processes < 2:
        yield
        return
    from keras_gans.errors import GANInputError, GANTrainingError

    try:
        yield
    except (GANConfigError, GANInputError, GANTrainingError, KeyboardInterrupt):
        raise
    except Exception as e:
        first = str(e).strip().splitlines()[0][:300] if str(e).strip() else type(e).__name__
        raise GANTrainingError(
            f"Process {w.index} of {w.processes} ({w.engine}) stopped training: "
            f"{type(e).__name__}: {first}. If another process of the run stopped "
            "or was killed, this is the error its partners see: look at that "
            "process's output, fix it, and restart every process (the CLI's "
            "--resume continues from the last epoch)."
        ) from e


# ---------------------------------------------------------------- the data
def _is_array(x):
    shape = getattr(x, "shape", None)
    return shape is not None and not hasattr(x, "element_spec") and len(shape) > 0


def process_rows(x, global_batch, processes, index):
    """This process's rows of every global batch of ``x`` (in order): global
    batch ``b`` is ``x[b*B:(b+1)*B]``, and process ``i`` keeps its ``i``-th
    ``B / processes`` rows."""
    import numpy as np

    count = int(x.shape[0])
    rows = []
    for start in range(0, count, global_batch):
        size = min(global_batch, count - start)
        share = size // processes
        rows.append(np.arange(start + index * share, start + (index + 1) * share))
    rows = np.concatenate(rows) if rows else np.zeros((0,), "int64")
    return x[rows]


def process_inputs(model, x, y, batch_size):
    """``(x, y, batch_size, sharded)`` for this process: with several JAX or
    PyTorch processes, ``fit(x, batch_size=B)`` given the same ``x`` on every
    process means global batch ``B``; each keeps its rows and trains on
    ``B / processes`` of them per step. A ``keras.utils.PyDataset`` built the
    same way on every process yields global batches: each process keeps its
    rows of each. TensorFlow (``tf.distribute``) and Keras' JAX ``tf.data``
    path shard the data themselves; anything else (a torch ``DataLoader``
    with a ``DistributedSampler``) is taken as this process's own."""
    backend = _backend()
    w = world(model)
    if w.processes <= 1 or backend not in ("jax", "torch"):
        return x, y, batch_size, False
    if backend == "torch" and not torch_multi(model):
        return x, y, batch_size, False
    if backend == "jax" and keras.distribution.distribution() is None:
        return x, y, batch_size, False  # a model of this process alone
    if isinstance(x, (list, tuple)) and len(x) == 2 and y is None and _is_array(x[0]):
        x, y = x
    if isinstance(x, keras.utils.PyDataset):
        return ProcessRows(x, w.processes, w.index), y, None, True
    if not _is_array(x):
        return x, y, batch_size, False
    if batch_size is None:
        batch_size = 32  # Keras' default for arrays
    x = process_rows(x, batch_size, w.processes, w.index)
    if y is not None and _is_array(y):
        y = process_rows(y, batch_size, w.processes, w.index)
    return x, y, batch_size // w.processes, True


class ProcessRows(keras.utils.PyDataset):
    """This process's rows of every batch of a ``keras.utils.PyDataset`` (each
    process builds the same dataset, e.g. ``EpochShuffled`` from the same seed,
    and keeps its ``1 / processes`` of each global batch)."""

    def __init__(self, dataset, processes, index):
        super().__init__()
        self.dataset, self.processes, self.index = dataset, processes, index

    def __len__(self):
        return len(self.dataset)

    def __getitem__(self, i):
        batch = self.dataset[i]
        parts = batch if isinstance(batch, tuple) else (batch,)
        size = int(parts[0].shape[0])
        if size % self.processes:
            raise GANConfigError(
                f"Batch {i} of the dataset has {size} samples, which does not split "
                f"evenly over {self.processes} processes: use a batch size and a "
                f"number of samples that are multiples of {self.processes}.")
        share = size // self.processes
        rows = slice(self.index * share, (self.index + 1) * share)
        parts = tuple(None if p is None else p[rows] for p in parts)
        return parts if isinstance(batch, tuple) else parts[0]

    def on_epoch_end(self):
        self.dataset.on_epoch_end()

    def __getattr__(self, name):  # callback(), set_epoch(), x, ... of the dataset
        if name == "dataset":
            raise AttributeError(name)
        return getattr(self.dataset, name)


@contextlib.contextmanager
def own_rows(model, sharded):
    """While JAX fits on rows this process sharded itself, Keras must not ask
    for a ``tf.data`` dataset to shard (``auto_shard_dataset``)."""
    distribution = keras.distribution.distribution() if _backend() == "jax" else None
    if not sharded or distribution is None or not hasattr(distribution, "auto_shard_dataset"):
        yield
        return
    before = distribution.auto_shard_dataset
    distribution.auto_shard_dataset = False
    try:
        yield
    finally:
        distribution.auto_shard_dataset = before
