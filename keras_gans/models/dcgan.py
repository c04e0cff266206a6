import keras

from keras_gans.models._convolutional import ConvolutionalGAN


@keras.saving.register_keras_serializable(package="keras_gans")
class DCGAN(ConvolutionalGAN):
    """Deep convolutional GAN (Radford et al. 2015, "Unsupervised Representation
    Learning with Deep Convolutional Generative Adversarial Networks").

    Networks follow the paper's rules (``keras_gans.networks.dcgan``); defaults
    are the paper's: Adam(lr=2e-4, β1=0.5) for both players, z ~ N(0, I) of size
    100, non-saturating loss, weights from N(0, 0.02).

    Example:
        ```python
        x = keras_gans.data.load("mnist")[0]      # scaled to [-1, 1]
        gan = keras_gans.DCGAN(data_shape=(28, 28, 1))
        gan.compile()
        gan.fit(x, batch_size=128, epochs=5)
        ```
    """

    def default_optimizer(self, player):
        return keras.optimizers.Adam(2e-4, beta_1=0.5)
