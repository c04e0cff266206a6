"""What code outside ``models/`` asks a model, answered by the model itself.

Export, inversion, the presets' stored output check and the command line
never keep their own ``isinstance`` chain over the variants: they ask these
questions, whose defaults (here, mixed into ``GANModel``) fit a model that
samples from noise through its first ``sampling_networks`` entry, and which a
variant overrides where it differs (docs/architecture.md):

- ``samples_from``, ``sample_inputs()``: noise, noise + label, or an image of
  domain A/B (``directions``);
- ``label_classes``, ``balanced_labels(n)``: which labels a sample needs;
  ``needs_labels`` (of the class): whether it only trains on labelled data;
  ``needs_feature_extractor`` (of the class): whether it is built around a
  pretrained f the user supplies;
- ``serving_network()``: the functional model ``export_generator`` writes;
- ``export_refusal(format)``: why an export format cannot work here, if so;
- ``inversion_target()``: the latent -> image map ``project`` optimises;
- ``generate_from_latent(z)``: images of given latents (latent walks);
- ``output_check_sample(n, seed)``: how a preset's stored check is made;
- ``sample_options``: ``generate``'s extra keyword options.
"""

from __future__ import annotations

import keras
import numpy as np

from keras_gans.errors import GANConfigError, GANInputError
from keras_gans.layers.serving import OneHotLabels

#: What one sample is made from (``CapabilitiesMixin.samples_from``).
SAMPLE_SOURCES = ("noise", "noise+label", "image")
#: How a serving network takes a label (``serving_network(labels=...)``).
LABEL_MODES = ("int", "one_hot")


class CapabilitiesMixin:
    """The questions of the module doc, with the defaults of a noise sampler."""

    #: Translation directions (``"a2b"``, ``"b2a"``) of a model that samples
    #: from images; empty for one that samples from noise.
    directions: tuple = ()

    #: Whether the variant always trains on labels: it cannot be built without
    #: ``num_classes=`` (ConditionalGAN). Asked of the class, before building.
    needs_labels: bool = False

    #: Whether the variant is built around a pretrained feature extractor f
    #: that the user supplies (the DTN: ``DomainTransferNetwork(f)``). Asked of
    #: the class, before building.
    needs_feature_extractor: bool = False

    #: Keyword options of ``generate`` beyond ``n, labels, seed, batch_size``
    #: (StyleGAN: ``truncation_psi``, ``noise_mode``, ``ema``).
    sample_options: tuple = ()

    # ---------------------------------------------------------- what it samples from
    @property
    def label_classes(self) -> int | None:
        """How many classes a sample is conditioned on (``generate`` then needs
        ``labels=``), or None for a model that takes no labels."""
        return None

    @property
    def samples_from(self) -> str:
        """``"noise"``, ``"noise+label"`` or ``"image"`` (a translator)."""
        if self.directions:
            return "image"
        return "noise+label" if self.label_classes else "noise"

    def sample_inputs(self, direction=None) -> dict:
        """What one sample is made from, in the order ``serving_network()``
        takes it: ``{name: shape of one sample's input}``, e.g.
        ``{"z": (100,)}``, ``{"z": (100,), "label": ()}`` (a class id) or, for
        a translator, ``{"image": (28, 28, 1)}`` of ``direction``'s source."""
        if self.directions:
            raise NotImplementedError(
                f"{type(self).__name__} translates images: it must define "
                "sample_inputs(direction) (see TwoDomainGAN).")
        inputs = {"z": (self.latent_size(),)}
        if self.label_classes:
            inputs["label"] = ()
        return inputs

    def latent_size(self) -> int:
        """The size of z."""
        size = getattr(self, "latent_dim", None)
        if not size:
            raise GANConfigError(
                f"{type(self).__name__} samples from noise but has no latent_dim: set "
                "self.latent_dim in its __init__ or override sample_inputs().")
        return int(size)

    def balanced_labels(self, n) -> np.ndarray | None:
        """Class ids ``0, 1, ..., k-1, 0, ...`` for ``n`` samples of a
        conditional model (every class equally often), None otherwise."""
        if not self.label_classes:
            return None
        return np.arange(int(n)) % int(self.label_classes)

    def check_direction(self, direction) -> str:
        """``direction`` if this translator goes that way; a clear error else."""
        if direction not in self.directions:
            if len(self.directions) == 1:
                raise GANConfigError(
                    f"{type(self).__name__} translates one way, source to target "
                    f"({self.directions[0]}); got direction={direction!r}.")
            raise GANConfigError(
                f"direction must be {' or '.join(map(repr, self.directions))}; "
                f"got {direction!r}.")
        return direction

    # ---------------------------------------------------------- serving
    def serving_network(self, *, direction="a2b", truncation_psi=1.0, labels="int"):
        """The functional ``keras.Model`` a user serves (``export_generator``
        writes it): inputs named and shaped as ``sample_inputs()`` says (a
        label as int32 class ids, or float one-hot with ``labels="one_hot"``),
        output images. By default z [, label] -> the first sampling network
        (its moving average when there is one)."""
        if labels not in LABEL_MODES:
            raise GANConfigError(f"labels must be one of {LABEL_MODES}; got {labels!r}.")
        return latent_serving_network(self.sampler(self.sampling_networks[0]),
                                      self.latent_size(), self.label_classes, labels)

    def export_refusal(self, format) -> str | None:
        """Why ``format`` cannot be exported from this model on this backend
        (a sentence naming what to do instead), or None."""
        return None

    # ---------------------------------------------------------- inversion, walks
    def inversion_target(self):
        """The ``LatentTarget`` that ``keras_gans.project`` optimises a latent
        of. A variant that can be projected overrides this."""
        raise GANInputError(
            f"project() does not know {type(self).__name__}'s latent: the class "
            "defines no inversion_target() (see docs/architecture.md).")

    def generate_from_latent(self, z, labels=None):
        """Images of the latent codes ``z`` (N, latent_dim) (and class ids
        ``labels``), for latent walks. A variant that can be walked overrides this."""
        raise GANInputError(
            f"interpolate walks a generator's latent space; {type(self).__name__} "
            "has none it can walk.")

    # ---------------------------------------------------------- stored output check
    def output_check_sample(self, n=2, seed=0):
        """``(outputs, how)``: ``n`` seeded outputs a preset stores a slice of
        (``presets.output_check``) and the JSON-able recipe of them. The seed
        draws from numpy, so the outputs are the same on every backend. By
        default: ``generate`` with balanced labels."""
        labels = self.balanced_labels(n)
        labels = None if labels is None else labels.tolist()
        out = self.generate(n, labels=labels, seed=seed)
        return out, {"method": "generate", "seed": seed, "n": n, "labels": labels}


