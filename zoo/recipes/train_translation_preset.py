"""Train a translation entry of the zoo (CycleGAN, DiscoGAN, DTN on digits) and
write its preset, from the table ``ENTRIES`` below, so that ``metadata.json``'s
``recipe`` is one command that reproduces it:

    KERAS_BACKEND=tensorflow python zoo/recipes/train_translation_preset.py \\
        cyclegan_mnist_usps --data-dir ../shared/datasets --minutes 30

What it does (the translation counterpart of ``train_preset.py``):

1. trains with ``keras_gans.training.train`` (the pipeline ``keras-gans train``
   uses) on unpaired batches of the two train splits, in "epochs" of
   ``steps_per_epoch`` steps, with a ``BackupAndRestore`` checkpoint after every
   epoch in ``--run-dir``: a rerun resumes;
2. after every epoch measures the selection metric, the mean translation
   accuracy over the entry's directions on ``--quick-n`` seeded images of each
   source *train* split (the translators never see labels; the DTN's f was
   trained on USPS train labels), scored by the target dataset's **shipped**
   classifier, and keeps the best epoch's weights;
3. loads the best weights (rounded to float16, as shipped) and measures every
   direction on the whole source *test* split, and the "no translation"
   baseline (the target classifier on the untranslated source images);
4. writes the preset folder ``zoo/<name>`` with a card and a samples grid
   (rows of source test images, each followed by its translations).

The translation accuracy is the DTN paper's measure (Taigman et al. 2017
report 90.66% on SVHN -> MNIST): ``keras_gans.metrics.shipped_translation_accuracy``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import keras
import numpy as np
from train_preset import (
    LICENSES,
    WEIGHTS_DTYPE,
    common_arguments,
    hardware,
    recorded_options,
    with_model_options,
)

LICENSES = dict(LICENSES, usps="USPS (Hull 1994), as distributed with The Elements of "
                               "Statistical Learning; no explicit license",
                horse2zebra="horse2zebra (Zhu et al. 2017, from ImageNet), via GitHub "
                            "LiorYaacov/Horse2zebra-Image-to-image-Translation, downscaled "
                            "to 64 px; ImageNet's terms, no license file")
PAPERS = {
    "CycleGAN": "Zhu et al. 2017, Unpaired Image-to-Image Translation using "
                "Cycle-Consistent Adversarial Networks",
    "DiscoGAN": "Kim et al. 2017, Learning to Discover Cross-Domain Relations with "
                "Generative Adversarial Networks",
    "DomainTransferNetwork": "Taigman, Polyak & Wolf 2017, Unsupervised Cross-Domain "
                             "Image Generation",
}
# name -> recipe. "directions": (translate direction, source dataset, target
# dataset); domain A is the first dataset of "pair". Images are 28 px (USPS's
# 16 px digits resized), translations are scored by the target's shipped
# classifier at its own size.
ENTRIES = {
    "cyclegan_mnist_usps": {
        "variant": "cyclegan", "pair": ("mnist", "usps"),
        "model": {"filters": 16, "n_blocks": 3}, "batch_size": 16,
        "steps_per_epoch": 250, "epochs": 60,
        "directions": (("a2b", "mnist", "usps"), ("b2a", "usps", "mnist")),
        "description": "CycleGAN (ResNet generators, filters 16, 3 blocks; 70x70-style "
                       "PatchGAN), MNIST (A) <-> USPS resized to 28 px (B)"},
    "discogan_mnist_usps": {
        "variant": "discogan", "pair": ("mnist", "usps"),
        "model": {"filters": 16}, "batch_size": 16,
        "steps_per_epoch": 250, "epochs": 60,
        "directions": (("a2b", "mnist", "usps"), ("b2a", "usps", "mnist")),
        "description": "DiscoGAN (encoder-decoder generators, filters 16), MNIST (A) <-> "
                       "USPS resized to 28 px (B)"},
    "dtn_usps_mnist": {
        "variant": "dtn", "pair": ("usps", "mnist"),
        "model": {"filters": 32}, "batch_size": 64, "f_epochs": 10, "f_augment": "zoom_shift",
        "steps_per_epoch": 200, "epochs": 60,
        "directions": ((None, "usps", "mnist"),),
        "description": "Domain Transfer Network USPS (source, resized to 28 px) -> MNIST; "
                       "f: a conv classifier trained on USPS train labels (10 epochs of "
                       "zoom_shift copies: sides 18-28 px at random offsets), frozen"},
}
# horse <-> zebra has no labels: each direction is scored by KID (and FID) of
# the translated source test images against the target domain's test images,
# in the features of the shipped CIFAR-10 classifier (at 32 px; CIFAR-10 has
# horses, not zebras), next to the untranslated source images' KID.
ENTRIES["cyclegan_horse2zebra"] = {
    "variant": "cyclegan", "pair": ("horse", "zebra"), "load_pair": "horse2zebra", "size": 64,
    "licenses": ("horse2zebra",),
    "channels": 3, "scoring": "kid",
    "model": {"filters": 16, "n_blocks": 6}, "batch_size": 4,
    "steps_per_epoch": 150, "epochs": 200,
    "directions": (("a2b", "horse", "zebra"), ("b2a", "zebra", "horse")),
    "description": "CycleGAN (ResNet generators, filters 16, 6 blocks; PatchGAN), "
                   "horse2zebra at 64 px"}
# DiscoGAN's reference architecture is for 64 px images (Kim et al. 2017 train
# at 64 px): horse <-> zebra at 64 px, filters 32 (the reference's 64 is 4x
# the compute and 4x the 8 MB of weights), batch 16, the reference curriculum
# on the reconstruction rate (0.01, then 0.5) with its switch scaled from 10k
# to 1,500 steps to fit a CPU session's budget. Scored like the CycleGAN entry.
ENTRIES["discogan_horse2zebra"] = {
    "variant": "discogan", "pair": ("horse", "zebra"), "load_pair": "horse2zebra", "size": 64,
    "licenses": ("horse2zebra",),
    "channels": 3, "scoring": "kid",
    "model": {"filters": 32, "curriculum_steps": 1500}, "batch_size": 16,
    "steps_per_epoch": 84, "epochs": 120,  # 84 batches: one pass over the zebras
    "directions": (("a2b", "horse", "zebra"), ("b2a", "zebra", "horse")),
    "description": "DiscoGAN (encoder-decoder generators, filters 32; reconstruction-rate "
                   "curriculum switched at 1,500 steps), horse2zebra at 64 px"}
SIZE = 28
QUICK_SEED = 1234


def _translate_fn(model, direction):
    if direction is None:
        return model.translate
    return lambda x: model.translate(x, direction)


def _domains(entry, split, data_dir):
    from keras_gans.data.two_domain import load_pair

    pair = load_pair(entry["load_pair"], split=split, data_dir=data_dir)
    return dict(zip(entry["pair"], (pair.x_a, pair.x_b)))


def measure_kid(model, entry, split, n, seed, data_dir):
    """{KID and FID name: value} of each direction's translations (or, with
    ``model=None``, of the untranslated source images) against the target
    domain's images of ``split``; ``n`` seeded source images (None: all)."""
    from keras_gans.metrics import evaluate_against, transfer_features

    images = _domains(entry, split, data_dir)
    net = transfer_features("cifar10", (entry["size"], entry["size"], 3))
    out = {}
    for direction, source, target in entry["directions"]:
        x = images[source]
        if n is not None:
            x = x[np.random.default_rng(seed).permutation(len(x))[:n]]
        fake = x if model is None else np.asarray(_translate_fn(model, direction)(x))
        ref = f"{source}2{target}_{target}_{split}"
        out.update(evaluate_against(fake, images[target], net, ["fid", "kid"], n=len(fake),
                                    reference_name=ref, seed=seed))
    return {k: v for k, v in out.items() if not k.endswith("_std")}


