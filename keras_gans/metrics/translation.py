"""Translation accuracy: does a translated image keep its source image's class?

The measure of the Domain Transfer Network and domain-adaptation papers
(Taigman et al. 2017 report 90.66% on SVHN -> MNIST): translate labelled
source test images into the target domain, classify the translations with a
classifier trained on the *target* domain, and count how often it recovers the
source image's label.
"""

from __future__ import annotations

from collections.abc import Callable

import keras
import numpy as np


def translation_accuracy(
    translate_fn: Callable,
    x_source,
    y_source,
    target_classifier,
    batch_size: int = 256,
) -> float:
    """Fraction of translated source images that ``target_classifier`` labels
    with the source image's label.

    Args:
        translate_fn: source images (numpy batch) -> target-domain images, e.g.
            ``dtn.translate`` or ``lambda x: cyclegan.translate(x, "a2b")``.
        x_source: labelled source test images (N, H, W, C).
        y_source: their class ids (N,).
        target_classifier: a classifier of the target domain: a Keras model or
            callable mapping images to class scores (N, K) (logits or
            probabilities), or directly to class ids (N,).
        batch_size: images translated and classified at a time.
    """
    x_source = np.asarray(x_source)
    y_source = np.asarray(y_source).reshape(-1)
    if len(x_source) != len(y_source):
        raise ValueError(
            f"translation_accuracy: {len(x_source)} images but {len(y_source)} labels; "
            "pass one label per source image."
        )
    if len(x_source) == 0:
        raise ValueError("translation_accuracy: no source images.")
    correct = 0
    for start in range(0, len(x_source), int(batch_size)):
        batch = x_source[start : start + int(batch_size)]
        translated = np.asarray(keras.ops.convert_to_numpy(translate_fn(batch)))
        predicted = _predict_labels(target_classifier, translated)
        correct += int(np.sum(predicted == y_source[start : start + len(batch)]))
    return correct / len(x_source)


def _predict_labels(classifier, x):
    if isinstance(classifier, keras.Model):
        scores = classifier(keras.ops.convert_to_tensor(x.astype("float32")),
                            training=False)
    else:
        scores = classifier(x)
    scores = np.asarray(keras.ops.convert_to_numpy(scores))
    if scores.ndim == 1:
        return scores.astype("int64")
    return np.argmax(scores, axis=-1)
