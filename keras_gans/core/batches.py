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


def shape_hint(got, expected):
    """How to fix samples of shape ``got`` for a model built for ``expected``."""
    if len(expected) == 3 and len(got) == 2 and expected[-1] == 1:
        return " Add a channel axis: x[..., None]."
    if len(expected) == 3 and len(got) == 3 and got[-1] != expected[-1]:
        return (f" The model takes {expected[-1]} channel(s), the data has {got[-1]}: "
                f"build the model with data_shape={got} or convert the images.")
    if len(expected) == 3 and len(got) == 3 and expected[0] == expected[1]:
        return (f" Resize the images (keras_gans.data.resize_images(x, {expected[0]})) "
                f"or build the model with data_shape={got}.")
    return f" Build the model with data_shape={got} to train on them."


def check_training_array(x, expected, *, model, items, subject, shape_hint,
                         value_range=None):
    """The checks every array a model trains on gets, with one wording: not
    empty, the shape the model was built for, floats, finite, and within the
    generator's range. Raises ``GANInputError``.

    Args:
        x: a numpy batch.
        expected: the shape of one sample the model was built for.
        model: the model's class name, for the messages.
        items: what the rows are, capitalised as a subject ("Samples",
            "Domain A images").
        subject: the whole, as a subject ("The dataset", "Domain A").
        shape_hint: ``hint(got, expected)`` -> the sentence that says how to
            fix a shape mismatch (it depends on how the model was built).
        value_range: (lo, hi) the generator produces, or None (no range check).
    """
    from keras_gans.errors import GANInputError

    if x.shape[0] == 0:
        raise GANInputError(f"{subject} is empty: fit() got no {items.split()[-1].lower()}.")
    got, expected = tuple(x.shape[1:]), tuple(expected)
    if got != expected:
        raise GANInputError(f"{items} have shape {got} but {model} was built for "
                            f"{expected}.{shape_hint(got, expected)}")
    if not np.issubdtype(x.dtype, np.floating):
        raise GANInputError(
            f"{items} are of dtype {x.dtype}; {model} trains on floats scaled to the "
            "generator's range [-1, 1]. Scale them with keras_gans.data.scale_images(x) "
            "(uint8 0..255 -> [-1, 1])."
        )
    if not np.all(np.isfinite(x)):
        raise GANInputError(
            f"{subject} contains NaN or infinite values; clean or drop those "
            f"{items.split()[-1].lower()} before training."
        )
    if value_range is not None:
        lo, hi = value_range
        if x.min() < lo - 0.05 or x.max() > hi + 0.05:
            raise GANInputError(
                f"{items} range over [{x.min():.3g}, {x.max():.3g}] but the generator "
                f"produces [{lo}, {hi}]. Scale them first, e.g. "
                "keras_gans.data.scale_images(x) for 0..255 images."
            )
