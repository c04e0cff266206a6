"""GANModel: players, their optimizers, and a schedule of phases."""

from __future__ import annotations

import keras
import numpy as np
from keras import ops
from keras.src.trainers.compile_utils import MetricsList

from keras_gans.augment import DiffAugment
from keras_gans.core import backend_steps, processes, replicas, torch_engine
from keras_gans.core.batches import (
    UNCHECKED,
    check_training_array,
    first_batch,
    shape_hint,
)
from keras_gans.core.capabilities import CapabilitiesMixin
from keras_gans.core.ema import EMAMixin
from keras_gans.core.inference import InferenceMixin
from keras_gans.core.replicas import replica_random
from keras_gans.errors import GANConfigError, GANInputError


class GANModel(CapabilitiesMixin, EMAMixin, InferenceMixin, keras.Model):
    """Base class of every keras_gans variant.

    A GAN is a few *players* (networks held as attributes of the same name), each
    with its own optimizer, and a list of *phases* (``phases()``): each phase
    computes one loss with ``keras.ops`` and updates only its players' variables.
    The training step is Keras' own: ``model.fit`` drives it on TensorFlow
    (``tf.function``), JAX (``jax.jit`` of the stateless step) and PyTorch.

    Subclasses set ``players`` and ``tracked_terms``, build their networks and
    implement ``phases()``, ``default_optimizer(player)`` and ``generate``-related
    hooks.
    """

    players: tuple = ("generator", "discriminator")
    tracked_terms: tuple = ("d_loss", "g_loss")

    # Whether the discriminator sees images that DiffAugment can transform; a
    # variant whose discriminator sees something else (AAE's latent codes)
    # sets this to the reason it refuses ``augment=``.
    augment_refusal: str | None = None

    def __init__(self, seed=None, augment=None, ema_decay=None, **kwargs):
        super().__init__(**kwargs)
        # Built inside keras_gans.distribute's torch engine scope: fit trains
        # across the torch processes (as a model built in a tf.distribute
        # strategy's scope does on TensorFlow).
        self._torch_engine = torch_engine.torch_engine_of_new_model()
        self.seed = seed
        if ema_decay is not None and not 0.0 <= float(ema_decay) < 1.0:
            raise GANConfigError(
                f"ema_decay must be in [0, 1) (e.g. 0.999; None = no moving average); "
                f"got {ema_decay}.")
        self.ema_decay = None if ema_decay is None else float(ema_decay)
        self.diff_augment = None
        if augment is not None:
            if self.augment_refusal:
                raise GANConfigError(
                    f"{type(self).__name__} does not take augment=: "
                    f"{self.augment_refusal} Drop augment=."
                )
            self.diff_augment = DiffAugment(augment)
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.trackers = [keras.metrics.Mean(name=n) for n in self.tracked_terms]
        for tracker in self.trackers:
            # Every tracked term is a loss or penalty that its player minimises:
            # Keras' monitoring callbacks read this (mode="auto").
            tracker._direction = "down"
        self.player_optimizers = {}

    # ------------------------------------------------------------------ saving
    SEED_STATE_KEY = "seed_generator_state"

    def save_own_variables(self, store):
        """Also save the seed generator's state (Keras keeps it out of
        ``weights``), so a run resumed from a checkpoint draws the same noise as
        an uninterrupted run would have."""
        super().save_own_variables(store)
        store[self.SEED_STATE_KEY] = self.seed_generator.state

    def load_own_variables(self, store):
        if self.SEED_STATE_KEY in store.keys():  # noqa: SIM118 (a store)
            self.seed_generator.state.assign(store[self.SEED_STATE_KEY])
            store = _StoreWithout(store, self.SEED_STATE_KEY)
        super().load_own_variables(store)  # files written before it: as before

    @classmethod
    def from_preset(cls, name, load_weights=True):
        """A pretrained model from the zoo by name (``keras_gans.presets``):
        ``DCGAN.from_preset("dcgan_mnist")``. A variant class refuses a preset
        of another variant; ``GANModel.from_preset`` loads any."""
        from keras_gans.preset_files import from_preset

        return from_preset(name, load_weights=load_weights,
                           expected_class=None if cls is GANModel else cls)

    # ------------------------------------------------------------------ players
    def player_variables(self, player):
        return list(getattr(self, player).trainable_variables)

    def phase_variables(self, phase):
        variables = []
        for player in phase.players:
            variables.extend(self.player_variables(player))
        return variables

    def phases(self):
        raise NotImplementedError

    def default_optimizer(self, player):
        raise NotImplementedError

    # ------------------------------------------------------------------ compile
    def compile(
        self,
        optimizer=None,
        *,
        run_eagerly=False,
        jit_compile="auto",
        steps_per_execution=1,
        **player_optimizers,
    ):
        """Configure one optimizer per player.

        Args:
            generator_optimizer, discriminator_optimizer, ...: one
                ``keras.optimizers.Optimizer`` (or its name or config) per player,
                named ``<player>_optimizer``. A player left out gets the paper's
                default (``default_optimizer``).
            run_eagerly, jit_compile, steps_per_execution: as in
                ``keras.Model.compile``.

        Each optimizer is renamed after its player (``generator``,
        ``discriminator``, ...), so Keras' learning-rate callbacks log
        ``learning_rate_generator`` and so on.
        """
        names = {f"{p}_optimizer": p for p in self.players}
        if optimizer is not None:
            raise GANConfigError(
                f"{type(self).__name__} has {len(self.players)} players and each "
                "needs its own optimizer: pass "
                + ", ".join(f"{n}=" for n in names)
                + " instead of optimizer=."
            )
        unknown = sorted(set(player_optimizers) - set(names))
        if unknown:
            raise GANConfigError(
                f"Unknown argument(s) {unknown} to {type(self).__name__}.compile(); "
                f"the players' optimizers are {sorted(names)}."
            )
        chosen = {}
        for arg, player in names.items():
            opt = player_optimizers.get(arg)
            if opt is None:
                opt = self.default_optimizer(player)
            opt = keras.optimizers.get(opt)
            if any(opt is other for other in chosen.values()):
                raise GANConfigError(
                    f"The same optimizer instance was given to two players "
                    f"({arg}). Each player needs its own optimizer: create one "
                    "per player (an optimizer holds per-variable state)."
                )
            chosen[player] = opt
        for player, opt in chosen.items():
            opt.name = player
        self.player_optimizers = chosen
        selector = _PlayerSelector(self)
        super().compile(
            # Under the mixed_float16 policy Keras wraps this in a
            # LossScaleOptimizer (one dynamic loss scale for the model, saved
            # and carried in the JAX state with the optimizers); the phases
            # scale, unscale and skip with it (core/loss_scaling.py).
            optimizer=keras.optimizers.MultiOptimizer(selector),
            run_eagerly=run_eagerly,
            jit_compile=jit_compile,
            steps_per_execution=steps_per_execution,
        )
        self._compile_config = keras.src.saving.serialization_lib.SerializableDict(
            run_eagerly=run_eagerly,
            jit_compile=jit_compile,
            steps_per_execution=steps_per_execution,
            **{f"{p}_optimizer": o for p, o in chosen.items()},
        )
        self.optimizer.build(self.trainable_variables)

    def get_compile_config(self):
        """The compile arguments, each optimizer saved as its public
        ``keras.optimizers`` class (Keras would name the backend's own class,
        e.g. PyTorch's ``torch_adam.Adam``, which no other backend can train)."""
        config = super().get_compile_config()
        if config:
            for player, opt in self.player_optimizers.items():
                config[f"{player}_optimizer"] = public_optimizer_config(
                    keras.saving.serialize_keras_object(opt))
        return config

    def compile_from_config(self, config):
        config = {
            k: public_optimizer_config(v) if k.endswith("_optimizer") else v
            for k, v in config.items()
        }
        config = keras.saving.deserialize_keras_object(config)
        self.compile(**config)

    # ------------------------------------------------------------------ metrics
    @property
    def metrics(self):
        # In a MetricsList: Keras' monitoring callbacks look for a metric's
        # direction only there (EarlyStopping(monitor="g_loss"), ...).
        return [_LossTrackers(self.trackers)]

    @property
    def metrics_names(self):
        return [t.name for t in self.trackers]

    def update_trackers(self, logs):
        for tracker in self.trackers:
            if tracker.name in logs:
                tracker.update_state(logs[tracker.name])
        return {t.name: t.result() for t in self.trackers}

    # ------------------------------------------------------------------ training
    def train_step(self, *args):
        if keras.backend.backend() == "jax":
            from keras_gans.core import jax_step

            return jax_step.train_step(self, *args)
        (data,) = args
        batch = self.prepare_batch(data)
        logs = {}
        for phase in self.training_phases():
            for _ in range(phase.repeats):
                logs.update(backend_steps.run_phase_stateful(self, phase, batch))
        self.optimizer.iterations.assign_add(1)
        logs = self.update_trackers(torch_engine.reduce_logs(self, logs))
        return replicas.multi_worker_logs(logs)

    def prepare_batch(self, data):
        """Turn what ``fit`` yields (``x`` or ``(x, y)``) into a dict batch."""
        x, y, _ = keras.utils.unpack_x_y_sample_weight(data)
        if isinstance(x, (list, tuple)) and len(x) == 2 and y is None:
            x, y = x
        return {"x": ops.cast(x, self.compute_dtype), "y": y}

    # ------------------------------------------------------------------ fit
    def fit(self, x=None, y=None, *args, **kwargs):
        if not self.compiled:
            raise GANConfigError(
                f"Call {type(self).__name__}.compile() before fit(): it sets each "
                "player's optimizer (with no arguments it uses the paper's)."
            )
        if kwargs.get("validation_data") is not None or kwargs.get(
            "validation_split"
        ):
            raise GANConfigError(
                "GANs have no validation loss; drop validation_data/"
                "validation_split and evaluate samples with keras_gans.metrics."
            )
        self.validate_data(x, y)
        batch_size = kwargs.get("batch_size", args[0] if args else None)
        replicas.check_fit(self, x, y, batch_size)
        # Several processes: every one is given the same data and the global
        # batch size; each keeps its own rows of every global batch.
        x, y, local_batch, sharded = processes.process_inputs(self, x, y, batch_size)
        if sharded and local_batch is not None:
            if args:
                args = (local_batch, *args[1:])
            else:
                kwargs["batch_size"] = local_batch
        with processes.collective_errors(self), replicas.synchronized_batch_norm(self), \
                torch_engine.torch_fit(self), processes.own_rows(self, sharded), \
                self._keep_state():
            return super().fit(x, y, *args, **kwargs)

    def _maybe_symbolic_build(self, iterator=None, data_batch=None):
        # TensorFlow's trainer only: see replicas.first_batch_mean.
        batch = replicas.first_batch_mean(self, iterator)
        if batch is not None:
            iterator, data_batch = None, batch
        return super()._maybe_symbolic_build(iterator=iterator, data_batch=data_batch)

    def validate_data(self, x, y=None):
        """Check the first batch (or the whole array) before training starts."""
        first_x, first_y = first_batch(x, y)
        if first_x is UNCHECKED:  # e.g. a Python generator: peeking would consume it
            return
        if first_x is None:
            raise GANInputError(
                "The dataset is empty: fit() got no samples. Check the path or "
                "the filter that built it."
            )
        self.check_batch(np.asarray(first_x), None if first_y is None else np.asarray(first_y))

    def check_batch(self, x, y=None):
        """Raise ``GANInputError`` if ``x`` (numpy) cannot train this model."""
        check_training_array(x, self.data_shape, model=type(self).__name__,
                             items="Samples", subject="The dataset",
                             shape_hint=shape_hint, value_range=self.data_range)

    # ------------------------------------------------------------------ sampling

    @property
    def data_shape(self):
        """One sample's shape: the discriminator's input. A variant whose
        discriminator sees something else (codes, pairs) overrides it."""
        return tuple(self.discriminator.inputs[0].shape[1:])

    @property
    def data_range(self):
        """What the generator produces: images come out of a tanh; vectors
        (2-D mixtures) are unbounded (None: no range check)."""
        return (-1.0, 1.0) if len(self.data_shape) > 1 else None

    def random_normal(self, shape):
        """``shape[0]`` is the batch axis: on TensorFlow replicas each draws its
        own rows of the global batch's noise (``replicas.replica_random``)."""
        return replica_random(keras.random.normal, shape, self.seed_generator)

    def random_uniform(self, shape):
        return replica_random(keras.random.uniform, shape, self.seed_generator)

    def sampling_draws(self, seed=None):
        """``(normal, uniform)``: functions ``shape -> array`` for sampling.

        With an int ``seed`` they draw from numpy's PCG64, so one seed gives the
        same latent codes, and so the same images, on every backend (a preset's
        stored output check relies on it); with ``None`` they draw from the
        model's own seed generator.
        """
        if seed is None:
            return (lambda s: keras.random.normal(s, seed=self.seed_generator),
                    lambda s: keras.random.uniform(s, seed=self.seed_generator))
        import numpy as np

        rng = np.random.default_rng(int(seed))
        return (lambda s: ops.convert_to_tensor(rng.standard_normal(s).astype("float32")),
                lambda s: ops.convert_to_tensor(rng.uniform(size=s).astype("float32")))

    def one_hot(self, y):
        """Class ids (N,) or one-hot (N, num_classes) -> one-hot in the compute dtype,
        for the variants that take labels (they set ``num_classes``)."""
        if not hasattr(y, "shape"):  # a list; tensors (symbolic ones too) stay
            y = ops.convert_to_tensor(y)
        if len(y.shape) == 2 and y.shape[-1] == self.num_classes:
            return ops.cast(y, self.compute_dtype)
        y = ops.reshape(ops.cast(y, "int32"), (-1,))
        return ops.one_hot(y, self.num_classes, dtype=self.compute_dtype)

    # ------------------------------------------------------------------ augmentation
    @property
    def augment(self):
        """The DiffAugment policy string, or None."""
        return self.diff_augment.policy if self.diff_augment else None

    def check_augment(self, data_shape=None):
        """Variants call this once their networks exist: ``augment=`` needs
        images (H, W, C) where the discriminator reads them."""
        if self.diff_augment is not None:
            self.diff_augment.check_images(
                self.data_shape if data_shape is None else data_shape,
                type(self).__name__,
            )

    def augment_params(self, x):
        """Fresh DiffAugment parameters for the batch ``x`` (None when off)."""
        if self.diff_augment is None:
            return None
        return self.diff_augment.sample(x, self.random_uniform)

    def augment_images(self, x, params=None):
        """``x`` as the discriminator sees it: DiffAugment with fresh parameters
        from the model's seed generator (or ``params``); ``x`` unchanged when
        ``augment`` is off. Call it on every real and generated batch on its way
        into a discriminator, in every phase."""
        if self.diff_augment is None:
            return x
        if params is None:
            params = self.augment_params(x)
        return self.diff_augment.apply(x, params)

    # ------------------------------------------------------------------ config
    #: The networks a config holds whole (serialized by get_config, rebuilt by
    #: from_config and passed to the constructor by name): the players, unless
    #: a variant also holds a network no phase trains (the DTN's fixed f).
    config_networks: tuple | None = None

    def get_config(self):
        config = {"name": self.name, "seed": self.seed, "augment": self.augment}
        if self.ema_decay is not None:  # configs without one load as before
            config["ema_decay"] = self.ema_decay
        for key in self.config_networks or self.players:
            config[key] = keras.saving.serialize_keras_object(getattr(self, key))
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        for key in cls.config_networks or cls.players:
            config[key] = keras.saving.deserialize_keras_object(config[key])
        return cls(**config)


