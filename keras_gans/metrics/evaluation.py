"""``evaluate``: protocol-named quality numbers for generated images.

    from keras_gans.metrics import evaluate
    evaluate(model, dataset="mnist", metrics=["fid", "kid", "pr"], n=10_000)
    # {"fid_mnist_classifier_test_10k": 3.1, "kid_mnist_classifier_test_10k": ...}

A metric's name carries its protocol: the metric, the dataset, the feature
network, the reference split and the sample count. Two numbers with the same
name were measured the same way; numbers with different names are not
comparable (FID depends on all four).
"""

from __future__ import annotations

import numpy as np

from keras_gans.data.datasets import scale_images
from keras_gans.errors import GANConfigError, GANInputError, did_you_mean
from keras_gans.metrics import feature_nets as fn
from keras_gans.metrics.fid import (
    RunningStatistics,
    class_histogram_metrics,
    density_coverage,
    frechet_distance,
    inception_score,
    kernel_distance,
    kth_radii,
    precision_recall,
)

# metric -> what it needs: "stats" (reference mean/cov), "features" (reference
# feature rows), "probs" (class probabilities), "labels" (conditional sampling)
METRICS = {
    "fid": "stats",
    "kid": "features",
    "is": "probs",
    "precision": "features",
    "recall": "features",
    "pr": "features",
    "density": "features",
    "coverage": "features",
    "dc": "features",
    "class_coverage": "probs",
    "class_kl": "probs",
    "conditional_accuracy": "labels",
}
# metrics that a short name expands to
EXPAND = {"pr": ("precision", "recall"), "dc": ("density", "coverage")}


def sample_count_tag(n: int) -> str:
    """10000 -> '10k', 2500 -> '2500', 50000 -> '50k'."""
    n = int(n)
    return f"{n // 1000}k" if n % 1000 == 0 and n >= 1000 else str(n)


def metric_name(metric, dataset, network, reference, n) -> str:
    """Protocol name, e.g. ``fid_mnist_classifier_test_10k``. Metrics that use no
    reference split (IS, class metrics, conditional accuracy) leave it out."""
    parts = [metric, dataset, network]
    if METRICS.get(metric) in ("stats", "features"):
        parts.append(reference)
    parts.append(sample_count_tag(n))
    return "_".join(parts)


def check_images(x, shape=None, what="samples"):
    """Validate one batch of images: (N, H, W, C), float in [-1, 1] (uint8
    0..255 is converted), finite. ``shape``: the (H, W, C) required (None
    entries match anything). Returns float32."""
    x = np.asarray(x)
    if x.ndim != 4:
        hint = " Add a channel axis: x[..., None]." if x.ndim == 3 else ""
        raise GANInputError(
            f"{what} must be images (N, H, W, C); got an array of shape {x.shape}.{hint}"
        )
    if shape is not None:
        want = tuple(shape)
        if any(w is not None and w != g for w, g in zip(want, x.shape[1:])):
            raise GANInputError(
                f"{what} are {x.shape[1:]} images but the feature network takes {want}. "
                "Resize them (keras_gans.data.resize_images) or choose the feature "
                "network of their dataset."
            )
    if x.dtype == np.uint8:
        return scale_images(x)
    if not np.issubdtype(x.dtype, np.floating):
        raise GANInputError(
            f"{what} have dtype {x.dtype}; pass float images in [-1, 1] or uint8 0..255."
        )
    if not np.all(np.isfinite(x)):
        bad = int(np.sum(~np.isfinite(x)))
        raise GANInputError(
            f"{what} contain {bad} NaN or infinite values; the generator diverged or the "
            "data is corrupt. Check the model before measuring it."
        )
    lo, hi = float(x.min()), float(x.max())
    if lo < -1.01 or hi > 1.01:
        raise GANInputError(
            f"{what} range over [{lo:.3g}, {hi:.3g}]; expected [-1, 1] (keras_gans' "
            "convention, a tanh output). Scale 0..255 images with x / 127.5 - 1."
        )
    return x.astype("float32")


