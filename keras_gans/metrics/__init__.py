"""Quality metrics.

- Image distributions (``evaluate``, protocol-named): FID, KID, classifier-based
  Inception Score, improved precision/recall, density/coverage, class coverage
  and class-histogram KL, conditional accuracy; feature networks shipped per
  dataset (``feature_nets``) and InceptionV3 (``inception_features``).
- Task metrics: mode coverage on the 2-D mixtures, translation label accuracy,
  the encoder measures (linear probe, k-NN, reconstruction error).
"""

from keras_gans.metrics.evaluation import evaluate, evaluate_against, metric_name
from keras_gans.metrics.feature_nets import (
    FeatureNetwork,
    classifier_features,
    inception_features,
    load_classifier,
    load_reference_stats,
    transfer_features,
)
from keras_gans.metrics.fid import (
    RunningStatistics,
    class_histogram_metrics,
    density_coverage,
    feature_statistics,
    frechet_distance,
    inception_score,
    kernel_distance,
    precision_recall,
)
from keras_gans.metrics.mixtures import mode_coverage
from keras_gans.metrics.representation import (
    cluster_accuracy,
    knn_accuracy,
    linear_probe_accuracy,
    reconstruction_error,
)
from keras_gans.metrics.translation import (
    shipped_translation_accuracy,
    translation_accuracy,
    translation_metric_name,
)

__all__ = [
    "FeatureNetwork", "RunningStatistics", "class_histogram_metrics", "classifier_features",
    "cluster_accuracy",
    "density_coverage", "evaluate", "evaluate_against", "feature_statistics",
    "frechet_distance", "inception_features", "inception_score", "kernel_distance",
    "knn_accuracy", "linear_probe_accuracy", "load_classifier", "load_reference_stats",
    "metric_name", "mode_coverage", "precision_recall", "reconstruction_error",
    "shipped_translation_accuracy", "transfer_features", "translation_accuracy",
    "translation_metric_name",
]
