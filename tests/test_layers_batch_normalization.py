"""keras_gans.layers.BatchNormalization: the same layer as Keras' on every
backend (outputs, gradients, moving statistics, inference, config, files); on
torch it takes the fused ``F.batch_norm`` path, elsewhere Keras' own code."""

import keras
import numpy as np
import pytest

from keras_gans.layers import BatchNormalization
from keras_gans.layers import batch_normalization as bn_module

BACKEND = keras.backend.backend()

# (input shape, layer kwargs): channels-last 4D and 2D (the networks' cases),
# channels-first 4D, a 3D input (Keras' code on torch too), no scale / center.
CASES = [
    ((8, 5, 5, 6), {}),
    ((16, 12), {}),
    ((8, 6, 5, 5), {"axis": 1}),
    ((8, 7, 6), {}),
    ((8, 5, 5, 6), {"scale": False, "center": False, "momentum": 0.9, "epsilon": 1e-5}),
]


def _pair(shape, kwargs, seed=0):
    """A Keras layer and ours, built, with the same random non-trivial weights."""
    rng = np.random.default_rng(seed)
    keras_layer = keras.layers.BatchNormalization(**kwargs)
    ours = BatchNormalization(**kwargs)
    keras_layer.build(shape)
    ours.build(shape)
    values = []
    for v in keras_layer.weights:
        if "moving_variance" in v.path:
            values.append(rng.uniform(0.5, 2.0, v.shape).astype("float32"))
        else:
            values.append(rng.normal(0.3, 0.5, v.shape).astype("float32"))
    keras_layer.set_weights(values)
    ours.set_weights(values)
    return keras_layer, ours


def _data(shape, seed=1):
    rng = np.random.default_rng(seed)
    # An offset and a scale per channel: the statistics are not (0, 1).
    x = rng.normal(2.0, 3.0, shape).astype("float32")
    g = rng.normal(0.0, 1.0, shape).astype("float32")
    return x, g


def _train_call_with_grads(layer, x, g):
    """One training call: output, d(sum(out * g))/dx and /d(trainable weights).

    The layer's moving statistics are updated as in a training step."""
    if BACKEND == "tensorflow":
        import tensorflow as tf

        xt = tf.constant(x)
        with tf.GradientTape() as tape:
            tape.watch(xt)
            out = layer(xt, training=True)
            loss = tf.reduce_sum(out * g)
        grads = tape.gradient(loss, [xt] + [v.value for v in layer.trainable_weights])
    elif BACKEND == "jax":
        import jax

        trainable = [v.value for v in layer.trainable_weights]
        non_trainable = [v.value for v in layer.non_trainable_weights]

        def loss_fn(xt, trainable):
            out, new_nt = layer.stateless_call(trainable, non_trainable, xt, training=True)
            return (out * g).sum(), (out, new_nt)

        (_, (out, new_nt)), (gx, gw) = jax.value_and_grad(
            loss_fn, argnums=(0, 1), has_aux=True)(jax.numpy.asarray(x), trainable)
        for v, value in zip(layer.non_trainable_weights, new_nt):
            v.assign(value)
        grads = [gx] + list(gw)
    else:
        import torch

        xt = torch.tensor(x, requires_grad=True)
        out = layer(xt, training=True)
        loss = (out * torch.tensor(g)).sum()
        grads = torch.autograd.grad(loss, [xt] + [v.value for v in layer.trainable_weights])
    return keras.ops.convert_to_numpy(out), [keras.ops.convert_to_numpy(t) for t in grads]


def _assert_close(a, b, what, rtol=1e-5, atol=1e-5):
    np.testing.assert_allclose(a, b, rtol=rtol, atol=atol, err_msg=what)


@pytest.mark.parametrize("shape,kwargs", CASES)
def test_training_matches_keras_outputs_gradients_and_moving_statistics(shape, kwargs):
    keras_layer, ours = _pair(shape, kwargs)
    initial = [w.copy() for w in keras_layer.get_weights()]
    for step in range(3):
        x, g = _data(shape, seed=10 + step)
        out_k, grads_k = _train_call_with_grads(keras_layer, x, g)
        out_o, grads_o = _train_call_with_grads(ours, x, g)
        # Normalised with the batch statistics: about zero mean, unit variance
        # before the affine (not the moving statistics, which are far off).
        _assert_close(out_o, out_k, f"output, step {step}")
        assert len(grads_o) == len(grads_k) == 1 + len(keras_layer.trainable_weights)
        for i, (a, b) in enumerate(zip(grads_o, grads_k)):
            _assert_close(a, b, f"gradient {i}, step {step}", atol=1e-4)
    for v_o, v_k, before in zip(ours.weights, keras_layer.weights, initial):
        assert v_o.path.split("/")[-1] == v_k.path.split("/")[-1]
        got, want = keras.ops.convert_to_numpy(v_o), keras.ops.convert_to_numpy(v_k)
        _assert_close(got, want, v_o.path, rtol=1e-5, atol=1e-6)
        if "moving" in v_o.path:
            # The statistics really moved (the comparison is not vacuous).
            assert np.abs(got - before).max() > 1e-3, v_o.path


