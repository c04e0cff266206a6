"""The main job, end to end: `keras-gans train` writes a model, a recipe and sample grids."""

import json
import os
import re

import keras
import numpy as np
import pytest

from keras_gans.cli import main

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
BASE = ["train", "dcgan", "--dataset", "digits", "--limit", "64", "--batch-size", "32"]


def test_list_names_every_variant(capsys):
    from keras_gans.models import VARIANTS

    assert main(["list"]) == 0
    out = capsys.readouterr().out
    for name in VARIANTS:
        assert name in out


@pytest.mark.slow
def test_train_writes_model_recipe_and_grids_then_resumes(tmp_path, capsys):
    out = tmp_path / "run"
    assert main([*BASE, "--epochs", "1", "--out", str(out)]) == 0
    grid = out / "samples" / "samples_epoch_001.png"
    assert grid.read_bytes()[:8] == PNG_SIGNATURE
    recipe = json.loads((out / "recipe.json").read_text())
    assert recipe["variant"] == "dcgan" and recipe["backend"] == keras.backend.backend()
    model = keras.saving.load_model(out / "model.keras")
    images = model.generate(4, seed=0)
    assert images.shape == (4, 28, 28, 1) and np.isfinite(images).all()

    # An existing run is never replaced silently.
    before = sorted(os.listdir(out))
    assert main([*BASE, "--epochs", "1", "--out", str(out)]) == 2
    assert "--resume" in capsys.readouterr().err
    assert sorted(os.listdir(out)) == before

    # --resume with another recipe is refused; with more epochs it continues.
    assert main([*BASE[:-1], "16", "--epochs", "2", "--out", str(out), "--resume"]) == 2
    assert "batch_size" in capsys.readouterr().err
    assert main([*BASE, "--epochs", "2", "--out", str(out), "--resume"]) == 0
    assert (out / "samples" / "samples_epoch_002.png").exists()
    resumed = keras.saving.load_model(out / "model.keras")
    # 2 epochs of 64 samples in batches of 32: 4 steps in all, not 2 + a fresh 4.
    assert int(keras.ops.convert_to_numpy(resumed.optimizer.iterations)) == 4


