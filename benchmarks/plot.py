"""Plots and Markdown tables from the benchmark CSVs (needs matplotlib).

    python benchmarks/plot.py                          # every CSV in benchmarks/results/
    python benchmarks/plot.py benchmarks/results/host-2026-11-25.csv --markdown

Writes ``benchmarks/results/steps_per_s.png`` (steps/s by variant and backend),
``benchmarks/results/scaling.png`` (DCGAN steps/s against batch size and image
size) and, with ``--markdown``, prints the tables RESULTS.md holds. When a
measurement appears more than once, the last row wins.
"""

from __future__ import annotations

import argparse
import csv
import glob
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
RESULTS = os.path.join(HERE, "results")
BACKENDS = ("tensorflow", "jax", "torch", "torch_1thread")
COLORS = {"tensorflow": "#ff8f00", "jax": "#4285f4", "torch": "#ee4c2c",
          "torch_1thread": "#7b1fa2"}


def load(paths):
    latest = {}
    for path in paths:
        with open(path, newline="") as f:
            for row in csv.DictReader(f):
                if not row.get("steps_per_s"):
                    continue
                if "1thread" in os.path.basename(path):  # OMP_NUM_THREADS=1 runs
                    row["backend"] += "_1thread"
                key = (row["suite"], row["backend"], row["variant"], row["side"],
                       row["batch_size"], row["image_size"], row["device"])
                latest[key] = row
    return list(latest.values())


def _f(row, key):
    return float(row[key])


