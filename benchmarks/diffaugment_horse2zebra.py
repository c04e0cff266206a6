"""CycleGAN on horse<->zebra (64 px) with and without DiffAugment, at the same
number of steps, scored by KID and FID of each direction's test translations.

    python benchmarks/diffaugment_horse2zebra.py train --augment none --steps 800 &
    python benchmarks/diffaugment_horse2zebra.py train --augment color,translation,cutout \\
        --steps 800 &
    wait; python benchmarks/diffaugment_horse2zebra.py score

The model is the zoo entry ``cyclegan_horse2zebra``'s (ResNet generators with
16 filters and 6 blocks, PatchGAN discriminators, batch 4, the paper's Adam and
λ = 10). The budget is a number of steps, not seconds: the two runs train at
the same time on one CPU thread each, beside whatever else the machine runs,
so their wall times are reported but not compared. Both keep their last
weights (no selection). A run resumes from its last epoch (``BackupAndRestore``).

Scoring is the zoo entry's protocol (``zoo/recipes/train_translation_preset.py``
``measure_kid``): each direction's translated *test* images against the target
domain's test images (horse 120, zebra 140), in the 128-d features of the shipped
CIFAR-10 classifier at 32 px; KID ×100 with its unbiased estimator, and FID
(poorly conditioned with 120-140 images in 128 dimensions: read KID first).
The untranslated source images give the scale.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "zoo", "recipes"))
DATA = os.environ.get("KERAS_GANS_DATA", os.path.join(ROOT, "..", "shared", "datasets"))
ENTRY = "cyclegan_horse2zebra"


def single_thread():
    import keras

    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        tf.config.threading.set_intra_op_parallelism_threads(1)
        tf.config.threading.set_inter_op_parallelism_threads(1)
    elif keras.backend.backend() == "torch":
        import torch

        torch.set_num_threads(1)


def tag_of(augment):
    return "diffaugment" if augment else "plain"


def train(augment, steps, out, seed=0, steps_per_epoch=100):
    single_thread()
    import keras
    from train_translation_preset import ENTRIES, _domains

    from keras_gans.data.two_domain import UnpairedBatches
    from keras_gans.models.cyclegan import CycleGAN

    entry = ENTRIES[ENTRY]
    augment = None if augment == "none" else augment
    tag = tag_of(augment)
    keras.utils.set_random_seed(seed)
    domains = _domains(entry, "train", DATA)
    x_a, x_b = (domains[d] for d in entry["pair"])
    model = CycleGAN(data_shape=(64, 64, 3), augment=augment, seed=seed, **entry["model"])
    model.compile()
    batches = UnpairedBatches(x_a, x_b, batch_size=entry["batch_size"], seed=seed)
    epochs = int(np.ceil(steps / steps_per_epoch))
    seconds = []

    class Clock(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.t = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            seconds.append(time.perf_counter() - self.t)

    history = model.fit(
        batches, epochs=epochs, steps_per_epoch=steps_per_epoch, verbose=2,
        callbacks=[keras.callbacks.BackupAndRestore(os.path.join(out, f"{tag}_backup"),
                                                    delete_checkpoint=False), Clock()])
    model.save_weights(os.path.join(out, f"{tag}.weights.h5"), overwrite=True)
    run = {"augment": augment, "steps": epochs * steps_per_epoch, "epochs": epochs,
           "seconds_this_run": round(sum(seconds), 1),
           "final": {k: float(v[-1]) for k, v in history.history.items()},
           "backend": keras.backend.backend(), "seed": seed, "model": entry["model"],
           "batch_size": entry["batch_size"]}
    with open(os.path.join(out, f"{tag}.json"), "w") as f:
        json.dump(run, f, indent=1)
    print(run)


def score(out):
    from train_translation_preset import ENTRIES, _domains, measure_kid

    import keras_gans as kg
    from keras_gans.models.cyclegan import CycleGAN

    entry = ENTRIES[ENTRY]
    results = {"protocol": "kid/fid of test translations vs the target's test images, "
                           "cifar10_classifier features at 32 px (measure_kid)",
               "untranslated": measure_kid(None, entry, "test", None, 0, DATA)}
    test = _domains(entry, "test", DATA)
    for tag in ("plain", "diffaugment"):
        path = os.path.join(out, f"{tag}.weights.h5")
        if not os.path.exists(path):
            continue
        with open(os.path.join(out, f"{tag}.json")) as f:
            run = json.load(f)
        model = CycleGAN(data_shape=(64, 64, 3), augment=run["augment"], **entry["model"])
        model.compile()
        model.load_weights(path)
        run["scores"] = measure_kid(model, entry, "test", None, 0, DATA)
        horses = test["horse"][:8]
        kg.save_grid(np.concatenate([horses, np.asarray(model.translate(horses, "a2b"))]),
                     os.path.join(out, f"{tag}_horse2zebra.png"), cols=8)
        results[tag] = run
    with open(os.path.join(out, "scores.json"), "w") as f:
        json.dump(results, f, indent=1)
    print(json.dumps(results, indent=1))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("stage", choices=["train", "score"])
    parser.add_argument("--augment", default="none")
    parser.add_argument("--steps", type=int, default=800)
    parser.add_argument("--out", default="runs/horse2zebra_diffaugment")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--steps-per-epoch", type=int, default=100)
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    if args.stage == "train":
        train(args.augment, args.steps, args.out, args.seed, args.steps_per_epoch)
    else:
        score(args.out)


if __name__ == "__main__":
    main()