def as_float32(x):
    """A network's output as a float32 numpy array: under a mixed-precision
    policy networks compute in float16/bfloat16, but samples, translations and
    codes handed to the user are float32 on every backend."""
    return np.asarray(keras.ops.convert_to_numpy(keras.ops.cast(x, "float32")))


def public_optimizer_config(config):
    """A serialized optimizer naming its public ``keras.optimizers`` class
    instead of a backend's own (``keras.src.backend.torch...torch_adam``), so
    that ``keras.optimizers.get`` builds the loading backend's optimizer."""
    if not isinstance(config, dict):
        return config
    module = config.get("module") or ""
    name = config.get("class_name")
    if module.startswith("keras.src.backend.") and hasattr(keras.optimizers, name or ""):
        config = dict(config, module="keras.optimizers", registered_name=None)
    return config


class _LossTrackers(MetricsList):
    """The model's loss trackers as one ``MetricsList``: where Keras'
    ``MonitorCallback`` reads each metric's direction."""

    def __init__(self, trackers):
        super().__init__(list(trackers), name="gan_losses")

    def result(self):
        return {m.name: m.result() for m in self.metrics}


class _StoreWithout:
    """A read-only view of a weights store without one key."""

    def __init__(self, store, key):
        self._store, self._key = store, key

    def keys(self):
        return [k for k in self._store.keys() if k != self._key]  # noqa: SIM118 (a store)

    def __getitem__(self, key):
        return self._store[key]

    def __contains__(self, key):
        return key != self._key and key in self._store.keys()  # noqa: SIM118 (a store)

    def __len__(self):
        return len(self.keys())


class _PlayerSelector:
    """Maps each trainable variable to its player's optimizer (MultiOptimizer)."""

    def __init__(self, model):
        self.model = model

    def __call__(self, variable):
        for player in self.model.players:
            if any(variable is v for v in self.model.player_variables(player)):
                return self.model.player_optimizers[player]
        raise GANConfigError(
            f"Variable {variable.path} belongs to no player of "
            f"{type(self.model).__name__}; players are {self.model.players}."
        )
