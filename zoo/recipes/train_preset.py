"""Train one zoo entry from its recipe and write it as a preset under ``zoo/``.

Every image-generating entry of the zoo is trained by this one script, from the
table ``ENTRIES`` below (variant, dataset, model settings, epochs, batch size,
seed), so that ``metadata.json``'s ``recipe`` is one command that reproduces it:

    KERAS_BACKEND=tensorflow python zoo/recipes/train_preset.py dcgan_mnist \\
        --data-dir ../shared/datasets

What it does:

1. trains with ``keras_gans.training.train`` (the pipeline ``keras-gans train``
   uses) on the dataset's train split, each epoch's order from (seed, epoch)
   (``EpochShuffled``), with a ``BackupAndRestore`` checkpoint after every epoch
   in ``--run-dir``: a rerun of the same command resumes;
2. measures the quick protocol FID (``n=2000`` samples against the test split,
   the shipped classifier) after every epoch and keeps the best epoch's weights
   (``BestMetricCheckpoint``): GANs often get worse after their best point;
3. loads the best weights and measures the zoo protocol: 10,000 samples
   against the test split (FID, KID, precision/recall, density/coverage, IS,
   class coverage and KL; conditional accuracy for conditional models);
4. writes the preset folder ``zoo/<name>`` (config, weights, samples grid and
   metadata with every file's sha256: ``keras_gans.presets.save_to_preset``).
   An existing preset is refused unless ``--overwrite``.

``--table`` rewrites the zoo table in zoo/README.md and README.md from the
presets' metadata (between the ``<!-- zoo-table -->`` markers).

The TensorFlow backend is the default: on a CPU its graph kernels train these
convolutional models 3-6x faster than XLA (benchmarks/RESULTS.md). Presets
load on every backend.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, ROOT)

import keras
import numpy as np

LICENSES = {
    "mnist": "MNIST (LeCun, Cortes, Burges), CC BY-SA 3.0 as distributed by Keras",
    "fashion_mnist": "Fashion-MNIST (Zalando Research), MIT License",
    "cifar10": "CIFAR-10 (Krizhevsky 2009), test split only, decoded from JPEG q75; "
               "no license stated by its authors",
    "celeba_gray_subset_64": "CelebA (Liu et al. 2015): 1,500 grayscale crops of 50 "
                             "identities (GitHub Nikhil4902/CelebA_Dataset, no license "
                             "file), 64 px; CelebA's terms: non-commercial research only",
}
PAPERS = {
    "GAN": "Goodfellow et al. 2014, Generative Adversarial Networks",
    "ConditionalGAN": "Mirza & Osindero 2014, Conditional Generative Adversarial Nets",
    "DCGAN": "Radford et al. 2015, Unsupervised Representation Learning with DCGANs",
    "WGAN": "Arjovsky et al. 2017, Wasserstein GAN",
    "WGANGP": "Gulrajani et al. 2017, Improved Training of Wasserstein GANs",
    "LSGAN": "Mao et al. 2017, Least Squares Generative Adversarial Networks",
    "StyleGAN": "Karras et al. 2019, A Style-Based Generator Architecture for GANs; "
                "modulated convolutions and lazy R1 from Karras et al. 2020 (StyleGAN2)",
}

# name -> recipe. "model": keyword arguments of the variant's class (its paper
# defaults otherwise); "epochs": passes over the train split (the best epoch by
# the quick FID is kept).
ENTRIES = {
    "gan_mnist": {
        "variant": "gan", "dataset": "mnist", "model": {"loss": "non_saturating", "hidden": (512, 512), "ema_decay": 0.999},
        "epochs": 80, "batch_size": 64,
        "description": "MLP GAN, non-saturating generator loss (the paper's practical form); "
                       "samples from a generator EMA (0.999), not in the paper"},
    "gan_minimax_mnist": {
        "variant": "gan", "dataset": "mnist", "model": {"loss": "minimax", "hidden": (512, 512)},
        "epochs": 30, "batch_size": 64,
        "description": "MLP GAN, the paper's minimax generator loss log(1 - D(G(z)))"},
    "conditional_gan_mnist": {
        "variant": "conditional_gan", "dataset": "mnist",
        "model": {"num_classes": 10, "architecture": "dcgan"}, "epochs": 10, "batch_size": 64,
        "description": "conditional GAN, DCGAN players, one-hot labels into G and D"},
    "dcgan_mnist": {
        "variant": "dcgan", "dataset": "mnist", "model": {}, "epochs": 12, "batch_size": 64,
        "description": "DCGAN, paper defaults"},
    "dcgan_fashion_mnist": {
        "variant": "dcgan", "dataset": "fashion_mnist", "model": {}, "epochs": 12, "batch_size": 64,
        "description": "DCGAN, paper defaults"},
    "wgan_gp_mnist": {
        "variant": "wgan_gp", "dataset": "mnist", "model": {"ema_decay": 0.999}, "epochs": 12,
        "batch_size": 64,
        "description": "WGAN-GP, paper defaults (n_critic 5, lambda 10, no BatchNorm in the "
                       "critic); samples from a generator EMA (0.999), not in the paper"},
    "wgan_gp_fashion_mnist": {
        "variant": "wgan_gp", "dataset": "fashion_mnist", "model": {}, "epochs": 14, "batch_size": 64,
        "description": "WGAN-GP, paper defaults (n_critic 5, lambda 10, no BatchNorm in the critic)"},
    "wgan_fashion_mnist": {
        "variant": "wgan", "dataset": "fashion_mnist", "model": {}, "epochs": 6, "batch_size": 64,
        "description": "WGAN with weight clipping, paper defaults (RMSprop 5e-5, c 0.01, n_critic 5)"},
    "lsgan_fashion_mnist": {
        "variant": "lsgan", "dataset": "fashion_mnist", "model": {}, "epochs": 12, "batch_size": 64,
        "description": "LSGAN, paper defaults (a=0, b=c=1), DCGAN players"},
    # StyleGAN-lite at 28 px, sized for the 2-core CPU (zoo/recipes/stylegan_fashion.py
    # measured it against DCGAN): an "epoch" is 200 steps, about 2 CPU-s each.
    "stylegan_fashion_mnist": {
        "variant": "stylegan", "dataset": "fashion_mnist",
        "model": {"latent_dim": 64, "channels": 64, "channel_base": 1024, "mapping_layers": 4,
                  "r1_gamma": 0.01, "r1_interval": 16, "ema_decay": 0.995},
        "epochs": 100, "batch_size": 32, "steps_per_epoch": 200,
        "description": "StyleGAN-lite: mapping MLP, modulated-conv synthesis from a learned "
                       "constant, noise inputs, EMA generator, style mixing, lazy R1"},
    # The 64 px grayscale faces: 1,200 train images and no classifier of their
    # own, so FID/KID are taken in the shipped CIFAR-10 classifier's features
    # (transfer_features: gray repeated to RGB, resized to 32 px), the kept epoch
    # chosen against the 1,200 train faces and the card measured against the
    # 150 test faces (and the train faces). DiffAugment: the data is small.
    "stylegan_faces_64": {
        "variant": "stylegan", "dataset": "celeba_gray_subset_64", "scoring": "transfer",
        "model": {"latent_dim": 64, "channels": 64, "channel_base": 512, "mapping_layers": 4,
                  "r1_gamma": 0.05, "r1_interval": 16, "ema_decay": 0.995,
                  "augment": "color,translation,cutout"},
        "epochs": 1000, "batch_size": 32, "select_every": 4,
        "description": "StyleGAN-lite with DiffAugment: mapping MLP, modulated-conv synthesis "
                       "from a learned constant, noise inputs, EMA generator, style mixing, "
                       "lazy R1"},
    "dcgan_cifar10": {
        "variant": "dcgan", "dataset": "cifar10", "model": {}, "epochs": 60, "batch_size": 64,
        "description": "DCGAN on the 10,000 CIFAR-10 test images that are shipped "
                    "(no train split here): trained and measured on the same images"},
}

# Weights ship as float16 (half the size; keras casts them back to float32 on
# load). The kept epoch is rounded before it is measured, so the card's numbers
# are those of the stored weights.
WEIGHTS_DTYPE = "float16"
QUICK_SEED = 1234  # the per-epoch FID's samples (the final measurement uses seed 0)
FULL_METRICS = ["fid", "kid", "pr", "dc", "is", "class_coverage", "class_kl"]


def transfer_protocol(entry, data_dir):
    """For an entry scored in another dataset's features ("scoring": "transfer"):
    the feature network and {split: reference images}."""
    from keras_gans.data import load
    from keras_gans.metrics import transfer_features

    refs = {split: load(entry["dataset"], split, data_dir=data_dir)[0]
            for split in ("train", "test")}
    return transfer_features("cifar10", refs["train"].shape[1:]), refs


def measure_transfer(model, entry, data_dir, metrics, n, seed, splits=("test", "train"),
                     protocol=None):
    """{protocol name: value}: ``metrics`` of ``n`` samples against each split's
    images (names ``<metric>_<dataset>_<split>_cifar10_classifier_<n>``);
    ``protocol``: ``transfer_protocol``'s result, if it is already at hand."""
    from keras_gans.metrics import evaluate_against

    net, refs = protocol or transfer_protocol(entry, data_dir)
    out = {}
    for split in splits:
        out.update(evaluate_against(model, refs[split], net, metrics, n=n, seed=seed,
                                    reference_name=f"{entry['dataset']}_{split}"))
    return {k: v for k, v in out.items() if not k.endswith("_std")}


