"""StyleGAN-lite: the style-based generator, small enough to train on a CPU."""

from __future__ import annotations

import keras
import numpy as np
from keras import ops

from keras_gans.core.backend_steps import input_gradients
from keras_gans.core.capabilities import LatentTarget
from keras_gans.core.gan_model import GANModel, as_float32
from keras_gans.core.phase import Phase
from keras_gans.errors import GANConfigError, GANInputError
from keras_gans.layers.serving import ClipImages, Truncation, ZeroNoise
from keras_gans.layers.stylegan import BroadcastLatent
from keras_gans.networks import stylegan as nets


@keras.saving.register_keras_serializable(package="keras_gans")
class StyleGAN(GANModel):
    """Style-based GAN (Karras et al. 2019, "A Style-Based Generator Architecture
    for Generative Adversarial Networks"), with the StyleGAN2 fixes where they
    are simpler (Karras et al. 2020, "Analyzing and Improving the Image Quality
    of StyleGAN").

    - Generator: a mapping MLP z -> w (``mapping_layers`` layers, learning-rate
      multiplier 0.01) and a synthesis network from a learned constant driven
      by one w per modulated layer: modulated/demodulated 3×3 convolutions
      (StyleGAN2, instead of AdaIN), per-pixel noise with learned per-channel
      scales, skip ToRGB outputs. Bilinear upsampling, no transposed convs.
    - Equalized learning rate everywhere; minibatch standard deviation in the
      discriminator.
    - Non-saturating logistic loss, R1 penalty γ/2·E‖∇D(x)‖² on real data,
      lazily every ``r1_interval`` discriminator steps scaled by the interval
      (StyleGAN2 §B; ``r1_interval=1`` applies it every step). The step counter
      picks the steps with ``ops.cond`` (``lax.cond`` / ``tf.cond`` / Python
      ``if`` on torch), so the double backprop runs only on those; the added
      term is k·R1 in the same discriminator update (StyleGAN2 makes it a
      separate update). The ``r1`` log is R1 on those steps and 0 between.
    - Style mixing regularization: with probability ``style_mixing_prob`` a
      sample's layers from a random crossover on take w from a second z.
    - An exponential moving average of the generator's weights
      (``generator_ema``, decay ``ema_decay``) updated after every generator
      step; ``generate`` and ``mix_styles`` use it by default. The tracked mean
      of w (``w_avg``) gives the truncation trick. Both are Keras variables of
      the model, so they are saved with it and updated inside the compiled
      step on every backend.

    Images of side 4·2^k or 7·2^k (8, 14, 16, 28, 32, 56, 64, ...): 28×28 is
    made natively from a 7×7 constant. Training data in [-1, 1]; the
    generator's output is linear and ``generate`` clips it to [-1, 1].

    Args:
        generator, discriminator: networks from ``keras_gans.networks.stylegan``
            (built from ``data_shape`` when omitted).
        data_shape: ``(size, size, channels)``, channels 1 or 3.
        latent_dim: size of z; w has the same size unless ``w_dim`` is given.
        channels: feature maps of the synthesis and discriminator layers (the
            most, with ``channel_base``).
        channel_base: when set, side-``r`` layers have
            min(channels, channel_base // r) maps, as in StyleGAN: fewer where
            the maps are large (e.g. 1024 with channels=64 on 28×28: 36 maps at
            28, 64 at 14 and 7), for about half the compute.
        mapping_layers: depth of the mapping network (paper: 8; 4 here).
        r1_gamma: γ of R1 (0 = off).
        r1_interval: lazy regularization interval k (1 = every step).
        style_mixing_prob: probability of mixing two latents in a sample.
        ema_decay: β of the generator's EMA (StyleGAN2's 10k-image half-life at
            batch 32 is β ≈ 0.998).
        w_avg_decay: β of the tracked mean of w (0.995 as in StyleGAN).
        mbstd_group_size: group of the minibatch stddev layer (0 = off); the
            batch size must be a multiple of it.
        augment: a DiffAugment policy (``"color,translation,cutout"``) applied
            with fresh parameters to real and generated images every time they
            go into the discriminator; R1 is then taken on D∘T with respect to
            the un-augmented reals. None = off.
    """

    players = ("generator", "discriminator")
    tracked_terms = ("d_loss", "g_loss", "r1")

    def __init__(self, generator=None, discriminator=None, *, data_shape=None, latent_dim=64,
                 w_dim=None, channels=64, mapping_layers=4, r1_gamma=10.0, r1_interval=16,
                 style_mixing_prob=0.9, ema_decay=0.999, w_avg_decay=0.995,
                 mbstd_group_size=4, channel_base=None, seed=None, **kwargs):
        super().__init__(seed=seed, ema_decay=ema_decay, **kwargs)
        if not 0.0 <= float(style_mixing_prob) <= 1.0:
            raise GANConfigError(f"style_mixing_prob must be in [0, 1]; got {style_mixing_prob}.")
        if not 0.0 <= float(w_avg_decay) < 1.0:
            raise GANConfigError(f"w_avg_decay must be in [0, 1); got {w_avg_decay}.")
        if int(r1_interval) < 1:
            raise GANConfigError(f"r1_interval must be a positive integer; got {r1_interval}.")
        if float(r1_gamma) < 0:
            raise GANConfigError(f"r1_gamma must be >= 0; got {r1_gamma}.")
        self.latent_dim = int(latent_dim)
        self.w_dim = int(w_dim or latent_dim)
        self.channels = int(channels)
        self.mapping_layers = int(mapping_layers)
        self.r1_gamma = float(r1_gamma)
        self.r1_interval = int(r1_interval)
        self.style_mixing_prob = float(style_mixing_prob)
        self.w_avg_decay = float(w_avg_decay)
        self.mbstd_group_size = int(mbstd_group_size)
        self.channel_base = int(channel_base) if channel_base else None

        if generator is None or discriminator is None:
            if data_shape is None:
                raise GANConfigError(
                    "StyleGAN needs data_shape= (e.g. (28, 28, 1)) to build its "
                    "networks, or generator= and discriminator=."
                )
            data_shape = nets.check_data_shape(data_shape)
            generator = generator or nets.style_generator(
                self.latent_dim, data_shape, self.w_dim, self.channels, self.mapping_layers,
                self.channel_base)
            discriminator = discriminator or nets.style_discriminator(
                data_shape, self.channels, self.mbstd_group_size, self.channel_base)
        self.generator = generator
        self.discriminator = discriminator
        self._check_networks()
        self.check_augment()
        self.size = self.data_shape[0]
        self.num_ws = nets.num_ws(self.size)
        self.noise_shapes = nets.noise_shapes(self.size)
        # The EMA generator (the core's, for every variant): same architecture,
        # non-trainable, starts equal; updated by the step's last phase.
        self.build_ema()
        self.w_avg = self.add_weight(name="w_avg", shape=(self.w_dim,), initializer="zeros",
                                     trainable=False)
        self.built = True

    def _check_networks(self):
        names = {layer.name for layer in self.generator.layers}
        if not {"mapping", "synthesis"} <= names:
            raise GANConfigError(
                "StyleGAN's generator must contain layers named 'mapping' and "
                "'synthesis' (build it with keras_gans.networks.stylegan.style_generator)."
            )
        z_size = self.generator.inputs[0].shape[-1]
        if z_size != self.latent_dim:
            raise GANConfigError(f"The generator takes z of size {z_size} but latent_dim={self.latent_dim}.")
        g_out = tuple(self.generator.outputs[0].shape[1:])
        if g_out != self.data_shape:
            raise GANConfigError(
                f"The generator makes samples of shape {g_out} but the discriminator takes {self.data_shape}."
            )

    # ------------------------------------------------------------ networks
    def networks(self, ema=False):
        """(mapping, synthesis) of the trained generator or of its EMA."""
        g = self.sampler("generator", ema)
        return g.get_layer("mapping"), g.get_layer("synthesis")

    def call(self, inputs, training=False):
        return self.generator(inputs, training=training)

    def call_spec(self):
        return {
            "takes": "latent vectors z", "shape": (self.latent_dim,), "labels": False,
            "gives": "samples of the trained (not the EMA) generator",
            "instead": "to draw samples use generate(n)",
        }

    def default_optimizer(self, player):
        # StyleGAN2: Adam(0.002, β1=0, β2=0.99, ε=1e-8); with lazy R1 the
        # discriminator's lr and β2 are adjusted by c = k / (k + 1) (§B).
        if player == "discriminator" and self.r1_gamma and self.r1_interval > 1:
            c = self.r1_interval / (self.r1_interval + 1)
            return keras.optimizers.Adam(0.002 * c, beta_1=0.0, beta_2=0.99**c, epsilon=1e-8)
        return keras.optimizers.Adam(0.002, beta_1=0.0, beta_2=0.99, epsilon=1e-8)

    # ------------------------------------------------------------ training
    def phases(self):
        return [
            Phase("discriminator", ("discriminator",), self.discriminator_loss),
            Phase("generator", ("generator",), self.generator_loss),
        ]

    def _noise(self, n):
        return [self.random_normal((n, *s)) for s in self.noise_shapes]

    def mix(self, w1, w2, crossover):
        """Per-layer latents: layers ``< crossover`` (N,) take w1, the rest w2."""
        layer = ops.arange(self.num_ws)[None, :]
        take_first = ops.less(layer, ops.reshape(crossover, (-1, 1)))[..., None]
        return ops.where(take_first, w1[:, None, :], w2[:, None, :])

    def training_ws(self, n):
        """Per-layer latents for a training batch, with style mixing: returns
        (ws (N, num_ws, w_dim), w of the first latent (N, w_dim))."""
        mapping, _ = self.networks()
        w1 = mapping(self.random_normal((n, self.latent_dim)), training=True)
        if not self.style_mixing_prob:
            return ops.repeat(w1[:, None, :], self.num_ws, axis=1), w1
        w2 = mapping(self.random_normal((n, self.latent_dim)), training=True)
        u = self.random_uniform((n,))
        mixed = ops.less(self.random_uniform((n,)), self.style_mixing_prob)
        # crossover uniform in [1, num_ws - 1] when mixed, num_ws (no mixing) else
        cut = 1 + ops.cast(ops.floor(u * (self.num_ws - 1)), "int32")
        cut = ops.where(mixed, ops.minimum(cut, self.num_ws - 1), self.num_ws)
        return self.mix(w1, w2, cut), w1

    def _fake(self, n):
        _, synthesis = self.networks()
        ws, w = self.training_ws(n)
        return synthesis([ws, *self._noise(n)], training=True), w

    def r1_penalty(self, real):
        """γ/2 · E_x ‖∇_x D(x)‖² on real samples (Mescheder et al. 2018).

        With ``augment`` the penalty is on what the discriminator sees, D∘T,
        differentiated with respect to the un-augmented reals (as
        DiffAugment's and StyleGAN2-ADA's code do); T's parameters are drawn
        here, outside the inner gradient."""
        real = ops.cast(real, "float32")
        params = self.augment_params(real)
        grads = input_gradients(
            lambda x: ops.sum(ops.cast(
                self.discriminator(self.augment_images(x, params), training=True),
                "float32")), real)
        return 0.5 * self.r1_gamma * ops.mean(ops.sum(ops.square(grads), axis=(1, 2, 3)))

    def discriminator_loss(self, batch):
        real = batch["x"]
        n = ops.shape(real)[0]
        fake, _ = self._fake(n)
        fake = ops.stop_gradient(fake)
        real_logits = ops.cast(
            self.discriminator(self.augment_images(real), training=True), "float32")
        fake_logits = ops.cast(
            self.discriminator(self.augment_images(fake), training=True), "float32")
        loss = ops.mean(ops.softplus(fake_logits)) + ops.mean(ops.softplus(-real_logits))
        logs = {"d_loss": loss}
        if self.r1_gamma:
            if self.r1_interval == 1:
                r1 = self.r1_penalty(real)
            else:
                # A real conditional on every backend (lax.cond, tf.cond, Python
                # if on torch): the double backprop runs only every k-th step.
                due = ops.equal(self.optimizer.iterations % self.r1_interval, 0)
                r1 = ops.cond(due, lambda: self.r1_penalty(real),
                              lambda: ops.zeros((), "float32"))
            loss = loss + self.r1_interval * r1
            logs["r1"] = r1
        return loss, logs

    def generator_loss(self, batch):
        n = ops.shape(batch["x"])[0]
        fake, w = self._fake(n)
        logits = self.discriminator(self.augment_images(fake), training=True)
        loss = ops.mean(ops.softplus(-ops.cast(logits, "float32")))
        # Track the mean of w (for truncation) from this step's latents.
        w_mean = ops.mean(ops.stop_gradient(ops.cast(w, self.w_avg.dtype)), axis=0)
        self.w_avg.assign(w_mean + self.w_avg_decay * (self.w_avg - w_mean))
        return loss, {"g_loss": loss}

    # ------------------------------------------------------------ sampling
    def _check_psi(self, truncation_psi):
        psi = float(truncation_psi)
        if not 0.0 <= psi <= 1.0:
            raise GANInputError(
                f"truncation_psi must be in [0, 1] (1 = no truncation, 0 = every "
                f"sample is the mean-w image); got {truncation_psi}."
            )
        return psi

    def _synthesize(self, ws, gen, noise_mode, ema):
        _, synthesis = self.networks(ema)
        ws = ops.convert_to_tensor(ws, "float32")
        m = ops.shape(ws)[0]
        if noise_mode == "random":
            noise = [gen((m, *s)) for s in self.noise_shapes]
        elif noise_mode == "none":
            noise = [ops.zeros((m, *s)) for s in self.noise_shapes]
        else:
            raise GANInputError(f"noise_mode must be 'random' or 'none'; got {noise_mode!r}.")
        out = synthesis([ws, *noise], training=False)
        return np.clip(as_float32(out), -1.0, 1.0)

    def _truncate(self, w, psi):
        if psi == 1.0:
            return w
        w_avg = ops.convert_to_tensor(self.w_avg)
        return w_avg + psi * (w - w_avg)

    def map_latents(self, z, truncation_psi=1.0, ema=True):
        """w for latents z (numpy or tensor), truncated toward ``w_avg``."""
        psi = self._check_psi(truncation_psi)
        mapping, _ = self.networks(ema)
        z = ops.convert_to_tensor(np.asarray(z, "float32"))
        return self._truncate(mapping(z, training=False), psi)

    def generate(self, n, labels=None, seed=None, batch_size=256, truncation_psi=1.0,
                 noise_mode="random", ema=True):
        """Draw ``n`` samples (numpy, in [-1, 1]).

        Args:
            seed: int for reproducible samples; None uses the model's generator.
            truncation_psi: ψ of the truncation trick, w' = w̄ + ψ (w - w̄); 1 is
                none, 0 gives the mean-w image for every z.
            noise_mode: ``"random"`` per-pixel noise, or ``"none"`` (zeros).
            ema: sample from the generator's moving average (default) or from
                the trained weights.
        """
        if labels is not None:
            raise GANInputError("StyleGAN is not conditional: drop labels=.")
        psi = self._check_psi(truncation_psi)
        # numpy draws for an int seed: the same images on every backend
        gen, _ = self.sampling_draws(seed)
        out = []
        for start in range(0, n, batch_size):
            m = min(batch_size, n - start)
            z = gen((m, self.latent_dim))
            mapping, _ = self.networks(ema)
            w = self._truncate(mapping(z, training=False), psi)
            ws = ops.repeat(w[:, None, :], self.num_ws, axis=1)
            out.append(self._synthesize(ws, gen, noise_mode, ema))
        return np.concatenate(out, axis=0)

    def mix_styles(self, z1, z2, crossover, truncation_psi=1.0, seed=None,
                   noise_mode="none", ema=True):
        """Images whose first ``crossover`` layers take their style from ``z1``
        and the rest from ``z2`` (StyleGAN §3.1, Figure 3).

        ``crossover`` is in [0, num_ws]: 0 is z2's image, num_ws is z1's.
        z1 and z2 are (N, latent_dim) arrays (one z2 row broadcasts).
        """
        if isinstance(crossover, bool) or not isinstance(crossover, (int, np.integer)):
            raise GANInputError(f"crossover must be an int layer index; got {crossover!r}.")
        if not 0 <= crossover <= self.num_ws:
            raise GANInputError(
                f"crossover={crossover} is beyond the synthesis network's layers: it "
                f"has {self.num_ws} modulated layers, so crossover must be in "
                f"[0, {self.num_ws}] (0: all styles from z2, {self.num_ws}: all from z1)."
            )
        z1 = np.asarray(z1, "float32")
        z2 = np.asarray(z2, "float32")
        for name, z in (("z1", z1), ("z2", z2)):
            if z.ndim != 2 or z.shape[1] != self.latent_dim:
                raise GANInputError(
                    f"{name} must have shape (N, {self.latent_dim}); got {z.shape}.")
        if len(z2) == 1 and len(z1) > 1:
            z2 = np.repeat(z2, len(z1), axis=0)
        if len(z1) != len(z2):
            raise GANInputError(f"z1 has {len(z1)} rows but z2 has {len(z2)}.")
        w1 = self.map_latents(z1, truncation_psi, ema)
        w2 = self.map_latents(z2, truncation_psi, ema)
        ws = self.mix(w1, w2, ops.full((len(z1),), crossover, "int32"))
        gen, _ = self.sampling_draws(seed)
        return self._synthesize(ws, gen, noise_mode, ema)

    # ------------------------------------------------------------ capabilities
    sample_options = ("truncation_psi", "noise_mode", "ema")

    def generate_from_latent(self, z, labels=None):
        """Images of latents ``z`` (N, latent_dim) through the EMA mapping and
        synthesis networks, per-pixel noise off (for latent walks)."""
        if labels is not None:
            raise GANInputError("StyleGAN is not conditional: drop labels=.")
        return self.mix_styles(z, z, self.num_ws, noise_mode="none")

    def serving_network(self, *, direction="a2b", truncation_psi=1.0, labels="int"):
        """z -> the EMA generator's image, mapping and synthesis in one graph:
        truncation ψ baked in toward ``w_avg``, noise off, output clipped to
        [-1, 1]; equals ``generate(..., noise_mode="none", truncation_psi=ψ)``."""
        psi = self._check_psi(truncation_psi)
        mapping, synthesis = self.networks(ema=True)
        z = keras.Input((self.latent_dim,), name="z")
        w = mapping(z, training=False)
        if psi != 1.0:
            w = Truncation(np.asarray(ops.convert_to_numpy(self.w_avg)), psi,
                           name="truncation")(w)
        ws = BroadcastLatent(self.num_ws, name="broadcast")(w)
        noise = [ZeroNoise(s, name=f"zero_noise{i}")(z) for i, s in enumerate(self.noise_shapes)]
        out = ClipImages(name="clip")(synthesis([ws, *noise], training=False))
        return keras.Model(z, out, name="stylegan_ema_serving")

    def export_refusal(self, format):
        if format == "onnx" and keras.backend.backend() == "jax":
            # jax2onnx 0.17 cannot convert jax.image.resize (the synthesis
            # network's bilinear upsampling) with a symbolic batch size.
            return (
                "StyleGAN's ONNX export does not run on the jax backend (jax2onnx cannot "
                "convert its bilinear upsampling with a free batch size): export it with "
                "KERAS_BACKEND=tensorflow or torch, or as format='tf_saved_model'.")
        return None

    def inversion_target(self):
        return StyleTarget(self)

    # ------------------------------------------------------------ config
    def get_config(self):
        config = super().get_config()
        config.update(
            latent_dim=self.latent_dim,
            w_dim=self.w_dim,
            channels=self.channels,
            mapping_layers=self.mapping_layers,
            r1_gamma=self.r1_gamma,
            r1_interval=self.r1_interval,
            style_mixing_prob=self.style_mixing_prob,
            ema_decay=self.ema_decay,
            w_avg_decay=self.w_avg_decay,
            mbstd_group_size=self.mbstd_group_size,
            channel_base=self.channel_base,
        )
        return config


