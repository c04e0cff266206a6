"""Distances between feature distributions: FID, KID, Inception Score,
improved precision/recall and density/coverage. Plain numpy, float64.

Every function here takes features (or class probabilities) that the caller has
already computed, batch by batch, with a feature network (``feature_nets.py``);
``feature_statistics`` streams images through a network and keeps only a
running mean and covariance, so 50k samples never need 50k images in memory.
"""

from __future__ import annotations

import numpy as np

from keras_gans.errors import GANInputError


class RunningStatistics:
    """Mean and covariance of feature rows added batch by batch, in float64.

    Batches are merged with Chan et al.'s pairwise update (the batch's own mean
    and centred sum of squares), which keeps its precision where the textbook
    ``E[xx'] - mu mu'`` loses it to cancellation.
    """

    def __init__(self):
        self.n = 0
        self.mean = None
        self.m2 = None

    def update(self, features):
        f = np.asarray(features, dtype="float64")
        if f.ndim != 2:
            f = f.reshape(len(f), -1)
        nb = len(f)
        if nb == 0:
            return self
        mb = f.mean(axis=0)
        c = f - mb
        m2b = c.T @ c
        if self.n == 0:
            self.n, self.mean, self.m2 = nb, mb, m2b
            return self
        if f.shape[1] != self.mean.shape[0]:
            raise GANInputError(
                f"Feature batches disagree: {self.mean.shape[0]} then {f.shape[1]} features."
            )
        n = self.n + nb
        delta = mb - self.mean
        self.mean = self.mean + delta * (nb / n)
        self.m2 = self.m2 + m2b + np.outer(delta, delta) * (self.n * nb / n)
        self.n = n
        return self

    @property
    def covariance(self):
        if self.n < 2:
            raise GANInputError(
                f"A covariance needs at least 2 samples; got {self.n}."
            )
        return self.m2 / (self.n - 1)


def _batches(images, batch_size):
    if isinstance(images, np.ndarray) or hasattr(images, "shape"):
        for start in range(0, len(images), batch_size):
            yield images[start:start + batch_size]
    else:
        yield from images


def feature_statistics(network, images, batch_size=256, keep_features=False):
    """Stream ``images`` through ``network`` (a ``FeatureNetwork``).

    Args:
        images: an array (N, H, W, C) in [-1, 1], or an iterable of such batches.

    Returns ``(mu, sigma, features)``: float64 mean and covariance, and the
    features as an (N, D) array if ``keep_features`` (else None).
    """
    stats = RunningStatistics()
    kept = []
    for batch in _batches(images, batch_size):
        feats, _ = network(batch)
        stats.update(feats)
        if keep_features:
            kept.append(feats)
    return stats.mean, stats.covariance, (np.concatenate(kept) if keep_features else None)


def sqrtm_psd(a):
    """Square root of a symmetric positive semi-definite matrix (eigh, negative
    round-off eigenvalues clipped to 0)."""
    a = np.asarray(a, dtype="float64")
    w, v = np.linalg.eigh((a + a.T) / 2)
    return (v * np.sqrt(np.clip(w, 0, None))) @ v.T


def frechet_distance(mu1, sigma1, mu2, sigma2) -> float:
    """Fréchet distance between N(mu1, sigma1) and N(mu2, sigma2).

    ``|mu1 - mu2|^2 + tr(s1) + tr(s2) - 2 tr((s1 s2)^(1/2))``. The trace term is
    computed as ``tr((A s2 A)^(1/2))`` with ``A = s1^(1/2)``: ``A s2 A`` is
    symmetric PSD and has the eigenvalues of ``s1 s2``, so the square root is
    real and exact without the complex ``scipy.linalg.sqrtm`` of a non-symmetric
    product (which goes complex or NaN on singular covariances, e.g. fewer
    samples than features).
    """
    mu1, mu2 = np.asarray(mu1, "float64"), np.asarray(mu2, "float64")
    s1, s2 = np.asarray(sigma1, "float64"), np.asarray(sigma2, "float64")
    if mu1.shape != mu2.shape or s1.shape != s2.shape or s1.shape != mu1.shape * 2:
        raise GANInputError(
            f"Statistics disagree: mu {mu1.shape} / {mu2.shape}, sigma {s1.shape} / "
            f"{s2.shape}. Both sides must come from the same feature network."
        )
    a = sqrtm_psd(s1)
    eig = np.linalg.eigvalsh(a @ s2 @ a)
    tr_covmean = float(np.sqrt(np.clip(eig, 0, None)).sum())
    diff = mu1 - mu2
    fd = float(diff @ diff + np.trace(s1) + np.trace(s2) - 2.0 * tr_covmean)
    return max(fd, 0.0)


def kernel_distance(real, fake, num_subsets=100, subset_size=1000, seed=0):
    """Kernel Inception Distance (Bińkowski et al. 2018): the unbiased MMD^2 with
    the cubic polynomial kernel ``k(x, y) = (x.y / d + 1)^3``, averaged over
    ``num_subsets`` random subsets of ``subset_size`` from each side.

    Returns ``(mean, std)`` over the subsets.
    """
    real = np.asarray(real, "float64")
    fake = np.asarray(fake, "float64")
    need = int(subset_size)
    if need < 2:
        raise GANInputError(f"KID subset_size must be at least 2; got {subset_size}.")
    for what, f in (("generated", fake), ("reference", real)):
        if len(f) < need:
            raise GANInputError(
                f"KID with subsets of {need} needs at least {need} {what} samples; got "
                f"{len(f)}. Pass more samples or a smaller subset_size."
            )
    d = real.shape[1]
    rng = np.random.default_rng(seed)
    values = np.empty(int(num_subsets))
    m = need
    for i in range(int(num_subsets)):
        x = fake[rng.choice(len(fake), m, replace=False)]
        y = real[rng.choice(len(real), m, replace=False)]
        kxx = (x @ x.T / d + 1) ** 3
        kyy = (y @ y.T / d + 1) ** 3
        kxy = (x @ y.T / d + 1) ** 3
        values[i] = ((kxx.sum() - np.trace(kxx)) / (m * (m - 1))
                     + (kyy.sum() - np.trace(kyy)) / (m * (m - 1))
                     - 2 * kxy.mean())
    return float(values.mean()), float(values.std())


