"""keras-gans train: a variant with model.fit, into a run folder that resumes."""

from __future__ import annotations

import argparse
import os

from keras_gans.cli import run_folder, train_data, translator_data
from keras_gans.cli._common import SEED, count, positive_float

NAME = "train"

EXAMPLE = """examples:
  keras-gans train dcgan --dataset digits --epochs 5 --out runs/dcgan_digits
  keras-gans train wgan_gp --dataset ring8 --epochs 20 --out runs/wgangp_ring8
  keras-gans train conditional_gan --dataset mnist --data-dir ../shared/datasets --out runs/cgan
  keras-gans train dcgan --dataset photos/ --image-size 64 --epochs 50 --out runs/mine
  keras-gans train dcgan --dataset mnist --eval-metric fid --eval-every 5 --out runs/best
  keras-gans train dcgan --dataset digits --epochs 40 --out runs/dcgan_digits --resume
  keras-gans train cyclegan --dataset mnist2usps --data-dir ../shared/datasets --out runs/cg
  keras-gans train discogan --domain-a horses/ --domain-b zebras/ --image-size 64 --out runs/dg
  keras-gans train dtn --dataset mnist2usps --features mnist --out runs/dtn

datasets: digits (scikit-learn's 8x8 digits at 28x28, offline), ring8, grid25
(synthetic 2-D mixtures), mnist, fashion_mnist, cifar10, usps (a local
<name>.npz in --data-dir or KERAS_GANS_DATA first, else tensorflow-datasets),
the path of a .npz file, or a folder of your own PNG/JPEG images (subfolders
become classes for conditional_gan).

translators (cyclegan, discogan, dtn) train on two unpaired domains: a pair
(--dataset mnist2usps, mnist2fashion or horse2zebra, from --data-dir) or two
folders of images (--domain-a DIR --domain-b DIR; --limit takes the first N of
each). The DTN translates A (source) to B (target) keeping the features of its
frozen f (--features): a shipped classifier by name (mnist, fashion_mnist,
usps, cifar10; the images are brought to its input size) or a saved Keras
classifier (.keras) with a 'features' layer.

the run folder (--out) holds recipe.json, samples/ (a PNG grid per epoch:
samples from fixed noise, or a translator's fixed source images each row
followed by their translations), history.json (each epoch's losses, seconds
and steps), backup/ (the last completed epoch, for --resume), logs/
(TensorBoard: losses and the sample grid each epoch; tensorboard --logdir
<out>/logs), model.keras (the last model) and, with --eval-metric, best.keras
(the best one so far). A run that fails before its first epoch leaves no
folder behind.
"""

