"""The keras_gans benchmark runner. See benchmarks/README.md.

    python benchmarks/run.py --all-backends                 # every suite, one process per backend
    KERAS_BACKEND=jax python benchmarks/run.py --suite compare --batch-sizes 64 256
    KERAS_BACKEND=torch python benchmarks/run.py --suite variants --variants dcgan,wgan_gp

Suites (each appends rows to ``benchmarks/results/<machine>-<date>.csv``):

- ``compare``: keras_gans' DCGAN with the TensorFlow tutorial's networks (built
  from ``keras_gans.layers``' drop-in BatchNormalization / Conv2D /
  Conv2DTranspose) against the same step written by hand for this process'
  backend (``reference/``; on JAX also with sub-pixel transposed convolutions,
  ``reference/jax_subpixel.py``), and against the Keras-user ``keras.Model`` subclass
  (TensorFlow, torch), all in this one process: after each side's warm-up,
  blocks of steps of every side alternate (a fresh random order each repeat),
  and each side's steps/s is 1 / the median step time over all its blocks. The
  ratio is keras_gans' steps/s over the reference's. ``--keras-layers-side``
  adds keras_gans' step on networks of Keras' own layers.
- ``variants``: every registered variant with its defaults, at each batch size.
- ``scaling``: keras_gans' default DCGAN at batch sizes 16..512 (28x28x1) and at
  image sizes 28, 32, 64 (batch 64).
"""

from __future__ import annotations

import argparse
import datetime
import gc
import os
import socket
import statistics
import subprocess
import sys
import time
import traceback

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import keras
import numpy as np

from keras_gans import bench

BACKENDS = ("tensorflow", "jax", "torch")
SCALING_BATCHES = (16, 32, 64, 128, 256, 512)
SCALING_SHAPES = ((28, 28, 1), (32, 32, 3), (64, 64, 3))


def default_csv():
    machine = socket.gethostname().split(".")[0]
    day = datetime.date.today().isoformat()
    return os.path.join(ROOT, "benchmarks", "results", f"{machine}-{day}.csv")


def log(*args):
    print(*args, file=sys.stderr, flush=True)


# ---------------------------------------------------------------------- compare
class FitSide:
    """A Keras model trained with ``fit``: per-batch stamps (StepTimer)."""

    def __init__(self, name, model, batch_size):
        self.name, self.model, self.batch_size = name, model, batch_size
        self.jit_compile = str(model.jit_compile)

    def run(self, x):
        return bench.fit_step_times(self.model, x, None, self.batch_size)


class CallSide:
    """A hand-written step called once per batch; each call returns a float (a sync)."""

    def __init__(self, name, step, batch_size, jit_compile=""):
        self.name, self.step, self.batch_size = name, step, batch_size
        self.jit_compile = jit_compile

    def run(self, x):
        times = []
        for i in range(0, len(x), self.batch_size):
            t0 = time.perf_counter()
            self.step(x[i : i + self.batch_size])
            times.append(time.perf_counter() - t0)
        return times


def make_sides(backend, batch_size, seed=0, tf_xla=True, keras_layers_side=False,
               pure_tf_side=False):
    from benchmarks.reference import tutorial

    sides = [FitSide("keras_gans", tutorial.keras_gans_dcgan(seed), batch_size)]
    if keras_layers_side:
        # keras_gans' step on networks of Keras' own layers: what keras_gans.layers
        # gains on this backend, measured in the same process.
        sides.append(FitSide("keras_gans_keras_layers",
                             tutorial.keras_gans_dcgan(seed, keras_gans_layers=False),
                             batch_size))
    if backend == "tensorflow":
        from benchmarks.reference import keras_subclass, tf_pure

        sides.append(FitSide("keras_subclass_tf", keras_subclass.build(seed), batch_size))
        sides.append(CallSide("pure_tf", tf_pure.Step(batch_size, seed, jit_compile=False),
                              batch_size, "False"))
        if tf_xla:
            sides.append(CallSide("pure_tf_xla", tf_pure.Step(batch_size, seed, jit_compile=True),
                                  batch_size, "True"))
    elif backend == "jax":
        from benchmarks.reference import jax_pure, jax_subpixel

        sides.append(CallSide("pure_jax", jax_pure.Step(batch_size, seed), batch_size, "True"))
        # The same step with sub-pixel transposed convolutions: the JAX-on-CPU bar.
        sides.append(CallSide("pure_jax_subpixel", jax_subpixel.Step(batch_size, seed),
                              batch_size, "True"))
    elif backend == "torch":
        from benchmarks.reference import keras_subclass_torch, torch_pure

        sides.append(FitSide("keras_subclass_torch", keras_subclass_torch.build(seed),
                             batch_size))
        sides.append(CallSide("pure_torch", torch_pure.Step(batch_size, seed), batch_size,
                              "False"))
    if pure_tf_side and backend != "tensorflow":
        # Hand-written TF (graph) in this process: a yardstick shared by every
        # backend's run, so backend-to-backend ratios are measured side by side.
        from benchmarks.reference import tf_pure

        sides.append(CallSide("pure_tf", tf_pure.Step(batch_size, seed, jit_compile=False),
                              batch_size, "False"))
    return sides


