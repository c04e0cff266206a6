"""Every variant answers the capability questions that export, inversion, the
presets and the command line ask (keras_gans/core/capabilities.py), and a new
variant written in one file works through those paths unchanged
(docs/architecture.md, "Adding a variant")."""

import json
import pathlib
import re

import keras
import numpy as np
import pytest
from keras import ops

import keras_gans as kg
from keras_gans import export, inversion, presets
from keras_gans.cli import main
from keras_gans.core.capabilities import SAMPLE_SOURCES, NetworkTarget
from keras_gans.core.gan_model import GANModel, as_float32
from keras_gans.core.phase import Phase
from keras_gans.errors import GANConfigError, GANInputError
from keras_gans.losses import log_d_loss, non_saturating_g_loss
from keras_gans.models import VARIANTS, get_variant
from keras_gans.networks import mlp_discriminator, mlp_generator
from keras_gans.networks.classifier import conv_classifier


def _f():
    return conv_classifier((28, 28, 1), 10, 4, feature_dim=8, seed=0, name="f")


# The smallest build of every registered variant: a variant added to VARIANTS
# without a line here fails test_every_variant_has_a_small_build.
SMALL = {
    "gan": lambda: kg.GAN(data_shape=(8, 8, 1), latent_dim=4, hidden=(16,)),
    "conditional_gan": lambda: kg.ConditionalGAN(data_shape=(8, 8, 1), num_classes=3,
                                                 latent_dim=4),
    "dcgan": lambda: kg.DCGAN(data_shape=(28, 28, 1), latent_dim=4, filters=4),
    "wgan": lambda: kg.WGAN(data_shape=(28, 28, 1), latent_dim=4, filters=4),
    "wgan_gp": lambda: kg.WGANGP(data_shape=(28, 28, 1), latent_dim=4, filters=4),
    "lsgan": lambda: kg.LSGAN(data_shape=(28, 28, 1), latent_dim=4, filters=4),
    "bigan": lambda: kg.BiGAN(data_shape=(8, 8, 1), latent_dim=4, hidden=(16,)),
    "aae": lambda: kg.AdversarialAutoencoder(data_shape=(8, 8, 1), latent_dim=4,
                                             hidden=(16,), supervised=True, num_classes=3),
    "aae_semisupervised": lambda: kg.SemiSupervisedAAE(data_shape=(8, 8, 1), num_classes=3,
                                                       latent_dim=4, hidden=(16,)),
    "cyclegan": lambda: kg.CycleGAN(data_shape_a=(16, 16, 1), data_shape_b=(16, 16, 3),
                                    filters=4, n_blocks=1, pool_size=0),
    "discogan": lambda: kg.DiscoGAN(data_shape=(16, 16, 1), filters=4),
    "dtn": lambda: kg.DomainTransferNetwork(_f(), filters=4),
    "stylegan": lambda: kg.StyleGAN(data_shape=(8, 8, 1), latent_dim=8, channels=8,
                                    mapping_layers=1, ema_decay=0.9),
}


def test_every_variant_has_a_small_build():
    assert set(SMALL) == set(VARIANTS), (
        "add the new variant's smallest build to SMALL in tests/test_capabilities.py")


def _inputs(model, direction=None, n=3, seed=0):
    """Random inputs for the serving network, as ``sample_inputs`` describes them."""
    rng = np.random.default_rng(seed)
    out = []
    for name, shape in model.sample_inputs(direction).items():
        if name == "label":
            out.append(model.balanced_labels(n).astype("int32"))
        elif name == "image":
            out.append(rng.uniform(-1, 1, (n, *shape)).astype("float32"))
        else:
            out.append(rng.standard_normal((n, *shape)).astype("float32"))
    return out


def _run(network, inputs):
    return as_float32(network(inputs[0] if len(inputs) == 1 else inputs, training=False))


@pytest.fixture(scope="module", params=sorted(SMALL))
def variant(request):
    name = request.param
    return name, SMALL[name]()


