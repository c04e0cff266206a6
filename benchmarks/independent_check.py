"""MNIST presets judged without any network we trained: 1-NN in pixel space.

The zoo's numbers come from our shipped MNIST classifier; a generator could in
principle please that network and no other. This measures, for each preset:

- ``knn_accuracy``: for a conditional model, the fraction of samples whose
  nearest MNIST train image (Euclidean, raw pixels, all 60k) has the requested
  label; real test images score the same way as the reference;
- ``nn_distance_median`` / ``nn_distance_p5``: distance of samples to their
  nearest train image, next to the same for real test images (samples much
  nearer than real test images would be copies of the train set).

Usage::

    KERAS_BACKEND=tensorflow python benchmarks/independent_check.py conditional_gan_mnist \\
        --data-dir ../shared/datasets --out benchmarks/results/independent_check.json
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)


class PixelNeighbours:
    """Nearest MNIST train image of each sample, by Euclidean distance in pixels."""

    def __init__(self, x_train, y_train, chunk=1000):
        self.a = x_train.reshape(len(x_train), -1).astype("float32")
        self.a_sq = (self.a * self.a).sum(1)
        self.y = np.asarray(y_train)
        self.chunk = chunk

    def __call__(self, x):
        """(labels of the nearest train images, their distances)."""
        x = np.asarray(x, "float32").reshape(len(x), -1)
        labels, dists = [], []
        for s in range(0, len(x), self.chunk):
            b = x[s : s + self.chunk]
            d = self.a_sq[None, :] - 2.0 * b @ self.a.T + (b * b).sum(1)[:, None]
            idx = d.argmin(1)
            labels.append(self.y[idx])
            dists.append(np.sqrt(np.maximum(d[np.arange(len(b)), idx], 0.0)))
        return np.concatenate(labels), np.concatenate(dists)


def summary(pred, dist, labels=None):
    out = {"nn_distance_median": round(float(np.median(dist)), 3),
           "nn_distance_p5": round(float(np.percentile(dist, 5)), 3)}
    if labels is not None:
        out["knn_accuracy"] = round(float(np.mean(pred == labels)), 4)
        out["knn_accuracy_per_class"] = [round(float(np.mean(pred[labels == c] == c)), 3)
                                         for c in range(int(labels.max()) + 1)]
    return out


def main(argv=None):
    from keras_gans.data import load
    from keras_gans.presets import from_preset

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("presets", nargs="+", help="zoo names or preset folders (MNIST models)")
    p.add_argument("--data-dir", default=os.path.join(ROOT, "..", "shared", "datasets"))
    p.add_argument("--n", type=int, default=5000)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--train-n", type=int, default=None, help="fewer train images (tests)")
    p.add_argument("--out", default=None, help="write the results here as JSON")
    args = p.parse_args(argv)
    x_train, y_train = load("mnist", "train", data_dir=args.data_dir)
    x_test, y_test = load("mnist", "test", data_dir=args.data_dir)
    if args.train_n:
        x_train, y_train = x_train[: args.train_n], y_train[: args.train_n]
    neighbours = PixelNeighbours(x_train, y_train)
    start = time.time()
    results = {"protocol": "1-NN, Euclidean, raw pixels in [-1, 1], against "
                           f"{len(x_train)} MNIST train images; {args.n} samples, seed "
                           f"{args.seed}, balanced labels",
               "real_test": summary(*neighbours(x_test[: args.n]), y_test[: args.n])}
    for name in args.presets:
        model = from_preset(name)
        labels = None
        if getattr(model, "num_classes", None):
            labels = np.arange(args.n) % model.num_classes
        x = model.generate(args.n, labels=labels, seed=args.seed)
        results[os.path.basename(os.path.normpath(name))] = summary(*neighbours(x), labels)
        print(name, results[os.path.basename(os.path.normpath(name))], flush=True)
    results["seconds"] = round(time.time() - start, 1)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as f:
            json.dump(results, f, indent=1)
    print(json.dumps(results, indent=1))
    return results


if __name__ == "__main__":
    main()
