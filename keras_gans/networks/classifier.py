"""A small convolutional image classifier with a named feature layer.

Two uses in keras_gans:

- the Domain Transfer Network's fixed feature extractor f (Taigman et al. 2017),
  trained on the labelled source domain: its ``"features"`` layer (a tanh code,
  like the 128-d tanh code of the DTN digit experiments) is what f-constancy
  compares and what the DTN decoder takes;
- the target-domain classifier that scores translations
  (``keras_gans.metrics.translation.translation_accuracy``).

The same builder with ``num_classes=3`` is the DTN's three-way discriminator.
"""

from __future__ import annotations

import keras
import numpy as np
from keras import layers

from keras_gans import layers as kg_layers
from keras_gans.core.errors import GANConfigError, GANInputError

FEATURE_LAYER = "features"


def conv_classifier(
    input_shape=(28, 28, 1),
    num_classes: int = 10,
    filters: int = 32,
    feature_dim: int = 128,
    seed: int | None = None,
    name: str = "classifier",
) -> keras.Model:
    """Image -> ``num_classes`` logits.

    Three 3x3 stride-2 convolutions (``filters``, 2x, 4x wide) with LeakyReLU(0.2),
    a dense ``"features"`` layer of ``feature_dim`` tanh units, and a dense
    ``"logits"`` layer. No BatchNorm: the network is used frozen, in inference
    mode, after short training runs, where BatchNorm's moving statistics would
    lag behind the weights.

    Args:
        input_shape: (H, W, C) of the images (any size that can be halved).
        seed: seeds every initializer, so two builds with one seed are equal.
    """
    shape = tuple(input_shape)
    if len(shape) != 3:
        raise GANConfigError(f"conv_classifier takes images (H, W, C); got {shape}.")

    def init(i):
        return keras.initializers.GlorotUniform(seed=None if seed is None else seed + i)

    x_in = keras.Input(shape, name="x")
    x, width = x_in, int(filters)
    for i in range(3):
        x = kg_layers.Conv2D(width, 3, strides=2, padding="same",
                             kernel_initializer=init(i))(x)
        x = layers.LeakyReLU(0.2)(x)
        width *= 2
    x = layers.Flatten()(x)
    x = layers.Dense(int(feature_dim), activation="tanh", kernel_initializer=init(3),
                     name=FEATURE_LAYER)(x)
    out = layers.Dense(int(num_classes), kernel_initializer=init(4), name="logits")(x)
    return keras.Model(x_in, out, name=name)


def train_classifier(
    x,
    y,
    epochs: int = 5,
    seed: int = 0,
    batch_size: int = 64,
    learning_rate: float = 1e-3,
    num_classes: int | None = None,
    **builder_kwargs,
) -> keras.Model:
    """Build ``conv_classifier`` for ``x`` and train it on labels ``y``.

    Training is deterministic for a given seed on a given backend: the
    initializers are seeded and the epochs' shuffling comes from
    ``numpy.random.default_rng(seed)``.

    Args:
        x: images (N, H, W, C), floats in [-1, 1].
        y: class ids (N,).
        num_classes: default ``max(y) + 1``.
        builder_kwargs: ``filters``, ``feature_dim``, ``name`` of the network.

    Returns the trained ``keras.Model`` (image -> logits), uncompiled (the
    training optimizer is dropped, so a DTN holding it as f saves no stale
    optimizer state); its ``"features"`` layer is the feature extractor of a DTN.
    """
    x = np.asarray(x, "float32")
    y = np.asarray(y).reshape(-1).astype("int64")
    if x.ndim != 4:
        raise GANInputError(
            "train_classifier takes images (N, H, W, C); got an array of shape "
            f"{x.shape}."
            + (" Add a channel axis: x[..., None]." if x.ndim == 3 else "")
        )
    if len(x) != len(y) or len(x) == 0:
        raise GANInputError(
            f"train_classifier needs one label per image; got {len(x)} images and "
            f"{len(y)} labels."
        )
    num_classes = int(num_classes or y.max() + 1)
    model = conv_classifier(x.shape[1:], num_classes, seed=seed, **builder_kwargs)
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    rng = np.random.default_rng(seed)
    order = np.concatenate([rng.permutation(len(x)) for _ in range(int(epochs))])
    model.fit(x[order], y[order], batch_size=batch_size, epochs=1, shuffle=False,
              verbose=0)
    trained = conv_classifier(x.shape[1:], num_classes, seed=seed, **builder_kwargs)
    trained.set_weights(model.get_weights())
    return trained


def classifier_accuracy(model, x, y, batch_size: int = 256) -> float:
    """Fraction of ``x`` that ``model`` (image -> logits) labels as ``y``."""
    logits = model.predict(np.asarray(x, "float32"), batch_size=batch_size, verbose=0)
    return float(np.mean(np.argmax(logits, axis=-1) == np.asarray(y).reshape(-1)))
