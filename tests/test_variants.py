"""Every variant through the shared mixin, on the backend of this process."""

import pytest
from gan_test_case import GANTestMixin

import keras_gans as kg


@pytest.fixture(autouse=True)
def _data(request, digits28, digits8):
    request.instance._digits28 = digits28
    request.instance._digits8 = digits8


class TestGAN(GANTestMixin):
    def make_model(self, seed=1):
        return kg.GAN(data_shape=(8, 8, 1), latent_dim=8, hidden=(32,), seed=seed)

    def data(self):
        return self._digits8[0], None


class TestGANMinimax(TestGAN):
    def make_model(self, seed=1):
        return kg.GAN(data_shape=(8, 8, 1), latent_dim=8, hidden=(32,), loss="minimax", seed=seed)


class TestConditionalGAN(GANTestMixin):
    def make_model(self, seed=1):
        return kg.ConditionalGAN(data_shape=(8, 8, 1), num_classes=10, latent_dim=8, seed=seed)

    def data(self):
        return self._digits8


class TestDCGAN(GANTestMixin):
    def make_model(self, seed=1):
        return kg.DCGAN(data_shape=(28, 28, 1), latent_dim=8, filters=8, seed=seed)

    def data(self):
        return self._digits28[0], None


class TestWGAN(TestDCGAN):
    def make_model(self, seed=1):
        return kg.WGAN(data_shape=(28, 28, 1), latent_dim=8, filters=8, n_critic=2, seed=seed)


class TestWGANGP(TestDCGAN):
    def make_model(self, seed=1):
        return kg.WGANGP(data_shape=(28, 28, 1), latent_dim=8, filters=8, n_critic=2, seed=seed)


class TestLSGAN(TestDCGAN):
    def make_model(self, seed=1):
        return kg.LSGAN(data_shape=(28, 28, 1), latent_dim=8, filters=8, seed=seed)
