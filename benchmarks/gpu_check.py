"""One prepared check that keras_gans runs on a GPU, and how fast. See docs/gpu.md.

    python benchmarks/gpu_check.py --device gpu --out $OUT     # on the GPU machine, <= 8 min
    python benchmarks/gpu_check.py --tiny --device cpu --out /tmp/gc   # the same code, tiny, on CPU
    python benchmarks/gpu_check.py --preflight                 # here: what would travel, and the call

On every backend present (JAX, torch; TensorFlow if installed), each in its own
process (Keras picks its backend at import), three phases, in this order so that
a run cut short still has the most important answers:

1. ``variants``: builds every variant (``keras_gans.models.VARIANTS``) with its
   defaults, fits a few steps and checks that every variable (networks and
   optimizers) lives on the device asked for (JAX: ``v.value.devices()``'s
   platform; torch: ``v.value.device.type``; TensorFlow: ``v.value.device``)
   and that the losses are finite.
2. ``equality``: the cross-backend one-step equality of
   ``tests/cross_backend_step.py`` (its cases, fixed weights, batch and noise,
   float64) run on the device, its variables checked as above, then the new
   weights compared between every pair of backends and, with a GPU, between
   each backend's GPU and CPU runs. Tolerance: the test's, rtol 1e-4 and atol
   2e-5. The step computes in float64, where TF32 never applies; TF32 is also
   turned off (``torch.backends.{cuda.matmul,cudnn}.allow_tf32 = False``,
   ``JAX_DEFAULT_MATMUL_PRECISION=highest``, ``NVIDIA_TF32_OVERRIDE=0``) and
   cuDNN picks its algorithms freely (its float64 results differ in rounding,
   ~1e-15).
3. ``compare``: ``benchmarks/run.py``'s compare suite (keras_gans' tutorial
   DCGAN against the hand-written steps of ``benchmarks/reference/``, one
   process, interleaved blocks, ratios) at each batch size, with one more side,
   ``keras_gans_mixed_bfloat16``: the same keras_gans model built under
   ``mixed_bfloat16``.

Writes ``gpu_check.csv`` (one row per check and timing), ``gpu_check.md`` (a
short summary) and ``gpu_check.log`` (every process' output) into ``--out``
(default ``$OUT``), rewritten after every phase. Exits non-zero if any check
fails or a phase does not finish. ``--tiny`` runs the same code with a few steps,
small batches and a subset of variants and cases (the CPU test,
tests/test_gpu_check.py, runs it).
"""

from __future__ import annotations

import argparse
import csv
import datetime
import importlib.util
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
import traceback

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BACKENDS = ("jax", "torch", "tensorflow")  # the order they run in
MODULE = {"jax": "jax", "torch": "torch", "tensorflow": "tensorflow"}
PHASES = ("variants", "equality", "compare")
RTOL, ATOL = 1e-4, 2e-5  # tests/test_cross_backend.py's
# What a step must move the weights by for the equality to mean anything (the test's).
MIN_CHANGE = 50 * ATOL
# --tiny: an MLP, a convolutional variant with BatchNorm, double backprop with n_critic.
TINY_VARIANTS = "gan,dcgan,wgan_gp"
TINY_CASES = "gan,dcgan"
# The ignored folder of wheels the GPU machine lacks (docs/gpu.md); --preflight checks it.
WHEELS = "gpu_wheels"
NEEDED_WHEELS = ("keras", "namex", "optree")
TRAVEL_LIMIT_MIB = 64

EXTRA_FIELDS = ("phase", "check", "passed", "detail")


def log(*args):
    print(*args, file=sys.stderr, flush=True)


