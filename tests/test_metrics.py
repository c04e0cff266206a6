"""keras_gans.metrics: each distance checked against a straightforward
independent implementation (numpy loops, scipy), plus protocol names and the
bad-input errors."""

import itertools

import numpy as np
import pytest
import scipy.linalg
import scipy.stats

from keras_gans.errors import GANConfigError, GANInputError
from keras_gans.metrics import fid as F
from keras_gans.metrics.evaluation import check_images, metric_name, sample_count_tag


def _cov(rng, d):
    a = rng.normal(size=(d, d))
    return a @ a.T / d + 0.1 * np.eye(d)


def test_running_statistics_match_numpy_over_uneven_batches():
    rng = np.random.default_rng(0)
    # a large common offset: the naive E[xx'] - mu mu' would lose digits here
    x = rng.normal(size=(1003, 7)) * [1, 2, 3, 4, 5, 6, 7] + 1e4
    stats = F.RunningStatistics()
    for a, b in [(0, 1), (1, 250), (250, 251), (251, 1003)]:
        stats.update(x[a:b])
    np.testing.assert_allclose(stats.mean, x.mean(0), rtol=1e-12)
    np.testing.assert_allclose(stats.covariance, np.cov(x, rowvar=False), rtol=1e-9)
    with pytest.raises(GANInputError, match="at least 2 samples"):
        _ = F.RunningStatistics().update(x[:1]).covariance


def _fid_scipy(mu1, s1, mu2, s2):
    covmean = scipy.linalg.sqrtm(s1 @ s2)
    return float(np.sum((mu1 - mu2) ** 2) + np.trace(s1) + np.trace(s2)
                 - 2 * np.trace(np.real(covmean)))


@pytest.mark.parametrize("d", [1, 5, 32])
def test_frechet_distance_matches_scipy_sqrtm(d):
    rng = np.random.default_rng(d)
    mu1, mu2 = rng.normal(size=d), rng.normal(size=d)
    s1, s2 = _cov(rng, d), _cov(rng, d)
    np.testing.assert_allclose(F.frechet_distance(mu1, s1, mu2, s2),
                               _fid_scipy(mu1, s1, mu2, s2), rtol=1e-7)
    assert F.frechet_distance(mu1, s1, mu1, s1) == pytest.approx(0, abs=1e-8)


def test_frechet_distance_closed_form_in_one_dimension():
    # (m1 - m2)^2 + (sd1 - sd2)^2 for 1-D Gaussians
    value = F.frechet_distance([1.0], [[4.0]], [3.0], [[9.0]])
    assert value == pytest.approx((1 - 3) ** 2 + (2 - 3) ** 2, rel=1e-12)


def test_frechet_distance_is_finite_with_singular_covariances():
    rng = np.random.default_rng(1)
    # 10 samples of 64 features: rank-9 covariances, where sqrtm of the product
    # has no real square root numerically
    a, b = rng.normal(size=(10, 64)), rng.normal(size=(10, 64)) + 0.5
    value = F.frechet_distance(a.mean(0), np.cov(a, rowvar=False),
                               b.mean(0), np.cov(b, rowvar=False))
    assert np.isfinite(value) and value > 0
    with pytest.raises(GANInputError, match="same feature network"):
        F.frechet_distance(a.mean(0), np.cov(a, rowvar=False), [0.0], [[1.0]])


def _mmd2_unbiased_loops(x, y):
    d = x.shape[1]
    k = lambda a, b: (np.dot(a, b) / d + 1) ** 3
    m = len(x)
    kxx = sum(k(x[i], x[j]) for i in range(m) for j in range(m) if i != j) / (m * (m - 1))
    kyy = sum(k(y[i], y[j]) for i in range(m) for j in range(m) if i != j) / (m * (m - 1))
    kxy = sum(k(x[i], y[j]) for i in range(m) for j in range(m)) / (m * m)
    return kxx + kyy - 2 * kxy


def test_kid_matches_the_unbiased_mmd_written_out():
    rng = np.random.default_rng(2)
    real, fake = rng.normal(size=(25, 6)), rng.normal(size=(25, 6)) * 1.5 + 0.3
    # one subset holding every sample: the MMD does not depend on their order
    mean, std = F.kernel_distance(real, fake, num_subsets=1, subset_size=25)
    assert mean == pytest.approx(_mmd2_unbiased_loops(fake, real), rel=1e-10)
    assert std == 0
    # two samples of one distribution against one shifted sample, at equal sizes
    a, b = rng.normal(size=(400, 6)), rng.normal(size=(400, 6))
    same, _ = F.kernel_distance(a, b, num_subsets=10, subset_size=200)
    shifted, _ = F.kernel_distance(a, b * 1.5 + 0.3, num_subsets=10, subset_size=200)
    assert abs(same) < shifted / 10


def test_inception_score_matches_scipy_entropy():
    rng = np.random.default_rng(3)
    p = rng.dirichlet(np.full(10, 0.3), size=200)
    expected = np.exp(np.mean([scipy.stats.entropy(pi, p.mean(0)) for pi in p]))
    assert F.inception_score(p, splits=1)[0] == pytest.approx(expected, rel=1e-6)
    # confident and balanced over K classes: K; uniform predictions: 1
    assert F.inception_score(np.eye(10)[np.arange(100) % 10], 1)[0] == pytest.approx(10, rel=1e-6)
    assert F.inception_score(np.full((50, 10), 0.1), 1)[0] == pytest.approx(1, rel=1e-6)


def _knn_radius(x, k):
    return np.array([sorted(np.linalg.norm(x - xi, axis=1))[k] for xi in x])


