"""export_generator: the exported artifact computes what the Keras model does.

Each test runs on the backend KERAS_BACKEND names, for the formats that
backend's Keras exporter writes (tf_saved_model: TensorFlow, JAX; onnx:
TensorFlow, torch, and JAX when jax2onnx is installed). A SavedModel is
reloaded with tf.saved_model.load, an ONNX file run with onnxruntime; both are
compared with the model's own outputs for the same inputs.
"""

import importlib.util
import os

import keras
import numpy as np
import pytest

import keras_gans
from keras_gans import export as ex
from keras_gans.errors import GANConfigError

BACKEND = keras.backend.backend()
ATOL = 2e-5  # float32: different kernels (oneDNN, onnxruntime) reorder sums


def _formats():
    out = []
    for fmt, backends in ex.FORMATS.items():
        if BACKEND not in backends:
            continue
        modules, extra = ex._NEEDS[(fmt, BACKEND)]
        missing = [m for m in (*modules, "onnxruntime" if fmt == "onnx" else "tensorflow")
                   if importlib.util.find_spec(m) is None]
        marks = [pytest.mark.skip(reason=f"{fmt} on {BACKEND} needs {missing}: "
                                  f"pip install 'keras-gans[{extra}]'")] if missing else []
        out.append(pytest.param(fmt, marks=marks, id=fmt))
    return out


FORMATS = _formats()


def _path(tmp_path, fmt, name):
    return str(tmp_path / (f"{name}.onnx" if fmt == "onnx" else name))


def run_artifact(path, fmt, feeds):
    """Run an exported artifact on ``feeds`` (input name -> numpy array)."""
    if fmt == "tf_saved_model":
        import tensorflow as tf

        signature = tf.saved_model.load(path).signatures["serving_default"]
        names = signature.structured_input_signature[1]
        assert set(names) == set(feeds), (sorted(names), sorted(feeds))
        out = signature(**{k: tf.constant(v) for k, v in feeds.items()})
        (value,) = out.values()
        return value.numpy()
    import onnxruntime as ort

    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    names = [i.name for i in session.get_inputs()]
    assert set(names) == set(feeds), (names, sorted(feeds))
    return session.run(None, {k: feeds[k] for k in names})[0]


def _z(n, dim, seed=0):
    return np.random.default_rng(seed).standard_normal((n, dim)).astype("float32")


# ------------------------------------------------------------- tiny models
@pytest.mark.parametrize("fmt", FORMATS)
def test_dcgan_generator_round_trip(tmp_path, fmt):
    model = keras_gans.DCGAN(data_shape=(28, 28, 1), latent_dim=8, filters=8, seed=0)
    path = keras_gans.export_generator(model, _path(tmp_path, fmt, "dcgan"), format=fmt)
    z = _z(5, 8)  # not the batch size the exporter traced with
    expected = keras.ops.convert_to_numpy(model.generator(z, training=False))
    got = run_artifact(path, fmt, {"z": z})
    assert got.shape == (5, 28, 28, 1)
    np.testing.assert_allclose(got, expected, atol=ATOL)


@pytest.mark.parametrize("labels", ["int", "one_hot"])
@pytest.mark.parametrize("fmt", FORMATS)
def test_conditional_generator_takes_labels(tmp_path, fmt, labels):
    model = keras_gans.ConditionalGAN(data_shape=(28, 28, 1), latent_dim=8, num_classes=3,
                                      seed=0)
    path = keras_gans.export_generator(model, _path(tmp_path, fmt, "cgan"), format=fmt,
                                       labels=labels)
    z, ids = _z(4, 8), np.array([0, 2, 1, 2], "int32")
    expected = model.generate(4, labels=ids, seed=0)  # the same z: numpy's PCG64, seed 0
    label = ids if labels == "int" else np.eye(3, dtype="float32")[ids]
    got = run_artifact(path, fmt, {"z": z, "label": label})
    np.testing.assert_allclose(got, expected, atol=ATOL)
    # the label matters: another class gives other images
    other = run_artifact(path, fmt, {"z": z, "label": (ids + 1) % 3 if labels == "int"
                                     else np.eye(3, dtype="float32")[(ids + 1) % 3]})
    assert np.abs(other - got).max() > 1e-3


