"""One way to train: a compiled model and its data into a run folder that resumes.

``train`` is what ``keras-gans train``, ``zoo/recipes/train_preset.py`` and
``zoo/recipes/train_translation_preset.py`` all call. It owns what they share:

- the run folder (``RunFolder``): a new run that fails before its first epoch
  leaves nothing behind; ``overwrite`` moves the old run aside until the new one
  has an epoch; an existing folder is continued only when ``resume`` is set;
- resuming: a ``BackupAndRestore`` checkpoint in ``<out>/backup`` after every
  epoch (weights, every player's optimizer, the epoch count), which writes
  nothing once a loss has gone NaN (``StopOnDivergence``): the last backup
  stays the last good state;
- ``<out>/history.json``: one row per epoch (its logged losses and metrics,
  seconds and steps), kept over resumed runs;
- the best epoch's checkpoint: a ``best`` callback (``BestMetricCheckpoint``
  or one of the same kind) run after every epoch, before the backup;
- the samples grid of each epoch (``sample_grid``: samples from noise, or
  source images beside their translations) and TensorBoard events in
  ``<out>/logs``;
- a wall-clock budget (``minutes``) and the final ``model.keras``.

Example:
    ```python
    model = keras_gans.DCGAN(data_shape=(28, 28, 1))
    model.compile()
    data = keras_gans.data.EpochShuffled(x, batch_size=64, seed=0)
    run = keras_gans.training.train(model, data, "runs/dcgan", epochs=5,
                                    samples=keras_gans.training.sample_grid(model, "runs/dcgan"))
    run.history[-1]["g_loss"]
    ```
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from dataclasses import dataclass, field

import keras

from keras_gans.callbacks import (
    GuardedBackupAndRestore,
    SampleGrid,
    StopOnDivergence,
    TranslationGrid,
)
from keras_gans.data.two_domain import UnpairedBatches, pairing_indices
from keras_gans.errors import GANConfigError, GANTrainingError

__all__ = ["EpochHistory", "EpochPaired", "RunFolder", "TrainingRun", "WallClockBudget",
           "sample_grid", "train"]


@dataclass
class TrainingRun:
    """What ``train`` returns: the model, every epoch's row of ``history.json``
    (over resumed runs too), the best epoch's record (None without ``best``)
    and this call's seconds of training."""

    model: keras.Model
    out: str
    history: list = field(default_factory=list)
    best: dict | None = None
    seconds: float = 0.0


def train(model, data, out, *, epochs, steps_per_epoch=None, resume=False, overwrite=False,
          folder=None, best=None, samples=None, tensorboard=False, learning_rate=None,
          minutes=None, callbacks=(), measures=(), shuffle=False, verbose="auto",
          save_model=True,
          on_start=None, divergence_hint="Lower the learning rate, then resume the run."):
    """Train the compiled ``model`` on ``data`` for ``epochs`` into the run folder ``out``.

    Args:
        model: a compiled ``GANModel``.
        data: what ``fit`` takes; a ``keras.utils.PyDataset`` with a ``callback()``
            (``EpochShuffled``, ``EpochPaired``) is told each epoch's number, so
            a resumed run sees the batches an uninterrupted one would.
        out: the run folder.
        epochs: the epoch to train up to (a resumed run continues to it).
        steps_per_epoch: ``fit``'s; None: one pass over ``data``.
        resume: continue the run in ``out`` from its last completed epoch; a
            missing or empty ``out`` starts a new run.
        overwrite: replace an existing run in ``out`` (kept until the new run
            completes an epoch).
        folder: a ``RunFolder`` made beforehand (to refuse a wrong ``out``
            before loading data); overrides ``resume`` and ``overwrite``.
        best: a callback that measures the model after an epoch and keeps the
            best one (``BestMetricCheckpoint``); it measures nothing once the
            run has diverged. Its record (``<filepath>.best.json``) is returned.
        samples: a callback writing a grid per epoch (``sample_grid``), or None.
        tensorboard: write the losses and the grid to ``<out>/logs``.
        learning_rate: set every player's learning rate (after the restore).
        minutes: stop after the epoch in which this wall-clock budget ends.
        callbacks: more callbacks, run after these.
        measures: callbacks that measure the model after each epoch and add
            their values to the epoch's logs, so ``history.json`` keeps them
            (run after ``best``, before the backup; skipped once diverged).
        shuffle, verbose: ``fit``'s (pass ``shuffle=False`` with an
            ``EpochShuffled``/``EpochPaired``, which shuffle themselves).
        save_model: write ``<out>/model.keras`` at the end (atomically).
        on_start: called once the run folder exists, before training (e.g.
            to write the run's recipe into it).
        divergence_hint: the end of the error raised when a loss goes NaN.

    Returns a ``TrainingRun``. Raises ``GANTrainingError`` if a loss became NaN
    or infinite; the last good backup is kept and ``model.keras`` is not written.
    """
    folder = folder or RunFolder(out, resume, overwrite)
    guard = StopOnDivergence()
    history = EpochHistory(os.path.join(out, "history.json"))
    with folder:
        os.makedirs(out, exist_ok=True)
        if on_start is not None:
            on_start()
        history.read()
        chain = [guard]
        if callable(getattr(data, "callback", None)):
            chain.append(data.callback())
        if best is not None:
            # before the backup, so a resumed run restores what came after
            # measuring; before the history and TensorBoard, which log its value
            chain.append(OnlyWhileFinite(best, guard))
        chain += [OnlyWhileFinite(m, guard) for m in measures]
        chain += [
            GuardedBackupAndRestore(os.path.join(out, "backup"), guard,
                                    delete_checkpoint=False),
            # after the restore, which brings back the saved learning rate
            keras.callbacks.LambdaCallback(
                on_train_begin=lambda logs: set_learning_rate(model, learning_rate)),
            keras.callbacks.LambdaCallback(
                on_epoch_end=lambda epoch, logs: guard.diverged or folder.epoch_done()),
        ]
        if samples is not None:
            chain.append(OnlyWhileFinite(samples, guard))
        chain.append(history)
        if tensorboard:
            chain += tensorboard_callbacks(os.path.join(out, "logs"), samples)
        if minutes:
            chain.append(WallClockBudget(minutes))
        start = time.time()
        model.fit(data, epochs=epochs, steps_per_epoch=steps_per_epoch, shuffle=shuffle,
                  verbose=verbose, callbacks=chain + list(callbacks))
        seconds = time.time() - start
        if guard.diverged:
            raise divergence_error(guard, os.path.join(out, "backup"), divergence_hint)
    if save_model:
        path = os.path.join(out, "model.keras")
        tmp = os.path.join(out, "model.tmp.keras")
        model.save(tmp)
        os.replace(tmp, path)  # a crash mid-save never leaves a half-written model.keras
    return TrainingRun(model, out, history.rows, best_record(best), seconds)


