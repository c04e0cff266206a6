"""Datasets, scaled to the generator's range [-1, 1] by the loader.

- ``load(name)``: ``mnist``, ``fashion_mnist``, ``cifar10``, ``usps`` and the other
  ``.npz`` files: a local folder first (``data_dir=`` or ``KERAS_GANS_DATA``, files
  ``<name>.npz`` with ``x_train, y_train, x_test, y_test``), else
  tensorflow-datasets (needs internet the first time).
- ``load_digits()``: scikit-learn's bundled 8x8 digits, offline, resized on request.
- ``load_folder(path, image_size=)``: your own PNG/JPEG files (subfolders as
  classes).
- ``load_mixture("ring8" | "grid25")``: the synthetic 2-D Gaussian mixtures.
- ``two_domain``: unpaired batches of two domains for the translators
  (``load_pair("mnist2usps" | "horse2zebra" | "mnist2fashion")``, ``unpaired``,
  ``UnpairedBatches``).
"""

from keras_gans.data import two_domain
from keras_gans.data.datasets import load, load_digits, resize_images, scale_images
from keras_gans.data.folder import folder_classes, load_folder
from keras_gans.data.mixtures import MIXTURES, load_mixture, mixture_modes
from keras_gans.data.shuffled import EpochShuffled, SemiSupervisedBatches
from keras_gans.data.two_domain import (
    UnpairedBatches,
    jitter_and_flip,
    load_pair,
    unpaired,
)

__all__ = [
    "MIXTURES",
    "EpochShuffled",
    "SemiSupervisedBatches",
    "UnpairedBatches",
    "folder_classes",
    "jitter_and_flip",
    "load",
    "load_digits",
    "load_folder",
    "load_mixture",
    "load_pair",
    "mixture_modes",
    "resize_images",
    "scale_images",
    "two_domain",
    "unpaired",
]
