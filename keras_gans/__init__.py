"""keras_gans: GANs for Keras 3 that train with model.fit on TensorFlow, JAX and PyTorch."""

from keras_gans import _console
from keras_gans.version import __version__  # noqa: F401 (keras_gans.__version__)

if _console.is_command():  # before Keras imports TensorFlow (keras_gans/_console.py)
    _console.quiet_native_logs()

from keras_gans import (
    augment,
    data,
    distribute,
    errors,
    layers,
    losses,
    metrics,
    networks,
    presets,
    regularizers,
    training,
)
from keras_gans.callbacks import BestMetricCheckpoint, SampleGrid
from keras_gans.core import (
    AdversarialGAN,
    GANConfigError,
    GANInputError,
    GANModel,
    Phase,
)
from keras_gans.export import export_generator
from keras_gans.images import save_grid, show_grid
from keras_gans.inversion import Projection, project
from keras_gans.models import (
    DCGAN,
    GAN,
    LSGAN,
    VARIANTS,
    WGAN,
    WGANGP,
    AdversarialAutoencoder,
    BiGAN,
    ConditionalGAN,
    CycleGAN,
    DiscoGAN,
    DomainTransferNetwork,
    SemiSupervisedAAE,
    StyleGAN,
    get_variant,
)

__all__ = [
    "DCGAN",
    "GAN",
    "LSGAN",
    "VARIANTS",
    "WGAN",
    "WGANGP",
    "AdversarialAutoencoder",
    "AdversarialGAN",
    "BestMetricCheckpoint",
    "BiGAN",
    "ConditionalGAN",
    "CycleGAN",
    "DiscoGAN",
    "DomainTransferNetwork",
    "GANConfigError",
    "GANInputError",
    "GANModel",
    "Phase",
    "Projection",
    "SampleGrid",
    "SemiSupervisedAAE",
    "StyleGAN",
    "augment",
    "data",
    "distribute",
    "errors",
    "export_generator",
    "get_variant",
    "layers",
    "losses",
    "metrics",
    "networks",
    "presets",
    "project",
    "regularizers",
    "save_grid",
    "show_grid",
    "training",
]
