import keras
from keras import ops

from keras_gans.core.image_pool import pool_query
from keras_gans.core.phase import Phase
from keras_gans.core.two_domain import TwoDomainGAN
from keras_gans.errors import GANConfigError
from keras_gans.losses import mean_absolute_error as l1
from keras_gans.losses import mean_squared_error as mse
from keras_gans.networks.translation import patchgan_discriminator, resnet_generator


@keras.saving.register_keras_serializable(package="keras_gans")
class CycleGAN(TwoDomainGAN):
    """CycleGAN (Zhu et al. 2017, "Unpaired Image-to-Image Translation using
    Cycle-Consistent Adversarial Networks").

    G = ``generator_ab`` (A -> B) and F = ``generator_ba`` (B -> A) are trained
    together against D_B = ``discriminator_b`` and D_A = ``discriminator_a``:

    - generators (one phase, each with its own optimizer) minimise
      ``(D_B(G(a)) - 1)² + (D_A(F(b)) - 1)²``
      ``+ λ (|F(G(a)) - a|₁ + |G(F(b)) - b|₁)``
      ``+ identity_weight · λ (|G(b) - b|₁ + |F(a) - a|₁)``;
    - discriminators minimise ``½[(D(real) - 1)² + D(fake)²]`` per domain, with
      the fakes drawn through a history pool of ``pool_size`` images per domain
      (Shrivastava et al. 2017): while the pool fills each fake is stored and
      shown; then with probability ½ a stored fake is shown and replaced by the
      new one. The pool lives in non-trainable variables and draws from the
      model's seed generator, so it runs inside the compiled step on every
      backend and is saved with the weights.

    The fakes shown to the discriminators are made by the generators after this
    step's generator update (the reference code reuses the ones from before it).

    Defaults are the paper's: λ = 10, pool of 50, Adam(2e-4, β1 = 0.5) for every
    player (junyanz/pytorch-CycleGAN-and-pix2pix ``train_options.py``), ResNet
    generators (6 blocks, as at 128 px) and PatchGAN discriminators sized for
    28-64 px. The paper's learning-rate decay (constant for 100 epochs, then
    linearly to 0 over 100 more) can be given as optimizers with a schedule.

    Args:
        cycle_weight: λ of the cycle-consistency loss.
        identity_weight: weight of the identity loss relative to λ (the
            paper's 0.5 for painting -> photo; 0 turns it off). Needs both
            domains to have the same number of channels.
        pool_size: images kept per discriminator (0 = no history).
        filters, n_blocks: width and depth of the generators; filters is also
            the width of the discriminators' first layer.

    Example:
        ```python
        pair = keras_gans.data.two_domain.load_pair("mnist2usps")
        x_a, x_b = pair.unpaired(seed=0)
        model = keras_gans.CycleGAN(data_shape=(28, 28, 1))
        model.compile()
        model.fit((x_a, x_b), batch_size=1, epochs=1)
        usps_like = model.translate(x_a[:16], direction="a2b")
        ```
    """

    def __init__(
        self,
        generator_ab=None,
        generator_ba=None,
        discriminator_a=None,
        discriminator_b=None,
        *,
        cycle_weight=10.0,
        identity_weight=0.0,
        pool_size=50,
        filters=64,
        n_blocks=6,
        **kwargs,
    ):
        self.cycle_weight = float(cycle_weight)
        self.identity_weight = float(identity_weight)
        self.pool_size = int(pool_size)
        self.filters = int(filters)
        self.n_blocks = int(n_blocks)
        terms = ["g_loss", "cycle_loss", "d_a_loss", "d_b_loss"]
        if self.identity_weight:
            terms.insert(2, "identity_loss")
        self.tracked_terms = tuple(terms)
        if self.pool_size < 0:
            raise GANConfigError(f"pool_size must be >= 0; got {pool_size}.")
        super().__init__(generator_ab, generator_ba, discriminator_a, discriminator_b, **kwargs)
        if self.identity_weight and self.data_shape_a != self.data_shape_b:
            raise GANConfigError(
                "The identity loss feeds domain B images to G: A -> B, so both domains "
                f"need the same shape; got {self.data_shape_a} and {self.data_shape_b}. "
                "Use identity_weight=0 or convert the channels "
                "(keras_gans.data.two_domain.unpaired(..., channels=...))."
            )
        self.pools = {}
        if self.pool_size:
            for domain, shape in (("a", self.data_shape_a), ("b", self.data_shape_b)):
                images = self.add_weight(
                    shape=(self.pool_size, *shape), initializer="zeros",
                    trainable=False, name=f"pool_{domain}",
                )
                count = self.add_weight(
                    shape=(), initializer="zeros", dtype="int32",
                    trainable=False, name=f"pool_{domain}_count",
                )
                self.pools[domain] = (images, count)
        self.built = True

    def build_networks(self, shape_a, shape_b):
        return (
            resnet_generator(shape_a, shape_b[-1], self.filters, self.n_blocks,
                             name="generator_ab"),
            resnet_generator(shape_b, shape_a[-1], self.filters, self.n_blocks,
                             name="generator_ba"),
            patchgan_discriminator(shape_a, self.filters, name="discriminator_a"),
            patchgan_discriminator(shape_b, self.filters, name="discriminator_b"),
        )

    def default_optimizer(self, player):
        return keras.optimizers.Adam(2e-4, beta_1=0.5)

    # ------------------------------------------------------------ phases
    def phases(self):
        return [
            Phase("generators", ("generator_ab", "generator_ba"), self.generators_loss),
            Phase("discriminators", ("discriminator_a", "discriminator_b"),
                  self.discriminators_loss),
        ]

    def generators_loss(self, batch):
        a, b = batch["x_a"], batch["x_b"]
        fake_b = self.generator_ab(a, training=True)
        fake_a = self.generator_ba(b, training=True)
        aug = self.augment_images
        adv = mse(self.discriminator_b(aug(fake_b), training=True), 1.0) + mse(
            self.discriminator_a(aug(fake_a), training=True), 1.0
        )
        cycle = l1(self.generator_ba(fake_b, training=True), a) + l1(
            self.generator_ab(fake_a, training=True), b
        )
        loss = adv + self.cycle_weight * cycle
        logs = {"cycle_loss": cycle}
        if self.identity_weight:
            identity = l1(self.generator_ab(b, training=True), b) + l1(
                self.generator_ba(a, training=True), a
            )
            loss = loss + self.identity_weight * self.cycle_weight * identity
            logs["identity_loss"] = identity
        logs["g_loss"] = loss
        return loss, logs

    def discriminators_loss(self, batch):
        a, b = batch["x_a"], batch["x_b"]
        fake_b = self.from_pool("b", ops.stop_gradient(self.generator_ab(a, training=True)))
        fake_a = self.from_pool("a", ops.stop_gradient(self.generator_ba(b, training=True)))
        # The paper halves each discriminator's objective (§4, "Training details").
        # The pool keeps un-augmented fakes; each showing is augmented afresh.
        aug = self.augment_images
        d_a = 0.5 * (mse(self.discriminator_a(aug(a), training=True), 1.0)
                     + mse(self.discriminator_a(aug(fake_a), training=True), 0.0))
        d_b = 0.5 * (mse(self.discriminator_b(aug(b), training=True), 1.0)
                     + mse(self.discriminator_b(aug(fake_b), training=True), 0.0))
        return d_a + d_b, {"d_a_loss": d_a, "d_b_loss": d_b}

    def from_pool(self, domain, fakes):
        """The fakes to show ``discriminator_<domain>``, through its history pool."""
        if not self.pool_size:
            return fakes
        images, count = self.pools[domain]
        n = ops.shape(fakes)[0]
        u = self.random_uniform((n, 2))
        shown, new_images, new_count = pool_query(
            ops.cast(images, fakes.dtype), count, fakes, u[:, 0], u[:, 1]
        )
        images.assign(ops.cast(new_images, images.dtype))
        count.assign(new_count)
        return shown

    # ------------------------------------------------------------ config
    def get_config(self):
        return {
            **super().get_config(),
            "cycle_weight": self.cycle_weight,
            "identity_weight": self.identity_weight,
            "pool_size": self.pool_size,
            "filters": self.filters,
            "n_blocks": self.n_blocks,
        }
