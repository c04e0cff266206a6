"""One training step of each variant from fixed weights, batch and noise.

Run as ``KERAS_BACKEND=<name> python tests/cross_backend_step.py OUT.npz``; the
test compares the new weights across backends. Noise comes from fixed arrays
(keras.random streams differ between backends by design), drawn in call order,
so the three backends see the same numbers.

Cases: ``CASES`` below, plus ``cases()`` of every ``tests/xb_cases_*.py`` module
(one per group of variants), each ``name -> (make_model, batch)``.
"""

import glob
import importlib.util
import os
import sys

os.environ["JAX_ENABLE_X64"] = "1"  # else JAX computes float64 as float32 (see DTYPE)

import keras
import numpy as np

sys.path.insert(0, __file__.rsplit("/tests/", 1)[0])
import keras_gans as kg

BATCH = 16
# Float64: the variants have kinks (ReLU, |x|, max) where float32 rounding can
# flip a sign; one flipped unit moved a CycleGAN kernel by 1e-4 on one CPU
# (1 perturbation in 6 of the initial weights at 1e-7 did it). In float64 the
# backends' rounding differs by ~1e-16 per op (the new weights agree to 4e-8 at
# worst), so the comparison tests the algorithm.
DTYPE = "float64"
keras.config.set_floatx(DTYPE)
# Keras' type promotion maps every float64 result to float32 on every backend
# but TensorFlow ("aligned with JAX's default", which has x64 off), so with
# float64 variables JAX's ``ops.tanh`` (every image generator's output) and
# ``BatchNormalization`` on JAX and torch (it computes in
# ``result_type(inputs.dtype, "float32")``) still ran in float32: the inputs
# of D then differed by 1e-7 between backends, which D's kinks turned into
# 0.7 % of a gradient (the input-label conditional GAN). This process enables
# x64, so float64 is kept float64 on every backend.
from keras.src.backend.common import dtypes as _keras_dtypes

_keras_dtypes.BIT64_TO_BIT32_DTYPE["float64"] = "float64"


def fixed_noise(model):
    calls = {"n": 0}

    def draw(kind):
        def sample(shape):
            shape = tuple(BATCH if not isinstance(s, int) else s for s in shape)
            rng = np.random.default_rng(1000 + calls["n"])
            calls["n"] += 1
            arr = rng.standard_normal(shape) if kind == "normal" else rng.uniform(size=shape)
            return keras.ops.convert_to_tensor(arr.astype(DTYPE))

        return sample

    model.random_normal = draw("normal")
    model.random_uniform = draw("uniform")


def networks(model):
    return [getattr(model, player) for player in model.players]


def init_weights(model):
    rng = np.random.default_rng(0)
    for net in networks(model):
        values = []
        for v in net.weights:
            if "moving_variance" in v.path:
                values.append(np.ones(v.shape, "float32"))
            elif "moving_mean" in v.path:
                values.append(np.zeros(v.shape, "float32"))
            elif "gamma" in v.path:
                values.append((1 + 0.02 * rng.standard_normal(v.shape)).astype("float32"))
            else:
                values.append((0.05 * rng.standard_normal(v.shape)).astype("float32"))
        net.set_weights(values)


def cases():
    rng = np.random.default_rng(42)
    found = {
        "gan": (lambda: kg.GAN(data_shape=(2,), latent_dim=4, hidden=(16, 16)),
                rng.standard_normal((BATCH, 2)).astype("float32")),
        "wgan_gp": (lambda: kg.WGANGP(data_shape=(2,), latent_dim=4, n_critic=2),
                    rng.standard_normal((BATCH, 2)).astype("float32")),
        "dcgan": (lambda: kg.DCGAN(data_shape=(28, 28, 1), latent_dim=8, filters=8),
                  np.tanh(rng.standard_normal((BATCH, 28, 28, 1))).astype("float32")),
    }
    here = os.path.dirname(os.path.abspath(__file__))
    for path in sorted(glob.glob(os.path.join(here, "xb_cases_*.py"))):
        spec = importlib.util.spec_from_file_location(os.path.basename(path)[:-3], path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        found.update(module.cases(BATCH))
    return found


def run(out):
    result = {}
    for name, (make_model, data) in cases().items():
        model = make_model()
        init_weights(model)
        fixed_noise(model)
        model.compile(**{f"{p}_optimizer": keras.optimizers.SGD(0.1, momentum=0.9)
                         for p in model.players})
        variables = [v for net in networks(model) for v in net.weights]
        before = [keras.ops.convert_to_numpy(v) for v in variables]
        model.fit(data, batch_size=BATCH, epochs=1, shuffle=False, verbose=0)
        for i, v in enumerate(variables):
            assert v.dtype == DTYPE, (name, v.path, v.dtype)
            result[f"{name}/{i}/{v.path}"] = keras.ops.convert_to_numpy(v)
            result[f"{name}/{i}/{v.path}/before"] = before[i]
    np.savez(out, **result)


if __name__ == "__main__":
    run(sys.argv[1])
