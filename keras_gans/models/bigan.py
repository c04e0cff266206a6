from __future__ import annotations

import keras
import numpy as np
from keras import ops

from keras_gans import losses
from keras_gans.core.gan_model import GANModel, as_float32
from keras_gans.core.phase import Phase
from keras_gans.errors import GANConfigError, GANInputError
from keras_gans.models._encoding import (
    EncoderTarget,
    as_samples,
    batched,
    check_code_size,
    check_labels,
)
from keras_gans.networks import mlp_generator
from keras_gans.networks.encoders import mlp_encoder, mlp_joint_discriminator


@keras.saving.register_keras_serializable(package="keras_gans")
class BiGAN(GANModel):
    """Bidirectional GAN (Donahue et al. 2017, "Adversarial Feature Learning").

    A generator G(z), an encoder E(x) and a discriminator D(x, z) on joint pairs:
    D tells (x, E(x)) from (G(z), z); G and E are updated together, in one
    phase, to fool it. At the optimum E inverts G, so ``encode`` gives features
    and ``reconstruct(x) = G(E(x))``.

    Defaults are the paper's permutation-invariant MNIST setup: z ~ U[-1, 1]^50,
    MLP networks, Adam(2e-4, β1=0.5) for every player, and the "inverted labels"
    (non-saturating) objective for G and E (the paper's "Learning" section). The paper's
    networks are 1024 units wide with BatchNorm; ``hidden`` sets the width here
    (no BatchNorm, so one step is the same on every backend).

    Args:
        generator, encoder, discriminator: Keras models (G: z -> x, E: x -> z,
            D: [x, z] -> logit). Built from ``data_shape`` when omitted.
        data_shape: shape of one sample, e.g. ``(28, 28, 1)`` or ``(2,)``.
        latent_dim: size of z and of E's codes.
        prior: ``"uniform"`` (U[-1, 1], the paper's) or ``"gaussian"`` (N(0, I)).
        hidden: widths of the MLP layers of all three networks.
        augment: a DiffAugment policy applied to the image half of both pairs
            the discriminator sees, D(T(x), E(x)) and D(T(G(z)), z); the
            encoder reads the un-augmented x. Images only; None = off.
        seed: seed of the model's ``keras.random.SeedGenerator``.

    Example:
        ```python
        x, y = keras_gans.data.load_digits(28)
        bigan = keras_gans.BiGAN(data_shape=(28, 28, 1))
        bigan.compile()
        bigan.fit(x, batch_size=128, epochs=50)
        codes = bigan.encode(x)
        x_hat = bigan.reconstruct(x)
        ```
    """

    players = ("generator", "encoder", "discriminator")
    tracked_terms = ("d_loss", "g_loss")
    priors = ("uniform", "gaussian")

    def __init__(self, generator=None, encoder=None, discriminator=None, *,
                 data_shape=None, latent_dim=50, prior="uniform", hidden=(1024, 1024),
                 seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        if prior not in self.priors:
            raise GANConfigError(f"BiGAN's prior is one of {self.priors}; got {prior!r}.")
        self.latent_dim = int(latent_dim)
        self.prior = prior
        self.hidden = tuple(hidden)
        if generator is None or encoder is None or discriminator is None:
            if data_shape is None:
                raise GANConfigError(
                    "BiGAN needs data_shape= (e.g. (28, 28, 1)) to build its networks, "
                    "or generator=, encoder= and discriminator=."
                )
            data_shape = tuple(data_shape)
            out_act = "tanh" if len(data_shape) > 1 else None
            generator = generator or mlp_generator(
                self.latent_dim, data_shape, self.hidden, None, out_act)
            encoder = encoder or mlp_encoder(data_shape, self.latent_dim, self.hidden)
            discriminator = discriminator or mlp_joint_discriminator(
                data_shape, self.latent_dim, self.hidden)
        self.generator = generator
        self.encoder = encoder
        self.discriminator = discriminator
        self._check_networks()
        self.check_augment()
        self.build_ema()
        self.built = True

    def _check_networks(self):
        check_code_size(self.encoder, self.encoder.outputs[0].shape[-1], self.latent_dim)
        check_code_size(self.generator, self.generator.inputs[0].shape[-1],
                        self.latent_dim, "takes z")
        if len(self.discriminator.inputs) != 2:
            raise GANConfigError(
                "BiGAN's discriminator takes a pair [x, z] (two inputs); got "
                f"{len(self.discriminator.inputs)} input(s)."
            )
        check_code_size(self.discriminator, self.discriminator.inputs[1].shape[-1],
                        self.latent_dim, "takes z")
        g_out = tuple(self.generator.outputs[0].shape[1:])
        for net in (self.encoder, self.discriminator):
            shape = tuple(net.inputs[0].shape[1:])
            if shape != g_out:
                raise GANConfigError(
                    f"The generator makes samples of shape {g_out} but the {net.name} "
                    f"takes {shape}."
                )

    @property
    def data_shape(self):
        return tuple(self.encoder.inputs[0].shape[1:])

    def call(self, inputs, training=False):
        return self.generator(inputs, training=training)

    def call_spec(self):
        return {
            "takes": "latent vectors z", "shape": (self.latent_dim,), "labels": False,
            "gives": "generated samples",
            "instead": "to draw samples use generate(n), for codes of data encode(x)",
        }

    def default_optimizer(self, player):
        return keras.optimizers.Adam(2e-4, beta_1=0.5)

    # ------------------------------------------------------------ training
    def check_batch(self, x, y=None):
        check_labels(self, y, takes_labels=False)
        super().check_batch(x, y)

    def prepare_batch(self, data):
        batch = super().prepare_batch(data)
        check_labels(self, batch["y"], takes_labels=False)
        return batch

    def sample_latent(self, n, normal=None, uniform=None):
        if self.prior == "gaussian":
            return (normal or self.random_normal)((n, self.latent_dim))
        return 2.0 * (uniform or self.random_uniform)((n, self.latent_dim)) - 1.0

    def phases(self):
        return [
            Phase("discriminator", ("discriminator",), self.discriminator_loss),
            Phase("generator_encoder", ("generator", "encoder"), self.generator_encoder_loss),
        ]

    def _pairs(self, x):
        z = self.sample_latent(ops.shape(x)[0])
        aug = self.augment_images
        real = self.discriminator([aug(x), self.encoder(x, training=True)], training=True)
        fake = self.discriminator([aug(self.generator(z, training=True)), z], training=True)
        return real, fake

    def discriminator_loss(self, batch):
        real, fake = self._pairs(batch["x"])
        loss = losses.log_d_loss(real, fake)
        return loss, {"d_loss": loss}

    def generator_encoder_loss(self, batch):
        # "Inverted labels": G and E minimise D's loss with real and fake
        # swapped, which gives stronger gradients than maximising it.
        real, fake = self._pairs(batch["x"])
        loss = losses.log_d_loss(fake, real)
        return loss, {"g_loss": loss}

    # ------------------------------------------------------------ inference
    def encode(self, x, batch_size=256):
        """Codes E(x) of samples ``x`` (numpy), shape ``(n, latent_dim)``."""
        x = as_samples(self, x)
        return batched(lambda b: self.encoder(b, training=False), [x], batch_size)

    def reconstruct(self, x, batch_size=256):
        """G(E(x)): samples regenerated from their codes."""
        x = as_samples(self, x)
        return batched(
            lambda b: self.sampler()(self.encoder(b, training=False), training=False),
            [x], batch_size,
        )

    def generate(self, n, labels=None, seed=None, batch_size=256):
        """Draw ``n`` samples G(z), z from the prior; ``seed`` makes them reproducible.

        ``labels`` exists for a common signature with the conditional variants:
        BiGAN is unsupervised and refuses them.
        """
        if labels is not None:
            raise GANInputError("BiGAN is unsupervised: its generator takes no labels; "
                                "drop labels=.")
        normal, uniform = self.sampling_draws(seed)
        out = []
        for start in range(0, n, batch_size):
            m = min(batch_size, n - start)
            z = self.sample_latent(m, normal=normal, uniform=uniform)
            out.append(as_float32(self.sampler()(z, training=False)))
        return np.concatenate(out, axis=0)

    # ------------------------------------------------------------ capabilities
    def inversion_target(self):
        """z of the generator (its moving average when there is one), started
        from the encoder's code of each image."""
        return EncoderTarget(self, self.sampler(), self.latent_dim, prior=self.sample_latent)

    # ------------------------------------------------------------ config
    def get_config(self):
        config = super().get_config()
        config.update(latent_dim=self.latent_dim, prior=self.prior, hidden=self.hidden)
        return config
