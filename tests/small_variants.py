"""One small model of every image variant, built with a given ``augment=``
setting, and the data to fit it: shared by test_augment and test_mixed_precision."""

import keras_gans as kg
from keras_gans.networks.classifier import conv_classifier


def _digits(size):
    from keras_gans.data import load_digits

    x, y = load_digits(size)
    return x[:32], y[:32]


def _feature_matching_dcgan(augment):
    probe = kg.DCGAN(data_shape=(28, 28, 1), latent_dim=4, filters=4)
    return kg.DCGAN(probe.generator, probe.discriminator, latent_dim=4, augment=augment,
                    feature_matching_layer=probe.discriminator.layers[-2].name)


def _f28():
    return conv_classifier((28, 28, 1), 10, 4, feature_dim=8, seed=0, name="f")


VARIANTS = {
    "GAN": lambda a: kg.GAN(data_shape=(8, 8, 1), latent_dim=4, hidden=(16,), augment=a),
    "ConditionalGAN": lambda a: kg.ConditionalGAN(data_shape=(8, 8, 1), num_classes=10,
                                                  latent_dim=4, augment=a),
    "DCGAN": lambda a: kg.DCGAN(data_shape=(28, 28, 1), latent_dim=4, filters=4, augment=a),
    "DCGAN_feature_matching": lambda a: _feature_matching_dcgan(a),
    "WGAN": lambda a: kg.WGAN(data_shape=(28, 28, 1), latent_dim=4, filters=4, n_critic=1,
                              augment=a),
    "WGANGP": lambda a: kg.WGANGP(data_shape=(28, 28, 1), latent_dim=4, filters=4,
                                  n_critic=1, augment=a),
    "LSGAN": lambda a: kg.LSGAN(data_shape=(28, 28, 1), latent_dim=4, filters=4, augment=a),
    "StyleGAN": lambda a: kg.StyleGAN(data_shape=(8, 8, 1), latent_dim=8, channels=8,
                                      mapping_layers=1, r1_interval=1, augment=a),
    "CycleGAN": lambda a: kg.CycleGAN(data_shape=(28, 28, 1), filters=4, n_blocks=1,
                                      pool_size=4, augment=a),
    "DiscoGAN": lambda a: kg.DiscoGAN(data_shape=(28, 28, 1), filters=4, augment=a),
    "DTN": lambda a: kg.DomainTransferNetwork(_f28(), filters=4, augment=a),
    "BiGAN": lambda a: kg.BiGAN(data_shape=(8, 8, 1), latent_dim=4, hidden=(16,), augment=a),
}
TWO_DOMAIN = ("CycleGAN", "DiscoGAN", "DTN")


def fit_args(name, model):
    size = model.data_shape[0]
    x, y = _digits(size)
    if name in TWO_DOMAIN:
        return (x[:16], x[16:32]), None
    return x[:16], (y[:16] if name == "ConditionalGAN" else None)


# Every variant, for settings that are not image-only (mixed precision).
ALL_VARIANTS = {
    **VARIANTS,
    "AAE": lambda a: kg.AdversarialAutoencoder(data_shape=(8, 8, 1), latent_dim=4,
                                               hidden=(16,), augment=a),
}


def batch_size(name):
    return 8 if name == "StyleGAN" else 16  # StyleGAN: a multiple of its mbstd group