def test_precision_recall_match_brute_force():
    rng = np.random.default_rng(4)
    real = rng.normal(size=(60, 3))
    fake = rng.normal(size=(50, 3)) * 1.5 + [2.5, 0, 0]
    rr, rf = _knn_radius(real, 3), _knn_radius(fake, 3)
    precision = np.mean([any(np.linalg.norm(y - x) <= r for x, r in zip(real, rr)) for y in fake])
    recall = np.mean([any(np.linalg.norm(x - y) <= r for y, r in zip(fake, rf)) for x in real])
    got = F.precision_recall(real, fake, k=3, batch_size=17)
    assert got == pytest.approx((precision, recall), abs=1e-12)
    assert 0 < got[0] < 1 and 0 < got[1] < 1  # the case tests something
    assert F.precision_recall(real, real.copy(), k=3) == (1.0, 1.0)


def test_density_coverage_match_brute_force():
    rng = np.random.default_rng(5)
    real = rng.normal(size=(70, 4))
    fake = rng.normal(size=(40, 4)) * 0.7 + 0.4
    r = _knn_radius(real, 5)
    inside = np.array([[np.linalg.norm(y - x) <= ri for x, ri in zip(real, r)] for y in fake])
    density = inside.sum() / (5 * len(fake))
    coverage = inside.any(axis=0).mean()
    got = F.density_coverage(real, fake, k=5, batch_size=13)
    assert got == pytest.approx((density, coverage), abs=1e-12)
    assert 0 < got[1] < 1


def test_class_histogram_metrics():
    uniform = F.class_histogram_metrics(np.arange(1000) % 10, 10)
    assert uniform["classes_covered"] == 10 and uniform["class_kl"] == pytest.approx(0)
    collapsed = F.class_histogram_metrics(np.full(1000, 3), 10)
    assert collapsed["classes_covered"] == 1
    assert collapsed["class_kl"] == pytest.approx(np.log(10))
    # a class with 1 of 1000 samples is below 10% of a uniform share (10)
    few = F.class_histogram_metrics(np.r_[np.arange(999) % 9, 9], 10)
    assert few["classes_covered"] == 9


def test_protocol_names():
    assert metric_name("fid", "mnist", "classifier", "test", 10_000) == \
        "fid_mnist_classifier_test_10k"
    assert metric_name("is", "cifar10", "classifier", "test", 5000) == "is_cifar10_classifier_5k"
    assert [sample_count_tag(n) for n in (1000, 2500, 50_000)] == ["1k", "2500", "50k"]


@pytest.mark.parametrize("bad, match", [
    (np.zeros((4, 28, 28)), "channel axis"),
    (np.zeros((4, 32, 32, 1)), "takes"),
    (np.full((4, 28, 28, 1), 3.0), r"x / 127.5 - 1"),
    (np.full((4, 28, 28, 1), np.nan), "NaN"),
    (np.zeros((4, 28, 28, 1), "int32"), "dtype"),
])
def test_bad_samples_name_the_fix(bad, match):
    with pytest.raises(GANInputError, match=match):
        check_images(bad, (28, 28, 1))


def test_uint8_images_are_scaled():
    x = check_images(np.array([0, 255], "uint8").reshape(2, 1, 1, 1), (1, 1, 1))
    np.testing.assert_allclose(x.ravel(), [-1, 1])


def test_too_few_samples_for_the_metric():
    rng = np.random.default_rng(0)
    with pytest.raises(GANInputError, match="needs at least 1000 generated"):
        F.kernel_distance(rng.normal(size=(2000, 4)), rng.normal(size=(10, 4)))
    with pytest.raises(GANInputError, match="more than 3"):
        F.precision_recall(rng.normal(size=(10, 4)), rng.normal(size=(3, 4)))
    with pytest.raises(GANInputError, match="10 splits"):
        F.inception_score(np.full((5, 10), 0.1))


def test_unknown_dataset_and_metric():
    from keras_gans.metrics import evaluate
    from keras_gans.metrics.feature_nets import check_dataset

    with pytest.raises(GANConfigError, match="SVHN is not among"):
        check_dataset("svhn")
    with pytest.raises(GANConfigError, match="Did you mean 'fashion_mnist'"):
        check_dataset("fashion_mnst")
    with pytest.raises(GANConfigError, match="Did you mean 'fid'"):
        evaluate(np.zeros((4, 28, 28, 1)), "mnist", metrics=["fdi"])


def test_streamed_statistics_equal_in_memory_ones():
    """feature_statistics over batches == numpy over all features at once."""
    class Net:
        input_shape = (4, 4, 1)

        def __call__(self, x):
            flat = np.asarray(x, "float64").reshape(len(x), -1)
            return np.tanh(flat[:, :6] * 2 + flat[:, 6:12]), None

    x = np.random.default_rng(6).uniform(-1, 1, (777, 4, 4, 1))
    mu, sigma, feats = F.feature_statistics(Net(), x, batch_size=100, keep_features=True)
    full, _ = Net()(x)
    np.testing.assert_allclose(mu, full.mean(0), rtol=1e-12)
    np.testing.assert_allclose(sigma, np.cov(full, rowvar=False), rtol=1e-9)
    np.testing.assert_array_equal(feats, full)
    # iterables of batches work too: a generator never holds every image at once
    gen = (x[i:i + 50] for i in range(0, len(x), 50))
    mu2, _, _ = F.feature_statistics(Net(), gen)
    np.testing.assert_allclose(mu2, mu, rtol=1e-12)


def test_all_pairs_helper_is_exact():
    rng = np.random.default_rng(7)
    a, b = rng.normal(size=(5, 3)), rng.normal(size=(4, 3))
    d = F._sq_dists(a, b)
    for i, j in itertools.product(range(5), range(4)):
        assert d[i, j] == pytest.approx(np.sum((a[i] - b[j]) ** 2), rel=1e-9)
