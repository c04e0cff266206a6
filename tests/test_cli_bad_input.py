"""Bad input through the command line: one clear line on stderr, a non-zero exit
code, no traceback (``--debug`` shows it)."""

import json
import os
import re
import shutil
import subprocess
import sys
import zipfile

import numpy as np
import pytest

from keras_gans.cli import main
from keras_gans.images import encode_png

FIXTURE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures",
                       "cgan_digits8_tiny")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def fails_clearly(capsys, argv, message):
    """``main(argv)`` exits non-zero with exactly one stderr line matching ``message``."""
    code = main(argv)
    err = capsys.readouterr().err
    assert code != 0, argv
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert "Traceback" not in err
    assert re.search(message, lines[0]), lines[0]
    return lines[0]


@pytest.mark.slow
def test_missing_and_corrupt_dataset_files(tmp_path, capsys):
    out = ["--out", str(tmp_path / "run")]
    train = ["train", "dcgan", "--epochs", "1"]
    fails_clearly(capsys, [*train, "--dataset", str(tmp_path / "missing.npz"), *out],
                  "No dataset file .*missing.npz")
    fails_clearly(capsys, [*train, "--dataset", str(tmp_path / "no" / "folder"), *out],
                  "no such folder")
    empty = tmp_path / "empty"
    empty.mkdir()
    fails_clearly(capsys, [*train, "--dataset", "usps", "--data-dir", str(empty), *out],
                  "No local file usps.npz")
    # random bytes: numpy would call them pickled data and suggest allow_pickle
    (tmp_path / "mnist.npz").write_bytes(np.random.default_rng(0).bytes(4096))
    for argv in ([*train, "--dataset", "mnist", "--data-dir", str(tmp_path), *out],
                 [*train, "--dataset", str(tmp_path / "mnist.npz"), *out],
                 ["project", "dcgan_mnist", str(tmp_path / "mnist.npz"), "--out",
                  str(tmp_path / "proj")]):
        line = fails_clearly(capsys, argv, "mnist.npz is not an .npz file.*Re-create it")
        assert "pickle" not in line
    fails_clearly(capsys, [*train, "--dataset", "mnsit", "--data-dir", str(empty), *out],
                  "Unknown dataset 'mnsit'.*Did you mean 'mnist'.*--data-dir")
    np.savez(tmp_path / "other.npz", images=np.zeros((4, 28, 28), "uint8"))
    fails_clearly(capsys, [*train, "--dataset", str(tmp_path / "other.npz"), *out],
                  r"has no 'x_train' array \(it has \['images'\]\)")
    fails_clearly(capsys, [*train, "--dataset", str(empty), *out], "No images in")
    (empty / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\nnot really")
    fails_clearly(capsys, [*train, "--dataset", str(empty), *out],
                  "Cannot read image .*broken.png")
    assert not (tmp_path / "run").exists()


def test_a_folder_of_mixed_size_images(tmp_path, capsys):
    folder = tmp_path / "imgs"
    folder.mkdir()
    (folder / "small.png").write_bytes(encode_png(np.zeros((28, 28), "uint8")))
    (folder / "wide.png").write_bytes(encode_png(np.zeros((28, 56), "uint8")))
    fails_clearly(capsys, ["train", "dcgan", "--dataset", str(folder), "--out",
                           str(tmp_path / "run")],
                  "small.png is 28x28 and wide.png is 56x28.*--image-size")


def test_unknown_names_suggest_the_right_one(tmp_path, monkeypatch, capsys):
    from keras_gans import presets

    monkeypatch.setenv(presets.DIR_ENV, os.path.dirname(FIXTURE))
    fails_clearly(capsys, ["train", "wgan-gpp", "--out", str(tmp_path / "r")],
                  "Unknown variant 'wgan-gpp'.*Did you mean 'wgan_gp'")
    fails_clearly(capsys, ["sample", "cgan_digits8_tiyn", "--out", str(tmp_path / "x.png")],
                  "Unknown preset 'cgan_digits8_tiyn'.*Did you mean 'cgan_digits8_tiny'")
    fails_clearly(capsys, ["sample", str(tmp_path / "runs" / "nothing"), "--out",
                           str(tmp_path / "x.png")], "No saved model or preset folder at")
    fails_clearly(capsys, ["sample", str(tmp_path / "missing.keras"), "--out",
                           str(tmp_path / "x.png")], "No saved model at")


def test_recipes_with_unknown_keys_or_wrong_types(tmp_path, capsys):
    recipe = tmp_path / "r.json"
    for content, message in (
            ({"variant": "dcgan", "image_sise": 32},
             "unknown key 'image_sise'.*Did you mean 'image_size'"),
            ({"variant": "dcgan", "tensorboard": "no"}, "'tensorboard' must be bool; got 'no'"),
            ({"variant": "dcgan", "image_size": 28.5}, "'image_size' must be int or null"),
            ({"variant": "dcgan", "eval_every": True}, "'eval_every' must be int; got True"),
            ([1, 2], "must be a JSON object")):
        recipe.write_text(json.dumps(content))
        fails_clearly(capsys, ["train", "--recipe", str(recipe), "--out", str(tmp_path / "x")],
                      message)
    recipe.write_text("{not json")
    fails_clearly(capsys, ["train", "--recipe", str(recipe), "--out", str(tmp_path / "x")],
                  "is not valid JSON")
    assert not (tmp_path / "x").exists()


def test_a_preset_or_checkpoint_of_another_variant(tmp_path, capsys):
    from keras_gans import DCGAN
    from keras_gans.errors import GANConfigError

    with pytest.raises(GANConfigError, match="is a ConditionalGAN, not a DCGAN"):
        DCGAN.from_preset(FIXTURE)
    # weights of another variant under a preset's name: the sha256 is right, the
    # weights are not the config's
    bad = tmp_path / "swapped"
    shutil.copytree(FIXTURE, bad)
    DCGAN(data_shape=(28, 28, 1), latent_dim=8).save_weights(bad / "model.weights.h5")
    from keras_gans.metrics.feature_nets import sha256

    meta = json.loads((bad / "metadata.json").read_text())
    meta["sha256"]["model.weights.h5"] = sha256(bad / "model.weights.h5")
    (bad / "metadata.json").write_text(json.dumps(meta))
    fails_clearly(capsys, ["sample", str(bad), "--out", str(tmp_path / "x.png")],
                  "cannot load model.weights.h5 into a ConditionalGAN")
    # a file that is not a .keras archive at all
    (tmp_path / "junk.keras").write_bytes(b"junk")
    fails_clearly(capsys, ["sample", str(tmp_path / "junk.keras"), "--out",
                           str(tmp_path / "x.png")], "is not a Keras model file")


def test_files_from_a_newer_version(tmp_path, capsys):
    newer = tmp_path / "newer_preset"
    shutil.copytree(FIXTURE, newer)
    meta = json.loads((newer / "metadata.json").read_text())
    meta["keras_gans_version"] = "99.0.0"
    (newer / "metadata.json").write_text(json.dumps(meta))
    fails_clearly(capsys, ["sample", str(newer), "--out", str(tmp_path / "x.png")],
                  "written by keras-gans 99.0.0; this is .*Upgrade keras-gans")
    # a .keras saved by a newer Keras
    with zipfile.ZipFile(tmp_path / "future.keras", "w") as z:
        z.writestr("metadata.json", json.dumps({"keras_version": "9.1.0"}))
        z.writestr("config.json", "{}")
    fails_clearly(capsys, ["sample", str(tmp_path / "future.keras"), "--out",
                           str(tmp_path / "x.png")], "saved by Keras 9.1.0; this is Keras")
    # a run folder written by a newer keras-gans cannot be resumed here
    run = tmp_path / "run"
    run.mkdir()
    (run / "recipe.json").write_text(json.dumps({"variant": "gan", "keras_gans_version":
                                                 "99.0.0"}))
    fails_clearly(capsys, ["train", "gan", "--dataset", "ring8", "--out", str(run),
                           "--resume"], "written by keras-gans 99.0.0.*--resume")


def test_debug_shows_the_traceback(tmp_path):
    from keras_gans.errors import GANInputError

    with pytest.raises(GANInputError, match="No dataset file"):
        main(["--debug", "train", "dcgan", "--dataset", str(tmp_path / "m.npz"),
              "--out", str(tmp_path / "run")])


@pytest.mark.slow
def test_the_installed_command_exits_2_with_one_line(tmp_path):
    """The real entry point, in its own process: exit status 2, one error line and
    no traceback; --debug prints the traceback."""
    argv = [sys.executable, "-m", "keras_gans.cli", "train", "dcgan", "--dataset",
            str(tmp_path / "missing.npz"), "--out", str(tmp_path / "run")]
    env = {**os.environ, "PYTHONPATH": ROOT}
    done = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=300,
                          check=False)
    assert done.returncode == 2, done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "No dataset file" in errors[0]
    assert done.stderr.strip().splitlines()[-1] == errors[0]
    assert "Traceback" not in done.stderr
    debug = subprocess.run([*argv[:3], "--debug", *argv[3:]], capture_output=True,
                           text=True, env=env, timeout=300, check=False)
    assert debug.returncode != 0 and "Traceback" in debug.stderr
    assert "GANInputError: No dataset file" in debug.stderr
