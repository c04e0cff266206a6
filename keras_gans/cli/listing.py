"""keras-gans list: the variants and the installed presets, one short line each."""

from __future__ import annotations

import argparse

NAME = "list"
WIDTH = 100  # characters a line, at most


def add_parser(sub):
    p = sub.add_parser(
        NAME, help="list the variants and presets",
        description="List the GAN variants (the names `keras-gans train` takes) and the "
        "installed presets with their headline metric; `keras-gans info NAME` shows a "
        "preset's card.",
        epilog="examples:\n  keras-gans list\n  keras-gans info dcgan_mnist",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.set_defaults(run=run)
    return p


def headline(meta):
    """A preset's headline metric as 'FID 158 (mnist, 10k)': the protocol's
    first FID, else its first translation accuracy, else its first number."""
    metrics = {k: v for k, v in (meta.get("metrics") or {}).items()
               if isinstance(v, (int, float)) and not k.endswith("_std")}
    for prefix, label in (("fid_", "FID"), ("translation_accuracy", "accuracy"),
                          ("kid_", "KID")):
        key = next((k for k in metrics if k.startswith(prefix)), None)
        if key is not None:
            borrowed = "cifar10_classifier" in key and meta.get("dataset") != "cifar10"
            return f"{label} {metrics[key]:.4g}" + (" (CIFAR-10 features)" if borrowed else "")
    key = next(iter(metrics), None)
    return f"{key} {metrics[key]:.4g}" if key else ""


def _clip(text, width=WIDTH):
    return text if len(text) <= width else text[: width - 3] + "..."


def run(args):
    from keras_gans import presets
    from keras_gans.models import VARIANTS

    print("variants (keras-gans train NAME):")
    for name, cls in VARIANTS.items():
        doc = (cls.__doc__ or "").strip().splitlines()[0]
        print(_clip(f"  {name:16s} {doc}"))
    found = presets.list_presets()
    print("presets (keras-gans info NAME):" if found else "presets: none installed")
    for name, meta in found.items():
        line = f"  {name:24s} {meta.get('variant', '?'):22s} {meta.get('dataset', ''):22s}"
        print(_clip(f"{line} {headline(meta)}".rstrip()))
    return 0
