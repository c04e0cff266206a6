"""What `keras-gans train` checks, loads and builds before the first step:
the variant, the data (one dataset, or two domains and the DTN's f), the
evaluation flags, the model and what its run adds to keras_gans.training.train."""

from __future__ import annotations

import os

from keras_gans.cli.translator_data import (
    is_translator,
    needs_features,
    translator_names,
)

MIXTURE_SETS = ("ring8", "grid25")
GRID_SOURCES = 32  # source images in a translator's sample grid (half per direction)


def check_data_flags(cls, args, defaults):
    """The data flags fit the variant (one dataset, or two domains and, for
    the DTN, --features); refused before anything is written."""
    from keras_gans.data.two_domain import PAIRS
    from keras_gans.errors import GANConfigError, GANInputError

    name = args.variant
    folders = [(flag, getattr(args, key, None)) for flag, key in
               (("--domain-a", "domain_a"), ("--domain-b", "domain_b"))]
    given = [flag for flag, value in folders if value]
    features = getattr(args, "features", None)
    if not is_translator(cls):
        if given:
            raise GANConfigError(
                f"{given[0]} is for the translators ({translator_names()}); {name} "
                "trains on one --dataset: drop --domain-a/--domain-b.")
        if features:
            raise GANConfigError(f"--features is the DTN's feature extractor; {name} has "
                                 "none: drop --features.")
        if args.dataset in PAIRS:
            raise GANConfigError(
                f"--dataset {args.dataset} is a pair of domains for the translators "
                f"({translator_names()}); {name} trains on one dataset, e.g. "
                f"--dataset {PAIRS[args.dataset][0]}.")
        return
    pairs = ", ".join(sorted(PAIRS))
    if given:
        if len(given) == 1:
            other = "--domain-b" if given[0] == "--domain-a" else "--domain-a"
            raise GANConfigError(
                f"{given[0]} needs {other}: {name} translates between two domains; pass "
                "a folder of images for each (--domain-a DIR --domain-b DIR).")
        if args.dataset != defaults.get("dataset"):
            raise GANConfigError(
                f"--dataset {args.dataset} and --domain-a/--domain-b both name the data; "
                "pass one of them.")
        for flag, folder in folders:
            if not os.path.isdir(folder):
                raise GANInputError(
                    f"{flag} {folder}: no such folder. Pass a folder of PNG/JPEG images "
                    "for each domain.")
    elif args.dataset not in PAIRS:
        raise GANConfigError(
            f"{name} translates between two domains, and --dataset {args.dataset} is one "
            f"dataset: pass a pair, --dataset mnist2usps (pairs: {pairs}), or two folders "
            "of images, --domain-a DIR --domain-b DIR.")
    if getattr(args, "latent_dim", None):
        raise GANConfigError(f"{name} translates images, it has no latent space: drop "
                             "--latent-dim.")
    if getattr(args, "eval_metric", None):
        raise GANConfigError(
            f"--eval-metric measures samples from noise; {name} translates images: drop "
            "--eval-metric (score translations with "
            "keras_gans.metrics.shipped_translation_accuracy).")
    if needs_features(cls) and not features:
        from keras_gans.metrics.feature_nets import DATASETS

        raise GANConfigError(
            f"{name} needs its feature extractor f, a classifier of the source domain (A): "
            f"pass --features mnist (a shipped classifier: {', '.join(DATASETS)}) or "
            "--features f.keras (a saved Keras classifier with a 'features' layer).")
    if features and not needs_features(cls):
        raise GANConfigError(f"--features is the DTN's feature extractor; {name} has "
                             "none: drop --features.")


def model_options(cls, args, taken):
    """--options: keyword arguments of the variant's class, checked by name."""
    import inspect

    from keras_gans.errors import GANConfigError, did_you_mean

    options = dict(getattr(args, "options", None) or {})
    params = []  # the variant's and its keras_gans base classes' (augment, ema_decay)
    for klass in cls.__mro__:
        if "__init__" in vars(klass) and klass.__module__.startswith("keras_gans"):
            params += [name for name, p in inspect.signature(klass.__init__).parameters.items()
                       if name != "self" and name not in params
                       and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)]
    for key in options:
        if key in taken:
            raise GANConfigError(f"--options {key!r}: the command line sets it (see the "
                                 "flags); drop it from --options.")
        if key not in params:
            known = [p for p in params if p not in taken]
            raise GANConfigError(
                f"--options {key!r}: {cls.__name__} takes no such argument; it takes "
                f"{', '.join(known)}." + did_you_mean(key, known))
    return options


def load_data(args):
    from keras_gans import data
    from keras_gans.errors import GANConfigError, GANInputError

    image_size = getattr(args, "image_size", None)
    if args.dataset in MIXTURE_SETS:
        if image_size:
            raise GANConfigError(f"{args.dataset} is 2-D points, not images: drop --image-size.")
        return data.load_mixture(args.dataset, n=args.limit or 8192, seed=args.seed), None
    if is_image_folder(args):
        x, y = data.load_folder(args.dataset, image_size=image_size)
    else:
        if os.sep in args.dataset and not args.dataset.endswith(".npz"):
            raise GANInputError(
                f"--dataset {args.dataset}: no such folder. Pass a folder of images, a "
                ".npz file or a dataset name (mnist, fashion_mnist, cifar10, usps, digits, "
                "ring8, grid25)."
            )
        size = image_size or (28 if args.dataset in ("digits", "usps") else None)
        x, y = data.load(args.dataset, data_dir=args.data_dir, size=size)
    if args.limit:
        x = x[: args.limit]
        y = None if y is None else y[: args.limit]
    return x, y


