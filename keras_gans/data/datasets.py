"""Image datasets: local .npz first, tensorflow-datasets as the fallback."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from keras_gans.errors import GANConfigError, GANInputError, did_you_mean

# name -> tensorflow-datasets name (None: no tfds equivalent)
TFDS_NAMES = {
    "mnist": "mnist",
    "fashion_mnist": "fashion_mnist",
    "cifar10": "cifar10",
    "usps": None,
}
# local file names that also answer to a dataset name
LOCAL_ALIASES = {"cifar10": ["cifar10", "cifar10_jpeg_test"]}


def scale_images(x):
    """uint8 0..255 images -> float32 in [-1, 1], with a channel axis."""
    x = np.asarray(x)
    if x.ndim == 3:
        x = x[..., None]
    if x.ndim != 4:
        raise GANInputError(f"Expected images (N, H, W[, C]); got an array of shape {x.shape}.")
    if np.issubdtype(x.dtype, np.floating):
        lo, hi = float(x.min()), float(x.max())
        if lo >= -1.0 - 1e-6 and hi <= 1.0 + 1e-6:
            return x.astype("float32")
        if lo >= 0.0 and hi <= 255.0:
            return (x.astype("float32") / 127.5 - 1.0).astype("float32")
        raise GANInputError(f"Float images range over [{lo}, {hi}]; expected 0..255 or [-1, 1].")
    return (x.astype("float32") / 127.5 - 1.0).astype("float32")


def resize_images(x, size):
    """Bilinear resize of (N, H, W, C) float images to (size, size)."""
    import keras

    out = keras.ops.image.resize(x, (size, size), interpolation="bilinear")
    return np.clip(keras.ops.convert_to_numpy(out), -1.0, 1.0).astype("float32")


def load_digits(size=None):
    """scikit-learn's bundled 8x8 digits (1,797 images, offline), scaled to
    [-1, 1] as (N, 8, 8, 1) or resized to (N, size, size, 1)."""
    from sklearn.datasets import load_digits as sk_digits

    d = sk_digits()
    x = (d.images.astype("float32") / 16.0 * 2.0 - 1.0)[..., None]
    if size:
        x = resize_images(x, size)
    return x, d.target.astype("int64")


def _data_dirs(data_dir):
    dirs = []
    if data_dir:
        dirs.append(Path(data_dir))
    if os.environ.get("KERAS_GANS_DATA"):
        dirs.append(Path(os.environ["KERAS_GANS_DATA"]))
    return dirs


def find_local(name, data_dir=None):
    for d in _data_dirs(data_dir):
        for stem in LOCAL_ALIASES.get(name, [name]):
            path = d / f"{stem}.npz"
            if path.exists():
                return path
    return None


def load(name, split="train", data_dir=None, size=None, with_labels=True):
    """Load a dataset scaled to [-1, 1] as ``(x, y)``.

    Args:
        name: ``mnist``, ``fashion_mnist``, ``cifar10``, ``usps``, any
            ``<name>.npz`` in the data folder, or the path of a ``.npz`` file.
        split: ``"train"`` or ``"test"``.
        data_dir: folder with ``<name>.npz`` (else ``KERAS_GANS_DATA``, else tfds).
        size: resize to ``size`` x ``size`` (e.g. 28 for USPS's 16x16 digits).
    """
    if split not in ("train", "test"):
        raise GANConfigError(f"split must be 'train' or 'test'; got {split!r}.")
    if name == "digits":
        return load_digits(size)
    if str(name).endswith(".npz"):  # a file path rather than a name
        path = Path(name)
        if not path.is_file():
            raise GANInputError(
                f"No dataset file {name}. Pass an existing .npz (with x_{split}"
                f"[, y_{split}]), a folder of images, or a dataset name such as mnist."
            )
    else:
        path = find_local(name, data_dir)
    if path is not None:
        x, y = _load_npz(path, split)
    else:
        x, y = _load_tfds(name, split, data_dir)
    x = scale_images(x)
    if size and x.shape[1] != size:
        x = resize_images(x, size)
    return (x, y) if with_labels else x


ZIP_MAGIC = b"PK"  # an .npz is a zip archive of .npy files


def open_npz(path):
    """``np.load(path)`` of a real ``.npz`` file, never pickles.
    Anything else (a truncated download, random bytes, another format) is one
    GANInputError that names the file, rather than numpy's advice to allow
    pickles, which is unsafe and would not help a broken file."""
    try:
        with open(path, "rb") as f:
            head = f.read(4)
    except OSError as e:
        raise GANInputError(f"Cannot read {path}: {e.strerror or e}.") from e
    if not head.startswith(ZIP_MAGIC):
        raise GANInputError(
            f"{path} is not an .npz file (no zip signature at its start): it is corrupt, "
            "truncated or another format. Re-create it with "
            "numpy.savez(path, x_train=..., y_train=..., x_test=..., y_test=...)."
        )
    try:
        return np.load(path, allow_pickle=False)
    except Exception as e:  # zipfile.BadZipFile, ValueError, OSError...
        raise GANInputError(f"Cannot read {path} as an .npz file ({e}); re-create it.") from e


def _load_npz(path, split):
    try:
        with open_npz(path) as f:
            keys = set(f.files)
            xk, yk = f"x_{split}", f"y_{split}"
            if xk not in keys:
                raise GANInputError(
                    f"{path} has no {xk!r} array (it has {sorted(keys)}); "
                    f"this file may lack the {split} split."
                )
            x = f[xk]
            y = f[yk].astype("int64") if yk in keys else None
    except GANInputError:
        raise
    except Exception as e:  # zipfile.BadZipFile, ValueError, OSError...
        raise GANInputError(f"Cannot read dataset file {path}: {e}. Re-create or re-download it.") from e
    if len(x) == 0:
        raise GANInputError(f"{path}: split {split!r} is empty.")
    return x, y


def known_names(data_dir=None):
    """The dataset names ``load`` answers to: the built-in ones and every
    ``<name>.npz`` in the data folders."""
    names = {"digits", *TFDS_NAMES}
    for d in _data_dirs(data_dir):
        if d.is_dir():
            names.update(p.stem for p in d.glob("*.npz"))
    return sorted(names)


def _load_tfds(name, split, data_dir):
    own = (f"put {name}.npz with x_train, y_train, x_test, y_test in a folder and pass "
           "data_dir= (--data-dir on the command line)")
    if name in TFDS_NAMES and TFDS_NAMES[name] is None:
        raise GANConfigError(
            f"No local file {name}.npz (looked in data_dir= / --data-dir and "
            f"KERAS_GANS_DATA), and {name!r} has no tensorflow-datasets equivalent: {own}."
        )
    if name not in TFDS_NAMES:
        choices = known_names(data_dir)
        raise GANConfigError(
            f"Unknown dataset {name!r}: no local file {name}.npz (looked in data_dir= / "
            f"--data-dir and KERAS_GANS_DATA) and not one keras_gans knows "
            f"({', '.join(choices)})." + did_you_mean(name, choices)
            + f" For your own data, {own}."
        )
    try:
        import tensorflow_datasets as tfds

        ds = tfds.load(TFDS_NAMES[name], split=split, batch_size=-1, as_supervised=True)
        x, y = tfds.as_numpy(ds)
    except Exception as e:
        raise GANInputError(
            f"Could not load {name!r} from tensorflow-datasets ({type(e).__name__}: {e}). "
            f"Without internet, put {name}.npz in a folder and pass data_dir= "
            "(--data-dir on the command line) or set KERAS_GANS_DATA."
        ) from e
    return x, y.astype("int64")