def add_arguments(t):
    from keras_gans.models import VARIANTS

    t.add_argument("variant", nargs="?", default=None,
                   help=f"one of {', '.join(VARIANTS)} (or from --recipe)")
    t.add_argument("--recipe", default=None,
                   help="a JSON file of these settings (keys as the flags, with "
                        "underscores: variant, dataset, epochs, batch_size, ...); a run "
                        "folder's recipe.json reproduces that run. Flags given on the "
                        "command line win over the file")
    t.add_argument("--dataset", default="digits",
                   help="a dataset name, a .npz file or a folder of images (see below)")
    t.add_argument("--domain-a", default=None, metavar="DIR",
                   help="translators: a folder of domain A's images (with --domain-b)")
    t.add_argument("--domain-b", default=None, metavar="DIR",
                   help="translators: a folder of domain B's images (with --domain-a)")
    t.add_argument("--features", default=None, metavar="NAME_OR_PATH",
                   help="dtn: its feature extractor f, a shipped classifier (mnist, "
                        "fashion_mnist, usps, cifar10) or a .keras classifier file")
    t.add_argument("--image-size", type=count(1), default=None,
                   help="resize every image to N x N (needed when a folder's images "
                        "differ in size; the DCGAN networks take 28, 32 or 64)")
    t.add_argument("--data-dir", default=None, help="folder with <dataset>.npz files")
    t.add_argument("--options", default=None, metavar="JSON",
                   help="keyword arguments of the variant's class, as a JSON object, "
                        "e.g. '{\"filters\": 16, \"n_blocks\": 3}' (default: the paper's)")
    t.add_argument("--epochs", type=count(1), default=5)
    t.add_argument("--batch-size", type=count(1), default=64)
    t.add_argument("--steps-per-epoch", type=count(1), default=None,
                   help="end an epoch after N batches (default: one pass over the data)")
    t.add_argument("--latent-dim", type=count(1), default=None)
    t.add_argument("--limit", type=count(1), default=None, help="use only the first N samples")
    t.add_argument("--seed", type=SEED, default=0)
    t.add_argument("--out", default=None, help="run folder (required, here or in --recipe)")
    t.add_argument("--overwrite", action="store_true", help="replace an existing run folder")
    t.add_argument("--resume", action="store_true",
                   help="continue an interrupted or finished run in --out from its last "
                        "completed epoch (weights, both optimizers, epoch count)")
    t.add_argument("--learning-rate", type=positive_float(), default=None,
                   help="set every player's learning rate (default: the paper's)")
    t.add_argument("--distribute", choices=("none", "data_parallel"), default="none",
                   help="data_parallel: split each batch over every device of every "
                        "process with the backend's own engine (JAX: "
                        "keras.distribution.DataParallel; TensorFlow: MirroredStrategy, "
                        "or MultiWorkerMirroredStrategy under TF_CONFIG; PyTorch: "
                        "torch.distributed under torchrun); --batch-size is the global "
                        "batch and only the first process writes --out. See "
                        "docs/distributed.md")
    t.add_argument("--tensorboard", action=argparse.BooleanOptionalAction, default=True,
                   help="write TensorBoard events to <out>/logs: the losses and the "
                        "sample grid each epoch (needs TensorFlow installed, on any "
                        "backend)")
    t.add_argument("--eval-metric", default=None,
                   help="measure this metric (fid, kid, precision, ...) during training "
                        "and keep the best model as <out>/best.keras")
    t.add_argument("--eval-dataset", default=None,
                   help="whose feature network and reference statistics to measure "
                        "against: mnist, fashion_mnist, usps or cifar10 (default: "
                        "--dataset)")
    t.add_argument("--eval-every", type=count(1), default=1, help="measure every N epochs "
                   "(and after the last)")
    t.add_argument("--eval-n", type=count(2), default=2000, help="generated samples per "
                   "measurement")


def json_object(value):
    """--options as a dict (a recipe's is one already)."""
    import json

    from keras_gans.errors import GANConfigError

    if value is None or isinstance(value, dict):
        return value
    try:
        found = json.loads(value)
    except ValueError as e:
        raise GANConfigError(f"--options is not valid JSON ({e}): {value!r}; pass an "
                             "object, e.g. --options '{\"filters\": 16}'.") from None
    if not isinstance(found, dict):
        raise GANConfigError(f"--options must be a JSON object {{...}} of keyword "
                             f"arguments; got {value!r}, e.g. --options '{{\"filters\": 16}}'.")
    return found


