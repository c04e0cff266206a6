"""Quality metrics (a first piece: mode coverage on the 2-D mixtures)."""

from keras_gans.metrics.mixtures import mode_coverage

__all__ = ["mode_coverage"]