@pytest.mark.parametrize("fmt", FORMATS)
def test_cyclegan_exports_one_direction(tmp_path, fmt):
    model = keras_gans.CycleGAN(data_shape_a=(16, 16, 1), data_shape_b=(16, 16, 3),
                                filters=4, n_blocks=1, pool_size=0, seed=0)
    x_a = np.tanh(np.random.default_rng(1).standard_normal((3, 16, 16, 1))).astype("float32")
    path = keras_gans.export_generator(model, _path(tmp_path, fmt, "a2b"), format=fmt)
    got = run_artifact(path, fmt, {"image": x_a})
    assert got.shape == (3, 16, 16, 3)
    np.testing.assert_allclose(got, model.translate(x_a, direction="a2b"), atol=ATOL)


@pytest.mark.parametrize("fmt", FORMATS)
def test_stylegan_exports_ema_generator_with_truncation(tmp_path, fmt):
    model = keras_gans.StyleGAN(data_shape=(8, 8, 1), latent_dim=8, channels=8,
                                mapping_layers=2, seed=0)
    # make the EMA generator and w_avg differ from the trained generator and 0,
    # so the test sees which one the artifact holds
    for v in model.generator_ema.trainable_weights + model.generator_ema.weights:
        v.assign(v * 0.9 + 0.01)
    model.w_avg.assign(np.linspace(-1, 1, 8).astype("float32"))
    if fmt == "onnx" and BACKEND == "jax":
        with pytest.raises(GANConfigError, match="does not run on the jax backend"):
            keras_gans.export_generator(model, _path(tmp_path, fmt, "style"), format=fmt)
        return
    path = keras_gans.export_generator(model, _path(tmp_path, fmt, "style"), format=fmt,
                                       truncation_psi=0.5)
    got = run_artifact(path, fmt, {"z": _z(4, 8, seed=3)})
    expected = model.generate(4, seed=3, truncation_psi=0.5, noise_mode="none")
    np.testing.assert_allclose(got, expected, atol=ATOL)
    not_ema = model.generate(4, seed=3, truncation_psi=0.5, noise_mode="none", ema=False)
    assert np.abs(got - not_ema).max() > 1e-3


# ------------------------------------------------------------- presets
@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("preset", ["dcgan_mnist", "conditional_gan_mnist"])
def test_zoo_preset_artifact_matches_generate(tmp_path, fmt, preset):
    model = keras_gans.presets.from_preset(preset)
    path = keras_gans.export_generator(model, _path(tmp_path, fmt, preset), format=fmt)
    feeds = {"z": _z(6, model.latent_dim, seed=7)}
    kwargs = {}
    if model.num_classes:
        feeds["label"] = np.arange(6, dtype="int32") % model.num_classes
        kwargs["labels"] = feeds["label"]
    got = run_artifact(path, fmt, feeds)
    np.testing.assert_allclose(got, model.generate(6, seed=7, **kwargs), atol=ATOL)


# ------------------------------------------------------------- bad input
def test_unknown_format_is_refused(tmp_path):
    model = keras_gans.DCGAN(data_shape=(28, 28, 1), latent_dim=8, filters=8)
    with pytest.raises(GANConfigError, match="Unknown export format 'onxx'.*'onnx'"):
        keras_gans.export_generator(model, str(tmp_path / "g"), format="onxx")
    assert not os.path.exists(tmp_path / "g")