def compare(backend, batch_size, steps, repeats, warmup, env, device, tf_xla=True,
            keras_layers_side=False, pure_tf_side=False):
    """Interleaved blocks of every side; rows for the CSV and a printable table."""
    rng = np.random.default_rng(0)
    # The same images for every side; one block is one fresh slice of them.
    x = rng.uniform(-1.0, 1.0, (batch_size * (steps + 1),) + (28, 28, 1)).astype("float32")
    with bench.PeakMemory() as memory:
        sides = make_sides(backend, batch_size, tf_xla=tf_xla,
                           keras_layers_side=keras_layers_side, pure_tf_side=pure_tf_side)
        compile_s, times = {}, {s.name: [] for s in sides}
        blocks = {s.name: [] for s in sides}
        for side in sides:
            t = side.run(x[: batch_size * warmup])
            compile_s[side.name] = t[0]
            log(f"  {side.name}: first step {t[0]:.2f} s, warm-up {[round(s, 3) for s in t[1:]]}")
        order_rng = np.random.default_rng(1)
        for _ in range(repeats):
            # A fresh random order each repeat: no side always follows the same one.
            for i in order_rng.permutation(len(sides)):
                side = sides[i]
                # The block's first step is dropped: it may carry the start of
                # fit's data pipeline for the fit-based sides.
                t = side.run(x)[1:]
                times[side.name].extend(t)
                blocks[side.name].append(statistics.median(t))
    stats = {name: bench.summarize(t, batch_size) for name, t in times.items()}
    kg = stats["keras_gans"]["steps_per_s"]
    rows, table = [], []
    for side in sides:
        s = stats[side.name]
        ratio = "" if side.name == "keras_gans" else kg / s["steps_per_s"]
        # Paired: per repeat, this side's block median over keras_gans' (blocks of
        # one repeat ran within seconds of each other, under the same load).
        paired = "" if ratio == "" else statistics.median(
            b / a for a, b in zip(blocks["keras_gans"], blocks[side.name]))
        rows.append(bench.csv_row(
            env, suite="compare", backend=backend, variant="dcgan_tutorial", side=side.name,
            batch_size=batch_size, image_size=28, channels=1, steps=steps, repeats=repeats,
            compile_s=compile_s[side.name], peak_rss_mb=memory.peak_mb,
            ratio=ratio, ratio_to="" if ratio == "" else "keras_gans/" + side.name,
            jit_compile=side.jit_compile, device=device,
            note="" if paired == "" else f"paired_ratio={paired:.3f}", **s,
        ))
        table.append([side.name, batch_size, f"{s['steps_per_s']:.2f}",
                      f"{s['images_per_s']:.0f}", f"{s['median_ms']:.1f}",
                      f"{compile_s[side.name]:.2f}",
                      "" if ratio == "" else f"{ratio:.2f}",
                      "" if paired == "" else f"{paired:.2f}"])
    del sides
    keras.backend.clear_session()
    gc.collect()
    return rows, table


# ---------------------------------------------------------------------- variants, scaling
def variants_suite(backend, names, batch_sizes, steps, warmup, env, device, csv_path,
                   dtype_policies=("float32",)):
    rows, table = [], []
    for batch_size in batch_sizes:
        for name, policy in [(n, p) for n in names for p in dtype_policies]:
            log(f"  {name} @ {batch_size} ({policy})")
            try:
                r = bench.bench_variant(name, batch_size, steps, warmup,
                                        dtype_policy=policy)
            except Exception as e:  # noqa: BLE001 - report it, go on with the others
                traceback.print_exc()
                bench.append_csv(csv_path, [bench.csv_row(
                    env, suite="variants", backend=backend, variant=name,
                    batch_size=batch_size, note=f"error: {e}"[:200])])
                continue
            rows.append(bench.csv_row(
                env, suite="variants", backend=backend, variant=name, side="keras_gans",
                batch_size=batch_size, image_size=28, channels=1, steps=steps, repeats=1,
                device=device,
                note=f"n_critic={r['n_critic']} params={r['params']} "
                f"start_rss_mb={r['start_rss_mb']:.0f} dtype_policy={policy}", **r,
            ))
            bench.append_csv(csv_path, rows[-1:])
            table.append([name, policy, batch_size, f"{r['steps_per_s']:.3g}",
                          f"{r['images_per_s']:.0f}", f"{r['median_ms']:.1f}",
                          f"{r['compile_s']:.2f}", f"{r['peak_rss_mb']:.0f}"])
    return rows, table


