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
        # The cost is the N x N x B x C tensor of |M_{i,b,c} - M_{j,b,c}|
        # (16.4M entries at N = 256, B = 50, C = 5), built by memory-bound
        # elementwise ops, forward and backward, three times a step. Laid out
        # as one (B, N, N) slab per c and summed over the C slabs (instead of a
        # (N, N, B, C) tensor reduced over its short last axis), the same sums
        # take 1.6-2x less time on TensorFlow, JAX and PyTorch (CPU); see
        # benchmarks/papers/minibatch_discrimination_speed.py.
        m = ops.reshape(ops.matmul(x, self.kernel), (-1, self.num_kernels, self.kernel_dim))
        m = ops.transpose(m, (2, 1, 0))  # (C, B, N)
        l1 = None
        for k in range(self.kernel_dim):
            mk = m[k]
            dist = ops.abs(ops.expand_dims(mk, 2) - ops.expand_dims(mk, 1))  # (B, N, N)
            l1 = dist if l1 is None else l1 + dist
        c = ops.exp(-l1)  # (B, N, N): c_b(x_i, x_j)
        o = ops.transpose(ops.sum(c, axis=2)) - 1.0  # (N, B); drop j = i, where c = 1
        return ops.concatenate([x, o], axis=-1)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], input_shape[-1] + self.num_kernels)

    def get_config(self):
        return {
            **super().get_config(),
            "num_kernels": self.num_kernels,
            "kernel_dim": self.kernel_dim,
        }
