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


class TestWGANNoCriticBatchNorm(TestDCGAN):
    def make_model(self, seed=1):
        return kg.WGAN(data_shape=(28, 28, 1), latent_dim=8, filters=8, n_critic=2,
                       critic_batch_norm=False, seed=seed)


def _batch_norms(network):
    return [layer for layer in network.layers if "BatchNormalization" in type(layer).__name__]


class TestCriticBatchNorm:
    def test_overrides_the_variant_default_and_is_saved(self):
        default = kg.WGAN(data_shape=(28, 28, 1), latent_dim=8, filters=8, seed=0)
        plain = kg.WGAN(data_shape=(28, 28, 1), latent_dim=8, filters=8, seed=0,
                        critic_batch_norm=False)
        assert _batch_norms(default.discriminator) and not _batch_norms(plain.discriminator)
        assert _batch_norms(plain.generator)  # only the critic changes
        # the paper default stays out of the config, so existing presets' configs are unchanged
        assert "critic_batch_norm" not in default.get_config()
        assert plain.get_config()["critic_batch_norm"] is False
        again = kg.WGAN.from_config(plain.get_config())
        assert again.critic_batch_norm is False and not _batch_norms(again.discriminator)
        # WGAN-GP's paper default is no BatchNorm; asking for it builds one
        with_bn = kg.WGANGP(data_shape=(28, 28, 1), latent_dim=8, filters=8, seed=0,
                            critic_batch_norm=True)
        assert _batch_norms(with_bn.discriminator)
        assert not _batch_norms(kg.WGANGP(data_shape=(28, 28, 1), latent_dim=8, filters=8,
                                          seed=0).discriminator)


class TestWGANGP(TestDCGAN):
    def make_model(self, seed=1):
        return kg.WGANGP(data_shape=(28, 28, 1), latent_dim=8, filters=8, n_critic=2, seed=seed)


class TestLSGAN(TestDCGAN):
    def make_model(self, seed=1):
        return kg.LSGAN(data_shape=(28, 28, 1), latent_dim=8, filters=8, seed=seed)
