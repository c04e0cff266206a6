"""How good an encoder's codes are: linear-probe and k-NN accuracy, and the
reconstruction error of an autoencoder.

The protocols of the BiGAN and AAE papers: a classifier fitted on codes of
labelled training images, scored on codes of held-out images.
"""

from __future__ import annotations

import numpy as np


def _codes_and_labels(codes, labels, what):
    codes = np.asarray(codes, dtype="float64")
    labels = np.asarray(labels).reshape(-1)
    if codes.ndim != 2:
        codes = codes.reshape(len(codes), -1)
    if len(codes) != len(labels):
        raise ValueError(
            f"{what}: {len(codes)} codes but {len(labels)} labels; they must pair up."
        )
    if len(codes) == 0:
        raise ValueError(f"{what}: no codes.")
    return codes, labels


def linear_probe_accuracy(train_codes, train_labels, test_codes, test_labels,
                          max_iter: int = 2000, c: float = 1.0) -> float:
    """Test accuracy of a logistic-regression classifier fitted on training codes.

    Codes are standardised with the training codes' mean and std first, so the
    score does not depend on the codes' scale. ``c`` is the inverse L2
    regularisation strength of ``sklearn.linear_model.LogisticRegression``.
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    x_train, y_train = _codes_and_labels(train_codes, train_labels, "train")
    x_test, y_test = _codes_and_labels(test_codes, test_labels, "test")
    probe = make_pipeline(StandardScaler(), LogisticRegression(C=c, max_iter=max_iter))
    probe.fit(x_train, y_train)
    return float(probe.score(x_test, y_test))


def knn_accuracy(train_codes, train_labels, test_codes, test_labels, k: int = 1) -> float:
    """Test accuracy of a k-nearest-neighbour classifier (Euclidean) on the codes."""
    from sklearn.neighbors import KNeighborsClassifier

    x_train, y_train = _codes_and_labels(train_codes, train_labels, "train")
    x_test, y_test = _codes_and_labels(test_codes, test_labels, "test")
    knn = KNeighborsClassifier(n_neighbors=k).fit(x_train, y_train)
    return float(knn.score(x_test, y_test))


def reconstruction_error(x, x_hat) -> float:
    """Mean squared error per pixel (per element) between ``x`` and ``x_hat``."""
    x = np.asarray(x, dtype="float64")
    x_hat = np.asarray(x_hat, dtype="float64")
    if x.shape != x_hat.shape:
        raise ValueError(f"x has shape {x.shape} but x_hat has {x_hat.shape}.")
    return float(np.mean(np.square(x - x_hat)))


def cluster_accuracy(clusters, labels) -> float:
    """Accuracy of a clustering read as a classifier: each cluster takes the
    label most frequent among its members, and every member is scored against
    it (the AAE paper's clustering error is one minus this, measured on the
    test set). ``clusters`` and ``labels``: integer ids, one per example."""
    clusters = np.asarray(clusters).reshape(-1)
    labels = np.asarray(labels).reshape(-1)
    if clusters.shape != labels.shape:
        raise ValueError(f"{len(clusters)} cluster ids for {len(labels)} labels: give one "
                         "of each per example.")
    if len(labels) == 0:
        raise ValueError("cluster_accuracy needs at least one example.")
    correct = 0
    for c in np.unique(clusters):
        members = labels[clusters == c]
        correct += np.bincount(members.astype("int64")).max()
    return float(correct / len(labels))
