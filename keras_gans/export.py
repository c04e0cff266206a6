"""Export a model's generator for serving: a TensorFlow SavedModel or ONNX.

``export_generator(model, path, format=...)`` writes the network a user
serves, not the training model:

- GAN, DCGAN, WGAN, WGAN-GP, LSGAN, BiGAN: ``z (N, latent_dim) -> images``;
- ConditionalGAN (and a supervised AAE's decoder): ``z, label -> images``,
  the label as int32 class ids ``(N,)`` (``labels="one_hot"``: float
  ``(N, num_classes)``);
- AdversarialAutoencoder: its decoder, ``z -> images``;
- StyleGAN: the EMA generator (what ``generate`` samples from), mapping and
  synthesis in one graph, truncation ψ (``truncation_psi``) baked in toward
  the tracked mean of w, per-pixel noise off (``noise_mode="none"``) and the
  output clipped to [-1, 1], so the artifact is deterministic and equals
  ``generate(..., noise_mode="none", truncation_psi=ψ)`` for the same z;
- CycleGAN, DiscoGAN: one direction's generator (``direction="a2b"`` or
  ``"b2a"``), ``image -> image``; DomainTransferNetwork: source -> target.

Which backend can write which format (Keras 3.15's own exporters):

- ``tf_saved_model``: TensorFlow, JAX (through jax2tf; needs TensorFlow
  installed). Keras' torch route needs torch_xla, so not torch.
- ``onnx``: TensorFlow (tf2onnx), PyTorch (torch.onnx, onnxscript), JAX
  (jax2onnx). ``pip install keras-gans[export]`` installs onnx,
  onnxruntime, onnxscript and tf2onnx; JAX's jax2onnx pulls flax, orbax and
  tensorstore, so it is its own extra, ``keras-gans[export-jax]``.

Inputs and outputs are float32 with a free batch axis.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import tempfile
import warnings

import keras
import numpy as np
from keras import ops

from keras_gans.errors import GANConfigError, did_you_mean

# format -> backends whose Keras exporter writes it
FORMATS = {
    "tf_saved_model": ("tensorflow", "jax"),
    "onnx": ("tensorflow", "jax", "torch"),
}
# (format, backend) -> the Python modules the exporter imports, and the extra
_NEEDS = {
    ("tf_saved_model", "tensorflow"): ((), None),
    ("tf_saved_model", "jax"): (("tensorflow",), "tensorflow"),
    ("onnx", "tensorflow"): (("tf2onnx", "onnx"), "export"),
    ("onnx", "torch"): (("onnx", "onnxscript"), "export"),
    ("onnx", "jax"): (("jax2onnx", "onnx"), "export-jax"),
}
LABEL_MODES = ("int", "one_hot")


def export_generator(model, path, format="tf_saved_model", *, overwrite=False,
                     direction="a2b", truncation_psi=1.0, labels="int",
                     verbose=False) -> str:
    """Write ``model``'s generator network for serving and return ``path``.

    Args:
        model: a keras_gans model (any variant) or a plain ``keras.Model``
            (exported as it is).
        path: the SavedModel folder, or the ``.onnx`` file.
        format: ``"tf_saved_model"`` or ``"onnx"`` (see the module doc for
            which backend writes which).
        overwrite: replace an existing ``path``; without it an existing path
            is an error. The new artifact is written beside it first, so a
            failed export leaves the old one in place.
        direction: CycleGAN/DiscoGAN: ``"a2b"`` (``generator_ab``) or ``"b2a"``.
        truncation_psi: StyleGAN: ψ baked into the artifact (1 = none).
        labels: conditional models: ``"int"`` (class ids, int32 ``(N,)``) or
            ``"one_hot"`` (float32 ``(N, num_classes)``) as the label input.
        verbose: let Keras' exporter print its messages.

    Serving: a SavedModel's ``serve`` endpoint (``serving_default``
    signature) takes the inputs in the order ``z[, label]`` (or ``image``);
    an ONNX graph names its inputs ``z``, ``label``, ``image``.

    Example:
        ```python
        model = keras_gans.presets.from_preset("dcgan_mnist")
        keras_gans.export_generator(model, "dcgan_mnist.onnx", format="onnx")
        session = onnxruntime.InferenceSession("dcgan_mnist.onnx")
        images = session.run(None, {"z": z})[0]
        ```
    """
    check_format(format)
    path = os.fspath(path)
    if os.path.lexists(path) and not overwrite:
        raise GANConfigError(
            f"{path} exists; pass overwrite=True (--overwrite) to replace it, or "
            "choose another path."
        )
    if format == "onnx" and keras.backend.backend() == "jax" and _is_stylegan(model):
        # jax2onnx 0.17 cannot convert jax.image.resize (the synthesis network's
        # bilinear upsampling) with a symbolic batch size.
        raise GANConfigError(
            "StyleGAN's ONNX export does not run on the jax backend (jax2onnx cannot "
            "convert its bilinear upsampling with a free batch size): export it with "
            "KERAS_BACKEND=tensorflow or torch, or as format='tf_saved_model'."
        )
    network, specs = serving_network(model, direction=direction,
                                     truncation_psi=truncation_psi, labels=labels)
    policies = sorted({layer.dtype_policy.name for layer in network._flatten_layers()
                       if layer.dtype_policy.name != "float32"})
    if policies:
        raise GANConfigError(
            "Keras exports float32 models only, and this generator computes in "
            f"{policies}. Rebuild it under keras.config.set_dtype_policy('float32') "
            "and load the weights into it (model.save_weights / load_weights)."
        )
    parent = os.path.dirname(os.path.abspath(path))
    os.makedirs(parent, exist_ok=True)
    # Write beside the target, then move it into place: an export that fails
    # half way (a missing converter, an unsupported op) leaves no partial
    # artifact and, with overwrite=True, keeps the old one.
    tmp_dir = tempfile.mkdtemp(prefix=".export-", dir=parent)
    try:
        tmp = os.path.join(tmp_dir, os.path.basename(path) or "artifact")
        signature = [specs[0]] if len(specs) == 1 else [list(specs)]
        with warnings.catch_warnings():
            # torch.jit's tracer warns about every Python bool taken from a
            # tensor shape; the shapes it fixes are the static ones.
            warnings.filterwarnings("ignore", message=".*might cause the trace to be incorrect")
            network.export(tmp, format=format, verbose=verbose, input_signature=signature)
        if not os.path.exists(tmp):  # pragma: no cover - an exporter that wrote elsewhere
            raise GANConfigError(f"Keras' {format} exporter wrote nothing at {tmp}.")
        if format == "onnx":
            _single_file_onnx(tmp)
        if os.path.lexists(path):
            if os.path.isdir(path) and not os.path.islink(path):
                shutil.rmtree(path)
            else:
                os.remove(path)
        os.replace(tmp, path)
    finally:
        shutil.rmtree(tmp_dir, ignore_errors=True)
    return path


def _is_stylegan(model):
    from keras_gans.models.stylegan import StyleGAN

    return isinstance(model, StyleGAN)


def _single_file_onnx(path):
    """Fold weights an exporter wrote beside the graph (jax2onnx and torch's
    dynamo exporter write ``<name>.onnx.data``) into the one .onnx file, so the
    artifact is one file that can be moved (ONNX's protobuf limit is 2 GiB;
    these generators are far below it)."""
    import onnx

    folder = os.path.dirname(path)
    if len(os.listdir(folder)) == 1:
        return
    graph = onnx.load(path, load_external_data=True)
    onnx.save_model(graph, path, save_as_external_data=False)
    for name in os.listdir(folder):
        if os.path.join(folder, name) != path:
            os.remove(os.path.join(folder, name))


def check_format(format) -> str:
    """The backend, if it can write ``format`` here; a clear error otherwise."""
    if format not in FORMATS:
        raise GANConfigError(
            f"Unknown export format {format!r}; keras_gans exports "
            f"{sorted(FORMATS)}.{did_you_mean(format, FORMATS)}"
        )
    backend = keras.backend.backend()
    if backend not in FORMATS[format]:
        others = ", ".join(FORMATS[format])
        raise GANConfigError(
            f"The {backend} backend cannot export format={format!r} (Keras' exporter "
            f"for it runs on {others}). Run with KERAS_BACKEND set to one of them "
            "(the weights load on every backend)"
            + (", or export format='onnx'." if format != "onnx" else ".")
        )
    modules, extra = _NEEDS[(format, backend)]
    missing = [m for m in modules if importlib.util.find_spec(m) is None]
    if missing:
        raise GANConfigError(
            f"Exporting format={format!r} on {backend} needs {', '.join(missing)}: "
            f"pip install 'keras-gans[{extra}]' (or pip install {' '.join(missing)})."
        )
    return backend


# ---------------------------------------------------------------- networks
def serving_network(model, *, direction="a2b", truncation_psi=1.0, labels="int"):
    """``(network, input_specs)``: the functional model to export and the
    ``keras.InputSpec`` of each of its inputs (batch axis free)."""
    from keras_gans.core.adversarial import AdversarialGAN
    from keras_gans.core.two_domain import TwoDomainGAN
    from keras_gans.models.aae import AdversarialAutoencoder
    from keras_gans.models.bigan import BiGAN
    from keras_gans.models.dtn import DomainTransferNetwork
    from keras_gans.models.stylegan import StyleGAN

    if labels not in LABEL_MODES:
        raise GANConfigError(f"labels must be one of {LABEL_MODES}; got {labels!r}.")
    if isinstance(model, StyleGAN):
        return _stylegan(model, truncation_psi)
    if isinstance(model, DomainTransferNetwork):
        image = keras.Input(model.data_shape_a, name="image")
        out = model.sampler("decoder")(model._features(image, training=False), training=False)
        return keras.Model(image, out, name="dtn_serving"), [_spec(image)]
    if isinstance(model, TwoDomainGAN):
        if direction not in ("a2b", "b2a"):
            raise GANConfigError(f"direction must be 'a2b' or 'b2a'; got {direction!r}.")
        net = model.sampler("generator_ab" if direction == "a2b" else "generator_ba")
        shape = model.data_shape_a if direction == "a2b" else model.data_shape_b
        image = keras.Input(shape, name="image")
        out = _first(net(image, training=False))
        return keras.Model(image, out, name=f"{net.name}_serving"), [_spec(image)]
    if isinstance(model, AdversarialGAN):
        return _latent_to_image(model.sampler(), model.latent_dim, model.num_classes,
                                labels)
    if isinstance(model, AdversarialAutoencoder):
        return _latent_to_image(model.sampler("decoder"), model.latent_dim,
                                model.num_classes if model.supervised else None, labels)
    if isinstance(model, BiGAN):
        return _latent_to_image(model.sampler(), model.latent_dim, None, labels)
    if isinstance(model, keras.Model):
        if getattr(model, "inputs", None) is None:
            raise GANConfigError(
                f"{type(model).__name__} is not a keras_gans model nor a functional "
                "keras.Model; export its generator network instead."
            )
        specs = [keras.InputSpec(shape=(None, *t.shape[1:]), dtype=t.dtype, name=_name(t, i))
                 for i, t in enumerate(model.inputs)]
        return model, specs
    raise GANConfigError(f"Cannot export a {type(model).__name__}: pass a keras_gans model.")


def _name(tensor, i):
    name = getattr(tensor, "name", None) or f"input_{i}"
    return name.split(":")[0]


def _first(outputs):
    return outputs[0] if isinstance(outputs, (list, tuple)) else outputs


def _latent_to_image(generator, latent_dim, num_classes, labels):
    z = keras.Input((latent_dim,), name="z")
    if not num_classes:
        out = generator(z, training=False)
        return keras.Model(z, out, name="generator_serving"), [_spec(z)]
    if labels == "int":
        label = keras.Input((), dtype="int32", name="label")
        one_hot = OneHotLabels(num_classes, name="one_hot")(label)
    else:
        label = keras.Input((num_classes,), name="label")
        one_hot = label
    out = generator([z, one_hot], training=False)
    return keras.Model([z, label], out, name="generator_serving"), [_spec(z), _spec(label)]


def _stylegan(model, truncation_psi):
    psi = model._check_psi(truncation_psi)
    mapping, synthesis = model.networks(ema=True)
    z = keras.Input((model.latent_dim,), name="z")
    w = mapping(z, training=False)
    if psi != 1.0:
        w = Truncation(np.asarray(ops.convert_to_numpy(model.w_avg)), psi,
                       name="truncation")(w)
    from keras_gans.layers.stylegan import BroadcastLatent

    ws = BroadcastLatent(model.num_ws, name="broadcast")(w)
    noise = [ZeroNoise(s, name=f"zero_noise{i}")(z) for i, s in enumerate(model.noise_shapes)]
    out = synthesis([ws, *noise], training=False)
    out = ClipImages(name="clip")(out)
    return keras.Model(z, out, name="stylegan_ema_serving"), [_spec(z)]


def _spec(tensor):
    return keras.InputSpec(shape=(None, *tensor.shape[1:]), dtype=tensor.dtype,
                           name=_name(tensor, 0))


# ---------------------------------------------------------------- layers
class OneHotLabels(keras.layers.Layer):
    """int class ids (N,) -> float32 one-hot (N, num_classes), written as a
    comparison with ``arange`` so every exporter handles it."""

    def __init__(self, num_classes, **kwargs):
        super().__init__(**kwargs)
        self.num_classes = int(num_classes)

    def call(self, labels):
        labels = ops.reshape(ops.cast(labels, "int32"), (-1, 1))
        # a constant, not ops.arange: jax2onnx cannot convert arange here
        classes = ops.convert_to_tensor(np.arange(self.num_classes, dtype="int32")[None])
        return ops.cast(ops.equal(labels, classes), "float32")

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.num_classes)


class Truncation(keras.layers.Layer):
    """w -> w̄ + ψ (w - w̄), with w̄ a constant of the artifact."""

    def __init__(self, w_avg, psi, **kwargs):
        super().__init__(**kwargs)
        self.w_avg_value = np.asarray(w_avg, "float32")
        self.psi = float(psi)

    def build(self, input_shape):
        self.w_avg = self.add_weight(shape=self.w_avg_value.shape, trainable=False,
                                     initializer="zeros", name="w_avg")
        self.w_avg.assign(self.w_avg_value)

    def call(self, w):
        return self.w_avg + self.psi * (w - self.w_avg)


class ZeroNoise(keras.layers.Layer):
    """z (N, ...) -> zeros (N, H, W, 1): the synthesis network's noise input
    switched off, with the batch size taken from z."""

    def __init__(self, shape, **kwargs):
        super().__init__(**kwargs)
        self.noise_shape = tuple(int(s) for s in shape)

    def call(self, z):
        batch = ops.reshape(ops.zeros_like(z[:, 0]), (-1,) + (1,) * len(self.noise_shape))
        return batch + ops.zeros((1, *self.noise_shape), z.dtype)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], *self.noise_shape)


class ClipImages(keras.layers.Layer):
    """Clip to the images' range [-1, 1] (StyleGAN's output is linear)."""

    def call(self, x):
        return ops.clip(x, -1.0, 1.0)
