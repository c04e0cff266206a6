"""`keras-gans translate`: a folder of images through CycleGAN/DiscoGAN/DTN."""

import os
import re

import numpy as np
import pytest

from keras_gans.cli import main
from keras_gans.images import encode_png, read_image, to_uint8

FIXTURE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures",
                       "cgan_digits8_tiny")


@pytest.fixture(scope="module")
def cyclegan_file(tmp_path_factory):
    from keras_gans import CycleGAN

    model = CycleGAN(data_shape=(16, 16, 1), filters=4, n_blocks=1, pool_size=2, seed=0)
    path = tmp_path_factory.mktemp("cyclegan") / "model.keras"
    model.save(path)
    return str(path)


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    """Three images: a 16x16 grey PNG (the model's shape), a 20x12 RGB PNG
    (resized and converted) and a 16x16 grey JPEG."""
    import tensorflow as tf

    folder = tmp_path_factory.mktemp("inputs")
    rng = np.random.default_rng(0)
    grey = rng.integers(0, 256, (16, 16, 1), dtype="uint8")
    (folder / "a_grey.png").write_bytes(encode_png(grey))
    (folder / "b_colour.png").write_bytes(
        encode_png(rng.integers(0, 256, (12, 20, 3), dtype="uint8")))
    jpeg = tf.io.encode_jpeg(rng.integers(0, 256, (16, 16, 1), dtype="uint8")).numpy()
    (folder / "c_photo.jpg").write_bytes(jpeg)
    (folder / "notes.txt").write_text("not an image")
    return folder, grey


def test_translate_writes_each_image_under_its_name_and_a_side_by_side_grid(
        tmp_path, cyclegan_file, inputs, capsys):
    import keras

    folder, grey = inputs
    out = tmp_path / "out"
    assert main(["translate", cyclegan_file, "--input-dir", str(folder),
                 "--out", str(out)]) == 0
    said = capsys.readouterr().out
    assert "resizing 1 of 3 images to 16x16" in said and "20x12" in said
    assert "converting 1 of 3 images to grayscale" in said
    assert sorted(os.listdir(out)) == ["a_grey.png", "b_colour.png", "c_photo.png"]
    model = keras.saving.load_model(cyclegan_file)
    # the image already in the model's shape: exactly generator_ab of its pixels
    want = to_uint8(np.clip(model.translate((grey[None] / 127.5 - 1).astype("float32")),
                            -1, 1))[0]
    np.testing.assert_array_equal(read_image(out / "a_grey.png"), want)
    for name in os.listdir(out):
        assert read_image(out / name).shape == (16, 16, 1)
    # inputs beside translations: 3 pairs in one row of 6 tiles of 16 px, 1 px apart
    side = tmp_path / "out_side_by_side.png"
    assert read_image(side).shape == (1 + 17, 1 + 6 * 17, 1)
    np.testing.assert_array_equal(read_image(side)[1:17, 18:34], want)

    # b2a runs the other generator
    back = tmp_path / "back"
    assert main(["translate", cyclegan_file, "--input-dir", str(folder), "--out", str(back),
                 "--direction", "b2a", "--grid", str(tmp_path / "g.png")]) == 0
    want_ba = to_uint8(np.clip(model.translate((grey[None] / 127.5 - 1).astype("float32"),
                                               direction="b2a"), -1, 1))[0]
    np.testing.assert_array_equal(read_image(back / "a_grey.png"), want_ba)
    assert not np.array_equal(want_ba, want)


def test_translate_keeps_existing_outputs_unless_overwrite(tmp_path, cyclegan_file, inputs,
                                                            capsys):
    folder, _ = inputs
    out = tmp_path / "out"
    out.mkdir()
    (out / "b_colour.png").write_bytes(b"mine")
    args = ["translate", cyclegan_file, "--input-dir", str(folder), "--out", str(out)]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "b_colour.png exists" in err and "--overwrite" in err
    assert (out / "b_colour.png").read_bytes() == b"mine"
    assert sorted(os.listdir(out)) == ["b_colour.png"]  # nothing else written either
    assert main([*args, "--overwrite"]) == 0
    assert read_image(out / "b_colour.png").shape == (16, 16, 1)
    # --out the input folder itself would replace the inputs
    assert main(["translate", cyclegan_file, "--input-dir", str(folder),
                 "--out", str(folder), "--overwrite"]) == 2
    assert "--out must be another folder" in capsys.readouterr().err


def test_translate_refuses_what_it_cannot_translate(tmp_path, cyclegan_file, inputs, capsys):
    folder, _ = inputs
    empty = tmp_path / "empty"
    (empty / "sub").mkdir(parents=True)
    (empty / "sub" / "x.png").write_bytes(encode_png(np.zeros((4, 4), "uint8")))
    cases = [
        (["translate", cyclegan_file, "--input-dir", str(empty)],
         "No PNG/JPEG images in .*Its subfolders hold 1"),
        (["translate", cyclegan_file, "--input-dir", str(tmp_path / "missing")],
         "is not a folder"),
        (["translate", FIXTURE, "--input-dir", str(folder)],
         "ConditionalGAN generates images from noise.*keras-gans sample"),
        (["sample", cyclegan_file],
         "translates images rather than generating them; use keras-gans translate"),
    ]
    for args, message in cases:
        out = ["--out", str(tmp_path / ("x.png" if args[0] == "sample" else "x"))]
        assert main([*args, *out]) == 2, args
        err = capsys.readouterr().err
        assert re.search(message, err), err
        assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert not (tmp_path / "x").exists()


def test_translate_with_a_domain_transfer_network(tmp_path, inputs, capsys):
    import keras

    from keras_gans import DomainTransferNetwork
    from keras_gans.networks.classifier import conv_classifier

    folder, _ = inputs
    f = conv_classifier(input_shape=(28, 28, 1), filters=4, feature_dim=8, seed=0)
    model = DomainTransferNetwork(f, filters=4, seed=0)
    path = tmp_path / "dtn.keras"
    model.save(path)
    out = tmp_path / "out"
    assert main(["translate", str(path), "--input-dir", str(folder), "--out", str(out)]) == 0
    said = capsys.readouterr().out
    assert "source to target" in said and "resizing 3 of 3 images to 28x28" in said
    loaded = keras.saving.load_model(path)
    x = read_image(folder / "a_grey.png", size=(28, 28), channels=1)
    want = to_uint8(np.clip(loaded.translate((x[None] / 127.5 - 1).astype("float32")),
                            -1, 1))[0]
    np.testing.assert_array_equal(read_image(out / "a_grey.png"), want)
    assert main(["translate", str(path), "--input-dir", str(folder), "--out",
                 str(tmp_path / "o2"), "--direction", "b2a"]) == 2
    assert "translates one way" in capsys.readouterr().err


def test_images_read_the_same_without_pillow(tmp_path, monkeypatch):
    """Without Pillow the files are decoded by TensorFlow, to the same pixels."""
    from keras_gans import images

    rng = np.random.default_rng(1)
    rgb = rng.integers(0, 256, (6, 5, 3), dtype="uint8")
    path = tmp_path / "x.png"
    path.write_bytes(encode_png(rgb))
    with_pil = images.read_image(path)
    monkeypatch.setattr(images, "_pil", lambda: None)
    np.testing.assert_array_equal(images.read_image(path), rgb)
    np.testing.assert_array_equal(with_pil, rgb)
    assert images.image_info(path) == (6, 5, 3)
    assert images.read_image(path, size=(3, 4), channels=1).shape == (3, 4, 1)
