"""Adversarial losses by name, each a paired (discriminator, generator) function.

All take the discriminator's raw outputs (logits for the log-loss forms, critic
scores for the Wasserstein and hinge forms) and return a scalar to *minimise*.

| name             | paper                     | discriminator minimises                         | generator minimises     |
|------------------|---------------------------|-------------------------------------------------|-------------------------|
| `minimax`        | Goodfellow et al. 2014    | -log D(x) - log(1 - D(G(z)))                    | log(1 - D(G(z)))        |
| `non_saturating` | Goodfellow et al. 2014 §3 | same                                            | -log D(G(z))            |
| `least_squares`  | Mao et al. 2017 (0-1 code)| ½(D(x) - 1)² + ½D(G(z))²                        | ½(D(G(z)) - 1)²         |
| `wasserstein`    | Arjovsky et al. 2017      | D(G(z)) - D(x)                                  | -D(G(z))                |
| `hinge`          | Lim & Ye 2017; Miyato 2018| relu(1 - D(x)) + relu(1 + D(G(z)))              | -D(G(z))                |

`minimax`'s generator loss is the fake term of -J_D, so J_G = -J_D up to a term
that does not depend on G. `real_target` < 1 gives one-sided label smoothing
(Salimans et al. 2016) for the log-loss and least-squares forms.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from keras import ops

from keras_gans.errors import GANConfigError, did_you_mean


def _mean(x):
    return ops.mean(ops.cast(x, "float32"))


def _bce_real(logits, target):
    # -[t log σ(l) + (1 - t) log(1 - σ(l))], written with softplus for stability.
    logits = ops.cast(logits, "float32")
    return _mean(target * ops.softplus(-logits) + (1.0 - target) * ops.softplus(logits))


# The distances the variants' own terms are made of (cycle and reconstruction
# losses, the DTN's f-constancy), in float32 whatever the compute dtype.
def mean_squared_error(x, y):
    return _mean(ops.square(ops.cast(x, "float32") - ops.cast(y, "float32")))


def mean_absolute_error(x, y):
    return _mean(ops.abs(ops.cast(x, "float32") - ops.cast(y, "float32")))


def sigmoid_cross_entropy(logits, target):
    """BCE of sigmoid(logits) against ``target`` (a constant or a tensor)."""
    return _bce_real(logits, target)


def log_d_loss(real, fake, real_target=1.0):
    return _bce_real(real, real_target) + _mean(ops.softplus(ops.cast(fake, "float32")))


def minimax_g_loss(fake):
    return -_mean(ops.softplus(ops.cast(fake, "float32")))


def non_saturating_g_loss(fake):
    return _mean(ops.softplus(-ops.cast(fake, "float32")))


def least_squares_d_loss(real, fake, real_target=1.0):
    real = ops.cast(real, "float32")
    fake = ops.cast(fake, "float32")
    return 0.5 * _mean(ops.square(real - real_target)) + 0.5 * _mean(ops.square(fake))


def least_squares_g_loss(fake):
    return 0.5 * _mean(ops.square(ops.cast(fake, "float32") - 1.0))


def wasserstein_d_loss(real, fake, real_target=1.0):
    return _mean(fake) - _mean(real)


def wasserstein_g_loss(fake):
    return -_mean(fake)


def hinge_d_loss(real, fake, real_target=1.0):
    return _mean(ops.relu(1.0 - ops.cast(real, "float32"))) + _mean(
        ops.relu(1.0 + ops.cast(fake, "float32"))
    )


@dataclass(frozen=True)
class AdversarialLoss:
    name: str
    d_loss: Callable
    g_loss: Callable
    supports_label_smoothing: bool
    outputs: str  # "logits" or "scores": what the discriminator's output means


LOSSES = {
    "minimax": AdversarialLoss("minimax", log_d_loss, minimax_g_loss, True, "logits"),
    "non_saturating": AdversarialLoss(
        "non_saturating", log_d_loss, non_saturating_g_loss, True, "logits"
    ),
    "least_squares": AdversarialLoss(
        "least_squares", least_squares_d_loss, least_squares_g_loss, True, "scores"
    ),
    "wasserstein": AdversarialLoss(
        "wasserstein", wasserstein_d_loss, wasserstein_g_loss, False, "scores"
    ),
    "hinge": AdversarialLoss("hinge", hinge_d_loss, wasserstein_g_loss, False, "scores"),
}


def get(name) -> AdversarialLoss:
    """Look up a paired adversarial loss by name."""
    if isinstance(name, AdversarialLoss):
        return name
    if name not in LOSSES:
        raise GANConfigError(
            f"Unknown adversarial loss {name!r}; known: {sorted(LOSSES)}."
            + did_you_mean(name, LOSSES)
        )
    return LOSSES[name]
