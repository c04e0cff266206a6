"""Calibration: what FID, KID, precision/recall and density/coverage read for
image sets whose quality is known, so a user can read a number against it.

    python -m keras_gans.metrics.calibrate --dataset mnist --data-dir ../shared/datasets

Rows (all against the shipped reference statistics/features of the test split,
except the first, which is against the train split):

- real test images vs train statistics (near zero: the floor of the metric);
- real train images, 1k / 5k / 10k (how the numbers move with sample count);
- real train images blurred (Gaussian, sigma 1 px): a small, visible defect;
- one class only (mode collapse);
- uniform noise.

Prints a markdown table and writes JSON with ``--json``.
"""

from __future__ import annotations

import argparse
import json
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np

from keras_gans.data import load
from keras_gans.errors import GANInputError
from keras_gans.metrics import feature_nets as fn
from keras_gans.metrics.fid import (
    density_coverage,
    feature_statistics,
    frechet_distance,
    kernel_distance,
    precision_recall,
)


def _blur(x, sigma=1.0):
    from scipy.ndimage import gaussian_filter

    return gaussian_filter(x, sigma=(0, sigma, sigma, 0)).astype("float32")


def calibrate(dataset, data_dir=None, seed=0):
    dataset = fn.check_dataset(dataset)
    net = fn.classifier_features(dataset)
    rng = np.random.default_rng(seed)
    x_test, y_test = load(dataset, "test", data_dir=data_dir)
    try:
        x_train, _ = load(dataset, "train", data_dir=data_dir)
    except GANInputError:  # CIFAR-10 ships its test split only
        x_train = None
    mu_t, sig_t = fn.load_reference_stats(dataset, "test")
    real_t = fn.load_reference_features(dataset, "test")

    pool = x_train if x_train is not None else x_test
    order = rng.permutation(len(pool))
    sets = []
    if x_train is not None:
        sets.append(("real test vs train statistics", x_test, "train"))
        for n in (1000, 5000, 10000):
            if n <= len(pool):
                sets.append((f"real train, {n // 1000}k", pool[order[:n]], "test"))
    big = pool[order[:min(10000, len(pool))]]
    sets.append((f"real train blurred (sigma 1 px), {len(big) // 1000}k", _blur(big), "test"))
    cls = int(np.bincount(y_test).argmax())
    sets.append((f"one class only (class {cls} of test)", x_test[y_test == cls], "test"))
    sets.append(("uniform noise, 10k",
                 rng.uniform(-1, 1, (10000, *x_test.shape[1:])).astype("float32"), "test"))

    rows = []
    for label, images, ref in sets:
        mu, sigma, feats = feature_statistics(net, images, keep_features=True)
        row = {"images": label, "n": len(images), "reference": ref}
        if ref == "train":
            mu_r, sig_r = fn.load_reference_stats(dataset, "train")
            row["fid"] = frechet_distance(mu, sigma, mu_r, sig_r)
        else:
            row["fid"] = frechet_distance(mu, sigma, mu_t, sig_t)
            size = min(1000, len(feats))
            row["kid"] = kernel_distance(real_t, feats, 50, size, seed)[0]
            row["precision"], row["recall"] = precision_recall(real_t, feats)
            row["density"], row["coverage"] = density_coverage(real_t, feats)
        rows.append(row)
        print(f"{label}: {row}", flush=True)
    return rows


def markdown(dataset, rows):
    cols = ["fid", "kid", "precision", "recall", "density", "coverage"]
    out = [f"| {dataset}: images | n | vs | " + " | ".join(cols) + " |",
           "| --- | ---: | --- | " + " | ".join("---:" for _ in cols) + " |"]
    for r in rows:
        cells = [f"{r[c]:.4g}" if c in r else "" for c in cols]
        out.append(f"| {r['images']} | {r['n']} | {r['reference']} | " + " | ".join(cells) + " |")
    return "\n".join(out)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--dataset", required=True, choices=sorted(fn.DATASETS))
    p.add_argument("--data-dir", default=None)
    p.add_argument("--json", default=None)
    args = p.parse_args(argv)
    rows = calibrate(args.dataset, args.data_dir)
    print(markdown(args.dataset, rows))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(rows, f, indent=1)


if __name__ == "__main__":
    main()