def test_moving_statistics_follow_keras_convention_biased_variance():
    """momentum 0.9: moving = 0.9 * moving + 0.1 * batch, the variance biased
    (ddof 0), unlike torch's running_var, written out by hand here."""
    shape = (4, 3, 3, 2)
    _, ours = _pair(shape, {"momentum": 0.9})
    mean0, var0 = (keras.ops.convert_to_numpy(v) for v in ours.non_trainable_weights)
    x, g = _data(shape)
    _train_call_with_grads(ours, x, g)
    batch_mean = x.mean(axis=(0, 1, 2))
    batch_var = x.var(axis=(0, 1, 2))  # ddof=0
    mean1, var1 = (keras.ops.convert_to_numpy(v) for v in ours.non_trainable_weights)
    _assert_close(mean1, 0.9 * mean0 + 0.1 * batch_mean, "moving_mean", atol=1e-6)
    _assert_close(var1, 0.9 * var0 + 0.1 * batch_var, "moving_variance", atol=1e-6)
    n = x.size // shape[-1]
    unbiased = 0.9 * var0 + 0.1 * batch_var * n / (n - 1)
    assert np.abs(var1 - unbiased).max() > 1e-3  # the test tells the two apart


@pytest.mark.parametrize("shape,kwargs", CASES)
@pytest.mark.parametrize("training,trainable", [(False, True), (None, True), (True, False)])
def test_inference_and_frozen_use_moving_statistics_like_keras(shape, kwargs, training, trainable):
    keras_layer, ours = _pair(shape, kwargs)
    keras_layer.trainable = ours.trainable = trainable
    x, _ = _data(shape)
    before = [w.copy() for w in ours.get_weights()]
    out_k = keras.ops.convert_to_numpy(keras_layer(x, training=training))
    out_o = keras.ops.convert_to_numpy(ours(x, training=training))
    _assert_close(out_o, out_k, "inference output", atol=1e-5)
    for a, b in zip(ours.get_weights(), before):
        np.testing.assert_array_equal(a, b)  # no statistics update
    # With the moving statistics, not the batch's: by hand.
    axis = kwargs.get("axis", -1) % len(shape)
    stat_shape = [1] * len(shape)
    stat_shape[axis] = shape[axis]
    w = dict(zip([v.path.split("/")[-1] for v in ours.weights], ours.get_weights()))
    expected = (x - w["moving_mean"].reshape(stat_shape)) / np.sqrt(
        w["moving_variance"].reshape(stat_shape) + ours.epsilon)
    if ours.scale:
        expected = expected * w["gamma"].reshape(stat_shape)
    if ours.center:
        expected = expected + w["beta"].reshape(stat_shape)
    _assert_close(out_o, expected, "inference by hand", atol=1e-4)


def test_fast_path_is_taken_on_torch_for_the_networks_layouts(monkeypatch):
    """The torch path runs for 4D channels-last and 2D inputs, not for 3D."""
    taken = []
    original = BatchNormalization._torch_call

    def spy(self, inputs, training):
        out = original(self, inputs, training)
        taken.append(out is not None)
        return out

    monkeypatch.setattr(BatchNormalization, "_torch_call", spy)
    for shape, kwargs in CASES:
        _, ours = _pair(shape, kwargs)
        ours(_data(shape)[0], training=True)
    if BACKEND == "torch":
        assert taken == [True, True, True, False, True]
    else:
        assert taken == []


def test_single_value_per_channel_falls_back_to_keras():
    """Batch 1 of vectors: torch refuses to train on it, Keras gives var 0."""
    keras_layer, ours = _pair((1, 4), {})
    x, g = _data((1, 4))
    out_k, _ = _train_call_with_grads(keras_layer, x, g)
    out_o, _ = _train_call_with_grads(ours, x, g)
    _assert_close(out_o, out_k, "batch of one")
    for a, b in zip(ours.get_weights(), keras_layer.get_weights()):
        _assert_close(a, b, "statistics after a batch of one", atol=1e-6)


def test_config_round_trip_and_keras_file(tmp_path):
    layer = BatchNormalization(momentum=0.8, epsilon=1e-5, axis=1, center=False,
                               gamma_initializer=keras.initializers.RandomNormal(1.0, 0.02))
    config = layer.get_config()
    assert config == keras.layers.BatchNormalization.from_config(config).get_config()
    clone = BatchNormalization.from_config(config)
    assert (clone.momentum, clone.epsilon, clone.axis, clone.center) == (0.8, 1e-5, 1, False)
    serialized = keras.saving.serialize_keras_object(layer)
    assert serialized["registered_name"] == "keras_gans>BatchNormalization"
    assert type(keras.saving.deserialize_keras_object(serialized)) is BatchNormalization

    x_in = keras.Input((4, 4, 3))
    model = keras.Sequential([x_in, BatchNormalization(), keras.layers.Flatten(),
                              keras.layers.Dense(2)])
    x, _ = _data((8, 4, 4, 3))
    model(x, training=True)  # move the statistics off their initial values
    path = str(tmp_path / "bn.keras")
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert type(loaded.layers[0]) is BatchNormalization
    for a, b in zip(loaded.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)
    _assert_close(keras.ops.convert_to_numpy(loaded(x)), keras.ops.convert_to_numpy(model(x)),
                  "loaded model output", atol=1e-6)


