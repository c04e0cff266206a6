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


def _lzw(indices, min_code_size=8):
    """GIF's variable-width LZW of a flat sequence of palette indices."""
    clear, end = 1 << min_code_size, (1 << min_code_size) + 1
    table = {bytes([i]): i for i in range(clear)}
    next_code, width = end + 1, min_code_size + 1
    bits, nbits, out = 0, 0, bytearray()

    def emit(code):
        nonlocal bits, nbits
        bits |= code << nbits
        nbits += width
        while nbits >= 8:
            out.append(bits & 0xFF)
            bits >>= 8
            nbits -= 8

    emit(clear)
    prefix = b""
    for value in indices.tobytes():
        candidate = prefix + bytes([value])
        if candidate in table:
            prefix = candidate
            continue
        emit(table[prefix])
        if next_code < 4096:
            table[candidate] = next_code
            next_code += 1
            if next_code > (1 << width) and width < 12:
                width += 1
        else:  # table full: start over
            emit(clear)
            table = {bytes([i]): i for i in range(clear)}
            next_code, width = end + 1, min_code_size + 1
        prefix = bytes([value])
    if prefix:
        emit(table[prefix])
    emit(end)
    if nbits:
        out.append(bits & 0xFF)
    return bytes(out)


def encode_gif(frames, duration_ms=120, loop=True):
    """uint8 frames (T, H, W) or (T, H, W, 1|3) -> an animated GIF's bytes.

    Grayscale uses a 256-level gray palette (exact); colour is quantised to a
    fixed 3-3-2 bit RGB palette (GIF holds 256 colours per frame).
    """
    frames = np.asarray(frames, dtype="uint8")
    if frames.ndim == 4 and frames.shape[-1] == 1:
        frames = frames[..., 0]
    if frames.ndim == 3:
        palette = np.repeat(np.arange(256, dtype="uint8")[:, None], 3, axis=1)
        indexed = frames
    elif frames.ndim == 4 and frames.shape[-1] == 3:
        r, g, b = (frames[..., i].astype("uint16") for i in range(3))
        indexed = ((r >> 5) << 5 | (g >> 5) << 2 | (b >> 6)).astype("uint8")
        i = np.arange(256)
        palette = np.stack([(i >> 5) * 255 // 7, ((i >> 2) & 7) * 255 // 7,
                            (i & 3) * 255 // 3], axis=1).astype("uint8")
    else:
        raise ValueError(f"GIF frames must be (T, H, W[, 1|3]) uint8; got {frames.shape}.")
    t, h, w = indexed.shape[:3]
    out = bytearray(b"GIF89a" + struct.pack("<HHBBB", w, h, 0xF7, 0, 0) + palette.tobytes())
    if loop:
        out += b"\x21\xff\x0bNETSCAPE2.0\x03\x01\x00\x00\x00"
    delay = max(1, int(round(duration_ms / 10)))
    for k in range(t):
        out += b"\x21\xf9\x04\x00" + struct.pack("<H", delay) + b"\x00\x00"
        out += b"\x2c" + struct.pack("<HHHHB", 0, 0, w, h, 0)
        data = _lzw(indexed[k].reshape(-1))
        out += b"\x08"
        for s in range(0, len(data), 255):
            block = data[s:s + 255]
            out += bytes([len(block)]) + block
        out += b"\x00"
    out += b"\x3b"
    return bytes(out)


def save_gif(images, path, duration_ms=120):
    """Frames in [-1, 1] (T, H, W, C) -> an animated GIF file, written atomically."""
    atomic_write(path, encode_gif(to_uint8(images), duration_ms))
    return path
