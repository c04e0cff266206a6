"""`keras-gans train` for the translators (CycleGAN, DiscoGAN, DTN): a pair of
offline datasets or two folders of images, the DTN's f from a shipped
classifier or a file, the run folder, resume, the samples grid, `translate` on
the model they write, and bad input as one line that writes nothing."""

import json
import os
import re

import keras
import numpy as np
import pytest

from keras_gans.cli import main
from keras_gans.images import encode_png, read_image, to_uint8

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA_DIR = os.environ.get("KERAS_GANS_DATA") or os.path.join(ROOT, "..", "shared", "datasets")
needs_data = pytest.mark.skipif(
    not all(os.path.exists(os.path.join(DATA_DIR, f"{n}.npz")) for n in ("mnist", "usps")),
    reason="the offline datasets mnist.npz and usps.npz (../shared/datasets) are not here")

TINY = ["--limit", "16", "--batch-size", "8", "--epochs", "1", "--no-tensorboard"]
SMALL = {"cyclegan": {"filters": 4, "n_blocks": 1, "pool_size": 2},
         "discogan": {"filters": 4}, "dtn": {"filters": 4}}


def train(variant, out, *flags):
    return main(["train", variant, *TINY, "--options", json.dumps(SMALL[variant]),
                 "--out", str(out), *flags])


def pair(*flags):
    return ["--dataset", "mnist2usps", "--data-dir", DATA_DIR, *flags]


def history(out):
    return json.loads((out / "history.json").read_text())


def tile(png, row, col, side):
    """The image at (row, col) of a grid of ``side``-pixel tiles, 1 px apart."""
    top, left = 1 + row * (side + 1), 1 + col * (side + 1)
    return png[top:top + side, left:left + side]


def write_domain(folder, images):
    folder.mkdir(parents=True)
    for i, image in enumerate(images):
        (folder / f"{i:02d}.png").write_bytes(encode_png(to_uint8(image)))


@pytest.fixture(scope="module")
def digit_folders(tmp_path_factory):
    """Two domains of 12 images at 16 px: grey digits (A) and the same digits
    in colour, mirrored (B): the domains differ in channels, as photos may."""
    from keras_gans.data import load_digits

    x, _ = load_digits(16)
    root = tmp_path_factory.mktemp("domains")
    write_domain(root / "a", x[:12])
    write_domain(root / "b", np.repeat(x[12:24, :, ::-1], 3, axis=-1) * [1.0, 0.5, -0.2])
    return root / "a", root / "b"


@pytest.mark.slow  # two CycleGAN trainings: TF's first CycleGAN step compiles for ~30 s
@needs_data
def test_cyclegan_on_a_pair_writes_its_run_resumes_and_translates(tmp_path, capsys):
    from keras_gans.data import load_pair

    out = tmp_path / "run"
    assert train("cyclegan", out, *pair("--image-size", "16")) == 0
    said = capsys.readouterr().out
    assert "training CycleGAN on mnist2usps (16 + 16 images" in said
    for name in ("model.keras", "recipe.json", "history.json", "backup",
                 "samples/samples_epoch_001.png"):
        assert (out / name).exists(), name
    first = history(out)
    assert [row["epoch"] for row in first] == [1] and first[0]["steps"] == 2
    assert np.isfinite(first[0]["cycle_loss"])
    recipe = json.loads((out / "recipe.json").read_text())
    assert (recipe["variant"], recipe["dataset"], recipe["image_size"]) == (
        "cyclegan", "mnist2usps", 16)
    model = keras.saving.load_model(out / "model.keras")
    assert type(model).__name__ == "CycleGAN" and model.data_shape_a == (16, 16, 1)

    # the grid: rows of 8 domain-A images, each followed by their translations,
    # then the same for domain B translated back
    data = load_pair("mnist2usps", data_dir=DATA_DIR, size=16)
    png = read_image(out / "samples" / "samples_epoch_001.png")
    assert png.shape == (1 + 8 * 17, 1 + 8 * 17, 1)
    for k in range(8):
        np.testing.assert_array_equal(tile(png, 0, k, 16), to_uint8(data.x_a[k]))
        np.testing.assert_array_equal(tile(png, 4, k, 16), to_uint8(data.x_b[k]))
    ab = to_uint8(np.clip(model.translate(data.x_a[:8]), -1, 1))
    ba = to_uint8(np.clip(model.translate(data.x_b[:8], direction="b2a"), -1, 1))
    for k in range(8):
        np.testing.assert_allclose(tile(png, 1, k, 16), ab[k], atol=1)
        np.testing.assert_allclose(tile(png, 5, k, 16), ba[k], atol=1)

    # resume: the history continues the first run's, which stays as it was
    assert train("cyclegan", out, *pair("--image-size", "16", "--epochs", "2",
                                        "--resume")) == 0
    rows = history(out)
    assert [row["epoch"] for row in rows] == [1, 2] and rows[0] == first[0]
    assert (out / "samples" / "samples_epoch_002.png").exists()
    runs = json.loads((out / "recipe.json").read_text())["runs"]
    assert [r["resume"] for r in runs] == [False, True]
    resumed = keras.saving.load_model(out / "model.keras")
    assert any(not np.array_equal(a, b) for a, b in zip(model.get_weights(),
                                                        resumed.get_weights()))
    # without --resume or --overwrite the run is kept
    capsys.readouterr()
    assert train("cyclegan", out, *pair("--image-size", "16")) == 2
    assert "exists and is not empty" in capsys.readouterr().err

    # `keras-gans translate` takes the model the run wrote
    inputs = tmp_path / "inputs"
    write_domain(inputs, data.x_b[:3])
    assert main(["translate", str(out / "model.keras"), "--input-dir", str(inputs),
                 "--out", str(tmp_path / "translated"), "--direction", "b2a"]) == 0
    want = to_uint8(np.clip(resumed.translate(data.x_b[:1], direction="b2a"), -1, 1))[0]
    got = read_image(tmp_path / "translated" / "00.png")
    assert np.abs(got.astype(int) - want.astype(int)).max() <= 1