def is_image_folder(args):
    """--dataset names a folder of images (a dataset name, or a .npz in
    --data-dir, wins over a folder of the same name in the working directory)."""
    from keras_gans.data.datasets import TFDS_NAMES, find_local

    name = args.dataset
    if not os.path.isdir(name):
        return False
    if os.sep in name or (os.altsep and os.altsep in name):
        return True
    return name not in (*TFDS_NAMES, "digits", *MIXTURE_SETS) and find_local(
        name, args.data_dir) is None


def build_model(cls, args, x, y):
    """The variant for data ``x`` (labels ``y``), with the run's seed and latent size."""
    from keras_gans.errors import GANConfigError

    kwargs = {"data_shape": tuple(x.shape[1:]), "seed": args.seed,
              **model_options(cls, args, ("seed", "data_shape", "latent_dim", "num_classes"))}
    if args.latent_dim:
        kwargs["latent_dim"] = args.latent_dim
    elif x.ndim == 2:
        kwargs["latent_dim"] = 2
    if cls.needs_labels:
        if y is None:
            what = ("its images are not in class subfolders (folder/<class>/*.png)"
                    if is_image_folder(args) else "it has none")
            raise GANConfigError(f"conditional_gan needs a labelled dataset; {args.dataset}: {what}.")
        kwargs["num_classes"] = int(y.max()) + 1
    try:
        return cls(**kwargs)
    except GANConfigError as e:
        if x.ndim == 4 and "--image-size" not in str(e):
            raise GANConfigError(f"{e} On the command line: --image-size N resizes.") from e
        raise


def fit_inputs(args, model, x, y, x_b=None):
    """(the data, more callbacks) of the run's ``fit``: each epoch's order (one
    dataset) or pairing (two domains) drawn from (seed, epoch), so a resumed
    run sees the same batches."""
    from keras_gans.data import EpochShuffled
    from keras_gans.training import EpochPaired

    if x_b is not None:
        return EpochPaired(x, x_b, batch_size=args.batch_size, seed=args.seed), []
    return EpochShuffled(x, y, batch_size=args.batch_size, seed=args.seed), []


def best_checkpoint(args, eval_dataset):
    """With --eval-metric: the callback keeping the best epoch as <out>/best.keras."""
    if eval_dataset is None:
        return None
    from keras_gans.callbacks import BestMetricCheckpoint

    return BestMetricCheckpoint(
        os.path.join(args.out, "best.keras"), metric=args.eval_metric, dataset=eval_dataset,
        n=args.eval_n, every=args.eval_every, seed=args.seed)


def sample_grid(args, model, x, x_b=None):
    """The run's samples/ grid: from fixed noise, or a translator's fixed
    source images beside their translations (both ways for CycleGAN/DiscoGAN)."""
    from keras_gans.training import sample_grid

    if model.samples_from != "image":
        return sample_grid(model, args.out, seed=args.seed)
    two_way = len(model.directions) > 1
    k = GRID_SOURCES // 2 if two_way else GRID_SOURCES
    return sample_grid(model, args.out, sources=x[:k],
                       sources_b=x_b[:k] if two_way else None)


def check_eval_flags(args, defaults):
    """The dataset --eval-metric measures against (None without it); every
    eval flag checked before anything is written."""
    from keras_gans.errors import GANConfigError, did_you_mean
    from keras_gans.metrics import feature_nets
    from keras_gans.metrics.evaluation import EXPAND, METRICS

    metric = getattr(args, "eval_metric", None)
    if metric is None:
        extra = [flag for flag, key in (("--eval-dataset", "eval_dataset"),
                                        ("--eval-every", "eval_every"),
                                        ("--eval-n", "eval_n"))
                 if getattr(args, key, None) != defaults.get(key)]
        if extra:
            raise GANConfigError(f"{', '.join(extra)} set, but no --eval-metric to measure; "
                                 "add --eval-metric fid (or another metric).")
        return None
    key = str(metric).lower()
    if key not in METRICS or key in EXPAND:
        choices = sorted(set(METRICS) - set(EXPAND))
        raise GANConfigError(
            f"--eval-metric {metric!r}: choose one of {choices}." + did_you_mean(key, choices))
    dataset = args.eval_dataset
    if dataset is None:
        if args.dataset not in feature_nets.DATASETS:
            raise GANConfigError(
                f"--eval-metric needs --eval-dataset: no feature network ships for "
                f"{args.dataset!r}. Choose one of {sorted(feature_nets.DATASETS)} whose "
                "images look like yours (e.g. mnist for digits)."
            )
        dataset = args.dataset
    return feature_nets.check_dataset(dataset)


def check_eval_shape(model, dataset):
    from keras_gans.errors import GANConfigError
    from keras_gans.metrics import feature_nets

    want = tuple(feature_nets.DATASETS[dataset])
    got = tuple(getattr(model, "data_shape", ()) or ())
    if got != want:
        raise GANConfigError(
            f"--eval-dataset {dataset}'s feature network takes {want} images, but this "
            f"model makes {got}. Choose an --eval-dataset of the same shape"
            + (f" or pass --image-size {want[0]}." if len(got) == 3 else ".")
        )
