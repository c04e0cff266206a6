"""fit() trains on every input type Keras accepts: numpy, PyDataset, tf.data
(TensorFlow backend), torch DataLoader (PyTorch backend); with and without labels."""

import keras
import numpy as np
import pytest

import keras_gans as kg
from keras_gans.networks import mlp_discriminator, mlp_generator

BACKEND = keras.backend.backend()
N, BATCH, CLASSES = 128, 32, 4
STEPS = N // BATCH


@pytest.fixture(scope="module")
def data():
    x = kg.data.load_mixture("ring8", n=N, seed=0)
    y = np.random.default_rng(0).integers(0, CLASSES, N).astype("int64")
    return x, y


def small_pair(num_classes=None):
    return (
        mlp_generator(2, (2,), (16,), num_classes, None),
        mlp_discriminator((2,), (16,), num_classes),
    )


def make_gan():
    model = kg.GAN(data_shape=(2,), latent_dim=2, hidden=(16,), seed=0)
    model.compile()
    return model


def make_cgan():
    g, d = small_pair(CLASSES)
    model = kg.ConditionalGAN(g, d, num_classes=CLASSES, latent_dim=2, seed=0)
    model.compile()
    return model


def snapshot(model):
    return {
        player: [np.array(keras.ops.convert_to_numpy(v)) for v in model.player_variables(player)]
        for player in model.players
    }


def iterations(optimizer):
    return int(keras.ops.convert_to_numpy(optimizer.iterations))


def fit_and_check(model, *args, expected_keys=("d_loss", "g_loss"), steps=STEPS, **kwargs):
    """fit one epoch; check every batch trained both players and the logs are finite."""
    before = snapshot(model)
    history = model.fit(*args, epochs=1, verbose=0, **kwargs)
    after = snapshot(model)
    for player in model.players:
        moved = any(not np.array_equal(b, a) for b, a in zip(before[player], after[player]))
        assert moved, f"{player} weights did not change: no training happened"
        assert all(np.all(np.isfinite(a)) for a in after[player]), player
    assert set(history.history) == set(expected_keys), history.history.keys()
    for key in expected_keys:
        values = history.history[key]
        assert len(values) == 1 and np.isfinite(values[0]), (key, values)
    # one generator update per batch, n_critic discriminator updates per batch
    assert iterations(model.player_optimizers["generator"]) == steps
    assert iterations(model.player_optimizers["discriminator"]) == steps * getattr(
        model, "n_critic", 1
    )
    return history


class Batches(keras.utils.PyDataset):
    def __init__(self, x, y=None, batch_size=BATCH, **kwargs):
        super().__init__(**kwargs)
        self.x, self.y, self.batch_size = x, y, batch_size

    def __len__(self):
        return len(self.x) // self.batch_size

    def __getitem__(self, i):
        s = slice(i * self.batch_size, (i + 1) * self.batch_size)
        return self.x[s] if self.y is None else (self.x[s], self.y[s])


# ------------------------------------------------------------------ numpy
def test_numpy_x(data):
    x, _ = data
    fit_and_check(make_gan(), x, batch_size=BATCH, shuffle=False)


def test_numpy_x_y_conditional(data):
    x, y = data
    fit_and_check(make_cgan(), x, y, batch_size=BATCH)


# ------------------------------------------------------------------ PyDataset
def test_pydataset_x(data):
    x, _ = data
    fit_and_check(make_gan(), Batches(x))


def test_pydataset_x_y_conditional_one_hot(data):
    x, y = data  # labels as one-hot rows here; class ids everywhere else
    fit_and_check(make_cgan(), Batches(x, np.eye(CLASSES, dtype="float32")[y]))


# ------------------------------------------------------------------ tf.data
@pytest.mark.skipif(BACKEND != "tensorflow", reason="tf.data input is for the TensorFlow backend")
def test_tf_dataset_x(data):
    import tensorflow as tf

    x, _ = data
    fit_and_check(make_gan(), tf.data.Dataset.from_tensor_slices(x).batch(BATCH), shuffle=False)


@pytest.mark.skipif(BACKEND != "tensorflow", reason="tf.data input is for the TensorFlow backend")
def test_tf_dataset_x_y_conditional(data):
    import tensorflow as tf

    x, y = data
    ds = tf.data.Dataset.from_tensor_slices((x, y)).shuffle(N).batch(BATCH)
    fit_and_check(make_cgan(), ds, shuffle=False)


# ------------------------------------------------------------------ torch DataLoader
@pytest.mark.skipif(BACKEND != "torch", reason="torch DataLoader input is for the PyTorch backend")
def test_torch_dataloader_x(data):
    import torch
    from torch.utils.data import DataLoader, TensorDataset

    x, _ = data
    loader = DataLoader(TensorDataset(torch.from_numpy(x)), batch_size=BATCH)
    fit_and_check(make_gan(), loader, shuffle=False)


@pytest.mark.skipif(BACKEND != "torch", reason="torch DataLoader input is for the PyTorch backend")
def test_torch_dataloader_x_y_conditional(data):
    import torch
    from torch.utils.data import DataLoader, TensorDataset

    x, y = data
    loader = DataLoader(
        TensorDataset(torch.from_numpy(x), torch.from_numpy(y)), batch_size=BATCH, shuffle=True
    )
    fit_and_check(make_cgan(), loader, shuffle=False)


# ------------------------------------------------------------------ logged terms
@pytest.mark.parametrize(
    "cls,keys",
    [
        (kg.WGANGP, ("d_loss", "g_loss", "gp", "wasserstein")),
        (kg.WGAN, ("d_loss", "g_loss", "wasserstein")),
    ],
)
def test_history_keys_per_variant(data, cls, keys):
    x, _ = data
    g, d = small_pair()
    model = cls(g, d, latent_dim=2, n_critic=2, seed=0)
    model.compile()
    history = fit_and_check(model, x, batch_size=BATCH, expected_keys=keys)
    if "gp" in keys:
        assert history.history["gp"][0] >= 0.0  # λ (||∇D|| - 1)² is never negative
