"""Differentiable augmentation for data-efficient GAN training.

DiffAugment (Zhao, Liu, Lin, Zhu & Han 2020, "Differentiable Augmentation for
Data-Efficient GAN Training"; reference code mit-han-lab/data-efficient-gans,
``DiffAugment_pytorch.py``): the same random, differentiable transformations are
applied to real *and* generated images every time they go into the
discriminator, in the discriminator's and in the generator's update, so the
discriminator cannot memorise a small training set while the generator still
gets gradients through the transformation. Written with ``keras.ops`` only: the
gradient flows on TensorFlow, JAX and PyTorch, and every random draw comes from
the ``uniform`` function the caller passes (a GAN passes its own
``keras.random.SeedGenerator``-backed ``random_uniform``).

Images are channels-last ``(N, H, W, C)``. Operations, applied in policy order,
each with fresh parameters per sample:

- ``color``: brightness ``x + (u - 0.5)``, u ~ U[0, 1); saturation
  ``(x - m_c) · 2u + m_c`` around each pixel's mean over channels; contrast
  ``(x - m) · (u + 0.5) + m`` around each image's mean. On one-channel
  (grayscale) images the saturation step is the identity (a pixel's channel
  mean is the pixel itself).
- ``translation``: an integer shift of up to ``round(1/8 · side)`` pixels in
  each direction, drawn uniformly from ``[-s, s]`` per axis; pixels shifted in
  from outside are 0.
- ``cutout``: one square of side ``round(side / 2)`` set to 0, its centre drawn
  uniformly over the image (the square is clipped at the border), as in the
  reference code.
"""

from __future__ import annotations

from keras import ops

from keras_gans.errors import GANConfigError, did_you_mean

DEFAULT_POLICY = "color,translation,cutout"
TRANSLATION_RATIO = 0.125
CUTOUT_RATIO = 0.5

# Each policy name is a list of steps; each step draws its parameters and applies.
POLICIES = {
    "color": ("brightness", "saturation", "contrast"),
    "translation": ("translation",),
    "cutout": ("cutout",),
}


def parse_policy(policy) -> str:
    """Normalise a policy (``"color,translation"`` or a list of names) to the
    comma-separated string that configs store; unknown names are an error."""
    if isinstance(policy, DiffAugment):
        return policy.policy
    if isinstance(policy, (list, tuple)):
        names = [str(p).strip() for p in policy]
    elif isinstance(policy, str):
        names = [p.strip() for p in policy.split(",")]
    else:
        raise GANConfigError(
            f"augment= takes a DiffAugment policy string such as {DEFAULT_POLICY!r} "
            f"(names from {sorted(POLICIES)}, comma-separated) or None; got {policy!r}."
        )
    names = [n for n in names if n]
    if not names:
        raise GANConfigError(
            f"The DiffAugment policy is empty; use e.g. {DEFAULT_POLICY!r}, or "
            "augment=None for no augmentation."
        )
    for name in names:
        if name not in POLICIES:
            raise GANConfigError(
                f"Unknown DiffAugment policy {name!r}; known: {sorted(POLICIES)} "
                f"(e.g. augment={DEFAULT_POLICY!r})." + did_you_mean(name, POLICIES)
            )
    return ",".join(names)


def _shift(size, ratio):
    return int(size * ratio + 0.5)


def _cutout_size(size):
    return int(size * CUTOUT_RATIO + 0.5)


