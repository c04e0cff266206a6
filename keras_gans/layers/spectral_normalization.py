import keras
from keras import layers, ops


def _l2_normalize(x, eps=1e-12):
    return x / ops.sqrt(ops.sum(ops.square(x)) + eps)


@keras.saving.register_keras_serializable(package="keras_gans")
class SpectralNormalization(layers.Wrapper):
    """Spectral normalization of a ``Dense`` or ``Conv2D`` layer (Miyato et al. 2018).

    The wrapped layer runs with W / σ(W), where σ is the largest singular value
    estimated by power iteration on a persistent vector ``u`` (one iteration per
    training call, Algorithm 1). As in the paper, the gradient flows through
    σ(W); ``u`` and ``v`` are constants of the gradient.

    Why not ``keras.layers.SpectralNormalization``: in training it *assigns*
    W / σ into the kernel variable during the forward pass. That drops the
    gradient through σ, and on the torch backend the in-place assignment
    invalidates the autograd graph ("modified by an inplace operation") as soon
    as the layer's input gradient is needed. Here only the non-trainable ``u``
    is assigned, from values computed off the gradient path.
    """

    def __init__(self, layer, power_iterations=1, **kwargs):
        super().__init__(layer, **kwargs)
        if not isinstance(layer, (layers.Dense, layers.Conv2D)):
            raise ValueError(
                f"SpectralNormalization wraps Dense or Conv2D layers; got "
                f"{type(layer).__name__}."
            )
        if power_iterations < 1:
            raise ValueError(f"power_iterations must be >= 1; got {power_iterations}.")
        self.power_iterations = int(power_iterations)

    def build(self, input_shape):
        if not self.layer.built:
            self.layer.build(input_shape)
        out = self.layer.kernel.shape[-1]
        self.vector_u = self.add_weight(
            shape=(1, out), initializer=keras.initializers.TruncatedNormal(stddev=1.0),
            trainable=False, name="vector_u",
        )
        self.built = True

    def _sigma(self, training):
        kernel = self.layer.kernel
        w = ops.reshape(kernel, (-1, kernel.shape[-1]))
        w_const = ops.stop_gradient(w)
        u = ops.stop_gradient(ops.convert_to_tensor(self.vector_u.value))
        for _ in range(self.power_iterations):
            v = _l2_normalize(ops.matmul(u, ops.transpose(w_const)))
            u = _l2_normalize(ops.matmul(v, w_const))
        u = ops.stop_gradient(u)
        v = ops.stop_gradient(v)
        if training:
            self.vector_u.assign(u)
        return ops.reshape(ops.matmul(ops.matmul(v, w), ops.transpose(u)), ())

    def normalized_kernel(self, training=False):
        """W / σ(W) with the current estimate of σ."""
        return self.layer.kernel / self._sigma(training)

    def call(self, inputs, training=False):
        kernel = self.normalized_kernel(training)
        inner = self.layer
        if isinstance(inner, layers.Dense):
            outputs = ops.matmul(inputs, kernel)
            bias_shape = (inner.units,)
        else:
            outputs = inner.convolution_op(inputs, kernel)
            bias_shape = ((1, 1, 1, inner.filters) if inner.data_format == "channels_last"
                          else (1, inner.filters, 1, 1))
        if inner.use_bias:
            outputs = ops.add(outputs, ops.reshape(inner.bias, bias_shape))
        if inner.activation is not None:
            outputs = inner.activation(outputs)
        return outputs

    def compute_output_shape(self, input_shape):
        return self.layer.compute_output_shape(input_shape)

    def get_config(self):
        return {**super().get_config(), "power_iterations": self.power_iterations}
