"""Training speed of keras_gans variants on the current Keras backend.

The package half of the benchmarks: ``keras-gans bench`` runs it with a short
default so a user can compare backends on their own machine, and
``benchmarks/run.py`` (in the source tree, not installed) builds the full
runner, the comparison with hand-written code and the scaling sweeps on it.

Every timing comes from ``model.fit`` on synthetic images in [-1, 1]: a callback
stamps the start and the end of every batch. Overriding ``on_train_batch_end``
makes Keras hand the step's logs to the callbacks as Python floats, so the end
stamp comes after the step's results exist on the host (a device sync on every
backend). The first batch (tracing and compilation) is reported on its own as
``compile_s``, the other warm-up batches are dropped, and steps/s is 1 / the
median time of the timed batches. Peak host memory is sampled by a background
thread (``psutil`` when installed, else the process' maximum RSS).
"""

from __future__ import annotations

import csv
import datetime
import gc
import os
import platform
import socket
import statistics
import threading
import time

import numpy as np

IMAGE_SHAPE = (28, 28, 1)
NUM_CLASSES = 10
#: Variants trained on unpaired batches of two domains: fit((x_a, x_b)).
TWO_DOMAIN = ("cyclegan", "discogan", "dtn")
#: The default of ``keras-gans bench``: one convolutional and one MLP variant.
DEFAULT_VARIANTS = ("dcgan", "gan")

CSV_FIELDS = (
    "date", "machine", "suite", "backend", "variant", "side", "batch_size",
    "image_size", "channels", "steps", "repeats", "steps_per_s", "images_per_s",
    "median_ms", "min_ms", "max_ms", "compile_s", "peak_rss_mb", "ratio", "ratio_to",
    "jit_compile", "device", "cpu", "cores", "keras", "tensorflow", "jax", "torch",
    "python", "note",
)


# ---------------------------------------------------------------------- environment
def cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def cpu_count():
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        return os.cpu_count()


def library_versions():
    """keras, tensorflow, jax and torch versions ('' for one not installed).

    Read from the installed distributions: importing the frameworks here would
    start their thread pools in every benchmark process."""
    from importlib import metadata

    out = {}
    for key, dists in {
        "keras": ("keras",),
        "tensorflow": ("tensorflow", "tensorflow-cpu"),
        "jax": ("jax",),
        "torch": ("torch",),
    }.items():
        out[key] = ""
        for dist in dists:
            try:
                out[key] = metadata.version(dist)
                break
            except metadata.PackageNotFoundError:
                continue
    return out


def device_description():
    """The device the current Keras backend computes on, in words."""
    import keras

    backend = keras.backend.backend()
    if backend == "jax":
        import jax

        devices = jax.devices()
        if devices[0].platform != "cpu":
            return f"{devices[0].platform.upper()}: {devices[0].device_kind} x{len(devices)}"
    elif backend == "tensorflow":
        import tensorflow as tf

        gpus = tf.config.list_physical_devices("GPU")
        if gpus:
            details = tf.config.experimental.get_device_details(gpus[0])
            return f"GPU: {details.get('device_name', gpus[0].name)} x{len(gpus)}"
    elif backend == "torch":
        import torch

        if torch.cuda.is_available():
            return f"GPU: {torch.cuda.get_device_name(0)} x{torch.cuda.device_count()}"
    return f"CPU: {cpu_name()} ({cpu_count()} cores)"


def environment():
    """What every CSV row carries: date, machine, hardware, library versions."""
    return {
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "machine": socket.gethostname().split(".")[0],
        "cpu": cpu_name(),
        "cores": cpu_count(),
        "python": platform.python_version(),
        **library_versions(),
    }


# ---------------------------------------------------------------------- memory
def _rss_bytes():
    try:
        import psutil

        return psutil.Process().memory_info().rss
    except ImportError:
        import resource

        # ru_maxrss is in KiB on Linux: the process' peak, never lower.
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


class PeakMemory:
    """Peak resident host memory (MB) while the ``with`` block runs, sampled
    every ``interval`` s by a thread (the process' peak RSS without psutil)."""

    def __init__(self, interval=0.02):
        self.interval = interval
        self.peak = 0
        self._stop = threading.Event()

    def _sample(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, _rss_bytes())
            self._stop.wait(self.interval)

    def __enter__(self):
        self.start = self.peak = _rss_bytes()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, _rss_bytes())

    @property
    def peak_mb(self):
        return self.peak / 2**20

    @property
    def start_mb(self):
        return self.start / 2**20