def _sample_batches(source, n, batch_size, seed, labels):
    """Yield batches of generated images (or slices of an array)."""
    if isinstance(source, np.ndarray) or (hasattr(source, "shape")
                                          and not callable(source)):
        arr = np.asarray(source)
        if len(arr) < n:
            raise GANInputError(
                f"Asked for n={n} samples but the array holds {len(arr)}. Pass n={len(arr)} "
                "or more samples."
            )
        for s in range(0, n, batch_size):
            yield arr[s:min(s + batch_size, n)], (None if labels is None
                                                   else labels[s:min(s + batch_size, n)])
        return
    generate = getattr(source, "generate", None)
    for i, s in enumerate(range(0, n, batch_size)):
        m = min(batch_size, n - s)
        lab = None if labels is None else labels[s:s + m]
        if generate is not None:
            kwargs = {"seed": seed + i}
            if lab is not None:
                kwargs["labels"] = lab
            out = generate(m, **kwargs)
        elif callable(source):
            out = source(m) if lab is None else source(m, lab)
        else:
            raise GANInputError(
                f"Cannot draw samples from {type(source).__name__}: pass a keras_gans "
                "model, a callable n -> images, or an array of images."
            )
        yield np.asarray(out), lab


_RADII: dict = {}


def _radii(dataset, reference, k, real, assets):
    """The reference features' k-NN radii, computed once per process."""
    key = (dataset, reference, k, str(assets))
    if key not in _RADII:
        _RADII[key] = kth_radii(real, k)
    return _RADII[key]


def evaluate(source, dataset="mnist", metrics=("fid",), n=10_000, reference="test",
             feature_network="classifier", batch_size=256, seed=0, num_classes=10,
             kid_subsets=100, kid_subset_size=1000, pr_k=3, dc_k=5, is_splits=10,
             assets=None):
    """Measure generated images against a dataset's reference statistics.

    Args:
        source: a keras_gans model (its ``generate(n, seed=, labels=)`` is called
            batch by batch), a callable ``n -> images`` (``(n, labels) -> images``
            for conditional accuracy), or an array of images in [-1, 1].
        dataset: whose feature network and reference statistics to use
            (``mnist``, ``fashion_mnist``, ``usps``, ``cifar10``).
        metrics: any of ``fid``, ``kid``, ``is``, ``precision``, ``recall`` (or
            ``pr``), ``density``, ``coverage`` (or ``dc``), ``class_coverage``,
            ``class_kl``, ``conditional_accuracy``.
        n: number of generated samples.
        reference: the dataset split the reference statistics come from
            (``test``, or ``train`` for FID).
        feature_network: ``"classifier"`` (the shipped classifier of ``dataset``),
            ``"inception"`` (InceptionV3; its weights from ``KERAS_GANS_INCEPTION_WEIGHTS``
            or the Keras cache; the reference then comes from ``reference_images``
            see ``evaluate_against``), or a ``FeatureNetwork``.

    Returns a dict of protocol-named floats (plus ``<name>_std`` for KID and IS).
    """
    dataset = fn.check_dataset(dataset)
    wanted = []
    for m in ([metrics] if isinstance(metrics, str) else list(metrics)):
        key = str(m).lower()
        if key not in METRICS:
            raise GANConfigError(
                f"Unknown metric {m!r}; choose from {sorted(METRICS)}." + did_you_mean(key, METRICS)
            )
        for k in EXPAND.get(key, (key,)):
            if k not in wanted:
                wanted.append(k)
    n = int(n)
    if n < 2:
        raise GANInputError(f"n must be at least 2 samples; got {n}.")
    if feature_network == "classifier":
        net = fn.classifier_features(dataset, root=assets)
        net_tag = "classifier"
    elif isinstance(feature_network, fn.FeatureNetwork):
        net = feature_network
        net_tag = net.name
    else:
        raise GANConfigError(
            f"feature_network must be 'classifier' or a FeatureNetwork; got "
            f"{feature_network!r}. For InceptionV3 use evaluate_against(...) with "
            "inception_features()."
        )
    needs = {METRICS[m] for m in wanted}
    if any(METRICS[m] in ("probs",) for m in wanted) and not net.has_logits:
        raise GANConfigError("IS and class metrics need a classifier feature network.")

    labels = None
    # a keras_gans model says which classes its samples take; arrays and callables don't
    classes = getattr(source, "label_classes", None)
    if "labels" in needs:
        if not classes and not callable(source):
            raise GANInputError(
                "conditional_accuracy needs a conditional model (one with num_classes) "
                "that generates the labels it is asked for."
            )
        labels = np.arange(n) % int(num_classes)
    elif classes:
        # A conditional model is measured on balanced classes: its generate()
        # needs labels, and FID of one class would be a collapse, not the model.
        labels = source.balanced_labels(n)

    stats = RunningStatistics()
    feats, probs = [], []
    for batch, _ in _sample_batches(source, n, batch_size, seed, labels):
        batch = check_images(batch, net.input_shape)
        f, p = net(batch)
        stats.update(f)
        if "features" in needs:
            feats.append(f.astype("float32"))
        if p is not None and needs & {"probs", "labels"}:
            probs.append(p)

    results = {}
    name = lambda m: metric_name(m, dataset, f"{net_tag}", reference, n)
    if "fid" in wanted:
        if stats.n < 2:
            raise GANInputError("FID needs at least 2 samples.")
        mu_r, sig_r = fn.load_reference_stats(dataset, reference, root=assets)
        results[name("fid")] = frechet_distance(stats.mean, stats.covariance, mu_r, sig_r)
    if "features" in needs:
        fake = np.concatenate(feats)
        real = fn.load_reference_features(dataset, reference, root=assets)
        if "kid" in wanted:
            k_mean, k_std = kernel_distance(real, fake, kid_subsets,
                                            min(kid_subset_size, len(real)), seed)
            results[name("kid")] = k_mean
            results[name("kid") + "_std"] = k_std
        if "precision" in wanted or "recall" in wanted:
            p_, r_ = precision_recall(real, fake, k=pr_k,
                                      real_radii=_radii(dataset, reference, pr_k, real, assets))
            if "precision" in wanted:
                results[name("precision")] = p_
            if "recall" in wanted:
                results[name("recall")] = r_
        if "density" in wanted or "coverage" in wanted:
            d_, c_ = density_coverage(real, fake, k=dc_k,
                                      real_radii=_radii(dataset, reference, dc_k, real, assets))
            if "density" in wanted:
                results[name("density")] = d_
            if "coverage" in wanted:
                results[name("coverage")] = c_
    if probs:
        p = np.concatenate(probs)
        if "is" in wanted:
            s_mean, s_std = inception_score(p, is_splits)
            results[name("is")] = s_mean
            results[name("is") + "_std"] = s_std
        if "class_coverage" in wanted or "class_kl" in wanted:
            h = class_histogram_metrics(p.argmax(-1), p.shape[1])
            if "class_coverage" in wanted:
                results[name("class_coverage")] = h["classes_covered"] / h["num_classes"]
            if "class_kl" in wanted:
                results[name("class_kl")] = h["class_kl"]
        if "conditional_accuracy" in wanted:
            results[name("conditional_accuracy")] = float(np.mean(p.argmax(-1) == labels))
    return results


