"""keras-gans info: a preset's card as a short summary (--json for all of it)."""

from __future__ import annotations

import argparse
import json

NAME = "info"


def add_parser(sub):
    p = sub.add_parser(
        NAME, help="describe a preset",
        description="Print a preset's card: what it is, its data and license, how it was "
        "trained (the exact recipe command, wall time, steps), its metrics with their "
        "protocol names and its files. --json prints the whole metadata.json.",
        epilog="examples:\n  keras-gans info dcgan_mnist\n  keras-gans info dcgan_mnist --json",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("preset", help="a preset name (keras-gans list) or folder")
    p.add_argument("--json", action="store_true", help="print the whole metadata as JSON")
    p.set_defaults(run=run)
    return p


def _value(v):
    return f"{v:.4g}" if isinstance(v, float) else str(v)


def summary(name, meta):
    """The card's lines: identity, data, training, metrics, files."""
    lines = [f"{name}: {meta.get('description', '')}"]
    for key, label in (("variant", "variant"), ("dataset", "dataset"),
                       ("dataset_license", "license"), ("paper", "paper"),
                       ("recipe", "recipe")):
        if meta.get(key):
            lines.append(f"  {label + ':':10s} {meta[key]}")
    trained = []
    if meta.get("backend"):
        trained.append(f"on {meta['backend']}")
    if meta.get("hardware"):
        trained.append(f"({meta['hardware']})")
    if meta.get("wall_time_s"):
        trained.append(f"in {meta['wall_time_s'] / 60:.0f} min")
    for key, label in (("epochs_trained", "epochs"), ("steps_trained", "steps")):
        if meta.get(key):
            trained.append(f"{meta[key]} {label}")
    if meta.get("best_epoch"):
        trained.append(f"kept epoch {meta['best_epoch']}")
    if trained:
        lines.append(f"  {'trained:':10s} {' '.join(trained)}")
    metrics = {k: v for k, v in (meta.get("metrics") or {}).items()
               if not k.endswith("_std") and not isinstance(v, (dict, list))}
    if metrics:
        lines.append("  metrics:")
        width = max(len(k) for k in metrics)
        lines += [f"    {k:{width}s}  {_value(v)}" for k, v in metrics.items()]
    if meta.get("note"):
        lines.append(f"  note: {meta['note']}")
    files = sorted(meta.get("sha256") or {})
    if files:
        lines.append(f"  files:    {', '.join(files)} (sha256-checked)")
    return lines


def run(args):
    from keras_gans import presets

    meta = presets.read_metadata(args.preset)
    if args.json:
        print(json.dumps(meta, indent=1))
    else:
        print("\n".join(summary(args.preset, meta)))
        print("(--json prints everything: settings, per-epoch history, protocol details)")
    return 0
