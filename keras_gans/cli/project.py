"""keras-gans project: latent codes whose samples reproduce given images."""

from __future__ import annotations

import argparse
import json
import os

from keras_gans.cli._common import (
    SEED,
    count,
    load_gan,
    nonnegative_float,
    positive_float,
    refuse_existing,
)

NAME = "project"


def add_parser(sub):
    pj = sub.add_parser(
        NAME,
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
    pj.add_argument("--steps", type=count(1), default=200)
    pj.add_argument("--n", type=count(1), default=64, help="project the first N images")
    pj.add_argument("--lr", type=positive_float(), default=0.1, help="Adam's learning rate")
    pj.add_argument("--restarts", type=count(1), default=1, help="starting points per image")
    pj.add_argument("--dataset", default=None,
                    help="the model's dataset for the feature term (default: the "
                         "preset's); 'none' for pixels only")
    pj.add_argument("--feature-weight", type=nonnegative_float(), default=0.1)
    pj.add_argument("--seed", type=SEED, default=0)
    pj.add_argument("--overwrite", action="store_true", help="replace existing outputs")
    pj.set_defaults(run=run)
    return pj


def read_images(args, model):
    """(images in [-1, 1], labels or None) from a folder or an .npz file."""
    import numpy as np

    from keras_gans.data import scale_images
    from keras_gans.data.datasets import open_npz
    from keras_gans.errors import GANInputError
    from keras_gans.images import list_images, read_image

    shape = tuple(model.data_shape)
    if os.path.isdir(args.images):
        files = list_images(args.images)[: args.n]
        if not files:
            raise GANInputError(f"No PNG/JPEG images in {args.images}.")
        x = np.stack([read_image(f, size=shape[:2], channels=shape[-1]) for f in files])
        return scale_images(x), None
    if not args.images.endswith(".npz") or not os.path.exists(args.images):
        raise GANInputError(f"{args.images} is neither a folder of images nor an .npz file.")
    with open_npz(args.images) as f:
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


def run(args):
    import numpy as np

    from keras_gans import presets
    from keras_gans.images import atomic_write, encode_png, grid
    from keras_gans.inversion import project

    outputs = [os.path.join(args.out, n) for n in
               ("reconstructions.png", "latents.npy", "errors.json")]
    refuse_existing(outputs, args.overwrite)
    model = load_gan(args.model)
    dataset = args.dataset
    if dataset is None and not str(args.model).endswith(".keras"):
        dataset = presets.read_metadata(args.model).get("dataset")
        from keras_gans.metrics.feature_nets import DATASETS

        if dataset not in DATASETS or tuple(DATASETS[dataset]) != tuple(model.data_shape):
            dataset = None
    if str(dataset).lower() == "none":
        dataset = None
    x, y = read_images(args, model)
    labels = y if model.label_classes else None
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
