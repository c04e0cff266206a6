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

from keras_gans.core.capabilities import LABEL_MODES
from keras_gans.core.gan_model import GANModel
from keras_gans.errors import GANConfigError, did_you_mean
from keras_gans.layers.serving import (  # noqa: F401 (their old home: keras_gans.export)
    ClipImages,
    OneHotLabels,
    Truncation,
    ZeroNoise,
)

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
    refusal = model.export_refusal(format) if isinstance(model, GANModel) else None
    if refusal:
        raise GANConfigError(refusal)
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
    """``(network, input_specs)``: the functional model to export (a keras_gans
    model's ``serving_network()``, or a functional ``keras.Model`` as it is)
    and the ``keras.InputSpec`` of each of its inputs (batch axis free)."""
    if labels not in LABEL_MODES:
        raise GANConfigError(f"labels must be one of {LABEL_MODES}; got {labels!r}.")
    if isinstance(model, GANModel):
        network = model.serving_network(direction=direction, truncation_psi=truncation_psi,
                                        labels=labels)
    elif isinstance(model, keras.Model):
        if getattr(model, "inputs", None) is None:
            raise GANConfigError(
                f"{type(model).__name__} is not a keras_gans model nor a functional "
                "keras.Model; export its generator network instead."
            )
        network = model
    else:
        raise GANConfigError(f"Cannot export a {type(model).__name__}: pass a keras_gans model.")
    specs = [keras.InputSpec(shape=(None, *t.shape[1:]), dtype=t.dtype, name=_name(t, i))
             for i, t in enumerate(network.inputs)]
    return network, specs


def _name(tensor, i):
    name = getattr(tensor, "name", None) or f"input_{i}"
    return name.split(":")[0]
