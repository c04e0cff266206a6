"""keras-gans: train, sample, translate and evaluate GANs from the command line."""

from __future__ import annotations

import argparse
import itertools
import json
import os
import shutil
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # before keras imports TensorFlow

TRAIN_EXAMPLE = """example:
  keras-gans train dcgan --dataset digits --epochs 5 --out runs/dcgan_digits
  keras-gans train wgan_gp --dataset ring8 --epochs 20 --out runs/wgangp_ring8
  keras-gans train conditional_gan --dataset mnist --data-dir ../shared/datasets --out runs/cgan
  keras-gans train dcgan --dataset photos/ --image-size 64 --epochs 50 --out runs/mine
  keras-gans train dcgan --dataset mnist --eval-metric fid --eval-every 5 --out runs/best

datasets: digits (scikit-learn's 8x8 digits at 28x28, offline), ring8, grid25
(synthetic 2-D mixtures), mnist, fashion_mnist, cifar10, usps (a local
<name>.npz in --data-dir or KERAS_GANS_DATA first, else tensorflow-datasets),
the path of a .npz file, or a folder of your own PNG/JPEG images (subfolders
become classes for conditional_gan).

the run folder (--out) holds recipe.json, samples/ (a PNG grid per epoch),
backup/ (the last completed epoch, for --resume), logs/ (TensorBoard: losses
and the sample grid each epoch; tensorboard --logdir <out>/logs), model.keras
(the last model) and, with --eval-metric, best.keras (the best one so far).
"""

MIXTURE_SETS = ("ring8", "grid25")
TRAIN_DEFAULTS: dict = {}


