"""Run the test suite once per Keras backend, each in its own process.

Keras picks its backend at import, so each backend needs a fresh interpreter.
The backends run one after the other: run at the same time on 2 cores they were
slower (TensorFlow's suite took 998 s instead of 338 s), since each spread its
threads over both cores. Within a backend, pytest-xdist runs the test files on
one worker per core (``-n``, ``--dist loadfile``: a file's module fixtures are
made once), each worker pinned to its own core by conftest.py. Set
``KERAS_GANS_TEST_WORKERS=1`` for one process per backend, or pass ``-n``
yourself. Exits non-zero if any backend fails. Extra arguments go to pytest.
"""

import os
import re
import subprocess
import sys
import tempfile
import time

BACKENDS = ("tensorflow", "jax", "torch")
DEFAULT_JAX_CACHE = os.path.join(
    os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"),
    "keras_gans", "jax_test_cache")
JAX_CACHE_MAX_BYTES = 2 * 2**30


def xdist_arguments(argv):
    """pytest-xdist's arguments for this machine: one worker per core (at most
    4), files kept whole; none when xdist is missing, there is one core, or the
    caller chose (``-n``/``-p no:xdist`` in ``argv``, KERAS_GANS_TEST_WORKERS)."""
    if any(a.startswith(("-n", "--numprocesses")) or "xdist" in a for a in argv):
        return []
    try:
        import xdist  # noqa: F401
    except ImportError:
        return []
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    workers = int(os.environ.get("KERAS_GANS_TEST_WORKERS") or min(cores or 1, 4))
    return ["-n", str(workers), "--dist", "loadfile"] if workers > 1 else []


def main(argv):
    argv = [*xdist_arguments(argv), *argv]
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    totals = {"passed": 0, "failed": 0, "skipped": 0, "error": 0}
    failed = []
    # test_cross_backend.py computes each backend's one-step result once per run.
    cache = tempfile.mkdtemp(prefix="keras_gans_xb_")
    # JAX's persistent compilation cache (see conftest.py), kept between runs:
    # the edit-test loop pays each compilation once, not on every run. An entry
    # is keyed on the whole compiled program, the XLA flags and the JAX version,
    # so a kept one is never stale, only unused; least recently used entries go
    # past JAX_CACHE_MAX_BYTES (a whole run writes about 100 MB).
    # KERAS_GANS_JAX_CACHE names another folder; KERAS_GANS_JAX_CACHE=fresh
    # gives this run an empty one (a cold run's time, as on a new machine).
    jax_cache = os.environ.get("KERAS_GANS_JAX_CACHE") or DEFAULT_JAX_CACHE
    if jax_cache == "fresh":
        jax_cache = tempfile.mkdtemp(prefix="keras_gans_jax_cache_")
    os.makedirs(jax_cache, exist_ok=True)
    t_all = time.time()
    for backend in BACKENDS:
        env = dict(os.environ, KERAS_BACKEND=backend, TF_CPP_MIN_LOG_LEVEL="2",
                   KERAS_GANS_XB_CACHE=cache, KERAS_GANS_JAX_CACHE=jax_cache)
        env.setdefault("JAX_COMPILATION_CACHE_MAX_SIZE", str(JAX_CACHE_MAX_BYTES))
        print(f"===== KERAS_BACKEND={backend} =====", flush=True)
        start = time.time()
        proc = subprocess.run(
            [sys.executable, "-m", "pytest", "tests", "-q", "-p", "no:cacheprovider", *argv],
            check=False, cwd=root, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            text=True,
        )
        print(proc.stdout, flush=True)
        print(f"===== {backend}: exit {proc.returncode} in {time.time() - start:.0f}s =====",
              flush=True)
        for count, word in re.findall(r"(\d+) (passed|failed|skipped|errors?)", proc.stdout.splitlines()[-1] if proc.stdout else ""):
            totals["error" if word.startswith("error") else word] += int(count)
        if proc.returncode != 0:
            failed.append(backend)
    print(f"backends failed: {failed}" if failed else "all backends passed")
    print(f"{totals['passed']} passed, {totals['failed'] + totals['error']} failed, "
          f"{totals['skipped']} skipped; {time.time() - t_all:.0f}s in all")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
