"""keras-gans evaluate: FID, KID, IS, precision/recall... of a saved model."""

from __future__ import annotations

import argparse
import json

from keras_gans.cli._common import SEED, count, load_gan, refuse_existing

NAME = "evaluate"


def add_parser(sub):
    e = sub.add_parser(
        NAME,
        help="measure a saved model: FID, KID, IS, precision/recall, ...",
        description="Generate --n samples from a saved model and measure them against "
        "the reference statistics of --dataset with its shipped feature network. "
        "Prints a table and a JSON line; each number is named by its protocol "
        "(metric, dataset, feature network, reference split, sample count). Measure a "
        "model against the dataset it was trained on: the 8x8 sklearn digits of "
        "`train --dataset digits` are not MNIST, and scoring them against MNIST says "
        "little.",
        epilog="examples:\n"
        "  keras-gans evaluate dcgan_mnist --dataset mnist --metric fid --metric pr --n 10000\n"
        "  keras-gans train dcgan --dataset mnist --data-dir DIR --out runs/mnist\n"
        "  keras-gans evaluate runs/mnist/model.keras --dataset mnist --n 2000 --json fid.json",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    e.add_argument("model", help="a .keras file (from `keras-gans train` or model.save) or a "
                                 "preset name")
    e.add_argument("--dataset", required=True,
                   help="mnist, fashion_mnist, usps or cifar10 (whose feature network "
                        "and reference statistics to use)")
    e.add_argument("--metric", action="append", default=None,
                   help="fid (default), kid, is, precision, recall, pr, density, "
                        "coverage, dc, class_coverage, class_kl, conditional_accuracy; "
                        "repeat for several")
    e.add_argument("--n", type=count(2), default=10_000, help="number of generated samples")
    e.add_argument("--reference", default="test", help="reference split (test or train)")
    e.add_argument("--seed", type=SEED, default=0)
    e.add_argument("--json", default=None, help="also write the results to this file")
    e.add_argument("--overwrite", action="store_true", help="replace an existing --json file")
    e.set_defaults(run=run)
    return e


def run(args):
    from keras_gans.images import atomic_write
    from keras_gans.metrics import evaluate

    refuse_existing([args.json], args.overwrite)
    model = load_gan(args.model)
    results = evaluate(model, dataset=args.dataset, metrics=args.metric or ["fid"],
                       n=args.n, reference=args.reference, seed=args.seed)
    width = max(len(k) for k in results)
    for key, value in results.items():
        print(f"{key:{width}s}  {value:.6g}")
    line = json.dumps(results)
    print(line)
    if args.json:
        atomic_write(args.json, (line + "\n").encode())
    return 0
