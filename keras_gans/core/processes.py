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
- PyTorch, where Keras has no engine: each phase's gradients are averaged over
  the processes (one all-reduce of torch's own ``torch.distributed``) before the
  phase's optimizers apply them, BatchNorm statistics are averaged over the
  processes (autograd-aware all-reduce), every process draws the global batch's
  noise and keeps its rows, and the logged losses are the global means. The
  step of ``P`` processes with a global batch ``B`` is then the one-process
  step with batch ``B``.
"""

from __future__ import annotations

import contextlib
import types
from typing import NamedTuple

import keras

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


# ---------------------------------------------------------------- torch engine
# The PyTorch engine is torch.distributed's process group, entered with
# ``keras_gans.distribute.data_parallel().scope()``: a model built inside the
# scope trains across the processes (as a TensorFlow model built inside a
# strategy's scope does); one built outside trains on its own.
_TORCH_SCOPE = []
_TORCH_FIT = []  # the model whose fit is running across processes (torch)


def torch_world_size():
    if _backend() != "torch":
        return 1
    import torch.distributed as dist

    if not (dist.is_available() and dist.is_initialized()):
        return 1
    return dist.get_world_size()


@contextlib.contextmanager
def torch_scope(engine):
    _TORCH_SCOPE.append(engine)
    try:
        yield engine
    finally:
        _TORCH_SCOPE.pop()


def torch_engine_of_new_model():
    """The torch engine whose scope a model is being built in (or None)."""
    return _TORCH_SCOPE[-1] if _TORCH_SCOPE else None


def _torch_multi(model):
    return (getattr(model, "_torch_engine", None) is not None and torch_world_size() > 1)


def torch_fitting():
    """The model being fitted across torch processes right now, or None."""
    return _TORCH_FIT[-1] if _TORCH_FIT else None


def all_reduce_mean(tensors):
    """Average torch tensors over the processes (one all-reduce)."""
    import torch
    import torch.distributed as dist

    tensors = list(tensors)
    if not tensors:
        return tensors
    dtype = tensors[0].dtype
    for t in tensors[1:]:
        dtype = torch.promote_types(dtype, t.dtype)
    flat = torch.cat([t.detach().reshape(-1).to(dtype) for t in tensors])
    dist.all_reduce(flat, op=dist.ReduceOp.SUM)
    flat = flat / dist.get_world_size()
    out, start = [], 0
    for t in tensors:
        n = t.numel()
        out.append(flat[start:start + n].reshape(t.shape).to(t.dtype))
        start += n
    return out


def reduce_gradients(model, grads):
    """Average a phase's gradients over the torch processes (a no-op elsewhere):
    each process's loss is the mean over its rows, so the average is the
    gradient of the mean loss over the global batch."""
    if not _torch_multi(model) or torch_fitting() is not model:
        return grads
    present = [i for i, g in enumerate(grads) if g is not None]
    reduced = all_reduce_mean([grads[i] for i in present])
    grads = list(grads)
    for i, g in zip(present, reduced):
        grads[i] = g
    return grads


def reduce_logs(model, logs):
    """The logged terms as means over every process's rows (torch)."""
    if not _torch_multi(model) or torch_fitting() is not model:
        return logs
    from keras import ops

    names = [k for k, v in logs.items() if v is not None and len(ops.shape(v)) == 0]
    values = all_reduce_mean([ops.convert_to_tensor(logs[k], "float32") for k in names])
    return {**logs, **dict(zip(names, values))}


def process_rows_of_noise(draw, shape, seed):
    """``draw`` for this process's rows of the global batch (torch processes):
    every process draws the global batch's values from the shared seed state and
    keeps its own rows, so the values are those of one process with the global
    batch and the seed state advances identically everywhere."""
    import torch.distributed as dist

    world, rank = dist.get_world_size(), dist.get_rank()
    n = shape[0]
    full = draw((n * world, *shape[1:]), seed=seed)
    return full[rank * n:(rank + 1) * n]


def _synced_moments(layer, inputs, mask):
    """BatchNorm batch statistics averaged over the torch processes (every
    process holds the same number of rows), differentiable."""
    import torch
    import torch.distributed as dist
    from torch.distributed.nn.functional import all_reduce

    if mask is not None:
        raise GANConfigError(
            "Masked BatchNormalization is not synchronized across torch processes; "
            "train this network on one process.")
    x = inputs.to(torch.float32) if inputs.dtype == torch.float16 else inputs
    axes = list(layer._reduction_axes)
    world = dist.get_world_size()
    # Two passes, as torch's own batch norm: the global mean, then the mean
    # squared deviation from it (E[x^2] - E[x]^2 loses digits a GAN's
    # gradient penalty amplifies).
    mean = all_reduce(torch.mean(x, dim=axes, keepdim=True), op=dist.ReduceOp.SUM) / world
    variance = all_reduce(torch.mean(torch.square(x - mean), dim=axes, keepdim=True),
                          op=dist.ReduceOp.SUM) / world
    mean, variance = torch.squeeze(mean, axes), torch.squeeze(variance, axes)
    return mean.to(inputs.dtype), variance.to(inputs.dtype)


def broadcast_state(model):
    """Every process starts from process 0's state (weights, BatchNorm
    statistics, built optimizers, the seed generator), as
    ``DistributedDataParallel`` does when it wraps a module: a model built from
    an unseeded initializer differs per process until then."""
    import torch
    import torch.distributed as dist

    variables = list(model.variables)
    optimizer = getattr(model, "optimizer", None)
    if optimizer is not None and getattr(optimizer, "built", False):
        variables += list(optimizer.variables)
    seen = set()
    with torch.no_grad():
        for v in variables:
            value = v.value
            if id(value) in seen or not isinstance(value, torch.Tensor):
                continue
            seen.add(id(value))
            dist.broadcast(value.data, src=0)


@contextlib.contextmanager
def torch_fit(model):
    """While a torch model built in the engine's scope fits across processes:
    its BatchNorm layers average their batch statistics over the processes,
    its gradients and logs are averaged (``reduce_gradients``/``reduce_logs``)
    and its noise is drawn per process (``process_rows_of_noise``). Restored
    on exit, so the saved model is the usual one."""
    if not _torch_multi(model):
        yield
        return
    broadcast_state(model)
    changed = []
    for layer in model._flatten_layers(include_self=False, recursive=True):
        if isinstance(layer, keras.layers.BatchNormalization):
            changed.append((layer, layer.synchronized))
            # synchronized=True keeps keras_gans' fused torch path out of the
            # way; the instance's _moments replaces Keras' (which refuses
            # synchronized=True on torch).
            object.__setattr__(layer, "synchronized", True)
            object.__setattr__(layer, "_moments", types.MethodType(_synced_moments, layer))
    _TORCH_FIT.append(model)
    try:
        yield
    finally:
        _TORCH_FIT.pop()
        for layer, synchronized in changed:
            object.__setattr__(layer, "synchronized", synchronized)
            del layer.__dict__["_moments"]


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
        if size > 1 and (model is None or _torch_multi(model)):
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
    if backend == "torch" and not _torch_multi(model):
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
