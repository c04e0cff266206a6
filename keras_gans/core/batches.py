"""The first batch of whatever ``fit`` accepts, read without training on it:
``GANModel.fit`` checks it before the first step, and the replica checks read
its size."""

from __future__ import annotations

import keras
import numpy as np


def first_batch(x, y):
    """The first batch of whatever fit() accepts, as numpy (x, y)."""
    if x is None:
        return None, None
    if isinstance(x, (tuple, list)) and len(x) == 2 and y is None:  # fit((x, y))
        return first_batch(x[0], x[1])
    if isinstance(x, np.ndarray) or hasattr(x, "__array__") and not hasattr(
        x, "element_spec"
    ) and not isinstance(x, keras.utils.PyDataset) and not is_torch_loader(x):
        x = np.asarray(x)
        if len(x) == 0:
            return None, None
        return x, y
    if hasattr(x, "element_spec"):  # tf.data.Dataset
        for element in x.take(1):
            return split_element(element)
        return None, None
    if isinstance(x, keras.utils.PyDataset):
        if len(x) == 0:
            return None, None
        return split_element(x[0])
    if is_torch_loader(x):
        for element in x:
            return split_element(element)
        return None, None
    return UNCHECKED, None


UNCHECKED = object()


def split_element(element):
    def np_(t):
        return None if t is None else np.asarray(keras.ops.convert_to_numpy(t))

    if isinstance(element, dict):
        return np_(element.get("x")), np_(element.get("y"))
    if isinstance(element, (list, tuple)):
        if len(element) == 1:
            return np_(element[0]), None
        return np_(element[0]), np_(element[1])
    return np_(element), None


def is_torch_loader(x):
    return type(x).__module__.startswith("torch.utils.data")
