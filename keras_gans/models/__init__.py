from keras_gans.models.aae import AdversarialAutoencoder
from keras_gans.models.aae_semisupervised import SemiSupervisedAAE
from keras_gans.models.bigan import BiGAN
from keras_gans.models.conditional_gan import ConditionalGAN
from keras_gans.models.cyclegan import CycleGAN
from keras_gans.models.dcgan import DCGAN
from keras_gans.models.discogan import DiscoGAN
from keras_gans.models.dtn import DomainTransferNetwork
from keras_gans.models.gan import GAN
from keras_gans.models.lsgan import LSGAN
from keras_gans.models.stylegan import StyleGAN
from keras_gans.models.wgan import WGAN
from keras_gans.models.wgan_gp import WGANGP

#: name -> class, for the command line and the tests (a new variant adds a line).
VARIANTS = {
    "gan": GAN,
    "conditional_gan": ConditionalGAN,
    "dcgan": DCGAN,
    "wgan": WGAN,
    "wgan_gp": WGANGP,
    "lsgan": LSGAN,
    "bigan": BiGAN,
    "aae": AdversarialAutoencoder,
    "aae_semisupervised": SemiSupervisedAAE,
    "cyclegan": CycleGAN,
    "discogan": DiscoGAN,
    "dtn": DomainTransferNetwork,
    "stylegan": StyleGAN,
}


def get_variant(name):
    from keras_gans.errors import GANConfigError, did_you_mean

    key = str(name).lower().replace("-", "_")
    if key not in VARIANTS:
        raise GANConfigError(
            f"Unknown variant {name!r}; known: {sorted(VARIANTS)}." + did_you_mean(key, VARIANTS)
        )
    return VARIANTS[key]


__all__ = [
    "DCGAN",
    "GAN",
    "LSGAN",
    "VARIANTS",
    "WGAN",
    "WGANGP",
    "AdversarialAutoencoder",
    "BiGAN",
    "ConditionalGAN",
    "CycleGAN",
    "DiscoGAN",
    "DomainTransferNetwork",
    "SemiSupervisedAAE",
    "StyleGAN",
    "get_variant",
]
