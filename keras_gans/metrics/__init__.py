"""Quality metrics: mode coverage on the 2-D mixtures, translation label
accuracy, and the encoder measures (linear probe, k-NN, reconstruction error)."""

from keras_gans.metrics.mixtures import mode_coverage
from keras_gans.metrics.representation import (
    knn_accuracy,
    linear_probe_accuracy,
    reconstruction_error,
)
from keras_gans.metrics.translation import translation_accuracy

__all__ = [
    "knn_accuracy", "linear_probe_accuracy", "mode_coverage", "reconstruction_error",
    "translation_accuracy",
]
