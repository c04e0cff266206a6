"""What every command shares: the one-line errors, checked numeric flags,
loading a model by file or preset name, refusing to overwrite."""

from __future__ import annotations

import argparse
import json
import os
import re
import sys

_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_KERAS_WRAPPED = re.compile(r"^Exception encountered when calling (\S+?)\.?$")


class Parser(argparse.ArgumentParser):
    """argparse with keras-gans' error style: one ``error:`` line, exit 2."""

    def error(self, message):
        self.exit(2, f"error: {self.prog}: {message} (--help shows the options)\n")


def _number(kind, minimum, inclusive=True, maximum=None):
    """An argparse type: ``kind`` (int or float) at least ``minimum`` (more
    than it if not ``inclusive``) and at most ``maximum``."""

    def parse(text):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"expected {'an integer' if kind is int else 'a number'}, got {text!r}") from None
        low = value >= minimum if inclusive else value > minimum
        if not low or (maximum is not None and value > maximum):
            bound = (f"at least {minimum}" if inclusive else f"more than {minimum}")
            if maximum is not None:
                bound += f" and at most {maximum}"
            raise argparse.ArgumentTypeError(f"must be {bound}; got {text}")
        return value

    parse.__name__ = f"{kind.__name__}_at_least_{minimum}"
    parse.minimum, parse.inclusive, parse.maximum = minimum, inclusive, maximum
    return parse


def count(minimum=1):
    """An integer flag of at least ``minimum`` (epochs, samples, steps...)."""
    return _number(int, minimum)


def positive_float():
    return _number(float, 0.0, inclusive=False)


def nonnegative_float(maximum=None):
    return _number(float, 0.0, maximum=maximum)


SEED = count(0)


def one_line(e):
    """An exception as one line: keras_gans' own errors are one line that names
    the fix; an error from elsewhere is named by its class. When Keras wraps an
    error raised inside a layer ("Exception encountered when calling X.call()"),
    the line is the root cause's, with where it happened."""
    from keras_gans.errors import GANConfigError, GANInputError, GANTrainingError

    while e.__cause__ is not None and not isinstance(
            e, (GANConfigError, GANInputError, GANTrainingError)):
        e = e.__cause__
    lines = [_ANSI.sub("", line).strip() for line in str(e).strip().splitlines()]
    lines = [line for line in lines if line]
    where = ""
    wrapped = _KERAS_WRAPPED.match(lines[0]) if lines else None
    if wrapped:
        where = f" (in {wrapped.group(1)})"
        rest = lines[1:]
        cut = next((i for i, line in enumerate(rest) if line.startswith("Arguments received")),
                   len(rest))
        lines = rest[:cut]
    text = lines[0] if lines else ""
    if not isinstance(e, (GANConfigError, GANInputError, GANTrainingError)) or not text:
        text = f"{type(e).__name__}: {text}" if text else type(e).__name__
    text += where
    if len(lines) > 1 or wrapped:
        text += " (--debug shows the traceback)"
    return text


def refuse_existing(paths, overwrite, what="outputs"):
    """One error for the first of ``paths`` that exists, unless ``overwrite``."""
    from keras_gans.errors import GANConfigError

    existing = [p for p in paths if p and os.path.exists(p)]
    if existing and not overwrite:
        more = f" (and {len(existing) - 1} more of the {what})" if len(existing) > 1 else ""
        raise GANConfigError(f"{existing[0]} exists{more}; pass --overwrite to replace it, "
                             "or choose another path.")


def load_model(spec):
    """A .keras file (safe mode) or a preset name/folder."""
    import keras

    from keras_gans import presets
    from keras_gans.errors import GANInputError

    if str(spec).endswith(".keras"):
        if not os.path.exists(spec):
            raise GANInputError(
                f"No saved model at {spec}. Pass a .keras file written by "
                "`keras-gans train` (run_folder/model.keras) or by model.save(), or a "
                "preset name (keras-gans list)."
            )
        check_keras_version(spec)
        try:
            return keras.saving.load_model(spec)  # safe_mode: no arbitrary code
        except Exception as e:
            raise GANInputError(f"Cannot load {spec} as a Keras model: {e}") from e
    if os.sep in str(spec) and not os.path.exists(spec):
        raise GANInputError(
            f"No saved model or preset folder at {spec}. Pass a .keras file or a preset "
            "name (keras-gans list)."
        )
    return presets.from_preset(spec)


def load_gan(spec):
    """``load_model``, refusing anything but a keras_gans model: the commands
    ask the model what it samples from, which labels it takes, ..."""
    from keras_gans.core.gan_model import GANModel
    from keras_gans.errors import GANInputError

    model = load_model(spec)
    if not isinstance(model, GANModel):
        raise GANInputError(
            f"{spec} holds a {type(model).__name__}, not a keras_gans model: pass a "
            "model saved by `keras-gans train` or a keras_gans model's save(), or a "
            "preset name (keras-gans list)."
        )
    return model


def check_keras_version(path):
    """A .keras file saved by a newer Keras than this one: say so, rather than
    fail somewhere inside deserialisation."""
    import zipfile

    import keras

    from keras_gans.errors import GANInputError
    from keras_gans.preset_files import _version_tuple

    try:
        with zipfile.ZipFile(path) as z:
            meta = json.loads(z.read("metadata.json"))
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as e:
        raise GANInputError(
            f"{path} is not a Keras model file (a .keras zip archive): {e}. "
            "Re-save it with model.save(), or rerun `keras-gans train`."
        ) from e
    wrote = str(meta.get("keras_version", ""))
    if wrote and _version_tuple(wrote)[:2] > _version_tuple(keras.__version__)[:2]:
        raise GANInputError(
            f"{path} was saved by Keras {wrote}; this is Keras {keras.__version__}. "
            "Upgrade Keras (and keras-gans) to load it."
        )


def note(text):
    print(f"note: {text}", file=sys.stderr)