def _parser():
    p = argparse.ArgumentParser(
        prog="keras-gans",
        description="GANs for Keras 3 on TensorFlow, JAX and PyTorch "
        "(the backend comes from KERAS_BACKEND).",
    )
    p.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    sub = p.add_subparsers(dest="command", required=True)

    sub.add_parser("list", help="list the variants and presets",
                   description="List the GAN variants and the installed presets "
                   "(with their measured metrics).")

    s = sub.add_parser(
        "sample",
        help="write a PNG grid of samples from a saved model or preset",
        description="Generate --n samples from a .keras file or a preset and write them "
        "as one PNG grid. The same --seed gives the same images on every backend.",
        epilog="examples:\n"
        "  keras-gans sample runs/dcgan/model.keras --n 64 --seed 3 --out grid.png\n"
        "  keras-gans sample runs/cgan/model.keras --labels 0,1,2,3 --out digits.png\n"
        "  keras-gans sample runs/stylegan/model.keras --truncation 0.7 --out psi07.png",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    s.add_argument("model", help="a .keras file or a preset name (keras-gans list)")
    s.add_argument("--n", type=int, default=64, help="number of samples")
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--labels", default=None,
                   help="conditional models: comma-separated class ids, cycled to --n "
                        "(default: 0..classes-1 cycled)")
    s.add_argument("--truncation", type=float, default=None,
                   help="StyleGAN: truncation psi in [0, 1]")
    s.add_argument("--out", required=True, help="PNG file to write")
    s.add_argument("--overwrite", action="store_true", help="replace an existing --out")

    w = sub.add_parser(
        "interpolate",
        help="a latent walk as a PNG strip and a GIF",
        description="Walk the latent space of a saved model or preset: spherical "
        "interpolation between the latent codes of --keyframes seeds (seed, seed+1, "
        "...), --steps frames per segment, written as one PNG strip and, with --gif, "
        "an animated GIF. StyleGAN walks its z through the EMA mapping network.",
        epilog="example:\n  keras-gans interpolate runs/dcgan/model.keras --keyframes 4 "
        "--steps 8 --out walk.png --gif walk.gif",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    w.add_argument("model", help="a .keras file or a preset name")
    w.add_argument("--keyframes", type=int, default=2, help="latent codes to visit (>= 2)")
    w.add_argument("--steps", type=int, default=8, help="frames per segment (>= 2)")
    w.add_argument("--seed", type=int, default=0)
    w.add_argument("--label", type=int, default=None, help="conditional models: the class")
    w.add_argument("--out", required=True, help="PNG strip to write")
    w.add_argument("--gif", default=None, help="also write an animated GIF here")
    w.add_argument("--overwrite", action="store_true", help="replace existing files")

    tr = sub.add_parser(
        "translate",
        help="translate a folder of images with CycleGAN, DiscoGAN or DTN",
        description="Translate every PNG/JPEG image in --input-dir with a translator "
        "(a .keras file or preset of CycleGAN, DiscoGAN or DomainTransferNetwork). "
        "Images are resized and converted to the model's input shape (said when "
        "done); each result is written to --out as a PNG with the input's file name, "
        "and the inputs beside their translations as one grid (--grid).",
        epilog="examples:\n"
        "  keras-gans translate runs/cyclegan/model.keras --input-dir horses/ --out zebras/\n"
        "  keras-gans translate runs/cyclegan/model.keras --input-dir zebras/ --out horses/ "
        "--direction b2a\n"
        "  keras-gans translate runs/dtn/model.keras --input-dir svhn/ --out mnist_like/",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    tr.add_argument("model", help="a .keras file or a preset name of a translator")
    tr.add_argument("--input-dir", required=True, help="folder of PNG/JPEG images")
    tr.add_argument("--out", required=True, help="folder for the translated PNGs")
    tr.add_argument("--direction", choices=("a2b", "b2a"), default=None,
                    help="CycleGAN/DiscoGAN: a2b (default) or b2a; the DTN translates "
                         "one way (source to target)")
    tr.add_argument("--grid", default=None,
                    help="PNG of inputs beside their translations (default: "
                         "<out>_side_by_side.png, next to the --out folder)")
    tr.add_argument("--grid-n", type=int, default=32, help="image pairs in the grid")
    tr.add_argument("--batch-size", type=int, default=64)
    tr.add_argument("--overwrite", action="store_true", help="replace existing outputs")

    ex = sub.add_parser(
        "export",
        help="export a model's generator as a SavedModel or ONNX file",
        description="Write the generator of a .keras file or preset for serving "
        "(keras_gans.export_generator): --format tf_saved_model (TensorFlow or JAX "
        "backend) or onnx (TensorFlow, PyTorch; JAX with keras-gans[export-jax]). "
        "Inputs: z (and a label for conditional models), or the source image for "
        "translators. StyleGAN exports its EMA generator with --truncation baked in.",
        epilog="examples:\n"
        "  KERAS_BACKEND=tensorflow keras-gans export dcgan_mnist served/dcgan_mnist\n"
        "  KERAS_BACKEND=torch keras-gans export conditional_gan_mnist cgan.onnx "
        "--format onnx",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    ex.add_argument("model", help="a .keras file or a preset name")
    ex.add_argument("path", help="the SavedModel folder or .onnx file to write")
    ex.add_argument("--format", choices=("tf_saved_model", "onnx"), default="tf_saved_model")
    ex.add_argument("--direction", choices=("a2b", "b2a"), default="a2b",
                    help="CycleGAN/DiscoGAN: the generator to export")
    ex.add_argument("--truncation", type=float, default=1.0,
                    help="StyleGAN: truncation psi baked into the artifact")
    ex.add_argument("--labels", choices=("int", "one_hot"), default="int",
                    help="conditional models: the label input, class ids or one-hot")
    ex.add_argument("--overwrite", action="store_true", help="replace an existing PATH")

    pj = sub.add_parser(
        "project",
        help="find latent codes that reproduce images (GAN inversion)",
        description="Optimise a latent code per image (keras_gans.project) so the "
        "generator reproduces it, and write to --out: reconstructions.png (each "
        "target beside its reconstruction), latents.npy and errors.json (per-image "
        "MSE and feature distance). IMAGES is a folder of PNG/JPEG images or an .npz "
        "file (array x, x_test or the first one; labels y or y_test for conditional "
        "models). The feature term uses the classifier of the preset's dataset, or "
        "of --dataset.",
        epilog="example:\n  keras-gans project dcgan_mnist digits.npz --n 16 --steps 200 "
        "--out runs/projected",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    pj.add_argument("model", help="a .keras file or a preset name")
    pj.add_argument("images", help="a folder of PNG/JPEG images or an .npz file")
    pj.add_argument("--out", required=True, help="folder for the outputs")
    pj.add_argument("--steps", type=int, default=200)
    pj.add_argument("--n", type=int, default=64, help="project the first N images")
    pj.add_argument("--lr", type=float, default=0.1, help="Adam's learning rate")
    pj.add_argument("--restarts", type=int, default=1, help="starting points per image")
    pj.add_argument("--dataset", default=None,
                    help="the model's dataset for the feature term (default: the "
                         "preset's); 'none' for pixels only")
    pj.add_argument("--feature-weight", type=float, default=0.1)
    pj.add_argument("--seed", type=int, default=0)
    pj.add_argument("--overwrite", action="store_true", help="replace existing outputs")

    i = sub.add_parser("info", help="describe a preset",
                       description="Print a preset's metadata: what it is, how it was "
                       "trained, its metrics and files.",
                       epilog="example:\n  keras-gans info dcgan_mnist",
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    i.add_argument("preset", help="a preset name or folder")

    t = sub.add_parser(
        "train",
        help="train a variant with model.fit",
        description="Train a variant with model.fit, show the Keras progress bar, "
        "write a PNG grid of samples after each epoch and save the model.",
        epilog=TRAIN_EXAMPLE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    t.add_argument("variant", nargs="?", default=None,
                   help="gan, conditional_gan, dcgan, wgan, wgan_gp, lsgan (or from --recipe)")
    t.add_argument("--recipe", default=None,
                   help="a JSON file of these settings (keys as the flags, with "
                        "underscores: variant, dataset, epochs, batch_size, ...); a run "
                        "folder's recipe.json reproduces that run. Flags given on the "
                        "command line win over the file")
    t.add_argument("--dataset", default="digits",
                   help="a dataset name, a .npz file or a folder of images (see below)")
    t.add_argument("--image-size", type=int, default=None,
                   help="resize every image to N x N (needed when a folder's images "
                        "differ in size; the DCGAN networks take 28, 32 or 64)")
    t.add_argument("--data-dir", default=None, help="folder with <dataset>.npz files")
    t.add_argument("--epochs", type=int, default=5)
    t.add_argument("--batch-size", type=int, default=64)
    t.add_argument("--latent-dim", type=int, default=None)
    t.add_argument("--limit", type=int, default=None, help="use only the first N samples")
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--out", default=None, help="run folder (required, here or in --recipe)")
    t.add_argument("--overwrite", action="store_true", help="replace an existing run folder")
    t.add_argument("--resume", action="store_true",
                   help="continue an interrupted or finished run in --out from its last "
                        "completed epoch (weights, both optimizers, epoch count)")
    t.add_argument("--learning-rate", type=float, default=None,
                   help="set every player's learning rate (default: the paper's)")
    t.add_argument("--distribute", choices=("none", "data_parallel"), default="none",
                   help="data_parallel: split each batch over every device with the "
                        "backend's own engine (JAX: keras.distribution.DataParallel; "
                        "TensorFlow: tf.distribute.MirroredStrategy); --batch-size is "
                        "the global batch. See docs/distributed.md")
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
    t.add_argument("--eval-every", type=int, default=1, help="measure every N epochs "
                   "(and after the last)")
    t.add_argument("--eval-n", type=int, default=2000, help="generated samples per "
                   "measurement")
    e = sub.add_parser(
        "evaluate",
        help="measure a saved model: FID, KID, IS, precision/recall, ...",
        description="Generate --n samples from a saved model and measure them against "
        "the reference statistics of --dataset with its shipped feature network. "
        "Prints a table and a JSON line; each number is named by its protocol "
        "(metric, dataset, feature network, reference split, sample count).",
        epilog="example:\n  keras-gans evaluate runs/dcgan/model.keras --dataset mnist "
        "--metric fid --metric kid --metric pr --n 10000",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    e.add_argument("model", help="a .keras file (from `keras-gans train` or model.save) or a "
                                 "preset name")
    e.add_argument("--dataset", required=True,
                   help="mnist, fashion_mnist, usps or cifar10 (whose feature network "
                        "and reference statistics to use)")
    e.add_argument("--metric", action="append", default=None,
                   help="fid (default), kid, is, precision, recall, pr, density, "
                        "coverage, dc, class_coverage, class_kl, conditional_accuracy; "
                        "repeat for several")
    e.add_argument("--n", type=int, default=10_000, help="number of generated samples")
    e.add_argument("--reference", default="test", help="reference split (test or train)")
    e.add_argument("--seed", type=int, default=0)
    e.add_argument("--json", default=None, help="also write the results to this file")
    TRAIN_DEFAULTS.update({k: t.get_default(k) for k in RECIPE_TYPES})
    b = sub.add_parser(
        "bench",
        help="time training steps of variants on this backend",
        description="Time training steps/s of variants with model.fit on the backend "
        "KERAS_BACKEND names (run it once per backend to compare them). Short by "
        "default; benchmarks/ in the source tree holds the full runner.",
    )
    from keras_gans.bench import add_arguments

    add_arguments(b)
    return p


def main(argv=None):
    args = _parser().parse_args(argv)
    try:
        if args.command == "list":
            return _list()
        if args.command == "train":
            return _train(args)
        if args.command == "evaluate":
            return _evaluate(args)
        if args.command == "sample":
            return _sample(args)
        if args.command == "translate":
            return _translate(args)
        if args.command == "info":
            return _info(args)
        if args.command == "export":
            return _export(args)
        if args.command == "project":
            return _project(args)
        if args.command == "interpolate":
            return _interpolate(args)
        if args.command == "bench":
            from keras_gans.bench import run_cli

            run_cli(args)
            return 0
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as e:  # one clear line, no traceback unless --debug
        if args.debug:
            raise
        print(f"error: {_one_line(e)}", file=sys.stderr)
        return 2
    return 0


def _one_line(e):
    """An exception as one line: its first line (keras_gans' own errors are one
    line that names the fix), the class named for errors from elsewhere."""
    from keras_gans.core.errors import GANConfigError, GANInputError, GANTrainingError

    lines = [line for line in str(e).strip().splitlines() if line.strip()]
    text = lines[0].strip() if lines else ""
    if not isinstance(e, (GANConfigError, GANInputError, GANTrainingError)) or not text:
        text = f"{type(e).__name__}: {text}" if text else type(e).__name__
    if len(lines) > 1:
        text += " (--debug shows the whole message)"
    return text


def _list():
    from keras_gans import presets
    from keras_gans.models import VARIANTS

    print("variants:")
    for name, cls in VARIANTS.items():
        doc = (cls.__doc__ or "").strip().splitlines()[0]
        print(f"  {name:16s} {doc}")
    found = presets.list_presets()
    print("presets:" if found else "presets: none installed")
    for name, meta in found.items():
        metrics = ", ".join(f"{k} {v:.4g}" for k, v in (meta.get("metrics") or {}).items()
                            if isinstance(v, (int, float)))
        print(f"  {name:24s} {meta.get('variant', '?'):14s} {metrics}")
    return 0


def _load_model(spec):
    """A .keras file (safe mode) or a preset name/folder."""
    import keras

    from keras_gans import presets
    from keras_gans.core.errors import GANInputError

    if str(spec).endswith(".keras"):
        if not os.path.exists(spec):
            raise GANInputError(
                f"No saved model at {spec}. Pass a .keras file written by "
                "`keras-gans train` (run_folder/model.keras) or by model.save(), or a "
                "preset name (keras-gans list)."
            )
        _check_keras_version(spec)
        try:
            return keras.saving.load_model(spec)  # safe_mode: no arbitrary code
        except Exception as e:
            raise GANInputError(f"Cannot load {spec} as a Keras model: {e}") from e
    if os.sep in str(spec) and not os.path.exists(spec):
        raise GANInputError(
            f"No saved model or preset folder at {spec}. Pass a .keras file or a preset "
            "name (keras-gans list)."
        )
    return presets.from_preset(spec)


def _check_keras_version(path):
    """A .keras file saved by a newer Keras than this one: say so, rather than
    fail somewhere inside deserialisation."""
    import zipfile

    import keras

    from keras_gans.core.errors import GANInputError
    from keras_gans.presets import _version_tuple

    try:
        with zipfile.ZipFile(path) as z:
            meta = json.loads(z.read("metadata.json"))
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as e:
        raise GANInputError(
            f"{path} is not a Keras model file (a .keras zip archive): {e}. "
            "Re-save it with model.save(), or rerun `keras-gans train`."
        ) from e
    wrote = str(meta.get("keras_version", ""))
    if wrote and _version_tuple(wrote)[:2] > _version_tuple(keras.__version__)[:2]:
        raise GANInputError(
            f"{path} was saved by Keras {wrote}; this is Keras {keras.__version__}. "
            "Upgrade Keras (and keras-gans) to load it."
        )


def _sample(args):
    import numpy as np

    from keras_gans.core.errors import GANConfigError, GANInputError
    from keras_gans.images import save_grid

    if os.path.exists(args.out) and not args.overwrite:
        raise GANConfigError(f"{args.out} exists; pass --overwrite to replace it.")
    model = _load_model(args.model)
    if not hasattr(model, "generate") or hasattr(model, "translate"):
        raise GANInputError(
            f"{type(model).__name__} translates images rather than generating them; "
            f"use keras-gans translate {args.model} --input-dir DIR --out OUTDIR."
        )
    kwargs = {"seed": args.seed}
    classes = getattr(model, "num_classes", None)
    if args.labels is not None:
        if not classes:
            raise GANInputError(f"{type(model).__name__} is not conditional: drop --labels.")
        try:
            given = [int(v) for v in args.labels.split(",") if v.strip()]
        except ValueError as e:
            raise GANInputError(
                f"--labels takes comma-separated class ids, e.g. 0,1,2; got {args.labels!r}."
            ) from e
        kwargs["labels"] = np.resize(np.asarray(given), args.n)
    elif classes and getattr(model, "supervised", True):
        kwargs["labels"] = np.arange(args.n) % classes
    if args.truncation is not None:
        if not hasattr(model, "mix_styles"):
            raise GANInputError(
                f"--truncation is for StyleGAN; {type(model).__name__} has no mapped "
                "latent to truncate."
            )
        kwargs["truncation_psi"] = args.truncation
    images = model.generate(args.n, **kwargs)
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    save_grid(images, args.out)
    print(f"wrote {args.out}: {args.n} samples of {type(model).__name__}, seed {args.seed}")
    return 0


def _translate(args):
    """A folder of images through a translator's translate(), as PNGs of the
    same names, plus a grid of each input beside its translation."""
    import inspect

    import numpy as np

    from keras_gans.core.errors import GANConfigError, GANInputError
    from keras_gans.images import (
        atomic_write,
        encode_png,
        grid,
        image_info,
        list_images,
        read_image,
        to_uint8,
    )

    if not os.path.isdir(args.input_dir):
        raise GANInputError(f"--input-dir {args.input_dir} is not a folder.")
    if os.path.abspath(args.out) == os.path.abspath(args.input_dir):
        raise GANConfigError("--out must be another folder than --input-dir: the "
                             "translations keep the inputs' file names.")
    if args.grid_n < 1 or args.batch_size < 1:
        raise GANConfigError("--grid-n and --batch-size must each be at least 1.")
    files = list_images(args.input_dir)
    if not files:
        nested = list_images(args.input_dir, recursive=True)
        hint = (f" Its subfolders hold {len(nested)}; point --input-dir at one of them."
                if nested else "")
        raise GANInputError(f"No PNG/JPEG images in {args.input_dir}.{hint}")
    names = {}
    for path in files:
        name = os.path.splitext(os.path.basename(path))[0] + ".png"
        if name in names:
            raise GANInputError(
                f"{names[name]} and {os.path.basename(path)} would both be written as "
                f"{name}; rename one of them."
            )
        names[name] = os.path.basename(path)
    outputs = [os.path.join(args.out, name) for name in names]
    grid_path = args.grid or os.path.normpath(args.out) + "_side_by_side.png"
    if not args.overwrite:
        existing = [p for p in (*outputs, grid_path) if os.path.exists(p)]
        if existing:
            more = f" (and {len(existing) - 1} more of the outputs)" if len(existing) > 1 else ""
            raise GANConfigError(f"{existing[0]} exists{more}; pass --overwrite to replace "
                                 "them, or choose another --out.")

    model = _load_model(args.model)
    name = type(model).__name__
    if not hasattr(model, "translate"):
        raise GANInputError(
            f"{name} generates images from noise, it does not translate them: use "
            f"keras-gans sample {args.model}. translate takes a CycleGAN, DiscoGAN or "
            "DomainTransferNetwork."
        )
    two_way = "direction" in inspect.signature(model.translate).parameters
    direction = args.direction or "a2b"
    if not two_way and direction != "a2b":
        raise GANConfigError(f"{name} translates one way, source to target: drop "
                             f"--direction {direction}.")
    h, w, c = (model.data_shape_a if direction == "a2b" else model.data_shape_b)
    infos = [image_info(path) for path in files]
    other_sizes = sorted({(ih, iw) for ih, iw, _ in infos if (ih, iw) != (h, w)})
    n_resized = sum((ih, iw) != (h, w) for ih, iw, _ in infos)
    n_converted = sum(ic != c for _, _, ic in infos)
    if n_resized:
        shown = ", ".join(f"{sw}x{sh}" for sh, sw in other_sizes[:3])
        shown += ", ..." if len(other_sizes) > 3 else ""
        print(f"resizing {n_resized} of {len(files)} images to {w}x{h}, the model's input "
              f"(they are {shown})")
    if n_converted:
        print(f"converting {n_converted} of {len(files)} images to "
              f"{'grayscale' if c == 1 else 'RGB'}, the model's {c} channel(s)")
    x = np.stack([read_image(path, size=(h, w), channels=c) for path in files])
    x = (x.astype("float32") / 127.5 - 1.0).astype("float32")
    kwargs = {"direction": direction} if two_way else {}
    y = np.clip(np.asarray(model.translate(x, batch_size=args.batch_size, **kwargs)), -1, 1)
    os.makedirs(args.out, exist_ok=True)
    for path, image in zip(outputs, to_uint8(y)):
        atomic_write(path, encode_png(image))
    k = min(len(x), args.grid_n)
    a, b = x[:k], y[:k]
    if a.shape[-1] != b.shape[-1]:  # grey beside colour: show both as RGB
        a, b = (np.repeat(v, 3, axis=-1) if v.shape[-1] == 1 else v for v in (a, b))
    if a.shape[1:3] != b.shape[1:3]:
        raise GANInputError(f"{name} changed the image size ({a.shape[1:3]} -> "
                            f"{b.shape[1:3]}); no side-by-side grid.")
    pairs = np.stack([a, b], axis=1).reshape(2 * k, *a.shape[1:])
    folder = os.path.dirname(os.path.abspath(grid_path))
    os.makedirs(folder, exist_ok=True)
    atomic_write(grid_path, encode_png(grid(pairs, cols=2 * min(4, k))))
    how = direction if two_way else "source to target"
    print(f"wrote {len(outputs)} translations ({name}, {how}) to {args.out} and "
          f"{k} input|translation pairs to {grid_path}")
    return 0


def slerp(z0, z1, t):
    """Spherical interpolation (White 2016): stays on the shell where Gaussian
    latents live, unlike a straight line through the low-norm middle."""
    import numpy as np

    u0, u1 = z0 / np.linalg.norm(z0), z1 / np.linalg.norm(z1)
    omega = np.arccos(np.clip(np.dot(u0, u1), -1.0, 1.0))
    if omega < 1e-6:
        return (1 - t) * z0 + t * z1
    return (np.sin((1 - t) * omega) * z0 + np.sin(t * omega) * z1) / np.sin(omega)


def _interpolate(args):
    import numpy as np

    from keras_gans.core.errors import GANConfigError, GANInputError
    from keras_gans.images import save_gif, save_grid

    if args.keyframes < 2 or args.steps < 2:
        raise GANConfigError("--keyframes and --steps must each be at least 2.")
    for path in filter(None, (args.out, args.gif)):
        if os.path.exists(path) and not args.overwrite:
            raise GANConfigError(f"{path} exists; pass --overwrite to replace it.")
    model = _load_model(args.model)
    dim = getattr(model, "latent_dim", None)
    if hasattr(model, "mix_styles"):
        def decode(z):
            return model.mix_styles(z, z, model.num_ws, noise_mode="none")
    elif hasattr(model, "generate_from_latent"):
        classes = getattr(model, "num_classes", None)
        if classes and args.label is None:
            raise GANInputError(f"{type(model).__name__} is conditional: pass --label.")
        if args.label is not None and not classes:
            raise GANInputError(f"{type(model).__name__} is not conditional: drop --label.")

        def decode(z):
            labels = None if args.label is None else np.full(len(z), args.label)
            return model.generate_from_latent(z, labels)
    else:
        raise GANInputError(
            f"interpolate walks a generator's latent space; {type(model).__name__} "
            "has none it can walk."
        )
    keys = [np.random.default_rng(args.seed + k).standard_normal(dim) for k in
            range(args.keyframes)]
    ts = np.linspace(0.0, 1.0, args.steps)
    z = [slerp(a, b, t) for a, b in itertools.pairwise(keys) for t in ts[:-1]] + [keys[-1]]
    frames = np.clip(decode(np.asarray(z, "float32")), -1.0, 1.0)
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    save_grid(frames, args.out, cols=len(frames))
    written = [args.out]
    if args.gif:
        save_gif(frames, args.gif)
        written.append(args.gif)
    print(f"wrote {' and '.join(written)}: {len(frames)} frames")
    return 0


def _export(args):
    from keras_gans.export import export_generator

    model = _load_model(args.model)
    export_generator(model, args.path, format=args.format, overwrite=args.overwrite,
                     direction=args.direction, truncation_psi=args.truncation,
                     labels=args.labels)
    print(f"wrote {args.path}: the {type(model).__name__} generator as {args.format}")
    return 0


def _read_project_images(args, model):
    """(images in [-1, 1], labels or None) from a folder or an .npz file."""
    import numpy as np

    from keras_gans.core.errors import GANInputError
    from keras_gans.data import scale_images
    from keras_gans.images import list_images, read_image

    shape = tuple(model.data_shape)
    if os.path.isdir(args.images):
        files = list_images(args.images)[: args.n]
        if not files:
            raise GANInputError(f"No PNG/JPEG images in {args.images}.")
        x = np.stack([read_image(f, size=shape[:2], channels=shape[-1]) for f in files])
        return (x.astype("float32") / 127.5 - 1.0).astype("float32"), None
    if not args.images.endswith(".npz") or not os.path.exists(args.images):
        raise GANInputError(f"{args.images} is neither a folder of images nor an .npz file.")
    with np.load(args.images) as f:
        keys = list(f.keys())
        key = next((k for k in ("x", "x_test", "images") if k in keys), keys[0] if keys else None)
        if key is None:
            raise GANInputError(f"{args.images} holds no arrays.")
        x = f[key][: args.n]
        y_key = next((k for k in ("y", "y_test", "labels") if k in keys), None)
        y = f[y_key][: args.n] if y_key else None
    if np.issubdtype(x.dtype, np.integer):
        x = scale_images(x)
    elif x.ndim == len(shape) and shape[-1] == 1:
        x = x[..., None]
    return x, y


def _project(args):
    import numpy as np

    from keras_gans import presets
    from keras_gans.core.errors import GANConfigError
    from keras_gans.images import atomic_write, encode_png, grid
    from keras_gans.inversion import project

    outputs = [os.path.join(args.out, n) for n in
               ("reconstructions.png", "latents.npy", "errors.json")]
    existing = [p for p in outputs if os.path.exists(p)]
    if existing and not args.overwrite:
        raise GANConfigError(f"{existing[0]} exists; pass --overwrite to replace it, or "
                             "choose another --out.")
    if args.n < 1:
        raise GANConfigError("--n must be at least 1.")
    model = _load_model(args.model)
    dataset = args.dataset
    if dataset is None and not str(args.model).endswith(".keras"):
        dataset = presets.read_metadata(args.model).get("dataset")
        from keras_gans.metrics.feature_nets import DATASETS

        if dataset not in DATASETS or tuple(DATASETS[dataset]) != tuple(model.data_shape):
            dataset = None
    if str(dataset).lower() == "none":
        dataset = None
    x, y = _read_project_images(args, model)
    labels = y if getattr(model, "num_classes", None) and (
        getattr(model, "supervised", True)) else None
    result = project(model, x, labels=labels, steps=args.steps, learning_rate=args.lr,
                     restarts=args.restarts, dataset=dataset,
                     feature_weight=args.feature_weight, seed=args.seed)
    os.makedirs(args.out, exist_ok=True)
    pairs = np.stack([x, result.reconstructions], axis=1).reshape(2 * len(x), *x.shape[1:])
    atomic_write(outputs[0], encode_png(grid(pairs, cols=2 * min(8, len(x)))))
    np.save(outputs[1], result.latents)
    errors = {"model": str(args.model), "images": str(args.images), **result.errors()}
    atomic_write(outputs[2], (json.dumps(errors, indent=1) + "\n").encode())
    feat = (f", feature distance {errors['mean_feature_distance']:.4f} "
            f"({result.feature_network})" if result.feature_distance is not None else "")
    print(f"projected {len(x)} images into {result.space} in {args.steps} steps: mean MSE "
          f"{errors['mean_mse']:.4f} (start {errors['mean_initial_mse']:.4f}){feat}; "
          f"wrote {', '.join(outputs)}")
    return 0


def _info(args):
    from keras_gans import presets

    meta = presets.read_metadata(args.preset)
    print(json.dumps(meta, indent=1))
    return 0


def _load_data(args, variant_cls):
    from keras_gans import data
    from keras_gans.core.errors import GANConfigError, GANInputError

    image_size = getattr(args, "image_size", None)
    if image_size is not None and image_size < 1:
        raise GANConfigError(f"--image-size must be a positive number of pixels; got {image_size}.")
    if args.dataset in MIXTURE_SETS:
        if image_size:
            raise GANConfigError(f"{args.dataset} is 2-D points, not images: drop --image-size.")
        return data.load_mixture(args.dataset, n=args.limit or 8192, seed=args.seed), None
    if _is_image_folder(args):
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


def _is_image_folder(args):
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


# train's settings a recipe may hold, with their types (None: may be null)
RECIPE_TYPES = {
    "variant": (str,), "dataset": (str,), "data_dir": (str, None), "epochs": (int,),
    "batch_size": (int,), "latent_dim": (int, None), "limit": (int, None),
    "seed": (int,), "out": (str, None), "learning_rate": (float, int, None),
    "distribute": (str,), "image_size": (int, None), "tensorboard": (bool,),
    "eval_metric": (str, None), "eval_dataset": (str, None), "eval_every": (int,),
    "eval_n": (int,),
}
# what a run folder's recipe.json also records, and a recipe may carry unread
RECIPE_INFO = ("backend", "command", "debug", "overwrite", "resume", "recipe",
               "keras_gans_version")


def _apply_recipe(args):
    """Fill train's settings from ``--recipe``; flags given explicitly (a value
    other than the flag's default) win. Unknown keys and wrong types are refused."""
    from keras_gans.core.errors import GANConfigError, did_you_mean

    if not args.recipe:
        return args
    try:
        with open(args.recipe, encoding="utf-8") as f:
            recipe = json.load(f)
    except FileNotFoundError as e:
        raise GANConfigError(f"Recipe file {args.recipe} does not exist.") from e
    except json.JSONDecodeError as e:
        raise GANConfigError(f"Recipe {args.recipe} is not valid JSON: {e}.") from e
    if not isinstance(recipe, dict):
        raise GANConfigError(f"Recipe {args.recipe} must be a JSON object of settings.")
    for key, value in recipe.items():
        if key in RECIPE_INFO:
            continue
        if key not in RECIPE_TYPES:
            raise GANConfigError(
                f"Recipe {args.recipe}: unknown key {key!r}; known keys: "
                f"{sorted(RECIPE_TYPES)}." + did_you_mean(key, RECIPE_TYPES)
            )
        allowed = RECIPE_TYPES[key]
        ok = (value is None and None in allowed) or any(
            t is not None and isinstance(value, t) and (t is bool or not isinstance(value, bool))
            for t in allowed)
        if not ok:
            names = " or ".join("null" if t is None else t.__name__ for t in allowed)
            raise GANConfigError(
                f"Recipe {args.recipe}: {key!r} must be {names}; got {value!r}."
            )
        if getattr(args, key, None) == TRAIN_DEFAULTS.get(key):
            setattr(args, key, value)
    return args


def _train(args):
    from keras_gans.core.errors import GANConfigError

    args = _apply_recipe(args)
    if not args.variant:
        raise GANConfigError("Name a variant (keras-gans train dcgan ...) or pass --recipe.")
    if not args.out:
        raise GANConfigError("Pass --out (the run folder), or put \"out\" in the recipe.")
    if getattr(args, "distribute", "none") == "data_parallel":
        from keras_gans import distribute

        engine = distribute.data_parallel()  # GANConfigError on torch
        with engine.scope():
            print(f"data-parallel over {distribute.num_replicas()} device(s) with "
                  f"{type(engine).__name__}")
            return _train_in_scope(args)
    return _train_in_scope(args)


def _train_in_scope(args):
    import keras

    from keras_gans import __version__
    from keras_gans.callbacks import (
        GuardedBackupAndRestore,
        SampleGrid,
        StopOnDivergence,
    )
    from keras_gans.core.errors import GANConfigError, GANTrainingError
    from keras_gans.data import EpochShuffled
    from keras_gans.models import get_variant

    cls = get_variant(args.variant)
    recipe_path = os.path.join(args.out, "recipe.json")
    if args.resume and args.overwrite:
        raise GANConfigError("--resume and --overwrite contradict each other; pass one.")
    eval_dataset = _check_eval_flags(args)
    if os.path.exists(args.out) and os.listdir(args.out):
        if args.resume:
            _check_same_recipe(recipe_path, args)
        elif args.overwrite:
            shutil.rmtree(args.out)
        else:
            raise GANConfigError(
                f"Run folder {args.out} exists and is not empty; pass --resume to "
                "continue it, --overwrite to replace it, or choose another --out."
            )
    keras.utils.set_random_seed(args.seed)

    x, y = _load_data(args, cls)
    kwargs = {"data_shape": tuple(x.shape[1:]), "seed": args.seed}
    if args.latent_dim:
        kwargs["latent_dim"] = args.latent_dim
    elif x.ndim == 2:
        kwargs["latent_dim"] = 2
    if cls.__name__ == "ConditionalGAN":
        if y is None:
            what = ("its images are not in class subfolders (folder/<class>/*.png)"
                    if _is_image_folder(args) else "it has none")
            raise GANConfigError(f"conditional_gan needs a labelled dataset; {args.dataset}: {what}.")
        kwargs["num_classes"] = int(y.max()) + 1
    else:
        y = None
    try:
        model = cls(**kwargs)
    except GANConfigError as e:
        if x.ndim == 4 and "--image-size" not in str(e):
            raise GANConfigError(f"{e} On the command line: --image-size N resizes.") from e
        raise
    if eval_dataset is not None:
        _check_eval_shape(model, eval_dataset)
    model.compile()
    os.makedirs(args.out, exist_ok=True)
    if not os.path.exists(recipe_path):
        with open(recipe_path, "w") as f:
            json.dump({**vars(args), "backend": keras.backend.backend(),
                       "keras_gans_version": __version__}, f, indent=2)
    print(f"training {cls.__name__} on {args.dataset} ({len(x)} samples, "
          f"shape {tuple(x.shape[1:])}) with the {keras.backend.backend()} backend")
    guard = StopOnDivergence()
    backup = os.path.join(args.out, "backup")
    # each epoch's order from (seed, epoch): a resumed run sees the same batches
    data = EpochShuffled(x, y, batch_size=args.batch_size, seed=args.seed)
    grids = SampleGrid(os.path.join(args.out, "samples"), n=64, seed=args.seed)
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
        keras.callbacks.LambdaCallback(on_train_begin=lambda logs: _set_learning_rate(
            model, getattr(args, "learning_rate", None))),
        grids,
        *_tensorboard_callbacks(args, grids),
    ]
    model.fit(data, epochs=args.epochs, shuffle=False,  # EpochShuffled shuffles
              callbacks=callbacks)
    if guard.diverged:
        d = guard.diverged
        losses = ", ".join(f"{k}={v}" for k, v in d["logs"].items())
        kept = (f"the last good checkpoint (epoch {d['epoch'] - 1}) is kept in {backup}"
                if d["epoch"] > 1 else "no epoch finished, so there is no checkpoint")
        raise GANTrainingError(
            f"Training diverged at epoch {d['epoch']}, batch {d['batch']} ({losses}); "
            f"{kept} and model.keras was not written. Lower --learning-rate, then rerun "
            "with --resume."
        )
    path = os.path.join(args.out, "model.keras")
    tmp = os.path.join(args.out, "model.tmp.keras")
    model.save(tmp)
    os.replace(tmp, path)  # a crash mid-save never leaves a half-written model.keras
    print(f"saved {path} and sample grids in {os.path.join(args.out, 'samples')}")
    if eval_dataset is not None and os.path.exists(os.path.join(args.out, "best.keras")):
        print(f"best so far: {os.path.join(args.out, 'best.keras')}")
    return 0


def _tensorboard_callbacks(args, grids):
    """TensorBoard events in <out>/logs (the epoch's losses and sample grid);
    nothing, with a note, without TensorFlow, whose summary writer writes them
    on every backend."""
    if not getattr(args, "tensorboard", True):
        return []
    from keras_gans.callbacks import TensorBoardEvents, tensorflow_or_none

    if tensorflow_or_none() is None:
        print("note: TensorFlow is not installed, so no TensorBoard events are written "
              "(pip install tensorflow-cpu to get them; --no-tensorboard silences this "
              "note).", file=sys.stderr)
        return []
    return [TensorBoardEvents(os.path.join(args.out, "logs"), grids)]


def _check_eval_flags(args):
    """The dataset --eval-metric measures against (None without it); every
    eval flag checked before anything is written."""
    from keras_gans.core.errors import GANConfigError, did_you_mean
    from keras_gans.metrics import feature_nets
    from keras_gans.metrics.evaluation import EXPAND, METRICS

    metric = getattr(args, "eval_metric", None)
    if metric is None:
        extra = [flag for flag, key in (("--eval-dataset", "eval_dataset"),
                                        ("--eval-every", "eval_every"),
                                        ("--eval-n", "eval_n"))
                 if getattr(args, key, None) != TRAIN_DEFAULTS.get(key)]
        if extra:
            raise GANConfigError(f"{', '.join(extra)} set, but no --eval-metric to measure; "
                                 "add --eval-metric fid (or another metric).")
        return None
    key = str(metric).lower()
    if key not in METRICS or key in EXPAND:
        choices = sorted(set(METRICS) - set(EXPAND))
        raise GANConfigError(
            f"--eval-metric {metric!r}: choose one of {choices}." + did_you_mean(key, choices))
    if args.eval_every < 1:
        raise GANConfigError(f"--eval-every must be at least 1 epoch; got {args.eval_every}.")
    if args.eval_n < 2:
        raise GANConfigError(f"--eval-n must be at least 2 samples; got {args.eval_n}.")
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


def _check_eval_shape(model, dataset):
    from keras_gans.core.errors import GANConfigError
    from keras_gans.metrics import feature_nets

    want = tuple(feature_nets.DATASETS[dataset])
    got = tuple(getattr(model, "data_shape", ()) or ())
    if got != want:
        raise GANConfigError(
            f"--eval-dataset {dataset}'s feature network takes {want} images, but this "
            f"model makes {got}. Choose an --eval-dataset of the same shape"
            + (f" or pass --image-size {want[0]}." if len(got) == 3 else ".")
        )


def _set_learning_rate(model, rate):
    """--learning-rate for every player, keeping each paper's other settings."""
    if rate is not None:
        for opt in model.player_optimizers.values():
            opt.learning_rate = rate


def _evaluate(args):

    from keras_gans.core.errors import GANInputError
    from keras_gans.metrics import evaluate

    model = _load_model(args.model)
    if not hasattr(model, "generate"):
        raise GANInputError(f"{args.model} is not a keras_gans generative model.")
    results = evaluate(model, dataset=args.dataset, metrics=args.metric or ["fid"],
                       n=args.n, reference=args.reference, seed=args.seed)
    width = max(len(k) for k in results)
    for key, value in results.items():
        print(f"{key:{width}s}  {value:.6g}")
    line = json.dumps(results)
    print(line)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            f.write(line + "\n")
    return 0


# what --resume must keep (--epochs, --learning-rate and --tensorboard may change)
RECIPE_KEYS = ("variant", "dataset", "batch_size", "latent_dim", "limit", "seed",
               "image_size", "eval_metric", "eval_dataset", "eval_n")


def _check_same_recipe(recipe_path, args):
    from keras_gans import __version__
    from keras_gans.core.errors import GANConfigError
    from keras_gans.presets import _version_tuple

    if not os.path.exists(recipe_path):
        raise GANConfigError(
            f"{args.out} is not a keras-gans run folder (no recipe.json); cannot --resume."
        )
    try:
        with open(recipe_path, encoding="utf-8") as f:
            recipe = json.load(f)
    except ValueError as e:
        raise GANConfigError(f"{recipe_path} is not valid JSON ({e}); cannot --resume.") from e
    wrote = recipe.get("keras_gans_version")
    if wrote and _version_tuple(wrote) > _version_tuple(__version__):
        raise GANConfigError(
            f"Run folder {args.out} was written by keras-gans {wrote}; this is "
            f"{__version__}. Upgrade keras-gans to --resume it."
        )
    # keys a run folder from before the key existed lacks had the default value
    diff = {k: (recipe.get(k, TRAIN_DEFAULTS.get(k)), getattr(args, k)) for k in RECIPE_KEYS
            if recipe.get(k, TRAIN_DEFAULTS.get(k)) != getattr(args, k)}
    if diff:
        changes = ", ".join(f"{k}: {a!r} -> {b!r}" for k, (a, b) in diff.items())
        raise GANConfigError(
            f"--resume must use the run's recipe; changed: {changes}. "
            "Only --epochs, --learning-rate and --tensorboard may change."
        )


if __name__ == "__main__":
    sys.exit(main())
