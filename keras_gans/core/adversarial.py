"""AdversarialGAN: the generator-vs-discriminator game that GAN, ConditionalGAN,
DCGAN, WGAN, WGAN-GP and LSGAN are settings of.

Each trick from the literature is an argument here, so every variant built on
this class can use it: the paired adversarial loss by name, ``n_critic``,
gradient penalty, weight clipping, one-sided label smoothing, instance noise with
annealing, feature matching. Tricks that live inside the discriminator
(spectral normalization, minibatch discrimination, minibatch stddev) are
arguments of the network builders, passed through ``discriminator_options``.
"""

from __future__ import annotations

import keras
from keras import ops

from keras_gans import losses as losses_lib
from keras_gans.core import regularizers
from keras_gans.core.capabilities import NetworkTarget
from keras_gans.core.gan_model import GANModel, as_float32
from keras_gans.core.phase import Phase
from keras_gans.errors import GANConfigError, GANInputError


class AdversarialGAN(GANModel):
    """A generator G(z[, y]) and a discriminator D(x[, y]) in alternating phases.

    Args:
        generator, discriminator: Keras models. When omitted they are built by
            ``build_networks`` from ``data_shape``.
        data_shape: shape of one sample, e.g. ``(28, 28, 1)`` or ``(2,)``.
        latent_dim: size of z.
        loss: name of a paired adversarial loss (``keras_gans.losses``).
        n_critic: discriminator updates per generator update in one step. Each
            uses the step's real batch with fresh noise (and fresh penalty
            interpolation weights); ``fit`` supplies one real batch per step.
        num_classes: when set the model is conditional: both players take a
            one-hot label as second input and ``fit`` needs labels.
        gradient_penalty_weight: λ of the WGAN-GP penalty (0 = off).
        clip_value: clip every discriminator weight to [-c, c] after each of its
            updates (WGAN; None = off).
        label_smoothing: one-sided: real targets become ``1 - label_smoothing``.
        instance_noise: initial σ of Gaussian noise added to the discriminator's
            real and fake inputs; annealed linearly to 0 over
            ``instance_noise_anneal_steps`` training steps (0 = never annealed).
        feature_matching_layer: name of a discriminator layer; the generator then
            minimises the distance between that layer's mean real and fake
            activations instead of the adversarial loss.
        discriminator_options: passed to the discriminator builder
            (``spectral_norm``, ``minibatch_discrimination``, ``minibatch_stddev``).
        augment: a DiffAugment policy (``"color,translation,cutout"``,
            ``keras_gans.augment``) applied with fresh parameters to real and
            generated images every time they go into the discriminator, in both
            phases; None = off. Images only. With a gradient penalty the critic
            is penalised as it is trained, on D∘T (the gradient is taken with
            respect to the un-augmented interpolates, through the
            augmentation); feature matching compares features of augmented
            batches.
        seed: seed of the model's ``keras.random.SeedGenerator``.
    """

    def __init__(
        self,
        generator=None,
        discriminator=None,
        *,
        data_shape=None,
        latent_dim=100,
        loss="non_saturating",
        n_critic=1,
        num_classes=None,
        gradient_penalty_weight=0.0,
        clip_value=None,
        label_smoothing=0.0,
        instance_noise=0.0,
        instance_noise_anneal_steps=0,
        feature_matching_layer=None,
        discriminator_options=None,
        seed=None,
        **kwargs,
    ):
        self.loss_spec = losses_lib.get(loss)
        terms = ["d_loss", "g_loss"]
        if gradient_penalty_weight:
            terms.append("gp")
        if self.loss_spec.name in ("wasserstein", "hinge"):
            terms.append("wasserstein")
        self.tracked_terms = tuple(terms)
        super().__init__(seed=seed, **kwargs)
        if label_smoothing and not self.loss_spec.supports_label_smoothing:
            raise GANConfigError(
                f"label_smoothing is defined for log-loss and least-squares "
                f"discriminators, not for loss={self.loss_spec.name!r}: drop "
                "label_smoothing= (or use loss='non_saturating', 'minimax' or "
                "'least_squares')."
            )
        if not 0.0 <= label_smoothing < 1.0:
            raise GANConfigError(f"label_smoothing must be in [0, 1); got {label_smoothing}.")
        if int(n_critic) < 1:
            raise GANConfigError(f"n_critic must be a positive integer; got {n_critic}.")
        self.latent_dim = int(latent_dim)
        self.n_critic = int(n_critic)
        self.num_classes = int(num_classes) if num_classes else None
        self.gradient_penalty_weight = float(gradient_penalty_weight)
        self.clip_value = clip_value
        self.label_smoothing = float(label_smoothing)
        self.instance_noise = float(instance_noise)
        self.instance_noise_anneal_steps = int(instance_noise_anneal_steps)
        self.feature_matching_layer = feature_matching_layer
        self.discriminator_options = dict(discriminator_options or {})

        if generator is None or discriminator is None:
            if data_shape is None:
                raise GANConfigError(
                    f"{type(self).__name__} needs data_shape= (e.g. (28, 28, 1)) to "
                    "build its networks, or generator= and discriminator=."
                )
            built_g, built_d = self.build_networks(tuple(data_shape))
            generator = generator or built_g
            discriminator = discriminator or built_d
        self.generator = generator
        self.discriminator = discriminator
        self._check_networks()
        self.check_augment()
        if clip_value is not None:
            clip = regularizers.WeightClip(clip_value)
            for v in self.discriminator.trainable_variables:
                v.constraint = clip
                v.assign(clip(v))
        self._feature_model = None
        if feature_matching_layer:
            # Not tracked as a sub-layer: it shares the discriminator's weights.
            layer = self.discriminator.get_layer(feature_matching_layer)
            model = keras.Model(self.discriminator.inputs, layer.output)
            object.__setattr__(self, "_feature_model", model)
        self.build_ema()
        self.built = True

    # ------------------------------------------------------------ networks
    def build_networks(self, data_shape):
        raise NotImplementedError

    def _check_networks(self):
        g_inputs = self.generator.inputs
        expected = 2 if self.num_classes else 1
        if len(g_inputs) != expected or len(self.discriminator.inputs) != expected:
            raise GANConfigError(
                f"With num_classes={self.num_classes}, the generator and the "
                f"discriminator must take {expected} input(s) "
                "(z or x, then a one-hot label when conditional)."
            )
        if g_inputs[0].shape[-1] != self.latent_dim:
            raise GANConfigError(
                f"The generator takes z of size {g_inputs[0].shape[-1]} but "
                f"latent_dim={self.latent_dim}."
            )
        g_out = tuple(self.generator.outputs[0].shape[1:])
        d_in = tuple(self.discriminator.inputs[0].shape[1:])
        if g_out != d_in:
            raise GANConfigError(
                f"The generator makes samples of shape {g_out} but the "
                f"discriminator takes {d_in}."
            )

    def call(self, inputs, training=False):
        """G(z), or G(z, y) for ``[z, labels]`` with class ids or one-hot labels."""
        if self.num_classes:
            z, labels = inputs
            return self._g(z, self.one_hot(labels), training=training)
        return self.generator(inputs, training=training)

    def call_spec(self):
        return {
            "takes": "latent vectors z", "shape": (self.latent_dim,),
            "labels": bool(self.num_classes), "gives": "generated samples",
            "instead": "to draw samples use generate(n"
            + (", labels=class_ids)" if self.num_classes else ")"),
        }

    # ------------------------------------------------------------ phases
    def phases(self):
        return [
            Phase("discriminator", ("discriminator",), self.discriminator_loss, self.n_critic),
            Phase("generator", ("generator",), self.generator_loss),
        ]

    def sample_latent(self, n):
        return self.random_normal((n, self.latent_dim))

    def prepare_batch(self, data):
        batch = super().prepare_batch(data)
        y = batch["y"]
        if self.num_classes:
            if y is None:
                raise GANInputError(
                    f"{type(self).__name__} is conditional (num_classes="
                    f"{self.num_classes}): fit() needs labels, as fit(x, y) or a "
                    "dataset of (x, y) pairs."
                )
            batch["y"] = self.one_hot(y)
        else:
            batch["y"] = None
        return batch

    def _g(self, z, labels, training=True, network=None):
        network = network or self.generator
        return network([z, labels] if self.num_classes else z, training=training)

    def _d(self, x, labels, training=True):
        return self.discriminator([x, labels] if self.num_classes else x, training=training)

    def _noisy(self, x):
        if not self.instance_noise:
            return x
        std = regularizers.instance_noise_std(
            self.instance_noise, self.instance_noise_anneal_steps, self.optimizer.iterations
        )
        return x + ops.cast(std, x.dtype) * ops.cast(self.random_normal(ops.shape(x)), x.dtype)

    def discriminator_loss(self, batch):
        real, labels = batch["x"], batch["y"]
        n = ops.shape(real)[0]
        fake = ops.stop_gradient(self._g(self.sample_latent(n), labels))
        real_seen = self._noisy(self.augment_images(real))
        real_out = self._d(real_seen, labels)
        fake_out = self._d(self._noisy(self.augment_images(fake)), labels)
        more_fakes = self.more_fake_outputs(real_seen, labels)
        if more_fakes is not None:  # each kind of fake weighs the same in the mean
            fake_out = ops.concatenate([fake_out, more_fakes], axis=0)
        loss = self.loss_spec.d_loss(real_out, fake_out, real_target=1.0 - self.label_smoothing)
        logs = {"d_loss": loss}
        if self.gradient_penalty_weight:
            alpha_shape = (n,) + (1,) * (len(real.shape) - 1)
            alpha = self.random_uniform(alpha_shape)  # one U[0,1] per sample
            gp = regularizers.gradient_penalty(
                self._augmented_critic(real), real, fake, alpha,
                weight=self.gradient_penalty_weight,
                extra_inputs=(labels,) if self.num_classes else (),
            )
            loss = loss + gp
            logs["gp"] = gp
        if "wasserstein" in self.tracked_terms:
            logs["wasserstein"] = ops.mean(ops.cast(real_out, "float32")) - ops.mean(
                ops.cast(fake_out, "float32")
            )
        return loss, logs

    def more_fake_outputs(self, real_seen, labels):
        """D's outputs on more inputs it must call fake (None: none); a
        subclass hook, e.g. real images with wrong labels. ``real_seen`` is
        the real batch as D just saw it (augmented, with instance noise)."""

    def _augmented_critic(self, like):
        """The discriminator as the penalty sees it: D∘T with T's parameters
        drawn here, outside the penalty's inner gradient (a draw inside it
        would not advance the seed generator on JAX)."""
        if self.diff_augment is None:
            return self.discriminator
        params = self.augment_params(like)

        def critic(inputs, training=True):
            if self.num_classes:
                x, labels = inputs
                return self.discriminator([self.augment_images(x, params), labels],
                                          training=training)
            return self.discriminator(self.augment_images(inputs, params),
                                      training=training)

        return critic

    def generator_loss(self, batch):
        labels = batch["y"]
        n = ops.shape(batch["x"])[0]
        fake = self._g(self.sample_latent(n), labels)
        if self._feature_model is not None:
            real_seen, fake_seen = self.augment_images(batch["x"]), self.augment_images(fake)
            inputs_real = [real_seen, labels] if self.num_classes else real_seen
            inputs_fake = [fake_seen, labels] if self.num_classes else fake_seen
            loss = regularizers.feature_matching_loss(
                self._feature_model(inputs_real, training=True),
                self._feature_model(inputs_fake, training=True),
            )
        else:
            loss = self.loss_spec.g_loss(self._d(self._noisy(self.augment_images(fake)), labels))
        return loss, {"g_loss": loss}

    # ------------------------------------------------------------ sampling
    def generate(self, n, labels=None, seed=None, batch_size=256):
        """Draw ``n`` samples as a numpy array in the generator's range.

        Args:
            n: how many samples.
            labels: class ids (length ``n``) for a conditional model; required then.
            seed: int for reproducible samples (independent of training state);
                None draws from the model's own seed generator.
        """
        import numpy as np

        if self.num_classes and labels is None:
            raise GANInputError(
                f"{type(self).__name__} is conditional: pass labels= (n class ids)."
            )
        if labels is not None:
            labels = np.asarray(labels).reshape(-1)
            if self.num_classes is None:
                raise GANInputError(f"{type(self).__name__} is not conditional: drop labels=.")
            if len(labels) != n:
                raise GANInputError(f"Got {len(labels)} labels for n={n} samples.")
            if labels.min() < 0 or labels.max() >= self.num_classes:
                raise GANInputError(
                    f"Labels must be class ids in [0, {self.num_classes}); got "
                    f"[{labels.min()}, {labels.max()}]."
                )
        normal, _ = self.sampling_draws(seed)
        out = []
        for start in range(0, n, batch_size):
            m = min(batch_size, n - start)
            z = normal((m, self.latent_dim))
            y = None if labels is None else self.one_hot(labels[start : start + m])
            out.append(as_float32(self._g(z, y, training=False, network=self.sampler())))
        return np.concatenate(out, axis=0)

    def generate_from_latent(self, z, labels=None):
        """Images for the given latent codes ``z`` (N, latent_dim) and, for a
        conditional model, class ids ``labels`` (N,): for latent walks."""
        import numpy as np

        z = np.asarray(z, "float32")
        if z.ndim != 2 or z.shape[1] != self.latent_dim:
            raise GANInputError(
                f"z must be (N, {self.latent_dim}) latent codes; got {z.shape}."
            )
        if self.num_classes and labels is None:
            raise GANInputError(
                f"{type(self).__name__} is conditional: pass labels= (N class ids)."
            )
        y = None if labels is None else self.one_hot(np.asarray(labels).reshape(-1))
        out = self._g(keras.ops.convert_to_tensor(z), y, training=False,
                      network=self.sampler())
        return as_float32(out)

    # ------------------------------------------------------------ capabilities
    @property
    def label_classes(self):
        return self.num_classes

    def inversion_target(self):
        """z of the trained generator (not its moving average), N(0, 1) starts."""
        return NetworkTarget(self, self.generator, self.latent_dim, self.num_classes)

    # ------------------------------------------------------------ config
    def get_config(self):
        config = super().get_config()
        config.update(
            latent_dim=self.latent_dim,
            loss=self.loss_spec.name,
            n_critic=self.n_critic,
            num_classes=self.num_classes,
            gradient_penalty_weight=self.gradient_penalty_weight,
            clip_value=self.clip_value,
            label_smoothing=self.label_smoothing,
            instance_noise=self.instance_noise,
            instance_noise_anneal_steps=self.instance_noise_anneal_steps,
            feature_matching_layer=self.feature_matching_layer,
            discriminator_options=self.discriminator_options,
        )
        return config
