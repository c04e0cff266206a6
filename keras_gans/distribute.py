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
- TensorFlow: ``tf.distribute.MirroredStrategy`` (``MultiWorkerMirroredStrategy``
  when TF_CONFIG names several workers). Each replica runs the step on
  its slice of the batch; keras_gans makes that equal to the global-batch step:
  each phase's loss (whatever its terms: Wasserstein, gradient penalty, hinge)
  is divided by the number of replicas before its gradient, since the
  optimizers all-reduce gradients as a sum; every replica draws the global
  batch's noise from the shared seed and keeps its own rows (so per-example
  noise differs across replicas and the seed state agrees); BatchNorm layers
  compute their batch statistics over all replicas while ``fit`` runs.
- PyTorch: Keras 3 has no distribution for torch; in processes started by
  ``torchrun``, ``data_parallel()`` returns ``TorchDataParallel`` over
  ``torch.distributed`` (gloo on CPU, NCCL on GPU): each phase averages its
  gradients over the processes before its optimizers apply them, BatchNorm
  statistics and logged losses are global, and every process draws its rows of
  the global batch's noise (``keras_gans.core.torch_engine``).

Several processes (JAX's KERAS_DISTRIBUTION_* variables, TensorFlow's
TF_CONFIG, torchrun's variables): call ``initialize()`` first; ``fit``'s batch
size is the global batch and every process is given the same data
(docs/distributed.md).

Use it as::

    strategy = keras_gans.distribute.data_parallel()
    with strategy.scope():
        gan = keras_gans.DCGAN(data_shape=(28, 28, 1))
        gan.compile()
        gan.fit(x, batch_size=256)   # the global batch, split over the devices
"""

from __future__ import annotations

import json
import os

import keras

from keras_gans.core import processes, torch_engine
from keras_gans.core.replicas import check_fit, num_replicas
from keras_gans.errors import GANConfigError

__all__ = ["check_fit", "data_parallel", "initialize", "num_replicas", "world"]

World = processes.World

JAX_VARIABLES = ("KERAS_DISTRIBUTION_JOB_ADDRESSES", "KERAS_DISTRIBUTION_NUM_PROCESSES",
                 "KERAS_DISTRIBUTION_PROCESS_ID")
TORCH_VARIABLES = ("RANK", "WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT")


def _backend():
    return keras.backend.backend()


_TF_STRATEGIES = {}
_STARTED = {}
_TIMEOUT = {"s": 300}


# ---------------------------------------------------------------- launchers
def _int_variable(name, value, fix):
    try:
        return int(value)
    except ValueError:
        raise GANConfigError(f"{name}={value!r} is not a whole number. {fix}") from None


def _one_process_error(what, fix):
    return GANConfigError(
        f"{what} says this run has 1 process, but multi-process training was asked "
        f"for. {fix}")


def _launcher_variables(names, what, fix):
    """``{name: value}`` of the launcher variables set, None when none is;
    ``GANConfigError`` when some are set and others not."""
    present = {k: os.environ[k] for k in names if os.environ.get(k, "") != ""}
    if not present:
        return None
    missing = [k for k in names if k not in present]
    if missing:
        raise GANConfigError(
            f"The {what} launcher variables are incomplete: {', '.join(sorted(present))} "
            f"set but {', '.join(missing)} not. {fix}")
    return present


def _check_world(count, index, names, one_fix, fix):
    """A world of ``count`` >= 2 processes that ``index`` is one of."""
    count_name, index_name = names
    if count < 2:
        raise _one_process_error(f"{count_name}={count}", one_fix)
    if not 0 <= index < count:
        raise GANConfigError(f"{index_name}={index} is not one of the {count} processes "
                             f"(0 to {count - 1}). {fix}")
    return count, index


def _jax_launcher():
    """``(num_processes, process_id)`` from the KERAS_DISTRIBUTION_* variables,
    or None when none is set. Raises on a set but incomplete launcher."""
    example = ("e.g. KERAS_DISTRIBUTION_JOB_ADDRESSES=10.0.0.1:1234 "
               "KERAS_DISTRIBUTION_NUM_PROCESSES=2 KERAS_DISTRIBUTION_PROCESS_ID=0")
    fix = f"Set all three on every process ({example}), each with its own id."
    present = _launcher_variables(JAX_VARIABLES, "JAX", fix + " Or none to train in one process.")
    if present is None:
        return None
    return _check_world(
        _int_variable(JAX_VARIABLES[1], present[JAX_VARIABLES[1]], example),
        _int_variable(JAX_VARIABLES[2], present[JAX_VARIABLES[2]], example),
        JAX_VARIABLES[1:],
        "Start 2 or more processes, or unset the KERAS_DISTRIBUTION_* variables to train "
        "in one process (on its devices).", fix)


def _tf_config():
    """``(processes, index)`` from TF_CONFIG, or None when it is not set."""
    raw = os.environ.get("TF_CONFIG", "")
    if not raw.strip():
        return None
    example = ('e.g. TF_CONFIG=\'{"cluster": {"worker": ["host0:2222", "host1:2222"]}, '
               '"task": {"type": "worker", "index": 0}}\'')
    try:
        config = json.loads(raw)
    except json.JSONDecodeError as e:
        raise GANConfigError(f"TF_CONFIG is not valid JSON ({e}); {example}.") from None
    cluster = config.get("cluster") if isinstance(config, dict) else None
    task = config.get("task") if isinstance(config, dict) else None
    if not isinstance(cluster, dict) or not (cluster.get("worker") or cluster.get("chief")):
        raise GANConfigError(
            f"TF_CONFIG has no cluster with workers (\"cluster\": {{\"worker\": [...]}}); "
            f"{example}.")
    if not isinstance(task, dict) or "type" not in task or "index" not in task:
        raise GANConfigError(
            f"TF_CONFIG has no \"task\" with \"type\" and \"index\" (which of the "
            f"cluster's workers this process is); {example}.")
    kind = task["type"]
    if kind not in ("worker", "chief"):
        raise GANConfigError(
            f"TF_CONFIG's task type {kind!r} is not a worker or the chief: "
            "MultiWorkerMirroredStrategy runs workers (and an optional chief).")
    jobs = cluster.get(kind) or []
    index = task["index"]
    if not isinstance(index, int) or not 0 <= index < len(jobs):
        raise GANConfigError(
            f"TF_CONFIG's task index {index!r} is not one of the cluster's "
            f"{len(jobs)} {kind}(s) (0 to {len(jobs) - 1}).")
    count = len(cluster.get("worker") or []) + len(cluster.get("chief") or [])
    if count < 2:
        raise _one_process_error(
            "TF_CONFIG", "List 2 or more workers in its cluster, or unset TF_CONFIG to "
            "train in one process (MirroredStrategy over its devices).")
    position = index + (len(cluster.get("chief") or []) if kind == "worker" else 0)
    return count, position


def _torch_launcher():
    """``(world_size, rank)`` from torchrun's variables, or None when none is set."""
    fix = ("Start every process with torchrun (e.g. torchrun --nproc_per_node 2 "
           "your_script.py), which sets RANK, WORLD_SIZE, MASTER_ADDR and MASTER_PORT.")
    present = _launcher_variables(TORCH_VARIABLES, "torch.distributed", fix)
    if present is None:
        return None
    return _check_world(
        _int_variable("WORLD_SIZE", present["WORLD_SIZE"], fix),
        _int_variable("RANK", present["RANK"], fix), ("WORLD_SIZE", "RANK"),
        "Start 2 or more processes (torchrun --nproc_per_node 2), or drop data-parallel "
        "training to train in one process.", fix)


def launcher():
    """``(processes, index)`` that the running backend's launcher variables name
    (KERAS_DISTRIBUTION_* on JAX, TF_CONFIG on TensorFlow, torchrun's on
    PyTorch), or None when they name none. Raises ``GANConfigError`` on a set
    but incomplete or inconsistent launcher."""
    return {"jax": _jax_launcher, "tensorflow": _tf_config,
            "torch": _torch_launcher}.get(_backend(), lambda: None)()


def initialize(timeout_s=300):
    """Join the processes the launcher variables name, on the backend's own
    engine; call it first, before any other Keras work. A no-op (returning a
    one-process ``World``) when no launcher variable is set, and when called
    again.

    - JAX: ``keras.distribution.initialize()`` (``jax.distributed``; CPU
      collectives over gloo) from the KERAS_DISTRIBUTION_* variables.
    - TensorFlow: nothing to start; ``data_parallel()`` builds the
      ``MultiWorkerMirroredStrategy`` from TF_CONFIG.
    - PyTorch: ``torch.distributed.init_process_group`` (gloo on CPU, NCCL on
      GPU) from torchrun's variables; on GPU each process takes the device
      ``LOCAL_RANK``.

    ``timeout_s``: how long a process waits for the others (to join, and
    for each collective on PyTorch) before it stops with an error.
    Returns ``world()``.
    """
    backend = _backend()
    found = launcher()
    _TIMEOUT["s"] = timeout_s
    if found is None or backend in _STARTED:
        return world()
    if backend == "jax":
        _start_jax(timeout_s)
    elif backend == "torch":
        import datetime

        import torch
        import torch.distributed as dist

        if not dist.is_initialized():
            use_cuda = torch.cuda.is_available()
            if use_cuda:
                torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")))
            dist.init_process_group("nccl" if use_cuda else "gloo",
                                    timeout=datetime.timedelta(seconds=timeout_s))
    _STARTED[backend] = True
    return world()


def _start_jax(timeout_s):
    """``keras.distribution.initialize()``, with JAX's own timeouts set: what it
    calls (``jax.distributed.initialize`` from the KERAS_DISTRIBUTION_*
    variables, then one random seed agreed by every process), where a process
    whose partner died waits ``timeout_s`` (not JAX's default 100 s heartbeat
    and 300 s shutdown) before it exits."""
    import jax

    addresses = os.environ["KERAS_DISTRIBUTION_JOB_ADDRESSES"].split(",")
    jax.distributed.initialize(
        coordinator_address=addresses[0],
        num_processes=int(os.environ["KERAS_DISTRIBUTION_NUM_PROCESSES"]),
        process_id=int(os.environ["KERAS_DISTRIBUTION_PROCESS_ID"]),
        heartbeat_timeout_seconds=int(timeout_s), shutdown_timeout_seconds=int(timeout_s))
    try:  # what keras.distribution.initialize does next (a private helper)
        from keras.src.backend.jax.distribution_lib import initialize_rng
    except ImportError:  # pragma: no cover - a later Keras moved it
        keras.utils.set_random_seed(0)
    else:
        initialize_rng()


def world(model=None):
    """The processes and devices this process trains with: a ``World``
    (``processes``, ``index``, ``devices``, ``engine``, ``is_first``,
    ``describe(batch_size)``)."""
    if model is None and _backend() == "jax" and keras.distribution.distribution() is None:
        import jax

        if jax.process_count() > 1:  # what data_parallel() will split over
            return World(jax.process_count(), jax.process_index(), jax.device_count(),
                         "jax.distributed")
    strategy = _TF_STRATEGIES.get("multi_worker")
    if model is None and strategy is not None:
        import tensorflow as tf

        if not tf.distribute.has_strategy():
            with strategy.scope():
                return processes.world()
    return processes.world(model)


class TorchDataParallel:
    """PyTorch's engine: the ``torch.distributed`` process group that torchrun
    started. Build, compile and fit the model in ``scope()``; each phase then
    averages its gradients over the processes before its optimizers apply them,
    BatchNorm statistics and logged losses are global, and every process draws
    its rows of the global batch's noise."""

    def __init__(self):
        import torch.distributed as dist

        self.num_replicas_in_sync = dist.get_world_size()
        self.process_index = dist.get_rank()
        self.backend = dist.get_backend()

    def scope(self):
        return torch_engine.torch_scope(self)

    def __repr__(self):
        return (f"TorchDataParallel({self.num_replicas_in_sync} processes, "
                f"{self.backend})")


def data_parallel(devices=None, device_mesh=None):
    """The data-parallel engine of the running backend; build, compile and fit
    the model inside its ``scope()``. ``fit``'s batch size is the global batch
    on every backend, and every process is given the same data.

    Args:
        devices: the devices to use, in the backend's own spelling
            (JAX: ``["gpu:0", "gpu:1"]``; TensorFlow: ``["/gpu:0", "/gpu:1"]``).
            None: every device of the default type (of every process).
        device_mesh: JAX only: a 1-D ``keras.distribution.DeviceMesh``.

    Returns:
        JAX: ``keras.distribution.DataParallel`` (over every process's devices
        when the KERAS_DISTRIBUTION_* variables name several processes);
        TensorFlow: ``tf.distribute.MultiWorkerMirroredStrategy`` when TF_CONFIG
        names several workers, else ``tf.distribute.MirroredStrategy`` (the
        same one for the same devices within a process); PyTorch, in processes
        started by torchrun: ``TorchDataParallel`` (``torch.distributed``).
    """
    backend = _backend()
    if backend in ("jax", "torch"):
        initialize()
    else:
        launcher()  # a clear error for a broken TF_CONFIG
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

        if _tf_config() is not None:
            if devices is not None:
                raise GANConfigError(
                    "devices= picks one host's devices (MirroredStrategy); with "
                    "TF_CONFIG every worker uses its own devices: drop devices=.")
            if "multi_worker" not in _TF_STRATEGIES:
                # A collective that waits longer than this for a worker that
                # died fails (instead of waiting for ever).
                options = tf.distribute.experimental.CommunicationOptions(
                    timeout_seconds=_TIMEOUT["s"])
                _TF_STRATEGIES["multi_worker"] = tf.distribute.MultiWorkerMirroredStrategy(
                    communication_options=options)
            return _TF_STRATEGIES["multi_worker"]
        # One strategy per set of devices and process: a second MirroredStrategy
        # over the same devices reuses collective keys of the first and its
        # all-reduces can meet the wrong tensors (shape-mismatch aborts).
        key = None if devices is None else tuple(devices)
        if key not in _TF_STRATEGIES:
            _TF_STRATEGIES[key] = tf.distribute.MirroredStrategy(devices)
        return _TF_STRATEGIES[key]
    if backend == "torch":
        if devices is not None or device_mesh is not None:
            raise GANConfigError(
                "On torch, data_parallel() runs one process per device, started by "
                "torchrun (each takes the GPU LOCAL_RANK): drop devices=/device_mesh=.")
        if torch_engine.torch_world_size() < 2:
            raise GANConfigError(
                "Data-parallel training on the torch backend runs one process per "
                "device with torch.distributed: start the script with torchrun "
                "(e.g. torchrun --nproc_per_node 2 train.py), or train with "
                "KERAS_BACKEND=jax (keras.distribution.DataParallel) or "
                "KERAS_BACKEND=tensorflow (tf.distribute.MirroredStrategy) on the "
                "devices of one process, or on one device.")
        return TorchDataParallel()
    raise GANConfigError(
        f"Data-parallel training is not supported on the {backend} backend."
    )
