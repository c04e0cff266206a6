"""The tutorial DCGAN the way Keras users write it today (TensorFlow backend).

A ``keras.Model`` subclass whose ``train_step`` takes two ``tf.GradientTape``s,
one per player, as in keras.io's "DCGAN to generate face images" example, with
the tutorial's networks and optimizers, trained with ``fit`` and Keras' default
``jit_compile="auto"`` (a ``tf.function`` graph; no XLA on a CPU).
"""

from __future__ import annotations

import keras
import tensorflow as tf

from benchmarks.reference import tutorial as T


class KerasUserGAN(keras.Model):
    def __init__(self, generator, discriminator, seed=0):
        super().__init__()
        self.generator = generator
        self.discriminator = discriminator
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.d_loss_tracker = keras.metrics.Mean(name="d_loss")
        self.g_loss_tracker = keras.metrics.Mean(name="g_loss")

    def compile(self, d_optimizer, g_optimizer, **kwargs):
        super().compile(**kwargs)
        self.d_optimizer = d_optimizer
        self.g_optimizer = g_optimizer
        self.bce = keras.losses.BinaryCrossentropy(from_logits=True)

    @property
    def metrics(self):
        return [self.d_loss_tracker, self.g_loss_tracker]

    def train_step(self, real):
        n = tf.shape(real)[0]
        z = keras.random.normal((n, T.LATENT_DIM), seed=self.seed_generator)
        with tf.GradientTape() as tape:
            fake = self.generator(z, training=True)
            real_out = self.discriminator(real, training=True)
            fake_out = self.discriminator(fake, training=True)
            d_loss = self.bce(tf.ones_like(real_out), real_out) + self.bce(
                tf.zeros_like(fake_out), fake_out)
        grads = tape.gradient(d_loss, self.discriminator.trainable_weights)
        self.d_optimizer.apply_gradients(zip(grads, self.discriminator.trainable_weights))

        z = keras.random.normal((n, T.LATENT_DIM), seed=self.seed_generator)
        with tf.GradientTape() as tape:
            fake_out = self.discriminator(self.generator(z, training=True), training=True)
            g_loss = self.bce(tf.ones_like(fake_out), fake_out)
        grads = tape.gradient(g_loss, self.generator.trainable_weights)
        self.g_optimizer.apply_gradients(zip(grads, self.generator.trainable_weights))

        self.d_loss_tracker.update_state(d_loss)
        self.g_loss_tracker.update_state(g_loss)
        return {"d_loss": self.d_loss_tracker.result(), "g_loss": self.g_loss_tracker.result()}


def build(seed=0):
    generator, discriminator = T.keras_networks(seed)
    model = KerasUserGAN(generator, discriminator, seed=seed)
    model.compile(
        d_optimizer=keras.optimizers.Adam(T.LEARNING_RATE, beta_1=T.BETA_1),
        g_optimizer=keras.optimizers.Adam(T.LEARNING_RATE, beta_1=T.BETA_1),
    )
    return model