def build(entry, x_shape, seed):
    from keras_gans.models import get_variant

    cls = get_variant(entry["variant"])
    model = cls(data_shape=tuple(x_shape), seed=seed, **entry["model"])
    model.compile(**optimizers(entry))
    return model


def optimizers(entry):
    """``compile``'s optimizers from an entry's ``"optimizers"``: ``{player:
    {"learning_rate": ..., "beta_1": ..., "beta_2": ...}}``, Adam for each
    player named (two time-scales, TTUR: Heusel et al. 2017) unless its
    ``"class"`` names another Keras optimizer (``"RMSprop"``), the variant's
    paper default for the others; no key: the paper's for every player."""
    out = {}
    for player, kwargs in (entry.get("optimizers") or {}).items():
        kwargs = dict(kwargs)
        name = kwargs.pop("class", "Adam")
        cls = getattr(keras.optimizers, name, None)
        if not (isinstance(cls, type) and issubclass(cls, keras.optimizers.Optimizer)):
            raise SystemExit(f"optimizer class {name!r} of player {player!r} is not a "
                             "keras.optimizers optimizer (e.g. Adam, RMSprop, SGD).")
        out[f"{player}_optimizer"] = cls(**kwargs)
    return out


def hardware():
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            names = [ln.split(":", 1)[1].strip() for ln in f if ln.startswith("model name")]
        cpu = names[0] if names else cpu
    except OSError:
        pass
    return f"{os.cpu_count()} CPU cores ({cpu}), no GPU"


