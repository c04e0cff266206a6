"""keras_gans.presets: save, load by name, sha256 checks, refusals, remote
fetch, and weights written on one backend serving every backend."""

import json
import os
import shutil
import subprocess
import sys

import keras
import numpy as np
import pytest

from keras_gans import DCGAN, GAN, ConditionalGAN, GANModel, presets
from keras_gans.errors import GANConfigError, GANInputError

HERE = os.path.dirname(os.path.abspath(__file__))
# Written on JAX by a 2-epoch run (see its metadata): the cross-backend proof.
FIXTURE = os.path.join(HERE, "fixtures", "cgan_digits8_tiny")


def test_a_preset_written_on_jax_reproduces_its_output_here():
    meta = presets.read_metadata(FIXTURE)
    assert meta["check"]["backend"] == "jax"
    model = ConditionalGAN.from_preset(FIXTURE)
    expected, got = presets.run_output_check(model, meta["check"])
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)
    # the check is not vacuous: other weights give other outputs
    fresh = presets.from_preset(FIXTURE, load_weights=False)
    _, other = presets.run_output_check(fresh, meta["check"])
    assert np.abs(other - expected).max() > 1e-2
    assert model.optimizer is not None  # compiled, ready to fine-tune


def test_seeded_sampling_is_the_same_on_every_backend():
    model = presets.from_preset(FIXTURE)
    z = np.random.default_rng(7).standard_normal((3, model.latent_dim)).astype("float32")
    direct = keras.ops.convert_to_numpy(model._g(
        keras.ops.convert_to_tensor(z), model.one_hot(np.array([1, 2, 3])), training=False))
    np.testing.assert_allclose(model.generate(3, labels=[1, 2, 3], seed=7), direct,
                               rtol=1e-6, atol=1e-6)


@pytest.fixture(scope="module")
def _saved_once(tmp_path_factory, digits8):
    model = GAN(data_shape=(8, 8, 1), latent_dim=4, seed=0)
    model.compile()
    model.fit(digits8[0][:64], batch_size=32, epochs=1, verbose=0)
    folder = presets.save_to_preset(model, tmp_path_factory.mktemp("p") / "gan_digits8",
                                    {"description": "test", "dataset": "digits"})
    return model, folder


@pytest.fixture
def saved(_saved_once, tmp_path):
    """A fresh copy of one saved preset per test (tests corrupt their copy)."""
    model, folder = _saved_once
    return model, shutil.copytree(folder, tmp_path / "presets" / folder.name)


def test_round_trip_keeps_weights_and_writes_a_full_card(saved):
    model, folder = saved
    loaded = GAN.from_preset(folder)
    for a, b in zip(model.get_weights(), loaded.get_weights()):
        np.testing.assert_array_equal(a, b)
    meta = json.loads((folder / "metadata.json").read_text())
    assert set(meta["sha256"]) == {"config.json", "model.weights.h5", "samples.png"}
    assert meta["parameters"]["total"] == sum(int(np.prod(w.shape)) for w in model.weights)
    assert meta["parameters"]["generator"] + meta["parameters"]["discriminator"] == \
        meta["parameters"]["total"]
    assert (folder / "samples.png").read_bytes()[:4] == b"\x89PNG"
    assert meta["variant"] == "GAN" and meta["description"] == "test"
    with pytest.raises(GANConfigError, match="overwrite=True"):
        presets.save_to_preset(model, folder)


def test_corrupt_or_truncated_weights_are_refused(saved):
    _, folder = saved
    path = folder / "model.weights.h5"
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(GANInputError, match="corrupt or was changed"):
        GANModel.from_preset(folder)
    path.write_bytes(data)
    GANModel.from_preset(folder)  # intact again: loads


def test_unknown_name_lists_the_known_presets(monkeypatch, saved):
    _, folder = saved
    monkeypatch.setenv(presets.DIR_ENV, str(folder.parent))
    assert "gan_digits8" in presets.list_presets()
    with pytest.raises(GANConfigError, match=r"Known presets: .*'gan_digits8'.*Did you mean"):
        presets.from_preset("gan_digit8")
    assert isinstance(GAN.from_preset("gan_digits8"), GAN)


def test_a_preset_of_another_variant_is_refused(saved):
    _, folder = saved
    with pytest.raises(GANConfigError, match="is a GAN, not a DCGAN"):
        DCGAN.from_preset(folder)


