"""PacGAN's 2-D ring table (Lin et al. 2018, "PacGAN: The power of two samples
in generative adversarial networks", the synthetic-data table), on keras_gans.

Data: 8 Gaussians on a circle of radius 1, σ = 0.01, 100,000 training points
(the ring as the PacGAN code sets it). Protocol: after training, 2,500
generated samples are scored (``keras_gans.metrics.mode_coverage``): a sample
is high quality within 3σ of its nearest mode, a mode is covered by at least 20
high-quality samples, and the reverse KL is KL(p_gen || uniform) over the 8
modes, p_gen being the fraction of all 2,500 samples nearest to each mode
(0 log 0 = 0). Each row is averaged over seeds.

Rows, all with the same data, networks (MLP 2 x 256, LeakyReLU; z of
dimension 2), batch size and number of generator steps, each variant with its
own paper optimizer (``default_optimizer``), nothing tuned per row:

- GAN: keras_gans.GAN (non-saturating loss, Adam 2e-4, β1 0.5);
- PacGAN2: the same with ``discriminator_options={"packing": 2}``;
- WGAN-GP: keras_gans.WGANGP (λ 10, n_critic 5, Adam 1e-4, β (0.5, 0.9));
- minibatch discrimination: GAN with
  ``discriminator_options={"minibatch_discrimination": True}``.

Usage::

    taskset -c 0 env KERAS_BACKEND=tensorflow python benchmarks/papers/pacgan_ring.py \\
        --seeds 0 1 2 3 4 --epochs 2 --batch-size 128

writes ``benchmarks/results/pacgan_ring.csv`` (one line per row and seed) and
the table into ``docs/paper_tables.md`` (between its pacgan_ring markers).

``--networks paper`` trains instead the PacGAN code's own 2-D networks and
optimizer (fjxmlzn/PacGAN, ``synthetic_data_experiments``: a 4 x 400 ReLU
generator with BatchNorm, a discriminator of 3 maxout layers of 200 units x 5
pieces, Adam 1e-4 with beta1 0.8 for both players, 100 packs a step, an epoch
being 1,000 steps for every packing degree), into
``benchmarks/results/pacgan_ring_paper_networks.csv`` and its own table. The
CSV is rewritten after every (row, seed), and ``--resume`` runs only the ones
it lacks, so a long table survives an interruption.
``--tiny`` trains a few steps on a few points and writes to ``--out`` only:
it checks that the runner works, not the numbers.
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import time

import keras
import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from doc_blocks import (  # benchmarks/papers/ is a folder of scripts
    add_output_arguments,
    replace_block,
)

RADIUS, STD, TRAIN_POINTS, EVAL_SAMPLES = 1.0, 0.01, 100_000, 2500
ROWS = ("GAN", "PacGAN2", "WGAN-GP", "minibatch discrimination")
PAPER = {  # Lin et al. 2018, 2-D ring: modes (of 8), high quality %, reverse KL
    "GAN": (6.3, 98.2, 0.45),
    "PacGAN2": (7.9, 95.6, 0.07),
}
BEGIN, END = "<!-- pacgan_ring:begin -->", "<!-- pacgan_ring:end -->"
PAPER_BEGIN = "<!-- pacgan_ring_paper_networks:begin -->"
PAPER_END = "<!-- pacgan_ring_paper_networks:end -->"


def ring_modes(radius=RADIUS):
    angles = 2 * np.pi * np.arange(8) / 8
    return (radius * np.stack([np.cos(angles), np.sin(angles)], axis=1)).astype("float32")


def ring_data(n=TRAIN_POINTS, seed=0, std=STD):
    modes = ring_modes()
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(modes), size=n)
    return (modes[idx] + std * rng.standard_normal((n, 2))).astype("float32")


def reverse_kl(samples, modes):
    """KL(p_gen || uniform) over the modes, each sample given to its nearest mode."""
    d = np.linalg.norm(samples[:, None, :] - modes[None, :, :], axis=-1)
    p = np.bincount(d.argmin(axis=1), minlength=len(modes)) / len(samples)
    nz = p > 0
    return float(np.sum(p[nz] * np.log(p[nz] * len(modes))))


class Maxout(keras.layers.Layer):
    """(N, units, pieces) -> (N, units): the largest piece of each unit."""

    def call(self, x):
        return keras.ops.max(x, axis=-1)


PAPER_NETWORKS = (  # the PacGAN code's 2-D networks (fjxmlzn/PacGAN, 2DRing config)
    "G: 4 x 400 ReLU with BatchNorm, no bias, linear output; D: 3 maxout layers of "
    "200 units x 5 pieces, linear output; N(0, 0.02) weights; Adam 1e-4, beta1 0.8 "
    "for both players; 100 packs per batch"
)


def paper_networks(packing=1, minibatch_discrimination=False):
    """The networks of the PacGAN code's 2-D experiments (its ``pacgan_task.py``):
    a 4 x 400 ReLU generator with BatchNorm and no biases, and a discriminator
    of 3 maxout layers (200 units, 5 pieces) on the packed input."""
    from keras import layers

    from keras_gans.layers import MinibatchDiscrimination, PackSamples

    init = keras.initializers.RandomNormal(stddev=0.02)
    z = keras.Input((2,), name="z")
    h = z
    for _ in range(4):
        h = layers.Dense(400, use_bias=False, kernel_initializer=init)(h)
        h = layers.BatchNormalization()(h)
        h = layers.ReLU()(h)
    g = keras.Model(z, layers.Dense(2, kernel_initializer=init)(h), name="generator")

    x_in = keras.Input((2,), name="x")
    h = PackSamples(packing, name="packing")(x_in) if packing > 1 else x_in
    for _ in range(3):
        h = layers.Dense(200 * 5, kernel_initializer=init)(h)
        h = layers.Reshape((200, 5))(h)
        h = Maxout()(h)
    if minibatch_discrimination:
        h = MinibatchDiscrimination()(h)
    d = keras.Model(x_in, layers.Dense(1, kernel_initializer=init)(h), name="discriminator")
    return g, d


def build(row, seed, hidden, networks="mlp"):
    import keras_gans

    if networks == "paper":
        common = {"latent_dim": 2, "seed": seed}
        if row == "WGAN-GP":
            return keras_gans.WGANGP(*paper_networks(), **common)
        g, d = paper_networks(packing=2 if row == "PacGAN2" else 1,
                              minibatch_discrimination=row == "minibatch discrimination")
        return keras_gans.GAN(g, d, **common)

    common = {"data_shape": (2,), "latent_dim": 2, "seed": seed}
    if row == "GAN":
        return keras_gans.GAN(hidden=hidden, **common)
    if row == "PacGAN2":
        return keras_gans.GAN(hidden=hidden, discriminator_options={"packing": 2}, **common)
    if row == "minibatch discrimination":
        return keras_gans.GAN(hidden=hidden,
                              discriminator_options={"minibatch_discrimination": True},
                              **common)
    if row == "WGAN-GP":
        from keras_gans.networks import mlp_discriminator, mlp_generator

        g = mlp_generator(2, (2,), hidden, None, None)
        d = mlp_discriminator((2,), hidden)
        return keras_gans.WGANGP(g, d, latent_dim=2, seed=seed)
    raise ValueError(row)


def run_one(row, seed, x, epochs, batch_size, hidden, networks="mlp"):
    from keras_gans.metrics import mode_coverage

    keras.utils.set_random_seed(seed)
    model = build(row, seed, hidden, networks)
    if networks == "paper" and row != "WGAN-GP":
        # the PacGAN code: one Adam(1e-4, beta1 0.8) rule for both players, and
        # a batch of 100 packs, so PacGAN2 sees 200 samples of each kind a step
        model.compile(**{f"{p}_optimizer": keras.optimizers.Adam(1e-4, beta_1=0.8)
                         for p in model.players})
        if row == "PacGAN2":  # 100 packs of 2 a step, and as many steps an epoch
            batch_size *= 2
            x = ring_data(2 * len(x), seed=0)
    else:
        model.compile()
    start = time.process_time()
    wall = time.time()
    model.fit(x, batch_size=batch_size, epochs=epochs, shuffle=True, verbose=0)
    cpu_s, wall_s = time.process_time() - start, time.time() - wall
    samples = model.generate(EVAL_SAMPLES, seed=1000 + seed)
    modes = ring_modes()
    score = mode_coverage(samples, modes, STD)
    return {
        "row": row, "seed": seed,
        "modes": score["modes_covered"],
        "high_quality": round(100.0 * score["high_quality_fraction"], 2),
        "reverse_kl": round(reverse_kl(samples, modes), 4),
        "steps": epochs * (len(x) // batch_size + bool(len(x) % batch_size)),
        "batch_size": batch_size, "wall_s": round(wall_s, 1), "cpu_s": round(cpu_s, 1),
    }


def summarize(results):
    table = {}
    for row in ROWS:
        rs = [r for r in results if r["row"] == row]
        if not rs:
            continue
        def arr(key, rs=rs):
            return np.array([r[key] for r in rs], dtype=float)

        table[row] = {
            "seeds": [r["seed"] for r in rs],
            "modes": (arr("modes").mean(), arr("modes").std()),
            "high_quality": (arr("high_quality").mean(), arr("high_quality").std()),
            "reverse_kl": (arr("reverse_kl").mean(), arr("reverse_kl").std()),
            "wall_s": arr("wall_s").sum(),
            "steps": rs[0]["steps"],
        }
    return table


def markdown(table, settings, begin=BEGIN, end=END):
    lines = [
        begin,
        f"Measured by `benchmarks/papers/pacgan_ring.py` ({settings}).",
        "",
        ("| row | seeds | modes (of 8) | high quality % | reverse KL | paper: modes / HQ % / rKL "
        "| wall time (all seeds) |"),
        "|---|---|---|---|---|---|---|",
    ]
    for row, t in table.items():
        paper = PAPER.get(row)
        paper_s = f"{paper[0]} / {paper[1]} / {paper[2]}" if paper else "not in our reading"
        lines.append(
            f"| {row} | {len(t['seeds'])} ({', '.join(map(str, t['seeds']))}) "
            f"| {t['modes'][0]:.1f} ± {t['modes'][1]:.1f} "
            f"| {t['high_quality'][0]:.1f} ± {t['high_quality'][1]:.1f} "
            f"| {t['reverse_kl'][0]:.2f} ± {t['reverse_kl'][1]:.2f} | {paper_s} "
            f"| {t['wall_s']:.0f} s |"
        )
    lines.append(end)
    return "\n".join(lines)


def _done(path, settings):
    """The rows already measured in ``path`` with the same ``settings`` (for
    --resume); a line measured otherwise is an error, not a silent mix."""
    if not os.path.exists(path):
        return []
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    for r in rows:
        theirs = {k: r.get(k) for k in settings}
        if theirs != settings:
            raise SystemExit(
                f"{path} holds a run with other settings ({theirs}, not {settings}); "
                "--resume only continues the same settings. Pass another --out, or "
                "leave out --resume to start over (the old file is kept as .previous).")
    for r in rows:
        for key in ("seed", "modes", "steps", "batch_size"):
            r[key] = int(r[key])
        for key in ("high_quality", "reverse_kl", "wall_s", "cpu_s"):
            r[key] = float(r[key])
    return rows


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--rows", nargs="+", default=list(ROWS), choices=ROWS)
    p.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2, 3, 4])
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("--batch-size", type=int, default=None,
                   help="128 for --networks mlp, 100 (packs) for paper")
    p.add_argument("--hidden", type=int, nargs="+", default=[256, 256])
    p.add_argument("--networks", choices=("mlp", "paper"), default="mlp",
                   help="mlp: keras_gans' MLP builders, each variant's paper optimizer; "
                        "paper: " + PAPER_NETWORKS)
    p.add_argument("--resume", action="store_true",
                   help="keep the rows and seeds already in --out (same backend) and "
                        "run only the missing ones")
    add_output_arguments(p, ROOT, "pacgan_ring",
                         "a few steps on 512 points, one seed: checks the runner only")
    args = p.parse_args(argv)
    paper = args.networks == "paper"
    if paper and not args.tiny:
        default_out = os.path.join(ROOT, "benchmarks", "results", "pacgan_ring.csv")
        if args.out == default_out:
            args.out = default_out.replace(".csv", "_paper_networks.csv")

    n = 512 if args.tiny else TRAIN_POINTS
    epochs = 1 if args.tiny else args.epochs
    batch = args.batch_size or (100 if paper else 128)
    batch = 64 if args.tiny else batch
    hidden = (16,) if args.tiny else tuple(args.hidden)
    seeds = args.seeds[:1] if args.tiny else args.seeds
    x = ring_data(n, seed=0)
    backend = keras.backend.backend()
    settings = {"backend": backend, "networks": args.networks, "epochs": str(epochs)}
    results = _done(args.out, settings) if args.resume else []
    done = {(r["row"], r["seed"]) for r in results}
    if not args.resume and os.path.exists(args.out) and not args.tiny:
        os.replace(args.out, args.out + ".previous")  # nothing measured is lost
        print(f"moved the previous {args.out} to {args.out}.previous", flush=True)
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    for seed in seeds:
        for row in args.rows:
            if (row, seed) in done:
                continue
            r = run_one(row, seed, x, epochs, batch, hidden, args.networks)
            r.update(settings)
            results.append(r)
            print(r, flush=True)
            with open(args.out, "w", newline="") as f:  # after every run: resumable
                w = csv.DictWriter(f, fieldnames=list(results[0]))
                w.writeheader()
                w.writerows(results)
    results = [r for r in results if r["row"] in args.rows and r["seed"] in seeds]
    nets = (PAPER_NETWORKS if paper else
            f"MLP {'x'.join(map(str, hidden))}, each variant's paper optimizer")
    described = (f"{backend}, one CPU core, {n} training points, batch {batch}, "
                 f"{epochs} epoch(s) = {results[0]['steps']} generator steps, {nets}, "
                 "z of dimension 2")
    begin, end = (PAPER_BEGIN, PAPER_END) if paper else (BEGIN, END)
    block = markdown(summarize(results), described, begin, end)
    if not args.tiny:
        replace_block(args.doc, block, begin, end)
    print(block)
    return results


if __name__ == "__main__":
    main()
