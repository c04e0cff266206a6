"""BiGAN or adversarial autoencoder on MNIST, measured by its codes.

Trains the model on the MNIST training split with ``keras_gans.training.train``
(a run folder that a rerun of the same command resumes, ``history.json``, a
wall-clock budget per call) and measures, before training and after every epoch:

- ``linear_probe``: test accuracy of a logistic-regression classifier trained
  on the codes E(x) of ``--probe-train`` training images
  (``keras_gans.metrics.linear_probe_accuracy``);
- ``knn1``: the same with a 1-nearest-neighbour classifier;
- ``reconstruction_mse``: mean squared error of the reconstructions on the test
  split in [-1, 1] (AAE: decoder(encoder(x)); BiGAN: G(E(x)));
- the quick FID (2,000 samples against the test split, the zoo's selection
  protocol), to see the trend.

Raw pixels under the same probes are printed as the reference point.

Usage (stops after the epoch in which 40 minutes end; the same command again
continues the run in ``--run-dir`` towards ``--epochs``):
    KERAS_BACKEND=tensorflow python zoo/recipes/encoders_mnist.py --variant aae \
        --epochs 80 --minutes 40 --data-dir ../shared/datasets --run-dir runs/aae

``--preset zoo/aae_mnist`` also writes the trained model as a zoo preset, with
the probes above and the zoo protocol's sample metrics (10,000 generated
samples against the MNIST test split) in its card. The last epoch is kept
(the probes are measured on the test split, so choosing by them would fit the
test set).
"""

from __future__ import annotations

import argparse
import json
import os

import keras
import numpy as np

from keras_gans.data import EpochShuffled, load
from keras_gans.metrics import knn_accuracy, linear_probe_accuracy, reconstruction_error
from keras_gans.models import AdversarialAutoencoder, BiGAN
from keras_gans.training import train


def build(variant, latent_dim, seed, ema_decay=None):
    cls = BiGAN if variant == "bigan" else AdversarialAutoencoder
    return cls(data_shape=(28, 28, 1), latent_dim=latent_dim, seed=seed, ema_decay=ema_decay)


