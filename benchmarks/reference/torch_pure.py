"""The tutorial DCGAN step in pure PyTorch: torch.nn modules, torch.optim.Adam, eager.

Written the way PyTorch's own DCGAN tutorial is: NCHW tensors, ``zero_grad`` /
``backward`` / ``step`` per player (the generator's ``backward`` also fills the
discriminator's weight gradients, which its next update zeroes).
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from benchmarks.reference import tutorial as T


def _bn(n, dims):
    cls = nn.BatchNorm1d if dims == 1 else nn.BatchNorm2d
    return cls(n, eps=T.BN_EPSILON, momentum=1 - T.BN_MOMENTUM)


def networks():
    g = nn.Sequential(
        nn.Linear(T.LATENT_DIM, 7 * 7 * 256, bias=False), _bn(7 * 7 * 256, 1),
        nn.LeakyReLU(T.LRELU_SLOPE), nn.Unflatten(1, (256, 7, 7)),
        nn.ConvTranspose2d(256, 128, 5, 1, padding=2, bias=False), _bn(128, 2),
        nn.LeakyReLU(T.LRELU_SLOPE),
        nn.ConvTranspose2d(128, 64, 5, 2, padding=2, output_padding=1, bias=False),
        _bn(64, 2), nn.LeakyReLU(T.LRELU_SLOPE),
        nn.ConvTranspose2d(64, 1, 5, 2, padding=2, output_padding=1, bias=False), nn.Tanh(),
    )
    d = nn.Sequential(
        nn.Conv2d(1, 64, 5, 2, padding=2), nn.LeakyReLU(T.LRELU_SLOPE), nn.Dropout(T.DROPOUT),
        nn.Conv2d(64, 128, 5, 2, padding=2), nn.LeakyReLU(T.LRELU_SLOPE), nn.Dropout(T.DROPOUT),
        nn.Flatten(), nn.Linear(7 * 7 * 128, 1),
    )
    return g, d


class Step:
    def __init__(self, batch_size, seed=0, device=None):
        torch.manual_seed(seed)
        self.batch_size = batch_size
        # Where Keras' torch backend computes by default: CUDA when torch sees it.
        self.device = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
        g, d = networks()
        self.g, self.d = g.to(self.device), d.to(self.device)
        self.g.train()
        self.d.train()
        betas = (T.BETA_1, T.BETA_2)
        self.g_opt = torch.optim.Adam(self.g.parameters(), T.LEARNING_RATE, betas, T.ADAM_EPSILON)
        self.d_opt = torch.optim.Adam(self.d.parameters(), T.LEARNING_RATE, betas, T.ADAM_EPSILON)
        self.softplus = nn.functional.softplus

    def __call__(self, x):
        # The data is NHWC like everyone else's; a PyTorch user keeps it NCHW,
        # so the transpose is a view and the copy is part of the step.
        real = torch.from_numpy(np.ascontiguousarray(x.transpose(0, 3, 1, 2)))
        real = real.to(self.device)
        n = real.shape[0]
        self.d_opt.zero_grad(set_to_none=True)
        with torch.no_grad():
            fake = self.g(torch.randn(n, T.LATENT_DIM, device=self.device))
        d_loss = self.softplus(-self.d(real)).mean() + self.softplus(self.d(fake)).mean()
        d_loss.backward()
        self.d_opt.step()

        self.g_opt.zero_grad(set_to_none=True)
        z = torch.randn(n, T.LATENT_DIM, device=self.device)
        g_loss = self.softplus(-self.d(self.g(z))).mean()
        g_loss.backward()
        self.g_opt.step()
        return float(d_loss.item())
