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


def translation_metric_name(source, target, split, n) -> str:
    """Protocol name, e.g. ``translation_accuracy_usps2mnist_mnist_classifier_test_2007``:
    source and target dataset, the shipped classifier that scores, the split
    and the number of source images."""
    from keras_gans.metrics.evaluation import sample_count_tag

    return (f"translation_accuracy_{source}2{target}_{target}_classifier_{split}_"
            f"{sample_count_tag(n)}")


def shipped_translation_accuracy(translate_fn, source, target, split="test", n=None,
                                 seed=0, size=None, data_dir=None, batch_size=256):
    """Translation accuracy scored by the target dataset's *shipped*
    classifier (``keras_gans.metrics`` feature networks), under its protocol
    name: the measure the zoo's translation entries report.

    Args:
        translate_fn: source images -> target-domain images, in [-1, 1].
        source, target: dataset names with a shipped classifier
            (``"mnist"``, ``"usps"``, ``"fashion_mnist"``, ``"cifar10"``).
        split: the source split whose labelled images are translated.
        n: translate the first ``n`` images of a seeded permutation of the
            split (None: the whole split, in order).
        size: the side the translator takes (source images are resized to it;
            None: the source's own size).
        data_dir: folder of the offline ``.npz`` files (else ``KERAS_GANS_DATA``).

    Translations are resized (bilinear, antialiased) to the classifier's
    input size when they differ. Returns ``{protocol name: accuracy}``.
    """
    from keras_gans.data import load
    from keras_gans.metrics.feature_nets import DATASETS, load_classifier

    x, y = load(source, split=split, data_dir=data_dir, size=size)
    if n is not None:
        if n > len(x):
            raise ValueError(f"n={n} but the {source} {split} split has {len(x)} images.")
        idx = np.random.default_rng(seed).permutation(len(x))[: int(n)]
        x, y = x[idx], y[idx]
    clf = load_classifier(target)
    side = DATASETS[target][:2]

    def scored(batch):
        out = np.asarray(keras.ops.convert_to_numpy(translate_fn(batch)), "float32")
        if out.shape[1:3] != side:
            out = np.clip(keras.ops.convert_to_numpy(keras.ops.image.resize(
                out, side, interpolation="bilinear", antialias=True)), -1.0, 1.0)
        return out

    acc = translation_accuracy(scored, x, y, clf, batch_size=batch_size)
    return {translation_metric_name(source, target, split, len(x)): acc}