def fields():
    # keras_gans.bench's columns, read from its file: importing the package would
    # import keras, and with it a backend, in this orchestrating process.
    spec = importlib.util.spec_from_file_location(
        "_keras_gans_bench", os.path.join(ROOT, "keras_gans", "bench.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return tuple(module.CSV_FIELDS) + EXTRA_FIELDS


# ====================================================================== worker side
def device_kind(value):
    """'gpu' or 'cpu' (or the platform's own name) of one backend tensor."""
    import keras

    backend = keras.backend.backend()
    if backend == "jax":
        platforms = {d.platform for d in value.devices()}
        platform = platforms.pop() if len(platforms) == 1 else ",".join(sorted(platforms))
    elif backend == "torch":
        platform = value.device.type
    elif backend == "tensorflow":
        # "/job:localhost/replica:0/task:0/device:GPU:0"
        platform = value.device.rsplit("device:", 1)[-1].split(":")[0]
    else:
        platform = "?"
    platform = platform.lower()
    return "gpu" if platform in ("gpu", "cuda", "rocm") else platform


def model_variables(model):
    """Every variable of the model and of its players' optimizers, once each."""
    seen, out = set(), []
    optimizers = list(getattr(model, "player_optimizers", {}).values())
    for v in list(model.variables) + [v for o in optimizers for v in o.variables]:
        if id(v) not in seen:
            seen.add(id(v))
            out.append(v)
    return out


def placement(variables, expected):
    """(passed, detail): every variable's tensor lives on the ``expected`` device."""
    kinds = {}
    for v in variables:
        kind = device_kind(v.value)
        kinds.setdefault(kind, []).append(v.path)
    off = {k: p for k, p in kinds.items() if k != expected}
    counts = " ".join(f"{k}={len(p)}" for k, p in sorted(kinds.items()))
    if not variables:
        return False, "no variables"
    if off:
        first = next(iter(off.values()))[0]
        return False, f"{counts}; expected all on {expected}, e.g. {first}"
    return True, f"{counts} (all {len(variables)} on {expected})"


def visible_device(expected):
    """Fail clearly (RuntimeError) when the backend does not see the device asked for."""
    import keras

    backend = keras.backend.backend()
    if backend == "jax":
        import jax

        kinds = {device_kind_of_jax(d) for d in jax.devices()}
        seen = f"jax.devices() = {jax.devices()}"
    elif backend == "torch":
        import torch

        kinds = {"gpu" if torch.cuda.is_available() else "cpu"}
        seen = (f"torch {torch.__version__}, torch.cuda.is_available() = "
                f"{torch.cuda.is_available()}, CUDA build {torch.version.cuda}")
    else:
        import tensorflow as tf

        kinds = {"gpu" if tf.config.list_physical_devices("GPU") else "cpu"}
        seen = f"tf.config.list_physical_devices() = {tf.config.list_physical_devices()}"
    if expected not in kinds:
        raise RuntimeError(f"no {expected.upper()} visible to {backend}: {seen}. "
                           f"Install the backend's CUDA build (docs/gpu.md) or use --device cpu.")
    return seen


def device_kind_of_jax(d):
    return "gpu" if d.platform.lower() in ("gpu", "cuda", "rocm") else d.platform.lower()


def _settings(args):
    return json.loads(args.settings)


def worker_variants(args, emit):
    import keras
    import numpy as np

    from keras_gans import bench
    from keras_gans.models import VARIANTS

    s = _settings(args)
    env, device = bench.environment(), bench.device_description()
    backend = keras.backend.backend()
    names = list(VARIANTS) if s["variants"] == "all" else s["variants"].split(",")
    steps, warmup, batch_size = s["variant_steps"], s["variant_warmup"], s["variant_batch"]
    for name in names:
        base = dict(env, suite="gpu_check", phase="variants", backend=backend, variant=name,
                    side="keras_gans", batch_size=batch_size, image_size=28, channels=1,
                    steps=steps, repeats=1, device=device, check="on_device_and_finite")
        try:
            keras.utils.set_random_seed(0)
            model = bench.build_variant(name)
            x, y = bench.make_data(name, batch_size * (warmup + steps))
            times = bench.fit_step_times(model, x, y, batch_size)
            ok_place, detail = placement(model_variables(model), args.expected)
            losses = {k: v for k, v in model.history.history.items() if "loss" in k}
            finite = bool(losses) and all(
                math.isfinite(float(np.asarray(x))) for vs in losses.values() for x in vs)
            r = bench.summarize(times[warmup:], batch_size)
            emit(dict(base, passed=ok_place and finite, compile_s=times[0],
                      jit_compile=str(model.jit_compile),
                      detail=detail + ("" if finite else f"; non-finite losses {losses}"),
                      note=f"params={model.count_params()}", **r))
            del model
        except Exception as e:  # noqa: BLE001 - report it, go on with the others
            traceback.print_exc()
            emit(dict(base, passed=False, detail=f"error: {type(e).__name__}: {e}"[:300]))
        keras.backend.clear_session()


def worker_equality(args, emit):
    # cross_backend_step sets JAX_ENABLE_X64 and float64 at import: import it first.
    sys.path.insert(0, os.path.join(ROOT, "tests"))
    import cross_backend_step as xb
    import keras

    from keras_gans import bench

    backend = keras.backend.backend()
    if backend == "torch":
        import torch

        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
    elif backend == "jax":
        import jax

        jax.config.update("jax_default_matmul_precision", "highest")
    elif backend == "tensorflow":
        import tensorflow as tf

        tf.config.experimental.enable_tensor_float_32_execution(False)
    s = _settings(args)
    wanted = None if s["cases"] == "all" else set(s["cases"].split(","))
    models = {}
    all_cases = xb.cases

    def cases():
        found = all_cases()
        if wanted is not None:
            missing = wanted - set(found)
            if missing:
                raise KeyError(f"unknown cases {sorted(missing)}; known {sorted(found)}")
            found = {k: v for k, v in found.items() if k in wanted}

        def recording(name, make):
            def make_model():
                models[name] = make()
                return models[name]

            return make_model

        return {k: (recording(k, make), data) for k, (make, data) in found.items()}

    xb.cases = cases  # run() looks cases() up in its module: it builds through ours
    try:
        xb.run(args.npz)
    finally:
        xb.cases = all_cases
    device = bench.device_description()
    for name, model in models.items():
        ok, detail = placement(model_variables(model), args.expected)
        emit(dict(bench.environment(), suite="gpu_check", phase="equality", backend=backend,
                  variant=name, side=f"{backend}:{args.expected}", batch_size=xb.BATCH,
                  device=device, check="step_on_device", passed=ok, detail=detail,
                  note=f"dtype={xb.DTYPE}"))


def worker_compare(args, emit):
    import keras

    sys.path.insert(0, ROOT)
    from benchmarks import run
    from benchmarks.reference import tutorial
    from keras_gans import bench

    s = _settings(args)
    backend = keras.backend.backend()
    env, device = bench.environment(), bench.device_description()
    make_sides = run.make_sides

    def with_bf16_side(*a, **k):
        # The same keras_gans model built under mixed_bfloat16, timed in the
        # same interleaved blocks as the float32 sides.
        sides = make_sides(*a, **k)
        previous = keras.config.dtype_policy()
        keras.config.set_dtype_policy("mixed_bfloat16")
        try:
            model = tutorial.keras_gans_dcgan(0)
        finally:
            keras.config.set_dtype_policy(previous)
        batch_size = sides[0].batch_size
        return sides + [run.FitSide("keras_gans_mixed_bfloat16", model, batch_size)]

    run.make_sides = with_bf16_side  # compare() builds its sides through it
    try:
        for batch_size in s["batch_sizes"]:
            rows, table = run.compare(backend, batch_size, s["compare_steps"],
                                      s["compare_repeats"], s["compare_warmup"], env, device,
                                      tf_xla=s["tf_xla"])
            for r in rows:
                emit(dict(r, suite="gpu_check", phase="compare", check="timing",
                          passed=float(r["steps_per_s"]) > 0))
            print(f"\n### compare, {backend}, batch {batch_size}\n")
            print(bench.format_table(["side", "batch", "steps/s", "images/s", "median ms",
                                      "compile s", "keras_gans / side", "paired"], table),
                  flush=True)
    finally:
        run.make_sides = make_sides


def worker(args):
    rows = []

    def emit(row):
        rows.append({k: (f"{v:.6g}" if isinstance(v, float) else v) for k, v in row.items()})
        with open(args.part, "a") as f:
            f.write(json.dumps(rows[-1]) + "\n")
        log(f"  [{row.get('phase')}] {row.get('variant')} {row.get('side')}: "
            f"{'ok' if row.get('passed') else 'FAIL'} {row.get('detail', '')}")

    if args.phase == "equality":
        # Before keras (and jax) import: it sets JAX_ENABLE_X64 and float64.
        sys.path.insert(0, os.path.join(ROOT, "tests"))
        import cross_backend_step  # noqa: F401
    import keras

    sys.path.insert(0, ROOT)
    from keras_gans import bench

    seen = visible_device(args.expected)
    log(f"[{keras.backend.backend()}] {args.phase} on {args.expected}: "
        f"{bench.device_description()}; {seen}")
    {"variants": worker_variants, "equality": worker_equality,
     "compare": worker_compare}[args.phase](args, emit)
    return 0 if rows and all(r.get("passed") for r in rows) else 1


# ====================================================================== orchestrator
def present_backends():
    return [b for b in BACKENDS if importlib.util.find_spec(MODULE[b]) is not None]


def backend_env(backend, device, phase):
    env = dict(os.environ, KERAS_BACKEND=backend, PYTHONUNBUFFERED="1",
               TF_CPP_MIN_LOG_LEVEL="2")
    env["PYTHONPATH"] = ROOT + os.pathsep + env.get("PYTHONPATH", "")
    if device == "cpu":
        # Hide any GPU from every framework: the CPU path, even on a GPU machine.
        env.update(CUDA_VISIBLE_DEVICES="", JAX_PLATFORMS="cpu")
    else:
        env.pop("JAX_PLATFORMS", None)
        # The backends run one after the other; growing, not grabbing, memory
        # lets a leftover process never starve the next.
        env.update(TF_FORCE_GPU_ALLOW_GROWTH="true", XLA_PYTHON_CLIENT_PREALLOCATE="false")
    if phase == "equality":
        env.update(JAX_ENABLE_X64="1", JAX_DEFAULT_MATMUL_PRECISION="highest",
                   NVIDIA_TF32_OVERRIDE="0", TF_ENABLE_ONEDNN_OPTS="0")
    return env


def settings(args):
    if args.tiny:
        s = {"variants": TINY_VARIANTS, "variant_batch": 4, "variant_steps": 1,
             "variant_warmup": 1, "cases": TINY_CASES, "batch_sizes": [8], "compare_steps": 2,
             "compare_repeats": 1, "compare_warmup": 2, "tf_xla": False}
    else:
        s = {"variants": "all", "variant_batch": 64, "variant_steps": 5, "variant_warmup": 2,
             "cases": "all", "batch_sizes": [64, 256], "compare_steps": 20,
             "compare_repeats": 5, "compare_warmup": 3, "tf_xla": True}
    for key in ("variants", "cases"):
        if getattr(args, key) is not None:
            s[key] = getattr(args, key)
    if args.batch_sizes:
        s["batch_sizes"] = args.batch_sizes
    return s


class Run:
    """The orchestrator's state: rows, phase outcomes, output files."""

    def __init__(self, args):
        self.args = args
        self.out = args.out
        self.fields = fields()
        self.rows = []
        self.phases = []  # (phase, backend, device, seconds, status)
        self.csv = os.path.join(self.out, "gpu_check.csv")
        self.md = os.path.join(self.out, "gpu_check.md")
        self.log_path = os.path.join(self.out, "gpu_check.log")
        self.tmp = tempfile.mkdtemp(prefix="gpu_check_")
        self.start = time.monotonic()
        for path in (self.csv, self.md, self.log_path):
            if os.path.exists(path):
                os.remove(path)

    def left(self):
        return self.args.budget_s - (time.monotonic() - self.start)

    def worker(self, phase, backend, device, settings, npz=None):
        part = os.path.join(self.tmp, f"{phase}_{backend}_{device}.jsonl")
        cmd = [sys.executable, os.path.abspath(__file__), "--worker", phase,
               "--expected", device, "--part", part, "--settings", json.dumps(settings)]
        if npz:
            cmd += ["--npz", npz]
        t0 = time.monotonic()
        timeout = max(1.0, self.left())
        log(f"=== {phase} | {backend} | {device} ({timeout:.0f} s of budget left)")
        with open(self.log_path, "a") as logf:
            logf.write(f"\n=== {phase} | {backend} | {device}\n")
            logf.flush()
            try:
                proc = subprocess.run(cmd, env=backend_env(backend, device, phase), check=False,
                                      stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                      text=True, timeout=timeout)
                output, rc = proc.stdout, proc.returncode
            except subprocess.TimeoutExpired as e:
                output = (e.stdout or b"").decode() if isinstance(e.stdout, bytes) else (
                    e.stdout or "")
                rc = "timeout"
            logf.write(output)
        sys.stderr.write(output[-4000:])
        seconds = time.monotonic() - t0
        rows = []
        if os.path.exists(part):
            with open(part) as f:
                rows = [json.loads(line) for line in f if line.strip()]
        status = "ok" if rc == 0 else ("timeout" if rc == "timeout" else f"exit {rc}")
        if rc != 0 and not any(not r.get("passed") for r in rows):
            # The process failed without a failed row: say where, in a row.
            last = [line for line in output.strip().splitlines() if line.strip()][-1:]
            rows.append({"suite": "gpu_check", "phase": phase, "backend": backend,
                         "check": "process", "passed": False,
                         "detail": f"{status}: {last[0] if last else ''}"[:300]})
        self.add(rows)
        self.phases.append((phase, backend, device, seconds, status))
        self.write()
        return rows, rc == 0

    def add(self, rows):
        for r in rows:
            r = {k: r.get(k, "") for k in self.fields}
            r["passed"] = "" if r["passed"] == "" else bool(r["passed"])
            self.rows.append(r)

    def write(self):
        with open(self.csv, "w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=self.fields)
            writer.writeheader()
            writer.writerows(self.rows)
        with open(self.md, "w") as f:
            f.write(summary(self))

    def failed(self):
        return [r for r in self.rows if r["passed"] is False]


def compare_npz(a, b):
    """Per variant: (passed, max |a - b|, the largest weight change, detail)."""
    import numpy as np

    if set(a) != set(b):
        return {"?": (False, float("nan"), 0.0, f"different keys: {sorted(set(a) ^ set(b))[:4]}")}
    out = {}
    for variant in sorted({k.split("/")[0] for k in a}):
        keys = [k for k in a if k.startswith(variant + "/") and not k.endswith("/before")]
        worst, change, bad = 0.0, 0.0, []
        for k in keys:
            x, y = a[k].astype("float64"), b[k].astype("float64")
            diff = np.abs(x - y)
            worst = max(worst, float(diff.max(initial=0.0)))
            if not np.all(diff <= ATOL + RTOL * np.abs(y)) or not np.array_equal(
                    a[k + "/before"], b[k + "/before"]):
                bad.append(k)
            change = max(change, float(np.abs(x - a[k + "/before"]).max(initial=0.0)))
        moved = change > MIN_CHANGE
        ok = bool(keys) and not bad and moved
        detail = (f"{len(keys)} variables, max |diff| {worst:.3g}, step moved weights by "
                  f"up to {change:.3g}")
        if bad:
            detail += f"; outside rtol {RTOL} atol {ATOL}: {bad[:3]}"
        if not moved:
            detail += f"; the step moved no weight by more than {MIN_CHANGE} (proves nothing)"
        out[variant] = (ok, worst, change, detail)
    return out


def equality(run, backends, device, settings, env_row):
    """Each backend's one step on ``device`` (and on CPU with a GPU), compared."""
    import numpy as np

    results = {}
    for backend in backends:
        runs = [device] + (["cpu"] if device == "gpu" and run.args.xb_cpu_reference else [])
        for where in runs:
            if run.left() < 5:
                run.phases.append(("equality", backend, where, 0.0, "skipped: no budget"))
                continue
            npz = os.path.join(run.tmp, f"step_{backend}_{where}.npz")
            _, ok = run.worker("equality", backend, where, settings, npz=npz)
            if ok and os.path.exists(npz):
                results[(backend, where)] = dict(np.load(npz))
    pairs = [((a, device), (b, device)) for i, a in enumerate(backends)
             for b in backends[i + 1:]]
    if device == "gpu":
        pairs += [((b, "gpu"), (b, "cpu")) for b in backends]
    rows = []
    for left, right in pairs:
        side = f"{left[0]}:{left[1]} vs {right[0]}:{right[1]}"
        if left not in results or right not in results:
            missing = [f"{k[0]}:{k[1]}" for k in (left, right) if k not in results]
            rows.append(dict(env_row, suite="gpu_check", phase="equality", side=side,
                             check="same_new_weights", passed=False,
                             detail=f"no result from {', '.join(missing)}"))
            continue
        for variant, (ok, worst, change, detail) in compare_npz(
                results[left], results[right]).items():
            rows.append(dict(env_row, suite="gpu_check", phase="equality", variant=variant,
                             side=side, check="same_new_weights", passed=ok, detail=detail,
                             note=f"max_abs_diff={worst:.3g} rtol={RTOL} atol={ATOL}"))
    if not pairs:
        rows.append(dict(env_row, suite="gpu_check", phase="equality",
                         check="same_new_weights", passed="",
                         detail="one backend on CPU: nothing to compare with (pass two "
                                "--equality-backends)"))
    run.add(rows)
    run.write()


def _num(text):
    try:
        return f"{float(text):.3g}"
    except ValueError:
        return text


def _cell(text, width=90):
    text = str(text).replace("|", "/").replace("\n", " ")
    return text if len(text) <= width else text[: width - 1] + "…"


def summary(run):
    a = run.args
    failed = run.failed()
    unfinished = [p for p in run.phases if p[4] != "ok"]
    verdict = "PASS" if not failed and not unfinished and run.rows else "FAIL"
    lines = [f"# gpu_check: {verdict}", "",
             (f"{datetime.datetime.now(datetime.UTC).strftime('%Y-%m-%d %H:%M UTC')}, "
              f"`{' '.join(a.argv)}`, device {a.device}{', tiny' if a.tiny else ''}, "
              f"{time.monotonic() - run.start:.0f} s."), ""]
    devices = sorted({(r["backend"], r["device"]) for r in run.rows if r["device"]})
    versions = next((r for r in run.rows if r["keras"]), None)
    if versions:
        lines.append(f"keras {versions['keras']}, jax {versions['jax'] or '-'}, torch "
                     f"{versions['torch'] or '-'}, tensorflow {versions['tensorflow'] or '-'}, "
                     f"python {versions['python']}.")
    for backend, device in devices:
        lines.append(f"- {backend}: {device}")
    lines += ["", "## Phases", "", "| phase | backend | device | s | status |",
              "|---|---|---|--:|---|"]
    lines += [f"| {p} | {b} | {d} | {s:.0f} | {st} |" for p, b, d, s, st in run.phases]
    variants = [r for r in run.rows if r["phase"] == "variants"]
    if variants:
        lines += ["", "## Variants: variables on the device, finite losses", "",
                  "| backend | variant | ok | steps/s | compile s | detail |",
                  "|---|---|---|--:|--:|---|"]
        lines += [f"| {r['backend']} | {r['variant']} | {'yes' if r['passed'] else 'NO'} | "
                  f"{_num(r['steps_per_s'])} | {_num(r['compile_s'])} | {_cell(r['detail'])} |"
                  for r in variants]
    eq = [r for r in run.rows if r["phase"] == "equality"]
    if eq:
        lines += ["", f"## One-step equality (float64, rtol {RTOL}, atol {ATOL}, TF32 off)", "",
                  "| check | variant | compared | ok | detail |", "|---|---|---|---|---|"]
        lines += [f"| {r['check']} | {r['variant']} | {r['side']} | "
                  f"{'yes' if r['passed'] else ('-' if r['passed'] == '' else 'NO')} | "
                  f"{_cell(r['detail'])} |" for r in eq]
    cmp_rows = [r for r in run.rows if r["phase"] == "compare"]
    if cmp_rows:
        lines += ["", ("## Compare: keras_gans vs hand-written (ratio = keras_gans steps/s "
                       "over the side's; >= 1: keras_gans faster)"), "",
                  ("keras_gans_mixed_bfloat16 is the same keras_gans model under "
                   "mixed_bfloat16: below 1, bfloat16 is faster."), "",
                  "| backend | batch | side | steps/s | compile s | keras_gans / side | paired |",
                  "|---|--:|---|--:|--:|--:|---|"]
        lines += [f"| {r['backend']} | {r['batch_size']} | {r['side']} | "
                  f"{_num(r['steps_per_s'])} | {_num(r['compile_s'])} | {_num(r['ratio'])} | "
                  f"{_num(r['note'].replace('paired_ratio=', ''))} |"
                  for r in cmp_rows]
    others = [r for r in failed if r["phase"] not in ("variants", "equality", "compare")
              or r["check"] == "process"]
    if others:
        lines += ["", "## Failures", ""]
        lines += [f"- {r['phase']} {r['backend']}: {_cell(r['detail'], 300)}" for r in others]
    return "\n".join(lines) + "\n"


def orchestrate(args):
    if importlib.util.find_spec("keras") is None:
        log("error: keras is not installed here; docs/gpu.md says how to carry its wheel.")
        return 2
    present = present_backends()
    backends = args.backends.split(",") if args.backends else present
    missing = [b for b in backends if b not in present]
    if missing or not backends:
        log(f"error: backends {missing or backends} not installed (present: {present})")
        return 2
    eq_backends = args.equality_backends.split(",") if args.equality_backends else backends
    if [b for b in eq_backends if b not in present]:
        log(f"error: --equality-backends {eq_backends}: present are {present}")
        return 2
    os.makedirs(args.out, exist_ok=True)
    s = settings(args)
    run = Run(args)
    log(f"gpu_check: backends {backends} (equality: {eq_backends}), device {args.device}, "
        f"{'tiny, ' if args.tiny else ''}budget {args.budget_s:.0f} s, out {args.out}")
    try:
        for phase in args.phases.split(","):
            if phase == "equality":
                env_row = {"date": datetime.datetime.now(datetime.UTC).strftime(
                    "%Y-%m-%dT%H:%M:%SZ")}
                equality(run, eq_backends, args.device, s, env_row)
                continue
            for backend in backends:
                if run.left() < 5:
                    run.phases.append((phase, backend, args.device, 0.0, "skipped: no budget"))
                    continue
                run.worker(phase, backend, args.device, s)
    finally:
        run.write()
        shutil.rmtree(run.tmp, ignore_errors=True)
    failed = run.failed()
    unfinished = [p for p in run.phases if p[4] != "ok"]
    log(f"\n{len(run.rows)} rows in {run.csv}; summary {run.md}")
    for r in failed:
        log(f"FAILED {r['phase']} {r['backend']} {r['variant']} {r['side']}: {r['detail']}")
    for p in unfinished:
        log(f"UNFINISHED {p[0]} {p[1]} {p[2]}: {p[4]}")
    log("gpu_check: " + ("PASS" if not failed and not unfinished else "FAIL"))
    return 1 if failed or unfinished else 0


# ====================================================================== preflight
def _git(*cmd):
    return subprocess.run(["git", "-C", ROOT, *cmd], capture_output=True, text=True,
                          check=True).stdout


def _size(paths):
    total = 0
    for p in paths:
        full = os.path.join(ROOT, p)
        if os.path.isfile(full) and not os.path.islink(full):
            total += os.path.getsize(full)
        elif os.path.isdir(full):
            for folder, _, files in os.walk(full):
                total += sum(os.path.getsize(os.path.join(folder, f)) for f in files
                             if not os.path.islink(os.path.join(folder, f)))
    return total


def preflight(args):
    """What a device `run` would carry, against its 64 MiB limit, and the exact call."""
    tracked = [p for p in _git("ls-files", "-z").split("\0") if p]
    untracked = [p for p in _git("ls-files", "-z", "--others", "--exclude-standard").split("\0")
                 if p]
    sizes = {"tracked": _size(tracked), "untracked, not ignored": _size(untracked),
             f"carry {WHEELS}/": _size([WHEELS])}
    total = sum(sizes.values())
    mib = 2**20
    for what, n in sizes.items():
        print(f"{what:>24}: {n / mib:7.1f} MiB")
    print(f"{'travels':>24}: {total / mib:7.1f} MiB (limit {TRAVEL_LIMIT_MIB} MiB)")
    big = {}
    for p in tracked:
        big[p.split("/")[0]] = big.get(p.split("/")[0], 0) + _size([p])
    print("  largest tracked folders: " + ", ".join(
        f"{k} {v / mib:.1f} MiB" for k, v in sorted(big.items(), key=lambda kv: -kv[1])[:3]))
    wheels = sorted(os.listdir(os.path.join(ROOT, WHEELS))) if os.path.isdir(
        os.path.join(ROOT, WHEELS)) else []
    have = {w.split("-")[0].lower().replace("_", "-") for w in wheels if w.endswith(".whl")}
    lacking = [n for n in NEEDED_WHEELS if n not in have]
    print(f"  {WHEELS}/: {', '.join(wheels) or 'missing'}")
    ok = total <= TRAVEL_LIMIT_MIB * mib and not lacking
    if lacking:
        print(f"  missing wheels: {lacking} (docs/gpu.md, 'Carry')")
    if total > TRAVEL_LIMIT_MIB * mib:
        print(f"  too big: {total / mib:.1f} MiB would travel; the device tool refuses "
              f"over {TRAVEL_LIMIT_MIB} MiB (docs/gpu.md, 'Size')")
    print("\nrun(command=" + json.dumps(GPU_COMMAND) + f', carry=["{WHEELS}"], timeout_s=540)')
    print("preflight: " + ("OK" if ok else "NOT READY"))
    return 0 if ok else 1


GPU_COMMAND = (
    f"python3 -m pip install -q --no-index --find-links {WHEELS} keras==3.15.1 && "
    "PYTHONUNBUFFERED=1 python3 benchmarks/gpu_check.py --device gpu --out $OUT")


# ====================================================================== main
def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--device", choices=["cpu", "gpu"], default="gpu",
                   help="where every backend must compute (gpu: fail if a backend sees none)")
    p.add_argument("--tiny", action="store_true",
                   help="the same code paths with tiny sizes and a subset of variants")
    p.add_argument("--out", default=os.environ.get("OUT"),
                   help="output folder (default: $OUT)")
    p.add_argument("--backends", default=None,
                   help="comma-separated (default: every one installed: jax, torch, tensorflow)")
    p.add_argument("--equality-backends", default=None,
                   help="backends of the equality phase (default: --backends)")
    p.add_argument("--phases", default=",".join(PHASES))
    p.add_argument("--variants", default=None,
                   help=f"'all' or comma-separated (default: all; tiny: {TINY_VARIANTS})")
    p.add_argument("--cases", default=None,
                   help=f"equality cases, 'all' or comma-separated (tiny: {TINY_CASES})")
    p.add_argument("--batch-sizes", type=int, nargs="+", default=None,
                   help="compare suite (default 64 256; tiny 4 8)")
    p.add_argument("--no-xb-cpu-reference", dest="xb_cpu_reference", action="store_false",
                   help="with --device gpu: do not also run the equality step on CPU")
    p.add_argument("--budget-s", type=float, default=None,
                   help="stop starting phases after this many seconds (default 450; tiny 900)")
    p.add_argument("--preflight", action="store_true",
                   help="no run: measure what the device tool would carry, print the call")
    # Internal: one phase on one backend, in a process of its own.
    p.add_argument("--worker", choices=PHASES, dest="phase", help=argparse.SUPPRESS)
    p.add_argument("--expected", help=argparse.SUPPRESS)
    p.add_argument("--part", help=argparse.SUPPRESS)
    p.add_argument("--npz", help=argparse.SUPPRESS)
    p.add_argument("--settings", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    args.argv = ["benchmarks/gpu_check.py", *argv]
    if args.budget_s is None:
        args.budget_s = 900.0 if args.tiny else 450.0
    for key in ("phases",):
        bad = [x for x in getattr(args, key).split(",") if x not in PHASES]
        if bad:
            p.error(f"--{key}: unknown {bad}; choose from {PHASES}")
    if not args.phase and not args.preflight and not args.out:
        p.error("--out is required when $OUT is not set")
    return args


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parse_args(argv)
    if args.preflight:
        return preflight(args)
    if args.phase:
        return worker(args)
    return orchestrate(args)


if __name__ == "__main__":
    sys.exit(main())
