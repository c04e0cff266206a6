import os
import sys

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


@pytest.fixture(scope="session")
def digits28():
    from keras_gans.data import load_digits

    x, y = load_digits(28)
    return x[:128], y[:128]


@pytest.fixture(scope="session")
def digits8():
    from keras_gans.data import load_digits

    x, y = load_digits()
    return x[:128], y[:128]


@pytest.fixture(autouse=True)
def _seed():
    import keras

    keras.utils.set_random_seed(1234)
    np.random.seed(1234)
