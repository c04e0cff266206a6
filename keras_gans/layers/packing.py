import keras
from keras import ops

from keras_gans.errors import GANInputError


@keras.saving.register_keras_serializable(package="keras_gans")
class PackSamples(keras.layers.Layer):
    """Packing (Lin et al. 2018, "PacGAN: The power of two samples in generative
    adversarial networks"): m samples become one discriminator input.

    Samples ``k*m, ..., k*m + m - 1`` of a batch of N form pack ``k``; they are
    concatenated along the last axis: features for vectors ``(N, F) -> (N/m,
    m*F)``, channels for images ``(N, H, W, C) -> (N/m, H, W, m*C)`` (sample 0's
    channels first). The discriminator then gives one score per pack, N/m rows.
    The adversarial variants call the discriminator on a batch that is all real
    or all generated, so every pack is too, as the paper's packed discriminator
    needs.

    Why a layer inside the discriminator and not the core: the discriminator
    then *is* the paper's packed discriminator D(x_1, ..., x_m), with the
    unpacked sample shape as its Keras input. Every place the core hands it
    samples (both phases, feature matching, instance noise, DiffAugment, the
    gradient penalty) keeps working on single samples, per sample (the penalty
    interpolates each sample, then the network packs the interpolates); the
    model's ``data_shape`` and the generator/discriminator shape check stay as
    they are; and a saved ``.keras`` file or config carries the packing with
    the network, needing nothing from the model that trained it.

    Args:
        packing: m, the number of samples per pack (>= 1; 1 is the identity).
    """

    def __init__(self, packing=2, **kwargs):
        super().__init__(**kwargs)
        packing = int(packing)
        if packing < 1:
            raise ValueError(f"packing must be a positive integer; got {packing}.")
        self.packing = packing

    def _message(self, n):
        m = self.packing
        size = f"; got {n}" if n is not None else ""
        return (
            f"The discriminator packs {m} samples into each input (packing={m}), so "
            f"every batch it sees must have a multiple of {m} samples{size}. Use a "
            f"batch_size that is a multiple of {m} and a number of training samples "
            f"that is a multiple of the batch size (e.g. x[:len(x) // batch_size * "
            f"batch_size]), or a dataset batched with drop_remainder=True."
        )

    def call(self, x):
        m = self.packing
        if m == 1:
            return x
        n = x.shape[0]
        if n is not None and n % m:
            raise GANInputError(self._message(n))
        if n is None and keras.backend.backend() == "tensorflow":
            # The batch size is only known when the step runs (TF traces fit's
            # step with a free batch dimension): check it there, with the same
            # message, instead of letting the reshape fail on its own.
            import tensorflow as tf

            check = tf.debugging.assert_equal(
                tf.math.floormod(tf.shape(x)[0], m), 0, message=self._message(None)
            )
            with tf.control_dependencies([check]):
                x = tf.identity(x)
        rank = len(x.shape)
        y = ops.reshape(x, (-1, m, *x.shape[1:]))  # (N/m, m, ..., C)
        # move the pack axis next to the last one: (N/m, ..., m, C)
        y = ops.transpose(y, (0, *range(2, rank), 1, rank))
        return ops.reshape(y, (-1, *x.shape[1:-1], m * x.shape[-1]))

    def compute_output_shape(self, input_shape):
        n = input_shape[0]
        return (None if n is None else n // self.packing, *input_shape[1:-1],
                self.packing * input_shape[-1])

    def get_config(self):
        return {**super().get_config(), "packing": self.packing}
