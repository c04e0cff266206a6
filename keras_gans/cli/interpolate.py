"""keras-gans interpolate: a latent walk as a PNG strip and an animated GIF."""

from __future__ import annotations

import argparse
import itertools
import os

from keras_gans.cli._common import SEED, count, load_gan

NAME = "interpolate"


def add_parser(sub):
    w = sub.add_parser(
        NAME,
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
    w.add_argument("--keyframes", type=count(2), default=2, help="latent codes to visit (>= 2)")
    w.add_argument("--steps", type=count(2), default=8, help="frames per segment (>= 2)")
    w.add_argument("--seed", type=SEED, default=0)
    w.add_argument("--label", type=count(0), default=None,
                   help="conditional models: the class")
    w.add_argument("--out", required=True, help="PNG strip to write")
    w.add_argument("--gif", default=None, help="also write an animated GIF here")
    w.add_argument("--overwrite", action="store_true", help="replace existing files")
    w.set_defaults(run=run)
    return w


def slerp(z0, z1, t):
    """Spherical interpolation (White 2016): stays on the shell where Gaussian
    latents live, unlike a straight line through the low-norm middle."""
    import numpy as np

    u0, u1 = z0 / np.linalg.norm(z0), z1 / np.linalg.norm(z1)
    omega = np.arccos(np.clip(np.dot(u0, u1), -1.0, 1.0))
    if omega < 1e-6:
        return (1 - t) * z0 + t * z1
    return (np.sin((1 - t) * omega) * z0 + np.sin(t * omega) * z1) / np.sin(omega)


def run(args):
    import numpy as np

    from keras_gans.errors import GANConfigError, GANInputError
    from keras_gans.images import save_gif, save_grid

    for path in filter(None, (args.out, args.gif)):
        if os.path.exists(path) and not args.overwrite:
            raise GANConfigError(f"{path} exists; pass --overwrite to replace it.")
    model = load_gan(args.model)
    name = type(model).__name__
    classes = model.label_classes
    if classes and args.label is None:
        raise GANInputError(f"{name} is conditional: pass --label.")
    if args.label is not None and not classes:
        raise GANInputError(f"{name} is not conditional: drop --label.")
    if model.samples_from == "image":
        raise GANInputError(
            f"interpolate walks a generator's latent space; {name} has none it can walk.")
    dim = model.sample_inputs()["z"][0]

    def decode(z):
        labels = None if args.label is None else np.full(len(z), args.label)
        return model.generate_from_latent(z, labels)

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
