from keras_gans.core.adversarial import AdversarialGAN
from keras_gans.core.gan_model import GANModel
from keras_gans.core.phase import Phase
from keras_gans.errors import GANConfigError, GANInputError

__all__ = ["AdversarialGAN", "GANConfigError", "GANInputError", "GANModel", "Phase"]
