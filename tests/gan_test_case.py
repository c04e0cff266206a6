"""The shared test mixin: every variant runs these checks on every backend.

A variant's test class sets ``make_model()`` (a small model) and ``data()``
(``(x, y)`` with y None for unconditional models) and inherits the checks.
Variants that are not a single generator against a single discriminator
(encoders, two-domain translators) override the hooks ``fit_data()``,
``samples(model, n, seed)``, ``sample_shape()`` and ``probe_outputs(model)``.
"""

from __future__ import annotations

import os

import keras
import numpy as np
import pytest


def weights_of(variables):
    return [np.array(keras.ops.convert_to_numpy(v)) for v in variables]


def changed(before, after, atol=0.0):
    return any(not np.allclose(b, a, rtol=0.0, atol=atol) for b, a in zip(before, after))


# One trained model per test class, shared by the checks that only read a
# trained model (see GANTestMixin.trained).
_TRAINED = {}


class GANTestMixin:
    batch_size = 32
    steps = 2
    seed = 7

    def make_model(self, seed=1):
        raise NotImplementedError

    def data(self):
        raise NotImplementedError

    def fit_data(self, n):
        """``(x, y)`` for ``model.fit``: the first ``n`` samples."""
        x, y = self.data()
        return x[:n], None if y is None else y[:n]

    def fit(self, model, steps=None, epochs=1):
        x, y = self.fit_data(self.batch_size * (steps or self.steps))
        return model.fit(x, y, batch_size=self.batch_size, epochs=epochs, shuffle=False,
                         verbose=0)

    def trained(self):
        """``(model, history, weights)``: ``make_model(seed=7)`` after
        ``keras.utils.set_random_seed(7)``, compiled and fitted for ``steps``,
        with its weights right after that fit. Trained once per test class and
        shared by the checks that read it (the logs, both round trips, and one
        of the two seeded runs): each of them used to train its own."""
        key = type(self)
        if key not in _TRAINED:
            keras.utils.set_random_seed(self.seed)
            model = self.make_model(seed=self.seed)
            model.compile()
            history = self.fit(model)
            _TRAINED[key] = (model, history, weights_of(model.weights))
        return _TRAINED[key]

    # ------------------------------------------------------------------ hooks
    def samples(self, model, n, seed):
        _, y = self.data()
        return model.generate(n, labels=None if y is None else y[:n], seed=seed)

    def sample_shape(self):
        return self.data()[0].shape[1:]

    def probe_outputs(self, model):
        """Deterministic outputs of every network, to compare two models."""
        x, y = self.data()
        samples = self.samples(model, 8, seed=3)
        d_in = [x[:8], keras.ops.convert_to_numpy(model.one_hot(y[:8]))] if y is not None else x[:8]
        scores = keras.ops.convert_to_numpy(model.discriminator(d_in, training=False))
        return samples, scores

    # ------------------------------------------------------------------ checks
    @pytest.mark.slow  # compiles a step of this variant
    def test_fit_logs_finite_losses(self):
        model, history, _ = self.trained()
        for name in model.tracked_terms:
            assert name in history.history, f"{name} missing from the progress logs"
            assert np.all(np.isfinite(history.history[name])), (name, history.history[name])

    @pytest.mark.slow  # compiles a step of this variant
    def test_each_phase_updates_only_its_players(self):
        probe = self.make_model()
        for phase in probe.phases():
            model = self.make_model()
            model.compile()
            only = [p for p in model.phases() if p.name == phase.name]
            model.phases = lambda only=only: only
            before = {p: weights_of(model.player_variables(p)) for p in model.players}
            self.fit(model, steps=1)
            for player in model.players:
                after = weights_of(model.player_variables(player))
                moved = changed(before[player], after)
                if player in phase.players:
                    assert moved, f"phase {phase.name} did not update {player}"
                else:
                    assert not moved, f"phase {phase.name} changed {player}"

    def test_generate_shape_and_range(self):
        model = self.make_model()
        out = self.samples(model, 10, seed=0)
        assert out.shape == (10, *self.sample_shape())
        assert np.all(np.isfinite(out))
        if model.data_range is not None:
            lo, hi = model.data_range
            assert out.min() >= lo - 1e-6 and out.max() <= hi + 1e-6
        again = self.samples(model, 10, seed=0)
        np.testing.assert_array_equal(out, again)

    @pytest.mark.slow  # compiles a step of this variant
    def test_keras_file_round_trip(self, tmp_path):
        model = self.trained()[0]
        path = os.path.join(tmp_path, "model.keras")
        model.save(path)
        loaded = keras.saving.load_model(path)
        assert type(loaded) is type(model)
        for a, b in zip(self.probe_outputs(model), self.probe_outputs(loaded)):
            np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6)
        # optimizer state came back too: the next step is the same on both
        for player in model.players:
            mo = model.player_optimizers[player]
            lo = loaded.player_optimizers[player]
            assert type(mo) is type(lo)
            assert int(keras.ops.convert_to_numpy(lo.iterations)) == int(
                keras.ops.convert_to_numpy(mo.iterations)
            ) > 0
            for a, b in zip(weights_of(mo.variables), weights_of(lo.variables)):
                np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)

    @pytest.mark.slow  # compiles a step of this variant
    def test_weights_round_trip(self, tmp_path):
        model = self.trained()[0]
        path = os.path.join(tmp_path, "gan.weights.h5")
        model.save_weights(path)
        other = self.make_model(seed=99)
        other.load_weights(path)
        for a, b in zip(self.probe_outputs(model), self.probe_outputs(other)):
            np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6)

    @pytest.mark.slow  # compiles a step of this variant
    def test_seeded_run_repeats_exactly(self):
        # The shared trained model is the first run (its weights as the fit
        # left them); this is the second, made the same way.
        first = self.trained()[2]
        keras.utils.set_random_seed(self.seed)
        model = self.make_model(seed=self.seed)
        model.compile()
        self.fit(model)
        second = weights_of(model.weights)
        assert len(first) == len(second)
        for a, b in zip(first, second):
            np.testing.assert_array_equal(a, b)

    def test_config_round_trip(self):
        model = self.make_model()
        clone = type(model).from_config(model.get_config())
        assert clone.get_config().keys() == model.get_config().keys()
        assert [w.shape for w in clone.weights] == [w.shape for w in model.weights]