class StyleTarget(LatentTarget):
    """w of the EMA synthesis network, one w for every layer, noise off; the
    first start is the tracked mean of w (``w_avg``), as in StyleGAN2's
    projector, further starts are w of random z."""

    space = "w"

    def __init__(self, model):
        super().__init__(model, model.w_dim)
        self.mapping, self.synthesis = model.networks(ema=True)

    def decode(self, latent, onehot):
        m = self.model
        ws = ops.repeat(latent[:, None, :], m.num_ws, axis=1)
        n = ops.shape(latent)[0]
        noise = [ops.zeros((n, *s)) for s in m.noise_shapes]
        return self.synthesis([ws, *noise], training=False)

    def images(self, latent, onehot):
        return ops.clip(self.decode(latent, onehot), -1.0, 1.0)

    def initial(self, images, onehot, restarts, rng):
        n = len(images)
        w_avg = np.asarray(ops.convert_to_numpy(self.model.w_avg), "float32")
        w = np.repeat(w_avg[None], n * restarts, axis=0)
        if restarts > 1:
            z = rng.standard_normal((n * restarts, self.model.latent_dim)).astype("float32")
            sampled = np.asarray(ops.convert_to_numpy(self.mapping(z, training=False)))
            w = w.reshape(n, restarts, -1)
            w[:, 1:] = sampled.reshape(n, restarts, -1)[:, 1:]
            w = w.reshape(n * restarts, -1)
        return w