def test_what_it_samples_from_is_consistent(variant):
    name, model = variant
    assert isinstance(model, VARIANTS[name]) and isinstance(model, GANModel)
    assert model.samples_from in SAMPLE_SOURCES
    inputs = model.sample_inputs()
    if model.samples_from == "image":
        assert model.directions and model.label_classes is None
        for d in model.directions:
            assert list(model.sample_inputs(d)) == ["image"]
        assert model.sample_inputs(model.directions[0])["image"] == tuple(model.data_shape_a)
        with pytest.raises(GANConfigError, match="direction"):
            model.sample_inputs("sideways")
        assert model.balanced_labels(5) is None
    else:
        assert not model.directions
        assert inputs["z"] == (model.latent_size(),)
        assert ("label" in inputs) == (model.samples_from == "noise+label")
        assert ("label" in inputs) == bool(model.label_classes)
        if model.label_classes:
            k = model.label_classes
            np.testing.assert_array_equal(model.balanced_labels(2 * k + 1),
                                          np.arange(2 * k + 1) % k)
        else:
            assert model.balanced_labels(5) is None
    if VARIANTS[name].needs_labels:  # asked of the class: it cannot be built without labels
        assert model.label_classes
        with pytest.raises(GANConfigError, match="num_classes"):
            VARIANTS[name](data_shape=model.data_shape)


def test_serving_network_takes_what_sample_inputs_says(variant):
    _, model = variant
    directions = model.directions or (None,)
    for d in directions:
        network = model.serving_network(direction=d or "a2b")
        assert isinstance(network, keras.Model)
        described = model.sample_inputs(d)
        assert [t.name.split(":")[0] for t in network.inputs] == list(described)
        assert [tuple(t.shape[1:]) for t in network.inputs] == list(described.values())
        inputs = _inputs(model, d)
        out = _run(network, inputs)
        assert np.all(np.isfinite(out))
        if model.samples_from == "image":
            # the served network is the model's own translation
            # (the one-way DTN's translate takes no direction)
            kwargs = {"direction": d} if len(model.directions) > 1 else {}
            np.testing.assert_allclose(out, model.translate(inputs[0], **kwargs), atol=1e-5)
            target = model.data_shape_b if d == "a2b" else model.data_shape_a
            assert out.shape == (3, *target)
        else:
            assert out.shape == (3, *model.data_shape)
        # export's specs are the same inputs, batch axis free
        _, specs = export.serving_network(model, direction=d or "a2b")
        assert [s.shape for s in specs] == [(None, *s) for s in described.values()]


def test_one_hot_serving_takes_one_hot_labels(variant):
    _, model = variant
    if not model.label_classes:
        pytest.skip("not conditional")
    z, labels = _inputs(model)
    int_net = model.serving_network(labels="int")
    hot_net = model.serving_network(labels="one_hot")
    assert tuple(hot_net.inputs[1].shape[1:]) == (model.label_classes,)
    one_hot = np.eye(model.label_classes, dtype="float32")[labels]
    np.testing.assert_allclose(_run(int_net, [z, labels]), _run(hot_net, [z, one_hot]),
                               atol=1e-6)
    with pytest.raises(GANConfigError, match="labels must be one of"):
        model.serving_network(labels="words")


def test_output_check_is_seeded_and_says_how(variant):
    _, model = variant
    check = presets.output_check(model, seed=3, n=2, size=8)
    again = presets.output_check(model, seed=3, n=2, size=8)
    assert check == again and np.asarray(check["values"]).shape == (2, 8)
    json.dumps(check)  # stored in metadata.json
    expected_method = "translate" if model.samples_from == "image" else "generate"
    assert check["method"] == expected_method
    if expected_method == "generate":
        labels = model.balanced_labels(2)
        assert check["labels"] == (None if labels is None else labels.tolist())
    expected, got = presets.run_output_check(model, check)
    np.testing.assert_array_equal(expected, got)


