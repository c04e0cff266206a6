"""The runners' tables in the docs: a block between two marker lines."""

import os


def replace_block(path, block, begin, end):
    """Put ``block`` (which starts with ``begin`` and ends with ``end``) in place
    of the text between those markers in ``path``, or append it."""
    text = ""
    if os.path.exists(path):
        with open(path) as f:
            text = f.read()
    if begin in text and end in text:
        text = text[: text.index(begin)] + block + text[text.index(end) + len(end):]
    else:
        text = text + ("\n" if text else "") + block + "\n"
    with open(path, "w") as f:
        f.write(text)


def add_output_arguments(parser, root, name, tiny_help):
    """The runners' common options: ``--tiny`` (checks the runner, not the
    numbers), ``--out`` (``benchmarks/results/<name>.csv``) and ``--doc``."""
    parser.add_argument("--tiny", action="store_true", help=tiny_help)
    parser.add_argument("--out", default=os.path.join(root, "benchmarks", "results",
                                                      f"{name}.csv"))
    parser.add_argument("--doc", default=os.path.join(root, "docs", "paper_tables.md"))
