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


class SemiSupervisedBatches(EpochShuffled):
    """Batches for a semi-supervised model: every image, and a few labelled ones
    in each batch.

    ``y`` holds each image's class id, or ``-1`` where it is unknown. An epoch is
    one shuffled pass over all of ``x`` in batches of ``batch_size``, with their
    labels hidden (``-1``); to each batch ``labelled_batch_size`` labelled images
    are appended with their labels, drawn in turn from a shuffle of the labelled
    ones (recycled as often as the epoch needs: with 100 labels and 600 batches
    each is seen many times). This is the semi-supervised AAE's separate labelled
    minibatch (Makhzani et al. 2015) in one ``(x, y)`` batch. The order depends
    only on ``seed`` and the epoch number, as ``EpochShuffled``'s: pass
    ``callback()`` to ``fit`` and ``shuffle=False``.

        data = SemiSupervisedBatches(x, y_partial, batch_size=100, labelled_batch_size=100)
        model.fit(data, epochs=50, shuffle=False, callbacks=[data.callback()])
    """

    def __init__(self, x, y, batch_size=100, labelled_batch_size=None, seed=0, **kwargs):
        y = np.asarray(y).reshape(-1)
        super().__init__(x, y, batch_size=batch_size, seed=seed, **kwargs)
        self.labelled = np.flatnonzero(y >= 0)
        if len(self.labelled) == 0:
            raise ValueError(
                "y labels no image (every label is -1): pass some class ids, or train "
                "without labels (fit(x)) for the unsupervised clustering model.")
        self.labelled_batch_size = int(labelled_batch_size or batch_size)
        if self.labelled_batch_size < 1:
            raise ValueError(f"labelled_batch_size must be >= 1; got {labelled_batch_size}.")
        self.set_epoch(0)

    def set_epoch(self, epoch):
        super().set_epoch(epoch)
        if not hasattr(self, "labelled"):
            return  # the base constructor's call, before the labels are known
        need = len(self) * self.labelled_batch_size
        rng = np.random.default_rng((self.seed, self.epoch, 1))
        rounds = -(-need // len(self.labelled))
        self.labelled_order = np.concatenate(
            [self.labelled[rng.permutation(len(self.labelled))] for _ in range(rounds)])

    def __getitem__(self, index):
        idx = self.order[index * self.batch_size:(index + 1) * self.batch_size]
        k = self.labelled_batch_size
        lab = self.labelled_order[index * k:(index + 1) * k]
        x = np.concatenate([self.x[idx], self.x[lab]])
        y = np.concatenate([np.full(len(idx), -1, self.y.dtype), self.y[lab]])
        return x, y
