"""benchmarks/independent_check.py: the pixel 1-NN judge of MNIST presets."""

import importlib.util
import os

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


def _module():
    path = os.path.join(HERE, "..", "benchmarks", "independent_check.py")
    spec = importlib.util.spec_from_file_location("independent_check", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_nearest_train_image_label_and_distance():
    check = _module()
    rng = np.random.default_rng(0)
    train = rng.normal(size=(50, 4, 4, 1)).astype("float32")
    labels = np.arange(50) % 5
    neighbours = check.PixelNeighbours(train, labels, chunk=7)
    queries = train[[3, 17, 42]] + 0.01
    pred, dist = neighbours(queries)
    np.testing.assert_array_equal(pred, labels[[3, 17, 42]])
    # 16 pixels off by 0.01 (float32 |a|^2 - 2ab + |b|^2 rounds to about 1e-3)
    np.testing.assert_allclose(dist, 0.04, rtol=1e-2)
    out = check.summary(pred, dist, np.array([3, 2, 0]))  # pred is [3, 2, 2]
    assert out["knn_accuracy"] == round(2 / 3, 4)  # the third asked for 0, found a 2
    per_class = out["knn_accuracy_per_class"]
    assert (per_class[0], per_class[2], per_class[3]) == (0.0, 1.0, 1.0)
    assert "knn_accuracy" not in check.summary(pred, dist)