def scaling_suite(backend, batch_sizes, shapes, steps, warmup, env, device, csv_path):
    runs = [((28, 28, 1), b) for b in batch_sizes]
    runs += [(s, 64) for s in shapes if not (s == (28, 28, 1) and 64 in batch_sizes)]
    rows, table = [], []
    for shape, batch_size in runs:
        log(f"  dcgan {shape} @ {batch_size}")
        r = bench.bench_variant("dcgan", batch_size, steps, warmup, image_shape=shape)
        rows.append(bench.csv_row(
            env, suite="scaling", backend=backend, variant="dcgan", side="keras_gans",
            batch_size=batch_size, image_size=shape[0], channels=shape[2], steps=steps,
            repeats=1, device=device, **r,
        ))
        bench.append_csv(csv_path, rows[-1:])
        table.append([f"{shape[0]}x{shape[1]}x{shape[2]}", batch_size,
                      f"{r['steps_per_s']:.3g}", f"{r['images_per_s']:.0f}",
                      f"{r['compile_s']:.2f}"])
    return rows, table


# ---------------------------------------------------------------------- main
def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--suite", nargs="+", default=["compare", "variants", "scaling"],
                   choices=["compare", "variants", "scaling"])
    p.add_argument("--all-backends", action="store_true",
                   help="run this command once per backend, one process each")
    p.add_argument("--backends", default=",".join(BACKENDS),
                   help="with --all-backends: which (default: %(default)s)")
    p.add_argument("--batch-sizes", type=int, nargs="+", default=[64, 256])
    p.add_argument("--variants", default="all")
    p.add_argument("--skip", default="", help="variants to leave out, comma-separated")
    p.add_argument("--steps", type=int, default=5, help="timed steps per block / variant")
    p.add_argument("--repeats", type=int, default=5, help="compare: blocks per side")
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--no-tf-xla", action="store_true",
                   help="compare: leave out the XLA-compiled pure TensorFlow step")
    p.add_argument("--keras-layers-side", action="store_true",
                   help="compare: also time keras_gans on networks of Keras' own layers "
                   "(keras_gans_keras_layers) instead of keras_gans.layers'")
    p.add_argument("--pure-tf-side", action="store_true",
                   help="compare on JAX / torch: also time the hand-written TensorFlow step "
                   "(pure_tf, graph) in the same process, a cross-backend yardstick")
    p.add_argument("--scaling-batches", type=int, nargs="+", default=list(SCALING_BATCHES))
    p.add_argument("--scaling-sizes", type=int, nargs="+", default=[28, 32, 64])
    p.add_argument("--dtype-policy", nargs="+", default=["float32"],
                   help="variants: Keras dtype policies to build each variant under, e.g. "
                   "float32 mixed_bfloat16 mixed_float16")
    p.add_argument("--csv", default=None, help="default: benchmarks/results/<machine>-<date>.csv")
    return p.parse_args(argv)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parse_args(argv)
    csv_path = args.csv or default_csv()
    if args.all_backends:
        rest = [a for a in argv if a != "--all-backends"]
        if args.csv is None:
            rest += ["--csv", csv_path]
        status = 0
        for backend in args.backends.split(","):
            log(f"=== {backend}")
            env = {**os.environ, "KERAS_BACKEND": backend}
            status |= subprocess.call([sys.executable, os.path.abspath(__file__), *rest], env=env)
        return status

    from keras_gans.models import VARIANTS

    backend = keras.backend.backend()
    env = bench.environment()
    device = bench.device_description()
    print(f"## {backend} | keras {env['keras']} | tensorflow {env['tensorflow']} | "
          f"jax {env['jax']} | torch {env['torch']} | {device} | {env['date']}", flush=True)
    for suite in args.suite:
        log(f"[{backend}] {suite}")
        if suite == "compare":
            for batch_size in args.batch_sizes:
                rows, table = compare(backend, batch_size, args.steps, args.repeats,
                                      args.warmup, env, device, tf_xla=not args.no_tf_xla,
                                      keras_layers_side=args.keras_layers_side,
                                      pure_tf_side=args.pure_tf_side)
                bench.append_csv(csv_path, rows)
                print(f"\n### compare, batch {batch_size} ({args.repeats} interleaved blocks "
                      f"of {args.steps} steps per side)\n")
                print(bench.format_table(
                    ["side", "batch", "steps/s", "images/s", "median ms", "compile s",
                     "keras_gans / side", "paired"], table), flush=True)
        elif suite == "variants":
            names = list(VARIANTS) if args.variants == "all" else args.variants.split(",")
            names = [n for n in names if n not in args.skip.split(",")]
            rows, table = variants_suite(backend, names, args.batch_sizes, args.steps,
                                         args.warmup, env, device, csv_path,
                                         args.dtype_policy)
            print(f"\n### variants ({args.steps} timed steps after {args.warmup} warm-up)\n")
            print(bench.format_table(["variant", "dtype policy", "batch", "steps/s", "images/s", "median ms",
                                      "compile s", "peak MB"], table), flush=True)
        elif suite == "scaling":
            shapes = [s for s in SCALING_SHAPES if s[0] in args.scaling_sizes]
            rows, table = scaling_suite(backend, args.scaling_batches, shapes, args.steps,
                                        args.warmup, env, device, csv_path)
            print("\n### scaling, keras_gans DCGAN\n")
            print(bench.format_table(["image", "batch", "steps/s", "images/s", "compile s"],
                                     table), flush=True)
    log(f"rows appended to {csv_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