def model_options(pairs):
    """``--model-option KEY=VALUE`` pairs -> ``{KEY: VALUE}``, VALUE read as JSON
    (``true``, ``0.999``, ``{"conditioning": "projection"}``), else as a string."""
    options = {}
    for pair in pairs or ():
        key, sep, value = pair.partition("=")
        if not sep or not key.isidentifier():
            raise SystemExit(f"--model-option takes KEY=VALUE (e.g. matching_aware=true); "
                             f"got {pair!r}.")
        try:
            options[key] = json.loads(value)
        except json.JSONDecodeError:
            options[key] = value
    return options


def with_model_options(entry, pairs, optimizer_pairs=()):
    """The recipe ``entry`` with ``--model-option`` overrides of its model
    arguments and ``--optimizer PLAYER=JSON`` overrides of its players'
    optimizers (``discriminator={"class": "RMSprop", "learning_rate": 2e-4}``)."""
    options = model_options(pairs)
    chosen = model_options(optimizer_pairs)
    for player, kwargs in chosen.items():
        if not isinstance(kwargs, dict):
            raise SystemExit(f"--optimizer takes PLAYER=JSON object (e.g. generator="
                             f'\'{{"class": "RMSprop", "learning_rate": 2e-4}}\'); got '
                             f"{player}={kwargs!r}.")
    if not options and not chosen:
        return entry
    described = ", ".join(f"{k}={json.dumps(v)}" for k, v in options.items())
    entry = {**entry, "model": {**entry["model"], **options}}
    if options:
        entry["description"] += f"; with {described} (--model-option)"
    if chosen:
        entry["optimizers"] = {**(entry.get("optimizers") or {}), **chosen}
        entry["description"] += "; optimizers " + ", ".join(
            f"{p}={json.dumps(k)}" for p, k in chosen.items()) + " (--optimizer)"
    return entry


