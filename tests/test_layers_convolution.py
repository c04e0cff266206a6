"""keras_gans.layers.Conv2D / Conv2DTranspose: the same layers as Keras' on
every backend (outputs, gradients, config, files, SpectralNormalization); on
torch they take the copy-free path, strided transposed convolutions on JAX (CPU)
the sub-pixel one, elsewhere Keras' own code. The sub-pixel form is checked on
every backend (forced on) against Keras' layer."""

import keras
import numpy as np
import pytest

from keras_gans.layers import Conv2D, Conv2DTranspose, SpectralNormalization
from keras_gans.layers import convolution as conv_module

BACKEND = keras.backend.backend()

# (input shape, filters, kwargs). Odd kernels with stride 2 need Keras'
# asymmetric "same" padding (Conv2D: extra row on the bottom; Conv2DTranspose:
# a crop torch's padding cannot express); even kernels map onto torch's padding.
CONV_CASES = [
    ((4, 8, 8, 3), 5, {"kernel_size": 5, "strides": 2, "padding": "same"}),
    ((4, 8, 8, 3), 6, {"kernel_size": 4, "strides": 2, "padding": "same", "use_bias": False}),
    ((4, 7, 7, 2), 4, {"kernel_size": 3, "padding": "valid", "activation": "tanh"}),
    ((4, 8, 8, 4), 4, {"kernel_size": 3, "padding": "same", "dilation_rate": 2}),
    ((4, 8, 8, 4), 6, {"kernel_size": 3, "padding": "same", "groups": 2}),
    ((4, 7, 6, 3), 5, {"kernel_size": (3, 2), "strides": (2, 1), "padding": "same"}),
]
TRANSPOSE_CASES = [
    ((4, 4, 4, 6), 3, {"kernel_size": 5, "strides": 2, "padding": "same", "use_bias": False}),
    ((4, 4, 4, 6), 3, {"kernel_size": 4, "strides": 2, "padding": "same",
                       "activation": "tanh"}),
    ((4, 5, 5, 3), 2, {"kernel_size": 5, "strides": 1, "padding": "same"}),
    ((4, 3, 3, 4), 2, {"kernel_size": 3, "strides": 2, "padding": "valid"}),
    ((4, 3, 4, 4), 2, {"kernel_size": 3, "strides": 2, "padding": "same",
                       "output_padding": 1}),
    ((4, 3, 3, 2), 3, {"kernel_size": (4, 3), "strides": (2, 3), "padding": "same"}),
]
CASES = [(keras.layers.Conv2D, Conv2D, *c) for c in CONV_CASES] + [
    (keras.layers.Conv2DTranspose, Conv2DTranspose, *c) for c in TRANSPOSE_CASES]
IDS = [f"{a.__name__}-{i}" for i, (a, *_) in enumerate(CASES)]


def _pair(keras_cls, our_cls, shape, filters, kwargs, seed=0):
    keras_layer = keras_cls(filters, **kwargs)
    ours = our_cls(filters, **kwargs)
    keras_layer.build(shape)
    ours.build(shape)
    rng = np.random.default_rng(seed)
    values = [rng.normal(0.0, 0.3, w.shape).astype("float32") for w in keras_layer.get_weights()]
    keras_layer.set_weights(values)
    ours.set_weights(values)
    return keras_layer, ours


def _call_with_grads(fn, weights, x, g):
    """fn(x) and d(sum(fn(x) * g)) / d(x, weights), on this backend."""
    if BACKEND == "tensorflow":
        import tensorflow as tf

        xt = tf.constant(x)
        with tf.GradientTape() as tape:
            tape.watch(xt)
            out = fn(xt)
            loss = tf.reduce_sum(out * g)
        grads = tape.gradient(loss, [xt] + [w.value for w in weights])
    elif BACKEND == "jax":
        import jax
        from keras import StatelessScope

        def loss_fn(xt, values):
            with StatelessScope(state_mapping=list(zip(weights, values))):
                out = fn(xt)
            return (out * g).sum(), out

        (_, out), (gx, gw) = jax.value_and_grad(loss_fn, argnums=(0, 1), has_aux=True)(
            jax.numpy.asarray(x), [w.value for w in weights])
        grads = [gx] + list(gw)
    else:
        import torch

        xt = torch.tensor(x, requires_grad=True)
        out = fn(xt)
        loss = (out * torch.tensor(g)).sum()
        grads = torch.autograd.grad(loss, [xt] + [w.value for w in weights])
    return keras.ops.convert_to_numpy(out), [keras.ops.convert_to_numpy(t) for t in grads]


