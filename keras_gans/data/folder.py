"""Your own images: a folder of PNG/JPEG files, scaled to [-1, 1]."""

from __future__ import annotations

import os

import numpy as np

from keras_gans.data.datasets import scale_images
from keras_gans.errors import GANInputError


def load_folder(folder, image_size=None, channels=None):
    """Every PNG/JPEG/BMP/GIF image under ``folder`` (subfolders included) as
    ``(x, y)``: ``x`` float32 ``(N, H, W, C)`` in [-1, 1].

    Args:
        image_size: resize every image to ``image_size`` x ``image_size``
            (bilinear). Without it all images must have one size, and images of
            mixed sizes are an error that names two of them.
        channels: 1 or 3; default 1 when every image is grayscale, else 3
            (grayscale images are repeated to RGB).

    ``y`` holds class ids when every image sits in a subfolder and there are
    at least two subfolders (``folder/cats/*.png``, ``folder/dogs/*.png``:
    classes in sorted folder-name order, as ``keras.utils.image_dataset_from_directory``
    numbers them); else None.
    """
    from keras_gans.images import IMAGE_EXTENSIONS, image_info, list_images, read_image

    if not os.path.isdir(folder):
        raise GANInputError(f"No image folder at {folder}.")
    files = list_images(folder, recursive=True)
    if not files:
        raise GANInputError(
            f"No images in {folder} (looked for {', '.join(IMAGE_EXTENSIONS)} files, "
            "subfolders included)."
        )
    infos = [image_info(p) for p in files]
    if image_size is None:
        first = {}
        for path, (h, w, _) in zip(files, infos):
            first.setdefault((h, w), path)
        if len(first) > 1:
            (s1, p1), (s2, p2) = list(first.items())[:2]
            side = max(max(s) for s in first)
            raise GANInputError(
                f"The images in {folder} have {len(first)} different sizes: "
                f"{os.path.relpath(p1, folder)} is {s1[1]}x{s1[0]} and "
                f"{os.path.relpath(p2, folder)} is {s2[1]}x{s2[0]} (width x height). "
                f"Pass --image-size N (image_size=N in Python) to resize every image to "
                f"N x N, e.g. --image-size {_nice_side(side)}, or resize the files to one "
                "size first."
            )
        size = None
    else:
        if int(image_size) < 1:
            raise GANInputError(f"image_size must be a positive number of pixels; got {image_size}.")
        size = (int(image_size), int(image_size))
    if channels is None:
        channels = 3 if any(c == 3 for _, _, c in infos) else 1
    x = np.stack([read_image(p, size=size, channels=channels) for p in files])
    x = scale_images(x)
    rel = [os.path.relpath(p, folder) for p in files]
    classes = sorted({r.split(os.sep)[0] for r in rel if os.sep in r})
    y = None
    if len(classes) >= 2 and all(os.sep in r for r in rel):
        index = {c: i for i, c in enumerate(classes)}
        y = np.array([index[r.split(os.sep)[0]] for r in rel], dtype="int64")
    return x, y


def folder_classes(folder):
    """The class names ``load_folder`` numbers 0, 1, ... (sorted subfolder
    names), or [] when the folder's images carry no classes."""
    from keras_gans.images import list_images

    rel = [os.path.relpath(p, folder) for p in list_images(folder, recursive=True)]
    classes = sorted({r.split(os.sep)[0] for r in rel if os.sep in r})
    return classes if len(classes) >= 2 and all(os.sep in r for r in rel) else []


def _nice_side(side):
    """A side the DCGAN-style networks build (28, 32 or 64) near ``side``."""
    return 28 if side <= 28 else 32 if side <= 48 else 64