def train(name, args):
    from keras_gans import training
    from keras_gans.callbacks import BestMetricCheckpoint
    from keras_gans.data import EpochShuffled, load
    from keras_gans.errors import GANConfigError
    from keras_gans.metrics import evaluate
    from keras_gans.presets import round_weights, save_to_preset

    entry = with_model_options(ENTRIES[name], args.model_option, args.optimizer)
    out = os.path.join(args.zoo_dir, name)
    if os.path.exists(os.path.join(out, "metadata.json")) and not args.overwrite:
        raise GANConfigError(f"{out} already holds a preset; pass --overwrite to replace it.")
    run = os.path.join(args.run_dir, name)
    os.makedirs(run, exist_ok=True)
    seed = args.seed
    keras.utils.set_random_seed(seed)
    split = "test" if entry["dataset"] == "cifar10" else "train"
    x, y = load(entry["dataset"], split, data_dir=args.data_dir)
    model = build(entry, x.shape[1:], seed)
    conditional = bool(getattr(model, "num_classes", None))
    data = EpochShuffled(x, y if conditional else None, batch_size=entry["batch_size"],
                         seed=seed)
    epochs = args.epochs or entry["epochs"]
    best_path = os.path.join(run, "best.weights.h5")
    transfer = entry.get("scoring") == "transfer"
    if transfer:  # against the train images, all of them (n = their count)
        net, refs = transfer_protocol(entry, args.data_dir)
        quick_n = len(refs["train"])
        best = BestMetricCheckpoint(best_path, metric="fid", n=quick_n, seed=QUICK_SEED,
                                    every=entry.get("select_every", 1),
                                    reference_images=refs["train"], feature_network=net,
                                    reference_name=f"{entry['dataset']}_train")
    else:
        quick_n = args.quick_n
        best = BestMetricCheckpoint(best_path, metric="fid", dataset=entry["dataset"],
                                    n=quick_n, seed=QUICK_SEED,
                                    every=entry.get("select_every", 1))
    # the one training pipeline (keras_gans.training.train): a BackupAndRestore
    # checkpoint in the run folder (a rerun resumes), history.json, the best epoch
    done = training.train(model, data, run, epochs=epochs, resume=True,
                          steps_per_epoch=entry.get("steps_per_epoch"), best=best,
                          minutes=args.minutes, verbose=2, save_model=False,
                          learning_rate=args.learning_rate)
    history, train_seconds, best_record = done.history, done.seconds, done.best
    model.load_weights(best_path)
    round_weights(model, WEIGHTS_DTYPE)  # measure what ships
    wanted = FULL_METRICS + (["conditional_accuracy"] if conditional else [])
    t1 = time.time()
    if transfer:
        metrics = measure_transfer(model, entry, args.data_dir, ["fid", "kid", "pr", "dc"],
                                   n=args.n, seed=0, protocol=(net, refs))
    else:
        metrics = evaluate(model, entry["dataset"], wanted, n=args.n, seed=0)
    eval_seconds = time.time() - t1
    # the command that trains these weights again: the epochs trained (over every
    # resumed call), not this call's --minutes budget
    trained = len(history)
    command = (f"KERAS_BACKEND={keras.backend.backend()} python zoo/recipes/train_preset.py "
               f"{name} --data-dir ../shared/datasets"
               + (f" --epochs {trained}" if args.epochs or trained != entry["epochs"] else "")
               + recorded_options(args))
    meta = {
        "description": entry["description"] + f"; {entry['dataset']}",
        "dataset": entry["dataset"], "dataset_split": split,
        "dataset_license": LICENSES[entry["dataset"]],
        "paper": PAPERS[type(model).__name__],
        "recipe": command,
        "settings": {"model": {k: list(v) if isinstance(v, tuple) else v
                               for k, v in entry["model"].items()},
                     "batch_size": entry["batch_size"], "epochs": epochs, "seed": seed,
                     "steps_per_epoch": entry.get("steps_per_epoch"),
                     "optimizers": {p: keras.saving.serialize_keras_object(o)["class_name"]
                                    + f"(lr={float(o.learning_rate):g}"
                                    + "".join(f", {b}={float(getattr(o, b)):g}"
                                              for b in ("beta_1", "beta_2") if hasattr(o, b))
                                    + ")"
                                    for p, o in model.player_optimizers.items()}},
        "backend": keras.backend.backend(), "keras": keras.__version__,
        "hardware": hardware(),
        # every epoch's time, over resumed runs too, with its quick FID
        "wall_time_s": round(sum(h["seconds"] for h in history), 1),
        "epochs_trained": len(history),
        "steps_trained": sum(int(h.get("steps", 0)) for h in history),
        "best_epoch": best_record["epoch"],
        # the per-epoch measurement that chose the kept epoch; tests/test_zoo.py
        # recomputes it from the shipped weights on every backend
        "selection": {"metric": best_record["metric"], "value": best_record["value"],
                      "n": quick_n, "seed": QUICK_SEED, "epoch": best_record["epoch"],
                      **({"scoring": "transfer", "split": "train",
                          "feature_network": "transfer_features('cifar10', image shape)"}
                         if transfer else {})},
        "seed": seed,
        "metrics": {k: round(float(v), 6) for k, v in metrics.items()},
        "evaluation_seconds": round(eval_seconds, 1),
        "history": history,
    }
    if transfer:
        # the scale of these numbers: held-out real images (the validation split)
        from keras_gans.data import scale_images
        from keras_gans.data.datasets import find_local

        with np.load(find_local(entry["dataset"], args.data_dir)) as f:
            real = scale_images(f["x_val"]) if "x_val" in f else None
        if real is not None:
            meta["baselines"] = {
                "real_val_images_" + k: round(float(v), 6)
                for k, v in measure_transfer(real, entry, args.data_dir, ["fid", "kid", "pr"],
                                             n=len(real), seed=0,
                                             protocol=(net, refs)).items()}
        meta["note"] = ("No classifier ships for these images: FID, KID, precision/recall and "
                        "density/coverage are taken in the shipped CIFAR-10 classifier's 128-d "
                        "features (grayscale repeated to RGB, resized to 32 px), 10k samples "
                        f"against the {len(refs['test'])} test images and against the "
                        f"{len(refs['train'])} train images. The test split is small: read "
                        "KID first. The kept epoch was chosen by FID against the train images.")
    if entry["dataset"] == "cifar10":
        meta["note"] = ("Only the CIFAR-10 test split is shipped here, so this model is "
                        "trained on the 10,000 test images and measured against the same "
                        "images' statistics: its FID is optimistic compared to a held-out one.")
    save_to_preset(model, out, metadata=meta, overwrite=args.overwrite,
                   weights_dtype=WEIGHTS_DTYPE)
    print(json.dumps({"name": name, "best_epoch": best_record["epoch"], **meta["metrics"]},
                     indent=1))
    print(f"wrote {out} ({train_seconds:.0f} s of training in this run)")