@pytest.mark.slow
def test_overwrite_replaces_the_run(tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    (out / "old.txt").write_text("x")
    assert main(["train", "gan", "--dataset", "ring8", "--limit", "256", "--batch-size", "128",
                 "--epochs", "1", "--out", str(out), "--overwrite"]) == 0
    assert not (out / "old.txt").exists() and (out / "model.keras").exists()


def test_unknown_variant_is_a_one_line_error_with_a_suggestion(tmp_path, capsys):
    assert main(["train", "dcgna", "--out", str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err
    assert "dcgan" in err and "Traceback" not in err


FIXTURE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures",
                       "cgan_digits8_tiny")


@pytest.mark.slow
def test_sample_writes_a_seeded_grid_with_labels(tmp_path, capsys):
    out = tmp_path / "grid.png"
    args = ["sample", FIXTURE, "--n", "8", "--seed", "3", "--labels", "1,7"]
    assert main([*args, "--out", str(out)]) == 0
    assert out.read_bytes()[:8] == PNG_SIGNATURE
    # an existing file is kept unless --overwrite; the same seed writes the same bytes
    first = out.read_bytes()
    assert main([*args, "--out", str(out)]) == 2
    assert "--overwrite" in capsys.readouterr().err
    assert main([*args, "--out", str(out), "--overwrite"]) == 0
    assert out.read_bytes() == first
    assert main(["sample", FIXTURE, "--n", "8", "--seed", "4", "--labels", "1,7",
                 "--out", str(tmp_path / "other.png")]) == 0
    assert (tmp_path / "other.png").read_bytes() != first
    capsys.readouterr()
    for bad, message in ((["--labels", "a,b"], "comma-separated class ids"),
                         (["--truncation", "0.7"], "--truncation is for StyleGAN"),
                         (["--labels", "12"], "class ids in [0, 10)")):
        assert main(["sample", FIXTURE, "--n", "4", *bad,
                     "--out", str(tmp_path / "x.png")]) == 2
        assert message in capsys.readouterr().err


def test_list_and_info_show_presets(monkeypatch, capsys):
    from keras_gans import presets

    monkeypatch.setenv(presets.DIR_ENV, os.path.dirname(FIXTURE))
    assert main(["list"]) == 0
    listed = capsys.readouterr().out
    assert "cgan_digits8_tiny" in listed
    assert max(len(line) for line in listed.splitlines()) <= 100
    assert main(["info", "cgan_digits8_tiny"]) == 0
    card = capsys.readouterr().out.splitlines()
    assert card[0].startswith("cgan_digits8_tiny: ") and len(card) <= 40
    assert any(line.split() == ["variant:", "ConditionalGAN"] for line in card)
    assert any("sha256-checked" in line for line in card)
    assert main(["info", "cgan_digits8_tiny", "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["variant"] == "ConditionalGAN" and "sha256" in info
    assert main(["info", "cgan_digits8_tinny"]) == 2
    assert "Did you mean 'cgan_digits8_tiny'" in capsys.readouterr().err


@pytest.mark.slow
def test_a_diverging_run_stops_and_keeps_the_last_good_checkpoint(tmp_path, capsys):
    out = tmp_path / "run"
    base = ["train", "gan", "--dataset", "ring8", "--limit", "256", "--batch-size", "128",
            "--out", str(out)]
    assert main([*base, "--epochs", "1"]) == 0
    kept = {p.name: p.read_bytes() for p in (out / "backup").iterdir()}
    model_before = (out / "model.keras").read_bytes()
    capsys.readouterr()
    # a learning rate of 1e30 overflows the weights in the first step of epoch 2
    assert main([*base, "--epochs", "3", "--resume", "--learning-rate", "1e30"]) == 2
    err = capsys.readouterr().err
    assert "diverged at epoch 2, batch 1" in err and "last good checkpoint (epoch 1)" in err
    assert "Traceback" not in err
    assert {p.name: p.read_bytes() for p in (out / "backup").iterdir()} == kept
    assert (out / "model.keras").read_bytes() == model_before


def _decode_gif(data):
    """A straightforward GIF decoder (global palette, LZW), independent of
    keras_gans.images: returns the frames' palette indices."""
    assert data[:6] == b"GIF89a"
    w, h, flags = int.from_bytes(data[6:8], "little"), int.from_bytes(data[8:10], "little"), data[10]
    pos = 13 + (3 * 2 ** ((flags & 7) + 1) if flags & 0x80 else 0)
    frames = []
    while data[pos] != 0x3B:
        if data[pos] == 0x21:  # extension: skip its sub-blocks
            pos += 2
            while data[pos]:
                pos += data[pos] + 1
            pos += 1
            continue
        assert data[pos] == 0x2C
        pos += 10
        min_size = data[pos]
        pos += 1
        stream = bytearray()
        while data[pos]:
            stream += data[pos + 1:pos + 1 + data[pos]]
            pos += data[pos] + 1
        pos += 1
        bits = int.from_bytes(stream, "little")
        clear, end = 1 << min_size, (1 << min_size) + 1
        width, offset, out, table, prev = min_size + 1, 0, [], None, None
        while True:
            code = (bits >> offset) & ((1 << width) - 1)
            offset += width
            if code == clear:
                table = [[i] for i in range(clear)] + [None, None]
                width, prev = min_size + 1, None
                continue
            if code == end:
                break
            entry = table[code] if code < len(table) else table[prev] + [table[prev][0]]
            out += entry
            if prev is not None:
                table.append(table[prev] + [entry[0]])
            prev = code
            if len(table) == (1 << width) and width < 12:
                width += 1
        frames.append(np.array(out, "uint8").reshape(h, w))
    return frames


@pytest.mark.slow
def test_interpolate_writes_a_strip_and_a_gif_of_the_walk(tmp_path):
    from keras_gans import presets
    from keras_gans.images import to_uint8

    png, gif = tmp_path / "walk.png", tmp_path / "walk.gif"
    assert main(["interpolate", FIXTURE, "--keyframes", "3", "--steps", "4", "--seed", "5",
                 "--label", "3", "--out", str(png), "--gif", str(gif)]) == 0
    assert png.read_bytes()[:8] == PNG_SIGNATURE
    frames = _decode_gif(gif.read_bytes())
    assert len(frames) == 2 * 3 + 1
    model = presets.from_preset(FIXTURE)
    for k, index in ((0, 0), (1, 3), (2, 6)):  # the walk passes through each keyframe
        z = np.random.default_rng(5 + k).standard_normal((1, model.latent_dim))
        want = to_uint8(np.clip(model.generate_from_latent(z, [3]), -1, 1))[0, ..., 0]
        np.testing.assert_allclose(frames[index].astype(int), want.astype(int), atol=1)
    assert not np.array_equal(frames[1], frames[0])
    assert main(["interpolate", FIXTURE, "--out", str(tmp_path / "x.png")]) == 2


@pytest.mark.slow
def test_train_from_a_recipe_file_and_reproduce_from_the_run_folder(tmp_path, capsys):
    recipe = tmp_path / "r.json"
    recipe.write_text(json.dumps({"variant": "gan", "dataset": "ring8", "limit": 256,
                                  "batch_size": 128, "epochs": 2, "seed": 1}))
    out = tmp_path / "run"
    assert main(["train", "--recipe", str(recipe), "--out", str(out)]) == 0
    saved = json.loads((out / "recipe.json").read_text())
    assert (saved["variant"], saved["epochs"], saved["batch_size"]) == ("gan", 2, 128)
    model = keras.saving.load_model(out / "model.keras")
    assert int(keras.ops.convert_to_numpy(model.optimizer.iterations)) == 4  # 2 x 256/128
    # the run folder's recipe reproduces it; a flag given on the command line wins
    again = tmp_path / "again"
    assert main(["train", "--recipe", str(out / "recipe.json"), "--out", str(again),
                 "--epochs", "1"]) == 0
    assert json.loads((again / "recipe.json").read_text())["epochs"] == 1
    capsys.readouterr()
    for bad, message in (({"variant": "gan", "epoch": 3}, "unknown key 'epoch'.*Did you mean 'epochs'"),
                         ({"variant": "gan", "epochs": "3"}, "'epochs' must be int; got '3'"),
                         ({"variant": "gan", "limit": 2.5}, "'limit' must be int or null")):
        recipe.write_text(json.dumps(bad))
        assert main(["train", "--recipe", str(recipe), "--out", str(tmp_path / "x")]) == 2

        assert re.search(message, capsys.readouterr().err)
    assert not (tmp_path / "x").exists()
    assert main(["train", "--out", str(tmp_path / "y")]) == 2
    assert "Name a variant" in capsys.readouterr().err


@pytest.mark.slow
def test_an_interrupted_and_resumed_run_ends_with_the_same_weights(tmp_path):
    """Batches come in an order fixed by (seed, epoch) and the seed generator's
    state is in the checkpoint, so resuming changes nothing."""
    base = ["train", "gan", "--dataset", "ring8", "--limit", "512", "--batch-size", "128",
            "--seed", "3"]
    assert main([*base, "--epochs", "2", "--out", str(tmp_path / "a")]) == 0
    assert main([*base, "--epochs", "1", "--out", str(tmp_path / "b")]) == 0
    assert main([*base, "--epochs", "2", "--out", str(tmp_path / "b"), "--resume"]) == 0
    a = keras.saving.load_model(tmp_path / "a" / "model.keras")
    b = keras.saving.load_model(tmp_path / "b" / "model.keras")
    for wa, wb in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_array_equal(wa, wb)
    # not vacuous: a different seed ends elsewhere
    assert main([*base[:-1], "4", "--epochs", "2", "--out", str(tmp_path / "c")]) == 0
    c = keras.saving.load_model(tmp_path / "c" / "model.keras")
    assert any(not np.array_equal(wa, wc) for wa, wc in zip(a.get_weights(), c.get_weights()))
