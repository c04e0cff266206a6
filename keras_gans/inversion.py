"""GAN inversion: find the latent codes from which a generator reproduces images.

``project(model, images, steps=...)`` optimises a latent code per image with
Adam so that the generator's output comes close to the image, in pixels and,
when the model's dataset has a shipped evaluation classifier
(``keras_gans.metrics``: mnist, fashion_mnist, usps, cifar10), in that
classifier's ``features`` layer too (a perceptual term, as StyleGAN2's
projector uses VGG features; with ``dataset=None`` the distance is pixels
only).

- GAN, DCGAN, WGAN(-GP), LSGAN, ConditionalGAN: z, from N(0, 1) draws
  (conditional models need the images' labels).
- StyleGAN: w, one for every synthesis layer, in w space of the EMA
  generator with noise off; the first start is the tracked mean of w
  (``w_avg``), as in StyleGAN2's projector, further starts are w of random z.
- BiGAN, AdversarialAutoencoder: z of the generator (decoder), the first start
  being the encoder's code of the image, the rest prior draws.

What is projected into is the model's answer to ``inversion_target()``
(docs/architecture.md); a translator has no latent and says so. Each Adam
step is the core's public ``backend_steps.minimize_step`` (a ``GradientTape``
in a ``tf.function`` on TensorFlow, ``torch.autograd.grad`` on PyTorch, a
jit-compiled ``jax.value_and_grad`` of a pure function of the variable values
on JAX). Every network runs in inference mode.
"""

from __future__ import annotations

from dataclasses import dataclass

import keras
import numpy as np
from keras import ops

from keras_gans.core.backend_steps import minimize_step
from keras_gans.core.gan_model import GANModel
from keras_gans.errors import GANConfigError, GANInputError


@dataclass
class Projection:
    """What ``project`` found, one row per image.

    Attributes:
        latents: (N, latent_dim) z, or (N, w_dim) w for StyleGAN.
        reconstructions: (N, *data_shape) generator outputs in [-1, 1].
        mse: (N,) per-image mean squared pixel error (images in [-1, 1]).
        feature_distance: (N,) ‖f(x̂) − f(x)‖² / ‖f(x)‖² in the dataset
            classifier's features, or None when pixels only.
        initial_mse: (N,) the MSE of the chosen run's starting point.
        space: ``"z"`` or ``"w"``.
        feature_network: name of the feature network used, or None.
        steps, restarts: the optimisation's settings.
    """

    latents: np.ndarray
    reconstructions: np.ndarray
    mse: np.ndarray
    feature_distance: np.ndarray | None
    initial_mse: np.ndarray
    space: str
    feature_network: str | None
    steps: int
    restarts: int

    def errors(self) -> dict:
        """The errors as plain lists and their means (for JSON)."""
        out = {
            "space": self.space, "steps": self.steps, "restarts": self.restarts,
            "feature_network": self.feature_network,
            "mse": [float(v) for v in self.mse],
            "mean_mse": float(np.mean(self.mse)),
            "initial_mse": [float(v) for v in self.initial_mse],
            "mean_initial_mse": float(np.mean(self.initial_mse)),
        }
        if self.feature_distance is not None:
            out["feature_distance"] = [float(v) for v in self.feature_distance]
            out["mean_feature_distance"] = float(np.mean(self.feature_distance))
        return out


