import keras
from keras import ops

from keras_gans.core.adversarial import AdversarialGAN
from keras_gans.errors import GANConfigError
from keras_gans.networks import (
    dcgan_discriminator,
    dcgan_generator,
    mlp_discriminator,
    mlp_generator,
)


@keras.saving.register_keras_serializable(package="keras_gans")
class ConditionalGAN(AdversarialGAN):
    """Conditional GAN (Mirza & Osindero 2014, "Conditional Generative Adversarial Nets").

    The label y is given to both players: concatenated to z in the generator and
    to the input of the discriminator (as constant feature maps for images).
    Generated samples in each phase are conditioned on the real batch's labels,
    so the label distribution of fakes matches the data's. ``fit`` needs labels.

    ``discriminator_options={"conditioning": "projection"}`` gives D the label at
    its end instead (Miyato & Koyama 2018): score = psi(phi(x)) + <V y, phi(x)>,
    with a learned class embedding V.

    ``matching_aware=True`` makes D's job include the label (Reed et al. 2016,
    "Generative Adversarial Text to Image Synthesis", GAN-CLS): besides G's
    samples, D learns to call fake the real images paired with a wrong label,
    drawn uniformly among the other classes for each image. D's loss is then
    ``d(real, y) + ½ (f(G(z, y), y) + f(real, y'))`` in the form of the
    adversarial loss; G's loss is unchanged. Not in the cGAN paper (default
    off).

    Args:
        num_classes: number of classes (required).
        architecture: ``"mlp"`` (the paper's) or ``"dcgan"`` for images.
        matching_aware: also train D on real images with wrong labels.
    """

    needs_labels = True

    def __init__(self, generator=None, discriminator=None, *, num_classes=None,
                 architecture="mlp", loss="non_saturating", matching_aware=False,
                 **kwargs):
        if not num_classes:
            raise GANConfigError("ConditionalGAN needs num_classes= (e.g. 10 for MNIST).")
        if architecture not in ("mlp", "dcgan"):
            raise GANConfigError(f"architecture must be 'mlp' or 'dcgan'; got {architecture!r}.")
        if not isinstance(matching_aware, bool):
            raise GANConfigError(f"matching_aware must be True or False; got {matching_aware!r}.")
        self.architecture = architecture
        self.matching_aware = matching_aware
        super().__init__(generator, discriminator, num_classes=num_classes, loss=loss, **kwargs)

    def build_networks(self, data_shape):
        if self.architecture == "dcgan":
            return (
                dcgan_generator(self.latent_dim, data_shape, num_classes=self.num_classes),
                dcgan_discriminator(data_shape, num_classes=self.num_classes,
                                    **self.discriminator_options),
            )
        out_act = "tanh" if len(data_shape) > 1 else None
        return (
            mlp_generator(self.latent_dim, data_shape, (256, 512), self.num_classes, out_act),
            mlp_discriminator(data_shape, (512, 256), self.num_classes,
                              **self.discriminator_options),
        )

    def wrong_labels(self, labels):
        """One-hot labels -> one-hot labels of another class, uniform among the
        other ``num_classes - 1`` for each row."""
        ids = ops.argmax(labels, axis=-1)
        n = ops.shape(labels)[0]
        u = ops.cast(self.random_uniform((n,)), "float32")
        shift = 1 + ops.minimum(ops.cast(ops.floor(u * (self.num_classes - 1)), "int32"),
                                self.num_classes - 2)
        wrong = (ops.cast(ids, "int32") + shift) % self.num_classes
        return ops.one_hot(wrong, self.num_classes, dtype=labels.dtype)

    def more_fake_outputs(self, real_seen, labels):
        if not self.matching_aware:
            return None
        return self._d(real_seen, self.wrong_labels(labels))

    def default_optimizer(self, player):
        return keras.optimizers.Adam(2e-4, beta_1=0.5)

    def get_config(self):
        return {**super().get_config(), "architecture": self.architecture,
                "matching_aware": self.matching_aware}
