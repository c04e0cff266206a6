"""One of several processes of a data-parallel run on localhost.

tests/test_multiprocess.py starts 2 of these with the backend's own launcher:
JAX with the KERAS_DISTRIBUTION_* variables, TensorFlow with TF_CONFIG, PyTorch
with torchrun. Each joins the world (keras_gans.distribute.initialize), runs
the cases named on the command line and writes what it measured to
``OUT/<case>_<process>.json``; the test judges. Usage:

    python tests/multiprocess_worker.py OUT step errors cli
    KERAS_GANS_TEST_DEVICES=2  (JAX: simulated CPU devices per process)
"""

from __future__ import annotations

import json
import os
import sys
import time
import traceback

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
DEVICES = int(os.environ.get("KERAS_GANS_TEST_DEVICES", "1"))
if os.environ.get("KERAS_BACKEND") == "jax" and DEVICES > 1:
    os.environ["XLA_FLAGS"] = (
        os.environ.get("XLA_FLAGS", "") + f" --xla_force_host_platform_device_count={DEVICES}"
    )
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from keras_gans import distribute

# First, before any other framework work: join the other processes (and on
# TensorFlow build the MultiWorkerMirroredStrategy, which must come first).
WORLD = distribute.initialize(timeout_s=int(os.environ.get("KERAS_GANS_TEST_TIMEOUT", "60")))
ENGINE = distribute.data_parallel()
WORLD = distribute.world()

import keras
import numpy as np
from dp_compare import digits, make, step_and_fit_case

from keras_gans.errors import GANConfigError, GANTrainingError


def raises(fn):
    try:
        fn()
    except (GANConfigError, GANTrainingError) as e:
        return {"error": type(e).__name__, "message": str(e)}
    except Exception as e:  # noqa: BLE001 - reported, the test judges it
        return {"error": type(e).__name__, "message": str(e)[:800]}
    return {"error": None, "message": ""}


def step_case():
    out = {}
    for variant in ("dcgan", "wgangp"):
        step, fit = step_and_fit_case(variant)
        out[variant] = {"step": step, "fit": fit}
    return out


def minibatch_case():
    """A layer that looks across the batch (minibatch_stddev): what one step
    computes compared with one process (docs/distributed.md, Known limits)."""
    step, _ = step_and_fit_case("dcgan_minibatch_stddev", more_steps=0)
    return step


def errors_case():
    with ENGINE.scope():
        model = make("dcgan")
        model.compile()
        x = digits(16)
        return {
            "odd_batch": raises(lambda: model.fit(x, batch_size=7, epochs=1, verbose=0)),
            "odd_last_batch": raises(
                lambda: model.fit(digits(9), batch_size=8, epochs=1, verbose=0)),
        }


def cli_case(out_dir, resume=False):
    import contextlib
    import io

    from keras_gans import cli

    run = os.path.join(out_dir, "cli_run")
    stdout = io.StringIO()
    argv = ["train", "gan", "--dataset", "ring8", "--limit", "64", "--batch-size", "16",
            "--latent-dim", "8", "--out", run, "--distribute", "data_parallel",
            "--epochs", "2" if resume else "1"]
    if resume:
        argv.append("--resume")
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stdout):
        rc = cli.main(argv)
    return {"rc": rc, "stdout": stdout.getvalue()[-3000:],
            "files": sorted(os.listdir(run)) if os.path.isdir(run) else None}


def die_case():
    """Process 1 stops; process 0 goes on training and must stop with an error."""
    with ENGINE.scope():
        model = make("dcgan")
        model.compile()
    x = digits(64)
    if WORLD.index == 1:
        os._exit(3)
    start = time.time()
    outcome = raises(lambda: model.fit(x, batch_size=8, epochs=50, verbose=0))
    outcome["seconds"] = round(time.time() - start, 1)
    return outcome


def main():
    out_dir = sys.argv[1]
    for case in sys.argv[2:]:
        # The one-process reference built in each process must be the same
        # model everywhere (the engines start every process from process 0's
        # weights, which the reference does not share otherwise).
        keras.utils.set_random_seed(0)
        start = time.time()
        try:
            result = {"step": step_case, "errors": errors_case, "minibatch": minibatch_case,
                      "cli": lambda: cli_case(out_dir),
                      "cli_resume": lambda: cli_case(out_dir, resume=True),
                      "die": die_case}[case]()
        except Exception:  # noqa: BLE001 - reported, the test judges it
            result = {"crashed": traceback.format_exc()[-3000:]}
        result = {"world": WORLD._asdict(), "engine": type(ENGINE).__name__,
                  "seconds": round(time.time() - start, 2), "backend": keras.backend.backend(),
                  "result": result}
        with open(os.path.join(out_dir, f"{case}_{WORLD.index}.json"), "w") as f:
            json.dump(result, f, default=lambda o: np.asarray(o).tolist())


if __name__ == "__main__":
    main()
