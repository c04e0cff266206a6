"""Per-layer speed on PyTorch: Keras' layer vs keras_gans.layers' vs torch.nn.

    KERAS_BACKEND=torch python benchmarks/layers.py                 # batch 64
    KERAS_BACKEND=torch OMP_NUM_THREADS=1 python benchmarks/layers.py --batch-size 256
    KERAS_BACKEND=jax python benchmarks/layers.py --subpixel        # any backend

``--subpixel``: keras_gans' Conv2DTranspose at the DCGAN generators' shapes,
forward + backward (input and kernel gradients) compiled as the backend's
trainer would (``jax.jit``; ``tf.function``, with XLA under ``--tf-xla``; torch
eager), with the sub-pixel form forced off ("keras": Keras' conv_transpose,
or keras_gans' torch path) and on; the paired ratio keras / subpixel > 1 means
the sub-pixel form is faster. What ``SUBPIXEL_ON_CPU`` was chosen from.

Forward + backward of one layer (training mode) at the shapes of the DCGAN
tutorial's networks (``reference/tutorial.py``): BatchNormalization after the
generator's Dense and transposed convolutions, the discriminator's Conv2D and
the generator's Conv2DTranspose. The Keras and keras_gans layers get the same
NHWC tensor, torch.nn its NCHW equivalent. The sides run interleaved (a fresh
random order per repeat); the table gives the median ms per call and the
paired ratio (median over repeats of Keras' time over the side's: > 1 means
faster than Keras' layer). Prints a Markdown table; nothing is written.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

os.environ.setdefault("KERAS_BACKEND", "torch")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import keras
import numpy as np

from keras_gans import bench
from keras_gans import layers as kg_layers


def _cases(n):
    """(label, NHWC input shape, Keras class, keras_gans class, torch.nn module, kwargs)."""
    import torch

    bn = {"epsilon": 1e-3, "momentum": 0.99}
    t_bn = {"eps": 1e-3, "momentum": 0.01}
    return [
        ("BatchNormalization", (n, 7 * 7 * 256), keras.layers.BatchNormalization,
         kg_layers.BatchNormalization, torch.nn.BatchNorm1d(7 * 7 * 256, **t_bn), bn),
        ("BatchNormalization", (n, 14, 14, 64), keras.layers.BatchNormalization,
         kg_layers.BatchNormalization, torch.nn.BatchNorm2d(64, **t_bn), bn),
        ("Conv2D 5x5/2, 1->64", (n, 28, 28, 1), keras.layers.Conv2D, kg_layers.Conv2D,
         torch.nn.Conv2d(1, 64, 5, 2, padding=2),
         {"filters": 64, "kernel_size": 5, "strides": 2, "padding": "same"}),
        ("Conv2D 5x5/2, 64->128", (n, 14, 14, 64), keras.layers.Conv2D, kg_layers.Conv2D,
         torch.nn.Conv2d(64, 128, 5, 2, padding=2),
         {"filters": 128, "kernel_size": 5, "strides": 2, "padding": "same"}),
        ("Conv2DTranspose 5x5/1, 256->128", (n, 7, 7, 256), keras.layers.Conv2DTranspose,
         kg_layers.Conv2DTranspose,
         torch.nn.ConvTranspose2d(256, 128, 5, 1, padding=2, bias=False),
         {"filters": 128, "kernel_size": 5, "strides": 1, "padding": "same",
          "use_bias": False}),
        ("Conv2DTranspose 5x5/2, 128->64", (n, 7, 7, 128), keras.layers.Conv2DTranspose,
         kg_layers.Conv2DTranspose,
         torch.nn.ConvTranspose2d(128, 64, 5, 2, padding=2, output_padding=1, bias=False),
         {"filters": 64, "kernel_size": 5, "strides": 2, "padding": "same",
          "use_bias": False}),
    ]


def _time(sides, repeats, inner):
    for fn in sides.values():
        for _ in range(2):
            fn()
    times = {name: [] for name in sides}
    rng = np.random.default_rng(0)
    for _ in range(repeats):
        for name in rng.permutation(list(sides)):
            t0 = time.perf_counter()
            for _ in range(inner):
                sides[name]()
            times[name].append((time.perf_counter() - t0) / inner)
    return times


SUBPIXEL_CASES = [("5x5/1, 256->128", (7, 7, 256), 128, 5, 1),
                  ("5x5/2, 128->64", (7, 7, 128), 64, 5, 2),
                  ("5x5/2, 64->1", (14, 14, 64), 1, 5, 2),
                  ("4x4/2, 128->64", (8, 8, 128), 64, 4, 2)]


def _subpixel_side(layer, on, x, g, tf_xla):
    """A no-argument fwd + bwd of ``layer``, traced with the sub-pixel form ``on``/off."""
    from keras_gans.layers import convolution as conv

    backend = keras.backend.backend()
    if backend == "jax":
        import jax

        kernel = layer.kernel

        def loss(xv, kv):
            with keras.StatelessScope(state_mapping=[(kernel, kv)]):
                return (layer(xv) * g).sum()

        fn, kv = jax.jit(jax.grad(loss, argnums=(0, 1))), kernel.value
        conv.SUBPIXEL_ON_CPU[backend] = on
        jax.block_until_ready(fn(x, kv))  # traced now, with this setting
        return lambda: jax.block_until_ready(fn(x, kv))
    if backend == "tensorflow":
        import tensorflow as tf

        xt = tf.constant(x)

        @tf.function(jit_compile=tf_xla)
        def fn():
            with tf.GradientTape() as tape:
                tape.watch(xt)
                loss = tf.reduce_sum(layer(xt) * g)
            return tape.gradient(loss, [xt, layer.kernel.value])

        conv.SUBPIXEL_ON_CPU[backend] = on
        fn()
        return lambda: [t.numpy() for t in fn()]
    import torch

    xt, gt = torch.tensor(x, requires_grad=True), torch.tensor(g)

    def fn():
        conv.SUBPIXEL_ON_CPU[backend] = on
        return torch.autograd.grad((layer(xt) * gt).sum(), [xt, layer.kernel.value])

    return fn


def subpixel_main(args):
    from keras_gans.layers import convolution as conv

    backend = keras.backend.backend()
    default = conv.SUBPIXEL_ON_CPU.get(backend)
    conv.SUBPIXEL_MIN_STRIDE = 1
    rng = np.random.default_rng(0)
    print(f"{backend}{' + XLA' if args.tf_xla else ''}, {bench.device_description()}, "
          f"batch {args.batch_size}\n")
    rows = []
    for label, shape, filters, kernel_size, strides in SUBPIXEL_CASES:
        shape = (args.batch_size,) + shape
        layer = kg_layers.Conv2DTranspose(filters, kernel_size, strides=strides,
                                          padding="same", use_bias=False)
        layer.build(shape)
        x = rng.normal(size=shape).astype("float32")
        g = rng.normal(size=tuple(layer.compute_output_shape(shape))).astype("float32")
        sides = {"keras": _subpixel_side(layer, False, x, g, args.tf_xla),
                 "subpixel": _subpixel_side(layer, True, x, g, args.tf_xla)}
        times = _time(sides, args.repeats, args.inner)
        med = {k: 1e3 * statistics.median(v) for k, v in times.items()}
        paired = statistics.median(a / b for a, b in zip(times["keras"], times["subpixel"]))
        rows.append([label, "x".join(map(str, shape)), f"{med['keras']:.1f}",
                     f"{med['subpixel']:.1f}", f"{paired:.2f}"])
        print(rows[-1], file=sys.stderr, flush=True)
    conv.SUBPIXEL_ON_CPU[backend] = default
    print(bench.format_table(["Conv2DTranspose", "input (NHWC)", "keras ms", "subpixel ms",
                              "keras / subpixel"], rows))
    return 0


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--repeats", type=int, default=15)
    p.add_argument("--inner", type=int, default=3, help="calls per timed block")
    p.add_argument("--subpixel", action="store_true",
                   help="Conv2DTranspose with and without the sub-pixel form, any backend")
    p.add_argument("--tf-xla", action="store_true", help="--subpixel on TF: compile with XLA")
    args = p.parse_args(argv)
    if args.subpixel:
        return subpixel_main(args)
    if keras.backend.backend() != "torch":
        raise SystemExit("benchmarks/layers.py compares torch layers: set KERAS_BACKEND=torch")
    import torch

    torch.manual_seed(0)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, "
          f"{bench.device_description()}, batch {args.batch_size}\n")
    rows = []
    for label, shape, keras_cls, kg_cls, module, kwargs in _cases(args.batch_size):
        keras_layer, kg_layer = keras_cls(**kwargs), kg_cls(**kwargs)
        keras_layer.build(shape)
        kg_layer.build(shape)
        x = torch.randn(shape, requires_grad=True)
        nchw = (shape[0], shape[-1], *shape[1:-1])
        x_t = torch.randn(nchw, requires_grad=True)
        g = torch.randn(tuple(keras_layer.compute_output_shape(shape)))
        g_t = torch.randn(module(x_t).shape)

        def side(fn, x, g, **kwargs):
            return lambda: fn(x, **kwargs).backward(g)

        # training=True: BatchNormalization normalises with the batch statistics
        # (Keras drops the argument for layers whose call() does not take it).
        sides = {"keras": side(keras_layer, x, g, training=True),
                 "keras_gans": side(kg_layer, x, g, training=True),
                 "torch.nn": side(module, x_t, g_t)}
        times = _time(sides, args.repeats, args.inner)
        med = {k: 1e3 * statistics.median(v) for k, v in times.items()}
        paired = {k: statistics.median(a / b for a, b in zip(times["keras"], v))
                  for k, v in times.items()}
        rows.append([label, "x".join(map(str, shape)), f"{med['keras']:.2f}",
                     f"{med['keras_gans']:.2f}", f"{med['torch.nn']:.2f}",
                     f"{paired['keras_gans']:.2f}", f"{paired['torch.nn']:.2f}"])
        print(rows[-1], file=sys.stderr, flush=True)
    print(bench.format_table(
        ["layer", "input (NHWC)", "keras ms", "keras_gans ms", "torch.nn ms",
         "keras / keras_gans", "keras / torch.nn"], rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