def measure_content(model, entry, data_dir):
    """Does a horse <-> zebra translation keep its input's picture? KID only
    says the translations look like the target domain, which a generator that
    ignores its input also achieves. Per direction, on the whole source test
    split (images in [-1, 1]): the mean squared error of the round trip
    x -> G(x) -> F(G(x)) and of the translation itself, next to that of
    unrelated pairs (each test image against the next one), the error of a
    translator that keeps nothing of its input."""
    images = _domains(entry, "test", data_dir)
    out = {}
    for direction, source, target in entry["directions"]:
        back = {"a2b": "b2a", "b2a": "a2b"}[direction]
        x = images[source]
        fake = np.asarray(_translate_fn(model, direction)(x), "float32")
        again = np.asarray(_translate_fn(model, back)(fake), "float32")
        out[f"round_trip_mse_{source}_test"] = round(float(np.mean((again - x) ** 2)), 5)
        out[f"translation_mse_{source}2{target}_test"] = round(
            float(np.mean((fake - x) ** 2)), 5)
        out[f"unrelated_pairs_mse_{source}_test"] = round(
            float(np.mean((np.roll(x, 1, axis=0) - x) ** 2)), 5)
    return out


def describe_feature_extractor(model, entry, data_dir):
    """The DTN's f (frozen, trained on USPS train labels only): how it was
    trained and how well it reads both domains' test digits. f must read the
    target domain too: its losses apply it to translations and target images."""
    from keras_gans.data import load
    from keras_gans.networks.classifier import classifier_accuracy

    out = {"trained_on": "usps train labels", "epochs": entry["f_epochs"],
           "augment": entry.get("f_augment")}
    for name in ("usps", "mnist"):
        x, y = load(name, split="test", data_dir=data_dir, size=SIZE)
        out[f"accuracy_{name}_test"] = round(classifier_accuracy(model.feature_extractor,
                                                                 x, y), 4)
    return out


