"""Sequence input shared by the sequence architectures: numbers or token ids, and padding."""

import torch
from torch import nn


class SequenceInput(nn.Module):
    """Flat batch -> (step vectors, padding mask), for numeric or token sequences.

    The batch has shape ``(batch, timesteps * features)``, time-major, as the
    estimators keep X 2-D. Numeric sequences (``vocab_size=None``) are read as
    ``(batch, timesteps, features)``; a timestep whose features are all NaN is
    padding and becomes zeros. Token sequences (``vocab_size`` an int, one
    feature per step) hold integer ids: id 0 and NaN are padding (id 0's
    embedding is zero and never trained), and ids of ``vocab_size`` or more
    share one extra vector, the unseen-token vector.

    Parameters
    ----------
    features : int
        Features per timestep (1 for token ids).
    vocab_size : int or None
        Number of token ids (padding id 0 included); None for numeric input.
    embedding_dim : int or None
        Width of the token embedding; None for numeric input.

    Examples
    --------
    >>> import torch
    >>> from sklearn_dl.modules import SequenceInput
    >>> steps, padding = SequenceInput(1, vocab_size=10, embedding_dim=4)(
    ...     torch.tensor([[3.0, 7.0, 0.0]]))
    >>> steps.shape, padding.tolist()
    (torch.Size([1, 3, 4]), [[False, False, True]])
    """

    def __init__(self, features, vocab_size=None, embedding_dim=None):
        super().__init__()
        self.features = int(features)
        self.vocab_size = vocab_size
        if vocab_size is None:
            self.embedding = None
            self.output_dim = self.features
        else:
            self.embedding = nn.Embedding(vocab_size + 1, embedding_dim, padding_idx=0)
            nn.init.normal_(self.embedding.weight, std=embedding_dim ** -0.5)
            with torch.no_grad():
                self.embedding.weight[0].zero_()
            self.output_dim = embedding_dim

    def forward(self, X):
        if self.embedding is None:
            steps = X.view(len(X), -1, self.features)
            padding = torch.isnan(steps).all(dim=2)
            return steps.masked_fill(torch.isnan(steps), 0.0), padding
        ids = X.view(len(X), -1)
        padding = torch.isnan(ids) | (ids == 0)
        ids = ids.nan_to_num(0.0).long().clamp(0, self.vocab_size)
        return self.embedding(ids), padding


def masked_mean(vectors, padding):
    """Mean of (batch, steps, width) vectors over the steps that are not padding.

    Summed in order (``cumsum``): trailing padded zeros leave the sum exact, so
    a sequence padded to any length gives the same bits.
    """
    keep = (~padding).unsqueeze(2).to(vectors.dtype)
    return (vectors * keep).cumsum(dim=1)[:, -1] / keep.sum(dim=1)


def masked_max(vectors, padding):
    """Elementwise maximum of (batch, steps, width) vectors over the steps that are not padding."""
    return vectors.masked_fill(padding.unsqueeze(2), -torch.inf).amax(dim=1)
