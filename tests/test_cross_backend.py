"""One algorithm on three backends: the same step gives the same new weights.

Each backend's run of the suite compares itself with the next backend in the
cycle tensorflow -> jax -> torch -> tensorflow, so the three runs together cover
every pair. Covers GAN, WGANGP (double backprop through the gradient penalty,
n_critic > 1), DCGAN (BatchNorm statistics) and every variant of the
``xb_cases_*.py`` modules.

``run_all_backends.py`` sets ``KERAS_GANS_XB_CACHE`` to a folder of its own run:
a backend's one-step result written there is reused by the run that compares
with it, so the three runs start three to six step processes, not always six.
"""

import os
import subprocess
import sys

import keras
import numpy as np
import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
CYCLE = {"tensorflow": "jax", "jax": "torch", "torch": "tensorflow"}
ATOL = 1e-6  # it was 2e-5 (rtol 1e-4) while JAX and torch ran parts in float32

# Other backends' processes (the fast tier leaves them out).
pytestmark = pytest.mark.slow


def _step(backend, path):
    cache = os.environ.get("KERAS_GANS_XB_CACHE")
    if cache:
        path = os.path.join(cache, f"step_{backend}.npz")
        if os.path.exists(path):
            return dict(np.load(path))
    env = dict(os.environ, KERAS_BACKEND=backend, TF_CPP_MIN_LOG_LEVEL="2",
               TF_ENABLE_ONEDNN_OPTS="0")
    partial = f"{path}.{os.getpid()}.npz"  # the runs of the backends share the cache
    proc = subprocess.run(
        [sys.executable, os.path.join(HERE, "cross_backend_step.py"), partial],
        env=env, capture_output=True, text=True,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    os.replace(partial, path)
    return dict(np.load(path))


def test_one_step_same_new_weights_across_backends(tmp_path):
    mine = keras.backend.backend()
    other = CYCLE[mine]
    a = _step(mine, tmp_path / f"{mine}.npz")
    b = _step(other, tmp_path / f"{other}.npz")
    assert a.keys() == b.keys()
    variants = sorted({k.split("/")[0] for k in a})
    assert {"gan", "wgan_gp", "dcgan"} <= set(variants), variants
    for variant in variants:
        keys = [k for k in a if k.startswith(variant + "/") and not k.endswith("/before")]
        assert keys
        changes = []
        for k in keys:
            # float64 on every backend (cross_backend_step.py): the backends
            # agreed to 4e-8 at worst over every case (stop 29)
            np.testing.assert_allclose(a[k], b[k], rtol=ATOL, atol=ATOL,
                                       err_msg=f"{mine} vs {other}: {k}")
            np.testing.assert_array_equal(a[k + "/before"], b[k + "/before"])
            changes.append(float(np.max(np.abs(a[k] - a[k + "/before"]))))
        # The step really changed the weights, by far more than the tolerance
        # (else equality would prove nothing).
        assert max(changes) > 50 * ATOL, (variant, changes)
        assert sum(c > 1e-6 for c in changes) >= len(keys) // 2, (variant, changes)


def _run(backend, *args):
    env = dict(os.environ, KERAS_BACKEND=backend, TF_CPP_MIN_LOG_LEVEL="2")
    proc = subprocess.run(
        [sys.executable, os.path.join(HERE, "cross_backend_weights.py"), *map(str, args)],
        env=env, capture_output=True, text=True,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]


def test_weights_and_keras_files_load_on_another_backend(tmp_path):
    """Saved on this backend, loaded on the next one in the cycle: same outputs."""
    import cross_backend_weights

    mine = keras.backend.backend()
    other = CYCLE[mine]
    cross_backend_weights.main("save", str(tmp_path))  # in this process: it is `mine`
    _run(other, "load", tmp_path)
    saved = np.load(tmp_path / "saved.npz")
    loaded = np.load(tmp_path / f"loaded_{other}.npz")
    for kind in ("weights", "keras"):
        for net in ("g", "d"):
            # Float32 tolerance relative to the outputs' scale (an early
            # generator's tanh outputs are ~1e-3).
            scale = np.abs(saved[net]).max()
            np.testing.assert_allclose(loaded[f"{kind}_{net}"], saved[net], rtol=1e-4,
                                       atol=1e-4 * scale,
                                       err_msg=f"{kind} file, {net}: {mine} -> {other}")
    # The comparison can fail: an unloaded model's outputs differ by far more.
    scale = np.abs(saved["g"]).max()
    assert np.abs(loaded["unloaded_g"] - saved["g"]).max() > 0.1 * scale