def inception_score(probs, splits=10):
    """``exp(E_x KL(p(y|x) || p(y)))`` over ``splits`` equal parts; (mean, std)."""
    p = np.asarray(probs, "float64")
    if p.ndim != 2:
        raise GANInputError(f"Inception Score takes (N, classes) probabilities; got {p.shape}.")
    if len(p) < splits:
        raise GANInputError(
            f"Inception Score with {splits} splits needs at least {splits} samples; "
            f"got {len(p)}."
        )
    scores = []
    for part in np.array_split(p, splits):
        py = part.mean(axis=0, keepdims=True)
        kl = np.sum(part * (np.log(part + 1e-12) - np.log(py + 1e-12)), axis=1)
        scores.append(np.exp(kl.mean()))
    return float(np.mean(scores)), float(np.std(scores))


def _sq_dists(a, b):
    d = (a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2 * a @ b.T
    return np.maximum(d, 0)


def kth_radii(x, k, batch_size=1000):
    """Squared distance from each row of x to its k-th nearest other row (the
    k-NN ball radii of precision/recall and density/coverage; a reference
    set's radii can be computed once and passed as ``real_radii``)."""
    radii = np.empty(len(x))
    for s in range(0, len(x), batch_size):
        d = _sq_dists(x[s:s + batch_size], x)
        # column 0 after partition is the point itself (distance 0)
        radii[s:s + batch_size] = np.partition(d, k, axis=1)[:, k]
    return radii


def _check_knn(real, fake, k, what):
    real = np.asarray(real, "float64")
    fake = np.asarray(fake, "float64")
    if real.ndim != 2 or fake.ndim != 2 or real.shape[1] != fake.shape[1]:
        raise GANInputError(
            f"{what} takes (N, D) features from one network; got {real.shape} and "
            f"{fake.shape}."
        )
    for side, f in (("reference", real), ("generated", fake)):
        if len(f) <= k:
            raise GANInputError(
                f"{what} with k={k} needs more than {k} {side} samples; got {len(f)}."
            )
    return real, fake


def precision_recall(real, fake, k=3, batch_size=1000, real_radii=None):
    """Improved precision and recall (Kynkäänniemi et al. 2019).

    Each sample set's manifold is the union of balls around its points with the
    distance to the k-th nearest neighbour as radius. Precision: the fraction of
    generated samples inside the real manifold; recall: the fraction of real
    samples inside the generated manifold.
    """
    real, fake = _check_knn(real, fake, k, "precision/recall")

    def inside(points, centres, radii):
        hits = np.zeros(len(points), bool)
        for s in range(0, len(points), batch_size):
            d = _sq_dists(points[s:s + batch_size], centres)
            hits[s:s + batch_size] = (d <= radii[None, :]).any(axis=1)
        return hits

    if real_radii is None:
        real_radii = kth_radii(real, k, batch_size)
    precision = inside(fake, real, real_radii).mean()
    recall = inside(real, fake, kth_radii(fake, k, batch_size)).mean()
    return float(precision), float(recall)


def density_coverage(real, fake, k=5, batch_size=1000, real_radii=None):
    """Density and coverage (Naeem et al. 2020), k-NN balls around real samples.

    Density: ``1/(kM) sum_j sum_i 1[Y_j in B(X_i, NND_k(X_i))]`` (can exceed 1);
    coverage: the fraction of real samples whose ball holds at least one
    generated sample.
    """
    real, fake = _check_knn(real, fake, k, "density/coverage")
    radii = kth_radii(real, k, batch_size) if real_radii is None else real_radii
    counts = np.zeros(len(fake))
    covered = np.zeros(len(real), bool)
    for s in range(0, len(fake), batch_size):
        inside = _sq_dists(fake[s:s + batch_size], real) <= radii[None, :]
        counts[s:s + batch_size] = inside.sum(axis=1)
        covered |= inside.any(axis=0)
    density = counts.sum() / (k * len(fake))
    return float(density), float(covered.mean())


def class_histogram_metrics(predicted, num_classes, min_fraction=0.1):
    """Class coverage and KL(class histogram || uniform) of predicted labels.

    A class is covered when it gets at least ``min_fraction`` of a uniform
    share (``min_fraction * N / num_classes`` samples). The KL is 0 for a
    uniform histogram and ``log(num_classes)`` for a single class (the
    PacGAN/VEEGAN reverse-KL convention, histogram against uniform).
    """
    predicted = np.asarray(predicted).reshape(-1).astype("int64")
    if len(predicted) == 0:
        raise GANInputError("class metrics: no predictions.")
    counts = np.bincount(predicted, minlength=num_classes)[:num_classes]
    p = counts / counts.sum()
    nz = p > 0
    kl = float(np.sum(p[nz] * np.log(p[nz] * num_classes)))
    covered = int((counts >= min_fraction * len(predicted) / num_classes).sum())
    return {"classes_covered": covered, "num_classes": int(num_classes),
            "class_kl": kl, "counts": counts.tolist()}