class DiffAugment:
    """A DiffAugment policy: ``DiffAugment("color,translation,cutout")``.

    ``aug(x, uniform)`` draws fresh parameters with ``uniform(shape)`` (values
    in [0, 1)) and transforms the batch ``x``; ``sample(x, uniform)`` and
    ``apply(x, params)`` do the two halves separately (a gradient penalty uses
    them to keep the transformation fixed inside its inner gradient).
    """

    def __init__(self, policy=DEFAULT_POLICY):
        self.policy = parse_policy(policy)
        self.steps = [s for name in self.policy.split(",") for s in POLICIES[name]]

    def __repr__(self):
        return f"DiffAugment({self.policy!r})"

    def __call__(self, x, uniform):
        return self.apply(x, self.sample(x, uniform))

    def check_images(self, shape, owner="The model"):
        """Raise ``GANConfigError`` unless ``shape`` (one sample) is an image."""
        shape = tuple(shape)
        if len(shape) != 3:
            raise GANConfigError(
                f"{owner} was given augment={self.policy!r}, but its discriminator "
                f"sees samples of shape {shape}, not images (H, W, C): DiffAugment "
                "transforms images only. Drop augment= for vector data."
            )

    # ------------------------------------------------------------ parameters
    def sample(self, x, uniform):
        """One set of parameters for the batch ``x``: a list of (step, params)."""
        n = ops.shape(x)[0]
        height, width = x.shape[1], x.shape[2]
        drawn = []
        for step in self.steps:
            if step in ("brightness", "saturation", "contrast"):
                drawn.append((step, uniform((n, 1, 1, 1))))
            elif step == "translation":
                u = uniform((n, 2))
                sh, sw = _shift(height, TRANSLATION_RATIO), _shift(width, TRANSLATION_RATIO)
                drawn.append((step, (_int_in(u[:, 0], -sh, sh), _int_in(u[:, 1], -sw, sw))))
            else:  # cutout: the centre, as in the reference code
                u = uniform((n, 2))
                ch, cw = _cutout_size(height), _cutout_size(width)
                hi_h, hi_w = height + (1 - ch % 2) - 1, width + (1 - cw % 2) - 1
                drawn.append((step, (_int_in(u[:, 0], 0, hi_h), _int_in(u[:, 1], 0, hi_w))))
        return drawn

    # ------------------------------------------------------------ transformations
    def apply(self, x, params):
        for step, p in params:
            x = STEPS[step](x, p)
        return x


def _int_in(u, lo, hi):
    """Integers uniform in [lo, hi] from u ~ U[0, 1)."""
    k = ops.floor(ops.cast(u, "float32") * (hi - lo + 1))
    return ops.cast(ops.clip(k, 0, hi - lo), "int32") + lo


def brightness(x, u):
    return x + ops.cast(u, x.dtype) - ops.cast(0.5, x.dtype)


def saturation(x, u):
    mean = ops.mean(x, axis=-1, keepdims=True)
    return (x - mean) * (ops.cast(u, x.dtype) * 2) + mean


def contrast(x, u):
    mean = ops.mean(x, axis=(1, 2, 3), keepdims=True)
    return (x - mean) * (ops.cast(u, x.dtype) + ops.cast(0.5, x.dtype)) + mean


def _shift_matrices(shift, size, dtype):
    """(N, size, size) one-hot matrices M with M[n, i, j] = [j == i + shift[n]]:
    ``M @ v`` reads v shifted by ``shift`` with zeros from outside."""
    i = ops.arange(size, dtype="int32")[None, :, None]
    j = ops.arange(size, dtype="int32")[None, None, :]
    return ops.cast(ops.equal(j, i + ops.reshape(shift, (-1, 1, 1))), dtype)


def translation(x, shifts):
    """out[n, i, j] = x[n, i + dy[n], j + dx[n]] (0 outside): integer shifts
    as products with one-hot matrices, exact and differentiable on every
    backend (no gather, whose gradient some backends lack in float16)."""
    dy, dx = shifts
    rows = _shift_matrices(dy, x.shape[1], x.dtype)
    cols = _shift_matrices(dx, x.shape[2], x.dtype)
    x = ops.einsum("nij,njwc->niwc", rows, x)
    return ops.einsum("nwk,nhkc->nhwc", cols, x)


def cutout_mask(centres, height, width, dtype="float32"):
    """(N, H, W, 1) mask: 0 inside each sample's square, 1 elsewhere."""
    cy, cx = centres
    ch, cw = _cutout_size(height), _cutout_size(width)
    top = ops.reshape(cy - ch // 2, (-1, 1, 1))
    left = ops.reshape(cx - cw // 2, (-1, 1, 1))
    rows = ops.arange(height, dtype="int32")[None, :, None]
    cols = ops.arange(width, dtype="int32")[None, None, :]
    inside = ops.logical_and(
        ops.logical_and(rows >= top, rows < top + ch),
        ops.logical_and(cols >= left, cols < left + cw),
    )
    return ops.cast(ops.logical_not(inside), dtype)[..., None]


def cutout(x, centres):
    return x * cutout_mask(centres, x.shape[1], x.shape[2], x.dtype)


STEPS = {
    "brightness": brightness,
    "saturation": saturation,
    "contrast": contrast,
    "translation": translation,
    "cutout": cutout,
}
