"""Unpaired two-domain data for translation models (CycleGAN, DiscoGAN).

The two domains are not aligned: image i of A has nothing to do with image i of
B. Each domain is shuffled on its own and the shorter one is repeated (a fresh
permutation for each repeat) up to the length of the longer one, so one epoch
shows every image of the larger domain once.

- ``unpaired(x_a, x_b, size=, channels=, seed=)``: equal-length arrays for
  ``model.fit((x_a, x_b))``.
- ``UnpairedBatches``: a ``keras.utils.PyDataset`` of ``(x_a, x_b)`` batches
  that re-pairs the domains every epoch.
- ``load_pair(name)``: the offline pairs ``mnist2usps``, ``mnist2fashion`` and
  ``horse2zebra`` (from the ``.npz`` files of ``KERAS_GANS_DATA``/``data_dir``),
  with each domain's labels kept for evaluation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import keras
import numpy as np

from keras_gans.data.datasets import load, resize_images, scale_images
from keras_gans.errors import GANConfigError, GANInputError, did_you_mean

#: name -> (domain A, domain B, common side, channels, what the labels are)
PAIRS = {
    "mnist2usps": ("mnist", "usps", 28, 1, "digit classes 0-9 in both domains"),
    "mnist2fashion": ("mnist", "fashion_mnist", 28, 1, "digit / clothing classes"),
    "horse2zebra": ("horse2zebra_64", "horse2zebra_64", 64, 3, "none (one class each)"),
}


def pairing_indices(n_a, n_b, seed=None):
    """Indices ``(idx_a, idx_b)`` of equal length ``max(n_a, n_b)``: each domain
    shuffled independently, the shorter one repeated with a new permutation for
    each pass (so every image is used before any is used twice)."""
    if n_a == 0 or n_b == 0:
        raise GANInputError(
            f"Domain {'A' if n_a == 0 else 'B'} is empty: unpaired translation needs "
            "images in both domains."
        )
    rng = np.random.default_rng(seed)
    n = max(n_a, n_b)

    def draw(m):
        reps = math.ceil(n / m)
        return np.concatenate([rng.permutation(m) for _ in range(reps)])[:n]

    return draw(n_a), draw(n_b)


def harmonize(x_a, x_b, size=None, channels=None):
    """Scale both domains to [-1, 1] (N, H, W, C) and bring them to one shape.

    Args:
        size: resize both to ``size`` x ``size`` (bilinear).
        channels: 1 or 3: grey to RGB repeats the channel; RGB to grey takes
            the luminance (ITU-R 601).
    Raises ``GANInputError`` naming the fix when the shapes differ and no
    ``size``/``channels`` brings them together.
    """
    x_a, x_b = scale_images(x_a), scale_images(x_b)
    if channels is not None:
        if channels not in (1, 3):
            raise GANConfigError(f"channels must be 1 or 3; got {channels}.")
        x_a, x_b = _to_channels(x_a, channels), _to_channels(x_b, channels)
    if size is not None:
        x_a = x_a if x_a.shape[1:3] == (size, size) else resize_images(x_a, int(size))
        x_b = x_b if x_b.shape[1:3] == (size, size) else resize_images(x_b, int(size))
    a, b = x_a.shape[1:], x_b.shape[1:]
    if a[:2] != b[:2]:
        raise GANInputError(
            f"Domain A images are {a[0]}x{a[1]} and domain B images {b[0]}x{b[1]}: the "
            f"translators keep the image size. Pass size= (e.g. size={max(a[0], b[0])}) "
            "to resize both."
        )
    if a[2] != b[2]:
        raise GANInputError(
            f"Domain A images have {a[2]} channel(s) and domain B {b[2]}. Pass "
            f"channels={max(a[2], b[2])} (or {min(a[2], b[2])}) to convert both, or "
            "build the model with data_shape_a= and data_shape_b= to keep them."
        )
    return x_a, x_b


def _to_channels(x, channels):
    if x.shape[-1] == channels:
        return x
    if channels == 3 and x.shape[-1] == 1:
        return np.repeat(x, 3, axis=-1)
    if channels == 1 and x.shape[-1] == 3:
        grey = x @ np.array([0.299, 0.587, 0.114], "float32")
        return grey[..., None].astype("float32")
    raise GANInputError(f"Cannot convert {x.shape[-1]}-channel images to {channels}.")


def unpaired(x_a, x_b, *, size=None, channels=None, seed=None, reconcile=True):
    """Equal-length arrays ``(x_a, x_b)`` for ``model.fit((x_a, x_b))``.

    Each domain is shuffled independently and the shorter repeated (see
    ``pairing_indices``); images are scaled to [-1, 1] and, with ``size`` /
    ``channels``, resized and converted to a common shape. With
    ``reconcile=False`` the domains may keep different channel counts (for a
    model built with ``data_shape_a`` and ``data_shape_b``).
    """
    if reconcile:
        x_a, x_b = harmonize(x_a, x_b, size, channels)
    else:
        x_a, x_b = scale_images(x_a), scale_images(x_b)
    idx_a, idx_b = pairing_indices(len(x_a), len(x_b), seed)
    return x_a[idx_a], x_b[idx_b]


def jitter_and_flip(size, enlarge=30 / 256, flip=True, seed=None):
    """CycleGAN's data augmentation (Zhu et al. 2017, §7.1: resize 256 -> 286,
    random 256 crop, random horizontal flip) as Keras' own preprocessing layers,
    which run on every backend: images of side ``size`` are resized by
    ``1 + enlarge``, cropped back to ``size`` at a random place and, with
    ``flip``, mirrored left-right half of the time. Leave ``flip`` off for
    images whose mirror is another class (digits)."""
    from keras import layers

    big = round(size * (1 + enlarge))
    steps = [layers.Resizing(big, big, interpolation="bilinear"),
             layers.RandomCrop(size, size, seed=seed)]
    if flip:
        steps.append(layers.RandomFlip("horizontal", seed=None if seed is None else seed + 1))
    return keras.Sequential(steps, name="jitter_and_flip")


class UnpairedBatches(keras.utils.PyDataset):
    """``(x_a, x_b)`` batches of two unaligned domains, re-paired every epoch.

    Args:
        x_a, x_b: the domains, already in a common shape (``harmonize``).
        batch_size: images of each domain per batch.
        seed: seed of the pairing; each epoch draws a new pairing from it.
        augment: a Keras layer or model applied to each domain's batch (e.g.
            ``jitter_and_flip(64)``, CycleGAN's jitter), or None.

    Example:
        ```python
        x_a, x_b = keras_gans.data.two_domain.harmonize(mnist_x, usps_x, size=28)
        model.fit(UnpairedBatches(x_a, x_b, batch_size=1), epochs=200)
        ```
    """

    def __init__(self, x_a, x_b, batch_size=1, seed=None, augment=None, **kwargs):
        super().__init__(**kwargs)
        self.x_a, self.x_b = np.asarray(x_a), np.asarray(x_b)
        self.batch_size = int(batch_size)
        self.augment = augment
        self.rng = np.random.default_rng(seed)
        self.on_epoch_end()

    def __len__(self):
        return math.ceil(max(len(self.x_a), len(self.x_b)) / self.batch_size)

    def __getitem__(self, i):
        s = slice(i * self.batch_size, (i + 1) * self.batch_size)
        a, b = self.x_a[self.idx_a[s]], self.x_b[self.idx_b[s]]
        if self.augment is None:
            return a, b
        return tuple(np.clip(keras.ops.convert_to_numpy(self.augment(v, training=True)),
                             -1.0, 1.0).astype(v.dtype) for v in (a, b))

    def on_epoch_end(self):
        self.idx_a, self.idx_b = pairing_indices(
            len(self.x_a), len(self.x_b), int(self.rng.integers(2**31))
        )


@dataclass
class TwoDomainData:
    """Both domains of a pair in a common shape, in their files' order, with
    their labels (None where the domain has no classes) for evaluation."""

    name: str
    x_a: np.ndarray
    y_a: np.ndarray | None
    x_b: np.ndarray
    y_b: np.ndarray | None

    def unpaired(self, seed=None):
        """``(x_a, x_b)`` of equal length for ``fit((x_a, x_b))``."""
        idx_a, idx_b = pairing_indices(len(self.x_a), len(self.x_b), seed)
        return self.x_a[idx_a], self.x_b[idx_b]

    def batches(self, batch_size=1, seed=None, augment=None, **kwargs):
        """An ``UnpairedBatches`` that re-pairs the domains every epoch (and
        applies ``augment``, e.g. ``jitter_and_flip``, to each batch)."""
        return UnpairedBatches(self.x_a, self.x_b, batch_size, seed, augment, **kwargs)


def load_pair(name, split="train", data_dir=None, size=None, channels=None):
    """An offline two-domain pair as ``TwoDomainData``.

    Args:
        name: ``"mnist2usps"`` (USPS's 16x16 digits resized to 28),
            ``"mnist2fashion"``, ``"horse2zebra"`` (64x64 RGB; its label array
            is the domain, so the domains have no labels here).
        split: ``"train"`` or ``"test"``.
        data_dir: folder with the ``.npz`` files (else ``KERAS_GANS_DATA``).
        size, channels: override the pair's common size / channel count.
    """
    if name not in PAIRS:
        raise GANConfigError(
            f"Unknown two-domain pair {name!r}; known: {sorted(PAIRS)}."
            + did_you_mean(name, PAIRS)
        )
    file_a, file_b, side, chans, _ = PAIRS[name]
    size, channels = size or side, channels or chans
    if file_a == file_b:  # one file whose label is the domain
        x, domain = load(file_a, split=split, data_dir=data_dir)
        x_a, x_b = x[domain == 0], x[domain == 1]
        y_a = y_b = None
    else:
        x_a, y_a = load(file_a, split=split, data_dir=data_dir)
        x_b, y_b = load(file_b, split=split, data_dir=data_dir)
    x_a, x_b = harmonize(x_a, x_b, size, channels)
    return TwoDomainData(name, x_a, y_a, x_b, y_b)

