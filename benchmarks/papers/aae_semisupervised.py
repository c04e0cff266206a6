"""The adversarial autoencoder paper's MNIST tables (Makhzani et al. 2015,
section 5, semi-supervised classification; section 6, unsupervised
clustering), on keras_gans.SemiSupervisedAAE.

Rows: ``--labels 100`` / ``1000`` / ``all`` (semi-supervised; the labelled
images are balanced, ``labels / 10`` per class, drawn with ``--seed``), or
``--clusters 16`` / ``30`` (no labels). Protocol: test error on the 10,000
MNIST test images; a semi-supervised model is read by ``classify`` (argmax of
q(y|x)); a clustering model by ``keras_gans.metrics.cluster_accuracy`` (each
cluster takes the label most frequent among its test images: the issue's
protocol; the paper assigns each cluster the label of the validation image
with the highest q(y|x)). The error after every epoch lands in the run
folder's ``history.json``; the last epoch's is the row (no selection on the
test set).

Defaults: the paper's networks (MLPs of two hidden layers of 1000 units; here
LeakyReLU 0.2), style z of 10 dimensions (5 for clustering), batch 100 with 100
labelled images added to each batch (the paper's separate labelled minibatch),
Adam(2e-4, β1 0.5) for every player instead of the paper's hand-tuned SGD
schedules.

Usage (resumes from ``--run-dir`` when run again; ``--minutes`` is this
call's budget)::

    taskset -c 1 env KERAS_BACKEND=tensorflow python benchmarks/papers/aae_semisupervised.py \\
        --labels 1000 --epochs 200 --minutes 30 --run-dir runs/aae_ss_1000

appends its row to ``benchmarks/results/aae_semisupervised.csv``. ``--tiny``
trains one epoch on 600 images into ``--run-dir``: it checks that the runner
works, not the numbers. ``--clusters K --kmeans`` writes the clustering rows'
reference instead: k-means on the raw pixels, read by the same protocol.
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, ROOT)

PAPER = {  # MNIST test error %, Makhzani et al. 2015, Tables 2 and 3
    "100": 1.90, "1000": 1.60, "all": 0.85, "clusters16": 9.55, "clusters30": 4.10,
}
CSV = os.path.join(ROOT, "benchmarks", "results", "aae_semisupervised.csv")


def balanced_labels(y, per_class, seed):
    """y with ``per_class`` labels kept in each class (drawn with ``seed``), -1 elsewhere."""
    rng = np.random.default_rng(seed)
    keep = np.concatenate([rng.choice(np.flatnonzero(y == c), per_class, replace=False)
                           for c in np.unique(y)])
    out = np.full_like(y, -1)
    out[keep] = y[keep]
    return out


def parser():
    """The runner's arguments (``zoo/recipes/aae_semisupervised_mnist.py`` adds its own)."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    row = p.add_mutually_exclusive_group(required=True)
    row.add_argument("--labels", choices=("100", "1000", "all"))
    row.add_argument("--clusters", type=int)
    p.add_argument("--data-dir", default=os.path.join(ROOT, "..", "shared", "datasets"))
    p.add_argument("--epochs", type=int, default=100)
    p.add_argument("--minutes", type=float, default=None)
    p.add_argument("--batch-size", type=int, default=100)
    p.add_argument("--latent-dim", type=int, default=None,
                   help="style z (default 10; 5 for clustering)")
    p.add_argument("--input-noise", type=float, default=0.0,
                   help="σ of Gaussian noise on the encoder's input in training (images in "
                        "[-1, 1]); 0 = the paper's setting. The CSV's row says it.")
    p.add_argument("--reconstruction-weight", type=float, default=1.0,
                   help="scale of the reconstruction loss (the encoder's one Adam serves "
                        "three phases, so this sets the phases' balance); the CSV's row "
                        "says it when not 1")
    p.add_argument("--ema-decay", type=float, default=None,
                   help="moving averages of the encoder and decoder (classify reads the "
                        "encoder's); the error of the trained encoder is logged beside it "
                        "as test_error_percent_raw. Not in the paper; the CSV's row says it.")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--run-dir", help="the run folder (required to train; a rerun resumes it)")
    p.add_argument("--csv", default=CSV)
    p.add_argument("--tiny", action="store_true")
    p.add_argument("--kmeans", action="store_true",
                   help="with --clusters K: no model; the reference row of k-means (K "
                        "clusters, scikit-learn, 3 seeds) on the raw train pixels, read "
                        "by the same cluster_accuracy on the test images")
    return p


def checked(p, args):
    """``args``, or the parser's error for a combination it cannot run."""
    if args.kmeans and args.clusters is None:
        p.error("--kmeans is the clustering rows' reference: pass --clusters K with it")
    if not args.kmeans and not args.run_dir:
        p.error("--run-dir is required to train (a rerun resumes it)")
    return args