def variants_plot(rows, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [r for r in rows if r["suite"] == "variants"]
    batches = sorted({int(r["batch_size"]) for r in rows})
    variants = list(dict.fromkeys(r["variant"] for r in rows))
    if not rows:
        return False
    fig, axes = plt.subplots(len(batches), 1, figsize=(11, 3.6 * len(batches)), squeeze=False)
    backends = [b for b in BACKENDS if any(r["backend"] == b for r in rows)]
    width = 0.8 / len(backends)
    for ax, batch in zip(axes[:, 0], batches):
        for i, backend in enumerate(backends):
            values = {r["variant"]: _f(r, "steps_per_s") for r in rows
                      if r["backend"] == backend and int(r["batch_size"]) == batch}
            xs = [j + (i - (len(backends) - 1) / 2) * width
                  for j, v in enumerate(variants) if v in values]
            ys = [values[v] for v in variants if v in values]
            ax.bar(xs, ys, width, label=backend, color=COLORS[backend])
        ax.set_yscale("log")
        ax.set_xticks(range(len(variants)), variants, rotation=20)
        ax.set_ylabel("training steps/s (log)")
        ax.set_title(f"keras_gans training steps/s, batch {batch}, 28x28x1 "
                     f"({rows[0]['cpu']}, {rows[0]['cores']} cores, shared)")
        ax.grid(axis="y", alpha=0.3)
        ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return True


def scaling_plot(rows, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [r for r in rows if r["suite"] == "scaling"]
    if not rows:
        return False
    fig, (a, b) = plt.subplots(1, 2, figsize=(11, 4))
    for backend in BACKENDS:
        mine = [r for r in rows if r["backend"] == backend]
        by_batch = sorted((int(r["batch_size"]), _f(r, "steps_per_s")) for r in mine
                          if r["image_size"] == "28")
        by_size = sorted((int(r["image_size"]), _f(r, "steps_per_s")) for r in mine
                         if r["batch_size"] == "64")
        if by_batch:
            a.plot(*zip(*by_batch), "o-", label=backend, color=COLORS[backend])
        if by_size:
            b.plot(*zip(*by_size), "o-", label=backend, color=COLORS[backend])
    a.set(xscale="log", yscale="log", xlabel="batch size", ylabel="steps/s (log)",
          title="DCGAN 28x28x1: steps/s against batch size")
    a.minorticks_off()
    a.set_xticks([16, 32, 64, 128, 256, 512], ["16", "32", "64", "128", "256", "512"])
    b.set(yscale="log", xlabel="image side (28: 1 channel; 32, 64: 3)", ylabel="steps/s (log)",
          title="DCGAN batch 64: steps/s against image size")
    b.minorticks_off()
    b.set_xticks([28, 32, 64], ["28", "32", "64"])
    for ax in (a, b):
        ax.grid(alpha=0.3)
        ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return True


def format_table(header, rows):
    """A Markdown table; the first column left-aligned, the others right-aligned."""
    rows = [[str(c) for c in r] for r in rows]
    widths = [max([len(str(h))] + [len(r[i]) for r in rows]) for i, h in enumerate(header)]

    def line(cells):
        out = [cells[0].ljust(widths[0])] + [c.rjust(w) for c, w in zip(cells[1:], widths[1:])]
        return "| " + " | ".join(out) + " |"

    sep = "|" + "|".join("-" * (w + 1) + (":" if i else "-") for i, w in enumerate(widths)) + "|"
    return "\n".join([line([str(h) for h in header]), sep] + [line(r) for r in rows])


def _paired(row):
    for part in row.get("note", "").split():
        if part.startswith("paired_ratio="):
            return f"{float(part.split('=')[1]):.2f}"
    return ""


def markdown(rows):
    out = []
    cmp_rows = [r for r in rows if r["suite"] == "compare"]
    if cmp_rows:
        table = []
        for r in cmp_rows:
            table.append([r["backend"], r["batch_size"], r["side"], r["jit_compile"],
                          f"{_f(r, 'steps_per_s'):.3g}", f"{_f(r, 'median_ms'):.0f}",
                          f"{_f(r, 'compile_s'):.1f}",
                          f"{_f(r, 'ratio'):.2f}" if r["ratio"] else "", _paired(r)])
        out.append(format_table(["backend", "batch", "side", "jit", "steps/s", "median ms",
                                 "compile s", "keras_gans / side", "paired"], table))
    var_rows = [r for r in rows if r["suite"] == "variants"]
    if var_rows:
        variants = list(dict.fromkeys(r["variant"] for r in var_rows))
        batches = sorted({int(r["batch_size"]) for r in var_rows})
        index = {(r["variant"], r["backend"], int(r["batch_size"])): r for r in var_rows}
        table = []
        for v in variants:
            line = [v]
            for batch in batches:
                for backend in BACKENDS:
                    r = index.get((v, backend, batch))
                    line.append(f"{_f(r, 'steps_per_s'):.3g} ({_f(r, 'compile_s'):.1f}; "
                                f"{_f(r, 'peak_rss_mb'):.0f} MB)" if r else "-")
            table.append(line)
        header = ["variant"] + [f"{b} @{batch}" for batch in batches for b in BACKENDS]
        out.append(format_table(header, table))
    sc_rows = [r for r in rows if r["suite"] == "scaling"]
    if sc_rows:
        keys = sorted({(int(r["image_size"]), int(r["batch_size"])) for r in sc_rows})
        index = {(int(r["image_size"]), int(r["batch_size"]), r["backend"]): r for r in sc_rows}
        table = []
        for size, batch in keys:
            line = [f"{size}", str(batch)]
            for backend in BACKENDS:
                r = index.get((size, batch, backend))
                line.append(f"{_f(r, 'steps_per_s'):.3g} ({_f(r, 'images_per_s'):.0f} img/s)"
                            if r else "-")
            table.append(line)
        out.append(format_table(["image side", "batch", *BACKENDS], table))
    return "\n\n".join(out)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("csv", nargs="*", help="default: benchmarks/results/*.csv")
    p.add_argument("--markdown", action="store_true", help="print the tables")
    p.add_argument("--out", default=RESULTS)
    args = p.parse_args(argv)
    paths = args.csv or sorted(glob.glob(os.path.join(RESULTS, "*.csv")))
    rows = load(paths)
    if args.markdown:
        print(markdown(rows))
    for name, fn in (("steps_per_s.png", variants_plot), ("scaling.png", scaling_plot)):
        if fn(rows, os.path.join(args.out, name)):
            print(f"wrote {os.path.join(args.out, name)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
