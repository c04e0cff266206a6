"""Train the evaluation classifiers shipped in ``keras_gans/metrics/assets``.

    python -m keras_gans.metrics.train_classifiers --dataset mnist \\
        --data-dir ../shared/datasets

For each dataset: train ``eval_classifier`` (Adam, cosine-decayed learning rate,
random translations of up to 2 px), measure its test accuracy, then write the
weights, the float64 feature statistics of the test and train splits, the test
split's features (float16, for KID / precision / recall / density), and a JSON
card with the sha256 of each file.

CIFAR-10 is shipped here as its test split only: the classifier trains on the
first 800 test images of each class and reports its accuracy on the other 200; the
reference statistics cover all 10,000 (the "test" split), and there are no
"train" statistics. The card says so.
"""

from __future__ import annotations

import argparse
import json
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras
import numpy as np

from keras_gans.data.datasets import load
from keras_gans.metrics.feature_nets import (
    ASSETS,
    DATASETS,
    asset_paths,
    classifier_features,
    eval_classifier,
    sha256,
)
from keras_gans.metrics.fid import feature_statistics

# Epochs that reach the targets of the evaluation issue (MNIST >= 99.3%,
# Fashion-MNIST >= 92%) on the first try; see each card for the measured accuracy.
EPOCHS = {"mnist": 6, "fashion_mnist": 12, "usps": 20, "cifar10": 30}
CIFAR_TRAIN = 8000


def _splits(dataset, data_dir):
    if dataset == "cifar10":
        x, y = load("cifar10", "test", data_dir=data_dir)
        # The file is sorted by class: hold out the last 20% of each class.
        rank = np.zeros(len(y), "int64")
        for k in np.unique(y):
            rank[y == k] = np.arange(int((y == k).sum()))
        per_class = CIFAR_TRAIN // len(np.unique(y))
        tr, te = rank < per_class, rank >= per_class
        return (x[tr], y[tr]), (x[te], y[te]), {"test": x}, \
            ("trained on the first 800 test images of each class, accuracy on the other "
             "200 of each; reference statistics over all 10,000 test images")
    xtr, ytr = load(dataset, "train", data_dir=data_dir)
    xte, yte = load(dataset, "test", data_dir=data_dir)
    return (xtr, ytr), (xte, yte), {"test": xte, "train": xtr}, "train split / test split"


def train(dataset, data_dir=None, epochs=None, seed=0, batch_size=128, out=None,
          width=32, feature_dim=128, learning_rate=2e-3):
    keras.utils.set_random_seed(seed)
    out = out or ASSETS
    os.makedirs(out, exist_ok=True)
    epochs = int(epochs or EPOCHS[dataset])
    (xtr, ytr), (xte, yte), ref_splits, protocol = _splits(dataset, data_dir)
    arch = {"width": width, "feature_dim": feature_dim}
    model = eval_classifier(DATASETS[dataset], **arch, seed=seed)
    trainer = keras.Sequential([
        keras.Input(DATASETS[dataset]),
        keras.layers.RandomTranslation(2 / DATASETS[dataset][0], 2 / DATASETS[dataset][1],
                                       fill_mode="constant", fill_value=-1.0, seed=seed),
        model,
    ])
    steps = epochs * int(np.ceil(len(xtr) / batch_size))
    trainer.compile(
        optimizer=keras.optimizers.Adam(
            keras.optimizers.schedules.CosineDecay(learning_rate, steps)),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    t0 = time.time()
    trainer.fit(xtr, ytr, batch_size=batch_size, epochs=epochs, verbose=2,
                validation_data=(xte, yte))
    train_time = time.time() - t0
    logits = model.predict(xte, batch_size=512, verbose=0)
    accuracy = float(np.mean(np.argmax(logits, -1) == yte))
    print(f"{dataset}: test accuracy {accuracy:.4f} after {epochs} epochs, "
          f"{train_time:.0f} s")

    paths = asset_paths(dataset, out)
    tmp = str(paths["weights"]) + ".tmp.weights.h5"
    model.save_weights(tmp)
    os.replace(tmp, paths["weights"])

    # Statistics with the saved weights, through the same code path users take.
    card = {"architecture": arch,
            "sha256": {paths["weights"].name: sha256(paths["weights"])}}
    with open(paths["card"], "w", encoding="utf-8") as f:
        json.dump(card, f)
    net = classifier_features(dataset, root=out)
    arrays = {}
    for split, x in ref_splits.items():
        mu, sigma, feats = feature_statistics(net, x, keep_features=(split == "test"))
        arrays[f"mu_{split}"], arrays[f"sigma_{split}"] = mu, sigma
        if split == "test":
            arrays["features_test"] = feats.astype("float16")
            arrays["probe_features"] = feats[:64].astype("float32")
    tmp = str(paths["stats"]) + ".tmp.npz"
    np.savez_compressed(tmp, **arrays)
    os.replace(tmp, paths["stats"])

    card.update({
        "dataset": dataset,
        "protocol": protocol,
        "test_accuracy": round(accuracy, 5),
        "num_test": len(xte),
        "epochs": epochs,
        "batch_size": batch_size,
        "learning_rate": learning_rate,
        "seed": seed,
        "backend": keras.backend.backend(),
        "keras": keras.__version__,
        "train_seconds": round(train_time, 1),
        "command": f"python -m keras_gans.metrics.train_classifiers --dataset {dataset} "
                   f"--epochs {epochs} --seed {seed}",
        "reference_splits": sorted(ref_splits),
        "sha256": {paths["weights"].name: sha256(paths["weights"]),
                   paths["stats"].name: sha256(paths["stats"])},
    })
    with open(paths["card"], "w", encoding="utf-8") as f:
        json.dump(card, f, indent=1)
    from keras_gans.metrics import feature_nets
    feature_nets._CACHE.clear()
    return card


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--dataset", required=True, choices=sorted(DATASETS))
    p.add_argument("--data-dir", default=None)
    p.add_argument("--epochs", type=int, default=None)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default=None, help="default: the package's assets folder")
    args = p.parse_args(argv)
    card = train(args.dataset, args.data_dir, args.epochs, args.seed, out=args.out)
    print(json.dumps({k: card[k] for k in ("dataset", "test_accuracy", "epochs",
                                           "train_seconds")}))


if __name__ == "__main__":
    main()
