"""keras-gans sample: a PNG grid of samples from a saved model or preset."""

from __future__ import annotations

import argparse
import os

from keras_gans.cli._common import SEED, count, load_gan, nonnegative_float

NAME = "sample"


def add_parser(sub):
    s = sub.add_parser(
        NAME,
        help="write a PNG grid of samples from a saved model or preset",
        description="Generate --n samples from a .keras file or a preset and write them "
        "as one PNG grid. The same --seed gives the same images on every backend.",
        epilog="examples:\n"
        "  keras-gans sample dcgan_mnist --n 64 --out grid.png\n"
        "  keras-gans sample runs/dcgan/model.keras --n 64 --seed 3 --out grid.png\n"
        "  keras-gans sample runs/cgan/model.keras --labels 0,1,2,3 --out digits.png\n"
        "  keras-gans sample runs/stylegan/model.keras --truncation 0.7 --out psi07.png",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    s.add_argument("model", help="a .keras file or a preset name (keras-gans list)")
    s.add_argument("--n", type=count(1), default=64, help="number of samples")
    s.add_argument("--seed", type=SEED, default=0)
    s.add_argument("--labels", default=None,
                   help="conditional models: comma-separated class ids, cycled to --n "
                        "(default: 0..classes-1 cycled)")
    s.add_argument("--truncation", type=nonnegative_float(1.0), default=None,
                   help="StyleGAN: truncation psi in [0, 1]")
    s.add_argument("--out", required=True, help="PNG file to write")
    s.add_argument("--overwrite", action="store_true", help="replace an existing --out")
    s.set_defaults(run=run)
    return s


def run(args):
    import numpy as np

    from keras_gans.errors import GANConfigError, GANInputError
    from keras_gans.images import save_grid

    if os.path.exists(args.out) and not args.overwrite:
        raise GANConfigError(f"{args.out} exists; pass --overwrite to replace it.")
    model = load_gan(args.model)
    name = type(model).__name__
    if model.samples_from == "image":
        raise GANInputError(
            f"{name} translates images rather than generating them; "
            f"use keras-gans translate {args.model} --input-dir DIR --out OUTDIR."
        )
    kwargs = {"seed": args.seed}
    classes = model.label_classes
    if args.labels is not None:
        if not classes:
            raise GANInputError(f"{name} is not conditional: drop --labels.")
        try:
            given = [int(v) for v in args.labels.split(",") if v.strip()]
        except ValueError as e:
            raise GANInputError(
                f"--labels takes comma-separated class ids, e.g. 0,1,2; got {args.labels!r}."
            ) from e
        kwargs["labels"] = np.resize(np.asarray(given), args.n)
    elif classes:
        kwargs["labels"] = model.balanced_labels(args.n)
    if args.truncation is not None:
        if "truncation_psi" not in model.sample_options:
            raise GANInputError(
                f"--truncation is for StyleGAN; {name} has no mapped latent to truncate."
            )
        kwargs["truncation_psi"] = args.truncation
    images = model.generate(args.n, **kwargs)
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    save_grid(images, args.out)
    print(f"wrote {args.out}: {args.n} samples of {type(model).__name__}, seed {args.seed}")
    return 0
