"""keras-gans translate: a folder of images through a CycleGAN, DiscoGAN or DTN."""

from __future__ import annotations

import argparse
import os

from keras_gans.cli._common import count, load_gan

NAME = "translate"


def add_parser(sub):
    tr = sub.add_parser(
        NAME,
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
        "  keras-gans translate dtn_usps_mnist --input-dir usps/ --out mnist_like/",
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
    tr.add_argument("--grid-n", type=count(1), default=32, help="image pairs in the grid")
    tr.add_argument("--batch-size", type=count(1), default=64)
    tr.add_argument("--overwrite", action="store_true", help="replace existing outputs")
    tr.set_defaults(run=run)
    return tr


def run(args):
    """A folder of images through a translator's translate(), as PNGs of the
    same names, plus a grid of each input beside its translation."""
    import numpy as np

    from keras_gans.data import scale_images
    from keras_gans.errors import GANConfigError, GANInputError
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

    model = load_gan(args.model)
    name = type(model).__name__
    if model.samples_from != "image":
        raise GANInputError(
            f"{name} generates images from noise, it does not translate them: use "
            f"keras-gans sample {args.model}. translate takes a CycleGAN, DiscoGAN or "
            "DomainTransferNetwork."
        )
    two_way = len(model.directions) > 1
    direction = args.direction or model.directions[0]
    if direction not in model.directions:
        raise GANConfigError(f"{name} translates one way, source to target: drop "
                             f"--direction {direction}.")
    h, w, c = model.sample_inputs(direction)["image"]
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
    x = scale_images(x)
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
