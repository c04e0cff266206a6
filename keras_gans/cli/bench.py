"""keras-gans bench: training steps/s of variants on this backend."""

from __future__ import annotations

import argparse

from keras_gans.cli._common import count, note

NAME = "bench"


def add_parser(sub):
    b = sub.add_parser(
        NAME,
        help="time training steps of variants on this backend",
        description="Time training steps/s of variants with model.fit on the backend "
        "KERAS_BACKEND names (run it once per backend to compare them). Short by "
        "default; benchmarks/ in the source tree holds the full runner. On a shared "
        "CPU, torch's default of one thread per core can be several times slower than "
        "one thread: compare with OMP_NUM_THREADS=1.",
        epilog="examples:\n"
        "  KERAS_BACKEND=jax keras-gans bench\n"
        "  KERAS_BACKEND=torch OMP_NUM_THREADS=1 keras-gans bench --variants dcgan "
        "--batch-size 64 256 --steps 20\n"
        "  keras-gans bench --csv bench.csv",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_arguments(b)
    b.set_defaults(run=run)
    return b


def add_arguments(parser):
    """The options of ``keras-gans bench``."""
    from keras_gans.bench import DEFAULT_VARIANTS

    parser.add_argument("--variants", default=",".join(DEFAULT_VARIANTS),
                        help="comma-separated variant names, or 'all' (default: %(default)s)")
    parser.add_argument("--batch-size", type=count(1), nargs="+", default=[64],
                        help="one or more batch sizes (default: 64)")
    parser.add_argument("--steps", type=count(1), default=5, help="timed steps (default: 5)")
    parser.add_argument("--warmup", type=count(1), default=2,
                        help="untimed steps first; the first one (tracing and "
                        "compilation) is reported as 'compile s' (default: 2)")
    parser.add_argument("--dtype-policy", nargs="+", default=["float32"],
                        metavar="POLICY",
                        help="one or more Keras dtype policies, e.g. float32 "
                        "mixed_bfloat16 mixed_float16; each model is built under it and "
                        "steps/s is also given as a ratio to the first (default: float32)")
    parser.add_argument("--csv", default=None, metavar="PATH",
                        help="also append the results to this CSV file")


def torch_threads_note():
    """On torch, the thread count and what it costs on a shared CPU."""
    import keras

    if keras.backend.backend() != "torch":
        return None
    import torch

    threads = torch.get_num_threads()
    if threads == 1:
        return None
    return (f"torch runs {threads} threads. On a CPU that other work shares, one thread "
            "can be much faster (DCGAN on a busy 2-core CPU: 0.72 steps/s with the "
            "default, 7.44 with OMP_NUM_THREADS=1); try both.")


def run(args):
    from keras_gans.bench import run_cli

    text = torch_threads_note()
    if text:
        note(text)
    run_cli(args)
    return 0
