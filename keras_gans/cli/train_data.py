"""What `keras-gans train` checks, loads and builds before the first step:
the variant, the data, the evaluation flags, the model and its callbacks."""

from __future__ import annotations

import os

MIXTURE_SETS = ("ring8", "grid25")
# variants that train on two domains: `keras-gans train` does not build their
# paired data yet; the Python API trains them (README, "Data")
TWO_DOMAIN = ("cyclegan", "discogan", "dtn")


def check_trainable(cls, name):
    """Refuse, before anything is written, a variant this command cannot train."""
    from keras_gans.errors import GANConfigError
    from keras_gans.models import VARIANTS

    key = next((k for k, v in VARIANTS.items() if v is cls), str(name))
    if key in TWO_DOMAIN:
        raise GANConfigError(
            f"{cls.__name__} translates between two domains, and `keras-gans train` "
            "trains one-dataset variants only so far; train it from Python: "
            "pair = keras_gans.data.load_pair('mnist2usps'); model.fit(pair.unpaired(seed=0)) "
            "(README, Data).")


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

    kwargs = {"data_shape": tuple(x.shape[1:]), "seed": args.seed}
    if args.latent_dim:
        kwargs["latent_dim"] = args.latent_dim
    elif x.ndim == 2:
        kwargs["latent_dim"] = 2
    if cls.__name__ == "ConditionalGAN":
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


def fit_inputs(args, model, x, y, guard, grids, eval_dataset):
    """(the data, the callbacks) of the run's ``fit``."""
    import keras

    from keras_gans.callbacks import GuardedBackupAndRestore
    from keras_gans.data import EpochShuffled

    backup = os.path.join(args.out, "backup")
    # each epoch's order from (seed, epoch): a resumed run sees the same batches
    data = EpochShuffled(x, y, batch_size=args.batch_size, seed=args.seed)
    callbacks = [guard, data.callback()]
    if eval_dataset is not None:
        from keras_gans.callbacks import GuardedBestMetricCheckpoint

        # before the backup, so a resumed run restores what came after measuring;
        # before TensorBoard, which logs the metric with the losses
        callbacks.append(GuardedBestMetricCheckpoint(
            os.path.join(args.out, "best.keras"), guard, metric=args.eval_metric,
            dataset=eval_dataset, n=args.eval_n, every=args.eval_every, seed=args.seed))
    callbacks += [
        # Saves weights, both optimizers and the epoch after every epoch; a
        # rerun with --resume restores them and continues. Nothing is saved
        # once the run has diverged.
        GuardedBackupAndRestore(backup, guard, delete_checkpoint=False),
        # after the restore (which brings back the saved learning rate)
        keras.callbacks.LambdaCallback(on_train_begin=lambda logs: set_learning_rate(
            model, getattr(args, "learning_rate", None))),
        grids,
    ]
    return data, callbacks


def divergence_error(guard, backup):
    from keras_gans.errors import GANTrainingError

    d = guard.diverged
    losses = ", ".join(f"{k}={v}" for k, v in d["logs"].items())
    kept = (f"the last good checkpoint (epoch {d['epoch'] - 1}) is kept in {backup}"
            if d["epoch"] > 1 else "no epoch finished, so there is no checkpoint")
    return GANTrainingError(
        f"Training diverged at epoch {d['epoch']}, batch {d['batch']} ({losses}); "
        f"{kept} and model.keras was not written. Lower --learning-rate, then rerun "
        "with --resume."
    )


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


def set_learning_rate(model, rate):
    """--learning-rate for every player, keeping each paper's other settings."""
    if rate is not None:
        for opt in model.player_optimizers.values():
            opt.learning_rate = rate
