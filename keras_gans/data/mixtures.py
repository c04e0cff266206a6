"""2-D Gaussian mixtures used to measure mode coverage (VEEGAN, PacGAN protocol)."""

from __future__ import annotations

import numpy as np

from keras_gans.errors import GANConfigError, did_you_mean

# name -> (modes as an (M, 2) array builder, standard deviation of each mode)
MIXTURES = {
    # 8 modes on a circle of radius 2, σ = 0.02 (VEEGAN, Srivastava et al. 2017)
    "ring8": (lambda: 2.0 * np.stack(
        [np.cos(2 * np.pi * np.arange(8) / 8), np.sin(2 * np.pi * np.arange(8) / 8)], axis=1
    ), 0.02),
    # 25 modes on a 5x5 grid at {-4, -2, 0, 2, 4}², σ = 0.05 (VEEGAN, PacGAN)
    "grid25": (lambda: np.array(
        [(x, y) for x in range(-4, 5, 2) for y in range(-4, 5, 2)], dtype=float
    ), 0.05),
}


def mixture_modes(name, std=None):
    """(modes, std) of a named mixture; ``std`` overrides the protocol's σ."""
    if name not in MIXTURES:
        raise GANConfigError(
            f"Unknown mixture {name!r}; known: {sorted(MIXTURES)}." + did_you_mean(name, MIXTURES)
        )
    build, default_std = MIXTURES[name]
    return build().astype("float32"), float(default_std if std is None else std)


def load_mixture(name="ring8", n=10_000, seed=0, std=None):
    """``n`` points from the mixture, each mode equally likely, float32 (n, 2).
    ``std`` overrides the protocol's σ of each mode."""
    modes, std = mixture_modes(name, std)
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(modes), size=n)
    return (modes[idx] + std * rng.standard_normal((n, 2))).astype("float32")