def project(model, images, *, labels=None, steps=200, learning_rate=0.1, restarts=1,
            dataset=None, feature_weight=0.1, seed=0, batch_size=64) -> Projection:
    """Latent codes whose generated images reproduce ``images``.

    Args:
        model: a generating keras_gans model (see the module doc).
        images: (N, *data_shape) floats in [-1, 1] (``keras_gans.data.scale_images``
            makes them from uint8); one image without the batch axis is taken too.
        labels: class ids (N,), required by conditional models.
        steps: Adam steps per batch.
        learning_rate: Adam's learning rate (on z ~ N(0, 1) or on w).
        restarts: starting points per image, optimised together; each image
            keeps the run with the lowest final loss.
        dataset: the dataset the model was trained on (e.g. ``"mnist"``): when
            keras_gans ships its evaluation classifier, the loss adds
            ``feature_weight`` × the relative feature distance. None: pixels only.
        feature_weight: weight of the feature term (0 turns it off).
        seed: seed of the random starting points.
        batch_size: images optimised together (times ``restarts``).

    Returns:
        A ``Projection`` (latents, reconstructions, per-image mse,
        feature_distance and initial_mse).
    """
    steps, restarts, batch_size = _positive(steps=steps, restarts=restarts,
                                            batch_size=batch_size)
    if not float(learning_rate) > 0:
        raise GANConfigError(f"learning_rate must be > 0; got {learning_rate}.")
    if float(feature_weight) < 0:
        raise GANConfigError(f"feature_weight must be >= 0; got {feature_weight}.")
    target = inversion_target(model)
    images = check_images(model, images)
    n = len(images)
    onehot = _one_hot_labels(model, target, labels, n)
    features = _feature_model(dataset, target.data_shape) if feature_weight else None
    rng = np.random.default_rng(seed)

    chunk = min(batch_size, n)
    rows = chunk * restarts
    latent = keras.Variable(np.zeros((rows, target.latent_dim), "float32"),
                            name="projected_latent")
    optimizer = keras.optimizers.Adam(float(learning_rate))
    optimizer.build([latent])
    fw = float(feature_weight) if features is not None else 0.0
    step = _make_step(target, features, fw, latent, optimizer)

    out = {k: [] for k in ("latents", "recon", "mse", "feat", "init")}
    for start in range(0, n, chunk):
        idx = np.arange(start, min(start + chunk, n))
        pad = np.resize(idx, chunk)  # the last chunk repeats images to a full batch
        x = np.repeat(images[pad], restarts, axis=0)
        y = None if onehot is None else np.repeat(onehot[pad], restarts, axis=0)
        init = target.initial(images[pad], onehot if onehot is None else onehot[pad],
                              restarts, rng)
        latent.assign(init)
        for v in optimizer.variables:  # Adam's moments and step count start afresh
            if v is not getattr(optimizer, "_learning_rate", None):
                v.assign(ops.zeros(v.shape, v.dtype))
        x_t = ops.convert_to_tensor(x)
        y_t = None if y is None else ops.convert_to_tensor(y)
        f_t = None if features is None else features(x_t, training=False)
        init_mse, _, _ = _evaluate(target, features, latent, x_t, y_t, f_t)
        for _ in range(steps):
            step(x_t, y_t, f_t)
        mse, feat, recon = _evaluate(target, features, latent, x_t, y_t, f_t)
        loss = mse + (fw * feat if feat is not None else 0.0)
        best = np.argmin(loss.reshape(chunk, restarts), axis=1) + restarts * np.arange(chunk)
        keep = best[: len(idx)]
        out["latents"].append(ops.convert_to_numpy(latent)[keep])
        out["recon"].append(recon[keep])
        out["mse"].append(mse[keep])
        out["init"].append(init_mse[keep])
        if feat is not None:
            out["feat"].append(feat[keep])
    return Projection(
        latents=np.concatenate(out["latents"]),
        reconstructions=np.concatenate(out["recon"]),
        mse=np.concatenate(out["mse"]),
        feature_distance=np.concatenate(out["feat"]) if out["feat"] else None,
        initial_mse=np.concatenate(out["init"]),
        space=target.space,
        feature_network=None if features is None else features.name,
        steps=steps,
        restarts=restarts,
    )


# ---------------------------------------------------------------- checks
def _positive(**values):
    out = []
    for name, v in values.items():
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
            raise GANConfigError(f"{name} must be a positive integer; got {v!r}.")
        out.append(int(v))
    return out


def check_images(model, images):
    """``images`` as float32 (N, *data_shape) in [-1, 1], or a GANInputError
    that names the problem and the fix."""
    shape = tuple(model.data_shape)
    name = type(model).__name__
    try:
        x = np.asarray(images)
    except Exception as e:
        raise GANInputError(f"images must be an array (N, {shape}); got {type(images)}.") from e
    if x.ndim == len(shape) and tuple(x.shape) == shape:
        x = x[None]
    if x.ndim == len(shape) and len(shape) == 3 and shape[-1] == 1 and x.shape[1:] == shape[:2]:
        raise GANInputError(
            f"images have shape {x.shape}: add the channel axis, images[..., None], to "
            f"get (N, {', '.join(map(str, shape))}).")
    if tuple(x.shape[1:]) != shape or x.ndim != len(shape) + 1:
        raise GANInputError(
            f"images have shape {tuple(x.shape)} but {name} makes {shape}: pass "
            f"(N, {', '.join(map(str, shape))}) images (keras_gans.data.resize_images "
            "resizes them).")
    if len(x) == 0:
        raise GANInputError("images is empty: pass at least one image.")
    if not np.issubdtype(x.dtype, np.floating):
        raise GANInputError(
            f"images are {x.dtype}; {name} makes floats in [-1, 1]: scale them with "
            "keras_gans.data.scale_images(images) (uint8 0..255 -> [-1, 1]).")
    x = x.astype("float32")
    if not np.all(np.isfinite(x)):
        bad = int(np.sum(~np.all(np.isfinite(x.reshape(len(x), -1)), axis=1)))
        raise GANInputError(f"{bad} image(s) contain NaN or infinite values; drop or fix them.")
    lo, hi = float(x.min()), float(x.max())
    if lo < -1.05 or hi > 1.05:
        hint = (" They look like 0..255: keras_gans.data.scale_images(images)."
                if hi > 2 else "")
        raise GANInputError(
            f"images range over [{lo:.3g}, {hi:.3g}] but {name} makes [-1, 1].{hint}")
    if lo >= -0.05 and hi <= 1.05 and hi > 0.5:
        raise GANInputError(
            f"images range over [{lo:.3g}, {hi:.3g}], like 0..1 images, but {name} makes "
            "[-1, 1]: pass images * 2 - 1.")
    return x


