"""Callbacks for GAN training."""

from __future__ import annotations

import os

import keras

from keras_gans.images import save_grid


class SampleGrid(keras.callbacks.Callback):
    """Write a PNG grid of samples after each epoch, from fixed noise.

    Args:
        directory: where ``samples_epoch_NNN.png`` files go.
        n: number of samples in the grid.
        seed: the same seed every epoch, so grids show the same z over training.
    """

    def __init__(self, directory, n=64, seed=0):
        super().__init__()
        self.directory = directory
        self.n = n
        self.seed = seed

    def on_epoch_end(self, epoch, logs=None):
        os.makedirs(self.directory, exist_ok=True)
        labels = None
        if getattr(self.model, "num_classes", None):
            labels = [i % self.model.num_classes for i in range(self.n)]
        samples = self.model.generate(self.n, labels=labels, seed=self.seed)
        save_grid(samples, os.path.join(self.directory, f"samples_epoch_{epoch + 1:03d}.png"))
