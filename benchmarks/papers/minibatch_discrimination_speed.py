"""Steps/s of the 2-D GAN at batch 256 with and without minibatch
discrimination, before and after its (B, N, N) layout, in one run.

Why it is slow: MinibatchDiscrimination (Salimans et al. 2016) builds, for a
batch of N, the N x N x B x C tensor of |M_{i,b,c} - M_{j,b,c}| (B = 50
kernels of C = 5; 16.4M entries at N = 256) and reduces it, forward and
backward, in the discriminator's three calls per step, with memory-bound
elementwise ops; the rest of the 2-D GAN's step is a few 256 x 256 matmuls.
"Before" is the layer as it was (one (N, N, B, C) tensor summed over its short
last axis), patched back in for its row; "after" is the current layer (one
(B, N, N) slab per c, summed over the C slabs). Same sums (tests/test_packing.py
checks them against the old formula).

    taskset -c 0 env KERAS_BACKEND=tensorflow python benchmarks/papers/minibatch_discrimination_speed.py
"""

from __future__ import annotations

import os
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, ROOT)


def before_call(self, x):
    from keras import ops

    m = ops.reshape(ops.matmul(x, self.kernel), (-1, self.num_kernels, self.kernel_dim))
    diff = ops.expand_dims(m, 0) - ops.expand_dims(m, 1)  # (N, N, B, C)
    c = ops.exp(-ops.sum(ops.abs(diff), axis=-1))  # (N, N, B)
    o = ops.sum(c, axis=1) - 1.0
    return ops.concatenate([x, o], axis=-1)


def steps_per_s(options, steps, batch=256):
    import keras

    import keras_gans

    x = keras_gans.data.load_mixture("ring8", n=batch * steps, seed=0)
    keras.utils.set_random_seed(0)
    model = keras_gans.GAN(data_shape=(2,), latent_dim=2, seed=0,
                           discriminator_options=options)
    model.compile()
    model.fit(x[: 2 * batch], batch_size=batch, epochs=1, verbose=0)  # compile
    start = time.perf_counter()
    model.fit(x, batch_size=batch, epochs=1, verbose=0)
    return steps / (time.perf_counter() - start)


def main():
    import keras

    from keras_gans.layers import MinibatchDiscrimination

    after_call = MinibatchDiscrimination.call
    rows = [("no option", {}, 200, None),
            ("minibatch_stddev", {"minibatch_stddev": True}, 200, None),
            ("minibatch_discrimination, before", {"minibatch_discrimination": True}, 20,
             before_call),
            ("minibatch_discrimination, after", {"minibatch_discrimination": True}, 20,
             after_call)]
    print(f"backend {keras.backend.backend()}, batch 256, 2-D GAN (MLP 2 x 256)")
    for name, options, steps, call in rows:
        if call is not None:
            MinibatchDiscrimination.call = call
        try:
            print(f"{name:36s} {steps_per_s(options, steps):6.1f} steps/s", flush=True)
        finally:
            MinibatchDiscrimination.call = after_call


if __name__ == "__main__":
    main()
