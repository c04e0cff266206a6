"""What `keras-gans train` leaves in the run folder (TensorBoard events, the best
checkpoint), training on a folder of your own images, and `show_grid`."""

import json
import os
import re

import keras
import numpy as np
import pytest

from keras_gans.cli import main
from keras_gans.images import encode_png

BASE = ["train", "dcgan", "--dataset", "digits", "--limit", "64", "--batch-size", "32"]


def _events(folder):
    """{tag: {step: value}} from the event files in ``folder``: floats for
    scalars, the PNG bytes for images."""
    import tensorflow as tf

    found = {}
    for name in sorted(os.listdir(folder)):
        if not name.startswith("events.out.tfevents"):
            continue
        for event in tf.compat.v1.train.summary_iterator(os.path.join(folder, name)):
            for v in event.summary.value:
                value = tf.make_ndarray(v.tensor)
                plugin = v.metadata.plugin_data.plugin_name
                if plugin == "scalars":
                    value = float(value)
                elif plugin == "images":
                    assert len(value) == 3  # width, height, PNG
                    value = (int(value[0]), int(value[1]), bytes(value[2]))
                found.setdefault(v.tag, {})[event.step] = value
    return found


@pytest.mark.slow
def test_train_writes_tensorboard_events_and_keeps_the_best_checkpoint(tmp_path, capsys):
    from keras_gans.metrics import evaluate

    out = tmp_path / "run"
    eval_flags = ["--eval-metric", "fid", "--eval-dataset", "mnist", "--eval-n", "64"]
    assert main([*BASE, "--epochs", "2", "--out", str(out), *eval_flags]) == 0
    events = _events(out / "logs")
    for loss in ("d_loss", "g_loss"):
        assert sorted(events[loss]) == [0, 1]
        assert all(np.isfinite(v) for v in events[loss].values())
    fid = events["fid_mnist_classifier_test_64"]
    assert sorted(fid) == [0, 1]
    # each epoch's image is the grid written to samples/, byte for byte
    for step in (0, 1):
        w, h, png = events["samples"][step]
        assert png == (out / "samples" / f"samples_epoch_{step + 1:03d}.png").read_bytes()
        assert (w, h) == (1 + 8 * 29, 1 + 8 * 29)  # 64 samples of 28 px, 8 a row
    # best.keras is the epoch with the lowest FID, and it measures that FID again
    record = json.loads((out / "best.keras.best.json").read_text())
    best_step = min(fid, key=fid.get)
    assert record["epoch"] == best_step + 1
    np.testing.assert_allclose(record["value"], fid[best_step], rtol=1e-5)
    best = keras.saving.load_model(out / "best.keras")
    again = evaluate(best, dataset="mnist", metrics=["fid"], n=64, seed=0)
    np.testing.assert_allclose(again["fid_mnist_classifier_test_64"], record["value"],
                               rtol=1e-3)
    assert (out / "model.keras").exists()
    recipe = json.loads((out / "recipe.json").read_text())
    assert (recipe["eval_metric"], recipe["eval_n"], recipe["tensorboard"]) == ("fid", 64, True)

    # resuming appends the next epoch to the same logs; the metric may not change
    capsys.readouterr()
    assert main([*BASE, "--epochs", "3", "--out", str(out), "--resume", "--eval-metric", "kid",
                 "--eval-dataset", "mnist", "--eval-n", "64"]) == 2
    assert "eval_metric: 'fid' -> 'kid'" in capsys.readouterr().err
    assert main([*BASE, "--epochs", "3", "--out", str(out), "--resume", *eval_flags]) == 0
    events = _events(out / "logs")
    assert sorted(events["g_loss"]) == [0, 1, 2] and sorted(events["samples"]) == [0, 1, 2]


def test_eval_flags_are_checked_before_anything_is_written(tmp_path, capsys):
    out = tmp_path / "run"
    for extra, message in (
            (["--eval-metric", "fdi"], "--eval-metric 'fdi'.*Did you mean 'fid'"),
            (["--eval-metric", "pr"], "choose one of"),
            (["--eval-metric", "fid"],
             "needs --eval-dataset: no feature network ships for 'digits'"),
            (["--eval-n", "100"], "--eval-n set, but no --eval-metric"),
            (["--eval-metric", "fid", "--eval-dataset", "cifar10"],
             r"takes \(32, 32, 3\) images, but this model makes \(28, 28, 1\)")):
        assert main([*BASE, "--epochs", "1", "--out", str(out), *extra]) == 2
        err = capsys.readouterr().err
        assert re.search(message, err), err
        assert not out.exists()


def test_no_tensorflow_means_no_events_and_a_note(tmp_path, monkeypatch, capsys):
    from keras_gans import callbacks

    monkeypatch.setattr(callbacks, "tensorflow_or_none", lambda: None)
    base = ["train", "gan", "--dataset", "ring8", "--limit", "256", "--batch-size", "128",
            "--epochs", "1"]
    assert main([*base, "--out", str(tmp_path / "a")]) == 0
    err = capsys.readouterr().err
    assert "TensorFlow is not installed, so no TensorBoard events are written" in err
    assert (tmp_path / "a" / "model.keras").exists() and not (tmp_path / "a" / "logs").exists()
    # --no-tensorboard (here from a recipe) writes none and says nothing
    recipe = tmp_path / "r.json"
    recipe.write_text(json.dumps({"tensorboard": False}))
    monkeypatch.undo()
    assert main([*base, "--recipe", str(recipe), "--out", str(tmp_path / "b")]) == 0
    assert "TensorBoard" not in capsys.readouterr().err
    assert not (tmp_path / "b" / "logs").exists()


