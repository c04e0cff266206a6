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


class BestMetricCheckpoint(keras.callbacks.Callback):
    """Measure a quality metric every ``every`` epochs during ``fit``, log it
    with the losses, and keep the checkpoint with the best value.

    GANs often get worse after their best point, so the zoo keeps the best
    model, not the last. The metric is logged under its protocol name (e.g.
    ``fid_mnist_classifier_test_2k``) into the epoch's ``logs``, so ``History``
    and a ``TensorBoard`` callback placed *after* this one record it.

    Args:
        filepath: where the best model goes (``.keras``, or ``.weights.h5`` to
            keep weights only). Written to a temporary file and renamed, so a
            crash mid-write never replaces a good checkpoint. A JSON file beside
            it (``<filepath>.best.json``) records the epoch and value; a resumed
            run reads it and only replaces the checkpoint with a better one.
        metric: one of ``keras_gans.metrics.evaluate``'s metrics (``fid``,
            ``kid``, ``precision``, ``conditional_accuracy``, ...).
        dataset, n, seed, evaluate_kwargs: passed to ``evaluate``.
        every: measure after every ``every``-th epoch (and the last one).
        mode: ``"min"`` or ``"max"``; default ``min`` for fid/kid/class_kl,
            ``max`` otherwise.
    """

    LOWER_IS_BETTER = ("fid", "kid", "class_kl")

    def __init__(self, filepath, metric="fid", dataset="mnist", n=2000, every=1, seed=0,
                 mode=None, verbose=1, **evaluate_kwargs):
        super().__init__()
        from keras_gans.core.errors import GANConfigError
        from keras_gans.metrics.evaluation import EXPAND, METRICS

        metric = str(metric).lower()
        if metric not in METRICS or metric in EXPAND:
            raise GANConfigError(
                f"BestMetricCheckpoint needs one metric; got {metric!r}. Choose from "
                f"{sorted(set(METRICS) - set(EXPAND))}."
            )
        if mode not in (None, "min", "max"):
            raise GANConfigError(f"mode must be 'min' or 'max'; got {mode!r}.")
        if int(every) < 1:
            raise GANConfigError(f"every must be a positive number of epochs; got {every}.")
        self.filepath = str(filepath)
        if not (self.filepath.endswith(".keras") or self.filepath.endswith(".weights.h5")):
            raise GANConfigError(
                f"filepath must end in .keras or .weights.h5; got {self.filepath!r}."
            )
        self.metric, self.dataset, self.n, self.every = metric, dataset, int(n), int(every)
        self.seed, self.verbose, self.evaluate_kwargs = seed, verbose, evaluate_kwargs
        self.mode = mode or ("min" if metric in self.LOWER_IS_BETTER else "max")
        self.best = None
        self.best_epoch = None
        self.name = None

    @property
    def _sidecar(self):
        return self.filepath + ".best.json"

    def _better(self, value):
        if self.best is None:
            return True
        return value < self.best if self.mode == "min" else value > self.best

    def on_train_begin(self, logs=None):
        import json

        if self.best is None and os.path.exists(self._sidecar):
            with open(self._sidecar, encoding="utf-8") as f:
                record = json.load(f)
            self.best, self.best_epoch = record["value"], record["epoch"]

    def on_epoch_end(self, epoch, logs=None):
        import json
        import math

        from keras_gans.metrics.evaluation import evaluate

        last = self.params.get("epochs") if self.params else None
        if (epoch + 1) % self.every and (last is None or epoch + 1 != last):
            return
        results = evaluate(self.model, dataset=self.dataset, metrics=[self.metric],
                           n=self.n, seed=self.seed, **self.evaluate_kwargs)
        self.name = next(k for k in results if not k.endswith("_std"))
        value = float(results[self.name])
        if logs is not None:
            logs.update(results)
        if math.isnan(value):
            return
        if self._better(value):
            self.best, self.best_epoch = value, epoch + 1
            os.makedirs(os.path.dirname(os.path.abspath(self.filepath)), exist_ok=True)
            suffix = ".weights.h5" if self.filepath.endswith(".weights.h5") else ".keras"
            tmp = self.filepath[: -len(suffix)] + ".tmp" + suffix
            if suffix == ".keras":
                self.model.save(tmp)
            else:
                self.model.save_weights(tmp)
            os.replace(tmp, self.filepath)
            record = {"metric": self.name, "value": value, "epoch": epoch + 1}
            with open(self._sidecar + ".tmp", "w", encoding="utf-8") as f:
                json.dump(record, f)
            os.replace(self._sidecar + ".tmp", self._sidecar)
            if self.verbose:
                print(f"\n{self.name} = {value:.4g}: best so far, saved {self.filepath}")
        elif self.verbose:
            print(f"\n{self.name} = {value:.4g} (best {self.best:.4g} at epoch "
                  f"{self.best_epoch})")


class StopOnDivergence(keras.callbacks.Callback):
    """Stop ``fit`` at the first batch whose logged loss is NaN or infinite.

    ``diverged`` then holds ``{"epoch", "batch", "logs"}`` (1-based), for a
    message that says where. Pair it with ``GuardedBackupAndRestore`` so the
    diverged weights never replace the last good checkpoint.
    """

    def __init__(self):
        super().__init__()
        self.diverged = None
        self._epoch = 0

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        import numpy as np

        bad = {}
        for key, value in (logs or {}).items():
            try:
                v = float(np.asarray(value))
            except (TypeError, ValueError):
                continue
            if not np.isfinite(v):
                bad[key] = v
        if bad and self.diverged is None:
            self.diverged = {"epoch": self._epoch + 1, "batch": batch + 1, "logs": bad}
            self.model.stop_training = True


class GuardedBackupAndRestore(keras.callbacks.BackupAndRestore):
    """``BackupAndRestore`` that writes no backup once ``guard`` (a
    ``StopOnDivergence``) has seen the run diverge: the last backup stays the
    last good state, and ``--resume`` starts from it."""

    def __init__(self, backup_dir, guard, **kwargs):
        super().__init__(backup_dir, **kwargs)
        self.guard = guard

    def on_epoch_end(self, epoch, logs=None):
        if self.guard.diverged is None:
            super().on_epoch_end(epoch, logs)

    def on_train_batch_end(self, batch, logs=None):
        if self.guard.diverged is None:
            super().on_train_batch_end(batch, logs)
