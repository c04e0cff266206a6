from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Phase:
    """One step of a GAN's schedule: one loss, one update of some players.

    Args:
        name: what the phase is called in logs (``"discriminator"``).
        players: the players whose trainable variables this phase updates; each
            is updated by its own optimizer.
        loss_fn: ``loss_fn(batch) -> (loss, logs)``, written with ``keras.ops``.
        repeats: how many updates of this phase per training step
            (``n_critic`` for the WGAN critic).
    """

    name: str
    players: tuple
    loss_fn: Callable
    repeats: int = 1