def as_float16(name, args):
    """Store an entry trained with float32 weights as float16: round, measure
    the zoo protocol and the selection FID again, rewrite the preset."""
    from keras_gans.metrics import evaluate
    from keras_gans.presets import (
        from_preset,
        read_metadata,
        round_weights,
        save_to_preset,
    )

    meta = read_metadata(name)
    if meta.get("weights_dtype") == "float16":
        print(f"{name} is already float16")
        return
    model = from_preset(name)
    round_weights(model, "float16")
    keys = "".join(meta["metrics"])
    wanted = FULL_METRICS + (["conditional_accuracy"] if "conditional_accuracy_" in keys
                             else [])
    metrics = evaluate(model, meta["dataset"], wanted, n=args.n, seed=0)
    sel = dict(meta["selection"])
    quick = evaluate(model, meta["dataset"], ["fid"], n=sel["n"], seed=sel["seed"])
    sel["value_float32"], sel["value"] = sel["value"], float(quick[sel["metric"]])
    meta["selection"] = sel
    meta["metrics_float32"] = meta["metrics"]
    meta["metrics"] = {k: round(float(v), 6) for k, v in metrics.items()}
    for key in ("sha256", "check", "parameters", "variant", "keras_gans_version", "name",
                "weights_dtype"):
        meta.pop(key, None)
    save_to_preset(model, os.path.join(args.zoo_dir, name), metadata=meta, overwrite=True,
                   weights_dtype="float16")
    print(f"{name}: float16, FID {meta['metrics_float32'].get(_fid_key(meta))} -> "
          f"{meta['metrics'].get(_fid_key(meta))}")