def test_inversion_target_or_a_clear_refusal(variant):
    _, model = variant
    if model.samples_from == "image":
        with pytest.raises(GANInputError, match="translates images.*translate"):
            model.inversion_target()
        with pytest.raises(GANInputError, match="no latent code"):
            inversion.project(model, np.zeros((1, *model.data_shape), "float32"), steps=1)
        return
    target = model.inversion_target()
    assert target.data_shape == tuple(model.data_shape)
    assert target.num_classes == model.label_classes
    labels = model.balanced_labels(2)
    onehot = None if labels is None else np.eye(model.label_classes, dtype="float32")[labels]
    images = model.generate(2, labels=labels, seed=0)
    start = target.initial(images, onehot, 2, np.random.default_rng(0))
    assert start.shape == (4, target.latent_dim) and start.dtype == np.float32
    decoded = as_float32(target.images(ops.convert_to_tensor(start[:2]),
                                       None if onehot is None else ops.convert_to_tensor(onehot)))
    assert decoded.shape == (2, *model.data_shape)
    result = inversion.project(model, np.clip(images, -1, 1), labels=labels, steps=2)
    assert result.latents.shape == (2, target.latent_dim)
    assert result.space == target.space


# the variants whose latent space `keras-gans interpolate` walks
WALKS = {"gan", "conditional_gan", "dcgan", "wgan", "wgan_gp", "lsgan", "stylegan"}


def test_latent_walk_or_a_clear_refusal(variant):
    name, model = variant
    if name not in WALKS:
        with pytest.raises(GANInputError, match="has none it can walk"):
            model.generate_from_latent(np.zeros((2, 4), "float32"))
        return
    z = np.random.default_rng(0).standard_normal((2, model.latent_size())).astype("float32")
    out = model.generate_from_latent(z, model.balanced_labels(2))
    assert out.shape == (2, *model.data_shape) and np.all(np.isfinite(out))


def test_no_variant_chains_outside_models():
    """Code outside models/ asks the model; it keeps no isinstance/hasattr
    chain over the variants (docs/architecture.md)."""
    root = pathlib.Path(kg.__file__).parent
    names = "|".join(cls.__name__ for cls in VARIANTS.values())
    chains = [
        rf"isinstance\([^)]*\b({names}|AdversarialGAN|TwoDomainGAN)\b",
        rf"__name__ == [\"']({names})[\"']",
        (r"hasattr\(\w*model\w*, [\"'](translate|mix_styles|generate_from_latent|"
         r"supervised|generate|num_ws)[\"']"),
        r"getattr\(\w*model\w*, [\"'](supervised|num_classes)[\"']",
        r"inspect\.signature\(\w*model\w*\.",
        r"\._features\b",
    ]
    found = []
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root).as_posix()
        if rel.startswith("models/"):
            continue
        text = path.read_text(encoding="utf-8")
        for pattern in chains:
            for m in re.finditer(pattern, text):
                line = text[: m.start()].count("\n") + 1
                found.append(f"keras_gans/{rel}:{line}: {m.group(0)}")
    assert not found, "variant chains outside models/ (ask the model):\n" + "\n".join(found)


