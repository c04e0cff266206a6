"""The base of the DCGAN-family variants."""

from __future__ import annotations

from keras_gans.core.adversarial import AdversarialGAN
from keras_gans.networks import default_pair


class ConvolutionalGAN(AdversarialGAN):
    """The DCGAN networks (``keras_gans.networks.dcgan``, an MLP for vectors),
    ``filters`` wide: what DCGAN, LSGAN, WGAN and WGAN-GP share. They differ in
    their loss, their optimizers and whether the critic has BatchNorm
    (``critic_batch_norm``: WGAN-GP's has none, since the gradient penalty
    treats each sample on its own).

    Args:
        filters: width of the discriminator's first layer (the generator's
            last); each further layer doubles it.
        critic_batch_norm: BatchNorm in the built discriminator; None = the
            variant's paper default (the class attribute).
    """

    critic_batch_norm = True

    def __init__(self, generator=None, discriminator=None, *, filters=64,
                 critic_batch_norm=None, **kwargs):
        self.filters = int(filters)
        if critic_batch_norm is not None:
            self.critic_batch_norm = bool(critic_batch_norm)
        super().__init__(generator, discriminator, **kwargs)

    def build_networks(self, data_shape):
        return default_pair(self.latent_dim, data_shape, self.filters, self.num_classes,
                            batch_norm=self.critic_batch_norm,
                            discriminator_options=self.discriminator_options)

    def get_config(self):
        config = {**super().get_config(), "filters": self.filters}
        if self.critic_batch_norm != type(self).critic_batch_norm:
            config["critic_batch_norm"] = self.critic_batch_norm
        return config
