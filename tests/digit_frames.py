"""scikit-learn's digits at 28 px in two framings, shared by test_dtn and
test_classifier: as they are (filling the frame, like USPS) and shrunk into
the middle of the frame (as MNIST's digits sit in a 20 px box of 28)."""

import numpy as np

from keras_gans.data import load_digits, resize_images

# a conv_classifier small enough to train in seconds
SMALL = {"filters": 8, "feature_dim": 32}


def shuffled_digits(seed=0):
    """All 1,797 digits at 28 px in [-1, 1], with labels, in a seeded order."""
    x, y = load_digits(28)
    order = np.random.default_rng(seed).permutation(len(x))
    return x[order], y[order]


def shrink(x, side=18):
    """Each image resized to ``side`` px, centred on a -1 (black) frame."""
    out = np.full_like(x, -1.0)
    lo = (x.shape[1] - side) // 2
    out[:, lo : lo + side, lo : lo + side] = resize_images(x, side)
    return out