@pytest.mark.parametrize("keras_cls,our_cls,shape,filters,kwargs", CASES, ids=IDS)
def test_outputs_and_gradients_match_keras(keras_cls, our_cls, shape, filters, kwargs):
    keras_layer, ours = _pair(keras_cls, our_cls, shape, filters, kwargs)
    rng = np.random.default_rng(1)
    x = rng.normal(0.0, 1.0, shape).astype("float32")
    out_shape = tuple(keras_layer.compute_output_shape(shape))
    g = rng.normal(0.0, 1.0, out_shape).astype("float32")
    out_k, grads_k = _call_with_grads(keras_layer, keras_layer.trainable_weights, x, g)
    out_o, grads_o = _call_with_grads(ours, ours.trainable_weights, x, g)
    assert out_o.shape == out_k.shape == out_shape
    scale = np.abs(out_k).max()
    np.testing.assert_allclose(out_o, out_k, rtol=1e-5, atol=1e-5 * scale)
    assert len(grads_o) == len(grads_k) == 1 + len(keras_layer.trainable_weights)
    for i, (a, b) in enumerate(zip(grads_o, grads_k)):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5 * np.abs(b).max(),
                                   err_msg=f"gradient {i}")


@pytest.mark.parametrize("dtype", ["float64", "float16"])
@pytest.mark.parametrize("our_cls,keras_cls", [(Conv2D, keras.layers.Conv2D),
                                               (Conv2DTranspose, keras.layers.Conv2DTranspose)])
def test_slow_kernel_dtypes_with_one_filter(our_cls, keras_cls, dtype):
    """float64 has no oneDNN kernel on torch, nor float16 on CPUs without it
    (this AMD EPYC); torch's slow_conv2d backward refuses a permuted weight, and
    Keras' own torch Conv2D fails with one output filter. Ours is checked
    against Keras with 2 filters (its first one is ours), where Keras works, on
    every backend (JAX in float64 where x64 is enabled)."""
    shape, kwargs = (2, 6, 6, 3), {"kernel_size": 4, "padding": "same", "dtype": dtype}
    ours, ref = our_cls(1, **kwargs), keras_cls(2, **kwargs)
    ours.build(shape)
    ref.build(shape)
    rng = np.random.default_rng(4)
    values = [rng.normal(0.0, 0.3, w.shape) for w in ref.get_weights()]
    ref.set_weights(values)
    # The output-filter axis: last of a Conv2D kernel, third of a transposed one.
    axis = -2 if our_cls is Conv2DTranspose else -1
    first = [np.take(v, [0], axis=axis if v.ndim == 4 else -1) for v in values]
    ours.set_weights(first)
    x = rng.normal(size=shape).astype(dtype)
    g = rng.normal(size=(2, 6, 6, 1)).astype(dtype)
    out_o, grads_o = _call_with_grads(ours, ours.trainable_weights, x, g)
    out_r, grads_r = _call_with_grads(ref, ref.trainable_weights, x,
                                      np.concatenate([g, np.zeros_like(g)], axis=-1))
    tol = {"float64": 1e-12, "float32": 1e-5, "float16": 1e-2}[str(out_o.dtype)]
    if BACKEND != "jax" or dtype == "float16":
        assert out_o.dtype == dtype
    np.testing.assert_allclose(out_o, out_r[..., :1], rtol=tol, atol=tol)
    np.testing.assert_allclose(grads_o[0], grads_r[0], rtol=tol, atol=tol)
    for a, b in zip(grads_o[1:], grads_r[1:]):
        np.testing.assert_allclose(a, np.take(b, [0], axis=axis if b.ndim == 4 else -1),
                                   rtol=tol, atol=tol)


@pytest.mark.skipif(BACKEND == "tensorflow", reason="TF's CPU convolutions are NHWC only")
@pytest.mark.parametrize("keras_cls,our_cls", [(keras.layers.Conv2D, Conv2D),
                                               (keras.layers.Conv2DTranspose, Conv2DTranspose)])
def test_channels_first_matches_keras(keras_cls, our_cls):
    kwargs = {"kernel_size": 3, "strides": 2, "padding": "same", "data_format": "channels_first"}
    keras_layer, ours = _pair(keras_cls, our_cls, (2, 3, 6, 6), 4, kwargs)
    x = np.random.default_rng(2).normal(size=(2, 3, 6, 6)).astype("float32")
    np.testing.assert_allclose(keras.ops.convert_to_numpy(ours(x)),
                               keras.ops.convert_to_numpy(keras_layer(x)), rtol=1e-5, atol=1e-5)


