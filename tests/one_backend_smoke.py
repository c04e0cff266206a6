"""What a user with only one backend installed runs first, with the other
backends made unimportable: every variant builds, fits a step, generates, saves
and loads; the README's first command trains, samples and evaluates.

    KERAS_BACKEND=jax python tests/one_backend_smoke.py OUT_DIR

Run by tests/test_one_backend.py (in a fresh process, since the blocking must
come before Keras is imported) and by .ci/run in a virtualenv that has only one
backend's extra. An import of another backend on any of these paths fails it
with the ModuleNotFoundError a one-backend user would see.
"""

import os
import sys

# The top-level packages each backend's extra brings, and what each needs of them.
PACKAGES = {"tensorflow": ("tensorflow", "tensorflow_datasets", "tf2onnx"),
            "jax": ("jax", "jaxlib"), "torch": ("torch", "torchvision")}


class _Hiding:
    """A meta-path finder that finds nothing of ``names`` and delegates the
    rest: ``import torch`` raises ModuleNotFoundError and
    ``importlib.util.find_spec("torch")`` is None, as without torch installed.
    (A None in sys.modules would break libraries that read sys.modules.)"""

    def __init__(self, finder, names):
        self.finder, self.names = finder, names

    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in self.names:
            return None
        return self.finder.find_spec(name, path, target)

    def __getattr__(self, attr):
        return getattr(self.finder, attr)


def block_other_backends(backend):
    """Make the other backends' packages unimportable, as if not installed."""
    blocked = frozenset(name for other, names in PACKAGES.items() if other != backend
                        for name in names)
    imported = sorted(name for name in blocked if name in sys.modules)
    if imported:
        raise RuntimeError(f"{imported} were imported before they could be blocked")
    sys.meta_path[:] = [_Hiding(finder, blocked) for finder in sys.meta_path]
    return blocked


def main(out):
    import importlib.util

    backend = os.environ.get("KERAS_BACKEND", "tensorflow")
    blocked = block_other_backends(backend)
    assert all(importlib.util.find_spec(name) is None for name in blocked)
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import keras
    import numpy as np
    from small_variants import ALL_VARIANTS, batch_size, fit_args

    from keras_gans.cli import main as cli

    assert keras.backend.backend() == backend
    for name, make in ALL_VARIANTS.items():
        model = make(None)
        model.compile()
        data, labels = fit_args(name, model)
        fit_data = data if labels is None else (data, labels)
        model.fit(fit_data, batch_size=batch_size(name), epochs=1, steps_per_epoch=1,
                  verbose=0)
        path = os.path.join(out, f"{name}.keras")
        model.save(path)
        loaded = keras.saving.load_model(path)
        if hasattr(loaded, "translate"):
            source = data[0][:2]
            result = loaded.translate(source)
        else:
            labels = np.arange(2) if getattr(loaded, "num_classes", None) else None
            result = loaded.generate(2, labels=labels, seed=0)
        assert np.isfinite(np.asarray(result)).all(), name
        print(f"{name}: fit, save, load, sample ok", flush=True)

    # README command 1, at a small size.
    run = os.path.join(out, "dcgan_digits")
    steps = [["train", "dcgan", "--dataset", "digits", "--epochs", "1", "--limit", "128",
              "--out", run],
             ["sample", os.path.join(run, "model.keras"), "--n", "16", "--out",
              os.path.join(out, "grid.png")]]
    for argv in steps:
        code = cli(argv)
        assert code == 0, f"keras-gans {' '.join(argv)} exited {code}"
    print("README command 1: ok", flush=True)


if __name__ == "__main__":
    main(sys.argv[1])
