import keras
from keras import ops


@keras.saving.register_keras_serializable(package="keras_gans")
class MinibatchDiscrimination(keras.layers.Layer):
    """Minibatch discrimination (Salimans et al. 2016, §3.2).

    For features f(x_i) ∈ R^A, a learned tensor T ∈ R^{A×B×C} gives M_i ∈ R^{B×C};
    c_b(x_i, x_j) = exp(-||M_{i,b} - M_{j,b}||_1) and
    o(x_i)_b = Σ_{j≠i} c_b(x_i, x_j). The output is [f(x_i), o(x_i)] ∈ R^{A+B}.

    Args:
        num_kernels: B.
        kernel_dim: C.
    """

    def __init__(self, num_kernels=50, kernel_dim=5, **kwargs):
        super().__init__(**kwargs)
        self.num_kernels = num_kernels
        self.kernel_dim = kernel_dim

    def build(self, input_shape):
        self.kernel = self.add_weight(
            name="kernel",
            shape=(input_shape[-1], self.num_kernels * self.kernel_dim),
            initializer=keras.initializers.RandomNormal(stddev=0.02),
        )

    def call(self, x):
        m = ops.reshape(ops.matmul(x, self.kernel), (-1, self.num_kernels, self.kernel_dim))
        diff = ops.expand_dims(m, 0) - ops.expand_dims(m, 1)  # (N, N, B, C)
        c = ops.exp(-ops.sum(ops.abs(diff), axis=-1))  # (N, N, B)
        o = ops.sum(c, axis=1) - 1.0  # drop j = i, where c = exp(0) = 1
        return ops.concatenate([x, o], axis=-1)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], input_shape[-1] + self.num_kernels)

    def get_config(self):
        return {
            **super().get_config(),
            "num_kernels": self.num_kernels,
            "kernel_dim": self.kernel_dim,
        }