# ---------------------------------------------------------------- a new variant
@keras.saving.register_keras_serializable(package="keras_gans_tests")
class TinyGAN(GANModel):
    """A variant written in one file, straight on GANModel: MLP players, the
    non-saturating game, z from U[-1, 1]. docs/architecture.md walks through it."""

    players = ("generator", "discriminator")
    tracked_terms = ("d_loss", "g_loss")

    def __init__(self, generator=None, discriminator=None, *, data_shape=None,
                 latent_dim=4, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.latent_dim = int(latent_dim)
        if generator is None or discriminator is None:
            generator = mlp_generator(self.latent_dim, tuple(data_shape), (16,), None, "tanh")
            discriminator = mlp_discriminator(tuple(data_shape), (16,))
        self.generator, self.discriminator = generator, discriminator
        self.check_augment()
        self.build_ema()
        self.built = True

    def default_optimizer(self, player):
        return keras.optimizers.Adam(1e-3, beta_1=0.5)

    def call(self, z, training=False):
        return self.generator(z, training=training)

    # the game
    def sample_latent(self, n, uniform=None):
        return 2.0 * (uniform or self.random_uniform)((n, self.latent_dim)) - 1.0

    def phases(self):
        return [Phase("discriminator", ("discriminator",), self.discriminator_loss),
                Phase("generator", ("generator",), self.generator_loss)]

    def discriminator_loss(self, batch):
        real = batch["x"]
        fake = ops.stop_gradient(self.generator(self.sample_latent(ops.shape(real)[0])))
        loss = log_d_loss(self.discriminator(self.augment_images(real)),
                          self.discriminator(self.augment_images(fake)))
        return loss, {"d_loss": loss}

    def generator_loss(self, batch):
        fake = self.generator(self.sample_latent(ops.shape(batch["x"])[0]))
        loss = non_saturating_g_loss(self.discriminator(self.augment_images(fake)))
        return loss, {"g_loss": loss}

    # sampling
    def generate(self, n, labels=None, seed=None, batch_size=256):
        if labels is not None:
            raise GANInputError("TinyGAN is not conditional: drop labels=.")
        _, uniform = self.sampling_draws(seed)
        return as_float32(self.sampler()(self.sample_latent(n, uniform), training=False))

    def generate_from_latent(self, z, labels=None):
        return as_float32(self.sampler()(ops.convert_to_tensor(z), training=False))

    # capabilities beyond the defaults (serving, balanced labels, output check)
    def inversion_target(self):
        return NetworkTarget(self, self.sampler(), self.latent_dim)

    def get_config(self):
        return {**super().get_config(), "latent_dim": self.latent_dim,
                "generator": keras.saving.serialize_keras_object(self.generator),
                "discriminator": keras.saving.serialize_keras_object(self.discriminator)}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        for key in ("generator", "discriminator"):
            config[key] = keras.saving.deserialize_keras_object(config[key])
        return cls(**config)


@pytest.fixture()
def tiny_registered(monkeypatch):
    monkeypatch.setitem(VARIANTS, "tiny_gan", TinyGAN)
    return TinyGAN


def test_a_new_variant_in_one_file_works_through_every_path(tmp_path, tiny_registered,
                                                            capsys):
    assert get_variant("tiny-gan") is TinyGAN
    x = np.random.default_rng(0).uniform(-1, 1, (32, 8, 8, 1)).astype("float32")
    model = TinyGAN(data_shape=(8, 8, 1), seed=0)
    model.compile()
    model.fit(x, batch_size=16, epochs=1, verbose=0)

    # what it samples from, and the network it serves
    assert model.samples_from == "noise" and model.sample_inputs() == {"z": (4,)}
    network, specs = export.serving_network(model)
    z = np.random.default_rng(1).uniform(-1, 1, (3, 4)).astype("float32")
    np.testing.assert_allclose(as_float32(network(z)), model.generate_from_latent(z),
                               atol=1e-6)
    assert [s.name for s in specs] == ["z"]

    # inversion: its images project back close to themselves
    images = model.generate(4, seed=2)
    result = inversion.project(model, images, steps=30, learning_rate=0.05)
    assert result.mse.mean() < result.initial_mse.mean()

    # a preset of it: saved, loaded and its stored output check recomputed
    folder = presets.save_to_preset(model, tmp_path / "tiny_gan_noise",
                                    metadata={"dataset": "noise"})
    loaded = presets.from_preset(str(folder))
    meta = presets.read_metadata(str(folder))
    assert meta["check"]["method"] == "generate"
    expected, got = presets.run_output_check(loaded, meta["check"])
    np.testing.assert_allclose(expected, got, atol=1e-5)

    # the command line: list, sample, interpolate, project
    model_file = tmp_path / "tiny.keras"
    model.save(model_file)
    assert main(["list"]) == 0
    assert "tiny_gan" in capsys.readouterr().out
    assert main(["sample", str(model_file), "--n", "4", "--out", str(tmp_path / "s.png")]) == 0
    assert main(["interpolate", str(model_file), "--out", str(tmp_path / "w.png")]) == 0
    np.savez(tmp_path / "x.npz", x=images)
    assert main(["project", str(model_file), str(tmp_path / "x.npz"), "--steps", "2",
                 "--out", str(tmp_path / "projected")]) == 0
    assert (tmp_path / "projected" / "latents.npy").exists()
    assert main(["translate", str(model_file), "--input-dir", str(tmp_path),
                 "--out", str(tmp_path / "t")]) == 2
    assert "TinyGAN generates images from noise" in capsys.readouterr().err