def measure(model, entry, split, n, seed, data_dir):
    """{protocol name: accuracy} for every direction of ``entry``."""
    from keras_gans.metrics import shipped_translation_accuracy

    if entry.get("scoring") == "kid":
        return measure_kid(model, entry, split, n, seed, data_dir)
    out = {}
    for direction, source, target in entry["directions"]:
        out.update(shipped_translation_accuracy(
            _translate_fn(model, direction), source, target, split=split, n=n, seed=seed,
            size=SIZE, data_dir=data_dir))
    return out


def baselines(entry, data_dir):
    """The target classifier on the untranslated source test images."""
    from keras_gans.metrics import shipped_translation_accuracy

    if entry.get("scoring") == "kid":
        return {"no_translation_" + k: v
                for k, v in measure_kid(None, entry, "test", None, 0, data_dir).items()}
    out = {}
    for _, source, target in entry["directions"]:
        acc = shipped_translation_accuracy(lambda x: x, source, target, split="test",
                                           size=SIZE, data_dir=data_dir)
        out.update({"no_translation_" + k[len("translation_accuracy_"):]: v
                    for k, v in acc.items()})
    return out


def selection_value(entry, parts):
    """Higher is better: the mean accuracy, or minus the mean KID."""
    if entry.get("scoring") == "kid":
        return -float(np.mean([v for k, v in parts.items() if k.startswith("kid_")]))
    return float(np.mean(list(parts.values())))


class BestTranslationCheckpoint(keras.callbacks.Callback):
    """After every epoch: the selection metric; the best epoch's weights kept
    at ``path`` and its record at ``path + '.best.json'`` (survives a resume)."""

    def __init__(self, path, entry, n, data_dir):
        super().__init__()
        self.path, self.entry, self.n, self.data_dir = path, entry, n, data_dir
        self.record_path = path + ".best.json"
        self.best = None
        if os.path.exists(self.record_path):
            with open(self.record_path, encoding="utf-8") as f:
                self.best = json.load(f)

    def on_epoch_end(self, epoch, logs=None):
        parts = measure(self.model, self.entry, "train", self.n, QUICK_SEED, self.data_dir)
        value = selection_value(self.entry, parts)
        if logs is not None:
            logs.update(parts)
            logs["selection"] = value
        if self.best is None or value > self.best["value"]:
            self.model.save_weights(self.path, overwrite=True)
            self.best = {"epoch": epoch + 1, "value": value, "parts": parts,
                         "metric": ("minus_mean_kid_train_" if self.entry.get("scoring")
                                    == "kid" else "mean_translation_accuracy_train_")
                                   + f"{self.n}"}
            tmp = self.record_path + ".tmp"
            with open(tmp, "w", encoding="utf-8") as f:
                json.dump(self.best, f)
            os.replace(tmp, self.record_path)
            print(f"\nselection {value:.4f} {parts}: best so far (epoch {epoch + 1})")
        else:
            print(f"\nselection {value:.4f} {parts} (best {self.best['value']:.4f} at "
                  f"epoch {self.best['epoch']})")