def best_record(best):
    """The record a ``best`` callback keeps beside its checkpoint, or None."""
    path = getattr(best, "record_path", None) or getattr(best, "_sidecar", None)
    if not path or not os.path.exists(path):
        return None
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def sample_grid(model, out, seed=0, sources=None, sources_b=None, n=64):
    """The callback writing ``<out>/samples/samples_epoch_NNN.png`` each epoch:
    ``n`` samples from fixed noise, or, for a translator (``sources``: images of
    its source domain; ``sources_b``: of domain B for a two-way one), rows of
    source images each followed by the row of their translations."""
    directory = os.path.join(out, "samples")
    if callable(getattr(model, "translate", None)):
        if sources is None:
            raise GANConfigError(f"{type(model).__name__} translates images: pass sources= "
                                 "(images of its source domain) for its sample grid.")
        return TranslationGrid(directory, sources, sources_b)
    return SampleGrid(directory, n=n, seed=seed)


def set_learning_rate(model, rate):
    """``rate`` for every player, keeping each paper's other settings."""
    if rate is not None:
        for opt in model.player_optimizers.values():
            opt.learning_rate = rate


def divergence_error(guard, backup, hint):
    d = guard.diverged
    losses = ", ".join(f"{k}={v}" for k, v in d["logs"].items())
    kept = (f"the last good checkpoint (epoch {d['epoch'] - 1}) is kept in {backup}"
            if d["epoch"] > 1 else "no epoch finished, so there is no checkpoint")
    return GANTrainingError(
        f"Training diverged at epoch {d['epoch']}, batch {d['batch']} ({losses}); "
        f"{kept} and model.keras was not written. {hint}"
    )


def tensorboard_callbacks(log_dir, grids=None):
    """TensorBoard events in ``log_dir`` (the epoch's losses and sample grid);
    nothing, with a note, without TensorFlow, whose summary writer writes them
    on every backend."""
    # looked up when called, so a test can stand in for an install without TensorFlow
    from keras_gans.callbacks import TensorBoardEvents, tensorflow_or_none

    if tensorflow_or_none() is None:
        print("note: TensorFlow is not installed, so no TensorBoard events are written "
              "(pip install tensorflow-cpu to get them; --no-tensorboard silences this "
              "note).", file=sys.stderr)
        return []
    return [TensorBoardEvents(log_dir, grids)]


class OnlyWhileFinite(keras.callbacks.Callback):
    """``callback``'s epoch hooks, skipped once ``guard`` (a ``StopOnDivergence``)
    has seen a NaN loss: NaN samples are no model to measure, keep or draw."""

    def __init__(self, callback, guard):
        super().__init__()
        self.callback, self.guard = callback, guard

    def set_model(self, model):
        super().set_model(model)
        self.callback.set_model(model)

    def set_params(self, params):
        super().set_params(params)
        self.callback.set_params(params)

    def on_train_begin(self, logs=None):
        self.callback.on_train_begin(logs)

    def on_train_end(self, logs=None):
        self.callback.on_train_end(logs)

    def on_epoch_begin(self, epoch, logs=None):
        self.callback.on_epoch_begin(epoch, logs)

    def on_epoch_end(self, epoch, logs=None):
        if self.guard.diverged is None:
            self.callback.on_epoch_end(epoch, logs)


