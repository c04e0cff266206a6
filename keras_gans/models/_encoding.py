"""Pieces shared by the encoder variants (BiGAN, AdversarialAutoencoder)."""

from __future__ import annotations

import numpy as np
from keras import ops

from keras_gans.core.capabilities import NetworkTarget
from keras_gans.core.gan_model import as_float32
from keras_gans.errors import GANConfigError, GANInputError


def check_labels(model, y, takes_labels):
    """Labels must be given exactly when the model takes them."""
    name = type(model).__name__
    if takes_labels and y is None:
        raise GANInputError(
            f"{name} is supervised (num_classes={model.num_classes}): fit() needs "
            "labels, as fit(x, y) or a dataset of (x, y) pairs."
        )
    if not takes_labels and y is not None:
        raise GANInputError(
            f"{name} is unsupervised and takes no labels: call fit(x) without y "
            "(or map the dataset to x only)"
            + (", or build it with supervised=True, num_classes=..." if hasattr(
                model, "supervised") else "")
            + "."
        )


def check_code_size(network, size, latent_dim, what="makes codes"):
    """A network's code (its output or its z input) must be ``latent_dim`` wide."""
    if size != latent_dim:
        raise GANConfigError(
            f"The {network.name} {what} of size {size} but latent_dim={latent_dim}: "
            f"build it for latent_dim={latent_dim} or pass latent_dim={size}."
        )


def batched(fn, arrays, batch_size=256):
    """Apply ``fn`` to slices of numpy ``arrays`` and concatenate the numpy results."""
    n = len(arrays[0])
    out = []
    for start in range(0, n, batch_size):
        parts = [None if a is None else a[start : start + batch_size] for a in arrays]
        out.append(as_float32(fn(*parts)))
    return np.concatenate(out, axis=0)


def as_samples(model, x):
    x = np.asarray(x)
    expected = tuple(model.data_shape)
    if tuple(x.shape[1:]) != expected:
        raise GANInputError(
            f"Samples have shape {tuple(x.shape[1:])} but {type(model).__name__} was "
            f"built for {expected}."
        )
    return x.astype(model.compute_dtype)


class EncoderTarget(NetworkTarget):
    """z of a generator (decoder) whose model also encodes (BiGAN, AAE): the
    first start is the encoder's code of the image, further starts are draws
    of ``prior(n, normal, uniform)``."""

    def __init__(self, model, network, latent_dim, num_classes=None, *, prior):
        super().__init__(model, network, latent_dim, num_classes)
        self.prior = prior

    def initial(self, images, onehot, restarts, rng):
        codes = np.asarray(self.model.encode(images), "float32")
        z = np.repeat(codes, restarts, axis=0)
        n = len(images)
        if restarts > 1:
            def normal(s):
                return ops.convert_to_tensor(rng.standard_normal(s).astype("float32"))

            def uniform(s):
                return ops.convert_to_tensor(rng.uniform(size=s).astype("float32"))

            draws = ops.convert_to_numpy(self.prior(n * restarts, normal, uniform))
            z = z.reshape(n, restarts, -1)
            z[:, 1:] = draws.reshape(n, restarts, -1)[:, 1:]
            z = z.reshape(n * restarts, -1)
        return z