def test_discogan_on_two_folders_and_overwrite(tmp_path, digit_folders, capsys):
    a, b = digit_folders
    out = tmp_path / "run"
    folders = ["--domain-a", str(a), "--domain-b", str(b)]
    assert train("discogan", out, *folders) == 0
    assert f"training DiscoGAN on {a} and {b} (12 + 12 images" in capsys.readouterr().out
    model = keras.saving.load_model(out / "model.keras")
    # a grey and a colour domain: both colour
    assert model.data_shape_a == model.data_shape_b == (16, 16, 3)
    recipe = json.loads((out / "recipe.json").read_text())
    assert (recipe["domain_a"], recipe["domain_b"]) == (str(a), str(b))
    png = read_image(out / "samples" / "samples_epoch_001.png")
    # 12 images, 16 shown a way: rows of 8 and 4 sources, each with its translations
    assert png.shape == (1 + 8 * 17, 1 + 8 * 17, 3)
    assert len(history(out)) == 1
    # resuming with another folder is refused: the run's data is its recipe
    assert train("discogan", out, "--domain-a", str(a), "--domain-b", str(a), "--resume") == 2
    assert re.search(r"--resume must use the run's recipe; changed: domain_b",
                     capsys.readouterr().err)
    before = (out / "model.keras").read_bytes()
    # --overwrite replaces the run
    assert train("discogan", out, *folders, "--seed", "5", "--overwrite") == 0
    assert (out / "model.keras").read_bytes() != before
    assert json.loads((out / "recipe.json").read_text())["seed"] == 5


@needs_data
def test_discogan_on_a_pair(tmp_path):
    out = tmp_path / "run"
    assert train("discogan", out, *pair()) == 0
    model = keras.saving.load_model(out / "model.keras")
    assert model.data_shape_a == (28, 28, 1)  # the pair's own size
    assert [row["steps"] for row in history(out)] == [2]


def test_cyclegan_on_two_folders(tmp_path, digit_folders):
    a, b = digit_folders
    out = tmp_path / "run"
    assert train("cyclegan", out, "--domain-a", str(a), "--domain-b", str(b),
                 "--image-size", "8") == 0
    model = keras.saving.load_model(out / "model.keras")
    assert model.data_shape_a == (8, 8, 3)


@needs_data
def test_dtn_with_a_shipped_classifier_as_f(tmp_path, capsys):
    from keras_gans.metrics.feature_nets import load_classifier

    out = tmp_path / "run"
    assert train("dtn", out, *pair("--features", "mnist")) == 0
    model = keras.saving.load_model(out / "model.keras")
    assert type(model).__name__ == "DomainTransferNetwork"
    # f is the shipped MNIST classifier, frozen, and it was not changed
    shipped = load_classifier("mnist")
    assert shipped.trainable  # the shipped copy itself is not frozen by the run
    for w, s in zip(model.feature_extractor.get_weights(), shipped.get_weights()):
        np.testing.assert_array_equal(w, s)
    png = read_image(out / "samples" / "samples_epoch_001.png")
    # one way: 16 sources (the --limit), 2 rows of sources and their translations
    assert png.shape == (1 + 4 * 29, 1 + 8 * 29, 1)
    assert "const_loss" in history(out)[0]
    assert main(["translate", str(out / "model.keras"), "--input-dir",
                 str(out / "samples"), "--out", str(tmp_path / "t")]) == 0


def test_dtn_with_f_from_a_file_sets_the_image_size(tmp_path, digit_folders):
    from keras_gans.networks.classifier import conv_classifier

    f = tmp_path / "f.keras"
    conv_classifier((28, 28, 1), 10, 4, feature_dim=8, seed=0, name="f").save(f)
    a, b = digit_folders
    out = tmp_path / "run"
    assert train("dtn", out, "--domain-a", str(a), "--domain-b", str(b),
                 "--features", str(f)) == 0
    model = keras.saving.load_model(out / "model.keras")
    # f takes grey 28 px images: both 16 px domains were resized, B made grey
    assert model.data_shape_a == model.data_shape_b == (28, 28, 1)
    assert json.loads((out / "recipe.json").read_text())["features"] == str(f)


