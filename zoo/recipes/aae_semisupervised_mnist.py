"""The zoo's semi-supervised adversarial autoencoder (``aae_semisupervised_mnist_100``).

Trains (or resumes) one row of the AAE paper's semi-supervised table with the
paper runner (``benchmarks/papers/aae_semisupervised.py``: the same arguments,
the same run folder) and writes the trained model as a zoo preset. Its card
holds what the paper measures, the MNIST test error of ``classify`` (argmax
q(y|x)) on the 10,000 test images, and the zoo protocol of its samples (10,000
draws of the decoder, balanced labels, against the MNIST test split).

The last epoch is kept: the test error is measured on the test split, so
choosing the epoch by it would fit the test set. The error is measured after the
weights are rounded to float16 (what ships).

Usage (a rerun resumes ``--run-dir``; ``--minutes`` is one call's budget, and
the preset is written when the call ends)::

    KERAS_BACKEND=tensorflow python zoo/recipes/aae_semisupervised_mnist.py \\
        --labels 100 --input-noise 0.6 --reconstruction-weight 30 --epochs 45 \\
        --data-dir ../shared/datasets --run-dir runs/aae_ss_100 \\
        --preset zoo/aae_semisupervised_mnist_100
"""

from __future__ import annotations

import json
import os
import sys

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path[:0] = [HERE, os.path.join(ROOT, "benchmarks", "papers"), ROOT]

#: The card's key of the paper's measure.
ERROR_KEY = "classification_error_percent_mnist_test_10k"


def main(argv=None):
    import aae_semisupervised as runner

    p = runner.parser()
    p.description = __doc__.splitlines()[0]
    p.add_argument("--preset", required=True, help="the preset folder to write")
    p.add_argument("--overwrite", action="store_true", help="replace an existing --preset")
    args = runner.checked(p, p.parse_args(argv))
    if args.clusters is not None or args.kmeans:
        p.error("the zoo entry is the semi-supervised model: pass --labels, not --clusters")
    if os.path.exists(os.path.join(args.preset, "metadata.json")) and not args.overwrite:
        p.error(f"{args.preset} already holds a preset; pass --overwrite to replace it")
    model, run, result, test_error = runner.train_row(args)
    write_preset(model, run, result, test_error, args)


def card_recipe(args, epochs, name):
    """The command that trains these weights again."""
    import keras

    options = ((f" --latent-dim {args.latent_dim}" if args.latent_dim else "")
               + (f" --input-noise {args.input_noise:g}" if args.input_noise else "")
               + (f" --reconstruction-weight {args.reconstruction_weight:g}"
                  if args.reconstruction_weight != 1 else "")
               + (f" --ema-decay {args.ema_decay:g}" if args.ema_decay else ""))
    return (f"KERAS_BACKEND={keras.backend.backend()} python "
            f"zoo/recipes/aae_semisupervised_mnist.py --labels {args.labels}{options} "
            f"--epochs {epochs} --batch-size {args.batch_size} --seed {args.seed} "
            f"--data-dir ../shared/datasets --run-dir runs/{name} --preset zoo/{name}")


def write_preset(model, run, result, test_error, args):
    import aae_semisupervised as runner
    import keras
    from train_preset import LICENSES, QUICK_SEED, hardware

    from keras_gans.metrics import evaluate
    from keras_gans.presets import round_weights, save_to_preset

    round_weights(model, "float16")  # measure what ships
    metrics = evaluate(model, "mnist", ["fid", "kid", "pr", "dc", "is", "class_coverage",
                                         "class_kl", "conditional_accuracy"],
                       n=10_000, seed=0)
    metrics[ERROR_KEY] = test_error()
    if model.ema_decay:  # the trained encoder's, beside its average's
        metrics["trained_encoder_" + ERROR_KEY] = test_error(ema=False)
    quick = evaluate(model, "mnist", ["fid"], n=2000, seed=QUICK_SEED)
    name = os.path.basename(os.path.normpath(args.preset))
    epochs = result["epochs"]
    changed = ", ".join(runner.row_options(args))
    labels = "all" if args.labels == "all" else f"{args.labels} balanced"
    meta = {
        "description": "semi-supervised adversarial autoencoder: categorical y and a "
                       f"{model.latent_dim}-D Gaussian style, trained on the MNIST train "
                       f"split with {labels} labels (drawn with the seed), the rest "
                       "unlabelled"
                       + (f"; {changed} (not in the paper)" if changed else "") + "; mnist",
        "dataset": "mnist", "dataset_split": "train", "dataset_license": LICENSES["mnist"],
        "paper": "Makhzani et al. 2015, Adversarial Autoencoders (section 5)",
        "recipe": card_recipe(args, epochs, name),
        "settings": {"labels": args.labels, "batch_size": args.batch_size,
                     "labelled_batch_size": args.batch_size, "latent_dim": model.latent_dim,
                     "input_noise": args.input_noise,
                     "reconstruction_weight": args.reconstruction_weight,
                     "ema_decay": args.ema_decay, "seed": args.seed, "epochs": epochs,
                     "optimizers": "Adam(lr=2e-4, beta_1=0.5) for every player"},
        "backend": keras.backend.backend(), "keras": keras.__version__,
        "hardware": hardware(), "wall_time_s": result["train_seconds"],
        "epochs_trained": epochs, "steps_trained": result["steps"], "best_epoch": epochs,
        "seed": args.seed,
        "selection": {"metric": next(iter(quick)), "value": float(next(iter(quick.values()))),
                      "n": 2000, "seed": QUICK_SEED, "epoch": epochs,
                      "note": "the last epoch is kept (the test error would fit the test "
                              "set); this is its FID"},
        "paper_error_percent": runner.PAPER[args.labels],
        "metrics": {k: round(float(v), 6) for k, v in metrics.items()},
        "history": run.history,
    }
    save_to_preset(model, args.preset, metadata=meta, overwrite=args.overwrite,
                   weights_dtype="float16")
    print(json.dumps(meta["metrics"], indent=1))


if __name__ == "__main__":
    main()
