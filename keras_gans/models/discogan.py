import keras
from keras import ops

from keras_gans.core.phase import Phase
from keras_gans.core.two_domain import TwoDomainGAN
from keras_gans.errors import GANConfigError
from keras_gans.losses import mean_squared_error as mse
from keras_gans.losses import sigmoid_cross_entropy as bce
from keras_gans.networks.translation import (
    discogan_discriminator,
    encoder_decoder_generator,
)


@keras.saving.register_keras_serializable(package="keras_gans")
class DiscoGAN(TwoDomainGAN):
    """DiscoGAN (Kim et al. 2017, "Learning to Discover Cross-Domain Relations
    with Generative Adversarial Networks").

    Two coupled GANs: G_AB = ``generator_ab``, G_BA = ``generator_ba``, and
    discriminators D_A, D_B with log-loss (sigmoid cross-entropy) outputs. As in
    the paper (eq. 3-5) each direction's generator loss is a GAN loss on the
    translated image plus the reconstruction distance (MSE) of the round trip in
    its source domain, and the two directions are summed:

        L_G = Σ_{A,B} (1 - r) · (w_gan · L_GAN + w_fm · L_FM) + r · MSE(G_BA(G_AB(x_A)), x_A)

    with the authors' code's (SKTBrain/DiscoGAN) weighting: w_gan = 0.1 and
    w_fm = 0.9 for a feature-matching loss L_FM (squared difference of the
    batch-mean real and fake features of every BatchNorm layer of the
    discriminator), and a curriculum on the reconstruction rate r: 0.01 for the
    first 10,000 steps (a strong GAN loss while the generators are poor), then
    0.5. ``gan_weight=1, feature_matching_weight=0, starting_rate=default_rate=0.5``
    gives the paper's plain equation (L_GAN + L_CONST, up to a factor ½).
    Each discriminator minimises ½[BCE(D(real), 1) + BCE(D(fake), 0)].

    Defaults: Adam(2e-4, β1 = 0.5, β2 = 0.999) with L2 weight decay 1e-5 as the
    reference (PyTorch ``weight_decay``, added to the gradient); the reference
    updates the discriminators every third iteration and the generators on the
    others, with a new batch each time; here each step updates the generators
    then the discriminators on one batch (``generator_steps`` repeats the
    generator phase on it).

    Args:
        gan_weight, feature_matching_weight: weights of the GAN and
            feature-matching terms inside the adversarial part.
        starting_rate, default_rate, curriculum_steps: the reconstruction rate
            r before and after ``curriculum_steps`` training steps.
        filters: width of the first layer of every network (reference: 64).
        generator_steps: generator updates per step.

    Example:
        ```python
        pair = keras_gans.data.two_domain.load_pair("mnist2fashion")
        x_a, x_b = pair.unpaired(seed=0)
        model = keras_gans.DiscoGAN(data_shape=(28, 28, 1))
        model.compile()
        model.fit((x_a, x_b), batch_size=64, epochs=1)
        shirts = model.translate(x_a[:16], direction="a2b")
        ```
    """

    def __init__(
        self,
        generator_ab=None,
        generator_ba=None,
        discriminator_a=None,
        discriminator_b=None,
        *,
        gan_weight=0.1,
        feature_matching_weight=0.9,
        starting_rate=0.01,
        default_rate=0.5,
        curriculum_steps=10000,
        filters=64,
        generator_steps=1,
        **kwargs,
    ):
        self.gan_weight = float(gan_weight)
        self.feature_matching_weight = float(feature_matching_weight)
        self.starting_rate = float(starting_rate)
        self.default_rate = float(default_rate)
        self.curriculum_steps = int(curriculum_steps)
        self.filters = int(filters)
        self.generator_steps = int(generator_steps)
        for name in ("starting_rate", "default_rate"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise GANConfigError(f"{name} must be in [0, 1]; got {getattr(self, name)}.")
        if self.generator_steps < 1:
            raise GANConfigError(f"generator_steps must be >= 1; got {generator_steps}.")
        self.tracked_terms = ("g_loss", "gan_loss", "fm_loss", "recon_loss", "d_loss")
        super().__init__(generator_ab, generator_ba, discriminator_a, discriminator_b, **kwargs)
        self.built = True

    def build_networks(self, shape_a, shape_b):
        return (
            encoder_decoder_generator(shape_a, shape_b[-1], self.filters, name="generator_ab"),
            encoder_decoder_generator(shape_b, shape_a[-1], self.filters, name="generator_ba"),
            discogan_discriminator(shape_a, self.filters, name="discriminator_a"),
            discogan_discriminator(shape_b, self.filters, name="discriminator_b"),
        )

    def default_optimizer(self, player):
        # torch.optim.Adam(weight_decay=1e-5) adds 1e-5·w to the gradient (an L2
        # term, not AdamW's decoupled decay): a kernel regulariser would change
        # the networks, so this is left to the user (Adam's own weight_decay is
        # decoupled). The reference's learning rate and betas:
        return keras.optimizers.Adam(2e-4, beta_1=0.5, beta_2=0.999)

    # ------------------------------------------------------------ phases
    def phases(self):
        return [
            Phase("generators", ("generator_ab", "generator_ba"), self.generators_loss,
                  self.generator_steps),
            Phase("discriminators", ("discriminator_a", "discriminator_b"),
                  self.discriminators_loss),
        ]

    def reconstruction_rate(self):
        step = self.optimizer.iterations
        return ops.where(step < self.curriculum_steps, self.starting_rate, self.default_rate)

    def generators_loss(self, batch):
        a, b = batch["x_a"], batch["x_b"]
        ab = self.generator_ab(a, training=True)
        ba = self.generator_ba(b, training=True)
        recon = mse(self.generator_ba(ab, training=True), a) + mse(
            self.generator_ab(ba, training=True), b
        )
        aug = self.augment_images
        real_a, *feats_real_a = self.discriminator_a(aug(a), training=True)
        fake_a, *feats_fake_a = self.discriminator_a(aug(ba), training=True)
        real_b, *feats_real_b = self.discriminator_b(aug(b), training=True)
        fake_b, *feats_fake_b = self.discriminator_b(aug(ab), training=True)
        del real_a, real_b
        gan = bce(fake_a, 1.0) + bce(fake_b, 1.0)
        fm = _feature_matching(feats_real_a, feats_fake_a) + _feature_matching(
            feats_real_b, feats_fake_b
        )
        rate = ops.cast(self.reconstruction_rate(), "float32")
        adversarial = self.gan_weight * gan + self.feature_matching_weight * fm
        loss = (1.0 - rate) * adversarial + rate * recon
        return loss, {"g_loss": loss, "gan_loss": gan, "fm_loss": fm, "recon_loss": recon}

    def discriminators_loss(self, batch):
        a, b = batch["x_a"], batch["x_b"]
        ab = ops.stop_gradient(self.generator_ab(a, training=True))
        ba = ops.stop_gradient(self.generator_ba(b, training=True))
        aug = self.augment_images
        d_a = 0.5 * (bce(self.discriminator_a(aug(a), training=True)[0], 1.0)
                     + bce(self.discriminator_a(aug(ba), training=True)[0], 0.0))
        d_b = 0.5 * (bce(self.discriminator_b(aug(b), training=True)[0], 1.0)
                     + bce(self.discriminator_b(aug(ab), training=True)[0], 0.0))
        loss = d_a + d_b
        return loss, {"d_loss": loss}

    # ------------------------------------------------------------ config
    def get_config(self):
        return {
            **super().get_config(),
            "gan_weight": self.gan_weight,
            "feature_matching_weight": self.feature_matching_weight,
            "starting_rate": self.starting_rate,
            "default_rate": self.default_rate,
            "curriculum_steps": self.curriculum_steps,
            "filters": self.filters,
            "generator_steps": self.generator_steps,
        }


def _feature_matching(real_feats, fake_feats):
    total = 0.0
    for real, fake in zip(real_feats, fake_feats):
        diff = ops.mean(ops.cast(real, "float32"), axis=0) - ops.mean(
            ops.cast(fake, "float32"), axis=0
        )
        total = total + ops.mean(ops.square(diff))
    return total
