import keras

from keras_gans.models._convolutional import ConvolutionalGAN


@keras.saving.register_keras_serializable(package="keras_gans")
class WGANGP(ConvolutionalGAN):
    """WGAN with gradient penalty (Gulrajani et al. 2017, "Improved Training of
    Wasserstein GANs", Algorithm 1).

    Critic loss D(G(z)) - D(x) + λ (||∇D(x̂)||₂ - 1)² with x̂ = εx + (1-ε)G(z),
    ε ~ U[0, 1] drawn once *per sample*; the gradient is taken with respect to x̂
    (double backprop). Defaults: λ = 10, n_critic = 5, Adam(lr=1e-4, β1=0.5,
    β2=0.9) for both players as in the authors' code (Algorithm 1 lists β1 = 0);
    no BatchNorm in the critic (§4: it would couple the samples the penalty
    treats independently).
    """

    critic_batch_norm = False  # §4: no BatchNorm in the critic

    def __init__(self, generator=None, discriminator=None, *,
                 gradient_penalty_weight=10.0, n_critic=5, filters=64, **kwargs):
        kwargs.setdefault("loss", "wasserstein")
        super().__init__(generator, discriminator, filters=filters,
                         gradient_penalty_weight=gradient_penalty_weight,
                         n_critic=n_critic, **kwargs)

    def default_optimizer(self, player):
        return keras.optimizers.Adam(1e-4, beta_1=0.5, beta_2=0.9)