class LatentTarget:
    """latent -> image: what ``keras_gans.project`` optimises a latent of.

    Subclasses define ``decode``; ``images`` (what is scored and returned) and
    ``initial`` (the starting latents) have defaults.

    Args:
        model: the model the latent belongs to.
        latent_dim: the latent's size.
        num_classes: classes of the one-hot label ``decode`` takes, or None.
    """

    #: the latent's name in ``Projection.space``
    space = "z"

    def __init__(self, model, latent_dim, num_classes=None):
        self.model = model
        self.data_shape = tuple(model.data_shape)
        self.latent_dim = int(latent_dim)
        self.num_classes = num_classes or None

    def decode(self, latent, onehot):
        """Images of ``latent`` (a tensor), differentiable with respect to it."""
        raise NotImplementedError(f"{type(self).__name__} must define decode(latent, onehot).")

    def images(self, latent, onehot):
        """The images the projection's errors are measured on (default: ``decode``)."""
        return self.decode(latent, onehot)

    def initial(self, images, onehot, restarts, rng):
        """(N * restarts, latent_dim) float32 starting latents: N(0, 1) draws."""
        return rng.standard_normal((len(images) * restarts, self.latent_dim)).astype("float32")


class NetworkTarget(LatentTarget):
    """z of one network: ``network(z)``, or ``network([z, one_hot])`` when
    conditional; starts from N(0, 1) draws."""

    def __init__(self, model, network, latent_dim, num_classes=None):
        super().__init__(model, latent_dim, num_classes)
        self.network = network

    def decode(self, latent, onehot):
        return self.network([latent, onehot] if self.num_classes else latent, training=False)


def latent_serving_network(generator, latent_dim, num_classes=None, labels="int"):
    """``z [, label] -> generator``: a functional model with inputs named
    ``z`` (N, latent_dim) and, when ``num_classes``, ``label`` (int32 class ids
    (N,), or float one-hot (N, num_classes) with ``labels="one_hot"``)."""
    z = keras.Input((latent_dim,), name="z")
    if not num_classes:
        out = generator(z, training=False)
        return keras.Model(z, out, name="generator_serving")
    if labels == "int":
        label = keras.Input((), dtype="int32", name="label")
        one_hot = OneHotLabels(num_classes, name="one_hot")(label)
    else:
        label = keras.Input((num_classes,), name="label")
        one_hot = label
    out = generator([z, one_hot], training=False)
    return keras.Model([z, label], out, name="generator_serving")
