"""Data-parallel checks on 2 simulated CPU devices, run in a fresh process.

The device count must be fixed before the framework starts (JAX: XLA_FLAGS;
TensorFlow: logical devices), so tests/test_distribute.py runs this script in a
subprocess and reads the JSON it prints last. Usage:

    KERAS_BACKEND=jax python tests/distribute_worker.py OUT_DIR

Everything it measures is reported, not judged: the test asserts.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import sys
import time
import traceback

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
if os.environ.get("KERAS_BACKEND") == "jax":
    os.environ["XLA_FLAGS"] = (
        os.environ.get("XLA_FLAGS", "") + " --xla_force_host_platform_device_count=2"
    )
elif os.environ.get("KERAS_BACKEND") == "tensorflow":
    import tensorflow as tf

    _cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(
        _cpu, [tf.config.LogicalDeviceConfiguration()] * 2
    )

if os.environ.get("KERAS_BACKEND") == "jax" and os.environ.get("KERAS_GANS_JAX_CACHE"):
    import jax  # the suite's persistent compilation cache (see conftest.py)

    jax.config.update("jax_compilation_cache_dir", os.environ["KERAS_GANS_JAX_CACHE"])
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", -1)

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import keras
import numpy as np
from dp_compare import BACKEND, digits, make, step_and_fit_case

from keras_gans import distribute
from keras_gans.errors import GANConfigError


def raises(fn):
    """The GANConfigError message fn raises, or what happened instead."""
    try:
        fn()
    except GANConfigError as e:
        return {"error": "GANConfigError", "message": str(e)}
    except Exception as e:  # noqa: BLE001 - reported, the test judges it
        return {"error": type(e).__name__, "message": str(e)[:500]}
    return {"error": None, "message": ""}


def errors_case():
    engine = distribute.data_parallel()
    out = {"engine": type(engine).__name__, "replicas": None}
    with engine.scope():
        out["replicas"] = distribute.num_replicas()
        model = make("dcgan")
        model.compile()
        x = digits(16)
        out["odd_batch"] = raises(lambda: model.fit(x, batch_size=7, epochs=1, verbose=0))
        out["odd_last_batch"] = raises(
            lambda: model.fit(digits(9), batch_size=8, epochs=1, verbose=0)
        )
    outside = make("dcgan")
    outside.compile()
    with engine.scope():
        out["built_outside"] = raises(
            lambda: outside.fit(x, batch_size=8, epochs=1, verbose=0)
        )
    if BACKEND == "tensorflow":
        keras.distribution.set_distribution(keras.distribution.DataParallel())
        try:
            out["keras_distribution_on_tf"] = raises(
                lambda: outside.fit(x, batch_size=8, epochs=1, verbose=0)
            )
        finally:
            keras.distribution.set_distribution(None)
    return out


def noise_case():
    """TensorFlow replicas: latent noise per replica vs the single-device draw."""
    import tensorflow as tf

    engine = distribute.data_parallel()
    single = make("dcgan")
    with engine.scope():
        model = make("dcgan")

    @tf.function
    def draw():
        def replica():
            state = tf.identity(model.seed_generator.state.value)
            return model.sample_latent(4), state

        return engine.run(replica)

    z, seed_used = draw()
    parts = [t.numpy() for t in engine.experimental_local_results(z)]
    seeds = [t.numpy() for t in engine.experimental_local_results(seed_used)]
    after = [t.numpy() for t in model.seed_generator.state.value.values]
    reference = keras.ops.convert_to_numpy(single.sample_latent(8))
    return {
        "replicas_differ": float(np.max(np.abs(parts[0] - parts[1]))),
        "vs_single_device": float(np.max(np.abs(np.concatenate(parts) - reference))),
        "seed_states_agree": bool(all(np.array_equal(s, seeds[0]) for s in seeds)
                                  and all(np.array_equal(a, after[0]) for a in after)),
        "seed_advanced": bool(not np.array_equal(after[0], seeds[0])),
    }


def cli_case(out_dir):
    from keras_gans import cli

    run = os.path.join(out_dir, "cli_run")
    stdout = io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stdout):
        rc = cli.main([
            "train", "gan", "--dataset", "ring8", "--limit", "32", "--epochs", "1",
            "--batch-size", "16", "--latent-dim", "8", "--out", run,
            "--distribute", "data_parallel",
        ])
    return {
        "rc": rc,
        "stdout": stdout.getvalue()[-2000:],
        "saved": os.path.exists(os.path.join(run, "model.keras")),
    }


def main():
    out_dir = sys.argv[1]
    cases = sys.argv[2:] or ["step", "noise", "errors", "cli"]
    result = {"backend": BACKEND, "times": {}}
    for case in cases:
        start = time.time()
        try:
            if case == "step":
                result["step"], result["fit"] = {}, {}
                for variant in ("dcgan", "wgangp"):
                    step, fit = step_and_fit_case(variant)
                    result["step"][variant], result["fit"][variant] = step, fit
            elif case == "noise" and BACKEND == "tensorflow":
                result["noise"] = noise_case()
            elif case == "errors":
                result["errors"] = errors_case()
            elif case == "cli":
                result["cli"] = cli_case(out_dir)
        except Exception:  # noqa: BLE001 - reported, the test judges it
            result[case] = {"crashed": traceback.format_exc()[-3000:]}
        result["times"][case] = round(time.time() - start, 2)
    print("RESULT " + json.dumps(result))


if __name__ == "__main__":
    main()
