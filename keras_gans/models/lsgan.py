import keras

from keras_gans.core.adversarial import AdversarialGAN
from keras_gans.networks import default_pair


@keras.saving.register_keras_serializable(package="keras_gans")
class LSGAN(AdversarialGAN):
    """Least-squares GAN (Mao et al. 2017, "Least Squares Generative Adversarial
    Networks").

    Discriminator minimises ½(D(x) - b)² + ½(D(G(z)) - a)², generator
    ½(D(G(z)) - c)², with the paper's 0-1 coding a = 0, b = c = 1 and a linear
    discriminator output. Adam(lr=2e-4, β1=0.5) for both players.
    """

    def __init__(self, generator=None, discriminator=None, *, filters=64, **kwargs):
        self.filters = int(filters)
        kwargs.setdefault("loss", "least_squares")
        super().__init__(generator, discriminator, **kwargs)

    def build_networks(self, data_shape):
        return default_pair(self.latent_dim, data_shape, self.filters, self.num_classes,
                            batch_norm=True, discriminator_options=self.discriminator_options)

    def default_optimizer(self, player):
        return keras.optimizers.Adam(2e-4, beta_1=0.5)

    def get_config(self):
        return {**super().get_config(), "filters": self.filters}