def kmeans_reference(args, seeds=(0, 1, 2)):
    """The clustering rows' floor: k-means on raw pixels under the same protocol."""
    from sklearn.cluster import KMeans

    from keras_gans.data import load
    from keras_gans.metrics import cluster_accuracy

    x, _ = load("mnist", data_dir=args.data_dir)
    x_te, y_te = load("mnist", split="test", data_dir=args.data_dir)
    if args.tiny:
        x, x_te, y_te = x[:600], x_te[:200], y_te[:200]
    start = time.time()
    errors = [100.0 * (1.0 - cluster_accuracy(
        KMeans(args.clusters, n_init=1, random_state=s, max_iter=100)
        .fit(x.reshape(len(x), -1)).predict(x_te.reshape(len(x_te), -1)), y_te))
        for s in seeds]
    return {"row": f"clusters{args.clusters} k-means on pixels (mean of seeds "
                   f"{', '.join(map(str, seeds))})",
            "backend": "scikit-learn", "seed": seeds[0], "epochs": "", "steps": "",
            "train_seconds": round(time.time() - start, 1),
            "test_error_percent": round(float(np.mean(errors)), 2),
            "paper_error_percent": PAPER.get(f"clusters{args.clusters}"),
            "this_call_seconds": round(time.time() - start)}


def row_options(args):
    """The settings that differ from the paper's, as the row label and the card say them."""
    return (([f"latent_dim={args.latent_dim}"] if args.latent_dim else [])
            + ([f"input_noise={args.input_noise:g}"] if args.input_noise else [])
            + ([f"reconstruction_weight={args.reconstruction_weight:g}"]
               if args.reconstruction_weight != 1 else [])
            + ([f"ema_decay={args.ema_decay:g}"] if args.ema_decay else []))


def train_row(args):
    """Train (or resume) one row's model in ``args.run_dir``; returns
    ``(model, run, result, test_error)``: the trained model, the training
    record, the row (test error after the last epoch, steps, wall time) and the
    protocol itself (``test_error()`` measures the model's weights as they are
    now, in %; ``ema=False``: the trained encoder, not its average)."""
    import keras

    from keras_gans import SemiSupervisedAAE
    from keras_gans.data import EpochShuffled, SemiSupervisedBatches, load
    from keras_gans.metrics import cluster_accuracy
    from keras_gans.training import train

    keras.utils.set_random_seed(args.seed)
    x, y = load("mnist", data_dir=args.data_dir)
    x_te, y_te = load("mnist", split="test", data_dir=args.data_dir)
    if args.tiny:
        x, y, x_te, y_te = x[:600], y[:600], x_te[:200], y_te[:200]
    clustering = args.clusters is not None
    k = args.clusters if clustering else 10
    model = SemiSupervisedAAE(data_shape=x.shape[1:], num_classes=k,
                              latent_dim=args.latent_dim or (5 if clustering else 10),
                              input_noise=args.input_noise,
                              reconstruction_weight=args.reconstruction_weight,
                              ema_decay=args.ema_decay, seed=args.seed)
    model.compile()
    if clustering:
        data, name = EpochShuffled(x, batch_size=args.batch_size, seed=args.seed), \
            f"clusters{k}"
    else:
        labelled = y if args.labels == "all" else balanced_labels(
            y, max(1, int(args.labels) // 10), args.seed)
        data = SemiSupervisedBatches(x, labelled, batch_size=args.batch_size, seed=args.seed)
        name = args.labels

    def test_error(predicted=None, ema=True):
        predicted = model.classify(x_te, ema=ema) if predicted is None else predicted
        acc = (cluster_accuracy(predicted, y_te) if clustering
               else float(np.mean(predicted == y_te)))
        return 100.0 * (1.0 - acc)

    class TestError(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            predicted = model.classify(x_te)
            logs["test_error_percent"] = test_error(predicted)
            # the classes (clusters) that hold at least 1 % of the test images: a
            # collapsed categorical code shows here first
            logs["classes_used"] = int(np.sum(np.bincount(predicted, minlength=k)
                                              >= 0.01 * len(predicted)))
            if args.ema_decay:  # the trained encoder, beside its average
                logs["test_error_percent_raw"] = test_error(ema=False)

    start = time.time()
    run = train(model, data, args.run_dir, epochs=1 if args.tiny else args.epochs,
                resume=True, measures=[TestError()], minutes=args.minutes, verbose=2)
    last = run.history[-1]
    result = {
        "row": " ".join([name] + row_options(args)),
        "backend": keras.backend.backend(), "seed": args.seed,
        "epochs": last["epoch"], "steps": sum(int(h["steps"]) for h in run.history),
        "train_seconds": round(sum(h["seconds"] for h in run.history), 1),
        "test_error_percent": round(last["test_error_percent"], 2),
        "paper_error_percent": PAPER.get(name), "this_call_seconds": round(time.time() - start),
    }
    return model, run, result, test_error


def main(argv=None):
    p = parser()
    args = checked(p, p.parse_args(argv))
    result = kmeans_reference(args) if args.kmeans else train_row(args)[2]
    print(result)
    if not args.tiny:
        new = not os.path.exists(args.csv)
        os.makedirs(os.path.dirname(args.csv), exist_ok=True)
        with open(args.csv, "a", newline="", encoding="utf-8") as f:
            writer = csv.DictWriter(f, fieldnames=list(result))
            if new:
                writer.writeheader()
            writer.writerow(result)
    return result


if __name__ == "__main__":
    main()
