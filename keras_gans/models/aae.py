from __future__ import annotations

import math

import keras
import numpy as np
from keras import ops

from keras_gans import losses
from keras_gans.core.gan_model import GANModel
from keras_gans.core.phase import Phase
from keras_gans.errors import GANConfigError, GANInputError
from keras_gans.models._encoding import (
    EncoderTarget,
    as_samples,
    batched,
    check_code_size,
    check_labels,
)
from keras_gans.networks import mlp_discriminator, mlp_generator
from keras_gans.networks.encoders import mlp_encoder


@keras.saving.register_keras_serializable(package="keras_gans")
class AdversarialAutoencoder(GANModel):
    """Adversarial autoencoder (Makhzani et al. 2015, "Adversarial Autoencoders").

    An encoder q(z|x) and a decoder p(x|z) trained to reconstruct, and a
    discriminator on the latent code that pushes the aggregated posterior q(z)
    towards a prior p(z). Three phases per step, as in the paper:
    ``reconstruction`` (encoder and decoder minimise the reconstruction error),
    ``regularization`` (the discriminator tells prior samples, "real", from codes,
    "fake") and ``generator`` (the encoder fools it). ``generate`` decodes prior
    samples.

    Priors: ``"gaussian"`` (N(0, I)) and ``"mixture"``: ``mixture_components``
    Gaussians of std ``mixture_std`` with means evenly spaced on a circle of
    radius ``mixture_radius`` in the first two code dimensions (the paper's
    10-component 2-D mixture with ``latent_dim=2``).

    ``supervised=True`` is the paper's supervised AAE: the one-hot label goes to the
    decoder, so the code only needs to hold the style, and ``generate(n,
    labels=...)`` draws a chosen digit in a random style.

    Networks are MLPs of two hidden layers of 1000 units, the size of the paper's
    MNIST networks (LeakyReLU here); the reconstruction error is the mean squared error on data in
    [-1, 1]. The paper trains with SGD and momentum at hand-tuned rates; the
    default here is Adam(2e-4, β1=0.5) for every player, as for the other
    variants (the encoder's one optimizer serves both phases that update it).

    Args:
        encoder, decoder, discriminator: Keras models (x -> z; z [, one-hot] -> x;
            z -> logit). Built from ``data_shape`` when omitted.
        data_shape: shape of one sample, e.g. ``(28, 28, 1)`` or ``(2,)``.
        latent_dim: size of the code.
        prior: ``"gaussian"`` or ``"mixture"``.
        supervised: give the one-hot label to the decoder; needs ``num_classes``.
        num_classes: number of classes of the supervised model.
        hidden: widths of the MLP layers of all three networks.
        reconstruction_weight: scale of the reconstruction loss.
        seed: seed of the model's ``keras.random.SeedGenerator``.

    Example:
        ```python
        x, y = keras_gans.data.load_digits(28)
        aae = keras_gans.AdversarialAutoencoder(data_shape=(28, 28, 1), latent_dim=8)
        aae.compile()
        aae.fit(x, batch_size=100, epochs=50)
        codes, x_hat = aae.encode(x), aae.reconstruct(x)
        ```
    """

    sampling_networks = ("decoder",)

    players = ("encoder", "decoder", "discriminator")
    augment_refusal = (
        "its discriminator sees latent codes, not images, so DiffAugment has "
        "nothing to transform (augmenting the autoencoder's inputs would change "
        "what it reconstructs)."
    )
    tracked_terms = ("reconstruction_loss", "d_loss", "g_loss")
    priors = ("gaussian", "mixture")

    def __init__(self, encoder=None, decoder=None, discriminator=None, *,
                 data_shape=None, latent_dim=8, prior="gaussian", supervised=False,
                 num_classes=None, hidden=(1000, 1000), mixture_components=10,
                 mixture_radius=4.0, mixture_std=0.5, reconstruction_weight=1.0,
                 seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        if prior not in self.priors:
            raise GANConfigError(
                f"AdversarialAutoencoder's prior is one of {self.priors}; got {prior!r}."
            )
        if supervised and not num_classes:
            raise GANConfigError(
                "supervised=True gives the label to the decoder: pass num_classes= "
                "(e.g. 10 for digits)."
            )
        if num_classes and not supervised:
            raise GANConfigError(
                "num_classes= is for the supervised model: pass supervised=True too "
                "(or drop num_classes)."
            )
        self.latent_dim = int(latent_dim)
        self.prior = prior
        self.supervised = bool(supervised)
        self.num_classes = int(num_classes) if num_classes else None
        self.hidden = tuple(hidden)
        self.mixture_components = int(mixture_components)
        self.mixture_radius = float(mixture_radius)
        self.mixture_std = float(mixture_std)
        self.reconstruction_weight = float(reconstruction_weight)
        if prior == "mixture" and self.latent_dim < 2:
            raise GANConfigError("The mixture prior lies on a circle: latent_dim must be >= 2.")
        if encoder is None or decoder is None or discriminator is None:
            if data_shape is None:
                raise GANConfigError(
                    "AdversarialAutoencoder needs data_shape= (e.g. (28, 28, 1)) to "
                    "build its networks, or encoder=, decoder= and discriminator=."
                )
            data_shape = tuple(data_shape)
            out_act = "tanh" if len(data_shape) > 1 else None
            encoder = encoder or mlp_encoder(data_shape, self.latent_dim, self.hidden)
            decoder = decoder or mlp_generator(
                self.latent_dim, data_shape, self.hidden, self.num_classes, out_act,
                name="decoder")
            discriminator = discriminator or mlp_discriminator(
                (self.latent_dim,), self.hidden)
        self.encoder = encoder
        self.decoder = decoder
        self.discriminator = discriminator
        self._check_networks()
        self.build_ema()
        self.built = True

    def _check_networks(self):
        check_code_size(self.encoder, self.encoder.outputs[0].shape[-1], self.latent_dim)
        check_code_size(self.decoder, self.decoder.inputs[0].shape[-1], self.latent_dim,
                        "takes codes")
        check_code_size(self.discriminator, self.discriminator.inputs[0].shape[-1],
                        self.latent_dim, "takes codes")
        expected = 2 if self.supervised else 1
        if len(self.decoder.inputs) != expected:
            raise GANConfigError(
                f"With supervised={self.supervised} the decoder takes {expected} "
                f"input(s) (the code, then the one-hot label when supervised); got "
                f"{len(self.decoder.inputs)}."
            )
        out = tuple(self.decoder.outputs[0].shape[1:])
        into = tuple(self.encoder.inputs[0].shape[1:])
        if out != into:
            raise GANConfigError(
                f"The decoder makes samples of shape {out} but the encoder takes {into}."
            )

    @property
    def data_shape(self):
        return tuple(self.encoder.inputs[0].shape[1:])

    def call(self, inputs, training=False):
        if self.supervised:
            x, labels = inputs
            return self._decode(self.encoder(x, training=training), self.one_hot(labels),
                                training)
        return self._decode(self.encoder(inputs, training=training), None, training)

    def call_spec(self):
        return {
            "takes": "samples x", "shape": self.data_shape, "labels": self.supervised,
            "gives": "their reconstructions",
            "instead": "to draw samples use generate(n), to decode codes decode(z)",
        }

    def default_optimizer(self, player):
        return keras.optimizers.Adam(2e-4, beta_1=0.5)

    # ------------------------------------------------------------ prior
    def mixture_means(self):
        """(components, latent_dim) means of the mixture prior, numpy."""
        k = self.mixture_components
        angles = 2 * math.pi * np.arange(k) / k
        means = np.zeros((k, self.latent_dim), "float32")
        means[:, 0] = self.mixture_radius * np.cos(angles)
        means[:, 1] = self.mixture_radius * np.sin(angles)
        return means

    def sample_prior(self, n, normal=None, uniform=None):
        normal = normal or self.random_normal
        uniform = uniform or self.random_uniform
        eps = normal((n, self.latent_dim))
        if self.prior == "gaussian":
            return eps
        k = self.mixture_components
        # Component index from one uniform draw per sample (from the model's seed
        # generator); the minimum guards u == 1.
        u = ops.reshape(uniform((n, 1)), (-1,))
        idx = ops.minimum(ops.cast(ops.floor(u * k), "int32"), k - 1)
        means = ops.matmul(ops.one_hot(idx, k, dtype=eps.dtype),
                           ops.convert_to_tensor(self.mixture_means(), dtype=eps.dtype))
        return means + self.mixture_std * eps

    # ------------------------------------------------------------ training
    def check_batch(self, x, y=None):
        check_labels(self, y, takes_labels=self.supervised)
        super().check_batch(x, y)
        if self.supervised:
            self._check_label_values(np.asarray(y))

    def prepare_batch(self, data):
        batch = super().prepare_batch(data)
        check_labels(self, batch["y"], takes_labels=self.supervised)
        if self.supervised:
            batch["y"] = self.one_hot(batch["y"])
        return batch

    def _decode(self, z, labels, training=True, network=None):
        inputs = [z, labels] if self.supervised else z
        return (network or self.decoder)(inputs, training=training)

    def phases(self):
        return [
            Phase("reconstruction", ("encoder", "decoder"), self.reconstruction_loss),
            Phase("regularization", ("discriminator",), self.discriminator_loss),
            Phase("generator", ("encoder",), self.generator_loss),
        ]

    def reconstruction_loss(self, batch):
        x = batch["x"]
        x_hat = self._decode(self.encoder(x, training=True), batch["y"])
        loss = ops.mean(ops.square(ops.cast(x_hat, "float32") - ops.cast(x, "float32")))
        return self.reconstruction_weight * loss, {"reconstruction_loss": loss}

    def discriminator_loss(self, batch):
        x = batch["x"]
        prior = self.sample_prior(ops.shape(x)[0])
        codes = ops.stop_gradient(self.encoder(x, training=True))
        loss = losses.log_d_loss(self.discriminator(prior, training=True),
                                 self.discriminator(codes, training=True))
        return loss, {"d_loss": loss}

    def generator_loss(self, batch):
        codes = self.encoder(batch["x"], training=True)
        loss = losses.non_saturating_g_loss(self.discriminator(codes, training=True))
        return loss, {"g_loss": loss}

    # ------------------------------------------------------------ inference
    def encode(self, x, batch_size=256):
        """Codes of samples ``x`` (numpy), shape ``(n, latent_dim)``."""
        x = as_samples(self, x)
        return batched(lambda b: self.encoder(b, training=False), [x], batch_size)

    def decode(self, z, labels=None, batch_size=256):
        """Samples decoded from codes ``z`` (and class ids ``labels`` when supervised)."""
        z = np.asarray(z, dtype=self.compute_dtype)
        if z.ndim != 2 or z.shape[1] != self.latent_dim:
            raise GANInputError(
                f"Codes must have shape (n, {self.latent_dim}); got {z.shape}."
            )
        labels = self._labels_for(len(z), labels)
        return batched(
            lambda c, y: self._decode(ops.convert_to_tensor(c),
                                      None if y is None else self.one_hot(y), False,
                                      self.sampler("decoder")),
            [z, labels], batch_size,
        )

    def reconstruct(self, x, labels=None, batch_size=256):
        """decode(encode(x)) (with the samples' class ids when supervised)."""
        return self.decode(self.encode(x, batch_size), labels, batch_size)

    def generate(self, n, labels=None, seed=None, batch_size=256):
        """Decode ``n`` prior samples (of the given class ids when supervised)."""
        labels = self._labels_for(n, labels)
        normal, uniform = self.sampling_draws(seed)
        z = []
        for start in range(0, n, batch_size):
            m = min(batch_size, n - start)
            z.append(keras.ops.convert_to_numpy(self.sample_prior(m, normal=normal,
                                                                   uniform=uniform)))
        return self.decode(np.concatenate(z, axis=0), labels, batch_size)

    def _labels_for(self, n, labels):
        if self.supervised and labels is None:
            raise GANInputError(
                "This AdversarialAutoencoder is supervised: pass labels= (n class ids)."
            )
        if labels is None:
            return None
        if not self.supervised:
            raise GANInputError(
                "This AdversarialAutoencoder is unsupervised: its decoder takes no "
                "labels; drop labels=."
            )
        labels = np.asarray(labels).reshape(-1)
        if len(labels) != n:
            raise GANInputError(f"Got {len(labels)} labels for {n} samples.")
        self._check_label_values(labels)
        return labels

    # ------------------------------------------------------------ capabilities
    @property
    def label_classes(self):
        return self.num_classes if self.supervised else None

    def inversion_target(self):
        """z of the decoder (its moving average when there is one), started
        from the encoder's code of each image."""
        return EncoderTarget(self, self.sampler("decoder"), self.latent_dim,
                             self.label_classes, prior=self.sample_prior)

    def _check_label_values(self, labels):
        if labels.ndim == 2 and labels.shape[-1] == self.num_classes:
            return
        labels = labels.reshape(-1)
        if labels.min() < 0 or labels.max() >= self.num_classes:
            raise GANInputError(
                f"Labels must be class ids in [0, {self.num_classes}); got "
                f"[{labels.min()}, {labels.max()}]."
            )

    # ------------------------------------------------------------ config
    def get_config(self):
        config = super().get_config()
        config.update(
            latent_dim=self.latent_dim, prior=self.prior, supervised=self.supervised,
            num_classes=self.num_classes, hidden=self.hidden,
            mixture_components=self.mixture_components,
            mixture_radius=self.mixture_radius, mixture_std=self.mixture_std,
            reconstruction_weight=self.reconstruction_weight,
        )
        return config
