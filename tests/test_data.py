"""Data loaders: local .npz files, scikit-learn digits, 2-D Gaussian mixtures."""

import os
import re
import socket
import sys
import time

import numpy as np
import pytest

from keras_gans import GANConfigError, GANInputError
from keras_gans.data import (
    MIXTURES,
    load,
    load_digits,
    load_mixture,
    mixture_modes,
    scale_images,
)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED_DATASETS = os.path.normpath(os.path.join(ROOT, "..", "shared", "datasets"))


def write_npz(folder, name="tiny", keys=("x_train", "y_train", "x_test", "y_test")):
    rng = np.random.default_rng(0)
    arrays = {
        "x_train": rng.integers(0, 256, (6, 8, 8)).astype("uint8"),
        "y_train": rng.integers(0, 10, 6).astype("uint8"),
        "x_test": rng.integers(0, 256, (3, 8, 8)).astype("uint8"),
        "y_test": rng.integers(0, 10, 3).astype("uint8"),
    }
    arrays["x_train"][0, 0, :2] = (0, 255)  # both ends of the range are present
    arrays = {k: v for k, v in arrays.items() if k in keys}
    np.savez_compressed(os.path.join(folder, f"{name}.npz"), **arrays)
    return arrays


def assert_scaled_like(x, raw):
    assert x.dtype == np.float32
    assert x.shape == (*raw.shape, 1)  # a channel axis was added
    np.testing.assert_allclose(x[..., 0], raw.astype("float32") / 127.5 - 1.0, atol=1e-6)
    assert x.min() >= -1.0 and x.max() <= 1.0


