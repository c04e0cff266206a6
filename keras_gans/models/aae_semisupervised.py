"""The semi-supervised adversarial autoencoder and its unsupervised clustering
form (Makhzani et al. 2015, "Adversarial Autoencoders", sections 5 and 6)."""

from __future__ import annotations

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
)
from keras_gans.models.aae import AdversarialAutoencoder
from keras_gans.networks import mlp_discriminator, mlp_generator
from keras_gans.networks.encoders import two_head_encoder

#: The label of an image whose class is unknown (scikit-learn's convention).
UNLABELLED = -1


@keras.saving.register_keras_serializable(package="keras_gans")
class SemiSupervisedAAE(GANModel):
    """Semi-supervised adversarial autoencoder (Makhzani et al. 2015, section 5),
    and with no labels its unsupervised clustering form (section 6).

    The encoder has two heads: a categorical y = softmax(q(y|x)) over
    ``num_classes`` classes (clusters) and a continuous style z = q(z|x). The
    decoder draws x back from (z, y). Two adversaries shape the codes: one tells
    one-hot draws of a uniform categorical prior from y, the other N(0, I) draws
    from z. Four phases per step, as in the paper:

    - ``reconstruction``: encoder and decoder minimise the squared error of
      decoder(z, y) on every image of the batch;
    - ``regularization``: both adversaries learn prior draws ("real") from codes;
    - ``generator``: the encoder fools both;
    - ``classification``: the encoder's y head minimises the cross-entropy on the
      batch's labelled images only (left out when ``fit`` gets no labels, the
      clustering model: ``labelled`` then says False).

    Data: ``fit(x, y)`` with ``y`` the class id of each image or ``-1``
    (``UNLABELLED``) where it is unknown, as scikit-learn's semi-supervised
    estimators take it; ``fit(x)`` trains the clustering model. With few labels
    most batches of a plain shuffle hold none: ``keras_gans.data.
    SemiSupervisedBatches(x, y, batch_size, labelled_batch_size)`` adds a few
    labelled images to every batch (the paper's separate labelled minibatch).

    Networks are MLPs of two hidden layers of 1000 units (the paper's MNIST
    size; LeakyReLU here). The paper trains with SGD and momentum at hand-tuned
    rates per phase; the default here is Adam(2e-4, β1=0.5) for every player, as
    for the other variants (the encoder's one optimizer serves the three phases
    that update it).

    Args:
        encoder: x -> [class logits, style z]; decoder: [z, one-hot y] -> x;
            discriminator_y: y -> logit; discriminator_z: z -> logit. Built
            from ``data_shape`` when omitted.
        data_shape: shape of one sample, e.g. ``(28, 28, 1)``.
        num_classes: classes of y (clusters, for the clustering model: the
            paper uses 16 or 30 for MNIST).
        latent_dim: size of the style z.
        hidden: widths of the MLP layers of all four networks.
        reconstruction_weight, classification_weight: scales of those losses.
        input_noise: σ of Gaussian noise added to the encoder's input in every
            training phase, in the data's units (images in [-1, 1]); the
            reconstruction target stays the clean image (a denoising
            autoencoder). 0 = off, the paper's setting. A regulariser against
            memorising a few labelled images; inference never adds it.
        seed: seed of the model's ``keras.random.SeedGenerator``.
        ema_decay: as for every variant (``GANModel``); here both the decoder
            and the encoder get a moving average, and ``classify``, ``encode``
            and ``decode`` read the averages (``ema=False``: the trained
            networks).

    Example:
        ```python
        x, y = keras_gans.data.load("mnist")
        y_partial = np.full_like(y, -1)
        y_partial[:100] = y[:100]                  # 100 labelled images
        aae = keras_gans.SemiSupervisedAAE(data_shape=(28, 28, 1), num_classes=10)
        aae.compile()
        data = keras_gans.data.SemiSupervisedBatches(x, y_partial, batch_size=100)
        aae.fit(data, epochs=50, shuffle=False, callbacks=[data.callback()])
        aae.classify(x_test)                       # class ids
        ```
    """

    # With ema_decay the encoder is averaged too: it is what classify() reads
    # (a weight average is a steadier classifier than the last step's weights,
    # as in Polyak averaging and the mean teacher), and decode() the decoder's.
    sampling_networks = ("decoder", "encoder")
    players = ("encoder", "decoder", "discriminator_y", "discriminator_z")
    augment_refusal = AdversarialAutoencoder.augment_refusal
    tracked_terms = ("reconstruction_loss", "d_loss", "g_loss", "classification_loss")

    def __init__(self, encoder=None, decoder=None, discriminator_y=None, discriminator_z=None,
                 *, data_shape=None, num_classes=10, latent_dim=10, hidden=(1000, 1000),
                 reconstruction_weight=1.0, classification_weight=1.0, input_noise=0.0,
                 seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        if not num_classes or int(num_classes) < 2:
            raise GANConfigError(
                f"num_classes is the number of classes (clusters) of y, at least 2; got "
                f"{num_classes!r}.")
        if min(reconstruction_weight, classification_weight) < 0:
            raise GANConfigError("reconstruction_weight and classification_weight must be >= 0.")
        if not input_noise >= 0:
            raise GANConfigError(f"input_noise is a standard deviation, >= 0; got {input_noise!r}.")
        self.input_noise = float(input_noise)
        self.num_classes = int(num_classes)
        self.latent_dim = int(latent_dim)
        self.hidden = tuple(hidden)
        self.reconstruction_weight = float(reconstruction_weight)
        self.classification_weight = float(classification_weight)
        if None in (encoder, decoder, discriminator_y, discriminator_z):
            if data_shape is None:
                raise GANConfigError(
                    "SemiSupervisedAAE needs data_shape= (e.g. (28, 28, 1)) to build its "
                    "networks, or encoder=, decoder=, discriminator_y= and discriminator_z=.")
            data_shape = tuple(data_shape)
            out_act = "tanh" if len(data_shape) > 1 else None
            encoder = encoder or two_head_encoder(data_shape, self.num_classes,
                                                  self.latent_dim, self.hidden)
            decoder = decoder or mlp_generator(self.latent_dim, data_shape, self.hidden,
                                               self.num_classes, out_act, name="decoder")
            discriminator_y = discriminator_y or mlp_discriminator(
                (self.num_classes,), self.hidden, name="discriminator_y")
            discriminator_z = discriminator_z or mlp_discriminator(
                (self.latent_dim,), self.hidden, name="discriminator_z")
        self.encoder = encoder
        self.decoder = decoder
        self.discriminator_y = discriminator_y
        self.discriminator_z = discriminator_z
        self._check_networks()
        #: Whether the training data carries labels: None until ``fit`` sees a
        #: batch, then True (``fit(x, y)``) or False (``fit(x)``: clustering).
        self.labelled = None
        self.build_ema()
        self.built = True

    def _check_networks(self):
        if len(self.encoder.outputs) != 2:
            raise GANConfigError(
                f"The encoder must have two outputs, [class logits, style z]; it has "
                f"{len(self.encoder.outputs)}.")
        check_code_size(self.encoder, self.encoder.outputs[0].shape[-1], self.num_classes,
                        "makes class logits")
        check_code_size(self.encoder, self.encoder.outputs[1].shape[-1], self.latent_dim)
        if len(self.decoder.inputs) != 2:
            raise GANConfigError(
                "The decoder takes two inputs, the style z and the one-hot class y; it "
                f"takes {len(self.decoder.inputs)}.")
        check_code_size(self.decoder, self.decoder.inputs[0].shape[-1], self.latent_dim,
                        "takes codes")
        check_code_size(self.discriminator_z, self.discriminator_z.inputs[0].shape[-1],
                        self.latent_dim, "takes codes")
        check_code_size(self.discriminator_y, self.discriminator_y.inputs[0].shape[-1],
                        self.num_classes, "takes class vectors")
        out = tuple(self.decoder.outputs[0].shape[1:])
        into = tuple(self.encoder.inputs[0].shape[1:])
        if out != into:
            raise GANConfigError(
                f"The decoder makes samples of shape {out} but the encoder takes {into}.")

    @property
    def data_shape(self):
        return tuple(self.encoder.inputs[0].shape[1:])

    def call(self, inputs, training=False):
        logits, z = self.encoder(inputs, training=training)
        return self.decoder([z, ops.softmax(logits)], training=training)

    def call_spec(self):
        return {
            "takes": "samples x", "shape": self.data_shape, "labels": False,
            "gives": "their reconstructions",
            "instead": "to classify use classify(x), to draw samples generate(n, labels=...)",
        }

    def default_optimizer(self, player):
        return keras.optimizers.Adam(2e-4, beta_1=0.5)

    # ------------------------------------------------------------ priors
    def sample_prior(self, n, normal=None, uniform=None):
        """(z, y): N(0, I) styles and one-hot draws of the uniform categorical."""
        normal = normal or self.random_normal
        uniform = uniform or self.random_uniform
        z = normal((n, self.latent_dim))
        u = ops.reshape(uniform((n, 1)), (-1,))
        k = self.num_classes
        idx = ops.minimum(ops.cast(ops.floor(u * k), "int32"), k - 1)
        return z, ops.one_hot(idx, k, dtype=z.dtype)

    # ------------------------------------------------------------ training
    def check_batch(self, x, y=None):
        super().check_batch(x, y)
        if y is not None:
            y = np.asarray(y)
            if y.ndim > 1 and not (y.ndim == 2 and y.shape[1] == 1):
                raise GANInputError(
                    f"Labels must be class ids, one per image (-1 where unknown); got an "
                    f"array of shape {y.shape}.")
            y = y.reshape(-1)
            if np.any((y < UNLABELLED) | (y >= self.num_classes)) or not np.all(y == np.round(y)):
                raise GANInputError(
                    f"Labels must be class ids in [0, {self.num_classes}) or -1 for an "
                    f"unlabelled image; got values in [{y.min()}, {y.max()}].")

    def prepare_batch(self, data):
        batch = super().prepare_batch(data)
        # Static under tracing: a dataset either carries labels or does not.
        self.labelled = batch["y"] is not None
        if self.labelled:
            y = ops.reshape(ops.cast(batch["y"], "int32"), (-1,))
            batch["mask"] = ops.cast(y >= 0, "float32")
            batch["y"] = ops.one_hot(ops.maximum(y, 0), self.num_classes, dtype="float32")
        return batch

    def phases(self):
        phases = [
            Phase("reconstruction", ("encoder", "decoder"), self.reconstruction_loss),
            Phase("regularization", ("discriminator_y", "discriminator_z"),
                  self.discriminator_loss),
            Phase("generator", ("encoder",), self.generator_loss),
        ]
        if self.labelled is not False:  # not once it trains without labels
            phases.append(Phase("classification", ("encoder",), self.classification_loss))
        return phases

    def _codes(self, x):
        if self.input_noise:
            x = x + ops.cast(self.input_noise, x.dtype) * ops.cast(
                self.random_normal(ops.shape(x)), x.dtype)
        logits, z = self.encoder(x, training=True)
        return logits, ops.softmax(ops.cast(logits, "float32")), z

    def reconstruction_loss(self, batch):
        x = batch["x"]
        _, y, z = self._codes(x)
        x_hat = self.decoder([z, ops.cast(y, z.dtype)], training=True)
        loss = ops.mean(ops.square(ops.cast(x_hat, "float32") - ops.cast(x, "float32")))
        return self.reconstruction_weight * loss, {"reconstruction_loss": loss}

    def discriminator_loss(self, batch):
        x = batch["x"]
        z_prior, y_prior = self.sample_prior(ops.shape(x)[0])
        _, y, z = self._codes(x)
        y, z = ops.stop_gradient(y), ops.stop_gradient(z)
        loss_z = losses.log_d_loss(self.discriminator_z(z_prior, training=True),
                                   self.discriminator_z(z, training=True))
        loss_y = losses.log_d_loss(self.discriminator_y(y_prior, training=True),
                                   self.discriminator_y(ops.cast(y, z.dtype), training=True))
        return loss_z + loss_y, {"d_loss": loss_z + loss_y}

    def generator_loss(self, batch):
        _, y, z = self._codes(batch["x"])
        loss = (losses.non_saturating_g_loss(self.discriminator_z(z, training=True))
                + losses.non_saturating_g_loss(
                    self.discriminator_y(ops.cast(y, z.dtype), training=True)))
        return loss, {"g_loss": loss}

    def classification_loss(self, batch):
        logits, _, _ = self._codes(batch["x"])
        log_p = ops.log_softmax(ops.cast(logits, "float32"), axis=-1)
        per_image = -ops.sum(batch["y"] * log_p, axis=-1)
        mask = batch["mask"]
        # the mean over the labelled images (a batch without any gives 0)
        loss = ops.sum(per_image * mask) / ops.maximum(ops.sum(mask), 1.0)
        return self.classification_weight * loss, {"classification_loss": loss}

    # ------------------------------------------------------------ inference
    def class_probabilities(self, x, batch_size=256, ema=True):
        """q(y|x) of samples ``x`` (numpy), shape ``(n, num_classes)``; from the
        encoder's moving average when there is one and ``ema``."""
        x = as_samples(self, x)
        encoder = self.sampler("encoder", ema)
        return batched(lambda b: ops.softmax(ops.cast(encoder(b, training=False)[0],
                                                      "float32")), [x], batch_size)

    def classify(self, x, batch_size=256, ema=True):
        """The most probable class (cluster) of each sample, int64 ``(n,)``."""
        return self.class_probabilities(x, batch_size, ema).argmax(axis=-1)

    def encode(self, x, batch_size=256, ema=True):
        """Style codes z of samples ``x`` (numpy), shape ``(n, latent_dim)``."""
        x = as_samples(self, x)
        encoder = self.sampler("encoder", ema)
        return batched(lambda b: encoder(b, training=False)[1], [x], batch_size)

    def decode(self, z, labels, batch_size=256):
        """Samples decoded from styles ``z`` (n, latent_dim) and class ids ``labels``."""
        z = np.asarray(z, dtype=self.compute_dtype)
        if z.ndim != 2 or z.shape[1] != self.latent_dim:
            raise GANInputError(f"Codes must have shape (n, {self.latent_dim}); got {z.shape}.")
        labels = self._labels_for(len(z), labels)
        return batched(lambda c, y: self.sampler("decoder")(
            [ops.convert_to_tensor(c), self.one_hot(y)], training=False), [z, labels],
            batch_size)

    def reconstruct(self, x, batch_size=256):
        """decoder(z, y) of each sample's style and its most probable class."""
        return self.decode(self.encode(x, batch_size), self.classify(x, batch_size),
                           batch_size)

    def generate(self, n, labels=None, seed=None, batch_size=256):
        """Decode ``n`` N(0, I) styles with the given class ids (default: every
        class in turn, 0, 1, ..., the categorical prior's balanced draw)."""
        labels = self.balanced_labels(n) if labels is None else labels
        normal, _ = self.sampling_draws(seed)
        z = np.concatenate([ops.convert_to_numpy(normal((min(batch_size, n - s),
                                                         self.latent_dim)))
                            for s in range(0, n, batch_size)], axis=0)
        return self.decode(z, labels, batch_size)

    def _labels_for(self, n, labels):
        labels = np.asarray(labels).reshape(-1)
        if len(labels) != n:
            raise GANInputError(f"Got {len(labels)} labels for {n} samples.")
        if labels.min() < 0 or labels.max() >= self.num_classes:
            raise GANInputError(
                f"Labels must be class ids in [0, {self.num_classes}); got "
                f"[{labels.min()}, {labels.max()}].")
        return labels

    # ------------------------------------------------------------ capabilities
    @property
    def label_classes(self):
        return self.num_classes

    def inversion_target(self):
        """z of the decoder (its moving average when there is one) for a given
        class, started from the encoder's style of each image."""
        def prior(n, normal, uniform):
            return self.sample_prior(n, normal, uniform)[0]

        return EncoderTarget(self, self.sampler("decoder"), self.latent_dim,
                             self.num_classes, prior=prior)

    # ------------------------------------------------------------ config
    def get_config(self):
        config = super().get_config()
        config.update(
            num_classes=self.num_classes, latent_dim=self.latent_dim, hidden=self.hidden,
            reconstruction_weight=self.reconstruction_weight,
            classification_weight=self.classification_weight,
        )
        if self.input_noise:  # absent at its default, so older configs are unchanged
            config["input_noise"] = self.input_noise
        return config
