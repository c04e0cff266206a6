from keras_gans.networks.dcgan import dcgan_discriminator, dcgan_generator
from keras_gans.networks.mlp import mlp_discriminator, mlp_generator

__all__ = ["dcgan_discriminator", "dcgan_generator", "default_pair", "mlp_discriminator", "mlp_generator"]


def default_pair(latent_dim, data_shape, filters=64, num_classes=None,
                 batch_norm=True, discriminator_options=None, hidden=(256, 256)):
    """MLP players for vectors, DCGAN players for images: the default pair of the
    single-generator variants."""
    options = discriminator_options or {}
    if len(data_shape) == 1:
        return (
            mlp_generator(latent_dim, data_shape, hidden, num_classes, None),
            mlp_discriminator(data_shape, hidden, num_classes, **options),
        )
    return (
        dcgan_generator(latent_dim, data_shape, filters, num_classes),
        dcgan_discriminator(data_shape, filters, batch_norm=batch_norm,
                            num_classes=num_classes, **options),
    )