# ---------------------------------------------------------------------- models and data
def build_variant(name, image_shape=IMAGE_SHAPE, seed=0, dtype_policy=None):
    """The registered variant ``name`` with its defaults (the paper's networks
    and optimizers), compiled with Keras' default ``jit_compile="auto"``.

    ``dtype_policy`` (``"mixed_bfloat16"``, ``"mixed_float16"``, ...) is set as
    Keras' global policy while the model is built, then restored: the model
    keeps it (and, under mixed_float16, its loss scaling)."""
    import keras

    if dtype_policy is not None:
        previous = keras.config.dtype_policy()
        keras.config.set_dtype_policy(dtype_policy)
        try:
            return build_variant(name, image_shape, seed)
        finally:
            keras.config.set_dtype_policy(previous)
    from keras_gans.models import get_variant

    cls = get_variant(name)
    if name == "dtn":
        # f would be a trained classifier; an untrained one costs the same.
        from keras_gans.networks.classifier import conv_classifier

        model = cls(conv_classifier(tuple(image_shape), seed=seed), seed=seed)
    else:
        extra = {"num_classes": NUM_CLASSES} if name == "conditional_gan" else {}
        model = cls(data_shape=tuple(image_shape), seed=seed, **extra)
    model.compile()
    return model


def make_data(name, n, image_shape=IMAGE_SHAPE, seed=0):
    """Synthetic ``(x, y)`` for ``fit``: images in [-1, 1], random labels for a
    conditional variant, a second synthetic domain for a two-domain one."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1.0, 1.0, (n,) + tuple(image_shape)).astype("float32")
    y = None
    if name == "conditional_gan":
        y = rng.integers(0, NUM_CLASSES, n).astype("int32")
    elif name in TWO_DOMAIN:
        y = rng.uniform(-1.0, 1.0, (n,) + tuple(image_shape)).astype("float32")
    return x, y


def _step_timer():
    import keras

    class StepTimer(keras.callbacks.Callback):
        """Wall-clock stamps of the start and the end of every training batch."""

        def __init__(self):
            super().__init__()
            self.begin = []
            self.end = []

        def on_train_batch_begin(self, batch, logs=None):
            self.begin.append(time.perf_counter())

        def on_train_batch_end(self, batch, logs=None):
            # Keras converts the logs to Python floats before calling this: the
            # step has finished on the device.
            self.end.append(time.perf_counter())

    return StepTimer()


def fit_step_times(model, x, y, batch_size):
    """Seconds of each batch of one ``fit`` epoch over ``x`` (and ``y``)."""
    timer = _step_timer()
    model.fit(x, y, batch_size=batch_size, epochs=1, shuffle=False, verbose=0,
              callbacks=[timer])
    return [e - b for b, e in zip(timer.begin, timer.end)]


def summarize(step_s, batch_size):
    """steps/s, images/s and ms figures from per-step seconds (median based)."""
    median = statistics.median(step_s)
    return {
        "steps_per_s": 1.0 / median,
        "images_per_s": batch_size / median,
        "median_ms": 1e3 * median,
        "min_ms": 1e3 * min(step_s),
        "max_ms": 1e3 * max(step_s),
    }


def bench_variant(name, batch_size=64, steps=5, warmup=2, image_shape=IMAGE_SHAPE,
                  seed=0, model=None, dtype_policy=None):
    """Train ``name`` for ``warmup + steps`` batches; its timings and peak memory.

    ``model`` replaces the registered variant (a DCGAN with other networks, say);
    ``dtype_policy`` builds it under that Keras dtype policy.
    """
    import keras

    keras.utils.set_random_seed(seed)
    with PeakMemory() as memory:
        if model is None:
            model = build_variant(name, image_shape, seed, dtype_policy)
        x, y = make_data(name, batch_size * (warmup + steps), image_shape, seed)
        step_s = fit_step_times(model, x, y, batch_size)
    if len(step_s) != warmup + steps:
        raise RuntimeError(f"expected {warmup + steps} batches, timed {len(step_s)}")
    result = summarize(step_s[warmup:], batch_size)
    result.update(
        compile_s=step_s[0],
        peak_rss_mb=memory.peak_mb,
        # The process' RSS when the variant started: what earlier work (imports,
        # earlier variants in the same process) already held.
        start_rss_mb=memory.start_mb,
        jit_compile=bool(model.jit_compile),
        n_critic=getattr(model, "n_critic", 1),
        params=int(model.count_params()),
    )
    del model
    keras.backend.clear_session()
    gc.collect()
    return result


# ---------------------------------------------------------------------- output
def csv_row(env, **fields):
    row = {k: "" for k in CSV_FIELDS}
    row.update({k: v for k, v in env.items() if k in row})
    for k, v in fields.items():
        if k in row:
            row[k] = f"{v:.6g}" if isinstance(v, float) else v
    return row


def append_csv(path, rows):
    """Append ``rows`` (dicts with CSV_FIELDS keys) to ``path``, header if new."""
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    new = not os.path.exists(path) or os.path.getsize(path) == 0
    with open(path, "a", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=CSV_FIELDS)
        if new:
            writer.writeheader()
        writer.writerows(rows)


def format_table(header, rows):
    """A Markdown table; numbers right-aligned."""
    rows = [[str(c) for c in r] for r in rows]
    widths = [max(len(str(h)), *(len(r[i]) for r in rows)) if rows else len(str(h))
              for i, h in enumerate(header)]

    def line(cells):
        out = [cells[0].ljust(widths[0])]
        out += [c.rjust(w) for c, w in zip(cells[1:], widths[1:])]
        return "| " + " | ".join(out) + " |"

    sep = "|" + "|".join("-" * (w + 1) + (":" if i else "-") for i, w in enumerate(widths)) + "|"
    return "\n".join([line([str(h) for h in header]), sep] + [line(r) for r in rows])


# ---------------------------------------------------------------------- CLI
def run_cli(args, out=print):
    """``keras-gans bench``: time the variants on this backend, print a table."""
    import keras

    from keras_gans.errors import GANConfigError
    from keras_gans.models import VARIANTS, get_variant

    if args.variants.strip().lower() == "all":
        names = list(VARIANTS)
    else:
        names = [n.strip().lower().replace("-", "_") for n in args.variants.split(",") if n.strip()]
    for n in names:
        get_variant(n)  # unknown name: GANConfigError with the known ones
    if args.steps < 1 or args.warmup < 1 or min(args.batch_size) < 1:
        raise GANConfigError("--steps, --warmup and --batch-size must be >= 1.")
    policies = list(getattr(args, "dtype_policy", None) or ["float32"])
    for policy in policies:
        try:
            keras.dtype_policies.get(policy)
        except ValueError:
            raise GANConfigError(
                f"Unknown --dtype-policy {policy!r}; use float32, mixed_bfloat16, "
                "mixed_float16, bfloat16 or float16.") from None

    env = environment()
    backend = keras.backend.backend()
    device = device_description()
    out(f"keras-gans bench: backend {backend} | keras {env['keras']} | {device} | "
        f"{args.steps} timed steps after {args.warmup} warm-up | images {IMAGE_SHAPE}")
    rows, table = [], []
    for batch_size in args.batch_size:
        for name in names:
            first = None
            for policy in policies:
                r = bench_variant(name, batch_size, args.steps, args.warmup,
                                  dtype_policy=policy)
                first = first or r["steps_per_s"]
                ratio = r["steps_per_s"] / first
                rows.append(csv_row(
                    env, suite="cli", backend=backend, variant=name, side="keras_gans",
                    batch_size=batch_size, image_size=IMAGE_SHAPE[0],
                    channels=IMAGE_SHAPE[2], steps=args.steps, repeats=1, device=device,
                    ratio=ratio, ratio_to=f"dtype_policy={policies[0]}",
                    note=f"dtype_policy={policy}", **r,
                ))
                table.append([name, policy, batch_size, f"{r['steps_per_s']:.2f}",
                              f"{ratio:.2f}", f"{r['images_per_s']:.0f}",
                              f"{r['compile_s']:.2f}", f"{r['peak_rss_mb']:.0f}"])
    out(format_table(["variant", "dtype policy", "batch", "steps/s",
                      f"x {policies[0]}", "images/s", "compile s", "peak MB"], table))
    if args.csv:
        append_csv(args.csv, rows)
        out(f"appended {len(rows)} rows to {args.csv}")
    return rows
