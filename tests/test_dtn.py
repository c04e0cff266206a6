"""Domain Transfer Network: the shared mixin, f stays frozen, the errors, the
translation-accuracy metric, and a short real training run.

Toy domains from scikit-learn's digits at 28 px: the source is the digits as
they are (filling the frame), the target the same kind of digits shrunk to
18 px in the middle of the frame (as MNIST digits sit in a 20 px box), drawn
from a disjoint set of images (the domains are unpaired).
"""

import keras
import numpy as np
import pytest
from digit_frames import SMALL, shrink, shuffled_digits
from gan_test_case import GANTestMixin, weights_of

from keras_gans.data import resize_images
from keras_gans.errors import GANConfigError, GANInputError
from keras_gans.metrics.translation import translation_accuracy
from keras_gans.models.dtn import DomainTransferNetwork, total_variation
from keras_gans.networks.classifier import (
    classifier_accuracy,
    conv_classifier,
    train_classifier,
)


@pytest.fixture(scope="module")
def domains():
    x, y = shuffled_digits()
    return {
        "source": (x[:600], y[:600]),
        "target": (shrink(x[600:1200]), y[600:1200]),
        "source_test": (x[1200:], y[1200:]),
        "target_test": (shrink(x[1200:]), y[1200:]),
    }


@pytest.fixture(scope="module")
def f(domains):
    """The source-domain feature extractor, trained for a few seconds."""
    return train_classifier(*domains["source"], epochs=4, seed=0, **SMALL)


@pytest.fixture(scope="module")
def target_classifier(domains):
    return train_classifier(*domains["target"], epochs=4, seed=1, **SMALL)


@pytest.fixture(autouse=True)
def _data(request, domains, f):
    if request.instance is not None:
        request.instance._domains = domains
        request.instance._f = f


def copy_of(model):
    clone = keras.models.clone_model(model)
    clone.set_weights(model.get_weights())
    return clone


class TestDomainTransferNetwork(GANTestMixin):
    def make_model(self, seed=1):
        return DomainTransferNetwork(copy_of(self._f), filters=4, seed=seed)

    def data(self):
        return self._domains["source"][0], None

    def fit_data(self, n):
        return (self._domains["source"][0][:n], self._domains["target"][0][:n]), None

    def samples(self, model, n, seed):
        return model.translate(self._domains["source"][0][:n])

    def sample_shape(self):
        return self._domains["target"][0].shape[1:]

    def probe_outputs(self, model):
        target = self._domains["target"][0][:8]
        scores = model.discriminator(target, training=False)
        return (
            model.translate(self._domains["source"][0][:8]),
            keras.ops.convert_to_numpy(scores),
            keras.ops.convert_to_numpy(model.feature_extractor(target, training=False)),
        )

    # ------------------------------------------------------------ f is fixed
    def test_f_never_changes_and_is_in_no_phase(self):
        model = self.make_model()
        f_vars = model.feature_extractor.weights
        assert f_vars and not model.feature_extractor.trainable_variables
        for phase in model.phases():
            in_phase = {id(v) for v in model.phase_variables(phase)}
            assert not {id(v) for v in f_vars} & in_phase
        model.compile()
        before = weights_of(f_vars)
        self.fit(model, steps=3)
        for b, a in zip(before, weights_of(f_vars)):
            np.testing.assert_array_equal(b, a)

    def test_losses_follow_the_paper(self):
        model = self.make_model()
        src = keras.ops.convert_to_tensor(self._domains["source"][0][:8])
        tgt = keras.ops.convert_to_tensor(self._domains["target"][0][:8])
        batch = {"x_s": src, "x_t": tgt}

        def np_(t):
            return keras.ops.convert_to_numpy(t)

        def ce(logits, cls):
            logits = np_(logits).astype("float64")
            m = logits.max(-1, keepdims=True)
            lse = (m + np.log(np.exp(logits - m).sum(-1, keepdims=True)))[:, 0]
            return np.mean(lse - logits[:, cls])

        g_s, g_t = np_(model._g(src)), np_(model._g(tgt))
        d = model.discriminator
        d_loss, _ = model.discriminator_loss(batch)
        expected_d = ce(d(g_s), 0) + ce(d(g_t), 1) + ce(d(tgt), 2)
        np.testing.assert_allclose(float(np_(d_loss)), expected_d, rtol=1e-4)
        g_loss, logs = model.generator_loss(batch)
        feats = model._features
        const = np.mean((np_(feats(g_s)) - np_(feats(src))) ** 2)
        tid = np.mean((g_t - np_(tgt)) ** 2)
        gan = ce(d(g_s), 2) + ce(d(g_t), 2)
        np.testing.assert_allclose(float(np_(logs["const_loss"])), const, rtol=1e-4)
        np.testing.assert_allclose(float(np_(logs["tid_loss"])), tid, rtol=1e-4)
        expected_g = gan + 15 * const + 15 * tid
        np.testing.assert_allclose(float(np_(g_loss)), expected_g, rtol=1e-4)
        assert model.const_weight == model.tid_weight == 15.0 and model.tv_weight == 0.0


# ---------------------------------------------------------------- errors
def test_a_trainable_f_is_frozen_and_unfreezing_it_is_refused(f):
    g = copy_of(f)
    assert g.trainable_variables  # as trained: trainable
    model = DomainTransferNetwork(g, filters=4)
    assert g.trainable is False and not g.trainable_variables
    g.trainable = True
    with pytest.raises(GANConfigError, match="f has trainable weights"):
        model.compile()


