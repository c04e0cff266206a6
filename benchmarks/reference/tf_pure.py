"""The tutorial DCGAN step in pure TensorFlow: tf.Variable, tf.nn ops, one tf.function.

``jit_compile=False`` is a TensorFlow graph (what Keras' ``jit_compile="auto"``
gives on a CPU), ``jit_compile=True`` the same graph compiled by XLA.
"""

from __future__ import annotations

import tensorflow as tf

from benchmarks.reference import tutorial as T


class _Adam:
    def __init__(self, params):
        self.params = params
        self.m = [tf.Variable(tf.zeros_like(p)) for p in params]
        self.v = [tf.Variable(tf.zeros_like(p)) for p in params]
        self.t = tf.Variable(0.0)

    def apply(self, grads):
        t = self.t.assign_add(1.0)
        lr = T.LEARNING_RATE * tf.sqrt(1.0 - T.BETA_2**t) / (1.0 - T.BETA_1**t)
        for p, g, m, v in zip(self.params, grads, self.m, self.v):
            m.assign(T.BETA_1 * m + (1.0 - T.BETA_1) * g)
            v.assign(T.BETA_2 * v + (1.0 - T.BETA_2) * tf.square(g))
            p.assign_sub(lr * m / (tf.sqrt(v) + T.ADAM_EPSILON))


class _BatchNorm:
    def __init__(self, n, axes):
        self.axes = axes
        self.gamma = tf.Variable(tf.ones([n]))
        self.beta = tf.Variable(tf.zeros([n]))
        self.mean = tf.Variable(tf.zeros([n]), trainable=False)
        self.var = tf.Variable(tf.ones([n]), trainable=False)

    def __call__(self, x):  # training mode: batch statistics, moving averages updated
        mean, var = tf.nn.moments(x, self.axes)
        self.mean.assign(T.BN_MOMENTUM * self.mean + (1 - T.BN_MOMENTUM) * mean)
        self.var.assign(T.BN_MOMENTUM * self.var + (1 - T.BN_MOMENTUM) * var)
        return tf.nn.batch_normalization(x, mean, var, self.beta, self.gamma, T.BN_EPSILON)


def _glorot(rng, shape, fan_in, fan_out):
    limit = (6.0 / (fan_in + fan_out)) ** 0.5
    return tf.Variable(rng.uniform(shape, -limit, limit))


class Step:
    def __init__(self, batch_size, seed=0, jit_compile=False):
        self.batch_size = batch_size
        self.rng = tf.random.Generator.from_seed(seed)
        r = self.rng
        # Generator; transposed-convolution kernels are (h, w, out, in).
        self.g_dense = _glorot(r, [T.LATENT_DIM, 7 * 7 * 256], T.LATENT_DIM, 7 * 7 * 256)
        self.g_bn0 = _BatchNorm(7 * 7 * 256, [0])
        self.g_ct1 = _glorot(r, [5, 5, 128, 256], 25 * 256, 25 * 128)
        self.g_bn1 = _BatchNorm(128, [0, 1, 2])
        self.g_ct2 = _glorot(r, [5, 5, 64, 128], 25 * 128, 25 * 64)
        self.g_bn2 = _BatchNorm(64, [0, 1, 2])
        self.g_ct3 = _glorot(r, [5, 5, 1, 64], 25 * 64, 25)
        self.g_params = [self.g_dense, self.g_bn0.gamma, self.g_bn0.beta, self.g_ct1,
                         self.g_bn1.gamma, self.g_bn1.beta, self.g_ct2, self.g_bn2.gamma,
                         self.g_bn2.beta, self.g_ct3]
        # Discriminator.
        self.d_c1 = _glorot(r, [5, 5, 1, 64], 25, 25 * 64)
        self.d_b1 = tf.Variable(tf.zeros([64]))
        self.d_c2 = _glorot(r, [5, 5, 64, 128], 25 * 64, 25 * 128)
        self.d_b2 = tf.Variable(tf.zeros([128]))
        self.d_w = _glorot(r, [7 * 7 * 128, 1], 7 * 7 * 128, 1)
        self.d_b = tf.Variable(tf.zeros([1]))
        self.d_params = [self.d_c1, self.d_b1, self.d_c2, self.d_b2, self.d_w, self.d_b]
        self.g_opt = _Adam(self.g_params)
        self.d_opt = _Adam(self.d_params)
        self._step = tf.function(self._train_step, jit_compile=jit_compile)

    def generator(self, z):
        n = tf.shape(z)[0]
        x = tf.nn.leaky_relu(self.g_bn0(z @ self.g_dense), T.LRELU_SLOPE)
        x = tf.reshape(x, [n, 7, 7, 256])
        x = tf.nn.conv2d_transpose(x, self.g_ct1, [n, 7, 7, 128], 1, "SAME")
        x = tf.nn.leaky_relu(self.g_bn1(x), T.LRELU_SLOPE)
        x = tf.nn.conv2d_transpose(x, self.g_ct2, [n, 14, 14, 64], 2, "SAME")
        x = tf.nn.leaky_relu(self.g_bn2(x), T.LRELU_SLOPE)
        x = tf.nn.conv2d_transpose(x, self.g_ct3, [n, 28, 28, 1], 2, "SAME")
        return tf.tanh(x)

    def _dropout(self, x):
        keep = tf.cast(self.rng.uniform(tf.shape(x)) >= T.DROPOUT, x.dtype)
        return x * keep / (1.0 - T.DROPOUT)

    def discriminator(self, x):
        x = tf.nn.conv2d(x, self.d_c1, 2, "SAME") + self.d_b1
        x = self._dropout(tf.nn.leaky_relu(x, T.LRELU_SLOPE))
        x = tf.nn.conv2d(x, self.d_c2, 2, "SAME") + self.d_b2
        x = self._dropout(tf.nn.leaky_relu(x, T.LRELU_SLOPE))
        x = tf.reshape(x, [tf.shape(x)[0], 7 * 7 * 128])
        return x @ self.d_w + self.d_b

    def _train_step(self, real):
        n = tf.shape(real)[0]
        with tf.GradientTape() as tape:
            fake = tf.stop_gradient(self.generator(self.rng.normal([n, T.LATENT_DIM])))
            real_out = self.discriminator(real)
            fake_out = self.discriminator(fake)
            d_loss = tf.reduce_mean(tf.nn.softplus(-real_out)) + tf.reduce_mean(
                tf.nn.softplus(fake_out))
        self.d_opt.apply(tape.gradient(d_loss, self.d_params))
        with tf.GradientTape() as tape:
            fake_out = self.discriminator(self.generator(self.rng.normal([n, T.LATENT_DIM])))
            g_loss = tf.reduce_mean(tf.nn.softplus(-fake_out))
        self.g_opt.apply(tape.gradient(g_loss, self.g_params))
        return d_loss, g_loss

    def __call__(self, x):
        d_loss, _ = self._step(tf.constant(x))
        return float(d_loss.numpy())