def _fid_key(meta):
    return f"fid_{meta['dataset']}_classifier_test_10k"


# ------------------------------------------------------------------ the table
TABLE_BEGIN, TABLE_END = "<!-- zoo-table -->", "<!-- /zoo-table -->"


def table(presets_meta, anchor=None):
    """The zoo table (markdown) from the presets' metadata."""

    def pick(metrics, prefix):
        for k, v in metrics.items():
            if k.startswith(prefix) and not k.endswith("_std"):
                return v
        return None

    def fmt(v, digits=3):
        return "" if v is None else f"{v:.{digits}g}"

    rows = [("| preset | variant | dataset | FID (10k, test) | KID | precision / recall "
            "| classes covered | cond. accuracy | classify: test error % | best epoch "
            "| parameters (G / D) |"),
            "|---|---|---|---|---|---|---|---|---|---|---|"]
    for name, meta in sorted(presets_meta.items()):
        m = meta.get("metrics", {})
        params = meta.get("parameters", {})
        g, d = params.get("generator"), params.get("discriminator")
        pr = pick(m, "precision_"), pick(m, "recall_")
        cov = pick(m, "class_coverage_")
        rows.append(
            f"| `{name}` | {meta.get('variant')} | {meta.get('dataset')} "
            f"| {fmt(pick(m, 'fid_'), 4)} | {fmt(pick(m, 'kid_'))} "
            f"| {fmt(pr[0], 2)} / {fmt(pr[1], 2)} "
            f"| {'' if cov is None else f'{round(cov * 10)}/10'} "
            f"| {fmt(pick(m, 'conditional_accuracy_'), 3)} "
            f"| {fmt(pick(m, 'classification_error_percent_'), 3)} "
            f"| {meta.get('best_epoch', '')}/{meta.get('epochs_trained', '')} "
            f"| {'' if g is None else f'{g / 1e3:.0f}k'} / {'' if d is None else f'{d / 1e3:.0f}k'} |")
    if anchor:
        m = anchor["metrics"]
        pr = pick(m, "precision_"), pick(m, "recall_")
        cov = pick(m, "class_coverage_")
        rows.append(
            f"| anchor: TF tutorial DCGAN | Keras TF subclass | mnist | "
            f"{fmt(pick(m, 'fid_'), 4)} | {fmt(pick(m, 'kid_'))} | {fmt(pr[0], 2)} / "
            f"{fmt(pr[1], 2)} | {'' if cov is None else round(cov * 10)}/10 | | | "
            f"{anchor['epochs']}/{anchor['epochs']} (last) | |")
    return "\n".join(rows)


