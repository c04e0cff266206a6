import keras

from keras_gans.models._convolutional import ConvolutionalGAN


@keras.saving.register_keras_serializable(package="keras_gans")
class LSGAN(ConvolutionalGAN):
    """Least-squares GAN (Mao et al. 2017, "Least Squares Generative Adversarial
    Networks").

    Discriminator minimises ½(D(x) - b)² + ½(D(G(z)) - a)², generator
    ½(D(G(z)) - c)², with the paper's 0-1 coding a = 0, b = c = 1 and a linear
    discriminator output. Adam(lr=2e-4, β1=0.5) for both players.
    """

    def __init__(self, generator=None, discriminator=None, *, filters=64, **kwargs):
        kwargs.setdefault("loss", "least_squares")
        super().__init__(generator, discriminator, filters=filters, **kwargs)

    def default_optimizer(self, player):
        return keras.optimizers.Adam(2e-4, beta_1=0.5)
