"""BiGAN or adversarial autoencoder on MNIST, measured by its codes.

Trains the model for a wall-clock budget on the MNIST training split and
measures, before training and after every chunk:

- ``linear_probe``: test accuracy of a logistic-regression classifier trained
  on the codes E(x) of ``--probe-train`` training images
  (``keras_gans.metrics.linear_probe_accuracy``);
- ``knn1``: the same with a 1-nearest-neighbour classifier;
- ``reconstruction_mse``: mean squared error of the reconstructions on the test
  split in [-1, 1] (AAE: decoder(encoder(x)); BiGAN: G(E(x))).

Raw pixels under the same probes are printed as the reference point.

Usage:
    KERAS_BACKEND=jax python zoo/recipes/encoders_mnist.py --variant aae \\
        --minutes 6 --data-dir ../shared/datasets --json runs/aae_mnist.json
"""

from __future__ import annotations

import argparse
import json
import os
import time

import keras
import numpy as np

from keras_gans.data import load
from keras_gans.metrics import knn_accuracy, linear_probe_accuracy, reconstruction_error
from keras_gans.models import AdversarialAutoencoder, BiGAN


def build(variant, latent_dim, seed):
    if variant == "bigan":
        return BiGAN(data_shape=(28, 28, 1), latent_dim=latent_dim, seed=seed)
    return AdversarialAutoencoder(data_shape=(28, 28, 1), latent_dim=latent_dim, seed=seed)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--variant", choices=("bigan", "aae"), default="aae")
    p.add_argument("--data-dir", default="../shared/datasets")
    p.add_argument("--minutes", type=float, default=6.0, help="training wall-clock budget")
    p.add_argument("--batch-size", type=int, default=100)
    p.add_argument("--chunk-epochs", type=int, default=1)
    p.add_argument("--latent-dim", type=int, default=None,
                   help="default: 50 (BiGAN, the paper's) or 8 (AAE)")
    p.add_argument("--probe-train", type=int, default=10000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", default=None)
    p.add_argument("--weights", default=None)
    args = p.parse_args(argv)
    keras.utils.set_random_seed(args.seed)
    latent_dim = args.latent_dim or (50 if args.variant == "bigan" else 8)

    x, y = load("mnist", data_dir=args.data_dir)
    x_te, y_te = load("mnist", split="test", data_dir=args.data_dir)
    x_pr, y_pr = x[: args.probe_train], y[: args.probe_train]
    flat = lambda a: a.reshape(len(a), -1)
    result = {
        "variant": args.variant,
        "backend": keras.backend.backend(),
        "latent_dim": latent_dim,
        "args": vars(args),
        "raw_pixels_linear_probe": linear_probe_accuracy(flat(x_pr), y_pr, flat(x_te), y_te),
        "raw_pixels_knn1": knn_accuracy(flat(x_pr), y_pr, flat(x_te), y_te),
        "history": [],
    }
    print({k: v for k, v in result.items() if k not in ("args", "history")}, flush=True)

    model = build(args.variant, latent_dim, args.seed)
    model.compile()

    def measure(epoch, elapsed):
        c_tr, c_te = model.encode(x_pr), model.encode(x_te)
        row = {
            "epoch": epoch,
            "train_s": round(elapsed, 1),
            "linear_probe": linear_probe_accuracy(c_tr, y_pr, c_te, y_te),
            "knn1": knn_accuracy(c_tr, y_pr, c_te, y_te),
            "reconstruction_mse": reconstruction_error(x_te, model.reconstruct(x_te)),
        }
        result["history"].append(row)
        print(row, flush=True)

    measure(0, 0.0)
    budget, t_train, epochs = 60 * args.minutes, 0.0, 0
    while t_train < budget:
        t0 = time.time()
        history = model.fit(x, batch_size=args.batch_size, epochs=args.chunk_epochs,
                            verbose=0)
        t_train += time.time() - t0
        epochs += args.chunk_epochs
        print({k: round(float(v[-1]), 4) for k, v in history.history.items()}, flush=True)
        measure(epochs, t_train)
    result["final"] = result["history"][-1]
    if args.weights:
        model.save_weights(args.weights)
    if args.json:
        os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
        with open(args.json, "w") as f:
            json.dump(result, f, indent=2)
    # A look at the reconstructions: test digits over their reconstructions.
    from keras_gans.images import save_grid

    if args.json:
        grid = np.concatenate([x_te[:16], model.reconstruct(x_te[:16])])
        save_grid(grid, os.path.splitext(args.json)[0] + "_reconstructions.png", cols=16)
    print("final", result["final"])


if __name__ == "__main__":
    main()
