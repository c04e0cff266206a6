"""`keras-gans export` and `keras-gans project`, end to end."""

import json
import os

import keras
import numpy as np
import pytest

from keras_gans.cli import main
from keras_gans.images import atomic_write, encode_png, to_uint8

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
BACKEND = keras.backend.backend()


def _export_format():
    """A format this backend's Keras exporter writes without optional packages."""
    import importlib.util

    if BACKEND == "torch":
        return "onnx" if importlib.util.find_spec("onnxscript") else None
    return "tf_saved_model"


@pytest.mark.slow
def test_export_writes_an_artifact_that_matches_the_preset(tmp_path, capsys):
    fmt = _export_format()
    if fmt is None:
        pytest.skip("torch exports ONNX only; needs keras-gans[export]")
    path = str(tmp_path / ("dcgan.onnx" if fmt == "onnx" else "dcgan"))
    assert main(["export", "dcgan_mnist", path, "--format", fmt]) == 0
    assert "DCGAN generator as" in capsys.readouterr().out
    from test_export import run_artifact

    import keras_gans

    z = np.random.default_rng(4).standard_normal((3, 100)).astype("float32")
    expected = keras_gans.presets.from_preset("dcgan_mnist").generate(3, seed=4)
    np.testing.assert_allclose(run_artifact(path, fmt, {"z": z}), expected, atol=2e-5)
    # an existing path is kept unless --overwrite
    assert main(["export", "dcgan_mnist", path, "--format", fmt]) == 2
    assert "--overwrite" in capsys.readouterr().err


def test_export_refuses_a_format_the_backend_cannot_write(tmp_path, capsys):
    fmt = "tf_saved_model" if BACKEND == "torch" else None
    if fmt is None:
        pytest.skip("every format runs on this backend (torch is the one without SavedModel)")
    assert main(["export", "dcgan_mnist", str(tmp_path / "g"), "--format", fmt]) == 2
    err = capsys.readouterr().err
    assert "torch backend cannot export format='tf_saved_model'" in err
    assert "tensorflow, jax" in err


@pytest.mark.slow
def test_project_writes_grid_latents_and_errors_from_a_folder(tmp_path, capsys):
    import keras_gans

    model = keras_gans.presets.from_preset("dcgan_mnist")
    folder = tmp_path / "digits"
    folder.mkdir()
    for i, image in enumerate(to_uint8(model.generate(3, seed=11))):
        atomic_write(str(folder / f"d{i}.png"), encode_png(image))
    out = tmp_path / "projected"
    assert main(["project", "dcgan_mnist", str(folder), "--steps", "30",
                 "--out", str(out)]) == 0
    said = capsys.readouterr().out
    assert "projected 3 images into z in 30 steps" in said
    assert "mnist_classifier" in said  # the preset's dataset picks the feature network
    assert (out / "reconstructions.png").read_bytes()[:8] == PNG_SIGNATURE
    latents = np.load(out / "latents.npy")
    assert latents.shape == (3, 100)
    errors = json.loads((out / "errors.json").read_text())
    assert len(errors["mse"]) == 3 and errors["feature_network"] == "mnist_classifier"
    assert errors["mean_mse"] < errors["mean_initial_mse"]
    # the saved latents reproduce the reported errors
    x = keras_gans.data.scale_images(np.stack(
        [keras_gans.images.read_image(str(folder / f"d{i}.png")) for i in range(3)]))
    recon = keras.ops.convert_to_numpy(model.generator(latents, training=False))
    np.testing.assert_allclose(np.mean((recon - x) ** 2, axis=(1, 2, 3)), errors["mse"],
                               rtol=1e-3, atol=1e-6)
    assert main(["project", "dcgan_mnist", str(folder), "--steps", "1",
                 "--out", str(out)]) == 2
    assert "--overwrite" in capsys.readouterr().err


@pytest.mark.slow
def test_project_reads_npz_with_labels_for_a_conditional_preset(tmp_path, capsys):
    import keras_gans

    model = keras_gans.presets.from_preset("conditional_gan_mnist")
    y = np.array([3, 7], "int64")
    images = to_uint8(model.generate(2, labels=y, seed=2))[..., 0]  # (N, 28, 28) uint8
    np.savez(tmp_path / "d.npz", x_test=images, y_test=y)
    out = tmp_path / "p"
    assert main(["project", "conditional_gan_mnist", str(tmp_path / "d.npz"), "--steps", "5",
                 "--dataset", "none", "--out", str(out)]) == 0
    errors = json.loads((out / "errors.json").read_text())
    assert errors["feature_network"] is None and len(errors["mse"]) == 2


def test_project_refuses_a_translator(tmp_path, capsys):
    import keras_gans

    model = keras_gans.CycleGAN(data_shape=(16, 16, 1), filters=4, n_blocks=1, pool_size=0)
    path = str(tmp_path / "cyc.keras")
    model.save(path)
    np.savez(tmp_path / "x.npz", x=np.zeros((1, 16, 16, 1), "uint8"))
    assert main(["project", path, str(tmp_path / "x.npz"), "--out", str(tmp_path / "o")]) == 2
    assert "translates images" in capsys.readouterr().err
    assert not os.path.exists(tmp_path / "o")