XTABLE_BEGIN, XTABLE_END = "<!-- zoo-translation-table -->", "<!-- /zoo-translation-table -->"


def translation_table(presets_meta):
    """The translation entries' table (markdown) from their metadata: every
    direction's accuracy on the source test split next to the untranslated
    baseline, scored by the target's shipped classifier."""
    rows = [("| preset | variant | direction | translation accuracy (test) | no translation "
             "| test images | best epoch | steps | parameters |"),
            "|---|---|---|---|---|---|---|---|---|"]
    for name, meta in sorted(presets_meta.items()):
        for key, value in sorted(meta.get("metrics", {}).items()):
            if key.startswith("fid_"):
                continue  # KID is the reported one at these sample counts
            rest = key.removeprefix("translation_accuracy_")
            base = meta.get("baselines", {}).get("no_translation_" + rest)
            if key.startswith("kid_"):  # kid_<src>2<dst>_<dst>_test_<network>_<n>
                rest = key[len("kid_"):]
            direction = rest.split("_", 1)[0]
            count = rest.rsplit("_", 1)[1]
            what = ("KID (CIFAR-10 classifier features) " if key.startswith("kid_")
                    else "")
            rows.append(
                f"| `{name}` | {meta.get('variant')} | {direction.replace('2', ' → ')} "
                f"| {what}{value:.4g} | {'' if base is None else f'{base:.4g}'} | {count} "
                f"| {meta.get('best_epoch', '')}/{meta.get('epochs_trained', '')} "
                f"| {meta.get('steps_trained', '')} "
                f"| {meta.get('parameters', {}).get('total', 0) / 1e3:.0f}k |")
    return "\n".join(rows)


GALLERY_BEGIN, GALLERY_END = "<!-- zoo-gallery -->", "<!-- /zoo-gallery -->"


def gallery(presets_meta, prefix):
    """One sample grid per entry (``prefix``: the zoo folder, relative to the page)."""
    cells = [f'<img src="{prefix}{name}/samples.png" width="160" alt="{name}" '
             f'title="{name}">' for name in sorted(presets_meta)]
    names = [f"`{name}`" for name in sorted(presets_meta)]
    if os.path.exists(os.path.join(ROOT, "zoo", "anchor_samples.png")):
        cells.append(f'<img src="{prefix}anchor_samples.png" width="160" alt="anchor" '
                     'title="anchor: the TF tutorial DCGAN after 5 epochs">')
        names.append("the anchor (TF tutorial DCGAN, 5 epochs)")
    return "\n".join(cells) + f"\n\n{' · '.join(names)} (in this order; 64 samples each)"


def _replace_between(doc, begin, end, text, path):
    if begin not in doc or end not in doc:
        raise SystemExit(f"{path} has no {begin} ... {end} markers")
    head, rest = doc.split(begin, 1)
    _, tail = rest.split(end, 1)
    return f"{head}{begin}\n{text}\n{end}{tail}"


def write_table(paths, text, presets_meta=None, translation_text=None):
    """``paths``: {file: prefix of the zoo folder as seen from that file}."""
    for path, prefix in paths.items():
        with open(path, encoding="utf-8") as f:
            doc = f.read()
        doc = _replace_between(doc, TABLE_BEGIN, TABLE_END, text, path)
        if translation_text is not None:
            doc = _replace_between(doc, XTABLE_BEGIN, XTABLE_END, translation_text, path)
        if presets_meta is not None and GALLERY_BEGIN in doc:
            doc = _replace_between(doc, GALLERY_BEGIN, GALLERY_END,
                                   gallery(presets_meta, prefix), path)
        tmp = path + ".tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(doc)
        os.replace(tmp, path)
        print(f"updated {path}")


