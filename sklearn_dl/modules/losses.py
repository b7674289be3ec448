"""Per-sample losses with sklearn's definitions.

Each returns one value per sample (shape ``(n_samples,)``) so the training
engine can weight samples and add the L2 penalty exactly as sklearn does.
Every loss takes the module's raw output (logits, or the log of the mean for
Poisson): the output non-linearity lives here, where it is numerically stable.
"""

import torch
import torch.nn.functional as F
from torch import nn


class SoftmaxCrossEntropy(nn.Module):
    """Multiclass log-loss; targets are class indices."""

    def forward(self, raw, target):
        return F.cross_entropy(raw, target, reduction="none")


class SigmoidCrossEntropy(nn.Module):
    """Binary / multi-label log-loss, summed over labels as sklearn sums it."""

    def forward(self, raw, target):
        return F.binary_cross_entropy_with_logits(raw, target, reduction="none").sum(dim=1)


class HalfSquaredError(nn.Module):
    """Half the squared error, averaged over outputs (sklearn's ``squared_error``)."""

    def forward(self, raw, target):
        return 0.5 * (raw - target).square().mean(dim=1)


class HalfPoissonDeviance(nn.Module):
    """Half the Poisson deviance with a log link (sklearn's ``poisson`` loss)."""

    def forward(self, raw, target):
        deviance = torch.xlogy(target, target) - target * raw - target + torch.exp(raw)
        return deviance.mean(dim=1)