def test_a_preset_from_a_newer_version_is_refused(saved):
    _, folder = saved
    meta = json.loads((folder / "metadata.json").read_text())
    meta["keras_gans_version"] = "99.0.0"
    (folder / "metadata.json").write_text(json.dumps(meta))
    with pytest.raises(GANConfigError, match="Upgrade keras-gans"):
        GANModel.from_preset(folder)


def test_a_remote_preset_is_fetched_and_checked(tmp_path, monkeypatch, saved):
    model, folder = saved
    remote = tmp_path / "remote"
    shutil.copytree(folder, remote / "gan_remote")
    monkeypatch.setenv(presets.URL_ENV, (remote).as_uri())
    monkeypatch.setenv(presets.CACHE_ENV, str(tmp_path / "cache"))
    loaded = GANModel.from_preset("gan_remote")
    np.testing.assert_array_equal(loaded.get_weights()[0], model.get_weights()[0])
    # a tampered remote file fails its sha256 when fetched
    shutil.rmtree(tmp_path / "cache")
    (remote / "gan_remote" / "model.weights.h5").write_bytes(b"not weights")
    with pytest.raises(Exception, match="(?i)hash|sha256|corrupt"):
        GANModel.from_preset("gan_remote")


@pytest.mark.slow
@pytest.mark.skipif(os.environ.get("KERAS_BACKEND") != "torch",
                    reason="backend-independent packaging check, run once (in the torch run)")
def test_the_installed_package_carries_its_assets_and_zoo(tmp_path):
    """`pip install .` (not the source tree) holds the evaluation classifiers and
    the zoo folder, and they load from there."""
    root = os.path.dirname(HERE)
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps",
                    "--no-build-isolation", "--no-compile", "--target", str(target), root],
                   check=True, capture_output=True)
    code = (
        "import keras_gans, keras_gans.presets as p, keras_gans.metrics.feature_nets as f;"
        f"assert keras_gans.__file__.startswith({str(target)!r}), keras_gans.__file__;"
        "f.load_classifier('mnist');"
        "print(sorted(p.list_presets()), [str(d) for d in p.zoo_dirs()])"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, check=True,
                         capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": str(target),
                              # inference only: the light numpy backend is enough
                              "KERAS_BACKEND": "numpy"}).stdout
    names, dirs = out.strip().rsplit("] [", 1)
    assert str(target / "keras_gans" / "zoo") in dirs
    installed = set(eval(names + "]"))
    assert installed == set(presets.list_presets())


def test_a_float16_preset_is_half_the_size_and_stores_the_measured_weights(tmp_path, digits8):
    model = GAN(data_shape=(8, 8, 1), latent_dim=4, hidden=(256, 256), seed=0)
    model.compile()
    model.fit(digits8[0][:64], batch_size=32, epochs=1, verbose=0)
    full = presets.save_to_preset(model, tmp_path / "full", {"description": "t"})
    before = [np.array(w) for w in model.get_weights()]
    half = presets.save_to_preset(model, tmp_path / "half", {"description": "t"},
                                  weights_dtype="float16")
    size = lambda d: os.path.getsize(d / "model.weights.h5")  # noqa: E731
    assert size(half) < 0.6 * size(full), (size(half), size(full))
    # the model in memory was rounded, so what it measures is what is stored
    after = model.get_weights()
    assert max(float(np.abs(a - b).max()) for a, b in zip(before, after)) > 0
    loaded = GAN.from_preset(half)
    for a, b in zip(after, loaded.get_weights()):
        assert b.dtype == np.float32
        np.testing.assert_array_equal(a, b)
    meta = presets.read_metadata(half)
    assert meta["weights_dtype"] == "float16"
    expected, got = presets.run_output_check(loaded, meta["check"])
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-6)


def test_float16_storage_refuses_weights_beyond_its_range(tmp_path, digits8):
    model = GAN(data_shape=(8, 8, 1), latent_dim=4, hidden=(8, 8), seed=0)
    model.compile()
    model.generator.weights[0].assign(np.full(model.generator.weights[0].shape, 1e6, "float32"))
    with pytest.raises(GANConfigError, match="float16's range"):
        presets.save_to_preset(model, tmp_path / "big", weights_dtype="float16")
