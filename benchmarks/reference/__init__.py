"""Hand-written DCGAN training steps, the yardsticks of keras_gans' speed.

One architecture everywhere, the TensorFlow DCGAN tutorial's MNIST networks
(``tutorial.py``), one training step everywhere: a discriminator update on a real
batch and a fresh fake one, then a generator update on another fresh fake batch
(non-saturating loss, Adam(1e-4, beta_1=0.5) per player), as keras_gans' DCGAN
does. Each module's ``Step(batch_size, seed)`` is called with one NHWC float32
numpy batch and returns the discriminator loss as a Python float (the device sync).

- ``tf_pure``: ``tf.Variable`` + ``tf.nn`` ops in one ``tf.function``, with or without XLA.
- ``jax_pure``: ``jax.lax`` ops, a hand-written Adam, one ``jax.jit`` step.
- ``jax_subpixel``: ``jax_pure`` with each transposed convolution written as a
  stride-1 convolution + depth-to-space (sub-pixel), the faster JAX on a CPU.
- ``torch_pure``: ``torch.nn`` modules and ``torch.optim.Adam`` (NCHW, eager).
- ``keras_subclass``: the way Keras users write it today, a ``keras.Model``
  subclass whose ``train_step`` uses ``tf.GradientTape`` (TensorFlow backend only).
"""