@pytest.mark.slow
def test_an_interrupted_and_resumed_translator_ends_with_the_same_weights(tmp_path,
                                                                          digit_folders):
    """The domains' pairing comes from (seed, epoch), so resuming changes nothing."""
    a, b = digit_folders
    base = ["--domain-a", str(a), "--domain-b", str(b), "--batch-size", "4"]
    assert train("discogan", tmp_path / "x", *base, "--epochs", "2") == 0
    assert train("discogan", tmp_path / "y", *base) == 0
    assert train("discogan", tmp_path / "y", *base, "--epochs", "2", "--resume") == 0
    x = keras.saving.load_model(tmp_path / "x" / "model.keras").get_weights()
    y = keras.saving.load_model(tmp_path / "y" / "model.keras").get_weights()
    for wx, wy in zip(x, y):
        np.testing.assert_array_equal(wx, wy)


def fails_clearly(capsys, argv, message, out):
    """``main(argv)`` exits 2 with one stderr line matching ``message`` and
    writes no run folder."""
    assert main(argv) == 2, argv
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert re.search(message, lines[0]), lines[0]
    assert not out.exists(), argv


def test_bad_input_is_one_line_that_names_the_fix_and_writes_nothing(
        tmp_path, digit_folders, capsys):
    a, b = digit_folders
    out = tmp_path / "run"
    run = ["--out", str(out), "--epochs", "1"]
    wide = tmp_path / "wide"
    write_domain(wide, np.zeros((2, 16, 24, 1), "float32"))
    (tmp_path / "not_a_model.keras").write_text("no")
    for argv, message in (
            (["cyclegan"], (r"cyclegan translates between two domains.*--dataset digits is "
                            r"one dataset.*--dataset mnist2usps.*--domain-a DIR --domain-b DIR")),
            (["discogan", "--domain-a", str(a)], "--domain-a needs --domain-b"),
            (["cyclegan", "--domain-b", str(b)], "--domain-b needs --domain-a"),
            (["cyclegan", "--domain-a", str(a), "--domain-b", str(tmp_path / "nope")],
             r"--domain-b .*nope: no such folder"),
            (["cyclegan", "--dataset", "mnist2usps", "--domain-a", str(a), "--domain-b",
              str(b)], "both name the data; pass one of them"),
            (["cyclegan", "--domain-a", str(a), "--domain-b", str(wide)],
             r"--domain-a images are 16x16 and --domain-b images 24x16.*--image-size 24"),
            (["dtn", "--domain-a", str(a), "--domain-b", str(b)],
             r"dtn needs its feature extractor f.*--features mnist.*--features f.keras"),
            (["dtn", "--domain-a", str(a), "--domain-b", str(b), "--features", "mnsit"],
             r"--features 'mnsit': not a shipped classifier.*Did you mean 'mnist'"),
            (["dtn", "--domain-a", str(a), "--domain-b", str(b), "--features",
              str(tmp_path / "f.keras")], r"--features .*f.keras: no such file"),
            (["dtn", "--domain-a", str(a), "--domain-b", str(b), "--features",
              str(tmp_path / "not_a_model.keras")], "not a Keras model file"),
            (["dtn", "--domain-a", str(a), "--domain-b", str(b), "--features", "mnist",
              "--image-size", "16"], r"f takes 28x28 images; drop --image-size"),
            (["cyclegan", "--domain-a", str(a), "--domain-b", str(b), "--features", "mnist"],
             "--features is the DTN's feature extractor; cyclegan has none"),
            (["cyclegan", "--domain-a", str(a), "--domain-b", str(b), "--latent-dim", "8"],
             "no latent space: drop --latent-dim"),
            (["cyclegan", "--domain-a", str(a), "--domain-b", str(b), "--eval-metric", "fid"],
             "drop --eval-metric"),
            (["cyclegan", "--domain-a", str(a), "--domain-b", str(b), "--options",
              '{"filtrs": 4}'], r"takes no such argument.*Did you mean 'filters'"),
            (["cyclegan", "--domain-a", str(a), "--domain-b", str(b), "--options",
              '{"data_shape": [8, 8, 1]}'], "the command line sets it"),
            (["dcgan", "--domain-a", str(a), "--domain-b", str(b)],
             (r"--domain-a is for the translators \(cyclegan, discogan, dtn\); dcgan trains "
              "on one --dataset")),
            (["dcgan", "--dataset", "mnist2usps"],
             r"--dataset mnist2usps is a pair of domains.*e.g. --dataset mnist"),
            (["dcgan", "--features", "mnist"], "dcgan has none: drop --features"),
            (["cyclegan", "--options", "[1]"], r"--options must be a JSON object"),
            (["cyclegan", "--options", "{filters: 4}"], r"--options is not valid JSON"),
    ):
        fails_clearly(capsys, ["train", *argv, *run], message, out)
