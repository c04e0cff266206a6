"""BiGAN's feature table (Donahue et al. 2017, "Adversarial Feature Learning",
Table 1): 1-nearest-neighbour accuracy on permutation-invariant MNIST in a
learned feature space, on keras_gans.

Protocol, as the paper's reference code measures it (jeffdonahue/bigan,
``train_gan.py``'s ``eval_and_disp``): a 1-NN classifier with Euclidean
distance, the 10,000 test images against the train images (all 60,000 here),
in two feature spaces of the encoder:

- ``codes``: E(x) itself (the reference code's ``NNC_e``);
- ``features``: the encoder's last hidden layer, the one before its output
  (``NNC_e-``; its README: "the latter normally works better"). The paper's
  BiGAN row, 97.39 %, is this column: the README's own 400-epoch run prints
  NNC_e- 97.35 % beside NNC_e 92.10 %.

Rows:

- raw pixels (784 values in [-1, 1]);
- ``bigan_mnist``, the zoo entry (``--preset``; a folder or a zoo name);
- the same encoder untrained (the zoo entry's architecture at its initial
  weights, ``--seed``): what the architecture gives before any training
  (the reference run printed NNC_e- 96.84 % at epoch 0);
- an autoencoder of the same size (the paper's AE baseline): BiGAN's encoder
  and generator architectures as encoder and decoder, trained here with the
  l2 reconstruction loss (Adam 2e-4, beta_1 0.5) for ``--ae-epochs``.

Usage::

    taskset -c 1 env KERAS_BACKEND=tensorflow python benchmarks/papers/bigan_features.py

writes ``benchmarks/results/bigan_features.csv`` (one line per row and feature
space) and the table into ``docs/paper_tables.md`` (between its bigan_features
markers). ``--tiny`` uses 8x8 digits resized to 28 px (a few hundred images),
one autoencoder epoch, and writes to ``--out`` only: it checks that the runner
works, not the numbers.
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import time

import keras
import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from doc_blocks import (  # benchmarks/papers/ is a folder of scripts
    add_output_arguments,
    replace_block,
)

BEGIN, END = "<!-- bigan_features:begin -->", "<!-- bigan_features:end -->"
PAPER = {"bigan_mnist": {"features": 97.39}}  # Table 1, the BiGAN row (percent)
SPACES = ("codes", "features")


def feature_network(encoder):
    """x -> the encoder's last hidden layer (the input of its ``code`` layer)."""
    return keras.Model(encoder.inputs, encoder.get_layer("code").input)


def spaces(encoder, x, batch_size=500):
    """{"codes": E(x), "features": last hidden layer}, numpy float32."""
    from keras_gans.models._encoding import batched

    feats = feature_network(encoder)
    return {"codes": batched(lambda b: encoder(b, training=False), [x], batch_size),
            "features": batched(lambda b: feats(b, training=False), [x], batch_size)}


def knn1(train, y_train, test, y_test):
    from keras_gans.metrics import knn_accuracy

    flat = lambda a: a.reshape(len(a), -1)
    return 100.0 * knn_accuracy(flat(train), y_train, flat(test), y_test)


def train_autoencoder(bigan, x, epochs, batch_size, seed):
    """BiGAN's encoder and generator architectures (fresh weights) as an
    autoencoder x -> E(x) -> G(E(x)), trained with the l2 loss."""
    from keras_gans.networks import mlp_generator
    from keras_gans.networks.encoders import mlp_encoder

    keras.utils.set_random_seed(seed)
    shape = tuple(x.shape[1:])
    encoder = mlp_encoder(shape, bigan.latent_dim, bigan.hidden)
    decoder = mlp_generator(bigan.latent_dim, shape, bigan.hidden, None, "tanh",
                            name="decoder")
    x_in = keras.Input(shape)
    ae = keras.Model(x_in, decoder(encoder(x_in)), name="autoencoder")
    ae.compile(optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5), loss="mse")
    start = time.time()
    history = ae.fit(x, x, epochs=epochs, batch_size=batch_size, shuffle=True, verbose=2)
    return encoder, float(history.history["loss"][-1]), time.time() - start


def data(tiny, train_n, data_dir):
    """(x_train, y_train), (x_test, y_test) in [-1, 1], 28x28x1."""
    from keras_gans.data import load, load_digits

    if tiny:
        x, y = load_digits(28)
        return (x[:300], y[:300]), (x[300:400], y[300:400])
    x, y = load("mnist", data_dir=data_dir)
    x_te, y_te = load("mnist", split="test", data_dir=data_dir)
    return (x[:train_n], y[:train_n]), (x_te, y_te)


def measure(name, encoder, train, test, extra=None):
    """One CSV row per feature space of ``encoder``."""
    (x, y), (x_te, y_te) = train, test
    start = time.time()
    tr, te = spaces(encoder, x), spaces(encoder, x_te)
    rows = []
    for space in SPACES:
        acc = knn1(tr[space], y, te[space], y_te)
        rows.append({"row": name, "space": space, "dims": tr[space].shape[1],
                     "knn1_percent": round(acc, 2),
                     "paper_percent": PAPER.get(name, {}).get(space, ""),
                     **(extra or {}), "seconds": round(time.time() - start, 1)})
        print(rows[-1], flush=True)
    return rows


