"""A moving average of a variant's sampling networks (``ema_decay=``), mixed
into ``GANModel``: the copies, the update phase and which network samples."""

from __future__ import annotations

import keras
from keras import ops

from keras_gans.core.phase import Phase


class EMAMixin:
    """``<name>_ema`` copies of ``sampling_networks``, updated by the step's
    last phase (docs/ema.md). ``GANModel.__init__`` sets ``ema_decay``."""

    #: The networks samples come from. With ``ema_decay`` each gets an
    #: exponential moving average of its weights, ``<name>_ema``, updated by a
    #: last phase of every training step and used by ``generate``/``translate``.
    sampling_networks: tuple = ("generator",)

    def build_ema(self):
        """Create the moving-average copies of ``sampling_networks`` (when
        ``ema_decay`` is set): same architecture, not trainable, starting equal.
        A variant calls it once its networks exist."""
        if self.ema_decay is None:
            return
        for name in self.sampling_networks:
            network = getattr(self, name)
            config = keras.saving.serialize_keras_object(network)
            config["config"]["name"] = f"{name}_ema"
            copy = keras.saving.deserialize_keras_object(config)
            copy.set_weights(network.get_weights())
            copy.trainable = False
            setattr(self, f"{name}_ema", copy)

    def sampler(self, name="generator", ema=True):
        """The network ``name`` samples come from: its moving average when
        there is one and ``ema``, else the trained network."""
        if ema and self.ema_decay is not None:
            return getattr(self, f"{name}_ema")
        return getattr(self, name)

    def ema_beta(self):
        """β of this step's average: ``min(ema_decay, (1 + t) / (10 + t))`` at
        step t, the warm-up of ``tf.train.ExponentialMovingAverage``. Without
        it the average of a short run is mostly the random initial weights
        (0.999^938 = 0.39 of it after one MNIST epoch at batch 64)."""
        t = ops.cast(self.optimizer.iterations, "float32")
        return ops.minimum(ops.convert_to_tensor(self.ema_decay, "float32"),
                           (1.0 + t) / (10.0 + t))

    def update_ema(self, batch):
        """A phase of no players: θ_ema ← β θ_ema + (1 - β) θ for every weight
        (BatchNorm statistics included), after the step's updates."""
        beta = self.ema_beta()
        for name in self.sampling_networks:
            pairs = zip(getattr(self, f"{name}_ema").weights, getattr(self, name).weights)
            for e, v in pairs:
                v = ops.cast(v, e.dtype)
                e.assign(v + ops.cast(beta, e.dtype) * (e - v))
        return ops.zeros((), "float32"), {}

    def training_phases(self):
        """``phases()``, then the moving average's update when there is one."""
        phases = list(self.phases())
        if self.ema_decay is not None:
            phases.append(Phase("ema", (), self.update_ema))
        return phases