def _write_folder(root, spec, seed=0):
    """spec: {relative path: (h, w, c)}; writes random PNGs, returns their pixels."""
    rng = np.random.default_rng(seed)
    pixels = {}
    for rel, shape in spec.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        pixels[rel] = rng.integers(0, 256, shape, dtype="uint8")
        path.write_bytes(encode_png(pixels[rel]))
    return pixels


def test_load_folder_scales_sorts_and_labels_by_subfolder(tmp_path):
    from keras_gans.data import folder_classes, load_folder

    pixels = _write_folder(tmp_path, {"dogs/b.png": (4, 4, 1), "cats/z.png": (4, 4, 1),
                                      "cats/a.png": (4, 4, 1)})
    x, y = load_folder(tmp_path)
    order = ["cats/a.png", "cats/z.png", "dogs/b.png"]
    want = np.stack([pixels[r] for r in order]).astype("float32") / 127.5 - 1
    np.testing.assert_allclose(x, want, atol=1e-6)
    assert y.tolist() == [0, 0, 1] and folder_classes(tmp_path) == ["cats", "dogs"]
    # one folder of images: no labels; a colour image makes every image RGB
    flat = tmp_path / "flat"
    _write_folder(flat, {"a.png": (4, 4, 1), "b.png": (4, 4, 3)})
    x, y = load_folder(flat)
    assert x.shape == (2, 4, 4, 3) and y is None
    np.testing.assert_array_equal(x[0, ..., 0], x[0, ..., 2])  # grey repeated


@pytest.mark.slow
def test_train_on_a_folder_of_own_images(tmp_path, capsys):
    folder = tmp_path / "mine"
    _write_folder(folder, {**{f"zeros/{i}.png": (28, 28, 1) for i in range(8)},
                           **{f"ones/{i}.png": (28, 28, 1) for i in range(8)}})
    out = tmp_path / "run"
    assert main(["train", "conditional_gan", "--dataset", str(folder), "--batch-size", "16",
                 "--epochs", "1", "--out", str(out), "--no-tensorboard"]) == 0
    assert "(16 samples, shape (28, 28, 1))" in capsys.readouterr().out
    model = keras.saving.load_model(out / "model.keras")
    assert model.num_classes == 2 and model.generate(2, labels=[0, 1], seed=0).shape == (
        2, 28, 28, 1)


@pytest.mark.slow
def test_a_folder_of_mixed_sizes_names_two_files_and_the_fix(tmp_path, capsys):
    folder = tmp_path / "mixed"
    _write_folder(folder, {"a.png": (28, 28, 1), "b.png": (28, 28, 1), "c.png": (40, 30, 3)})
    out = tmp_path / "run"
    assert main(["train", "dcgan", "--dataset", str(folder), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert re.search(r"a\.png is 28x28 and c\.png is 30x40 \(width x height\)\. Pass "
                     r"--image-size N", err), err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert not out.exists()
    assert main(["train", "dcgan", "--dataset", str(folder), "--image-size", "32",
                 "--batch-size", "3", "--epochs", "1", "--out", str(out),
                 "--no-tensorboard"]) == 0
    assert "(3 samples, shape (32, 32, 3))" in capsys.readouterr().out
    # a size the networks cannot build names the flag to fix it
    assert main(["train", "dcgan", "--dataset", str(folder), "--image-size", "20",
                 "--out", str(tmp_path / "r2")]) == 2
    assert "--image-size N resizes" in capsys.readouterr().err


def test_show_grid_returns_the_mosaic_and_shows_it(monkeypatch):
    import sys
    import types

    from keras_gans import images

    x = np.random.default_rng(0).uniform(-1, 1, (5, 6, 6, 1)).astype("float32")
    want = images.grid(x, cols=3)
    np.testing.assert_array_equal(images.show_grid(x, cols=3, display=False), want)

    # in a notebook: displayed as the PNG save_grid would write
    shown = []
    ipython = types.ModuleType("IPython")
    ipython.get_ipython = lambda: object()
    display_mod = types.ModuleType("IPython.display")
    display_mod.Image = lambda data: ("png", data)
    display_mod.display = shown.append
    ipython.display = display_mod
    monkeypatch.setitem(sys.modules, "IPython", ipython)
    monkeypatch.setitem(sys.modules, "IPython.display", display_mod)
    np.testing.assert_array_equal(images.show_grid(x, cols=3), want)
    assert shown == [("png", images.encode_png(want))]
    monkeypatch.undo()

    # elsewhere with matplotlib: drawn on a new figure
    plt = pytest.importorskip("matplotlib.pyplot")  # an optional extra
    plt.switch_backend("Agg")
    before = set(plt.get_fignums())
    images.show_grid(x, cols=3)
    new = set(plt.get_fignums()) - before
    assert len(new) == 1
    fig = plt.figure(new.pop())
    np.testing.assert_array_equal(fig.axes[0].images[0].get_array(), want[..., 0])
    plt.close(fig)
