import keras

from keras_gans.models._convolutional import ConvolutionalGAN


@keras.saving.register_keras_serializable(package="keras_gans")
class WGAN(ConvolutionalGAN):
    """Wasserstein GAN with weight clipping (Arjovsky et al. 2017, Algorithm 1).

    The critic's score estimates the Wasserstein-1 distance (logged as
    ``wasserstein``); after every critic update each critic weight is clipped
    to [-c, c]. Paper defaults: c = 0.01, n_critic = 5, RMSprop(lr=5e-5) for both
    players (no momentum-based optimizer, which the paper found unstable).
    """

    def __init__(self, generator=None, discriminator=None, *, clip_value=0.01,
                 n_critic=5, filters=64, **kwargs):
        kwargs.setdefault("loss", "wasserstein")
        super().__init__(generator, discriminator, filters=filters, clip_value=clip_value,
                         n_critic=n_critic, **kwargs)

    def default_optimizer(self, player):
        return keras.optimizers.RMSprop(5e-5)