# ---------------------------------------------------------------- targets
def inversion_target(model):
    """The model's ``LatentTarget`` (``GANModel.inversion_target()``)."""
    if not isinstance(model, GANModel):
        raise GANInputError(
            f"project() takes a keras_gans model (DCGAN, StyleGAN, ...); got "
            f"{type(model).__name__}.")
    return model.inversion_target()


def _one_hot_labels(model, target, labels, n):
    """One-hot (n, classes) float32 of class ids ``labels``, for a target that
    takes labels; None for one that does not."""
    name = type(model).__name__
    if not target.num_classes:
        if labels is not None:
            raise GANInputError(f"{name} is not conditional: drop labels=.")
        return None
    if labels is None:
        raise GANInputError(
            f"{name} is conditional (num_classes={target.num_classes}): pass labels= "
            "(the images' class ids) so each image is projected with its class.")
    y = np.asarray(labels).reshape(-1)
    if len(y) != n:
        raise GANInputError(f"Got {len(y)} labels for {n} images.")
    if not np.issubdtype(y.dtype, np.integer) or y.min() < 0 or y.max() >= target.num_classes:
        raise GANInputError(
            f"labels must be integer class ids in [0, {target.num_classes}); got "
            f"{y.dtype} in [{y.min()}, {y.max()}].")
    return np.eye(target.num_classes, dtype="float32")[y]


# ---------------------------------------------------------------- losses
def _feature_model(dataset, data_shape):
    if dataset is None:
        return None
    from keras_gans.metrics import feature_nets

    name = feature_nets.check_dataset(dataset)
    if tuple(feature_nets.DATASETS[name]) != tuple(data_shape):
        raise GANConfigError(
            f"The {name} classifier takes {feature_nets.DATASETS[name]} images but the "
            f"model makes {tuple(data_shape)}: pass dataset=None (pixels only) or the "
            "dataset the model was trained on.")
    classifier = feature_nets.load_classifier(name)
    features = keras.Model(classifier.inputs,
                           classifier.get_layer(feature_nets.FEATURE_LAYER).output,
                           name=f"{name}_classifier")
    return features


def _per_image_losses(target, features, latent, x, y, f_x):
    """(mse (N,), relative feature distance (N,) or None) of latent's images."""
    # the variable's value as a tensor: a keras.Variable beside a label tensor in
    # a list input is refused on torch
    x_hat = ops.cast(target.decode(ops.convert_to_tensor(latent), y), "float32")
    axes = tuple(range(1, len(x_hat.shape)))
    mse = ops.mean(ops.square(x_hat - x), axis=axes)
    if features is None:
        return mse, None, x_hat
    f_hat = features(x_hat, training=False)
    feat = ops.sum(ops.square(f_hat - f_x), axis=-1) / (ops.sum(ops.square(f_x), axis=-1) + 1e-6)
    return mse, feat, x_hat


def _evaluate(target, features, latent, x, y, f_x):
    """numpy (mse, feature distance or None, reconstructions) of the clipped images."""
    images = ops.cast(target.images(ops.convert_to_tensor(latent), y), "float32")
    axes = tuple(range(1, len(images.shape)))
    mse = ops.convert_to_numpy(ops.mean(ops.square(images - x), axis=axes))
    feat = None
    if features is not None:
        f_hat = features(images, training=False)
        feat = ops.convert_to_numpy(
            ops.sum(ops.square(f_hat - f_x), axis=-1) / (ops.sum(ops.square(f_x), axis=-1) + 1e-6))
    return np.asarray(mse, "float64"), None if feat is None else np.asarray(feat, "float64"), \
        np.asarray(ops.convert_to_numpy(images))


# ---------------------------------------------------------------- one Adam step
def _make_step(target, features, feature_weight, latent, optimizer):
    """``step(x, y, f_x)``: one Adam update of ``latent`` (in place), the
    core's ``minimize_step`` on every backend."""

    def loss_of(x, y, f_x):
        mse, feat, _ = _per_image_losses(target, features, latent, x, y, f_x)
        per_image = mse if feat is None else mse + feature_weight * feat
        # a sum, so each image's latent sees its own loss whatever the batch size
        return ops.sum(per_image)

    return minimize_step(loss_of, [latent], optimizer)