def _net(bn_cls):
    x_in = keras.Input((6, 6, 2))
    x = keras.layers.Conv2D(4, 3, padding="same")(x_in)
    x = bn_cls()(x)
    x = keras.layers.Flatten()(x)
    x = keras.layers.Dense(5)(x)
    x = bn_cls()(x)
    return keras.Model(x_in, keras.layers.Dense(1)(x))


@pytest.mark.parametrize("direction", ["keras_to_ours", "ours_to_keras"])
def test_weights_files_interchange_with_keras_batch_normalization(tmp_path, direction):
    """A weights file written before keras_gans used this layer (Keras' layer)
    loads into a network built with it, and the other way round."""
    src_cls, dst_cls = (keras.layers.BatchNormalization, BatchNormalization)
    if direction == "ours_to_keras":
        src_cls, dst_cls = dst_cls, src_cls
    keras.utils.set_random_seed(0)
    src = _net(src_cls)
    x, _ = _data((8, 6, 6, 2))
    src(x, training=True)
    path = str(tmp_path / "net.weights.h5")
    src.save_weights(path)
    keras.utils.set_random_seed(1)
    dst = _net(dst_cls)
    assert any(np.abs(a - b).max() > 1e-3
               for a, b in zip(dst.get_weights(), src.get_weights()))
    dst.load_weights(path)
    for a, b in zip(dst.get_weights(), src.get_weights()):
        np.testing.assert_array_equal(a, b)
    _assert_close(keras.ops.convert_to_numpy(dst(x)), keras.ops.convert_to_numpy(src(x)),
                  "output after loading", atol=1e-5)


def test_config_naming_keras_batch_normalization_still_loads(tmp_path):
    """A .keras file from before (Keras' layer in the config) loads and runs."""
    model = _net(keras.layers.BatchNormalization)
    x, _ = _data((8, 6, 6, 2))
    model(x, training=True)
    path = str(tmp_path / "old.keras")
    model.save(path)
    loaded = keras.saving.load_model(path)
    bns = [layer for layer in loaded.layers
           if isinstance(layer, keras.layers.BatchNormalization)]
    assert len(bns) == 2
    _assert_close(keras.ops.convert_to_numpy(loaded(x)), keras.ops.convert_to_numpy(model(x)),
                  "old config output", atol=1e-6)


def test_module_layout_helper():
    layer = BatchNormalization()
    assert bn_module._torch_fast_path_layout(layer, np.zeros((2, 3, 4, 5))) == (
        (0, 3, 1, 2), (0, 2, 3, 1))
    assert bn_module._torch_fast_path_layout(layer, np.zeros((2, 3))) == ((), ())
    assert bn_module._torch_fast_path_layout(layer, np.zeros((2, 3, 4))) is None


def test_dcgan_weights_written_with_keras_layers_load_into_todays_networks(tmp_path, monkeypatch):
    """keras_gans' DCGAN players as built before they used keras_gans.layers
    (Keras' BatchNormalization / Conv2D / Conv2DTranspose) write a weights file
    that today's players load, with the same outputs."""
    from keras_gans.networks import common, dcgan

    def build(seed):
        keras.utils.set_random_seed(seed)
        g = dcgan.dcgan_generator(8, (28, 28, 1), filters=8)
        d = dcgan.dcgan_discriminator((28, 28, 1), filters=8)
        return g, d

    with monkeypatch.context() as m:
        m.setattr(dcgan, "kg_layers", keras.layers)
        m.setattr(common, "kg_layers", keras.layers)
        old_g, old_d = build(0)
    assert not any(type(layer).__module__.startswith("keras_gans") for layer in old_g.layers)
    new_g, new_d = build(1)
    assert sum(type(layer).__module__.startswith("keras_gans") for layer in new_g.layers) >= 3
    assert sum(isinstance(layer, BatchNormalization) for layer in new_d.layers) >= 1
    z = np.random.default_rng(5).standard_normal((16, 8)).astype("float32")
    old_img = old_g(z, training=True)  # moves the BN statistics off their start
    for net, name in ((old_g, "g"), (old_d, "d")):
        net.save_weights(str(tmp_path / f"{name}.weights.h5"))
    new_g.load_weights(str(tmp_path / "g.weights.h5"))
    new_d.load_weights(str(tmp_path / "d.weights.h5"))
    for old, new in ((old_g, new_g), (old_d, new_d)):
        for a, b in zip(old.get_weights(), new.get_weights()):
            np.testing.assert_array_equal(a, b)
    img = keras.ops.convert_to_numpy(old_img)
    _assert_close(keras.ops.convert_to_numpy(new_g(z)), keras.ops.convert_to_numpy(old_g(z)),
                  "generator after loading", atol=1e-5)
    _assert_close(keras.ops.convert_to_numpy(new_d(img)), keras.ops.convert_to_numpy(old_d(img)),
                  "discriminator after loading", atol=1e-5)
