"""Data-parallel training on each backend's own engine, on 2 simulated CPU devices.

The JAX run tests ``keras.distribution.DataParallel``, the TensorFlow run
``tf.distribute.MirroredStrategy``; both in one subprocess
(tests/distribute_worker.py), since the device count must be set before the
framework starts. PyTorch trains data-parallel as several processes only
(torchrun, tests/test_multiprocess.py); here it tests the clear error of a
process that torchrun did not start.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import keras
import numpy as np
import pytest

from keras_gans import cli, distribute
from keras_gans.errors import GANConfigError

BACKEND = keras.backend.backend()
HERE = os.path.dirname(os.path.abspath(__file__))
VARIANTS = ("dcgan", "wgangp")

# Achieved on 2 CPU devices: ~1e-8 after one step and after 4 more (fit), from the
# seeded start of tests/dp_compare.py (TensorFlow in float64, as it explains); a
# missing loss scale, shared noise across replicas or per-replica BatchNorm
# statistics each move the weights by >1e-3.
# Metric results (losses, WGAN-GP's ~10-20) are compared relative to their
# value where it is above 1 (tests/distribute_worker.py: max_rel_diff): CI saw
# a one-ulp 1.9e-6 absolute difference on a WGAN-GP loss of ~16.
STEP_ATOL = 1e-6
FIT_ATOL = 1e-5


if BACKEND in ("jax", "tensorflow"):
    ENGINE = {"jax": "DataParallel", "tensorflow": "MirroredStrategy"}[BACKEND]

    @pytest.fixture(scope="module")
    def worker(tmp_path_factory):
        out = tmp_path_factory.mktemp("distribute")
        env = dict(os.environ, KERAS_BACKEND=BACKEND)
        proc = subprocess.run(
            [sys.executable, os.path.join(HERE, "distribute_worker.py"), str(out)],
            check=False, env=env, capture_output=True, text=True, timeout=600,
        )
        lines = [line for line in proc.stdout.splitlines() if line.startswith("RESULT ")]
        assert proc.returncode == 0 and lines, proc.stderr[-4000:]
        result = json.loads(lines[-1][len("RESULT "):])
        print("worker times (s):", result["times"])
        return result

    def _case(worker, name):
        case = worker[name]
        assert "crashed" not in case, case.get("crashed")
        return case

    @pytest.mark.slow  # the worker: another process on 2 simulated devices
    def test_engine_is_the_backends_own(worker):
        errors = _case(worker, "errors")
        assert errors["engine"] == ENGINE
        assert errors["replicas"] == 2

    @pytest.mark.slow  # the worker: another process on 2 simulated devices
    @pytest.mark.parametrize("variant", VARIANTS)
    def test_one_data_parallel_step_equals_one_single_device_step(worker, variant):
        step = _case(worker, "step")[variant]
        # weights, BatchNorm statistics, both optimizers, seed generator, metrics
        for group in ("trainable", "non_trainable", "optimizers", "seed", "metrics"):
            assert step[group] <= STEP_ATOL, (group, step[group])
        assert step["moved"] > 1000 * STEP_ATOL, "the step did not train"
        for name, (single, parallel) in step["losses"].items():
            np.testing.assert_allclose(parallel, single, rtol=1e-5, atol=1e-6, err_msg=name)

    @pytest.mark.slow  # the worker: another process on 2 simulated devices
    @pytest.mark.parametrize("variant", VARIANTS)
    def test_short_data_parallel_fit_matches_single_device_fit(worker, variant):
        fit = _case(worker, "fit")[variant]
        for group in ("trainable", "non_trainable", "optimizers", "seed", "metrics"):
            assert fit[group] <= FIT_ATOL, (group, fit[group])
        assert fit["moved"] > 1000 * FIT_ATOL, "the fit did not train"
        for name, (single, parallel) in fit["history"].items():
            assert np.all(np.isfinite(single)), (name, single)
            np.testing.assert_allclose(parallel, single, rtol=1e-4, atol=1e-5, err_msg=name)

    @pytest.mark.slow  # the worker: another process on 2 simulated devices
    def test_global_batch_not_divisible_by_devices_is_a_clear_error(worker):
        errors = _case(worker, "errors")
        odd = errors["odd_batch"]
        assert odd["error"] == "GANConfigError", odd
        assert "batch_size=7" in odd["message"] and "multiple of 2" in odd["message"]
        last = errors["odd_last_batch"]
        assert last["error"] == "GANConfigError", last
        assert "last batch" in last["message"] and "9 samples" in last["message"]

    @pytest.mark.slow  # the worker: another process on 2 simulated devices
    def test_model_built_outside_the_engine_is_a_clear_error(worker):
        outside = _case(worker, "errors")["built_outside"]
        assert outside["error"] == "GANConfigError", outside
        assert "scope()" in outside["message"] or "scope():" in outside["message"]

    @pytest.mark.slow  # the worker: another process on 2 simulated devices
    def test_cli_distribute_data_parallel_uses_the_backends_engine(worker):
        run = _case(worker, "cli")
        assert run["rc"] == 0, run["stdout"]
        assert f"data-parallel over 2 device(s) with {ENGINE}" in run["stdout"]
        assert run["saved"]


if BACKEND == "tensorflow":

    @pytest.mark.slow  # the worker: another process on 2 simulated devices
    def test_replicas_draw_their_own_rows_of_the_global_noise(worker):
        # On JAX the draw is one global array (the step test covers it); on
        # TensorFlow each replica draws, and must not reuse the other's z.
        noise = _case(worker, "noise")
        assert noise["replicas_differ"] > 0.1, "both replicas drew the same latent noise"
        assert noise["vs_single_device"] <= 1e-6, noise
        assert noise["seed_states_agree"] and noise["seed_advanced"], noise

    @pytest.mark.slow  # the worker: another process on 2 simulated devices
    def test_keras_distribution_on_tensorflow_is_a_clear_error(worker):
        err = _case(worker, "errors")["keras_distribution_on_tf"]
        assert err["error"] == "GANConfigError", err
        assert "MirroredStrategy" in err["message"] and "ignores" in err["message"]


if BACKEND == "torch":

    def test_data_parallel_on_torch_without_torchrun_is_a_clear_error(monkeypatch):
        for name in ("RANK", "WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT"):
            monkeypatch.delenv(name, raising=False)
        with pytest.raises(GANConfigError, match="start the script with torchrun"):
            distribute.data_parallel()

    def test_cli_distribute_on_torch_is_a_clear_error(tmp_path, capsys):
        rc = cli.main([
            "train", "gan", "--dataset", "ring8", "--limit", "32", "--epochs", "1",
            "--out", str(tmp_path / "run"), "--distribute", "data_parallel",
        ])
        assert rc == 2
        err = capsys.readouterr().err
        assert "torchrun" in err and "KERAS_BACKEND=jax" in err
        assert not (tmp_path / "run").exists()


def test_one_device_needs_no_engine_and_keeps_the_batch_free():
    """On one device the checks are a no-op: an odd batch trains as before."""
    import keras_gans as kg
    from keras_gans.data import load_digits

    assert distribute.num_replicas() == 1
    model = kg.GAN(data_shape=(8, 8, 1), latent_dim=4, hidden=(8,), seed=0)
    model.compile()
    x = load_digits()[0][:9]
    history = model.fit(x, batch_size=7, epochs=1, verbose=0)
    assert np.all(np.isfinite(history.history["d_loss"]))
