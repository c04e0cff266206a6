"""keras-gans export: a generator as a SavedModel or an ONNX file for serving."""

from __future__ import annotations

import argparse

from keras_gans.cli._common import load_model, nonnegative_float

NAME = "export"


def add_parser(sub):
    ex = sub.add_parser(
        NAME,
        help="export a model's generator as a SavedModel or ONNX file",
        description="Write the generator of a .keras file or preset for serving "
        "(keras_gans.export_generator): --format tf_saved_model (TensorFlow or JAX "
        "backend) or onnx (TensorFlow, PyTorch; JAX with keras-gans[export-jax]). "
        "Inputs: z (and a label for conditional models), or the source image for "
        "translators. StyleGAN exports its EMA generator with --truncation baked in.",
        epilog="examples:\n"
        "  KERAS_BACKEND=tensorflow keras-gans export dcgan_mnist served/dcgan_mnist\n"
        "  KERAS_BACKEND=torch keras-gans export conditional_gan_mnist cgan.onnx "
        "--format onnx",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    ex.add_argument("model", help="a .keras file or a preset name")
    ex.add_argument("path", help="the SavedModel folder or .onnx file to write")
    ex.add_argument("--format", choices=("tf_saved_model", "onnx"), default="tf_saved_model")
    ex.add_argument("--direction", choices=("a2b", "b2a"), default="a2b",
                    help="CycleGAN/DiscoGAN: the generator to export")
    ex.add_argument("--truncation", type=nonnegative_float(1.0), default=1.0,
                    help="StyleGAN: truncation psi baked into the artifact")
    ex.add_argument("--labels", choices=("int", "one_hot"), default="int",
                    help="conditional models: the label input, class ids or one-hot")
    ex.add_argument("--overwrite", action="store_true", help="replace an existing PATH")
    ex.set_defaults(run=run)
    return ex


def run(args):
    from keras_gans.export import export_generator

    model = load_model(args.model)
    export_generator(model, args.path, format=args.format, overwrite=args.overwrite,
                     direction=args.direction, truncation_psi=args.truncation,
                     labels=args.labels)
    print(f"wrote {args.path}: the {type(model).__name__} generator as {args.format}")
    return 0
