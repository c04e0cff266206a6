"""Feature networks for FID/KID/precision-recall: small classifiers per dataset,
shipped with the package, and InceptionV3 for the FID that papers report.

Each shipped classifier lives in ``keras_gans/metrics/assets/``:

- ``<dataset>_classifier.weights.h5``: the weights (Keras HDF5, no pickle);
- ``<dataset>_stats.npz``: float64 mean and covariance of its ``features`` layer
  on the test and train splits (``mu_test``, ``sigma_test``, ``mu_train``, ...),
  and the features of the first 64 test images (``probe_features``) so a test can
  check that every backend computes the same features from the shipped weights;
- ``<dataset>_classifier.json``: how it was trained (script, epochs, seed,
  backend, time), its test accuracy, and the sha256 of the two files above.

Loading checks the sha256 of every file against the JSON card and refuses a file
that doesn't match.

The classifiers are trained by ``python -m keras_gans.metrics.train_classifiers``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import keras
import numpy as np
from keras import layers

from keras_gans.errors import GANConfigError, GANInputError, did_you_mean
from keras_gans.preset_files import sha256

ASSETS = Path(__file__).resolve().parent / "assets"
FEATURE_LAYER = "features"

# dataset -> image shape the classifier takes (images in [-1, 1]).
DATASETS = {
    "mnist": (28, 28, 1),
    "fashion_mnist": (28, 28, 1),
    "usps": (16, 16, 1),
    "cifar10": (32, 32, 3),
}
# Named datasets with no shipped classifier, and why (said in the error).
MISSING = {
    "svhn": "SVHN is not among the offline datasets this package was trained from",
}


def eval_classifier(input_shape, num_classes=10, width=32, feature_dim=128, seed=0,
                    name="eval_classifier"):
    """The evaluation classifier: two VGG-style blocks and a ``features`` layer.

    (conv3x3-BN-ReLU) x2, max-pool, (conv3x3-BN-ReLU) x2 at twice the width,
    max-pool, dropout 0.3, ``features`` Dense(feature_dim, ReLU), dropout 0.3,
    ``logits`` Dense(num_classes). FID/KID/precision-recall use the
    ``features`` layer (like Inception's pool3), the Inception Score and the
    class metrics use the softmax of the logits.
    """
    def init(i):
        return keras.initializers.HeNormal(seed=seed + i)

    x_in = keras.Input(tuple(input_shape), name="images")
    x, i = x_in, 0
    for block, w in enumerate((width, 2 * width)):
        for _ in range(2):
            x = layers.Conv2D(w, 3, padding="same", use_bias=False,
                              kernel_initializer=init(i))(x)
            x = layers.BatchNormalization()(x)
            x = layers.ReLU()(x)
            i += 1
        x = layers.MaxPooling2D(2)(x)
    x = layers.Flatten()(x)
    x = layers.Dropout(0.3, seed=seed)(x)
    x = layers.Dense(int(feature_dim), activation="relu", kernel_initializer=init(i),
                     name=FEATURE_LAYER)(x)
    x = layers.Dropout(0.3, seed=seed + 1)(x)
    out = layers.Dense(int(num_classes), kernel_initializer=init(i + 1), name="logits")(x)
    return keras.Model(x_in, out, name=name)


def asset_paths(dataset, root=None):
    root = Path(root) if root is not None else ASSETS
    return {
        "weights": root / f"{dataset}_classifier.weights.h5",
        "stats": root / f"{dataset}_stats.npz",
        "card": root / f"{dataset}_classifier.json",
    }


def check_dataset(dataset) -> str:
    """The dataset's name if a classifier ships for it; a clear error otherwise."""
    name = str(dataset).lower().replace("-", "_")
    if name in DATASETS:
        return name
    why = MISSING.get(name)
    raise GANConfigError(
        f"No feature network for dataset {dataset!r}"
        + (f" ({why})" if why else "")
        + f". keras_gans ships classifiers for {sorted(DATASETS)}."
        + did_you_mean(name, DATASETS)
        + " For other images use feature_network='inception' (InceptionV3 features, "
        "needs its ImageNet weights) or pass your own keras.Model as feature_network."
    )


def read_card(dataset, root=None) -> dict:
    dataset = check_dataset(dataset)
    paths = asset_paths(dataset, root)
    if not paths["card"].exists():
        raise GANConfigError(
            f"The feature network for {dataset!r} has not been trained in this install "
            f"({paths['card']} is missing). Train it with "
            f"`python -m keras_gans.metrics.train_classifiers --dataset {dataset}`."
        )
    with open(paths["card"], encoding="utf-8") as f:
        return json.load(f)


def verified_path(dataset, kind, root=None) -> Path:
    """Path of a shipped asset after checking its sha256 against the card."""
    card = read_card(dataset, root)
    path = asset_paths(dataset, root)[kind]
    if not path.exists():
        raise GANConfigError(f"{path} is missing; reinstall keras-gans.")
    expected = card["sha256"][path.name]
    actual = sha256(path)
    if actual != expected:
        raise GANInputError(
            f"{path} is corrupt or was changed: its sha256 is {actual[:16]}..., the card "
            f"says {expected[:16]}.... Reinstall keras-gans (or retrain it with "
            f"`python -m keras_gans.metrics.train_classifiers --dataset {dataset}`)."
        )
    return path


_CACHE: dict = {}


def load_classifier(dataset, root=None) -> keras.Model:
    """The shipped classifier of ``dataset`` (images in [-1, 1] -> logits)."""
    dataset = check_dataset(dataset)
    key = (dataset, str(root))
    if key not in _CACHE:
        path = verified_path(dataset, "weights", root)
        card = read_card(dataset, root)
        model = eval_classifier(DATASETS[dataset], **card.get("architecture", {}))
        model.load_weights(str(path))
        _CACHE[key] = model
    return _CACHE[key]


def load_reference_stats(dataset, split="test", root=None) -> tuple[np.ndarray, np.ndarray]:
    """float64 ``(mu, sigma)`` of the classifier's features on a split."""
    path = verified_path(dataset, "stats", root)
    with np.load(path, allow_pickle=False) as f:
        if f"mu_{split}" not in f.files:
            splits = sorted(k[3:] for k in f.files if k.startswith("mu_"))
            raise GANConfigError(
                f"No reference statistics for split {split!r} of {dataset}; it has {splits}."
            )
        return f[f"mu_{split}"].astype("float64"), f[f"sigma_{split}"].astype("float64")


def load_reference_features(dataset, split="test", root=None):
    """Stored features of the reference split, for KID/precision/recall/density."""
    path = verified_path(dataset, "stats", root)
    with np.load(path, allow_pickle=False) as f:
        key = f"features_{split}"
        if key not in f.files:
            raise GANConfigError(
                f"No stored reference features for split {split!r} of {dataset}."
            )
        return f[key].astype("float32")


class FeatureNetwork:
    """Images -> (features, class probabilities), batch by batch.

    Args:
        model: image -> logits model with a ``features`` layer, or for InceptionV3
            an image -> pooled-features model (``probabilities`` is then None).
        name: the protocol name used in metric names (``"mnist_classifier"``,
            ``"inception"``).
        input_shape: the image shape the network takes; others are refused (or
            resized, if ``resize`` is set).
        resize: resize images to this (H, W) first (InceptionV3: 299x299).
    """

    def __init__(self, model, name, input_shape, resize=None, has_logits=True):
        self.name = name
        self.input_shape = tuple(input_shape)
        self.resize = resize
        self.has_logits = has_logits
        if has_logits:
            self._model = keras.Model(
                model.inputs, [model.get_layer(FEATURE_LAYER).output, model.outputs[0]]
            )
        else:
            self._model = model

    def __call__(self, x):
        """Features (float64) and probabilities (float64 or None) of one batch.

        Runs through Keras' compiled predict function (``predict_on_batch``:
        one XLA program on JAX instead of hundreds of op-by-op dispatches, a
        ``tf.function`` on TensorFlow). Batches are zero-padded to the next
        power of two so a stream of batches compiles a handful of shapes at most.
        """
        x = np.asarray(x, "float32")
        n = len(x)
        size = 1 << max(n - 1, 0).bit_length()
        if size != n:
            x = np.concatenate([x, np.zeros((size - n, *x.shape[1:]), "float32")])
        out = self._predict.predict_on_batch(x)
        if self.has_logits:
            feats, logits = out
            logits = np.asarray(logits, "float64")[:n]
            logits -= logits.max(axis=-1, keepdims=True)
            probs = np.exp(logits)
            probs /= probs.sum(axis=-1, keepdims=True)
            return np.asarray(feats, "float64")[:n], probs
        return np.asarray(out, "float64")[:n], None

    @property
    def _predict(self):
        if not hasattr(self, "_predict_model"):
            model = self._model
            if self.resize is not None:
                x_in = keras.Input(self.input_shape)
                resized = keras.layers.Resizing(*self.resize, interpolation="bilinear")(x_in)
                model = keras.Model(x_in, self._model(resized))
            self._predict_model = model
        return self._predict_model


def classifier_features(dataset, root=None) -> FeatureNetwork:
    dataset = check_dataset(dataset)
    return FeatureNetwork(load_classifier(dataset, root), f"{dataset}_classifier",
                         DATASETS[dataset])


def transfer_features(dataset, image_shape, root=None) -> FeatureNetwork:
    """The shipped classifier of ``dataset`` as a generic feature network for
    images it was not trained on: its 128-d ``features`` layer, grayscale
    repeated to RGB where it takes RGB, resized bilinearly to its size. E.g.
    ``transfer_features("cifar10", (64, 64, 1))`` for the 64 px grayscale faces,
    which have no classifier of their own. No class probabilities (no IS or
    class metrics): use it with ``evaluate_against``."""
    dataset = check_dataset(dataset)
    target = DATASETS[dataset]
    image_shape = tuple(int(s) for s in image_shape)
    if len(image_shape) != 3 or image_shape[-1] not in (1, target[-1]):
        raise GANConfigError(
            f"transfer_features({dataset!r}) takes (H, W, {target[-1]}) images, or (H, W, 1) "
            f"repeated to {target[-1]} channels; got image shape {image_shape}.")
    clf = load_classifier(dataset, root)
    features = keras.Model(clf.inputs, clf.get_layer(FEATURE_LAYER).output)
    x_in = keras.Input(image_shape)
    x = x_in
    if image_shape[-1] != target[-1]:
        x = layers.Concatenate()([x] * target[-1])
    if image_shape[:2] != tuple(target[:2]):
        x = layers.Resizing(*target[:2], interpolation="bilinear")(x)
    return FeatureNetwork(keras.Model(x_in, features(x)), f"{dataset}_classifier", image_shape,
                          has_logits=False)


def inception_features(weights=None, channels=None) -> FeatureNetwork:
    """InceptionV3 pool3 features (2048-d) at 299x299, the FID of the papers.

    Args:
        weights: a local InceptionV3 weights file (``include_top=False``); default
            ``"imagenet"``, which Keras downloads into its cache once (needs
            internet the first time). Env ``KERAS_GANS_INCEPTION_WEIGHTS`` can name
            the local file too.
        channels: the images' channel count; grayscale images are repeated to 3.

    Images in [-1, 1] are what InceptionV3's own preprocessing produces, so they
    go in unchanged after the bilinear resize.
    """
    weights = weights or os.environ.get("KERAS_GANS_INCEPTION_WEIGHTS") or "imagenet"
    if weights != "imagenet" and not Path(weights).exists():
        raise GANConfigError(
            f"InceptionV3 weights file {weights!r} does not exist. Pass the path of "
            "inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5, or "
            "weights='imagenet' with internet access."
        )
    try:
        base = keras.applications.InceptionV3(include_top=False, pooling="avg",
                                              weights=weights, input_shape=(299, 299, 3))
    except Exception as e:  # download failure, wrong file
        raise GANConfigError(
            f"Cannot load InceptionV3 weights ({weights}): {e}. Without internet, pass a "
            "local weights file (weights=... or KERAS_GANS_INCEPTION_WEIGHTS)."
        ) from e
    x_in = keras.Input((None, None, channels or 3))
    x = x_in
    if (channels or 3) == 1:
        x = layers.Concatenate()([x, x, x])
    model = keras.Model(x_in, base(x))
    net = FeatureNetwork(model, "inception", (None, None, channels or 3),
                         resize=(299, 299), has_logits=False)
    return net
