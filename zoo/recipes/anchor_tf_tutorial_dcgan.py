"""The zoo's anchor: the TensorFlow tutorial's DCGAN, trained the way a typical
Keras user would, measured with the zoo's protocol.

The zoo issue's bar: every unconditional MNIST entry beats this model's FID, and
the best beats it by 2x. So the anchor is trained as the tutorial trains it:
its networks (benchmarks/reference/tutorial.py), a TF-backend ``keras.Model``
subclass whose ``train_step`` takes two ``GradientTape``s
(benchmarks/reference/keras_subclass.py), batch 256, Adam(1e-4) with the
tutorial's default betas, 5 epochs of MNIST train, scaled to [-1, 1].

    KERAS_BACKEND=tensorflow python zoo/recipes/anchor_tf_tutorial_dcgan.py \\
        --data-dir ../shared/datasets --out runs/anchor

Checkpoints after every epoch (``BackupAndRestore``), so a rerun resumes; then
measures ``evaluate(..., n=10000)`` against the MNIST test split and writes
``anchor.json`` and ``samples.png`` into ``--out``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

import keras  # noqa: E402
import numpy as np  # noqa: E402

from benchmarks.reference import keras_subclass as K  # noqa: E402
from benchmarks.reference import tutorial as T  # noqa: E402
from keras_gans.data import load  # noqa: E402
from keras_gans.images import save_grid  # noqa: E402
from keras_gans.metrics import evaluate  # noqa: E402


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data-dir", default="../shared/datasets")
    p.add_argument("--out", default="runs/anchor")
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--batch-size", type=int, default=256)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--n", type=int, default=10_000)
    args = p.parse_args(argv)
    if keras.backend.backend() != "tensorflow":
        p.error("the anchor is the TensorFlow tutorial: run with KERAS_BACKEND=tensorflow")
    os.makedirs(args.out, exist_ok=True)
    keras.utils.set_random_seed(args.seed)
    x, _ = load("mnist", "train", data_dir=args.data_dir)
    generator, discriminator = T.keras_networks(args.seed)
    model = K.KerasUserGAN(generator, discriminator, seed=args.seed)
    # the tutorial: tf.keras.optimizers.Adam(1e-4) for both, default betas
    model.compile(d_optimizer=keras.optimizers.Adam(1e-4),
                  g_optimizer=keras.optimizers.Adam(1e-4))
    model.built = True  # its networks are built; BackupAndRestore refuses an unbuilt model
    t0 = time.time()
    model.fit(x, batch_size=args.batch_size, epochs=args.epochs, shuffle=True, verbose=2,
              callbacks=[keras.callbacks.BackupAndRestore(os.path.join(args.out, "backup"))])
    train_seconds = time.time() - t0

    def sample(n, counter=[0]):  # noqa: B006 - a fresh seed per batch
        counter[0] += 1
        z = np.random.default_rng(10_000 + counter[0]).standard_normal((n, T.LATENT_DIM))
        return np.clip(generator.predict(z.astype("float32"), verbose=0), -1, 1)

    metrics = evaluate(sample, "mnist", ["fid", "kid", "pr", "dc", "is", "class_coverage",
                                         "class_kl"], n=args.n, seed=args.seed)
    save_grid(sample(64), os.path.join(args.out, "samples.png"))
    record = {
        "model": "TensorFlow tutorial DCGAN (Keras TF-backend subclass, GradientTape)",
        "recipe": "python zoo/recipes/anchor_tf_tutorial_dcgan.py "
                  f"--epochs {args.epochs} --batch-size {args.batch_size} --seed {args.seed}",
        "epochs": args.epochs, "batch_size": args.batch_size, "optimizer": "Adam(1e-4)",
        "train_seconds_this_run": round(train_seconds, 1),
        "backend": keras.backend.backend(), "keras": keras.__version__,
        "metrics": metrics,
    }
    with open(os.path.join(args.out, "anchor.json"), "w", encoding="utf-8") as f:
        json.dump(record, f, indent=1)
    print(json.dumps(record, indent=1))


if __name__ == "__main__":
    main()
