"""The tutorial DCGAN step in pure JAX: jax.lax ops, a hand-written Adam, one jax.jit.

The whole state (parameters, BatchNorm statistics, Adam moments, the PRNG key)
goes in and comes out of one jit-compiled function that donates its input
buffers, as Keras' JAX trainer does.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from benchmarks.reference import tutorial as T

_DN = ("NHWC", "HWIO", "NHWC")


def _glorot(rng, shape, fan_in, fan_out):
    limit = (6.0 / (fan_in + fan_out)) ** 0.5
    return jnp.asarray(rng.uniform(-limit, limit, shape).astype("float32"))


def init(seed=0):
    rng = np.random.default_rng(seed)
    g = {
        "dense": _glorot(rng, (T.LATENT_DIM, 7 * 7 * 256), T.LATENT_DIM, 7 * 7 * 256),
        "bn0": (jnp.ones(12544), jnp.zeros(12544)),
        "ct1": _glorot(rng, (5, 5, 256, 128), 25 * 256, 25 * 128),  # (h, w, in, out)
        "bn1": (jnp.ones(128), jnp.zeros(128)),
        "ct2": _glorot(rng, (5, 5, 128, 64), 25 * 128, 25 * 64),
        "bn2": (jnp.ones(64), jnp.zeros(64)),
        "ct3": _glorot(rng, (5, 5, 64, 1), 25 * 64, 25),
    }
    d = {
        "c1": _glorot(rng, (5, 5, 1, 64), 25, 25 * 64), "b1": jnp.zeros(64),
        "c2": _glorot(rng, (5, 5, 64, 128), 25 * 64, 25 * 128), "b2": jnp.zeros(128),
        "w": _glorot(rng, (7 * 7 * 128, 1), 7 * 7 * 128, 1), "b": jnp.zeros(1),
    }
    stats = {k: (jnp.zeros(n), jnp.ones(n)) for k, n in (("bn0", 12544), ("bn1", 128), ("bn2", 64))}
    zeros = lambda tree: jax.tree.map(jnp.zeros_like, tree)
    return {
        "g": g, "d": d, "stats": stats,
        "g_opt": (zeros(g), zeros(g)), "d_opt": (zeros(d), zeros(d)),
        "t": jnp.zeros((), jnp.float32), "key": jax.random.key(seed),
    }


def _bn(x, params, stats, axes):
    gamma, beta = params
    mean = jnp.mean(x, axes)
    var = jnp.var(x, axes)
    y = (x - mean) * jax.lax.rsqrt(var + T.BN_EPSILON) * gamma + beta
    m, v = stats
    new = (T.BN_MOMENTUM * m + (1 - T.BN_MOMENTUM) * mean,
           T.BN_MOMENTUM * v + (1 - T.BN_MOMENTUM) * var)
    return y, new


def _lrelu(x):
    return jax.nn.leaky_relu(x, T.LRELU_SLOPE)


def generator(g, stats, z):
    new = {}
    x, new["bn0"] = _bn(z @ g["dense"], g["bn0"], stats["bn0"], (0,))
    x = _lrelu(x).reshape(-1, 7, 7, 256)
    x = jax.lax.conv_transpose(x, g["ct1"], (1, 1), "SAME", dimension_numbers=_DN)
    x, new["bn1"] = _bn(x, g["bn1"], stats["bn1"], (0, 1, 2))
    x = jax.lax.conv_transpose(_lrelu(x), g["ct2"], (2, 2), "SAME", dimension_numbers=_DN)
    x, new["bn2"] = _bn(x, g["bn2"], stats["bn2"], (0, 1, 2))
    x = jax.lax.conv_transpose(_lrelu(x), g["ct3"], (2, 2), "SAME", dimension_numbers=_DN)
    return jnp.tanh(x), new


def _dropout(key, x):
    keep = jax.random.bernoulli(key, 1.0 - T.DROPOUT, x.shape)
    return jnp.where(keep, x / (1.0 - T.DROPOUT), 0.0)


def discriminator(d, x, key):
    k1, k2 = jax.random.split(key)
    x = jax.lax.conv_general_dilated(x, d["c1"], (2, 2), "SAME", dimension_numbers=_DN)
    x = _dropout(k1, _lrelu(x + d["b1"]))
    x = jax.lax.conv_general_dilated(x, d["c2"], (2, 2), "SAME", dimension_numbers=_DN)
    x = _dropout(k2, _lrelu(x + d["b2"]))
    return x.reshape(x.shape[0], -1) @ d["w"] + d["b"]


def _adam(params, grads, opt, t):
    m, v = opt
    m = jax.tree.map(lambda m, g: T.BETA_1 * m + (1 - T.BETA_1) * g, m, grads)
    v = jax.tree.map(lambda v, g: T.BETA_2 * v + (1 - T.BETA_2) * g * g, v, grads)
    lr = T.LEARNING_RATE * jnp.sqrt(1 - T.BETA_2**t) / (1 - T.BETA_1**t)
    params = jax.tree.map(lambda p, m, v: p - lr * m / (jnp.sqrt(v) + T.ADAM_EPSILON),
                          params, m, v)
    return params, (m, v)


def make_train_step(generator_fn):
    """The jit-compiled DCGAN step (D then G, Adam each) around ``generator_fn``
    (``generator`` here; the sub-pixel reference passes its own)."""

    def d_loss(d, g, stats, real, key):
        kz, kr, kf = jax.random.split(key, 3)
        z = jax.random.normal(kz, (real.shape[0], T.LATENT_DIM))
        fake, stats = generator_fn(g, stats, z)
        fake = jax.lax.stop_gradient(fake)
        real_out = discriminator(d, real, kr)
        fake_out = discriminator(d, fake, kf)
        loss = jnp.mean(jax.nn.softplus(-real_out)) + jnp.mean(jax.nn.softplus(fake_out))
        return loss, stats

    def g_loss(g, d, stats, n, key):
        kz, kd = jax.random.split(key)
        fake, stats = generator_fn(g, stats, jax.random.normal(kz, (n, T.LATENT_DIM)))
        return jnp.mean(jax.nn.softplus(-discriminator(d, fake, kd))), stats

    def step(state, real):
        key, k_d, k_g = jax.random.split(state["key"], 3)
        t = state["t"] + 1
        (d_value, stats), d_grads = jax.value_and_grad(d_loss, has_aux=True)(
            state["d"], state["g"], state["stats"], real, k_d)
        d, d_opt = _adam(state["d"], d_grads, state["d_opt"], t)
        (g_value, stats), g_grads = jax.value_and_grad(g_loss, has_aux=True)(
            state["g"], d, stats, real.shape[0], k_g)
        g, g_opt = _adam(state["g"], g_grads, state["g_opt"], t)
        new = {"g": g, "d": d, "stats": stats, "g_opt": g_opt, "d_opt": d_opt, "t": t,
               "key": key}
        return new, d_value, g_value

    return jax.jit(step, donate_argnums=0)


train_step = make_train_step(generator)


class Step:
    def __init__(self, batch_size, seed=0, step=None):
        self.batch_size = batch_size
        self.state = init(seed)
        self.step = step or train_step

    def __call__(self, x):
        self.state, d_loss, _ = self.step(self.state, jnp.asarray(x))
        return float(d_loss.block_until_ready())
