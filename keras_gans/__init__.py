"""keras_gans: GANs for Keras 3 that train with model.fit on TensorFlow, JAX and PyTorch."""

__version__ = "0.1.0"

from keras_gans import data, layers, losses, metrics, networks, regularizers
from keras_gans.core import AdversarialGAN, GANConfigError, GANInputError, GANModel, Phase
from keras_gans.models import (
    DCGAN,
    GAN,
    LSGAN,
    VARIANTS,
    WGAN,
    WGANGP,
    ConditionalGAN,
    get_variant,
)
from keras_gans.callbacks import SampleGrid
from keras_gans.images import save_grid, show_grid

__all__ = [
    "AdversarialGAN", "ConditionalGAN", "DCGAN", "GAN", "GANConfigError",
    "GANInputError", "GANModel", "LSGAN", "Phase", "SampleGrid", "VARIANTS", "WGAN",
    "WGANGP", "data", "get_variant", "layers", "losses", "networks", "regularizers",
    "save_grid", "show_grid",
]
