import os
import sys

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

if os.environ.get("KERAS_GANS_JAX_CACHE"):
    # The same cache for the JAX processes the tests start (the one-backend
    # smoke, the cross-backend steps and files, the distribute worker), from any
    # backend's run: JAX reads these variables at import.
    os.environ.setdefault("JAX_COMPILATION_CACHE_DIR", os.environ["KERAS_GANS_JAX_CACHE"])
    os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS", "0")
    os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES", "-1")

if os.environ.get("KERAS_BACKEND") == "jax" and os.environ.get("KERAS_GANS_JAX_CACHE"):
    # Many tests build the same small model more than once (a seeded run twice,
    # a round trip, one model per phase check): JAX's persistent compilation
    # cache, keyed on the compiled program, lets them share one compilation.
    import jax

    jax.config.update("jax_compilation_cache_dir", os.environ["KERAS_GANS_JAX_CACHE"])
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", -1)


@pytest.fixture(scope="session")
def digits28():
    from keras_gans.data import load_digits

    x, y = load_digits(28)
    return x[:128], y[:128]


@pytest.fixture(scope="session")
def digits8():
    from keras_gans.data import load_digits

    x, y = load_digits()
    return x[:128], y[:128]


@pytest.fixture(autouse=True)
def _seed():
    import keras

    keras.utils.set_random_seed(1234)
    np.random.seed(1234)
