"""A one-backend install's first run: every variant and the README's first
command with the other backends unimportable (tests/one_backend_smoke.py).
The suite itself runs with every backend installed, which hid a torch import
on TensorFlow and JAX (issue 23); .ci/run also runs the script in virtualenvs
that have only one backend's extra."""

import os
import subprocess
import sys

import keras
import pytest

HERE = os.path.dirname(os.path.abspath(__file__))

# A fresh process with the other backends blocked (the fast tier leaves it out).
pytestmark = pytest.mark.slow


def test_every_variant_and_the_readme_command_without_the_other_backends(tmp_path):
    env = dict(os.environ, KERAS_BACKEND=keras.backend.backend())
    if keras.backend.backend() == "jax" and os.environ.get("KERAS_GANS_XLA_DEFAULT") != "1":
        # Compiles one step of every variant: at XLA's cheaper level, as the
        # JAX run's own tests (conftest.py); what it checks is what gets imported.
        from conftest import FAST_XLA_FLAGS

        env["XLA_FLAGS"] = f"{os.environ.get('XLA_FLAGS', '')} {FAST_XLA_FLAGS}".strip()
    proc = subprocess.run([sys.executable, os.path.join(HERE, "one_backend_smoke.py"),
                           str(tmp_path)], env=env, capture_output=True, text=True,
                          timeout=900, check=False)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "README command 1: ok" in proc.stdout
