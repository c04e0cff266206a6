"""Run the test suite once per Keras backend, each in its own process.

Keras picks its backend at import, so each backend needs a fresh interpreter.
Exits non-zero if any backend fails. Extra arguments go to pytest.
"""

import os
import re
import subprocess
import sys
import time

BACKENDS = ("tensorflow", "jax", "torch")


def main(argv):
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    totals = {"passed": 0, "failed": 0, "skipped": 0, "error": 0}
    failed = []
    for backend in BACKENDS:
        env = dict(os.environ, KERAS_BACKEND=backend, TF_CPP_MIN_LOG_LEVEL="2")
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
          f"{totals['skipped']} skipped")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
