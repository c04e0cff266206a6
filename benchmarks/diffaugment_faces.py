"""DCGAN with and without DiffAugment on the 1,200-image grayscale face set, at
the same wall-clock budget, scored by FID with a face-identity classifier.

    python benchmarks/diffaugment_faces.py classifier --out runs/faces
    python benchmarks/diffaugment_faces.py train --augment none --budget 240 --out runs/faces &
    python benchmarks/diffaugment_faces.py train --augment color,translation,cutout \\
        --budget 240 --out runs/faces &
    wait; python benchmarks/diffaugment_faces.py score --out runs/faces

Protocol (``fid_celebagray32_cifar10classifier_train_1.2k``): the feature
network is the shipped CIFAR-10 evaluation classifier (keras_gans/metrics/
assets, 128-d ``features`` layer, 32x32 RGB; the grayscale faces are given as
three equal channels). FID between the features of 1,200 generated faces and
of the 1,200 training faces (the split the GANs trained on: there are only 150
test faces, too few for a 128-d covariance). The ``classifier`` stage trains
a face-identity classifier of the same architecture instead; on this set it
stayed at chance (2% on the 150 validation faces after 30 epochs), so it is
not used as the feature network. Images are the 64 px faces downscaled to 32 px
(bilinear). The two runs train at the same time, one CPU thread each, so they
share whatever else the machine is doing.
"""

from __future__ import annotations

import argparse
import json
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.environ.get("KERAS_GANS_FACES", os.path.join(
    os.environ.get("KERAS_GANS_DATA", os.path.join(ROOT, "..", "shared", "datasets")),
    "celeba_gray_subset_64.npz"))
SIZE = 32


def faces(split="train"):
    from keras_gans.data import resize_images, scale_images

    with np.load(DATA) as f:
        x, y = f[f"x_{split}"], f[f"y_{split}"]
    return resize_images(scale_images(x), SIZE), y.astype("int64")


def single_thread():
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(1)
    tf.config.threading.set_inter_op_parallelism_threads(1)


def classifier(out):
    import keras

    from keras_gans.metrics.feature_nets import eval_classifier

    keras.utils.set_random_seed(0)
    x, y = faces("train")
    xv, yv = faces("val")
    model = eval_classifier((SIZE, SIZE, 1), num_classes=50, seed=0)
    trainer = keras.Sequential([
        keras.Input((SIZE, SIZE, 1)),
        keras.layers.RandomTranslation(2 / SIZE, 2 / SIZE, fill_mode="constant",
                                       fill_value=-1.0, seed=0),
        model,
    ])
    epochs, batch = 30, 64
    steps = epochs * int(np.ceil(len(x) / batch))
    trainer.compile(optimizer=keras.optimizers.Adam(
        keras.optimizers.schedules.CosineDecay(2e-3, steps)),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"])
    trainer.fit(x, y, batch_size=batch, epochs=epochs, verbose=2)
    acc = float(np.mean(np.argmax(model.predict(xv, verbose=0), -1) == yv))
    model.save_weights(os.path.join(out, "id_classifier.weights.h5"))
    card = {"val_accuracy": acc, "epochs": epochs, "classes": 50, "size": SIZE}
    with open(os.path.join(out, "id_classifier.json"), "w") as f:
        json.dump(card, f, indent=1)
    print(card)


class TimeBudget:
    def __new__(cls, seconds):
        import keras

        class _Budget(keras.callbacks.Callback):
            def on_train_begin(self, logs=None):
                self.start = time.perf_counter()
                self.steps = 0

            def on_train_batch_end(self, batch, logs=None):
                self.steps += 1
                if time.perf_counter() - self.start > seconds:
                    self.model.stop_training = True

        return _Budget()


def train(augment, budget, out, seed=0):
    single_thread()
    import keras

    import keras_gans as kg

    keras.utils.set_random_seed(seed)
    x, _ = faces("train")
    augment = None if augment == "none" else augment
    model = kg.DCGAN(data_shape=(SIZE, SIZE, 1), latent_dim=100, filters=32,
                     augment=augment, seed=seed)
    model.compile()
    clock = TimeBudget(budget)
    history = model.fit(x, batch_size=64, epochs=100_000, verbose=0, callbacks=[clock])
    seconds = time.perf_counter() - clock.start
    tag = "diffaugment" if augment else "plain"
    model.save(os.path.join(out, f"{tag}.keras"))
    kg.save_grid(model.generate(64, seed=1), os.path.join(out, f"{tag}.png"))
    run = {"augment": augment, "budget_s": budget, "seconds": round(seconds, 1),
           "steps": clock.steps, "epochs": len(history.history["d_loss"]),
           "final_d_loss": float(history.history["d_loss"][-1]),
           "final_g_loss": float(history.history["g_loss"][-1]),
           "backend": keras.backend.backend()}
    with open(os.path.join(out, f"{tag}.json"), "w") as f:
        json.dump(run, f, indent=1)
    print(run)


def score(out, n=1200):
    import keras

    from keras_gans.metrics.feature_nets import classifier_features
    from keras_gans.metrics.fid import feature_statistics, frechet_distance

    # The shipped CIFAR-10 evaluation classifier (32x32 RGB, sha256-checked):
    # grayscale faces are given to it as three equal channels.
    net = classifier_features("cifar10")

    def rgb(x):
        return np.repeat(np.asarray(x, "float32"), 3, axis=-1)

    x, _ = faces("train")
    mu_r, sigma_r, _ = feature_statistics(net, rgb(x))
    name = "fid_celebagray32_cifar10classifier_train_1.2k"
    results = {"metric": name}
    # A scale for the numbers: 150 held-out real faces (val) against the 1,200
    # training faces, and the first 600 training faces against all 1,200.
    for tag, imgs in (("real_val150_vs_train", faces("val")[0]),
                      ("real_train600_vs_train", x[:600])):
        mu, sigma, _ = feature_statistics(net, rgb(imgs))
        results[tag] = round(frechet_distance(mu, sigma, mu_r, sigma_r), 2)
    for tag in ("plain", "diffaugment"):
        path = os.path.join(out, f"{tag}.keras")
        if not os.path.exists(path):
            continue
        model = keras.saving.load_model(path)
        samples = model.generate(n, seed=0)
        mu, sigma, _ = feature_statistics(net, rgb(samples))
        with open(os.path.join(out, f"{tag}.json")) as f:
            run = json.load(f)
        run[name] = round(frechet_distance(mu, sigma, mu_r, sigma_r), 2)
        results[tag] = run
    with open(os.path.join(out, "scores.json"), "w") as f:
        json.dump(results, f, indent=1)
    print(json.dumps(results, indent=1))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("stage", choices=["classifier", "train", "score"])
    parser.add_argument("--augment", default="none")
    parser.add_argument("--budget", type=float, default=240)
    parser.add_argument("--out", default="runs/faces")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    if args.stage == "classifier":
        classifier(args.out)
    elif args.stage == "train":
        train(args.augment, args.budget, args.out, args.seed)
    else:
        score(args.out)


if __name__ == "__main__":
    main()
