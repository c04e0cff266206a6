"""Errors that name the problem and the fix."""


class GANInputError(ValueError):
    """Data given to a GAN does not fit it (shape, dtype, range, NaN, labels)."""


class GANConfigError(ValueError):
    """A GAN was set up wrongly (unknown name, optimizers, arguments)."""


class GANTrainingError(RuntimeError):
    """Training went wrong in a way the user must act on (a diverging run)."""


def did_you_mean(name, choices):
    import difflib

    close = difflib.get_close_matches(str(name), list(choices), n=1)
    return f" Did you mean {close[0]!r}?" if close else ""
