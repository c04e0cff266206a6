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

``--preset zoo/aae_mnist`` also writes the trained model as a zoo preset, with
the probes above and the zoo protocol's sample metrics (10,000 generated
samples against the MNIST test split) in its card. The last chunk is kept
(the probes are measured on the test split, so choosing by them would fit the
test set).
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
    p.add_argument("--preset", default=None, help="write a zoo preset folder here")
    p.add_argument("--overwrite", action="store_true", help="replace an existing --preset")
    args = p.parse_args(argv)
    if args.preset and os.path.exists(os.path.join(args.preset, "metadata.json")) \
            and not args.overwrite:
        p.error(f"{args.preset} already holds a preset; pass --overwrite to replace it")
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
    if args.preset:
        # stored as float16: measure the rounded weights, which are what ships
        from keras_gans.presets import round_weights

        round_weights(model, "float16")
        result["history"].pop()
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
    if args.preset:
        write_preset(model, args, result, t_train)


def write_preset(model, args, result, train_seconds):
    from train_preset import LICENSES, QUICK_SEED, hardware

    from keras_gans.metrics import evaluate
    from keras_gans.presets import save_to_preset

    final = result["final"]
    metrics = evaluate(model, "mnist", ["fid", "kid", "pr", "dc", "is", "class_coverage",
                                         "class_kl"], n=10_000, seed=0)
    probe = f"codes_train{args.probe_train // 1000}k_test_10k"
    metrics.update({
        f"linear_probe_mnist_{probe}": final["linear_probe"],
        f"knn1_mnist_{probe}": final["knn1"],
        "reconstruction_mse_mnist_test_10k": final["reconstruction_mse"],
    })
    quick = evaluate(model, "mnist", ["fid"], n=2000, seed=QUICK_SEED)
    name = os.path.basename(os.path.normpath(args.preset))
    paper = {"bigan": "Donahue et al. 2017, Adversarial Feature Learning",
             "aae": "Makhzani et al. 2015, Adversarial Autoencoders"}[args.variant]
    epochs = final["epoch"]
    meta = {
        "description": {"bigan": "BiGAN, 50-D uniform code, MLP players",
                        "aae": "adversarial autoencoder, 8-D Gaussian prior"}[args.variant]
                       + "; mnist",
        "dataset": "mnist", "dataset_split": "train", "dataset_license": LICENSES["mnist"],
        "paper": paper,
        "recipe": f"KERAS_BACKEND={keras.backend.backend()} python zoo/recipes/encoders_mnist.py "
                  f"--variant {args.variant} --minutes {args.minutes:g} --batch-size "
                  f"{args.batch_size} --seed {args.seed} --data-dir ../shared/datasets "
                  f"--preset zoo/{name}",
        "settings": {"latent_dim": result["latent_dim"], "batch_size": args.batch_size,
                     "seed": args.seed, "minutes": args.minutes},
        "backend": keras.backend.backend(), "keras": keras.__version__,
        "hardware": hardware(), "wall_time_s": round(train_seconds, 1),
        "epochs_trained": epochs, "best_epoch": epochs, "seed": args.seed,
        "selection": {"metric": next(iter(quick)), "value": float(next(iter(quick.values()))),
                      "n": 2000, "seed": QUICK_SEED, "epoch": epochs,
                      "note": "the last epoch is kept; this is its FID"},
        "reference": {"raw_pixels_linear_probe": result["raw_pixels_linear_probe"],
                      "raw_pixels_knn1": result["raw_pixels_knn1"]},
        "metrics": {k: round(float(v), 6) for k, v in metrics.items()},
        "history": result["history"][1:],
    }
    save_to_preset(model, args.preset, metadata=meta, overwrite=args.overwrite,
                   weights_dtype="float16")
    print(json.dumps(meta["metrics"], indent=1))


if __name__ == "__main__":
    main()
