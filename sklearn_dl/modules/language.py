"""Next-token network: the architecture behind sklearn_dl.text.LanguageModel."""

from torch import nn

from sklearn_dl.modules._layers import Dropout
from sklearn_dl.modules.recurrent import _CELLS, StackedRecurrent
from sklearn_dl.modules.transformer import TransformerEncoder


class LanguageNet(nn.Module):
    """Token ids -> scores of the next token at every position.

    The input is a batch of token-id sequences ``(batch, steps)`` (floats
    holding integers, 0 being padding at the end); the output has shape
    ``(batch, steps, vocab_size)``: at position ``t``, the unnormalised log
    probabilities of the token at ``t + 1``. Position ``t`` sees only
    positions up to ``t``: a recurrent cell reads left to right, a
    Transformer masks the future (causal attention).

    Parameters
    ----------
    vocab_size : int
        Number of token ids, padding id 0 included.
    cell : {'lstm', 'gru', 'transformer'}, default='lstm'
    hidden_size : int, default=128
        Width of the recurrent state, or the Transformer's ``d_model``.
    num_layers : int, default=1
        Stacked recurrent layers or Transformer blocks.
    dropout : float, default=0.0
        Dropout between layers and before the output layer.
    embedding_dim : int or None, default=None
        Width of the token embedding; None is ``hidden_size``.
    n_heads : int, default=4
        Attention heads (Transformer only).
    max_len : int, default=512
        Longest sequence (Transformer only: its position code).

    Examples
    --------
    >>> import torch
    >>> from sklearn_dl.modules import LanguageNet
    >>> net = LanguageNet(vocab_size=20, hidden_size=16)
    >>> net(torch.tensor([[3.0, 5.0, 7.0]])).shape
    torch.Size([1, 3, 20])
    """

    def __init__(self, vocab_size, cell="lstm", hidden_size=128, num_layers=1, dropout=0.0,
                 embedding_dim=None, n_heads=4, max_len=512):
        super().__init__()
        self.cell = cell
        embedding_dim = embedding_dim or hidden_size
        if cell == "transformer":
            self.encoder = TransformerEncoder(
                1, d_model=hidden_size, n_heads=n_heads, num_layers=num_layers,
                dim_feedforward=4 * hidden_size, dropout=dropout, max_len=max_len,
                causal=True, vocab_size=vocab_size, embedding_dim=embedding_dim)
        else:
            self.embedding = nn.Embedding(vocab_size, embedding_dim, padding_idx=0)
            if num_layers > 1 and dropout > 0:
                # torch's own dropout between layers draws from the global generator.
                self.rnn = StackedRecurrent(cell, embedding_dim, hidden_size, num_layers,
                                            bidirectional=False, dropout=dropout)
            else:
                self.rnn = _CELLS[cell](embedding_dim, hidden_size, num_layers=num_layers,
                                        batch_first=True)
        self.dropout = Dropout(dropout)
        self.head = nn.Linear(hidden_size, vocab_size)

    def forward(self, X):
        if self.cell == "transformer":
            states = self.encoder(X)[0]
        else:
            ids = X.view(len(X), -1).nan_to_num(0.0).long()
            states = self.rnn(self.embedding(ids))[0]
        return self.head(self.dropout(states))
