"""Reconstruction MSE of keras_gans.project on the first 64 MNIST test digits
with the dcgan_mnist preset, against the random-z baseline (generate(seed)).

    KERAS_BACKEND=tensorflow python benchmarks/projection_mnist.py ../shared/datasets/mnist.npz
"""

import json
import sys
import time

import numpy as np

import keras_gans


def main(path, steps_list=(50, 200, 500), n=64):
    with np.load(path) as f:
        x = (f["x_test"][:n].astype("float32") / 127.5 - 1.0)[..., None]
    model = keras_gans.presets.from_preset("dcgan_mnist")
    rows = []
    base = np.mean((model.generate(n, seed=123) - x) ** 2, axis=(1, 2, 3))
    rows.append({"method": "random z (generate, seed 123)", "mse": float(base.mean())})
    for dataset, weight in ((None, 0.0), ("mnist", 0.1)):
        for steps in steps_list:
            for restarts in (1, 4) if steps == 200 else (1,):
                t = time.time()
                r = keras_gans.project(model, x, steps=steps, restarts=restarts,
                                       dataset=dataset, feature_weight=weight, seed=0)
                rows.append({
                    "method": f"project, {'pixels' if dataset is None else 'pixels+features'}",
                    "steps": steps, "restarts": restarts, "mse": float(r.mse.mean()),
                    "mse_median": float(np.median(r.mse)),
                    "start_mse": float(r.initial_mse.mean()),
                    "feature_distance": None if r.feature_distance is None
                    else float(r.feature_distance.mean()),
                    "seconds": round(time.time() - t, 1),
                })
                print(json.dumps(rows[-1]), flush=True)
    print(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main(sys.argv[1])
