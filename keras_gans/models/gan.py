import keras

from keras_gans.core.adversarial import AdversarialGAN
from keras_gans.errors import GANConfigError
from keras_gans.networks import mlp_discriminator, mlp_generator


@keras.saving.register_keras_serializable(package="keras_gans")
class GAN(AdversarialGAN):
    """The original GAN (Goodfellow et al. 2014, "Generative Adversarial Nets").

    MLP generator and discriminator, one discriminator update per generator
    update (k = 1, the paper's choice). ``loss="minimax"`` is the game of
    equation 1 (the generator minimises log(1 - D(G(z)))); ``"non_saturating"``
    is the paper's practical variant (the generator maximises log D(G(z))).

    The paper leaves the learning rule open ("any standard gradient-based learning
    rule; we used momentum"); the default is Adam(2e-4, β1=0.5) as in DCGAN.

    Example:
        ```python
        x = keras_gans.data.load_mixture("ring8", n=8192)
        gan = keras_gans.GAN(data_shape=(2,), latent_dim=2)
        gan.compile()
        gan.fit(x, batch_size=256, epochs=10)
        samples = gan.generate(1000, seed=0)
        ```
    """

    def __init__(self, generator=None, discriminator=None, *, loss="non_saturating",
                 hidden=(256, 256), **kwargs):
        if loss not in ("minimax", "non_saturating"):
            raise GANConfigError(
                f"GAN takes loss='minimax' or 'non_saturating'; got {loss!r}. "
                "Other losses are LSGAN, WGAN and WGANGP."
            )
        self.hidden = tuple(hidden)
        super().__init__(generator, discriminator, loss=loss, **kwargs)

    def build_networks(self, data_shape):
        out_act = "tanh" if len(data_shape) > 1 else None
        g = mlp_generator(self.latent_dim, data_shape, self.hidden, self.num_classes, out_act)
        d = mlp_discriminator(data_shape, self.hidden, self.num_classes, **self.discriminator_options)
        return g, d

    def default_optimizer(self, player):
        return keras.optimizers.Adam(2e-4, beta_1=0.5)

    def get_config(self):
        return {**super().get_config(), "hidden": self.hidden}
