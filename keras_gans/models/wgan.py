import keras

from keras_gans.core.adversarial import AdversarialGAN
from keras_gans.networks import default_pair


@keras.saving.register_keras_serializable(package="keras_gans")
class WGAN(AdversarialGAN):
    """Wasserstein GAN with weight clipping (Arjovsky et al. 2017, Algorithm 1).

    The critic's score estimates the Wasserstein-1 distance (logged as
    ``wasserstein``); after every critic update each critic weight is clipped
    to [-c, c]. Paper defaults: c = 0.01, n_critic = 5, RMSprop(lr=5e-5) for both
    players (no momentum-based optimizer, which the paper found unstable).
    """

    def __init__(self, generator=None, discriminator=None, *, clip_value=0.01,
                 n_critic=5, filters=64, **kwargs):
        self.filters = int(filters)
        kwargs.setdefault("loss", "wasserstein")
        super().__init__(generator, discriminator, clip_value=clip_value,
                         n_critic=n_critic, **kwargs)

    def build_networks(self, data_shape):
        return default_pair(self.latent_dim, data_shape, self.filters, self.num_classes,
                            batch_norm=True, discriminator_options=self.discriminator_options)

    def default_optimizer(self, player):
        return keras.optimizers.RMSprop(5e-5)

    def get_config(self):
        return {**super().get_config(), "filters": self.filters}
