"""Sample grids as PNG files, with no imaging dependency (zlib + struct)."""

from __future__ import annotations

import os
import struct
import tempfile
import zlib

import numpy as np


def to_uint8(images):
    """[-1, 1] floats -> uint8 0..255."""
    x = (np.clip(np.asarray(images, dtype="float32"), -1.0, 1.0) + 1.0) * 127.5
    return np.round(x).astype("uint8")


def grid(images, cols=None, pad=1):
    """(N, H, W, C) images in [-1, 1] -> one (rows*H, cols*W, C) uint8 mosaic."""
    x = to_uint8(images)
    if x.ndim == 3:
        x = x[..., None]
    n, h, w, c = x.shape
    cols = cols or int(np.ceil(np.sqrt(n)))
    rows = int(np.ceil(n / cols))
    out = np.zeros((rows * (h + pad) + pad, cols * (w + pad) + pad, c), dtype="uint8")
    for i in range(n):
        r, k = divmod(i, cols)
        out[pad + r * (h + pad): pad + r * (h + pad) + h, pad + k * (w + pad): pad + k * (w + pad) + w] = x[i]
    return out


def encode_png(image):
    """uint8 (H, W), (H, W, 1) or (H, W, 3) -> PNG bytes."""
    image = np.asarray(image, dtype="uint8")
    if image.ndim == 3 and image.shape[-1] == 1:
        image = image[..., 0]
    if image.ndim == 2:
        color_type, channels = 0, 1
    elif image.ndim == 3 and image.shape[-1] == 3:
        color_type, channels = 2, 3
    else:
        raise ValueError(f"PNG needs (H, W), (H, W, 1) or (H, W, 3) uint8; got {image.shape}.")
    h, w = image.shape[:2]
    raw = b"".join(b"\x00" + image[r].tobytes() for r in range(h))

    def chunk(tag, data):
        return struct.pack(">I", len(data)) + tag + data + struct.pack(
            ">I", zlib.crc32(tag + data) & 0xFFFFFFFF
        )

    header = struct.pack(">IIBBBBB", w, h, 8, color_type, 0, 0, 0)
    del channels
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(
        b"IDAT", zlib.compress(raw, 9)
    ) + chunk(b"IEND", b"")


def atomic_write(path, data: bytes):
    """Write to a temporary file in the same folder, then rename over ``path``:
    a reader never sees a half-written file."""
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def save_grid(images, path, cols=None):
    """Write images in [-1, 1] as one PNG mosaic; 2-D points become a scatter plot."""
    images = np.asarray(images)
    if images.ndim == 2 and images.shape[1] == 2:
        mosaic = scatter(images)
    else:
        mosaic = grid(images, cols)
    atomic_write(path, encode_png(mosaic))
    return path


def scatter(points, size=256, extent=None):
    """2-D points -> a grayscale PNG-ready scatter image (white dots on black)."""
    pts = np.asarray(points, dtype="float32")
    extent = extent or float(np.max(np.abs(pts))) * 1.1 + 1e-6
    img = np.zeros((size, size), dtype="uint8")
    ij = np.clip(((pts / extent + 1.0) / 2.0 * (size - 1)).round().astype(int), 0, size - 1)
    img[size - 1 - ij[:, 1], ij[:, 0]] = 255
    return img


def show_grid(images, cols=None):
    """Display a sample grid in a notebook (IPython), else return the mosaic."""
    mosaic = grid(images, cols)
    try:
        from IPython.display import Image, display

        display(Image(data=encode_png(mosaic)))
    except ImportError:
        pass
    return mosaic
