"""benchmarks/papers/bigan_features.py: the BiGAN paper's 1-NN feature table.

Checked on every backend: the feature network is the encoder's last hidden
layer, and a tiny run (8x8 digits at 28 px) writes a row per feature space
with accuracies a 1-NN can give, leaving the docs alone.
"""

import csv

import keras
import numpy as np
import pytest
from paper_runners import load_runner

import keras_gans


def test_features_are_the_encoders_last_hidden_layer():
    runner = load_runner("bigan_features")
    model = keras_gans.BiGAN(data_shape=(28, 28, 1), latent_dim=5, hidden=(16, 12), seed=0)
    x = np.random.default_rng(0).uniform(-1, 1, (7, 28, 28, 1)).astype("float32")
    out = runner.spaces(model.encoder, x, batch_size=3)
    assert out["codes"].shape == (7, 5) and out["features"].shape == (7, 12)
    np.testing.assert_allclose(out["codes"], keras.ops.convert_to_numpy(model.encoder(x)),
                               rtol=1e-5, atol=1e-5)
    # the code is the last Dense layer applied to the features
    code = model.encoder.get_layer("code")
    expected = out["features"] @ keras.ops.convert_to_numpy(code.kernel) \
        + keras.ops.convert_to_numpy(code.bias)
    np.testing.assert_allclose(out["codes"], expected, rtol=1e-4, atol=1e-4)


def test_tiny_run_writes_a_row_per_feature_space(tmp_path):
    runner = load_runner("bigan_features")
    out = tmp_path / "bigan.csv"
    runner.main(["--tiny", "--out", str(out), "--doc", str(tmp_path / "t.md")])
    with open(out) as f:
        rows = list(csv.DictReader(f))
    assert [(r["row"], r["space"]) for r in rows] == [
        ("raw_pixels", "pixels"),
        ("bigan_mnist", "codes"), ("bigan_mnist", "features"),
        ("untrained_encoder", "codes"), ("untrained_encoder", "features"),
        ("autoencoder_l2", "codes"), ("autoencoder_l2", "features")]
    for r in rows:
        assert 10.0 <= float(r["knn1_percent"]) <= 100.0, r  # 10 classes, 100 test digits
    assert int(rows[1]["dims"]) == 50 and int(rows[2]["dims"]) == 1024
    assert rows[2]["paper_percent"] == "97.39"
    assert not (tmp_path / "t.md").exists()  # --tiny leaves the docs alone


def test_keep_baselines_measures_only_the_preset(tmp_path, monkeypatch):
    runner = load_runner("bigan_features")
    out = tmp_path / "bigan.csv"
    args = ["--tiny", "--out", str(out), "--doc", str(tmp_path / "t.md")]
    with pytest.raises(SystemExit, match="run once without --keep-baselines"):
        runner.main([*args, "--keep-baselines"])
    first = runner.main(args)

    def no_training(*a, **k):
        raise AssertionError("--keep-baselines trained the autoencoder again")

    monkeypatch.setattr(runner, "train_autoencoder", no_training)
    again = runner.main([*args, "--keep-baselines"])
    assert [(r["row"], r["space"]) for r in again] == [(r["row"], r["space"]) for r in first]
    for a, b in zip(first, again):
        assert a["knn1_percent"] == pytest.approx(b["knn1_percent"]), (a, b)