def add_parser(sub):
    t = sub.add_parser(
        NAME, help="train a variant with model.fit",
        description="Train a variant with model.fit, show the Keras progress bar, "
        "write a PNG grid of samples after each epoch and save the model.",
        epilog=EXAMPLE, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_arguments(t)
    t.set_defaults(run=run)
    return t


def flags():
    """{setting: (default, type)} of train's flags: what a recipe is checked against."""
    p = argparse.ArgumentParser(add_help=False)
    add_arguments(p)
    return {a.dest: (a.default, a.type) for a in p._actions}


def run(args):
    from keras_gans.errors import GANConfigError

    settings = flags()
    defaults = {k: v[0] for k, v in settings.items()}
    args = run_folder.apply_recipe(args, defaults)
    for key, (_, check) in settings.items():  # a recipe's numbers meet the flags' bounds
        value = getattr(args, key, None)
        if callable(check) and value is not None and hasattr(check, "minimum"):
            try:
                check(str(value))
            except argparse.ArgumentTypeError as e:
                raise GANConfigError(f"--{key.replace('_', '-')} {e}.") from None
    args.options = json_object(args.options)
    if not args.variant:
        raise GANConfigError("Name a variant (keras-gans train dcgan ...) or pass --recipe.")
    if not args.out:
        raise GANConfigError("Pass --out (the run folder), or put \"out\" in the recipe.")
    if getattr(args, "distribute", "none") == "data_parallel":
        from keras_gans import distribute

        engine = distribute.data_parallel()  # the launcher's processes, or one
        with engine.scope():
            world = distribute.world()
            print(f"data-parallel over {world.devices} device(s) with {world.engine}: "
                  f"{world.describe(args.batch_size)}", flush=True)
            if world.processes > 1 and not world.is_first:
                return _train_as_follower(args, defaults)
            return _train_in_scope(args, defaults)
    return _train_in_scope(args, defaults)


def _train_as_follower(args, defaults):
    """Every process trains; only the first writes the run folder. The others
    write into a private folder that is removed afterwards (a resumed run
    starts from a copy of the shared folder's checkpoint), and print nothing
    but errors."""
    import contextlib
    import io
    import shutil
    import tempfile

    shared, private = args.out, tempfile.mkdtemp(prefix="keras_gans_follower_")
    try:
        if args.resume and os.path.isdir(shared):
            for name in os.listdir(shared):
                if name not in ("samples", "logs"):
                    source = os.path.join(shared, name)
                    copy = shutil.copytree if os.path.isdir(source) else shutil.copy2
                    copy(source, os.path.join(private, name))
        args.out = private
        with contextlib.redirect_stdout(io.StringIO()):
            return _train_in_scope(args, defaults)
    finally:
        args.out = shared
        shutil.rmtree(private, ignore_errors=True)


def _train_in_scope(args, defaults):
    import keras

    from keras_gans import training
    from keras_gans.models import get_variant

    cls = get_variant(args.variant)
    train_data.check_data_flags(cls, args, defaults)
    recipe_path = os.path.join(args.out, "recipe.json")
    folder = training.RunFolder(args.out, args.resume, args.overwrite)
    if folder.existing and args.resume:
        run_folder.check_same_recipe(recipe_path, args, defaults)
    eval_dataset = train_data.check_eval_flags(args, defaults)
    keras.utils.set_random_seed(args.seed)
    if translator_data.is_translator(cls):
        f = translator_data.load_features(args.features) if args.features else None
        x, x_b = translator_data.load_domains(args, f)
        options = train_data.model_options(cls, args, ("seed", "data_shape",
                                                       "feature_extractor"))
        model = translator_data.build_translator(cls, args, x, options, f)
        y, what = None, (f"{len(x)} + {len(x_b)} images of domains A and B, shape "
                         f"{tuple(x.shape[1:])}")
    else:
        x, y = train_data.load_data(args)
        model = train_data.build_model(cls, args, x, y)
        y = y if model.label_classes else None
        x_b, what = None, f"{len(x)} samples, shape {tuple(x.shape[1:])}"
    if eval_dataset is not None:
        train_data.check_eval_shape(model, eval_dataset)
    model.compile()
    data, callbacks = train_data.fit_inputs(args, model, x, y, x_b)
    source = args.dataset if x_b is None or not args.domain_a else (
        f"{args.domain_a} and {args.domain_b}")

    def start():
        run_folder.write_recipe(recipe_path, args, keras.backend.backend(),
                                resumed=folder.existing and args.resume)
        print(f"training {cls.__name__} on {source} ({what}) with the "
              f"{keras.backend.backend()} backend")

    training.train(
        model, data, args.out, epochs=args.epochs, steps_per_epoch=args.steps_per_epoch,
        folder=folder, best=train_data.best_checkpoint(args, eval_dataset),
        samples=train_data.sample_grid(args, model, x, x_b),
        tensorboard=getattr(args, "tensorboard", True),
        learning_rate=getattr(args, "learning_rate", None), callbacks=callbacks,
        on_start=start, divergence_hint="Lower --learning-rate, then rerun with --resume.")
    print(f"saved {os.path.join(args.out, 'model.keras')} and sample grids in "
          f"{os.path.join(args.out, 'samples')}")
    if eval_dataset is not None and os.path.exists(os.path.join(args.out, "best.keras")):
        print(f"best so far: {os.path.join(args.out, 'best.keras')}")
    return 0
