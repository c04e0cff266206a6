"""Run the test suite once per Keras backend, each in its own process.

Keras picks its backend at import, so each backend needs a fresh interpreter.
The backends run one after the other: run at the same time on 2 cores they were
slower (TensorFlow's suite took 998 s instead of 338 s). Exits non-zero if any
backend fails. Extra arguments go to pytest.
"""

import os
import re
import subprocess
import sys
import tempfile
import time

BACKENDS = ("tensorflow", "jax", "torch")


def main(argv):
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    totals = {"passed": 0, "failed": 0, "skipped": 0, "error": 0}
    failed = []
    # test_cross_backend.py computes each backend's one-step result once per run.
    cache = tempfile.mkdtemp(prefix="keras_gans_xb_")
    # JAX's persistent compilation cache (see conftest.py): fresh for each run,
    # unless KERAS_GANS_JAX_CACHE names a folder to keep between runs (the
    # edit-test loop; an entry is keyed on the whole compiled program and the
    # JAX version, so a kept one is never stale, only unused).
    jax_cache = os.environ.get("KERAS_GANS_JAX_CACHE") or tempfile.mkdtemp(
        prefix="keras_gans_jax_cache_")
    t_all = time.time()
    for backend in BACKENDS:
        env = dict(os.environ, KERAS_BACKEND=backend, TF_CPP_MIN_LOG_LEVEL="2",
                   KERAS_GANS_XB_CACHE=cache, KERAS_GANS_JAX_CACHE=jax_cache)
        print(f"===== KERAS_BACKEND={backend} =====", flush=True)
        start = time.time()
        proc = subprocess.run(
            [sys.executable, "-m", "pytest", "tests", "-q", "-p", "no:cacheprovider", *argv],
            cwd=root, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
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
