"""Training steps/s of every keras_gans variant on the current Keras backend.

    KERAS_BACKEND=jax python benchmarks/train_step.py
    KERAS_BACKEND=torch python benchmarks/train_step.py --variants dcgan,wgan_gp --steps 50
    KERAS_BACKEND=tensorflow python benchmarks/train_step.py --json runs/bench_tf.json

Each variant is built with its defaults (the paper's networks and optimizers) on
synthetic 28x28x1 images in [-1, 1] (random labels for the conditional one) and
trained with ``model.fit`` for ``warmup + steps`` batches in one epoch. A
callback stamps the start and end of every batch: the end stamp comes after
Keras has turned the step's logs into Python floats, a device sync, so a batch's
time covers fetching the batch, the compiled train step and its completion.
The first batch (tracing and compilation) is reported on its own as "compile s";
the other warmup batches are dropped; steps/s is 1 / the median time of the
timed batches. See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import statistics
import sys
import time
import traceback

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import keras
import numpy as np

from keras_gans.core.errors import GANConfigError
from keras_gans.models import VARIANTS, get_variant

IMAGE_SHAPE = (28, 28, 1)
NUM_CLASSES = 10

#: Constructor arguments a variant needs beyond data_shape (a new variant that
#: needs more than data_shape adds a line).
EXTRA_KWARGS = {
    "conditional_gan": {"num_classes": NUM_CLASSES},
}

#: Variants trained on unpaired batches of two domains: fit((x_a, x_b)).
TWO_DOMAIN = ("cyclegan", "discogan", "dtn")


def build_model(name, seed):
    """The variant with its defaults on IMAGE_SHAPE images."""
    cls = VARIANTS[name]
    if name == "dtn":
        # f would be a trained classifier; an untrained one costs the same.
        from keras_gans.networks.classifier import conv_classifier

        return cls(conv_classifier(IMAGE_SHAPE, seed=seed), seed=seed)
    return cls(data_shape=IMAGE_SHAPE, seed=seed, **EXTRA_KWARGS.get(name, {}))


class StepTimer(keras.callbacks.Callback):
    """Wall-clock stamps of the start and the end of every training batch.

    Overriding ``on_train_batch_end`` makes Keras call the callbacks in step
    (no async dispatch), and ``CallbackList`` converts the step's logs to Python
    floats before calling them: on JAX, TensorFlow and PyTorch alike the end
    stamp is taken after the step's results exist on the host.
    """

    def __init__(self):
        super().__init__()
        self.begin = []
        self.end = []

    def on_train_batch_begin(self, batch, logs=None):
        self.begin.append(time.perf_counter())

    def on_train_batch_end(self, batch, logs=None):
        self.end.append(time.perf_counter())


# ---------------------------------------------------------------------- environment
def _cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _cpu_count():
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count()


def device_description():
    """The device the backend computes on, in words."""
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
        if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
            return "MPS (Apple GPU)"
    return f"CPU: {_cpu_name()} ({_cpu_count()} cores available)"


def backend_version():
    backend = keras.backend.backend()
    module = {"tensorflow": "tensorflow", "jax": "jax", "torch": "torch"}.get(backend)
    if module is None:
        return "?"
    return getattr(__import__(module), "__version__", "?")


# ---------------------------------------------------------------------- benchmark
def make_data(name, n, seed=0):
    """Synthetic ``(x, y)`` for ``fit``: images in [-1, 1], random labels for a
    conditional variant, a second domain as ``y`` for a two-domain one."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1.0, 1.0, (n,) + IMAGE_SHAPE).astype("float32")
    y = None
    if "num_classes" in EXTRA_KWARGS.get(name, {}):
        y = rng.integers(0, NUM_CLASSES, n).astype("int32")
    elif name in TWO_DOMAIN:
        y = rng.uniform(-1.0, 1.0, (n,) + IMAGE_SHAPE).astype("float32")
    return x, y


def bench_variant(name, batch_size, steps, warmup, seed=0):
    """Train ``name`` for warmup + steps batches; return its timings."""
    keras.utils.set_random_seed(seed)
    model = build_model(name, seed)
    model.compile()
    x, y = make_data(name, batch_size * (warmup + steps), seed)
    timer = StepTimer()

    t_fit = time.perf_counter()
    model.fit(x, y, batch_size=batch_size, epochs=1, shuffle=False, verbose=0,
              callbacks=[timer])
    t_return = time.perf_counter()
    # Check on the stamps: read every variable back to the host. If the end
    # stamps were taken before the device had finished, this would wait for it.
    for v in model.variables:
        keras.ops.convert_to_numpy(v)
    t_synced = time.perf_counter()

    total = warmup + steps
    if len(timer.begin) != total or len(timer.end) != total:
        raise RuntimeError(
            f"expected {total} batches, the callback saw {len(timer.end)}"
        )
    step_s = [timer.end[i] - timer.begin[i] for i in range(warmup, total)]
    # From the end of the last warmup batch to the end of the last timed one:
    # the timed batches plus the Python loop between them.
    wall_s = timer.end[-1] - timer.end[warmup - 1]
    median = statistics.median(step_s)
    result = {
        "steps_per_s": 1.0 / median,
        "images_per_s": batch_size / median,
        "compile_s": timer.end[0] - timer.begin[0],
        "median_ms": 1e3 * median,
        "mean_ms": 1e3 * statistics.fmean(step_s),
        "min_ms": 1e3 * min(step_s),
        "max_ms": 1e3 * max(step_s),
        "steps_per_s_wall": steps / wall_s,
        "timed_wall_s": wall_s,
        # Sum of the batches' own times over the wall time above; near 1 when
        # the stamps cover the compute (the rest is Keras' loop overhead).
        "batch_time_fraction": sum(step_s) / wall_s,
        "fit_setup_s": timer.begin[0] - t_fit,
        "fit_teardown_s": t_return - timer.end[-1],
        "post_fit_sync_ms": 1e3 * (t_synced - t_return),
        "step_ms": [1e3 * s for s in step_s],
        "jit_compile": bool(model.jit_compile),
        "n_critic": getattr(model, "n_critic", 1),
        "params": int(model.count_params()),
    }
    del model
    keras.backend.clear_session()
    gc.collect()
    return result


