"""The TensorFlow DCGAN tutorial's MNIST networks (tensorflow.org/tutorials/generative/dcgan).

G: Dense(7*7*256, no bias) -> BN -> LeakyReLU -> Reshape -> Conv2DTranspose(128, 5, 1)
   -> BN -> LeakyReLU -> Conv2DTranspose(64, 5, 2) -> BN -> LeakyReLU
   -> Conv2DTranspose(1, 5, 2, tanh)   (transposed convolutions without bias)
D: Conv2D(64, 5, 2) -> LeakyReLU -> Dropout(0.3) -> Conv2D(128, 5, 2) -> LeakyReLU
   -> Dropout(0.3) -> Flatten -> Dense(1)

LeakyReLU's slope is the tutorial's (Keras' default, 0.3); BatchNorm is Keras'
(epsilon 1e-3, momentum 0.99) in every implementation.

keras_gans' side builds these networks from ``keras_gans.layers``' drop-in
``BatchNormalization``, ``Conv2D`` and ``Conv2DTranspose`` (Keras' layers with
fused / copy-free torch paths; the same layers as Keras' on TensorFlow and
JAX), as keras_gans' own networks do; the Keras-user sides use Keras' layers.
"""

LATENT_DIM = 100
IMAGE_SHAPE = (28, 28, 1)
LEARNING_RATE = 1e-4
BETA_1 = 0.5
BETA_2 = 0.999
ADAM_EPSILON = 1e-7
BN_EPSILON = 1e-3
BN_MOMENTUM = 0.99
LRELU_SLOPE = 0.3
DROPOUT = 0.3


def keras_networks(seed=0, keras_gans_layers=False):
    """The tutorial's generator and discriminator as Keras functional models.

    ``keras_gans_layers``: BatchNormalization, Conv2D and Conv2DTranspose from
    ``keras_gans.layers`` instead of ``keras.layers`` (same weights, same results)."""
    import types

    import keras
    from keras import layers

    if keras_gans_layers:
        import keras_gans.layers as kg_layers

        layers = types.SimpleNamespace(**{
            name: getattr(kg_layers, name)
            if name in ("BatchNormalization", "Conv2D", "Conv2DTranspose")
            else getattr(keras.layers, name)
            for name in ("Dense", "BatchNormalization", "LeakyReLU", "Reshape",
                         "Conv2DTranspose", "Conv2D", "Dropout", "Flatten")
        })
    keras.utils.set_random_seed(seed)
    z = keras.Input((LATENT_DIM,))
    x = layers.Dense(7 * 7 * 256, use_bias=False)(z)
    x = layers.BatchNormalization()(x)
    x = layers.LeakyReLU(LRELU_SLOPE)(x)
    x = layers.Reshape((7, 7, 256))(x)
    x = layers.Conv2DTranspose(128, 5, strides=1, padding="same", use_bias=False)(x)
    x = layers.BatchNormalization()(x)
    x = layers.LeakyReLU(LRELU_SLOPE)(x)
    x = layers.Conv2DTranspose(64, 5, strides=2, padding="same", use_bias=False)(x)
    x = layers.BatchNormalization()(x)
    x = layers.LeakyReLU(LRELU_SLOPE)(x)
    x = layers.Conv2DTranspose(1, 5, strides=2, padding="same", use_bias=False,
                               activation="tanh")(x)
    generator = keras.Model(z, x, name="generator")

    img = keras.Input(IMAGE_SHAPE)
    y = layers.Conv2D(64, 5, strides=2, padding="same")(img)
    y = layers.LeakyReLU(LRELU_SLOPE)(y)
    y = layers.Dropout(DROPOUT)(y)
    y = layers.Conv2D(128, 5, strides=2, padding="same")(y)
    y = layers.LeakyReLU(LRELU_SLOPE)(y)
    y = layers.Dropout(DROPOUT)(y)
    y = layers.Flatten()(y)
    y = layers.Dense(1)(y)
    discriminator = keras.Model(img, y, name="discriminator")
    return generator, discriminator


def keras_gans_dcgan(seed=0, keras_gans_layers=True):
    """keras_gans' DCGAN with the tutorial's networks and optimizers, compiled
    with the defaults (``jit_compile="auto"``); its networks use keras_gans'
    layers unless ``keras_gans_layers=False``."""
    import keras

    from keras_gans.models import DCGAN

    generator, discriminator = keras_networks(seed, keras_gans_layers=keras_gans_layers)
    model = DCGAN(generator, discriminator, latent_dim=LATENT_DIM, seed=seed)
    model.compile(
        generator_optimizer=keras.optimizers.Adam(LEARNING_RATE, beta_1=BETA_1),
        discriminator_optimizer=keras.optimizers.Adam(LEARNING_RATE, beta_1=BETA_1),
    )
    return model
