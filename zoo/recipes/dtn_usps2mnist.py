"""Domain Transfer Network, USPS -> MNIST, trained from the offline .npz files.

1. f: a ``conv_classifier`` trained on USPS (resized to 28 px) with labels.
2. The target classifier: the same network trained on MNIST; it scores
   translations (``keras_gans.metrics.translation.translation_accuracy``).
3. The DTN (α = β = 15, γ = 0) on unpaired USPS/MNIST batches, for a bounded
   time; translation accuracy on the USPS test split after every chunk.

Usage:
    KERAS_BACKEND=jax python zoo/recipes/dtn_usps2mnist.py --minutes 8 \\
        --data-dir ../shared/datasets [--weights dtn.weights.h5]
"""

from __future__ import annotations

import argparse
import time

import keras
import numpy as np

from keras_gans.data import load
from keras_gans.data.two_domain import UnpairedBatches
from keras_gans.metrics.translation import translation_accuracy
from keras_gans.models.dtn import DomainTransferNetwork
from keras_gans.networks.classifier import classifier_accuracy, train_classifier


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default="../shared/datasets")
    parser.add_argument("--minutes", type=float, default=8.0,
                        help="wall-clock budget of the DTN training")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--chunk-steps", type=int, default=200)
    parser.add_argument("--classifier-epochs", type=int, default=3)
    parser.add_argument("--filters", type=int, default=32)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--weights", default=None, help="save the DTN's weights here")
    args = parser.parse_args()
    keras.utils.set_random_seed(args.seed)
    start = time.time()

    x_s, y_s = load("usps", data_dir=args.data_dir, size=28)
    x_s_test, y_s_test = load("usps", split="test", data_dir=args.data_dir, size=28)
    x_t, y_t = load("mnist", data_dir=args.data_dir)
    x_t_test, y_t_test = load("mnist", split="test", data_dir=args.data_dir)

    f = train_classifier(x_s, y_s, epochs=args.classifier_epochs, seed=args.seed,
                         name="feature_extractor")
    clf = train_classifier(x_t, y_t, epochs=args.classifier_epochs, seed=args.seed + 1,
                           name="mnist_classifier")
    print(f"f on USPS test: {classifier_accuracy(f, x_s_test, y_s_test):.4f}")
    print(f"MNIST classifier on MNIST test: "
          f"{classifier_accuracy(clf, x_t_test, y_t_test):.4f}")
    print(f"MNIST classifier on untranslated USPS test (no adaptation): "
          f"{classifier_accuracy(clf, x_s_test, y_s_test):.4f}")
    print(f"classifiers trained in {time.time() - start:.0f} s", flush=True)

    dtn = DomainTransferNetwork(f, filters=args.filters, seed=args.seed)
    dtn.compile()

    def accuracy():
        return translation_accuracy(dtn.translate, x_s_test, y_s_test, clf)

    print(f"step 0: translation accuracy {accuracy():.4f}", flush=True)
    batches = UnpairedBatches(x_s, x_t, batch_size=args.batch_size, seed=args.seed)
    budget, t0, steps = 60 * args.minutes, time.time(), 0
    while time.time() - t0 < budget:
        history = dtn.fit(batches, epochs=1, steps_per_epoch=args.chunk_steps,
                          verbose=0)
        steps += args.chunk_steps
        logs = {k: round(float(v[-1]), 3) for k, v in history.history.items()}
        print(f"step {steps} ({time.time() - t0:.0f} s): translation accuracy "
              f"{accuracy():.4f} {logs}", flush=True)
    if args.weights:
        dtn.save_weights(args.weights)
    # One grid of USPS test digits and their translations, for a look.
    pairs = np.concatenate([x_s_test[:16], dtn.translate(x_s_test[:16])])
    print(f"translated sample range [{pairs.min():.2f}, {pairs.max():.2f}]")


if __name__ == "__main__":
    main()
