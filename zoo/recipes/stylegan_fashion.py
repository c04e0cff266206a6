"""StyleGAN-lite on Fashion-MNIST (28x28), for a wall-clock budget, resumable.

Trains ``keras_gans.StyleGAN`` in chunks of ``--chunk-steps`` steps until the
training time (summed over resumed runs) reaches ``--minutes``. After every
chunk it writes, atomically, into ``--out``:

- ``stylegan_fashion.keras`` (``dcgan_fashion.keras`` with ``--variant dcgan``,
  the same-budget baseline): the whole model (generator, its EMA, w_avg,
  discriminator, both optimizers' state); a rerun with the same ``--out``
  resumes from it (``--fresh`` starts over);
- ``progress.json``: steps, training seconds, seconds per step, last losses;
- ``samples.png`` (EMA generator, no truncation) and ``samples_psi0.7.png``
  (truncation ψ = 0.7), 8x8 grids from the same fixed z, and ``mixing.png``
  (style mixing: row i takes its first layers' styles from z1_i, the rest
  from z2 at three crossovers).

Defaults follow StyleGAN2-ADA's small-image settings scaled down for 2 CPU
cores: 64 channels at 7 and 14 px and 36 at 28 px (``channel_base`` 1024),
w_dim 64, 4 mapping layers, R1 γ = 0.01 lazily every 16 steps (ADA's CIFAR
setting; the paper's γ = 10 is for 1024² faces), EMA β = 0.995, style mixing
0.9, Adam(0.002, 0, 0.99), batch 32.

Usage (the DCGAN baseline: the same with --variant dcgan and another --out;
``--dataset faces`` trains at 64 px on the grayscale face subset):
    KERAS_BACKEND=jax python zoo/recipes/stylegan_fashion.py --minutes 60 \\
        --data-dir ../shared/datasets --out runs/stylegan_fashion
"""

from __future__ import annotations

import argparse
import json
import os
import time

import keras
import numpy as np

from keras_gans.data import load
from keras_gans.images import save_grid
from keras_gans.models import DCGAN, StyleGAN

# --dataset -> the offline .npz file it reads (faces: 1,200 grayscale CelebA crops, 64 px)
DATASETS = {"fashion_mnist": "fashion_mnist", "mnist": "mnist",
            "faces": "celeba_gray_subset_64"}


def build(args, shape=(28, 28, 1)):
    if args.variant == "dcgan":  # the paper's defaults (Adam 2e-4, z of 100, 64 filters)
        return DCGAN(data_shape=shape, seed=args.seed)
    return StyleGAN(data_shape=shape, latent_dim=args.latent_dim, channels=args.channels,
                    channel_base=args.channel_base, mapping_layers=args.mapping_layers, r1_gamma=args.r1_gamma,
                    r1_interval=args.r1_interval, ema_decay=args.ema_decay, seed=args.seed)


def write_json(path, obj):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(obj, f, indent=2)
    os.replace(tmp, path)