@pytest.fixture
def no_network(monkeypatch):
    """Any attempt to reach tensorflow-datasets or the network fails loudly."""
    monkeypatch.setitem(sys.modules, "tensorflow_datasets", None)

    def refuse(*args, **kwargs):
        raise AssertionError("the loader tried to open a network connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.delenv("KERAS_GANS_DATA", raising=False)


# ------------------------------------------------------------------ local .npz
def test_load_from_data_dir(tmp_path, no_network):
    raw = write_npz(tmp_path)
    x, y = load("tiny", data_dir=tmp_path)
    assert_scaled_like(x, raw["x_train"])
    assert x.min() == -1.0 and x.max() == 1.0
    assert y.dtype == np.int64
    np.testing.assert_array_equal(y, raw["y_train"])


def test_load_from_env_var(tmp_path, no_network, monkeypatch):
    raw = write_npz(tmp_path)
    monkeypatch.setenv("KERAS_GANS_DATA", str(tmp_path))
    x, y = load("tiny")
    assert_scaled_like(x, raw["x_train"])
    np.testing.assert_array_equal(y, raw["y_train"])
    assert load("tiny", with_labels=False).shape == x.shape


def test_data_dir_comes_before_env_var(tmp_path, no_network, monkeypatch):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    write_npz(tmp_path / "a")
    np.savez(tmp_path / "b" / "tiny.npz", x_train=np.zeros((2, 4, 4), "uint8"),
             y_train=np.zeros(2, "uint8"))
    monkeypatch.setenv("KERAS_GANS_DATA", str(tmp_path / "b"))
    assert load("tiny", data_dir=tmp_path / "a")[0].shape == (6, 8, 8, 1)
    assert load("tiny")[0].shape == (2, 4, 4, 1)


def test_test_split(tmp_path, no_network):
    raw = write_npz(tmp_path)
    x, y = load("tiny", split="test", data_dir=tmp_path)
    assert_scaled_like(x, raw["x_test"])
    np.testing.assert_array_equal(y, raw["y_test"])


def test_unknown_split_name(tmp_path, no_network):
    write_npz(tmp_path)
    with pytest.raises(GANConfigError, match=r"split must be 'train' or 'test'; got 'valid'"):
        load("tiny", split="valid", data_dir=tmp_path)


def test_resize(tmp_path, no_network):
    write_npz(tmp_path)
    x, y = load("tiny", data_dir=tmp_path, size=16)
    assert x.shape == (6, 16, 16, 1) and x.dtype == np.float32
    assert x.min() >= -1.0 and x.max() <= 1.0
    assert len(y) == 6
    small, _ = load("tiny", data_dir=tmp_path)
    # bilinear upsampling keeps the mean brightness of each image
    np.testing.assert_allclose(x.mean(axis=(1, 2, 3)), small.mean(axis=(1, 2, 3)), atol=0.1)


def test_corrupt_npz_names_the_file(tmp_path, no_network):
    path = tmp_path / "broken.npz"
    path.write_bytes(np.random.default_rng(0).bytes(512))
    with pytest.raises(GANInputError, match=re.escape(f"{path} is not an .npz file")
                       + r".*Re-create it") as info:
        load("broken", data_dir=tmp_path)
    assert "pickle" not in str(info.value)  # numpy's advice, unsafe and no help here


def test_missing_split_key(tmp_path, no_network):
    write_npz(tmp_path, keys=("x_train", "y_train"))
    assert load("tiny", data_dir=tmp_path)[0].shape == (6, 8, 8, 1)
    with pytest.raises(GANInputError, match=re.escape(str(tmp_path / "tiny.npz"))
                       + r" has no 'x_test' array \(it has \['x_train', 'y_train'\]\).*test split"):
        load("tiny", split="test", data_dir=tmp_path)


def test_unknown_dataset_fails_fast_without_network(tmp_path, no_network):
    write_npz(tmp_path)  # another name is there; "nosuch" is not
    start = time.perf_counter()
    with pytest.raises(GANConfigError, match=r"Unknown dataset 'nosuch': no local file "
                       r"nosuch\.npz.*tiny.*put nosuch\.npz with x_train, y_train, x_test, "
                       r"y_test in a folder and pass data_dir= \(--data-dir"):
        load("nosuch", data_dir=tmp_path)
    assert time.perf_counter() - start < 2.0
    with pytest.raises(GANConfigError, match="Did you mean 'fashion_mnist'"):
        load("fashon_mnist", data_dir=tmp_path)


def test_the_tensorflow_datasets_fallback_imports_what_it_needs(tmp_path):
    """tfds as installed by the [tensorflow] extra gets as far as its download
    (which needs the network) without a missing module: it once stopped at
    ``No module named 'importlib_resources'``. Nothing is downloaded here."""
    tfds = pytest.importorskip("tensorflow_datasets",
                               reason="the fallback is part of the [tensorflow] extra")
    builder = tfds.builder("mnist", data_dir=str(tmp_path))
    assert builder.url_infos  # the checksums tfds reads before it downloads


# ------------------------------------------------------------------ digits
def test_load_digits_resized():
    x, y = load_digits(28)
    assert x.shape == (1797, 28, 28, 1) and x.dtype == np.float32
    assert x.min() >= -1.0 and x.max() <= 1.0
    assert x.min() < -0.99 and x.max() > 0.9  # background and strokes both present
    assert y.shape == (1797,) and set(np.unique(y)) == set(range(10))
    x8, y8 = load("digits")
    assert x8.shape == (1797, 8, 8, 1)
    np.testing.assert_array_equal(y8, y)


# ------------------------------------------------------------------ mixtures
@pytest.mark.parametrize("name,n_modes", [("ring8", 8), ("grid25", 25)])
def test_mixture_points_lie_near_their_modes(name, n_modes):
    modes, std = mixture_modes(name)
    assert modes.shape == (n_modes, 2)
    assert std == MIXTURES[name][1]
    x = load_mixture(name, n=4000, seed=1)
    assert x.shape == (4000, 2) and x.dtype == np.float32
    dist = np.linalg.norm(x[:, None, :] - modes[None], axis=-1)
    nearest = dist.min(axis=1)
    assert nearest.max() < 6 * std
    assert 0.5 * std < nearest.mean() < 2 * std  # Rayleigh mean is ~1.25 σ
    counts = np.bincount(dist.argmin(axis=1), minlength=n_modes)
    assert counts.min() > 0.5 * 4000 / n_modes  # every mode equally likely
    np.testing.assert_array_equal(x, load_mixture(name, n=4000, seed=1))
    assert not np.array_equal(x, load_mixture(name, n=4000, seed=2))


def test_ring8_modes_on_circle_and_grid25_modes_on_grid():
    ring, _ = mixture_modes("ring8")
    np.testing.assert_allclose(np.linalg.norm(ring, axis=1), 2.0, atol=1e-6)
    grid, _ = mixture_modes("grid25")
    assert sorted(set(grid[:, 0].tolist())) == [-4, -2, 0, 2, 4]
    assert len({tuple(p) for p in grid.tolist()}) == 25


def test_mixture_std_override():
    modes, std = mixture_modes("ring8", std=0.3)
    assert std == 0.3
    x = load_mixture("ring8", n=4000, std=0.3)
    nearest = np.linalg.norm(x[:, None, :] - modes[None], axis=-1).min(axis=1)
    # residuals are N(0, 0.3² I): mean distance ≈ 0.3 * sqrt(pi/2) ≈ 0.376
    assert 0.3 < nearest.mean() < 0.45
    default = load_mixture("ring8", n=4000)
    assert np.linalg.norm(default[:, None, :] - modes[None], axis=-1).min(axis=1).mean() < 0.05


def test_unknown_mixture():
    with pytest.raises(GANConfigError, match=r"Unknown mixture 'ring9'.*Did you mean 'ring8'\?"):
        load_mixture("ring9")
    with pytest.raises(GANConfigError, match=r"known: \['grid25', 'ring8'\]"):
        mixture_modes("spiral")


# ------------------------------------------------------------------ scale_images
def test_scale_images_uint8():
    x = np.array([[[0, 255], [127, 128]]], dtype="uint8")  # (1, 2, 2)
    out = scale_images(x)
    assert out.dtype == np.float32 and out.shape == (1, 2, 2, 1)
    np.testing.assert_allclose(out[0, :, :, 0], [[-1.0, 1.0], [127 / 127.5 - 1, 128 / 127.5 - 1]],
                               atol=1e-6)
    rgb = np.full((2, 3, 3, 3), 255, "uint8")
    assert scale_images(rgb).shape == (2, 3, 3, 3) and np.all(scale_images(rgb) == 1.0)


def test_scale_images_floats():
    scaled = np.linspace(-1, 1, 16, dtype="float64").reshape(1, 4, 4, 1)
    np.testing.assert_allclose(scale_images(scaled), scaled, atol=1e-7)  # already in range
    assert scale_images(scaled).dtype == np.float32
    raw = np.array([[[0.0, 255.0]]])
    np.testing.assert_allclose(scale_images(raw)[..., 0], [[[-1.0, 1.0]]])
    with pytest.raises(GANInputError, match=r"range over \[-3\.0, 2\.0\]; expected 0\.\.255 or \[-1, 1\]"):
        scale_images(np.array([[[-3.0, 2.0]]]))
    with pytest.raises(GANInputError, match=r"Expected images \(N, H, W\[, C\]\); got .*\(4, 2\)"):
        scale_images(np.zeros((4, 2), "uint8"))


# ------------------------------------------------------------------ shared MNIST
@pytest.mark.skipif(
    not os.path.exists(os.path.join(SHARED_DATASETS, "mnist.npz")),
    reason=f"no {SHARED_DATASETS}/mnist.npz (the shared offline datasets; CI has them)",
)
def test_load_mnist_from_shared_folder(no_network):
    x, y = load("mnist", split="test", data_dir=SHARED_DATASETS)
    assert x.shape == (10000, 28, 28, 1) and x.dtype == np.float32
    assert x.min() == -1.0 and x.max() == 1.0
    assert y.shape == (10000,)
    np.testing.assert_array_equal(
        np.bincount(y), [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    )
