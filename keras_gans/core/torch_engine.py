"""PyTorch's data-parallel engine: ``torch.distributed`` under the training core.

Keras 3 has no distribution for torch, so keras_gans uses torch's own
collectives (``keras_gans.distribute.TorchDataParallel`` starts them). A model
built in the engine's scope (``torch_scope``) and fitted while several
processes run (``torch_fit``):

- averages each phase's gradients over the processes (one all-reduce) before
  the phase's optimizers apply them (``reduce_gradients``);
- computes BatchNorm batch statistics over every process's rows
  (autograd-aware all-reduces, two passes);
- draws the global batch's noise and keeps its rows (``replicas.replica_random``
  with ``process_rank``);
- logs the global means (``reduce_logs``);
- starts each ``fit`` from process 0's state (``broadcast_state``).

The step of ``P`` processes with a global batch ``B`` is then the one-process
step with batch ``B``. Nothing here imports torch unless the torch backend runs.
"""

from __future__ import annotations

import contextlib
import types

import keras

from keras_gans.errors import GANConfigError


def _backend():
    return keras.backend.backend()


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


def torch_multi(model):
    """Whether ``model`` was built in the torch engine's scope and several
    processes run."""
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
    if torch_fitting() is not model:  # torch_fit pushes only a multi-process model
        return grads
    present = [i for i, g in enumerate(grads) if g is not None]
    reduced = all_reduce_mean([grads[i] for i in present])
    grads = list(grads)
    for i, g in zip(present, reduced):
        grads[i] = g
    return grads


def reduce_logs(model, logs):
    """The logged terms as means over every process's rows (torch)."""
    if torch_fitting() is not model:
        return logs
    from keras import ops

    names = [k for k, v in logs.items() if v is not None and len(ops.shape(v)) == 0]
    values = all_reduce_mean([ops.convert_to_tensor(logs[k], "float32") for k in names])
    return {**logs, **dict(zip(names, values))}


def process_rank():
    """``(processes, this process's index)`` of the torch world."""
    import torch.distributed as dist

    return dist.get_world_size(), dist.get_rank()


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
    and its noise is drawn per process (``replicas.replica_random``). Restored
    on exit, so the saved model is the usual one."""
    if not torch_multi(model):
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