def markdown(rows, settings):
    lines = [BEGIN, "",
             "| feature space | dimensions | 1-NN test accuracy (ours) | paper |",
             "|---|---|---|---|"]
    label = {"raw_pixels": "raw pixels", "bigan_mnist": "`bigan_mnist` (BiGAN)",
             "untrained_encoder": "the same encoder, untrained",
             "autoencoder_l2": "autoencoder of the same size (l2)"}
    for r in rows:
        space = {"codes": "E(x)", "features": "E's last hidden layer",
                 "pixels": "x"}[r["space"]]
        paper = f"{r['paper_percent']} %" if r["paper_percent"] != "" else ""
        lines.append(f"| {label.get(r['row'], r['row'])}: {space} | {r['dims']} | "
                     f"{r['knn1_percent']:.2f} % | {paper} |")
    lines += ["", settings, "", END]
    return "\n".join(lines)


def main(argv=None):
    from keras_gans.presets import from_preset

    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--preset", default="bigan_mnist", help="a zoo name or a preset folder")
    p.add_argument("--data-dir", default=os.path.join(ROOT, "..", "shared", "datasets"))
    p.add_argument("--train-n", type=int, default=60_000)
    p.add_argument("--ae-epochs", type=int, default=20)
    p.add_argument("--batch-size", type=int, default=100)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--keep-baselines", action="store_true",
                   help="take the rows that do not depend on the preset's weights (raw "
                        "pixels, the untrained encoder, the autoencoder) from --out, measured "
                        "on the same backend and data, and measure the preset only")
    add_output_arguments(p, ROOT, "bigan_features",
                         "8x8 digits at 28 px, one autoencoder epoch: checks the runner only")
    args = p.parse_args(argv)
    if args.tiny:
        args.ae_epochs = 1
    train, test = data(args.tiny, args.train_n, args.data_dir)
    backend = keras.backend.backend()
    base = {"backend": backend, "train_n": len(train[0]), "test_n": len(test[0])}

    bigan = from_preset(args.preset)
    name = os.path.basename(os.path.normpath(args.preset))
    if args.keep_baselines:
        rows = baselines(args.out, base)
        kept = [r for r in rows if r["row"] == "autoencoder_l2"]
        rows[1:1] = measure(name, bigan.encoder, train, test, base)
        args.ae_epochs = int(kept[0]["ae_epochs"])
        ae_seconds, ae_loss = float(kept[0]["ae_train_seconds"]), float(kept[0]["ae_train_mse"])
        return write(args, rows, backend, train, test, ae_seconds, ae_loss)
    start = time.time()
    rows = [{"row": "raw_pixels", "space": "pixels", "dims": int(np.prod(train[0].shape[1:])),
             "knn1_percent": round(knn1(train[0], train[1], test[0], test[1]), 2),
             "paper_percent": "", **base, "seconds": round(time.time() - start, 1)}]
    print(rows[-1], flush=True)
    rows += measure(name, bigan.encoder, train, test, base)
    keras.utils.set_random_seed(args.seed)
    untrained = type(bigan)(data_shape=tuple(train[0].shape[1:]), latent_dim=bigan.latent_dim,
                            hidden=bigan.hidden, seed=args.seed)
    rows += measure("untrained_encoder", untrained.encoder, train, test, base)
    ae_encoder, ae_loss, ae_seconds = train_autoencoder(
        bigan, train[0], args.ae_epochs, args.batch_size, args.seed)
    rows += measure("autoencoder_l2", ae_encoder, train, test,
                    {**base, "ae_epochs": args.ae_epochs, "ae_train_mse": round(ae_loss, 5),
                     "ae_train_seconds": round(ae_seconds, 1)})
    return write(args, rows, backend, train, test, ae_seconds, ae_loss)


BASELINES = ("raw_pixels", "untrained_encoder", "autoencoder_l2")


def baselines(path, base):
    """The weight-independent rows of an earlier run in ``path`` (same backend
    and data sizes), in their order; an error naming the fix otherwise."""
    found = []
    if os.path.exists(path):
        with open(path, newline="") as f:
            found = [r for r in csv.DictReader(f) if r["row"] in BASELINES]
    for r in found:
        for key in ("dims", "train_n", "test_n"):
            r[key] = int(r[key])
        r["knn1_percent"] = float(r["knn1_percent"])
    same = [r for r in found if all(r[k] == v for k, v in base.items())]
    if {r["row"] for r in same} != set(BASELINES):
        raise SystemExit(
            f"--keep-baselines needs {', '.join(BASELINES)} in {path}, measured on "
            f"{base}; run once without --keep-baselines.")
    return same


def write(args, rows, backend, train, test, ae_seconds, ae_loss):
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    fields = list(dict.fromkeys(k for r in rows for k in r))
    with open(args.out, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=fields)
        w.writeheader()
        w.writerows(rows)
    print(f"wrote {args.out}")
    if not args.tiny:
        settings = (f"Measured {time.strftime('%Y-%m-%d')} on {backend}, "
                    f"{len(train[0]):,} train and {len(test[0]):,} test images; the "
                    f"autoencoder trained {args.ae_epochs} epochs (batch {args.batch_size}, "
                    f"{ae_seconds / 60:.1f} min, final train MSE {ae_loss:.4f}); "
                    f"`benchmarks/papers/bigan_features.py`, CSV in "
                    f"`benchmarks/results/bigan_features.csv`.")
        replace_block(args.doc, markdown(rows, settings), BEGIN, END)
    return rows


if __name__ == "__main__":
    main()
