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