def common_arguments(p, entries):
    """The arguments every zoo recipe takes (this one, train_translation_preset.py)."""
    p.add_argument("names", nargs="*", help=f"entries to train: {', '.join(entries)}")
    p.add_argument("--data-dir", default=os.path.join(ROOT, "..", "shared", "datasets"))
    p.add_argument("--zoo-dir", default=os.path.join(ROOT, "zoo"))
    p.add_argument("--run-dir", default=os.path.join(ROOT, "runs", "zoo"),
                   help="checkpoints and history; a rerun resumes from here")
    p.add_argument("--epochs", type=int, default=None, help="override the recipe's epochs")
    p.add_argument("--minutes", type=float, default=None,
                   help="stop after the epoch that passes this wall-clock budget")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--overwrite", action="store_true")
    p.add_argument("--model-option", action="append", default=[], metavar="KEY=VALUE",
                   help="override one model argument of the recipe, VALUE in JSON (e.g. "
                        "matching_aware=true); the card's recipe, description and "
                        "settings record it. Repeat for several.")


def recorded_options(args):
    """The ``--model-option`` (and, where the recipe has them, ``--optimizer``
    and ``--learning-rate``) flags of this call, as the card's recipe line
    writes them."""
    out = "".join(f" --model-option '{pair}'" for pair in args.model_option)
    out += "".join(f" --optimizer '{pair}'" for pair in getattr(args, "optimizer", ()))
    if getattr(args, "learning_rate", None):
        out += f" --learning-rate {args.learning_rate:g}"
    return out


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    common_arguments(p, ENTRIES)
    p.add_argument("--n", type=int, default=10_000, help="samples of the final measurement")
    p.add_argument("--quick-n", type=int, default=2000, help="samples of the per-epoch FID")
    p.add_argument("--as-float16", nargs="+", default=[], metavar="NAME",
                   help="store these trained entries as float16 (measured again)")
    p.add_argument("--table", action="store_true",
                   help="rewrite the zoo table in zoo/README.md and README.md")
    p.add_argument("--optimizer", action="append", default=[], metavar="PLAYER=JSON",
                   help="one player's optimizer, e.g. discriminator='{\"class\": "
                        "\"RMSprop\", \"learning_rate\": 2e-4}' (Adam when no class); "
                        "the card records it. Repeat for several players.")
    p.add_argument("--learning-rate", type=float, default=None,
                   help="every player's learning rate from this call on, set after a "
                        "resumed run's restore (a later stage of a run: say so in the "
                        "card's note, since the recipe line then holds the last stage's)")
    p.add_argument("--anchor", default=os.path.join(ROOT, "zoo", "anchor.json"),
                   help="the anchor's measurement (anchor_tf_tutorial_dcgan.py's anchor.json)")
    args = p.parse_args(argv)
    unknown = [n for n in args.names if n not in ENTRIES]
    if unknown:
        p.error(f"unknown entries {unknown}; known: {sorted(ENTRIES)}")
    for name in args.names:
        train(name, args)
    for name in args.as_float16:
        as_float16(name, args)
    if args.table:
        from keras_gans.presets import list_presets

        anchor = None
        if os.path.exists(args.anchor):
            with open(args.anchor, encoding="utf-8") as f:
                anchor = json.load(f)
        found = {n: m for n, m in list_presets().items()
                 if os.path.isdir(os.path.join(args.zoo_dir, n))}
        generators = {n: m for n, m in found.items() if m.get("task") != "translation"}
        translators = {n: m for n, m in found.items() if m.get("task") == "translation"}
        write_table({os.path.join(ROOT, "zoo", "README.md"): "",
                     os.path.join(ROOT, "README.md"): "zoo/"}, table(generators, anchor),
                    found, translation_table(translators) if translators else None)


if __name__ == "__main__":
    main()
