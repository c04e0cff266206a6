"""CycleGAN or DiscoGAN on MNIST <-> USPS, measured by translation accuracy.

Domain A is MNIST, domain B is USPS (resized to 28 px), unpaired. Two small
classifiers score the translations: one trained on MNIST (scores B -> A), one
on USPS (scores A -> B). Translation accuracy (``keras_gans.metrics.
translation_accuracy``) is the fraction of translated *test* images that the
target domain's classifier labels with the source image's label; it is printed
for both directions before training, after every chunk, and written as JSON.

Baselines printed first: each classifier on its own test split, and on the
other domain's test images untranslated (what "no translation" scores).

Usage:
    KERAS_BACKEND=jax python zoo/recipes/translate_mnist2usps.py --variant cyclegan \\
        --minutes 8 --data-dir ../shared/datasets --json runs/cyclegan_mnist2usps.json
"""

from __future__ import annotations

import argparse
import json
import os
import time

import keras

from keras_gans.data.two_domain import UnpairedBatches, load_pair
from keras_gans.metrics import translation_accuracy
from keras_gans.models import CycleGAN, DiscoGAN
from keras_gans.networks.classifier import classifier_accuracy, train_classifier


def build(variant, filters, n_blocks, seed):
    if variant == "cyclegan":
        return CycleGAN(data_shape=(28, 28, 1), filters=filters, n_blocks=n_blocks, seed=seed)
    return DiscoGAN(data_shape=(28, 28, 1), filters=filters, seed=seed)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--variant", choices=("cyclegan", "discogan"), default="cyclegan")
    p.add_argument("--data-dir", default="../shared/datasets")
    p.add_argument("--minutes", type=float, default=8.0, help="training wall-clock budget")
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--chunk-steps", type=int, default=250)
    p.add_argument("--filters", type=int, default=16)
    p.add_argument("--n-blocks", type=int, default=3)
    p.add_argument("--classifier-epochs", type=int, default=3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", default=None, help="write the measurements here")
    p.add_argument("--weights", default=None, help="save the model's weights here")
    args = p.parse_args(argv)
    keras.utils.set_random_seed(args.seed)
    start = time.time()

    train = load_pair("mnist2usps", data_dir=args.data_dir)
    test = load_pair("mnist2usps", split="test", data_dir=args.data_dir)
    clf_a = train_classifier(train.x_a, train.y_a, epochs=args.classifier_epochs,
                             seed=args.seed, name="mnist_classifier")
    clf_b = train_classifier(train.x_b, train.y_b, epochs=args.classifier_epochs,
                             seed=args.seed + 1, name="usps_classifier")
    result = {
        "variant": args.variant,
        "backend": keras.backend.backend(),
        "task": "MNIST (A) <-> USPS resized to 28 px (B), test splits",
        "args": vars(args),
        "mnist_classifier_on_mnist_test": classifier_accuracy(clf_a, test.x_a, test.y_a),
        "usps_classifier_on_usps_test": classifier_accuracy(clf_b, test.x_b, test.y_b),
        "no_translation_a2b": classifier_accuracy(clf_b, test.x_a, test.y_a),
        "no_translation_b2a": classifier_accuracy(clf_a, test.x_b, test.y_b),
        "history": [],
    }
    print({k: v for k, v in result.items() if k not in ("args", "history")}, flush=True)

    model = build(args.variant, args.filters, args.n_blocks, args.seed)
    model.compile()

    def measure(step, elapsed):
        row = {
            "step": step,
            "train_s": round(elapsed, 1),
            "a2b": translation_accuracy(lambda x: model.translate(x, "a2b"),
                                        test.x_a, test.y_a, clf_b),
            "b2a": translation_accuracy(lambda x: model.translate(x, "b2a"),
                                        test.x_b, test.y_b, clf_a),
        }
        result["history"].append(row)
        print(row, flush=True)

    measure(0, 0.0)
    batches = UnpairedBatches(train.x_a, train.x_b, batch_size=args.batch_size,
                              seed=args.seed)
    budget, t_train, steps = 60 * args.minutes, 0.0, 0
    while t_train < budget:
        t0 = time.time()
        history = model.fit(batches, epochs=1, steps_per_epoch=args.chunk_steps, verbose=0)
        t_train += time.time() - t0
        steps += args.chunk_steps
        print({k: round(float(v[-1]), 4) for k, v in history.history.items()}, flush=True)
        measure(steps, t_train)
    result["final"] = result["history"][-1]
    result["total_s"] = round(time.time() - start, 1)
    if args.weights:
        model.save_weights(args.weights)
    if args.json:
        os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
        with open(args.json, "w") as f:
            json.dump(result, f, indent=2)
    print("final", result["final"])


if __name__ == "__main__":
    main()
