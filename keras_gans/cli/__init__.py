"""keras-gans: train, sample, translate and evaluate GANs from the command line.

One module per command, each with its ``add_parser(subparsers)`` (its flags,
help and examples) and ``run(args)``; this module only dispatches.
"""

from __future__ import annotations

import importlib
import sys

from keras_gans.cli._common import Parser, one_line

# the commands in the order `keras-gans --help` lists them: module names
COMMANDS = ("listing", "train", "sample", "interpolate", "translate", "evaluate",
            "export", "project", "info", "bench")


def parser():
    p = Parser(
        prog="keras-gans",
        description="GANs for Keras 3 on TensorFlow, JAX and PyTorch "
        "(the backend comes from KERAS_BACKEND).",
    )
    p.add_argument("--debug", action="store_true",
                   help="show tracebacks on errors, and the backends' native log lines")
    sub = p.add_subparsers(dest="command", required=True, parser_class=Parser)
    for name in COMMANDS:
        importlib.import_module(f"keras_gans.cli.{name}").add_parser(sub)
    return p


def main(argv=None):
    args = parser().parse_args(argv)
    try:
        return args.run(args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as e:  # one clear line, no traceback unless --debug
        if args.debug:
            raise
        print(f"error: {one_line(e)}", file=sys.stderr)
        return 2