def test_existing_path_is_not_overwritten(tmp_path):
    model = keras_gans.DCGAN(data_shape=(28, 28, 1), latent_dim=8, filters=8, seed=0)
    fmt = "tf_saved_model" if BACKEND != "torch" else "onnx"
    target = tmp_path / "exists"
    target.mkdir()
    (target / "keep.txt").write_text("mine")
    with pytest.raises(GANConfigError, match="exists; pass overwrite=True"):
        keras_gans.export_generator(model, str(target), format=fmt)
    assert (target / "keep.txt").read_text() == "mine"
    file_target = tmp_path / "exists.onnx"
    file_target.write_text("mine")
    with pytest.raises(GANConfigError, match="exists"):
        keras_gans.export_generator(model, str(file_target), format=fmt)
    assert file_target.read_text() == "mine"


@pytest.mark.parametrize("fmt", FORMATS)
def test_overwrite_replaces_the_artifact(tmp_path, fmt):
    model = keras_gans.DCGAN(data_shape=(28, 28, 1), latent_dim=8, filters=8, seed=0)
    path = _path(tmp_path, fmt, "g")
    if fmt == "onnx":
        with open(path, "w") as f:
            f.write("old")
    else:
        os.makedirs(path)
        with open(os.path.join(path, "old.txt"), "w") as f:
            f.write("old")
    keras_gans.export_generator(model, path, format=fmt, overwrite=True)
    z = _z(2, 8)
    np.testing.assert_allclose(run_artifact(path, fmt, {"z": z}),
                               keras.ops.convert_to_numpy(model.generator(z)), atol=ATOL)
    assert not os.path.exists(os.path.join(path, "old.txt"))
    assert [p for p in os.listdir(tmp_path) if p.startswith(".export-")] == []


def test_backend_that_cannot_write_a_format_names_those_that_can(tmp_path, monkeypatch):
    model = keras_gans.DCGAN(data_shape=(28, 28, 1), latent_dim=8, filters=8)
    if BACKEND != "torch":  # torch really cannot write a SavedModel; elsewhere pretend
        monkeypatch.setitem(ex.FORMATS, "tf_saved_model", ("some_other_backend",))
    with pytest.raises(GANConfigError, match=f"The {BACKEND} backend cannot export "
                       "format='tf_saved_model'.*runs on"):
        keras_gans.export_generator(model, str(tmp_path / "g"), format="tf_saved_model")


def test_missing_converter_names_the_extra(tmp_path, monkeypatch):
    model = keras_gans.DCGAN(data_shape=(28, 28, 1), latent_dim=8, filters=8)
    real = importlib.util.find_spec
    modules, extra = ex._NEEDS[("onnx", BACKEND)]
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == modules[0] else real(name, *a))
    with pytest.raises(GANConfigError, match=rf"needs {modules[0]}.*keras-gans\[{extra}\]"):
        keras_gans.export_generator(model, str(tmp_path / "g.onnx"), format="onnx")


def test_translator_direction_is_checked(tmp_path):
    model = keras_gans.CycleGAN(data_shape=(16, 16, 1), filters=4, n_blocks=1, pool_size=0)
    with pytest.raises(GANConfigError, match="direction must be 'a2b' or 'b2a'"):
        ex.serving_network(model, direction="ab")
    net, specs = ex.serving_network(model, direction="b2a")
    assert [s.name for s in specs] == ["image"]
    x_b = np.zeros((2, 16, 16, 1), "float32")
    np.testing.assert_allclose(keras.ops.convert_to_numpy(net(x_b)),
                               model.translate(x_b, direction="b2a"), atol=1e-6)


def test_mixed_precision_generator_is_refused(tmp_path):
    keras.config.set_dtype_policy("mixed_float16")
    try:
        model = keras_gans.DCGAN(data_shape=(28, 28, 1), latent_dim=8, filters=8)
    finally:
        keras.config.set_dtype_policy("float32")
    fmt = "tf_saved_model" if BACKEND != "torch" else "onnx"
    with pytest.raises(GANConfigError, match="float32 models only.*mixed_float16"):
        keras_gans.export_generator(model, str(tmp_path / "g"), format=fmt)
    assert os.listdir(tmp_path) == []