# ---------------------------------------------------------------------- output
COLUMNS = ("variant", "steps/s", "images/s", "compile s", "ms/step (median)")


def format_table(results):
    rows = [COLUMNS]
    for name, r in results.items():
        if "error" in r:
            rows.append((name, "error", r["error"], "", ""))
        else:
            rows.append((
                name,
                f"{r['steps_per_s']:.2f}",
                f"{r['images_per_s']:.0f}",
                f"{r['compile_s']:.2f}",
                f"{r['median_ms']:.1f}",
            ))
    widths = [max(len(row[i]) for row in rows) for i in range(len(COLUMNS))]

    def line(row):
        cells = [row[0].ljust(widths[0])] + [c.rjust(w) for c, w in zip(row[1:], widths[1:])]
        return "| " + " | ".join(cells) + " |"

    sep = "|" + "|".join(
        "-" * (w + 1) + (":" if i else "-") for i, w in enumerate(widths)
    ) + "|"
    return "\n".join([line(rows[0]), sep] + [line(row) for row in rows[1:]])


def _parse_variants(text):
    names = []
    for part in text.split(","):
        part = part.strip()
        if part:
            key = part.lower().replace("-", "_")
            get_variant(key)  # raises with the known names (and a suggestion)
            names.append(key)
    if not names:
        raise argparse.ArgumentTypeError("no variant given")
    return names


def _positive(text):
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1; got {value}")
    return value


def main(argv=None):
    p = argparse.ArgumentParser(
        description="Training steps/s per keras_gans variant on the current backend "
        "(KERAS_BACKEND).",
    )
    p.add_argument("--variants", default=",".join(VARIANTS),
                   help="comma-separated variant names (default: all: %(default)s)")
    p.add_argument("--batch-size", type=_positive, default=64)
    p.add_argument("--steps", type=_positive, default=20, help="timed steps per variant")
    p.add_argument("--warmup", type=_positive, default=3,
                   help="untimed steps before them; the first one (tracing and "
                   "compilation) is reported as 'compile s'")
    p.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    args = p.parse_args(argv)
    try:
        variants = _parse_variants(args.variants)
    except GANConfigError as e:  # unknown name: one line, not a traceback
        p.error(str(e))

    env = {
        "backend": keras.backend.backend(),
        "backend_version": backend_version(),
        "keras_version": keras.__version__,
        "device": device_description(),
        "batch_size": args.batch_size,
        "steps": args.steps,
        "warmup": args.warmup,
        "image_shape": list(IMAGE_SHAPE),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    print(
        f"backend {env['backend']} {env['backend_version']} | keras {env['keras_version']} | "
        f"device {env['device']} | batch size {args.batch_size} | "
        f"{args.steps} timed steps after {args.warmup} warmup | images {IMAGE_SHAPE}",
        flush=True,
    )

    results = {}
    failed = False
    for name in variants:
        try:
            results[name] = bench_variant(name, args.batch_size, args.steps, args.warmup)
        except Exception as e:  # noqa: BLE001 - report it and go on with the others
            failed = True
            traceback.print_exc()
            results[name] = {"error": f"{type(e).__name__}: {e}".splitlines()[0][:200]}
        print(f"  {name}: done", file=sys.stderr, flush=True)

    print(format_table(results))
    notes = []
    for name, r in results.items():
        if "error" in r:
            continue
        if r["batch_time_fraction"] < 0.8:
            notes.append(
                f"{name}: batches cover only {r['batch_time_fraction']:.0%} of the timed "
                "wall time (steps/s from wall time: "
                f"{r['steps_per_s_wall']:.2f})"
            )
        if r["post_fit_sync_ms"] > max(50.0, r["median_ms"] / 2):
            notes.append(
                f"{name}: reading the variables back after fit took "
                f"{r['post_fit_sync_ms']:.0f} ms; the step stamps may not cover all compute"
            )
    for note in notes:
        print("note:", note)

    if args.json:
        os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
        with open(args.json, "w") as f:
            json.dump({**env, "variants": results}, f, indent=2)
            f.write("\n")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
