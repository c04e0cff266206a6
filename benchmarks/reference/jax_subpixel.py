"""The tutorial DCGAN step in pure JAX, transposed convolutions as sub-pixel convolutions.

``jax_pure`` with one change: each ``lax.conv_transpose(x, k, (s, s), "SAME")``
of the generator is computed as one stride-1 ``lax.conv_general_dilated`` with
``s * s * out`` filters (one group per output phase), followed by
depth-to-space. Same parameters (``jax_pure.init``), same function of them
(outputs equal to float32 rounding); XLA's CPU transposed convolution and its
gradients are what this avoids. Everything else (BatchNorm, discriminator,
losses, Adam, one donated ``jax.jit`` step) is ``jax_pure``'s.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from benchmarks.reference import jax_pure as P

init = P.init


def _phases(k, s):
    """One dim of ``lax.conv_transpose(..., "SAME")`` (kernel not flipped):
    output ``o = i * s - t + pad`` gets input ``i`` times tap ``t``. Phase
    ``p = o % s`` at ``o = q * s + p`` reads input ``q + d_p + m`` with tap
    ``r_p + m * s``. Returns the tap table ``taps[j, p]`` over one window common
    to all phases (``k``: a zero tap), the input's (left, right) padding."""
    pad = k - 1 if s > k - 1 else -(-(k + s - 2) // 2)  # lax's "SAME" left padding
    r = [(pad - p) % s for p in range(s)]
    d = [(p + r[p] - pad) // s for p in range(s)]
    n_taps = -(-k // s)
    length = n_taps + max(d) - min(d)
    taps = np.full((length, s), k)
    for p in range(s):
        for m in range(n_taps):
            if r[p] + m * s < k:
                taps[d[p] - min(d) + m, p] = r[p] + m * s
    left = -min(d)
    return taps, (left, length - 1 - left)  # n outputs per phase, n * s in all


def conv_transpose_same(x, k, s):
    """``lax.conv_transpose(x, k, (s, s), "SAME", dimension_numbers=NHWC, HWIO, NHWC)``."""
    n, h, w, _ = x.shape
    kh, kw, c_in, c_out = k.shape
    taps_h, pad_h = _phases(kh, s)
    taps_w, pad_w = _phases(kw, s)
    kk = jnp.pad(k, ((0, 1), (0, 1), (0, 0), (0, 0)))  # the zero tap
    kk = kk[taps_h.reshape(-1)][:, taps_w.reshape(-1)]  # (lh * s, lw * s, in, out)
    lh, lw = taps_h.shape[0], taps_w.shape[0]
    kk = kk.reshape(lh, s, lw, s, c_in, c_out).transpose(0, 2, 4, 1, 3, 5)
    kk = kk.reshape(lh, lw, c_in, s * s * c_out)
    y = jax.lax.conv_general_dilated(x, kk, (1, 1), (pad_h, pad_w), dimension_numbers=P._DN)
    y = y.reshape(n, h, w, s, s, c_out).transpose(0, 1, 3, 2, 4, 5)  # depth-to-space
    return y.reshape(n, h * s, w * s, c_out)


def generator(g, stats, z):
    new = {}
    x, new["bn0"] = P._bn(z @ g["dense"], g["bn0"], stats["bn0"], (0,))
    x = P._lrelu(x).reshape(-1, 7, 7, 256)
    x = conv_transpose_same(x, g["ct1"], 1)
    x, new["bn1"] = P._bn(x, g["bn1"], stats["bn1"], (0, 1, 2))
    x = conv_transpose_same(P._lrelu(x), g["ct2"], 2)
    x, new["bn2"] = P._bn(x, g["bn2"], stats["bn2"], (0, 1, 2))
    x = conv_transpose_same(P._lrelu(x), g["ct3"], 2)
    return jnp.tanh(x), new


train_step = P.make_train_step(generator)


def Step(batch_size, seed=0):
    return P.Step(batch_size, seed, step=train_step)