def build(entry, run, seed, data_dir):
    from keras_gans.data import load
    from keras_gans.models import get_variant
    from keras_gans.networks.classifier import train_classifier

    if entry["variant"] == "dtn":
        from keras_gans.models.dtn import DomainTransferNetwork

        x_s, y_s = load("usps", data_dir=data_dir, size=SIZE)
        f_path = os.path.join(run, "f.weights.h5")
        f = train_classifier(x_s, y_s, epochs=0 if os.path.exists(f_path)
                             else entry["f_epochs"], seed=seed, name="feature_extractor",
                             augment=entry.get("f_augment"))
        if os.path.exists(f_path):
            f.load_weights(f_path)
        else:
            f.save_weights(f_path)
        model = DomainTransferNetwork(f, seed=seed, **entry["model"])
    else:
        cls = get_variant(entry["variant"])
        side = entry.get("size", SIZE)
        model = cls(data_shape=(side, side, entry.get("channels", 1)), seed=seed,
                    **entry["model"])
    model.compile()
    return model


def train(name, args):
    from keras_gans import training
    from keras_gans.callbacks import translation_rows
    from keras_gans.data import load
    from keras_gans.data.two_domain import UnpairedBatches
    from keras_gans.errors import GANConfigError
    from keras_gans.presets import round_weights, save_to_preset

    entry = dict(with_model_options(ENTRIES[name], args.model_option))
    if args.steps_per_epoch:
        entry["steps_per_epoch"] = args.steps_per_epoch
    out = os.path.join(args.zoo_dir, name)
    if os.path.exists(os.path.join(out, "metadata.json")) and not args.overwrite:
        raise GANConfigError(f"{out} already holds a preset; pass --overwrite to replace it.")
    run = os.path.join(args.run_dir, name)
    os.makedirs(run, exist_ok=True)
    seed = args.seed
    keras.utils.set_random_seed(seed)
    a, b = entry["pair"]
    if "load_pair" in entry:
        x_a, x_b = (_domains(entry, "train", args.data_dir)[d] for d in entry["pair"])
    else:
        x_a, _ = load(a, data_dir=args.data_dir, size=SIZE)
        x_b, _ = load(b, data_dir=args.data_dir, size=SIZE)
    model = build(entry, run, seed, args.data_dir)
    batches = UnpairedBatches(x_a, x_b, batch_size=entry["batch_size"], seed=seed)
    epochs = args.epochs or entry["epochs"]
    best_path = os.path.join(run, "best.weights.h5")
    best = BestTranslationCheckpoint(best_path, entry, args.quick_n, args.data_dir)
    # the one training pipeline (keras_gans.training.train); shuffle=True: fit's
    # default batch order, as these entries were trained
    done = training.train(model, batches, run, epochs=epochs, resume=True,
                          steps_per_epoch=entry["steps_per_epoch"], best=best,
                          minutes=args.minutes, shuffle=True, verbose=2, save_model=False)
    history, train_seconds, best_record = done.history, done.seconds, done.best
    model.load_weights(best_path)
    round_weights(model, WEIGHTS_DTYPE)  # measure what ships
    t1 = time.time()
    metrics = measure(model, entry, "test", None, 0, args.data_dir)
    selection = measure(model, entry, "train", args.quick_n, QUICK_SEED, args.data_dir)
    eval_seconds = time.time() - t1
    # the command that trains these weights again: the epochs trained (over every
    # resumed call), not this call's --minutes budget
    trained = len(history)
    command = (f"KERAS_BACKEND={keras.backend.backend()} python "
               f"zoo/recipes/train_translation_preset.py {name} --data-dir ../shared/datasets"
               + (f" --epochs {trained}" if args.epochs or trained != entry["epochs"] else "")
               + (f" --steps-per-epoch {args.steps_per_epoch}" if args.steps_per_epoch
                  else "")
               + (f" --quick-n {args.quick_n}" if args.quick_n != 1000 else "")
               + recorded_options(args))
    meta = {
        "description": entry["description"],
        "task": "translation",
        "dataset": entry.get("load_pair", f"{a}2{b}"), "dataset_split": "train (unpaired)",
        "dataset_license": "; ".join(LICENSES[d] for d in entry.get("licenses",
                                                                    entry["pair"])),
        "paper": PAPERS[type(model).__name__],
        "recipe": command,
        "settings": {"model": dict(entry["model"]), "batch_size": entry["batch_size"],
                     "steps_per_epoch": entry["steps_per_epoch"], "epochs": epochs,
                     "seed": seed, "image_size": entry.get("size", SIZE),
                     "optimizers": {p: keras.saving.serialize_keras_object(o)["class_name"]
                                    + f"(lr={float(o.learning_rate):g})"
                                    for p, o in model.player_optimizers.items()}},
        "backend": keras.backend.backend(), "keras": keras.__version__,
        "hardware": hardware(),
        "wall_time_s": round(sum(h["seconds"] for h in history), 1),
        "epochs_trained": len(history),
        "steps_trained": sum(int(h.get("steps", entry["steps_per_epoch"])) for h in history),
        "best_epoch": best_record["epoch"],
        # the per-epoch measurement that chose the kept epoch; tests/test_zoo.py
        # recomputes it from the shipped weights on every backend
        "selection": {"metric": best_record["metric"],
                      "value": selection_value(entry, selection),
                      "scoring": entry.get("scoring", "accuracy"),
                      "load_pair": entry.get("load_pair"), "pair": list(entry["pair"]),
                      "parts": selection, "value_float32": best_record["value"],
                      "split": "train", "n": args.quick_n, "seed": QUICK_SEED,
                      "epoch": best_record["epoch"], "size": entry.get("size", SIZE),
                      "directions": [list(d) for d in entry["directions"]]},
        "seed": seed,
        "metrics": {k: round(float(v), 6) for k, v in metrics.items()},
        "baselines": {k: round(float(v), 6) for k, v in baselines(entry, args.data_dir).items()},
        "evaluation_seconds": round(eval_seconds, 1),
        "history": history,
    }
    if entry.get("scoring") == "kid":
        meta["content"] = measure_content(model, entry, args.data_dir)
    if entry["variant"] == "dtn":
        meta["feature_extractor"] = describe_feature_extractor(model, entry, args.data_dir)
    if "load_pair" in entry:
        x_src = _domains(entry, "test", args.data_dir)[entry["directions"][0][1]]
    else:
        x_src, _ = load(entry["directions"][0][1], split="test", data_dir=args.data_dir,
                        size=SIZE)
    # rows of 8 sources, each followed by its translations (as keras-gans train's grid)
    samples = translation_rows(_translate_fn(model, entry["directions"][0][0]), x_src[:32])
    save_to_preset(model, out, metadata=meta, overwrite=args.overwrite,
                   weights_dtype=WEIGHTS_DTYPE, samples=samples)
    print(json.dumps({"name": name, "best_epoch": best_record["epoch"], **meta["metrics"],
                      **meta["baselines"]}, indent=1))
    print(f"wrote {out} ({train_seconds:.0f} s of training in this run)")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    common_arguments(p, ENTRIES)
    p.add_argument("--steps-per-epoch", type=int, default=None,
                   help="override the recipe's steps per epoch")
    p.add_argument("--quick-n", type=int, default=1000,
                   help="source train images per direction of the per-epoch selection")
    args = p.parse_args(argv)
    unknown = [n for n in args.names if n not in ENTRIES]
    if unknown:
        p.error(f"unknown entries {unknown}; known: {sorted(ENTRIES)}")
    for name in args.names:
        train(name, args)


if __name__ == "__main__":
    main()