def save_samples(model, out, latent_dim):
    save_grid(model.generate(64, seed=0), os.path.join(out, "samples.png"), cols=8)
    if not isinstance(model, StyleGAN):
        return
    save_grid(model.generate(64, seed=0, truncation_psi=0.7),
              os.path.join(out, "samples_psi0.7.png"), cols=8)
    rng = np.random.default_rng(1)
    z1 = rng.standard_normal((8, latent_dim)).astype("float32")
    z2 = rng.standard_normal((1, latent_dim)).astype("float32")
    rows = [model.mix_styles(z1, z2, c) for c in (0, 2, 5, model.num_ws)]
    grid = np.stack(rows, axis=1).reshape(-1, *model.data_shape)  # row i: z1_i at 4 crossovers
    save_grid(grid, os.path.join(out, "mixing.png"), cols=len(rows))


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--variant", choices=("stylegan", "dcgan"), default="stylegan",
                   help="dcgan: the baseline trained the same way for the same budget")
    p.add_argument("--data-dir", default="../shared/datasets")
    p.add_argument("--dataset", choices=sorted(DATASETS), default="fashion_mnist",
                   help="faces: the 64 px grayscale face subset (synthesis 4->64)")
    p.add_argument("--out", default="runs/stylegan_fashion")
    p.add_argument("--minutes", type=float, default=60.0,
                   help="training wall-clock budget, summed over resumed runs")
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--chunk-steps", type=int, default=200,
                   help="steps between checkpoints and sample grids")
    p.add_argument("--channels", type=int, default=64)
    p.add_argument("--channel-base", type=int, default=1024,
                   help="maps at side r: min(channels, channel_base // r); 0: channels everywhere")
    p.add_argument("--latent-dim", type=int, default=64)
    p.add_argument("--mapping-layers", type=int, default=4)
    p.add_argument("--r1-gamma", type=float, default=0.01)
    p.add_argument("--r1-interval", type=int, default=16)
    p.add_argument("--ema-decay", type=float, default=0.995)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--fresh", action="store_true", help="ignore a checkpoint in --out")
    args = p.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    stem = "fashion" if args.dataset == "fashion_mnist" else args.dataset
    ckpt = os.path.join(args.out, f"{args.variant}_{stem}.keras")
    progress_path = os.path.join(args.out, "progress.json")
    if os.path.exists(progress_path) and not args.fresh:
        with open(progress_path) as f:
            previous = json.load(f)["args"].get("variant", "stylegan")
        if previous != args.variant:
            p.error(f"{args.out} holds a {previous} run; pass --variant {previous}, "
                    "another --out, or --fresh.")

    x, _ = load(DATASETS[args.dataset], split="train", data_dir=args.data_dir)
    print(f"{args.dataset} train {x.shape}, backend {keras.backend.backend()}", flush=True)

    if os.path.exists(ckpt) and os.path.exists(progress_path) and not args.fresh:
        model = keras.saving.load_model(ckpt)
        with open(progress_path) as f:
            progress = json.load(f)
        print(f"resumed from {ckpt} at step {progress['steps']} "
              f"({progress['train_seconds']:.0f} s trained)", flush=True)
    else:
        keras.utils.set_random_seed(args.seed)
        model = build(args, tuple(x.shape[1:]))
        model.compile()
        progress = {"args": vars(args), "backend": keras.backend.backend(), "steps": 0,
                    "train_seconds": 0.0, "chunks": []}
        g = sum(int(np.prod(v.shape)) for v in model.generator.trainable_variables)
        d = sum(int(np.prod(v.shape)) for v in model.discriminator.trainable_variables)
        progress.update(generator_params=g, discriminator_params=d)
        print(f"{type(model).__name__}: generator {g:,} parameters, discriminator {d:,}",
              flush=True)

    rng = np.random.default_rng(args.seed + progress["steps"])
    budget = 60.0 * args.minutes
    while progress["train_seconds"] < budget:
        n = args.chunk_steps * args.batch_size
        batch = x[rng.integers(0, len(x), n)]  # whole batches only (minibatch stddev groups)
        t0, c0 = time.time(), time.process_time()
        history = model.fit(batch, batch_size=args.batch_size, epochs=1, shuffle=False, verbose=0)
        seconds = time.time() - t0
        cpu = time.process_time() - c0  # all threads: the cost when the cores are shared
        progress["steps"] += args.chunk_steps
        progress["train_seconds"] += seconds
        row = {"steps": progress["steps"], "seconds": round(seconds, 1),
               "seconds_per_step": round(seconds / args.chunk_steps, 3),
               "cpu_seconds_per_step": round(cpu / args.chunk_steps, 3),
               **{k: float(f"{float(v[-1]):.4g}") for k, v in history.history.items()}}
        progress["chunks"].append(row)
        print(row, flush=True)
        model.save(ckpt + ".tmp.keras")
        os.replace(ckpt + ".tmp.keras", ckpt)
        save_samples(model, args.out, model.latent_dim)  # DCGAN: samples.png only
        write_json(progress_path, progress)
    print(f"done: {progress['steps']} steps in {progress['train_seconds']:.0f} s; "
          f"model {ckpt}, samples in {args.out}", flush=True)


if __name__ == "__main__":
    main()
