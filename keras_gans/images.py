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


def mosaic(images, cols=None):
    """What ``save_grid`` writes, as a uint8 array: a grid of images in
    [-1, 1], or a scatter plot of 2-D points (N, 2)."""
    images = np.asarray(images)
    if images.ndim == 2 and images.shape[1] == 2:
        return scatter(images)
    return grid(images, cols)


def save_grid(images, path, cols=None):
    """Write images in [-1, 1] as one PNG mosaic; 2-D points become a scatter plot."""
    atomic_write(path, encode_png(mosaic(images, cols)))
    return path


def scatter(points, size=256, extent=None):
    """2-D points -> a grayscale PNG-ready scatter image (white dots on black)."""
    pts = np.asarray(points, dtype="float32")
    pts = pts[np.isfinite(pts).all(axis=1)]  # a diverged model's NaNs: not drawn
    img = np.zeros((size, size), dtype="uint8")
    if not len(pts):
        return img
    extent = extent or float(np.max(np.abs(pts))) * 1.1 + 1e-6
    ij = np.clip(((pts / extent + 1.0) / 2.0 * (size - 1)).round().astype(int), 0, size - 1)
    img[size - 1 - ij[:, 1], ij[:, 0]] = 255
    return img


def show_grid(images, cols=None, display=True):
    """A sample grid for notebooks: returns the uint8 mosaic (what ``save_grid``
    writes) and shows it when it can, with no hard dependency.

    Inside IPython/Jupyter the grid is displayed as a PNG; elsewhere, if
    matplotlib is installed, it is drawn on a new figure (``plt.show()`` shows
    it, as for any figure). Without either, or with ``display=False``, only the
    array is returned, e.g. for ``plt.imshow`` or ``encode_png``.

        images = model.generate(16, seed=0)
        keras_gans.images.show_grid(images)
    """
    picture = mosaic(images, cols)
    if not display:
        return picture
    if _in_ipython():
        from IPython.display import Image
        from IPython.display import display as ipython_display

        ipython_display(Image(data=encode_png(picture)))
        return picture
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        return picture
    h, w = picture.shape[:2]
    fig = plt.figure(figsize=(max(2.0, w / 50), max(2.0, h / 50)))
    ax = fig.add_axes([0, 0, 1, 1])
    ax.axis("off")
    gray = picture.ndim == 2 or picture.shape[-1] == 1
    ax.imshow(picture.squeeze(-1) if picture.ndim == 3 and gray else picture,
              cmap="gray" if gray else None, vmin=0, vmax=255, interpolation="nearest")
    return picture


def _in_ipython():
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    return get_ipython() is not None


# ------------------------------------------------------------------ reading
IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".gif")


def list_images(folder, recursive=False):
    """Sorted paths of the PNG/JPEG/BMP/GIF files in ``folder`` (and its
    subfolders with ``recursive=True``); hidden files are skipped."""
    found = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        found += [os.path.join(root, f) for f in files
                  if f.lower().endswith(IMAGE_EXTENSIONS) and not f.startswith(".")]
        if not recursive:
            break
    return sorted(found)


def _pil():
    try:
        from PIL import Image
    except ImportError:
        return None
    return Image


def image_info(path):
    """``(height, width, channels)`` of an image file (channels 1 for
    grayscale, 3 for colour; alpha is dropped when read)."""
    from keras_gans.errors import GANInputError

    Image = _pil()
    try:
        if Image is not None:
            with Image.open(path) as im:
                w, h = im.size
                return h, w, 1 if im.mode in _GRAY_MODES else 3
        x = _decode_tf(path, None)
        return x.shape[0], x.shape[1], x.shape[2]
    except GANInputError:
        raise
    except Exception as e:  # PIL.UnidentifiedImageError, OSError, TF errors
        raise GANInputError(f"Cannot read image {path}: {_first_line(e)}") from e


_GRAY_MODES = ("1", "L", "LA", "I", "I;16", "I;16B", "I;16L", "F")


def read_image(path, size=None, channels=None):
    """An image file as uint8 ``(H, W, C)``.

    Args:
        size: ``(height, width)`` to resize to (bilinear, antialiased when
            shrinking), or None to keep the file's size.
        channels: 1 (grayscale, ITU-R 601 luma) or 3 (RGB); None keeps the
            file's (grayscale files give 1, everything else 3).

    Reads with Pillow (what ``keras.utils.load_img`` uses), or with
    TensorFlow's decoders when Pillow is not installed.
    """
    from keras_gans.errors import GANInputError

    Image = _pil()
    try:
        if Image is None:
            return _decode_tf(path, channels, size)
        with Image.open(path) as im:
            if channels is None:
                channels = 1 if im.mode in _GRAY_MODES else 3
            if im.mode in ("I", "I;16", "I;16B", "I;16L", "F"):  # 16-bit / float grey
                arr = np.asarray(im, dtype="float32")
                top = 65535.0 if arr.max() > 255 else 255.0
                im = Image.fromarray(np.clip(arr / top * 255.0, 0, 255).astype("uint8"))
            im = im.convert("L" if channels == 1 else "RGB")
            if size is not None and im.size != (size[1], size[0]):
                im = im.resize((int(size[1]), int(size[0])), Image.BILINEAR)
            x = np.asarray(im, dtype="uint8")
    except GANInputError:
        raise
    except Exception as e:
        raise GANInputError(f"Cannot read image {path}: {_first_line(e)}") from e
    return x[..., None] if x.ndim == 2 else x


def _decode_tf(path, channels, size=None):
    from keras_gans.errors import GANInputError

    try:
        import tensorflow as tf
    except ImportError:
        raise GANInputError(
            f"Reading {path} needs Pillow (pip install pillow) or TensorFlow; "
            "neither is installed."
        ) from None
    x = tf.io.decode_image(tf.io.read_file(str(path)), channels=channels or 0,
                           expand_animations=False)
    if x.shape[-1] in (2, 4):  # drop alpha
        x = x[..., : x.shape[-1] - 1]
    if size is not None and tuple(x.shape[:2]) != tuple(size):
        x = tf.image.resize(x, size, method="bilinear", antialias=True)
        x = tf.cast(tf.clip_by_value(tf.round(x), 0, 255), tf.uint8)
    return x.numpy()


def _first_line(e):
    text = str(e).strip().splitlines()
    return text[0] if text else type(e).__name__


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
