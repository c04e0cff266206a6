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
from keras_gans.errors import GANConfigError, GANInputError

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
    augment=None,
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
        augment: None, ``"zoom_shift"`` (``zoom_shift`` with its defaults) or a
            function ``(images, numpy Generator) -> images`` applied afresh to
            the whole set once per epoch (seeded by ``seed``).
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
    if augment == "zoom_shift":
        augment = zoom_shift
    elif augment is not None and not callable(augment):
        raise GANConfigError(
            f"augment must be None, 'zoom_shift' or a function (images, rng) -> images; "
            f"got {augment!r}."
        )
    rng = np.random.default_rng(seed)
    xs, ys = [], []
    for _ in range(int(epochs)):  # one pass per epoch, each its own shuffle
        x_epoch = x
        if augment is not None:
            x_epoch = np.asarray(augment(x, rng), "float32")
            if x_epoch.shape != x.shape:
                raise GANConfigError(
                    f"augment changed the images' shape from {x.shape} to "
                    f"{x_epoch.shape}; it must return images of the input's shape."
                )
        order = rng.permutation(len(x))
        xs.append(x_epoch[order])
        ys.append(y[order])
    if xs:  # epochs=0: the untrained network (e.g. to load saved weights into)
        model.fit(np.concatenate(xs), np.concatenate(ys), batch_size=batch_size, epochs=1,
                  shuffle=False, verbose=0)
    trained = conv_classifier(x.shape[1:], num_classes, seed=seed, **builder_kwargs)
    trained.set_weights(model.get_weights())
    return trained


def classifier_accuracy(model, x, y, batch_size: int = 256) -> float:
    """Fraction of ``x`` that ``model`` (image -> logits) labels as ``y``."""
    logits = model.predict(np.asarray(x, "float32"), batch_size=batch_size, verbose=0)
    return float(np.mean(np.argmax(logits, axis=-1) == np.asarray(y).reshape(-1)))


def zoom_shift(x, rng, min_scale: float = 0.64, fill: float = -1.0, steps: int = 6):
    """Each image shrunk by a random factor in [``min_scale``, 1] (one of
    ``steps`` evenly spaced sides, bilinear, antialiased) and pasted at a random
    offset on a ``fill`` background (-1: black in [-1, 1]).

    Why: a classifier trained on one digit set learns its framing. USPS digits
    fill their 16 px box, MNIST's are about 20 px inside 28, so a conv
    classifier trained on USPS resized to 28 px reads MNIST at about 0.34;
    trained on ``zoom_shift`` copies (sides 18-28 px) it reads MNIST at 0.94
    (measured here, USPS labels only). That is what the Domain Transfer
    Network's f needs: f must describe the target domain's images too (its
    losses apply f to translations and to target images).

    Args:
        x: images (N, H, W, C) in [-1, 1], square.
        rng: a ``numpy.random.Generator``.
    Returns: float32 images of ``x``'s shape.
    """
    x = np.asarray(x, "float32")
    if x.ndim != 4 or x.shape[1] != x.shape[2]:
        raise GANInputError(f"zoom_shift takes square images (N, H, W, C); got {x.shape}.")
    if not 0.0 < float(min_scale) <= 1.0:
        raise GANConfigError(f"min_scale must be in (0, 1]; got {min_scale}.")
    side = x.shape[1]
    sides = np.unique(np.round(np.linspace(side * float(min_scale), side, int(steps)))
                      .astype(int))
    out = np.full_like(x, float(fill))
    which = rng.integers(0, len(sides), len(x))
    for k, s in enumerate(sides):
        idx = np.flatnonzero(which == k)
        if not len(idx):
            continue
        small = x[idx] if s == side else keras.ops.convert_to_numpy(keras.ops.image.resize(
            x[idx], (int(s), int(s)), interpolation="bilinear", antialias=True))
        offsets = rng.integers(0, side - s + 1, (len(idx), 2))
        for n, (j, (oy, ox)) in enumerate(zip(idx, offsets)):
            out[j, oy:oy + s, ox:ox + s] = small[n]
    return np.clip(out, -1.0, 1.0)  # antialiased resizing may overshoot
