"""Arrays served in an order fixed by (seed, epoch), so a resumed run sees the
same batches as an uninterrupted one."""

from __future__ import annotations

import keras
import numpy as np


class EpochShuffled(keras.utils.PyDataset):
    """``(x[, y])`` in batches, reshuffled each epoch by ``default_rng((seed, epoch))``.

    ``fit(shuffle=True)`` on arrays draws each epoch's order from a global random
    state that a resumed process does not have, so an interrupted and resumed run
    trains on other batches than an uninterrupted one. Here the order depends only
    on the seed and the epoch number; ``EpochShuffled.callback()`` tells it the
    epoch (``BackupAndRestore`` restores the epoch count, so a resumed run asks
    for the right one). Pass ``shuffle=False`` to ``fit``: Keras would otherwise
    shuffle the batch order with its own random state.

        data = EpochShuffled(x, batch_size=64, seed=0)
        model.fit(data, epochs=5, shuffle=False, callbacks=[data.callback(), ...])
    """

    def __init__(self, x, y=None, batch_size=64, seed=0, shuffle=True, **kwargs):
        super().__init__(**kwargs)
        self.x, self.y = np.asarray(x), None if y is None else np.asarray(y)
        if self.y is not None and len(self.y) != len(self.x):
            raise ValueError(f"x has {len(self.x)} samples but y has {len(self.y)}.")
        self.batch_size, self.seed, self.shuffle = int(batch_size), int(seed), shuffle
        self.set_epoch(0)

    def set_epoch(self, epoch):
        self.epoch = int(epoch)
        n = len(self.x)
        self.order = (np.random.default_rng((self.seed, self.epoch)).permutation(n)
                      if self.shuffle else np.arange(n))

    def callback(self):
        return keras.callbacks.LambdaCallback(
            on_epoch_begin=lambda epoch, logs=None: self.set_epoch(epoch))

    def __len__(self):
        return int(np.ceil(len(self.x) / self.batch_size))

    def __getitem__(self, index):
        idx = self.order[index * self.batch_size:(index + 1) * self.batch_size]
        return self.x[idx] if self.y is None else (self.x[idx], self.y[idx])
