"""Helper for test_cross_backend.py: save a trained model on one backend, or load
it on another and record its outputs. Usage: cross_backend_weights.py save|load DIR"""

import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import keras

import keras_gans


def build(seed):
    keras.utils.set_random_seed(seed)
    return keras_gans.DCGAN(data_shape=(28, 28, 1), latent_dim=16, filters=8,
                            discriminator_options={"spectral_norm": True}, seed=seed)


def outputs(model):
    rng = np.random.default_rng(0)
    z = rng.normal(size=(4, 16)).astype("float32")
    x = rng.uniform(-1, 1, size=(4, 28, 28, 1)).astype("float32")
    return {
        "g": keras.ops.convert_to_numpy(model.generator(z, training=False)),
        "d": keras.ops.convert_to_numpy(model.discriminator(x, training=False)),
    }


def main(mode, directory):
    if mode == "save":
        model = build(0)
        model.compile()
        x = keras_gans.data.load_digits(28)[0][:32]
        model.fit(x, batch_size=16, epochs=1, verbose=0)  # non-trivial BN / SN statistics
        model.save_weights(os.path.join(directory, "model.weights.h5"))
        model.save(os.path.join(directory, "model.keras"))
        np.savez(os.path.join(directory, "saved.npz"), **outputs(model))
    else:
        fresh = build(1)  # different initial weights: loading must replace them all
        fresh.load_weights(os.path.join(directory, "model.weights.h5"))
        loaded = keras.saving.load_model(os.path.join(directory, "model.keras"))
        result = {f"weights_{k}": v for k, v in outputs(fresh).items()}
        result.update({f"keras_{k}": v for k, v in outputs(loaded).items()})
        result["unloaded_g"] = outputs(build(1))["g"]
        np.savez(os.path.join(directory, f"loaded_{keras.backend.backend()}.npz"), **result)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
