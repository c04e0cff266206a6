"""keras_gans.training.train: the one pipeline of `keras-gans train` and the zoo
recipes (run folder, resume, history, best epoch, samples, budget, divergence)."""

import json
import os

import keras
import numpy as np
import pytest

from keras_gans import training
from keras_gans.callbacks import TranslationGrid, translation_rows
from keras_gans.data import EpochShuffled, load_mixture
from keras_gans.errors import GANConfigError, GANTrainingError


def tiny_gan(seed=0):
    from keras_gans import GAN

    model = GAN(data_shape=(2,), latent_dim=2, hidden=(8,), seed=seed)
    model.compile()
    return model


@pytest.fixture(scope="module")
def ring():
    return load_mixture("ring8", n=256, seed=0)


class Measure(keras.callbacks.Callback):
    """A stand-in for BestMetricCheckpoint: logs a value per epoch (best at
    epoch 2) and keeps its record where BestMetricCheckpoint does."""

    def __init__(self, path):
        super().__init__()
        self.filepath, self._sidecar = path, path + ".best.json"

    def on_epoch_end(self, epoch, logs=None):
        value = abs(epoch + 1 - 2.0)
        logs["distance"] = value
        if epoch + 1 == 2:
            with open(self._sidecar, "w", encoding="utf-8") as f:
                json.dump({"epoch": epoch + 1, "value": value}, f)


