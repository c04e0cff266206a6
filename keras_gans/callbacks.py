"""Callbacks for GAN training."""

from __future__ import annotations

import os

import keras
import numpy as np

from keras_gans.images import atomic_write, encode_png, grid, mosaic


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
        self.last_grid = None

    def on_epoch_end(self, epoch, logs=None):
        os.makedirs(self.directory, exist_ok=True)
        samples = self.model.generate(self.n, labels=self.model.balanced_labels(self.n),
                                      seed=self.seed)
        self.last_grid = mosaic(samples)  # uint8, for TensorBoardImages
        atomic_write(os.path.join(self.directory, f"samples_epoch_{epoch + 1:03d}.png"),
                     encode_png(self.last_grid))


def translation_rows(translate, sources, per_row=8):
    """Rows of ``per_row`` source images, each followed by the row of their
    translations (``translate``: images -> images), as one float32 array; a
    last, shorter row is filled up with black (-1) images, so the rows stay
    aligned in a grid of ``per_row`` columns."""
    rows = []
    for i in range(0, len(sources), per_row):
        for row in (sources[i:i + per_row],
                    np.asarray(translate(sources[i:i + per_row]), "float32")):
            if len(row) < per_row:
                fill = np.full((per_row - len(row), *row.shape[1:]), -1.0, row.dtype)
                row = np.concatenate([row, fill])
            rows.append(row)
    return np.concatenate(rows)


class TranslationGrid(keras.callbacks.Callback):
    """Write a PNG grid of fixed source images and their translations after
    each epoch: rows of 8 sources, each followed by the row of their
    translations (``translation_rows``).

    Args:
        directory: where ``samples_epoch_NNN.png`` files go.
        sources: images of the source domain (domain A), in [-1, 1].
        sources_b: images of domain B, translated b2a below the a2b rows, for a
            two-way translator (CycleGAN, DiscoGAN); None: a2b only.
    """

    def __init__(self, directory, sources, sources_b=None, per_row=8):
        super().__init__()
        self.directory, self.per_row = directory, int(per_row)
        self.sources = np.asarray(sources, "float32")
        self.sources_b = None if sources_b is None else np.asarray(sources_b, "float32")
        self.last_grid = None

    def on_epoch_end(self, epoch, logs=None):
        rows = [translation_rows(self.model.translate, self.sources, self.per_row)]
        if self.sources_b is not None:
            rows.append(translation_rows(lambda x: self.model.translate(x, "b2a"),
                                         self.sources_b, self.per_row))
        os.makedirs(self.directory, exist_ok=True)
        self.last_grid = grid(np.concatenate(rows), cols=self.per_row)
        atomic_write(os.path.join(self.directory, f"samples_epoch_{epoch + 1:03d}.png"),
                     encode_png(self.last_grid))


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
        reference_images, feature_network, reference_name: measure with
            ``evaluate_against`` instead, against these images in this
            ``FeatureNetwork``'s features (for data with no shipped classifier,
            e.g. ``transfer_features("cifar10", (64, 64, 1))``); ``metric`` is
            then one of fid, kid, precision, recall, density, coverage.
        every: measure after every ``every``-th epoch (and the last one).
        mode: ``"min"`` or ``"max"``; default ``min`` for fid/kid/class_kl,
            ``max`` otherwise.
    """

    LOWER_IS_BETTER = ("fid", "kid", "class_kl")

    def __init__(self, filepath, metric="fid", dataset="mnist", n=2000, every=1, seed=0,
                 mode=None, verbose=1, reference_images=None, feature_network=None,
                 reference_name="custom", **evaluate_kwargs):
        super().__init__()
        from keras_gans.errors import GANConfigError
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
        if (reference_images is None) != (feature_network is None):
            raise GANConfigError(
                "reference_images and feature_network go together: pass both (to measure "
                "against your own images) or neither (the dataset's shipped statistics).")
        self.reference_images, self.feature_network = reference_images, feature_network
        self.reference_name = reference_name
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

        from keras_gans.metrics.evaluation import evaluate, evaluate_against

        last = self.params.get("epochs") if self.params else None
        if (epoch + 1) % self.every and (last is None or epoch + 1 != last):
            return
        if self.reference_images is not None:
            results = evaluate_against(self.model, self.reference_images,
                                       self.feature_network, [self.metric], n=self.n,
                                       reference_name=self.reference_name, seed=self.seed)
        else:
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


def tensorflow_or_none():
    """The ``tensorflow`` module, or None when it is not installed."""
    try:
        import tensorflow
    except ImportError:
        return None
    return tensorflow


class TensorBoardEvents(keras.callbacks.Callback):
    """TensorBoard event files on every backend: each epoch's logged numbers
    (the losses, and a metric a ``BestMetricCheckpoint`` placed before this
    callback added) as scalars, and the latest grid of a ``SampleGrid``
    (placed before this callback) as an image, at step ``epoch`` (0-based, as
    ``keras.callbacks.TensorBoard`` counts).

    ``keras.callbacks.TensorBoard`` needs the ``tensorboard`` package as well
    as TensorFlow (``tf.summary.scalar`` lives there); this writes the same
    summaries with TensorFlow alone (``tf.summary.write`` with the scalar and
    image plugins' metadata). Viewing them needs ``pip install tensorboard``:
    ``tensorboard --logdir <log_dir>``. Without TensorFlow it writes nothing.

    Args:
        log_dir: folder of the event files.
        grids: a ``SampleGrid`` whose ``last_grid`` is written, or None.
        tag: the image's name in TensorBoard.
    """

    def __init__(self, log_dir, grids=None, tag="samples"):
        super().__init__()
        self.log_dir, self.grids, self.tag = str(log_dir), grids, tag
        self._writer = None

    def on_epoch_end(self, epoch, logs=None):
        import numpy as np

        tf = tensorflow_or_none()
        if tf is None:
            return
        from tensorflow.core.framework import summary_pb2 as pb

        def metadata(plugin, data_class):
            return pb.SummaryMetadata(
                plugin_data=pb.SummaryMetadata.PluginData(plugin_name=plugin),
                data_class=data_class)

        if self._writer is None:
            self._writer = tf.summary.create_file_writer(self.log_dir)
        with self._writer.as_default():
            for key, value in (logs or {}).items():
                try:
                    number = float(np.asarray(value))
                except (TypeError, ValueError):
                    continue
                tf.summary.write(key, tf.constant(number, tf.float32), step=epoch,
                                 metadata=metadata("scalars", pb.DATA_CLASS_SCALAR))
            picture = getattr(self.grids, "last_grid", None)
            if picture is not None:
                h, w = picture.shape[:2]
                blobs = tf.constant([str(w).encode(), str(h).encode(), encode_png(picture)])
                tf.summary.write(self.tag, blobs, step=epoch,
                                 metadata=metadata("images", pb.DATA_CLASS_BLOB_SEQUENCE))
        self._writer.flush()

    def on_train_end(self, logs=None):
        if self._writer is not None:
            self._writer.close()
            self._writer = None