def test_spectral_normalization_of_our_conv_matches_keras_conv():
    """SpectralNormalization calls convolution_op with its normalised kernel."""
    shape = (4, 8, 8, 3)
    kwargs = {"kernel_size": 4, "strides": 2, "padding": "same"}
    keras_layer, ours = _pair(keras.layers.Conv2D, Conv2D, shape, 5, kwargs)
    sn_k, sn_o = SpectralNormalization(keras_layer), SpectralNormalization(ours)
    sn_k.build(shape)
    sn_o.build(shape)
    sn_o.vector_u.assign(sn_k.vector_u.value)
    rng = np.random.default_rng(3)
    x = rng.normal(size=shape).astype("float32")
    g = rng.normal(size=(4, 4, 4, 5)).astype("float32")
    out_k, grads_k = _call_with_grads(lambda t: sn_k(t, training=False),
                                      sn_k.trainable_weights, x, g)
    out_o, grads_o = _call_with_grads(lambda t: sn_o(t, training=False),
                                      sn_o.trainable_weights, x, g)
    np.testing.assert_allclose(out_o, out_k, rtol=1e-5, atol=1e-5)
    for a, b in zip(grads_o, grads_k):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5 * np.abs(b).max())


def test_fast_path_is_taken_on_torch_only(monkeypatch):
    calls = []
    original = conv_module._torch_inputs

    def spy(layer, inputs):
        out = original(layer, inputs)
        calls.append(out is not None)
        return out

    monkeypatch.setattr(conv_module, "_torch_inputs", spy)
    for _, our_cls, shape, filters, kwargs in CASES:
        layer = our_cls(filters, **kwargs)
        layer(np.zeros(shape, "float32"))
    # Strided transposed convolutions on JAX take the sub-pixel path first.
    if BACKEND == "torch":
        assert len(calls) == len(CASES) and all(calls)
    else:
        assert not any(calls)


@pytest.mark.parametrize("our_cls,keras_cls", [(Conv2D, keras.layers.Conv2D),
                                               (Conv2DTranspose, keras.layers.Conv2DTranspose)])
def test_config_round_trip(our_cls, keras_cls):
    layer = our_cls(7, 4, strides=2, padding="same", use_bias=False, activation="relu",
                    kernel_initializer=keras.initializers.RandomNormal(stddev=0.02))
    config = layer.get_config()
    assert config == keras_cls.from_config(config).get_config()
    serialized = keras.saving.serialize_keras_object(layer)
    assert serialized["registered_name"] == f"keras_gans>{keras_cls.__name__}"
    clone = keras.saving.deserialize_keras_object(serialized)
    assert type(clone) is our_cls and clone.get_config() == config


def _net(conv, conv_t):
    x_in = keras.Input((8, 8, 2))
    x = conv(4, 3, strides=2, padding="same")(x_in)
    x = conv_t(3, 4, strides=2, padding="same")(x)
    x = conv(2, 3, padding="valid")(x)
    return keras.Model(x_in, x)


@pytest.mark.parametrize("direction", ["keras_to_ours", "ours_to_keras"])
def test_weights_and_keras_files_interchange_with_keras_layers(tmp_path, direction):
    """Weights written for networks of Keras' layers (before keras_gans used
    these) load into networks of ours, and back; .keras files load too."""
    old, new = (keras.layers.Conv2D, keras.layers.Conv2DTranspose), (Conv2D, Conv2DTranspose)
    src_layers, dst_layers = (old, new) if direction == "keras_to_ours" else (new, old)
    keras.utils.set_random_seed(0)
    src = _net(*src_layers)
    path = str(tmp_path / "net.weights.h5")
    src.save_weights(path)
    keras.utils.set_random_seed(1)
    dst = _net(*dst_layers)
    x = np.random.default_rng(4).normal(size=(2, 8, 8, 2)).astype("float32")
    want = keras.ops.convert_to_numpy(src(x))
    assert np.abs(keras.ops.convert_to_numpy(dst(x)) - want).max() > 1e-3
    dst.load_weights(path)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(dst(x)), want, rtol=1e-5, atol=1e-6)
    src.save(str(tmp_path / "net.keras"))
    loaded = keras.saving.load_model(str(tmp_path / "net.keras"))
    assert [type(layer) for layer in loaded.layers[1:]] == [
        type(layer) for layer in src.layers[1:]]
    np.testing.assert_allclose(keras.ops.convert_to_numpy(loaded(x)), want, rtol=1e-5, atol=1e-6)


