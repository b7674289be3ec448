"""Recurrent network: the architecture behind LSTMClassifier and LSTMRegressor."""

import torch
from torch import nn
from torch.nn.utils.rnn import PackedSequence, pack_padded_sequence, pad_packed_sequence

from sklearn_dl.modules._layers import Dropout
from sklearn_dl.modules._sequence import SequenceInput, masked_max, masked_mean

_CELLS = {"lstm": nn.LSTM, "gru": nn.GRU}

# What the head reads: the final state, a pooling of the outputs over time, or both.
POOLINGS = ("last", "mean", "max", "last_mean", "last_max", "last_mean_max")

# How the gate biases start: a forget-gate bias of 1, or drawn for the sequence length.
GATE_INITS = ("unit_forget", "chrono")


class RecurrentNet(nn.Module):
    """A stacked LSTM or GRU read to its last step (or pooled over time), then a linear head.

    The input is a flat batch of shape ``(batch, timesteps * features)``
    (time-major: the features of step 0, then of step 1...), unflattened to
    ``input_shape`` inside the module, so the estimators can keep X 2-D.

    Variable-length sequences are NaN-padded at the end: a timestep whose
    features are all NaN is padding. The sequence lengths are read from that
    mask and the batch is packed (``pack_padded_sequence``), so each sequence's
    output is its state after its own last step and the padding changes
    nothing. The module stays a function of one tensor, which chunked
    prediction and skorch need. Token sequences (``vocab_size`` set, one
    feature per step) go through an embedding, id 0 being padding (see
    :class:`SequenceInput`).

    The head reads the last layer's final hidden state (both directions'
    when ``bidirectional``), or its outputs pooled over the steps
    (``pooling``; padding never counts), and outputs raw scores, one per
    output.

    Parameters
    ----------
    input_shape : tuple of int
        ``(timesteps, features)`` of one sequence.
    n_outputs : int
        Width of the output.
    cell : {'lstm', 'gru'}
    hidden_size : int
        Width of the recurrent state, per direction.
    num_layers : int
        Number of stacked recurrent layers.
    bidirectional : bool
        Also read each sequence backwards and concatenate both final states.
    dropout : float
        Probability of zeroing a recurrent layer's outputs during training:
        between stacked layers and before the head.
    vocab_size, embedding_dim : int or None
        Token input: number of ids (padding id 0 included) and embedding
        width (None: ``hidden_size``); a ``vocab_size`` of None is numeric input.
    pooling : {'last', 'mean', 'max', 'last_mean', 'last_max', 'last_mean_max'}
        What the head reads: ``'last'`` the final hidden state; ``'mean'`` /
        ``'max'`` the last layer's outputs (both directions' at each step)
        averaged / maximised over each sequence's own steps; ``'last_mean'``
        / ``'last_max'`` / ``'last_mean_max'`` the final state and those
        poolings side by side.
    gate_init : {'unit_forget', 'chrono'}
        The gate biases at initialisation. ``'unit_forget'``: an LSTM's
        forget-gate bias 1, every other bias 0 (a GRU's all 0).
        ``'chrono'``: the chrono initialisation of Tallec and Ollivier
        (2018), with ``T_max`` the number of timesteps of ``input_shape``:
        an LSTM's forget-gate bias ``log(u)`` with ``u`` uniform in
        ``[1, T_max - 1]``, drawn per unit, and its input-gate bias the
        opposite; a GRU's update-gate bias ``log(u)`` (PyTorch's update gate
        keeps the previous state). Each unit then starts with a memory
        (``1 / (1 - forget gate)``) of 2 to ``T_max`` steps (of 2 for one or
        two timesteps: ``u = 1``, every bias 0). The biases are drawn after
        every weight, so both schemes draw the same weights.

    Examples
    --------
    >>> import torch
    >>> from sklearn_dl.modules import RecurrentNet
    >>> net = RecurrentNet((5, 2), n_outputs=3, hidden_size=8)
    >>> net(torch.zeros(4, 10)).shape
    torch.Size([4, 3])
    >>> RecurrentNet((5, 2), n_outputs=3, hidden_size=8, pooling="last_max").head
    Linear(in_features=16, out_features=3, bias=True)
    >>> lstm = RecurrentNet((200, 2), n_outputs=2, hidden_size=8, gate_init="chrono").rnn
    >>> forget = lstm.bias_ih_l0[8:16]
    >>> bool(forget.min() >= 0 and forget.max() <= torch.log(torch.tensor(199.0)))
    True
    >>> torch.equal(lstm.bias_ih_l0[:8], -forget)
    True
    """

    def __init__(self, input_shape, n_outputs, cell="lstm", hidden_size=64, num_layers=1,
                 bidirectional=False, dropout=0.0, vocab_size=None, embedding_dim=None,
                 pooling="last", gate_init="unit_forget"):
        super().__init__()
        if pooling not in POOLINGS:
            raise ValueError(f"pooling={pooling!r} is not one of {POOLINGS}.")
        if gate_init not in GATE_INITS:
            raise ValueError(f"gate_init={gate_init!r} is not one of {GATE_INITS}.")
        self.pooling = pooling
        self.gate_init = gate_init
        self.input_shape = tuple(int(size) for size in input_shape)
        self.cell = cell
        self.hidden_size = hidden_size
        self.input = SequenceInput(self.input_shape[1], vocab_size, embedding_dim or hidden_size)
        if num_layers > 1 and dropout > 0:
            # torch's own dropout between layers draws from the global generator.
            self.rnn = StackedRecurrent(cell, self.input.output_dim, hidden_size, num_layers,
                                        bidirectional, dropout)
        else:
            self.rnn = _CELLS[cell](input_size=self.input.output_dim, hidden_size=hidden_size,
                                    num_layers=num_layers, bidirectional=bidirectional,
                                    batch_first=True)
        self.n_directions = 2 if bidirectional else 1
        self.dropout = Dropout(dropout)
        width = self.n_directions * hidden_size
        self.head = nn.Linear(len(pooling.split("_")) * width, n_outputs)
        self.reset_parameters()

    def reset_parameters(self):
        """Glorot input weights, orthogonal recurrent weights, gate biases by ``gate_init``.

        The usual recurrent initialisation: orthogonal recurrent matrices keep
        the state's norm through time, and a forget-gate bias of 1 makes an
        untrained LSTM remember by default, so long-range gradients survive.
        ``'chrono'`` draws the biases last, so the weights are those of
        ``'unit_forget'``.
        """
        hidden_size = self.hidden_size
        for name, param in self.rnn.named_parameters():
            name = name.rsplit(".", 1)[-1]
            if name.startswith("weight_ih"):
                for gate in param.split(hidden_size):
                    nn.init.xavier_uniform_(gate)
            elif name.startswith("weight_hh"):
                for gate in param.split(hidden_size):
                    nn.init.orthogonal_(gate)
            else:
                nn.init.zeros_(param)
                if self.cell == "lstm" and name.startswith("bias_ih"):
                    param.data[hidden_size:2 * hidden_size] = 1.0
        nn.init.xavier_uniform_(self.head.weight)
        nn.init.zeros_(self.head.bias)
        if self.gate_init == "chrono":
            self._chrono_biases()

    @torch.no_grad()
    def _chrono_biases(self):
        """Tallec and Ollivier's chrono initialisation, ``T_max`` the number of timesteps.

        PyTorch adds ``bias_ih`` and ``bias_hh``: the whole bias goes into
        ``bias_ih`` and ``bias_hh`` stays 0. Gate order: LSTM i, f, g, o; GRU
        r, z, n, where z (the update gate) weighs the previous state.
        """
        hidden_size = self.hidden_size
        # log(u), u uniform in [1, T_max - 1]: a memory 1 / (1 - sigmoid(log u)) = 1 + u.
        # One timestep would make the interval empty: u = 1 there, as for two.
        high = max(self.input_shape[0] - 1, 1)
        for name, param in self.rnn.named_parameters():
            if name.rsplit(".", 1)[-1].startswith("bias_ih"):
                keep = torch.empty_like(param[:hidden_size]).uniform_(1, high).log_()
                param[hidden_size:2 * hidden_size] = keep
                if self.cell == "lstm":
                    param[:hidden_size] = -keep

    def forward(self, X):
        sequences, padding = self.input(X)
        packed = bool(padding.any())
        if packed:
            # An all-padding sequence (an empty text) is read as one zero step.
            lengths = (~padding).sum(dim=1).clamp(min=1)
            # Steps that no sequence reads are dropped: a padded sequence alone
            # then runs the very kernels of the sequence unpadded, the same bits
            # on any device (the CPU's and cuDNN's packed kernels differ from
            # their dense ones in the last bits).
            longest = int(lengths.max())
            sequences, padding = sequences[:, :longest], padding[:, :longest]
            packed = bool(padding.any())
        if packed:
            sequences = pack_padded_sequence(sequences, lengths.cpu(), batch_first=True,
                                              enforce_sorted=False)
        outputs, state = self.rnn(sequences)
        parts = []
        reads = self.pooling.split("_")
        if "last" in reads:
            hidden = state[0] if self.cell == "lstm" else state
            # hidden: (num_layers * directions, batch, hidden_size); keep the last layer.
            parts.append(hidden[-self.n_directions:].transpose(0, 1).reshape(len(X), -1))
        if self.pooling != "last":
            if packed:
                steps = padding.shape[1]
                outputs = pad_packed_sequence(outputs, batch_first=True, total_length=steps)[0]
                # The steps that packing read: each sequence's own, and step 0 of an empty one.
                padding = torch.arange(steps, device=lengths.device) >= lengths.unsqueeze(1)
            parts.extend(pool(outputs, padding) for name, pool in
                         (("mean", masked_mean), ("max", masked_max)) if name in reads)
        pooled = parts[0] if len(parts) == 1 else torch.cat(parts, dim=1)
        return self.head(self.dropout(pooled))