def test_f_that_does_not_take_the_source_images(f, domains):
    with pytest.raises(GANConfigError, match="f must accept the source images"):
        DomainTransferNetwork(copy_of(f), data_shape=(32, 32, 1), filters=4)
    model = DomainTransferNetwork(copy_of(f), filters=4)
    model.compile()
    x_t = domains["target"][0][:32]
    x_16 = resize_images(domains["source"][0][:32], 16)
    with pytest.raises(GANInputError, match=r"Source images have shape \(16, 16, 1\)"):
        model.fit((x_16, x_t), batch_size=32, verbose=0)
    with pytest.raises(GANInputError, match="Source images"):
        model.translate(x_16)


def test_single_domain_and_labelled_data_are_refused(f, domains):
    model = DomainTransferNetwork(copy_of(f), filters=4)
    model.compile()
    x, y = domains["source"]
    with pytest.raises(GANInputError, match="single-domain"):
        model.fit(x[:32], batch_size=32, verbose=0)
    with pytest.raises(GANInputError, match="takes no labels"):
        model.fit((x[:32], y[:32]), batch_size=32, verbose=0)


def test_bad_networks_name_the_problem(f):
    with pytest.raises(GANConfigError, match="needs a pretrained feature extractor"):
        DomainTransferNetwork(filters=4)
    with pytest.raises(GANConfigError, match="no layer 'codes'"):
        DomainTransferNetwork(copy_of(f), feature_layer="codes", filters=4)
    two_way = conv_classifier((28, 28, 1), 2, 4, feature_dim=8)
    with pytest.raises(GANConfigError, match="3 outputs"):
        DomainTransferNetwork(copy_of(f), discriminator=two_way, filters=4)


def test_total_variation_of_a_step_edge():
    img = np.zeros((1, 4, 4, 1), "float32")
    img[:, :, 2:] = 1.0  # one vertical edge: 3 of the 9 differences are 1
    tv = float(keras.ops.convert_to_numpy(total_variation(img)))
    np.testing.assert_allclose(tv, 3 / 9, rtol=1e-3)


# ---------------------------------------------------------------- the metric
def _labelled_images(n=37):
    """Image k is constant at y_k / 10: a perfect classifier reads the mean."""
    y = np.arange(n) % 10
    x = np.broadcast_to((y / 10.0)[:, None, None, None], (n, 4, 4, 1)).astype("float32")
    return x, y


def _perfect_classifier(x):
    labels = np.rint(x.mean(axis=(1, 2, 3)) * 10).astype(int) % 10
    return np.eye(10)[labels]  # class scores


def test_translation_accuracy_known_answers():
    x, y = _labelled_images()
    perfect = _perfect_classifier
    identity = translation_accuracy(lambda b: b, x, y, perfect, batch_size=8)
    assert identity == 1.0
    shift = translation_accuracy(lambda b: b + 0.1, x, y, perfect, batch_size=8)
    assert shift == 0.0  # every label k -> k + 1

    def half(b):  # translate only images with an even label correctly
        labels = np.rint(b.mean(axis=(1, 2, 3)) * 10).astype(int)
        return np.where((labels % 2 == 0)[:, None, None, None], b, b + 0.1)

    expected = np.mean(y % 2 == 0)
    for batch_size in (1, 5, 256):
        got = translation_accuracy(half, x, y, perfect, batch_size=batch_size)
        assert got == pytest.approx(expected)
    # a classifier that returns class ids works the same
    ids = translation_accuracy(lambda b: b, x, y, lambda b: perfect(b).argmax(-1))
    assert ids == 1.0
    with pytest.raises(ValueError, match="one label per source image"):
        translation_accuracy(lambda b: b, x, y[:-1], _perfect_classifier)


# ---------------------------------------------------------------- training
@pytest.mark.slow
def test_trained_dtn_beats_an_untrained_one(domains, f, target_classifier):
    """57 steps (3 epochs of 600 images) lift the share of translations that
    keep their class well above an untrained DTN's. Margin 0.1; measured on
    the source test images: untrained 0.114 on every backend, trained 0.340
    (JAX), 0.335 (TensorFlow), 0.300 (PyTorch). The target classifier reads real
    target test images at ~0.75, which bounds what a translation can score."""
    x_test, y_test = domains["source_test"]
    assert classifier_accuracy(target_classifier, *domains["target_test"]) > 0.6
    keras.utils.set_random_seed(0)
    model = DomainTransferNetwork(copy_of(f), filters=8, seed=0)
    model.compile(
        decoder_optimizer=keras.optimizers.Adam(2e-3, beta_1=0.5),
        discriminator_optimizer=keras.optimizers.Adam(2e-3, beta_1=0.5),
    )
    untrained = translation_accuracy(model.translate, x_test, y_test, target_classifier)
    x_s, x_t = domains["source"][0], domains["target"][0]
    model.fit((x_s, x_t), batch_size=32, epochs=3, shuffle=True, verbose=0)
    trained = translation_accuracy(model.translate, x_test, y_test, target_classifier)
    print(f"translation accuracy: untrained {untrained:.3f}, trained {trained:.3f}")
    assert trained > untrained + 0.1, (untrained, trained)
