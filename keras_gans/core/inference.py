"""What a GAN model answers besides ``fit``: ``predict``/``model(x)`` on the
inputs its ``call_spec`` declares, refused ``evaluate``, and (on JAX) a model
that stays usable when Keras' trainer raises. Mixed into ``GANModel``."""

from __future__ import annotations

import contextlib

import keras

from keras_gans.errors import GANConfigError, GANInputError


class InferenceMixin:
    """``predict``, ``model(x)`` and ``evaluate`` for a GAN (docs/keras_habits.md)."""

    def test_step(self, *args):
        raise GANConfigError(self._no_evaluation("test_step()"))

    def evaluate(self, *args, **kwargs):
        """Refused: a GAN has no loss to evaluate on held-out data (see
        ``_no_evaluation``). Raised before Keras touches the model's state."""
        raise GANConfigError(self._no_evaluation("evaluate()"))

    def test_on_batch(self, *args, **kwargs):
        raise GANConfigError(self._no_evaluation("test_on_batch()"))

    def _no_evaluation(self, method):
        return (
            f"{type(self).__name__}.{method} has nothing to measure, as a GAN's "
            "losses score each player against the other and not the samples: "
            "measure samples with keras_gans.metrics.evaluate(model, ...) or keep "
            "the best epoch with keras_gans.callbacks.BestMetricCheckpoint."
        )

    def call_spec(self):
        """What ``model(x)`` and ``predict(x)`` take and return, or None.

        A dict: ``takes`` (words), ``shape`` (one sample of the first input),
        ``labels`` (whether a second input of class ids follows), ``gives``
        (words) and ``instead`` (what to use for other inputs)."""
        return

    def check_call_inputs(self, inputs, method):
        """Raise ``GANInputError`` if ``inputs`` (arrays or tensors) do not fit
        ``call_spec()``; inputs without shapes (datasets) are left to ``call``."""
        spec = self.call_spec()
        given = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
        if spec is None or not all(hasattr(a, "shape") for a in given):
            return
        shapes = [tuple(a.shape) for a in given]
        shape = tuple(spec["shape"])
        ok = len(shapes) == (2 if spec["labels"] else 1) and _fits(shapes[0], shape)
        if ok and spec["labels"]:
            ok = len(shapes[1]) == 1 or len(shapes[1]) == 2 and shapes[1][1] in (
                1, getattr(self, "num_classes", None))
        if ok:
            return
        expected = f"{spec['takes']} of shape (n, {', '.join(map(str, shape))})"
        if spec["labels"]:
            expected = f"[{expected}, n class ids]"
        got = (f"an array of shape {shapes[0]}" if len(shapes) == 1
               else f"arrays of shapes {', '.join(map(str, shapes))}")
        raise GANInputError(
            f"{type(self).__name__}.{method} takes {expected} and returns "
            f"{spec['gives']}, but got {got}; {spec['instead']}."
        )

    def __call__(self, *args, **kwargs):
        if args:
            self.check_call_inputs(args[0], "__call__()")
        return super().__call__(*args, **kwargs)

    def predict(self, x, *args, **kwargs):
        """``call`` on ``x`` batch by batch (see ``call_spec``): for the
        sampling variants latent vectors in, samples out."""
        self.check_call_inputs(x, "predict()")
        with self._keep_state():
            return super().predict(x, *args, **kwargs)

    def predict_on_batch(self, x):
        self.check_call_inputs(x, "predict_on_batch()")
        with self._keep_state():
            return super().predict_on_batch(x)

    def train_on_batch(self, *args, **kwargs):
        with self._keep_state():
            return super().train_on_batch(*args, **kwargs)

    def _keep_state(self):
        """On JAX, a guard that leaves the model usable if the trainer raises."""
        if keras.backend.backend() != "jax":
            return contextlib.nullcontext()
        from keras_gans.core.jax_step import KeepStateOnError

        return KeepStateOnError(self)


def _fits(shape, expected):
    """Whether ``shape`` is a batch of ``expected`` (None matches any size)."""
    rest = shape[1:]
    return len(rest) == len(expected) and all(
        a is None or b is None or int(a) == int(b) for a, b in zip(rest, expected))


