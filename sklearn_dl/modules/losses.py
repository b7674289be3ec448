"""Per-sample losses with sklearn's definitions.

Each returns one value per sample (shape ``(n_samples,)``) so the training
engine can weight samples and add the L2 penalty exactly as sklearn does, and
offers :meth:`~PerSampleLoss.mean`, the unweighted mean of those values in
torch's fused reductions (fewer kernels per batch when no sample is weighted).
Every loss takes the module's raw output (logits, or the log of the mean for
Poisson): the output non-linearity lives here, where it is numerically stable.
"""

import torch
import torch.nn.functional as F
from torch import nn


# torch's code for reduction='mean'.
_MEAN = torch.nn._reduction.get_enum("mean")


def _plain_and_alike(raw, target):
    """Whether both are plain tensors (no subclass to dispatch to) of the same shape:
    where torch's loss kernels can be called without the functional wrappers' checks."""
    return type(raw) is torch.Tensor and type(target) is torch.Tensor and raw.shape == target.shape


class PerSampleLoss(nn.Module):
    """A loss with one value per sample and a fast unweighted mean."""

    def forward(self, raw, target):
        raise NotImplementedError

    def mean(self, raw, target):
        """``forward(raw, target).mean()``, computed more directly where torch can."""
        return self(raw, target).mean()


class SoftmaxCrossEntropy(PerSampleLoss):
    """Multiclass log-loss; targets are class indices."""

    def forward(self, raw, target):
        return F.cross_entropy(raw, target, reduction="none")

    def mean(self, raw, target):
        if type(raw) is torch.Tensor and type(target) is torch.Tensor:
            # What F.cross_entropy calls, without its Python-level dispatch
            # (ignore_index -100 and no label smoothing, its defaults).
            return torch._C._nn.cross_entropy_loss(raw, target, None, _MEAN, -100, 0.0)
        return F.cross_entropy(raw, target)


class SigmoidCrossEntropy(PerSampleLoss):
    """Binary / multi-label log-loss, summed over labels as sklearn sums it."""

    def forward(self, raw, target):
        return F.binary_cross_entropy_with_logits(raw, target, reduction="none").sum(dim=1)

    def mean(self, raw, target):
        # The mean over samples of a sum over labels is the mean over all
        # entries times the number of labels (a multiplication only worth its
        # cost when there are several).
        if _plain_and_alike(raw, target):
            # What F.binary_cross_entropy_with_logits calls, without its
            # Python-level dispatch and checks.
            loss = torch.binary_cross_entropy_with_logits(raw, target, None, None, _MEAN)
        else:
            loss = F.binary_cross_entropy_with_logits(raw, target)
        return loss if raw.shape[1] == 1 else loss * raw.shape[1]


class _OverOutputs(PerSampleLoss):
    """A loss that reduces over the outputs by their mean, or their sum (``sum_outputs``)."""

    def __init__(self, sum_outputs=False):
        super().__init__()
        self.sum_outputs = sum_outputs

    def _per_sample(self, values):
        return values.sum(dim=1) if self.sum_outputs else values.mean(dim=1)

    def _outputs_factor(self, raw):
        """What turns the mean over all entries into the mean over samples."""
        return raw.shape[1] if self.sum_outputs and raw.ndim == 2 else 1


class HalfSquaredError(_OverOutputs):
    """Half the squared error, averaged over outputs, or summed (``sum_outputs=True``).

    scikit-learn's ``squared_error`` reports the average over outputs but steps
    along the gradient of the sum (its issue #8349): ``sum_outputs=True`` is
    the loss its MLPRegressor trains on.
    """

    def forward(self, raw, target):
        return 0.5 * self._per_sample((raw - target).square())

    def mean_parts(self, raw, target):
        """``(base, factor)`` with :meth:`mean` ``== factor * base``: the mean
        squared error and 0.5 (times the outputs when summed over them), for a
        training step to start backward from."""
        factor = 0.5 * self._outputs_factor(raw)
        if _plain_and_alike(raw, target):
            # F.mse_loss's own kernel, without its Python-level checks and the
            # broadcast views it makes of operands whose shapes agree already:
            # the same values and gradients, two autograd nodes fewer per batch.
            return torch._C._nn.mse_loss(raw, target, _MEAN), factor
        return F.mse_loss(raw, target), factor

    def mean(self, raw, target):
        # The product that mean_parts leaves to the training step.
        factor = 0.5 * self._outputs_factor(raw)
        if _plain_and_alike(raw, target):
            return factor * torch._C._nn.mse_loss(raw, target, _MEAN)
        return factor * F.mse_loss(raw, target)


class HalfPoissonDeviance(_OverOutputs):
    """Half the Poisson deviance with a log link, averaged over outputs or summed
    (``sum_outputs=True``: scikit-learn's ``poisson`` loss)."""

    def _deviance(self, raw, target):
        return torch.xlogy(target, target) - target * raw - target + torch.exp(raw)

    def forward(self, raw, target):
        return self._per_sample(self._deviance(raw, target))

    def mean(self, raw, target):
        return self._deviance(raw, target).mean() * self._outputs_factor(raw)


class NextTokenCrossEntropy(PerSampleLoss):
    """Mean log-loss of a sequence's next-token predictions; target id 0 (padding) is ignored.

    ``raw`` has shape (batch, steps, vocab_size), ``target`` (batch, steps).
    """

    def forward(self, raw, target):
        losses = F.cross_entropy(raw.transpose(1, 2), target, ignore_index=0, reduction="none")
        return losses.sum(dim=1) / (target != 0).sum(dim=1).clamp(min=1)