def test_train_writes_the_run_and_a_second_call_resumes_it(tmp_path, ring):
    out = str(tmp_path / "run")
    data = EpochShuffled(ring, batch_size=64, seed=0)
    first = training.train(tiny_gan(), data, out, epochs=1, verbose=0,
                           best=Measure(os.path.join(out, "m")))
    assert sorted(os.listdir(out)) == ["backup", "history.json", "model.keras"]
    assert [r["epoch"] for r in first.history] == [1] and first.history[0]["steps"] == 4
    assert first.best is None and first.seconds > 0
    # an existing run is neither resumed nor replaced unless asked
    with pytest.raises(GANConfigError, match="exists and is not empty"):
        training.train(tiny_gan(), data, out, epochs=2, verbose=0)
    again = training.train(tiny_gan(), data, out, epochs=3, resume=True, verbose=0,
                           best=Measure(os.path.join(out, "m")))
    rows = json.loads((tmp_path / "run" / "history.json").read_text())
    assert rows == again.history
    assert [r["epoch"] for r in rows] == [1, 2, 3] and rows[0] == first.history[0]
    # the best callback ran before the history (its value is in the rows) and
    # its record comes back
    assert [r["distance"] for r in rows[1:]] == [0.0, 1.0]
    assert again.best == {"epoch": 2, "value": 0.0}
    # the resumed model went on from the first run's weights
    saved = keras.saving.load_model(os.path.join(out, "model.keras"))
    for a, b in zip(saved.get_weights(), again.model.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_overwrite_keeps_the_old_run_until_the_new_one_has_an_epoch(tmp_path, ring):
    out = str(tmp_path / "run")
    data = EpochShuffled(ring, batch_size=64, seed=0)
    training.train(tiny_gan(), data, out, epochs=1, verbose=0)
    before = (tmp_path / "run" / "model.keras").read_bytes()

    class Fail(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        training.train(tiny_gan(), data, out, epochs=1, overwrite=True, verbose=0,
                       callbacks=[Fail()])
    assert (tmp_path / "run" / "model.keras").read_bytes() == before
    assert [p for p in os.listdir(tmp_path)] == ["run"]
    training.train(tiny_gan(seed=1), data, out, epochs=1, overwrite=True, verbose=0)
    assert (tmp_path / "run" / "model.keras").read_bytes() != before
    assert [p for p in os.listdir(tmp_path)] == ["run"]


def test_a_new_run_that_fails_leaves_nothing(tmp_path, ring):
    out = tmp_path / "run"
    data = EpochShuffled(ring, batch_size=64, seed=0)
    with pytest.raises(ValueError, match="boom"):
        training.train(tiny_gan(), data, str(out), epochs=1, verbose=0,
                       on_start=lambda: (_ for _ in ()).throw(ValueError("boom")))
    assert not out.exists()


def backup_files(out):
    found = {}
    for name in os.listdir(os.path.join(out, "backup")):
        with open(os.path.join(out, "backup", name), "rb") as f:
            found[name] = f.read()
    return found


def test_divergence_keeps_the_last_good_backup_and_writes_no_model(tmp_path, ring):
    out = str(tmp_path / "run")
    data = EpochShuffled(ring, batch_size=64, seed=0)
    training.train(tiny_gan(), data, out, epochs=1, verbose=0, save_model=False)
    kept = backup_files(out)
    with pytest.raises(GANTrainingError, match=r"diverged at epoch 2, batch 1.*epoch 1.*"
                                               "Try a smaller step."):
        training.train(tiny_gan(), data, out, epochs=3, resume=True, learning_rate=1e30,
                       verbose=0, divergence_hint="Try a smaller step.")
    assert backup_files(out) == kept
    assert not os.path.exists(os.path.join(out, "model.keras"))


def test_a_wall_clock_budget_stops_after_the_epoch_it_ends_in(tmp_path, ring):
    data = EpochShuffled(ring, batch_size=64, seed=0)
    run = training.train(tiny_gan(), data, str(tmp_path / "run"), epochs=5, minutes=1e-9,
                         verbose=0)
    assert [r["epoch"] for r in run.history] == [1]


class WeightNorm(keras.callbacks.Callback):
    """A measure: the generator's first kernel's norm after each epoch."""

    def on_epoch_end(self, epoch, logs=None):
        logs["g_norm"] = float(np.linalg.norm(self.model.generator.get_weights()[0]))


def test_measures_are_in_the_history_over_resumed_runs(tmp_path, ring):
    out = str(tmp_path / "run")
    data = EpochShuffled(ring, batch_size=64, seed=0)
    training.train(tiny_gan(), data, out, epochs=1, verbose=0, measures=[WeightNorm()])
    run = training.train(tiny_gan(), data, out, epochs=2, resume=True, verbose=0,
                         measures=[WeightNorm()])
    rows = json.loads((tmp_path / "run" / "history.json").read_text())
    assert [r["epoch"] for r in rows] == [1, 2]
    norms = [r["g_norm"] for r in rows]
    # each row holds that epoch's weights: the second from the resumed model
    assert norms[1] == pytest.approx(
        float(np.linalg.norm(run.model.generator.get_weights()[0])), abs=1e-5)
    assert norms[0] != norms[1]


def test_epoch_paired_draws_each_epoch_from_seed_and_epoch():
    x_a = np.arange(10, dtype="float32").reshape(10, 1, 1, 1)
    x_b = np.arange(4, dtype="float32").reshape(4, 1, 1, 1) + 100
    d = training.EpochPaired(x_a, x_b, batch_size=5, seed=3)
    d.set_epoch(2)
    epoch2 = [d[i] for i in range(len(d))]
    d.on_epoch_end()  # what Keras calls: changes nothing
    other = training.EpochPaired(x_a, x_b, batch_size=5, seed=3)
    other.set_epoch(2)  # a resumed run, asked for epoch 2 first
    for (a1, b1), (a2, b2) in zip(epoch2, [other[i] for i in range(len(other))]):
        np.testing.assert_array_equal(a1, a2)
        np.testing.assert_array_equal(b1, b2)
    d.set_epoch(3)
    assert any(not np.array_equal(a1, a2) for (a1, _), (a2, _) in
               zip(epoch2, [d[i] for i in range(len(d))]))
    # every A image once an epoch; B repeated
    assert sorted(np.concatenate([a for a, _ in epoch2]).ravel()) == list(range(10))


def test_translation_rows_put_each_source_row_above_its_translations(tmp_path):
    sources = np.linspace(-1, 1, 12 * 4).reshape(12, 2, 2, 1).astype("float32")
    rows = translation_rows(lambda x: -x, sources, per_row=8)
    assert rows.shape == (32, 2, 2, 1)
    np.testing.assert_array_equal(rows[:8], sources[:8])
    np.testing.assert_array_equal(rows[8:16], -sources[:8])
    np.testing.assert_array_equal(rows[16:20], sources[8:])
    np.testing.assert_array_equal(rows[24:28], -sources[8:])
    assert (rows[20:24] == -1).all() and (rows[28:] == -1).all()  # the short row's fill

    class Flip:
        def translate(self, x, direction="a2b"):
            return -x if direction == "a2b" else x * 0.5

    grid = TranslationGrid(str(tmp_path), sources[:8], sources[8:])
    grid.set_model(Flip())
    grid.on_epoch_end(0)
    assert (tmp_path / "samples_epoch_001.png").exists()
    assert grid.last_grid.shape == (1 + 4 * 3, 1 + 8 * 3, 1)  # a2b rows, then b2a rows
