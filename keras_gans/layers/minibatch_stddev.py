import keras
from keras import ops


@keras.saving.register_keras_serializable(package="keras_gans")
class MinibatchStdDev(keras.layers.Layer):
    """Minibatch standard deviation (Karras et al. 2018, ProGAN §3).

    Splits the batch into ``group_size`` interleaved groups as ProGAN does
    (sample ``g * M + m`` is member ``g`` of group ``m``), takes each feature's
    standard deviation within a group, averages it over features and positions,
    and appends it as one extra channel (channels-last) or feature (vectors).
    The batch size must be divisible by ``group_size``; a batch smaller than it
    (known when the batch size is static) forms a single group.
    """

    def __init__(self, group_size=4, epsilon=1e-8, **kwargs):
        super().__init__(**kwargs)
        self.group_size = group_size
        self.epsilon = epsilon

    def call(self, x):
        n = x.shape[0]
        g = self.group_size if n is None else min(self.group_size, n)
        y = ops.reshape(x, (g, -1, *x.shape[1:]))
        y = y - ops.mean(y, axis=0, keepdims=True)
        std = ops.sqrt(ops.mean(ops.square(y), axis=0) + self.epsilon)
        std = ops.mean(std, axis=tuple(range(1, len(x.shape))))  # (M,)
        std = ops.tile(std, (g,))  # (N,): sample g*M + m gets group m's value
        std = ops.reshape(std, (-1, *([1] * (len(x.shape) - 1))))
        return ops.concatenate([x, std * ops.ones_like(x[..., :1])], axis=-1)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], input_shape[-1] + 1)

    def get_config(self):
        return {
            **super().get_config(),
            "group_size": self.group_size,
            "epsilon": self.epsilon,
        }
