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
``--tiny`` trains a few steps on a few points and writes to ``--out`` only:
it checks that the runner works, not the numbers.
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import time

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


def build(row, seed, hidden):
    import keras_gans

    common = dict(data_shape=(2,), latent_dim=2, seed=seed)
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


def run_one(row, seed, x, epochs, batch_size, hidden):
    import keras

    from keras_gans.metrics import mode_coverage

    keras.utils.set_random_seed(seed)
    model = build(row, seed, hidden)
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


def markdown(table, settings):
    lines = [
        BEGIN,
        f"Measured by `benchmarks/papers/pacgan_ring.py` ({settings}).",
        "",
        "| row | seeds | modes (of 8) | high quality % | reverse KL | paper: modes / HQ % / rKL "
        "| wall time (all seeds) |",
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
    lines.append(END)
    return "\n".join(lines)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--rows", nargs="+", default=list(ROWS), choices=ROWS)
    p.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2, 3, 4])
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--hidden", type=int, nargs="+", default=[256, 256])
    add_output_arguments(p, ROOT, "pacgan_ring",
                         "a few steps on 512 points, one seed: checks the runner only")
    args = p.parse_args(argv)

    import keras

    n = 512 if args.tiny else TRAIN_POINTS
    epochs = 1 if args.tiny else args.epochs
    batch = 64 if args.tiny else args.batch_size
    hidden = (16,) if args.tiny else tuple(args.hidden)
    seeds = args.seeds[:1] if args.tiny else args.seeds
    x = ring_data(n, seed=0)
    results = []
    for seed in seeds:
        for row in args.rows:
            r = run_one(row, seed, x, epochs, batch, hidden)
            r["backend"] = keras.backend.backend()
            results.append(r)
            print(r, flush=True)
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(results[0]))
        w.writeheader()
        w.writerows(results)
    settings = (f"{keras.backend.backend()}, one CPU core, {n} training points, batch "
                f"{batch}, {epochs} epoch(s) = {results[0]['steps']} generator steps, "
                f"MLP {'x'.join(map(str, hidden))}, z of dimension 2")
    block = markdown(summarize(results), settings)
    if not args.tiny:
        replace_block(args.doc, block, BEGIN, END)
    print(block)
    return results


if __name__ == "__main__":
    main()