def test_same_padding_helper_is_keras_same():
    # Output size ceil(size / stride); extra padding at the end.
    assert conv_module._same_padding(28, 5, 2, 1) == (1, 2)
    assert conv_module._same_padding(28, 4, 2, 1) == (1, 1)
    assert conv_module._same_padding(7, 5, 1, 1) == (2, 2)
    assert conv_module._same_padding(8, 3, 1, 2) == (2, 2)


# ----------------------------------------------------------------- sub-pixel
# (input shape, filters, kwargs): the DCGAN generators' layers (7 -> 14 -> 28
# with kernel 5, kernel 4 stride 2, stride 1), valid padding, output_padding,
# kernels smaller than or not a multiple of the stride, odd and non-square sizes.
SUBPIXEL_CASES = [
    ((2, 7, 7, 8), 4, {"kernel_size": 5, "strides": 2, "padding": "same", "use_bias": False}),
    ((2, 14, 14, 4), 1, {"kernel_size": 5, "strides": 2, "padding": "same", "use_bias": False,
                         "activation": "tanh"}),
    ((2, 7, 7, 6), 3, {"kernel_size": 5, "strides": 1, "padding": "same"}),
    ((2, 4, 4, 6), 3, {"kernel_size": 4, "strides": 2, "padding": "same"}),
    ((2, 5, 6, 3), 4, {"kernel_size": 3, "strides": 1, "padding": "valid"}),
    ((2, 5, 6, 3), 4, {"kernel_size": 3, "strides": 2, "padding": "same"}),
    ((2, 5, 6, 3), 4, {"kernel_size": 3, "strides": 2, "padding": "valid"}),
    ((2, 5, 5, 3), 2, {"kernel_size": 4, "strides": 2, "padding": "valid"}),
    ((2, 5, 5, 3), 2, {"kernel_size": 2, "strides": 2, "padding": "same"}),
    ((2, 4, 5, 3), 2, {"kernel_size": 2, "strides": 3, "padding": "valid"}),
    ((2, 4, 4, 3), 2, {"kernel_size": 5, "strides": 3, "padding": "same"}),
    ((2, 3, 4, 4), 2, {"kernel_size": 3, "strides": 2, "padding": "same", "output_padding": 1}),
    ((2, 3, 4, 4), 2, {"kernel_size": 5, "strides": 2, "padding": "same", "output_padding": 0}),
    ((2, 3, 3, 4), 2, {"kernel_size": 3, "strides": 2, "padding": "valid", "output_padding": 1}),
    ((2, 4, 3, 2), 3, {"kernel_size": (4, 3), "strides": (2, 1), "padding": "same",
                       "activation": "relu"}),
    ((2, 1, 1, 4), 3, {"kernel_size": 1, "strides": 2, "padding": "valid"}),
]


@pytest.fixture
def subpixel_everywhere(monkeypatch):
    """The sub-pixel path on this backend for every stride; records its calls."""
    monkeypatch.setitem(conv_module.SUBPIXEL_ON_CPU, BACKEND, True)
    monkeypatch.setattr(conv_module, "SUBPIXEL_MIN_STRIDE", 1)
    calls = []
    original = conv_module._subpixel_conv_transpose

    def spy(*args):
        calls.append(args[2])
        return original(*args)

    monkeypatch.setattr(conv_module, "_subpixel_conv_transpose", spy)
    return calls


@pytest.mark.parametrize("shape,filters,kwargs", SUBPIXEL_CASES,
                         ids=[f"subpixel-{i}" for i in range(len(SUBPIXEL_CASES))])