class StackedRecurrent(nn.Module):
    """Single-layer LSTMs or GRUs stacked with :class:`~sklearn_dl.modules.Dropout` between.

    What ``nn.LSTM(num_layers=n, dropout=p)`` computes, but the dropout masks
    come from the layer's own generator instead of torch's global one. Takes
    and returns what ``nn.LSTM`` / ``nn.GRU`` (``batch_first=True``) do: a
    padded batch or a :class:`~torch.nn.utils.rnn.PackedSequence`, and the
    outputs with the final state of every layer.
    """

    def __init__(self, cell, input_size, hidden_size, num_layers, bidirectional, dropout):
        super().__init__()
        width = 2 * hidden_size if bidirectional else hidden_size
        self.layers = nn.ModuleList(
            _CELLS[cell](input_size=input_size if index == 0 else width, hidden_size=hidden_size,
                         bidirectional=bidirectional, batch_first=True)
            for index in range(num_layers))
        self.dropout = Dropout(dropout)

    def forward(self, sequences):
        states = []
        for index, layer in enumerate(self.layers):
            if index:
                sequences = self._drop(sequences)
            sequences, state = layer(sequences)
            states.append(state)
        if isinstance(states[0], tuple):  # LSTM: (hidden, cell) per layer
            return sequences, tuple(torch.cat(parts) for parts in zip(*states))
        return sequences, torch.cat(states)

    def _drop(self, sequences):
        if isinstance(sequences, PackedSequence):
            return sequences._replace(data=self.dropout(sequences.data))
        return self.dropout(sequences)