def evaluate_against(source, reference_images, network, metrics=("fid",), n=None,
                     reference_name="custom", batch_size=50, seed=0):
    """FID/KID/precision/recall/density of ``source`` against your own reference
    images, with any ``FeatureNetwork`` (e.g. ``inception_features()``, the
    FID papers report). Reference statistics are computed from
    ``reference_images`` batch by batch.
    """
    wanted = []
    for m in ([metrics] if isinstance(metrics, str) else list(metrics)):
        key = str(m).lower()
        if METRICS.get(key) not in ("stats", "features"):
            raise GANConfigError(
                f"evaluate_against measures fid, kid, precision, recall, density, "
                f"coverage (or pr, dc); got {m!r}."
            )
        wanted += [k for k in EXPAND.get(key, (key,)) if k not in wanted]
    reference_images = np.asarray(reference_images)
    n = int(n or len(reference_images))
    sides = []
    for label, src in (("reference", reference_images), ("generated", source)):
        stats, feats = RunningStatistics(), []
        count = len(reference_images) if label == "reference" else n
        for batch, _ in _sample_batches(src, count, batch_size, seed, None):
            batch = check_images(batch, network.input_shape, what=f"{label} images")
            f, _ = network(batch)
            stats.update(f)
            feats.append(f)
        sides.append((stats, np.concatenate(feats)))
    (rs, rf), (gs, gf) = sides
    name = lambda m: f"{m}_{reference_name}_{network.name}_{sample_count_tag(n)}"
    out = {}
    if "fid" in wanted:
        out[name("fid")] = frechet_distance(gs.mean, gs.covariance, rs.mean, rs.covariance)
    if "kid" in wanted:
        size = min(1000, len(rf), len(gf))
        out[name("kid")], out[name("kid") + "_std"] = kernel_distance(rf, gf, 100, size, seed)
    if "precision" in wanted or "recall" in wanted:
        p_, r_ = precision_recall(rf, gf)
        out.update({name(k): v for k, v in (("precision", p_), ("recall", r_)) if k in wanted})
    if "density" in wanted or "coverage" in wanted:
        d_, c_ = density_coverage(rf, gf)
        out.update({name(k): v for k, v in (("density", d_), ("coverage", c_)) if k in wanted})
    return out