def test_subpixel_outputs_and_gradients_match_keras(subpixel_everywhere, shape, filters,
                                                    kwargs):
    keras_layer, ours = _pair(keras.layers.Conv2DTranspose, Conv2DTranspose, shape, filters,
                              kwargs, seed=5)
    rng = np.random.default_rng(6)
    x = rng.normal(0.0, 1.0, shape).astype("float32")
    out_shape = tuple(keras_layer.compute_output_shape(shape))
    g = rng.normal(0.0, 1.0, out_shape).astype("float32")
    out_k, grads_k = _call_with_grads(keras_layer, keras_layer.trainable_weights, x, g)
    out_o, grads_o = _call_with_grads(ours, ours.trainable_weights, x, g)
    assert subpixel_everywhere, "the sub-pixel path was not taken"
    assert out_o.shape == out_k.shape == out_shape
    np.testing.assert_allclose(out_o, out_k, rtol=1e-5, atol=1e-5 * np.abs(out_k).max())
    assert len(grads_o) == len(grads_k) == 1 + len(keras_layer.trainable_weights)
    for i, (a, b) in enumerate(zip(grads_o, grads_k)):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5 * np.abs(b).max(),
                                   err_msg=f"gradient {i}")


@pytest.mark.parametrize("kwargs", [
    {"dilation_rate": 2},
    {"data_format": "channels_first"},
])
def test_subpixel_falls_back_to_keras(subpixel_everywhere, kwargs):
    if BACKEND == "tensorflow" and "data_format" in kwargs:
        pytest.skip("TF's CPU convolutions are NHWC only")
    shape = (2, 3, 6, 6) if "data_format" in kwargs else (2, 6, 6, 3)
    kwargs = {"kernel_size": 3, "strides": 1 if "dilation_rate" in kwargs else 2,
              "padding": "same", **kwargs}
    keras_layer, ours = _pair(keras.layers.Conv2DTranspose, Conv2DTranspose, shape, 4, kwargs)
    x = np.random.default_rng(7).normal(size=shape).astype("float32")
    np.testing.assert_allclose(keras.ops.convert_to_numpy(ours(x)),
                               keras.ops.convert_to_numpy(keras_layer(x)), rtol=1e-5, atol=1e-5)
    assert not subpixel_everywhere


def test_subpixel_is_jax_strided_only_by_default(monkeypatch):
    calls = []
    original = conv_module._subpixel_conv_transpose
    monkeypatch.setattr(conv_module, "_subpixel_conv_transpose",
                        lambda *args: calls.append(1) or original(*args))
    x = np.zeros((2, 7, 7, 4), "float32")
    Conv2DTranspose(3, 5, strides=1, padding="same")(x)
    assert not calls
    Conv2DTranspose(3, 5, strides=2, padding="same")(x)
    assert calls == ([1] if BACKEND == "jax" and conv_module._on_cpu(x) else [])


def test_subpixel_plan_of_the_dcgan_layers():
    # Keras' JAX padding for kernel 5, stride 2, "same": (3, 2) around the
    # dilated input; phases read taps (3, 1) and (4, 2, 0), a 3-tap window.
    taps, pads, out = conv_module._subpixel_plan(7, 5, 2, 3, 2)
    assert (taps, pads, out) == ([[3, 4], [1, 2], [5, 0]], (1, 1), 14)
    taps, pads, out = conv_module._subpixel_plan(7, 4, 2, 2, 2)
    assert out == 14 and len(taps) == 3 and sorted(t for r in taps for t in r) == [0, 1, 2, 3, 4, 4]


def test_subpixel_training_step_matches_keras_layers(subpixel_everywhere):
    """One fit step of a small generator (Dense -> 7x7 -> 14 -> 28, kernel 5,
    "same") of ours against Keras' layers: the same weights afterwards."""
    def net(conv_t):
        keras.utils.set_random_seed(3)
        z = keras.Input((8,))
        x = keras.layers.Reshape((7, 7, 4))(keras.layers.Dense(7 * 7 * 4)(z))
        x = conv_t(6, 5, strides=1, padding="same")(x)
        x = conv_t(4, 5, strides=2, padding="same", activation="relu")(x)
        x = conv_t(1, 4, strides=2, padding="same", use_bias=False, activation="tanh")(x)
        model = keras.Model(z, x)
        model.compile(keras.optimizers.SGD(0.1), "mse")
        return model

    ref, ours = net(keras.layers.Conv2DTranspose), net(Conv2DTranspose)
    ours.set_weights(ref.get_weights())
    rng = np.random.default_rng(8)
    z = rng.normal(size=(4, 8)).astype("float32")
    y = rng.uniform(-1, 1, (4, 28, 28, 1)).astype("float32")
    loss_ref, loss_ours = ref.train_on_batch(z, y), ours.train_on_batch(z, y)
    assert subpixel_everywhere
    np.testing.assert_allclose(loss_ours, loss_ref, rtol=1e-5)
    for a, b in zip(ours.get_weights(), ref.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