class Probes(keras.callbacks.Callback):
    """After every epoch: the codes' linear probe and 1-NN accuracy, the test
    reconstruction error and the quick FID (2,000 samples, the zoo's selection
    protocol), added to the epoch's logs (``history.json`` keeps them)."""

    def __init__(self, probe_train, test):
        super().__init__()
        (self.x_pr, self.y_pr), (self.x_te, self.y_te) = probe_train, test

    def measure(self, model):
        from train_preset import QUICK_SEED

        from keras_gans.metrics import evaluate

        c_tr, c_te = model.encode(self.x_pr), model.encode(self.x_te)
        fid = evaluate(model, "mnist", ["fid"], n=2000, seed=QUICK_SEED)
        return {
            "linear_probe": linear_probe_accuracy(c_tr, self.y_pr, c_te, self.y_te),
            "knn1": knn_accuracy(c_tr, self.y_pr, c_te, self.y_te),
            "reconstruction_mse": reconstruction_error(self.x_te, model.reconstruct(self.x_te)),
            **fid,
        }

    def on_epoch_end(self, epoch, logs=None):
        row = self.measure(self.model)
        if logs is not None:
            logs.update(row)
        print({"epoch": epoch + 1, **{k: round(float(v), 4) for k, v in row.items()}},
              flush=True)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--variant", choices=("bigan", "aae"), default="aae")
    p.add_argument("--data-dir", default="../shared/datasets")
    p.add_argument("--epochs", type=int, default=1000,
                   help="train up to this epoch (a rerun resumes towards it)")
    p.add_argument("--minutes", type=float, default=None,
                   help="this call's wall-clock budget (stops after the epoch it ends in)")
    p.add_argument("--batch-size", type=int, default=100)
    p.add_argument("--latent-dim", type=int, default=None,
                   help="default: 50 (BiGAN, the paper's) or 8 (AAE)")
    p.add_argument("--probe-train", type=int, default=10000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--ema-decay", type=float, default=None,
                   help="sample from a moving average of the decoder (generator), e.g. "
                        "0.999; not in the papers")
    p.add_argument("--run-dir", default=None,
                   help="checkpoints and history (default runs/encoders/<variant>); a rerun "
                        "of the same command resumes from it")
    p.add_argument("--fresh", action="store_true",
                   help="start over: replace the run in --run-dir")
    p.add_argument("--json", default=None)
    p.add_argument("--weights", default=None)
    p.add_argument("--preset", default=None, help="write a zoo preset folder here")
    p.add_argument("--overwrite", action="store_true", help="replace an existing --preset")
    args = p.parse_args(argv)
    if args.preset and os.path.exists(os.path.join(args.preset, "metadata.json")) \
            and not args.overwrite:
        p.error(f"{args.preset} already holds a preset; pass --overwrite to replace it")
    run_dir = args.run_dir or os.path.join("runs", "encoders", args.variant)
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
    }
    print({k: v for k, v in result.items() if k != "args"}, flush=True)

    model = build(args.variant, latent_dim, args.seed, args.ema_decay)
    model.compile()
    probes = Probes((x_pr, y_pr), (x_te, y_te))
    result["untrained"] = probes.measure(model)
    print("untrained", result["untrained"], flush=True)
    data = EpochShuffled(x, batch_size=args.batch_size, seed=args.seed)
    run = train(model, data, run_dir, epochs=args.epochs, resume=not args.fresh,
                overwrite=args.fresh, measures=[probes], minutes=args.minutes, verbose=2)
    result["history"] = run.history
    t_train = sum(h["seconds"] for h in run.history)
    if args.preset:
        # stored as float16: measure the rounded weights, which are what ships
        from keras_gans.presets import round_weights

        round_weights(model, "float16")
    result["final"] = {"epoch": run.history[-1]["epoch"], "train_s": round(t_train, 1),
                       **probes.measure(model)}
    if args.weights:
        model.save_weights(args.weights)
    if args.json:
        os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
        with open(args.json, "w") as f:
            json.dump(result, f, indent=2, default=float)
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
    # the BiGAN paper's protocol (Donahue et al. 2017, Table 1): 1-NN of the test
    # codes against the codes of the whole train split
    x, y = load("mnist", data_dir=args.data_dir)
    x_te, y_te = load("mnist", split="test", data_dir=args.data_dir)
    metrics["knn1_mnist_codes_train60k_test_10k"] = knn_accuracy(
        model.encode(x), y, model.encode(x_te), y_te)
    quick = evaluate(model, "mnist", ["fid"], n=2000, seed=QUICK_SEED)
    name = os.path.basename(os.path.normpath(args.preset))
    paper = {"bigan": "Donahue et al. 2017, Adversarial Feature Learning",
             "aae": "Makhzani et al. 2015, Adversarial Autoencoders"}[args.variant]
    epochs = final["epoch"]
    meta = {
        "description": {"bigan": "BiGAN, 50-D uniform code, MLP players",
                        "aae": "adversarial autoencoder, 8-D Gaussian prior"}[args.variant]
                       + ("; samples from a generator EMA "
                          f"({args.ema_decay:g}), not in the paper" if args.ema_decay else "")
                       + "; mnist",
        "dataset": "mnist", "dataset_split": "train", "dataset_license": LICENSES["mnist"],
        "paper": paper,
        "recipe": f"KERAS_BACKEND={keras.backend.backend()} python zoo/recipes/encoders_mnist.py "
                  f"--variant {args.variant} --epochs {epochs} --batch-size "
                  f"{args.batch_size} --seed {args.seed} --data-dir ../shared/datasets "
                  + (f"--ema-decay {args.ema_decay:g} " if args.ema_decay else "") +
                  f"--preset zoo/{name}",
        "settings": {"latent_dim": result["latent_dim"], "batch_size": args.batch_size,
                     "seed": args.seed, "epochs": epochs, "ema_decay": args.ema_decay},
        "backend": keras.backend.backend(), "keras": keras.__version__,
        "hardware": hardware(), "wall_time_s": round(train_seconds, 1),
        "epochs_trained": epochs, "best_epoch": epochs, "seed": args.seed,
        "selection": {"metric": next(iter(quick)), "value": float(next(iter(quick.values()))),
                      "n": 2000, "seed": QUICK_SEED, "epoch": epochs,
                      "note": "the last epoch is kept; this is its FID"},
        "reference": {"raw_pixels_linear_probe": result["raw_pixels_linear_probe"],
                      "raw_pixels_knn1": result["raw_pixels_knn1"]},
        "metrics": {k: round(float(v), 6) for k, v in metrics.items()},
        "untrained": {k: round(float(v), 4) for k, v in result["untrained"].items()},
        "history": result["history"],
    }
    save_to_preset(model, args.preset, metadata=meta, overwrite=args.overwrite,
                   weights_dtype="float16")
    print(json.dumps(meta["metrics"], indent=1))


if __name__ == "__main__":
    main()
