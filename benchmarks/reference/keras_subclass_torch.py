"""The tutorial DCGAN as a Keras-on-PyTorch user writes it (torch backend).

keras.io's "Customizing what happens in fit() with PyTorch" GAN: a
``keras.Model`` subclass whose ``train_step`` calls ``backward()`` and applies
each player's Keras optimizer under ``torch.no_grad()``. It runs the same Keras
layers as keras_gans on torch, so the two differ only by keras_gans' step code:
it tells keras_gans' overhead apart from the Keras torch backend's.
"""

from __future__ import annotations

import keras
import torch

from benchmarks.reference import tutorial as T


class KerasTorchUserGAN(keras.Model):
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

    def call(self, x, training=False):  # fit builds the model on a batch of images
        return self.discriminator(x, training=training)

    @property
    def metrics(self):
        return [self.d_loss_tracker, self.g_loss_tracker]

    def _apply(self, optimizer, model):
        grads = [v.value.grad for v in model.trainable_weights]
        with torch.no_grad():
            optimizer.apply(grads, model.trainable_weights)

    def train_step(self, real):
        n = real.shape[0]
        z = keras.random.normal((n, T.LATENT_DIM), seed=self.seed_generator)
        fake = self.generator(z, training=True).detach()
        self.zero_grad()
        real_out = self.discriminator(real, training=True)
        fake_out = self.discriminator(fake, training=True)
        d_loss = self.bce(torch.ones_like(real_out), real_out) + self.bce(
            torch.zeros_like(fake_out), fake_out)
        d_loss.backward()
        self._apply(self.d_optimizer, self.discriminator)

        z = keras.random.normal((n, T.LATENT_DIM), seed=self.seed_generator)
        self.zero_grad()
        fake_out = self.discriminator(self.generator(z, training=True), training=True)
        g_loss = self.bce(torch.ones_like(fake_out), fake_out)
        g_loss.backward()
        self._apply(self.g_optimizer, self.generator)

        self.d_loss_tracker.update_state(d_loss)
        self.g_loss_tracker.update_state(g_loss)
        return {"d_loss": self.d_loss_tracker.result(), "g_loss": self.g_loss_tracker.result()}


def build(seed=0):
    generator, discriminator = T.keras_networks(seed)
    model = KerasTorchUserGAN(generator, discriminator, seed=seed)
    model.compile(
        d_optimizer=keras.optimizers.Adam(T.LEARNING_RATE, beta_1=T.BETA_1),
        g_optimizer=keras.optimizers.Adam(T.LEARNING_RATE, beta_1=T.BETA_1),
    )
    return model