class EpochHistory(keras.callbacks.Callback):
    """``history.json``: one row per epoch (``epoch`` 1-based, ``seconds``,
    ``steps`` trained, and the epoch's logs rounded to 5 decimals), kept over
    resumed runs; a repeated epoch replaces its row."""

    def __init__(self, path):
        super().__init__()
        self.path, self.rows = path, []
        self._start, self._steps = None, 0

    def read(self):
        if os.path.exists(self.path):
            with open(self.path, encoding="utf-8") as f:
                self.rows[:] = json.load(f)
        return self.rows

    def on_epoch_begin(self, epoch, logs=None):
        self._start, self._steps = time.time(), 0

    def on_train_batch_end(self, batch, logs=None):
        # an epoch of steps_per_epoch steps ends early at the end of a pass over
        # the data (Keras then starts the next pass): count the steps trained
        self._steps += 1

    def on_epoch_end(self, epoch, logs=None):
        logs = dict(logs or {}, steps=self._steps)
        row = {"epoch": epoch + 1, "seconds": round(time.time() - self._start, 1),
               **{k: round(float(v), 5) for k, v in logs.items()}}
        self.rows[:] = [h for h in self.rows if h["epoch"] != epoch + 1] + [row]
        tmp = self.path + ".tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(self.rows, f)
        os.replace(tmp, self.path)


class WallClockBudget(keras.callbacks.Callback):
    """Stop after the epoch in which ``minutes`` of this process' training pass."""

    def __init__(self, minutes):
        super().__init__()
        self.minutes, self.start = minutes, None

    def on_train_begin(self, logs=None):
        self.start = time.time()

    def on_epoch_end(self, epoch, logs=None):
        if self.minutes and time.time() - self.start > 60 * self.minutes:
            print(f"\nwall-clock budget of {self.minutes} min reached after epoch {epoch + 1}")
            self.model.stop_training = True


class EpochPaired(UnpairedBatches):
    """``UnpairedBatches`` whose pairing of the two domains is drawn from
    ``(seed, epoch)``, as ``EpochShuffled`` orders one domain: a resumed run
    trains on the batches an uninterrupted one would. Pass ``callback()`` to
    ``fit`` (``train`` does) and ``shuffle=False``."""

    def __init__(self, x_a, x_b, batch_size=1, seed=0, **kwargs):
        self.seed = int(seed)
        super().__init__(x_a, x_b, batch_size=batch_size, seed=seed, **kwargs)
        self.set_epoch(0)

    def set_epoch(self, epoch):
        self.epoch = int(epoch)
        self.idx_a, self.idx_b = pairing_indices(len(self.x_a), len(self.x_b),
                                                 (self.seed, self.epoch))

    def on_epoch_end(self):
        pass  # the next epoch's pairing comes from its number (callback)

    def callback(self):
        return keras.callbacks.LambdaCallback(
            on_epoch_begin=lambda epoch, logs=None: self.set_epoch(epoch))


class RunFolder:
    """``with RunFolder(out, resume, overwrite) as run: ...; run.epoch_done()``.

    A new run (a missing or empty folder) that ends in an error before its
    first epoch is complete leaves no folder behind, so the corrected retry is
    not refused. With ``overwrite`` the old run is moved aside and only deleted
    once the new run completes an epoch; until then a failure puts it back.
    A resumed run keeps everything it had."""

    def __init__(self, out, resume=False, overwrite=False):
        if resume and overwrite:
            raise GANConfigError("--resume and --overwrite contradict each other; pass one.")
        self.out, self.resume, self.overwrite = out, resume, overwrite
        self.existing = os.path.isdir(out) and bool(os.listdir(out))
        if self.existing and not (resume or overwrite):
            raise GANConfigError(
                f"Run folder {out} exists and is not empty; pass --resume to "
                "continue it, --overwrite to replace it, or choose another --out."
            )
        self.existed = os.path.exists(out)
        self.aside = None
        self.done = False

    def __enter__(self):
        if self.existing and self.overwrite:
            self.aside = os.path.normpath(self.out) + f".replaced-{os.getpid()}"
            os.replace(self.out, self.aside)
        return self

    def epoch_done(self):
        """The new run has a checkpoint: the old one (overwrite) can go."""
        if not self.done and self.aside is not None:
            shutil.rmtree(self.aside, ignore_errors=True)
        self.done = True

    def __exit__(self, kind, error, tb):
        if kind is None:
            self.epoch_done()
            return False
        if self.done or (self.existing and self.resume):
            return False
        if os.path.isdir(self.out):
            if self.existed and self.aside is None:  # an empty folder the user made
                for name in os.listdir(self.out):
                    path = os.path.join(self.out, name)
                    shutil.rmtree(path) if os.path.isdir(path) else os.remove(path)
            else:
                shutil.rmtree(self.out)
        if self.aside is not None:
            os.replace(self.aside, self.out)
        return False
