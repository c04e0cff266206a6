"""One training step of GAN, WGANGP and DCGAN from fixed weights, batch and noise.

Run as ``KERAS_BACKEND=<name> python tests/cross_backend_step.py OUT.npz``; the
test compares the new weights across backends. Noise comes from fixed arrays
(keras.random streams differ between backends by design), drawn in call order,
so the three backends see the same numbers.
"""

import sys

import numpy as np

import keras

sys.path.insert(0, __file__.rsplit("/tests/", 1)[0])
import keras_gans as kg  # noqa: E402

BATCH = 16


def fixed_noise(model):
    calls = {"n": 0}

    def draw(kind):
        def sample(shape):
            shape = tuple(BATCH if not isinstance(s, int) else s for s in shape)
            rng = np.random.default_rng(1000 + calls["n"])
            calls["n"] += 1
            arr = rng.standard_normal(shape) if kind == "normal" else rng.uniform(size=shape)
            return keras.ops.convert_to_tensor(arr.astype("float32"))

        return sample

    model.random_normal = draw("normal")
    model.random_uniform = draw("uniform")


def init_weights(model):
    rng = np.random.default_rng(0)
    for net in (model.generator, model.discriminator):
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


def models():
    return {
        "gan": kg.GAN(data_shape=(2,), latent_dim=4, hidden=(16, 16)),
        "wgan_gp": kg.WGANGP(data_shape=(2,), latent_dim=4, n_critic=2),
        "dcgan": kg.DCGAN(data_shape=(28, 28, 1), latent_dim=8, filters=8),
    }


def run(out):
    rng = np.random.default_rng(42)
    data = {
        "gan": rng.standard_normal((BATCH, 2)).astype("float32"),
        "wgan_gp": rng.standard_normal((BATCH, 2)).astype("float32"),
        "dcgan": np.tanh(rng.standard_normal((BATCH, 28, 28, 1))).astype("float32"),
    }
    result = {}
    for name, model in models().items():
        init_weights(model)
        fixed_noise(model)
        model.compile(
            generator_optimizer=keras.optimizers.SGD(0.1, momentum=0.9),
            discriminator_optimizer=keras.optimizers.SGD(0.1, momentum=0.9),
        )
        before = [keras.ops.convert_to_numpy(v) for v in model.generator.weights + model.discriminator.weights]
        model.fit(data[name], batch_size=BATCH, epochs=1, shuffle=False, verbose=0)
        for i, v in enumerate(model.generator.weights + model.discriminator.weights):
            result[f"{name}/{i}/{v.path}"] = keras.ops.convert_to_numpy(v)
            result[f"{name}/{i}/{v.path}/before"] = before[i]
    np.savez(out, **result)


if __name__ == "__main__":
    run(sys.argv[1])
