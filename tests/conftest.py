import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def _pin_xdist_worker():
    """Under pytest-xdist (``-n N``, as run_all_backends.py runs the suite), each
    worker gets its own share of this process's cores, before any backend is
    imported: TensorFlow, XLA and torch size their thread pools from the cores a
    process may use, so N workers each spreading threads over every core would
    fight over them (two whole backends' suites run side by side on 2 cores were
    3x slower than one after the other). The processes a test starts inherit the
    share. ``KERAS_GANS_TEST_PIN=0`` leaves the workers unpinned."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    count = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    if not worker.startswith("gw") or count < 2 or os.environ.get("KERAS_GANS_TEST_PIN") == "0":
        return
    if not hasattr(os, "sched_setaffinity"):
        return
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) < count:
        return
    share = cpus[int(worker[2:]) % count::count]
    os.sched_setaffinity(0, share)
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "TF_NUM_INTRAOP_THREADS"):
        os.environ[var] = str(len(share))


_pin_xdist_worker()

import numpy as np  # after the pinning: numpy starts BLAS threads
import pytest

if os.environ.get("KERAS_GANS_JAX_CACHE"):
    # The same cache for the JAX processes the tests start (the one-backend
    # smoke, the cross-backend steps and files, the distribute worker), from any
    # backend's run: JAX reads these variables at import.
    os.environ.setdefault("JAX_COMPILATION_CACHE_DIR", os.environ["KERAS_GANS_JAX_CACHE"])
    os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS", "0")
    os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES", "-1")

# XLA's CPU compiler without LLVM's expensive optimisations: the JAX run's tests
# compile far more than they run (one or two steps of each small model), and at
# the default level a compile costs about twice as long (tests/test_ema.py's
# CycleGAN, DCGAN and StyleGAN checks: 292 s at the default, 132 s so, on one
# busy core). The compiled programs compute the same operations; only the
# machine code is less optimised. This process only: the processes the tests
# start (the cross-backend steps above all) compile at the default level, which
# is also what KERAS_GANS_XLA_DEFAULT=1 gives this one.
FAST_XLA_FLAGS = "--xla_backend_optimization_level=0 --xla_llvm_disable_expensive_passes=true"

if os.environ.get("KERAS_BACKEND") == "jax":
    default_xla_flags = os.environ.get("XLA_FLAGS")
    if os.environ.get("KERAS_GANS_XLA_DEFAULT") != "1":
        os.environ["XLA_FLAGS"] = f"{default_xla_flags or ''} {FAST_XLA_FLAGS}".strip()
    import jax

    if os.environ.get("KERAS_GANS_JAX_CACHE"):
        # Many tests build the same small model more than once (a seeded run
        # twice, a round trip, one model per phase check): JAX's persistent
        # compilation cache, keyed on the compiled program (and the XLA flags),
        # lets them share one compilation.
        jax.config.update("jax_compilation_cache_dir", os.environ["KERAS_GANS_JAX_CACHE"])
        jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
        jax.config.update("jax_persistent_cache_min_entry_size_bytes", -1)
    jax.jit(lambda v: v + 1)(1.0)  # XLA reads XLA_FLAGS once, here
    if default_xla_flags is None:
        os.environ.pop("XLA_FLAGS", None)
    else:
        os.environ["XLA_FLAGS"] = default_xla_flags


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
