"""Encoder-only Transformer: the architecture behind TransformerClassifier / TransformerRegressor."""

import math

import torch
from torch import nn

from sklearn_dl.modules._layers import Dropout
from sklearn_dl.modules._sequence import SequenceInput, masked_mean

# BLAS computes products over fewer than about 5 rows by other paths than over
# more: shorter sequences are padded to this many steps, so that padding to any
# length gives bit-identical results.
_MIN_STEPS = 8


class SelfAttention(nn.Module):
    """Multi-head scaled dot-product self-attention with a key padding mask.

    Training runs torch's fused ``scaled_dot_product_attention``. Evaluation
    (and any call that asks for the weights) writes the softmax out, so that
    the weights of every head can be returned and padding cannot change a
    result by a single bit: a masked key's weight is exp(-inf) = 0, and the
    denominators are summed in a fixed left-to-right order (``cumsum``),
    which trailing zeros leave exact, where a vectorised sum regroups its
    terms with the length of the row.
    """

    def __init__(self, d_model, n_heads):
        super().__init__()
        self.n_heads = n_heads
        self.qkv = nn.Linear(d_model, 3 * d_model)
        self.out = nn.Linear(d_model, d_model)

    def forward(self, x, blocked, need_weights=False, rotation=None):
        """``blocked``: bool, broadcastable to (batch, heads, steps, steps), True where a
        query may not see a key; ``rotation``: None, or the (cos, sin) tables of
        :func:`rotary_tables` for ``steps`` positions, which rotate queries and keys.
        Returns (output, weights or None)."""
        batch, steps, width = x.shape
        head_dim = width // self.n_heads
        q, k, v = self.qkv(x).view(batch, steps, 3, self.n_heads, head_dim).permute(2, 0, 3, 1, 4)
        if rotation is not None:
            q, k = rotate(q, rotation), rotate(k, rotation)
        if self.training and not need_weights:
            mixed = nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=~blocked)
            weights = None
        else:
            scores = (q @ k.transpose(-2, -1)).float() * (head_dim ** -0.5)
            scores = scores.masked_fill(blocked, -math.inf)
            exponentials = torch.exp(scores - scores.amax(dim=-1, keepdim=True))
            weights = (exponentials / exponentials.cumsum(dim=-1)[..., -1:]).to(v.dtype)
            mixed = weights @ v
        return self.out(mixed.transpose(1, 2).reshape(batch, steps, width)), weights


class EncoderBlock(nn.Module):
    """Pre-norm block: ``x + attention(norm(x))``, then ``x + feedforward(norm(x))``."""

    def __init__(self, d_model, n_heads, dim_feedforward, dropout):
        super().__init__()
        self.attention_norm = nn.LayerNorm(d_model)
        self.attention = SelfAttention(d_model, n_heads)
        self.feedforward_norm = nn.LayerNorm(d_model)
        self.feedforward = nn.Sequential(
            nn.Linear(d_model, dim_feedforward), nn.GELU(), Dropout(dropout),
            nn.Linear(dim_feedforward, d_model),
        )
        self.dropout = Dropout(dropout)

    def forward(self, x, blocked, need_weights=False, rotation=None):
        attended, weights = self.attention(self.attention_norm(x), blocked, need_weights,
                                           rotation)
        x = x + self.dropout(attended)
        return x + self.dropout(self.feedforward(self.feedforward_norm(x))), weights


def patches(steps, padding, size):
    """(batch, steps, features) -> (batch, ceil(steps / size), size * features), step-major.

    The last patch is completed with zeros (padding), and a patch is padding
    only if all its steps are: a sequence padded to any length gives the same
    patches, plus patches of padding only.
    """
    batch, length, features = steps.shape
    extra = -length % size
    steps = nn.functional.pad(steps, (0, 0, 0, extra))
    padding = nn.functional.pad(padding, (0, extra), value=True)
    return (steps.reshape(batch, -1, size * features),
            padding.view(batch, -1, size).all(dim=2))


class MaskedBatchNorm(nn.BatchNorm1d):
    """Batch normalisation of (batch, steps, features) over the unpadded steps only.

    In training, each feature is normalised by the mean and variance of its
    values at the unpadded steps of the batch (padding neither counts nor
    moves the running statistics); in evaluation, by the running statistics,
    an affine map of each value alone, which padding cannot change.
    """

    def forward(self, x, padding):
        if self.training:
            # Statistics in float32 at least, also under mixed precision; a batch
            # of padding only (empty sequences) counts as one step of zeros.
            values = x.to(torch.promote_types(x.dtype, torch.float32))
            keep = (~padding).unsqueeze(2).to(values.dtype)
            count = keep.sum(dim=(0, 1)).clamp(min=1)
            mean = (values * keep).sum(dim=(0, 1)) / count
            variance = ((values - mean) ** 2 * keep).sum(dim=(0, 1)) / count
            with torch.no_grad():
                unbiased = variance * count / (count - 1).clamp(min=1)
                self.running_mean.lerp_(mean.to(self.running_mean.dtype), self.momentum)
                self.running_var.lerp_(unbiased.to(self.running_var.dtype), self.momentum)
                self.num_batches_tracked += 1
        else:
            mean, variance = self.running_mean, self.running_var
        return (x - mean) * torch.rsqrt(variance + self.eps) * self.weight + self.bias


class ConvPatchEmbedding(nn.Module):
    """Steps -> one vector per patch, through convolutions over the steps.

    Two blocks ``convolution (kernel 8, then 5; same length) -> batch norm ->
    GELU`` read the steps at full resolution, as the fully convolutional
    network of time-series classification does, then each patch of
    ``patch_size`` steps is averaged into one vector and mapped linearly to
    ``d_model``. Padding is zero between the blocks, so a real step near the
    end of a padded sequence reads what it reads at the end of the same
    sequence alone (the convolution's zero padding).
    """

    def __init__(self, features, d_model, patch_size, kernel_sizes=(8, 5)):
        super().__init__()
        self.patch_size = int(patch_size)
        self.kernel_sizes = tuple(kernel_sizes)
        widths = [features] + [d_model] * len(self.kernel_sizes)
        # A convolution as a linear map of each step's window: the same matrix
        # product per step as the projection of linear patches.
        self.convolutions = nn.ModuleList(
            nn.Linear(width * kernel, out, bias=False)
            for width, out, kernel in zip(widths, widths[1:], self.kernel_sizes))
        self.norms = nn.ModuleList(MaskedBatchNorm(out) for out in widths[1:])
        self.activation = nn.GELU()
        self.projection = nn.Linear(d_model, d_model)

    def forward(self, steps, padding):
        x, real = steps, (~padding).unsqueeze(2)
        for convolution, norm, kernel in zip(self.convolutions, self.norms, self.kernel_sizes):
            padded = nn.functional.pad(x, (0, 0, (kernel - 1) // 2, kernel // 2))
            windows = padded.unfold(1, kernel, 1).reshape(*x.shape[:2], -1)
            x = self.activation(norm(convolution(windows), padding)) * real
        x, padding = patches(x, padding, self.patch_size)
        x = x.view(*x.shape[:2], self.patch_size, -1).mean(dim=2)
        return self.projection(x), padding


def _at_least(steps, padding, length):
    """Steps and padding extended with padding to at least ``length`` steps."""
    extra = length - steps.shape[1]
    if extra <= 0:
        return steps, padding
    return (nn.functional.pad(steps, (0, 0, 0, extra)),
            nn.functional.pad(padding, (0, extra), value=True))


def sinusoidal_positions(max_len, d_model):
    """The fixed position code of Vaswani et al.: sines and cosines of geometric frequencies."""
    position = torch.arange(max_len, dtype=torch.float64).unsqueeze(1)
    frequency = torch.exp(torch.arange(0, d_model, 2, dtype=torch.float64)
                          * (-math.log(10000.0) / d_model))
    code = torch.zeros(max_len, d_model, dtype=torch.float64)
    code[:, 0::2] = torch.sin(position * frequency)
    code[:, 1::2] = torch.cos(position * frequency[: d_model // 2])
    return code.float()


def rotary_tables(steps, head_dim, dtype, device):
    """(cos, sin) of shape (steps, head_dim) for rotary position embedding (Su et al., 2021).

    Position ``t`` turns each pair of a head's coordinates ``(i, i + head_dim / 2)``
    by the angle ``t * 10000 ** (-2 i / head_dim)``, so that the dot product of
    a query and a key depends on their positions only through their offset.
    """
    half = head_dim // 2
    frequency = torch.exp(torch.arange(half, dtype=torch.float64)
                          * (-math.log(10000.0) / half))
    angles = torch.arange(steps, dtype=torch.float64)[:, None] * frequency
    angles = torch.cat([angles, angles], dim=1)
    return angles.cos().to(device, dtype), angles.sin().to(device, dtype)


def rotate(x, rotation):
    """Queries or keys (..., steps, head_dim) turned by the tables of :func:`rotary_tables`."""
    cos, sin = rotation
    first, second = x.chunk(2, dim=-1)
    return x * cos + torch.cat([-second, first], dim=-1) * sin


class TransformerEncoder(nn.Module):
    """Step vectors -> contextual vectors: input projection, positions, pre-norm blocks.

    Parameters
    ----------
    features : int
        Features per timestep (1 for token ids).
    d_model : int
        Width of every position's vector; a multiple of ``n_heads``.
    n_heads : int
        Attention heads per block.
    num_layers : int
        Number of encoder blocks.
    dim_feedforward : int
        Width of each block's feed-forward layer.
    dropout : float
        Dropout on the input vectors, inside the feed-forward layers and on
        each sub-layer's output (not on the attention weights, whose fused
        kernel would draw from torch's global generator).
    max_len : int
        Longest sequence the position code covers.
    position : {'sinusoidal', 'learned', 'rotary'}
        Fixed sinusoidal code, or one learned vector per position, added to
        each position's vector; or ``'rotary'``: nothing added, queries and
        keys rotated by their position (:func:`rotary_tables`), so that
        attention sees only offsets between positions.
    class_token : bool
        Prepend a learned class token (step 0 of the output).
    causal : bool
        Each position sees only itself and earlier positions (language models).
    vocab_size, embedding_dim : int or None
        Token input (see :class:`SequenceInput`); None for numeric input. An
        ``embedding_dim`` of None is ``d_model``.
    patch_size : int
        Numeric input only: each position's vector is a linear map of
        ``patch_size`` consecutive steps (a patch, as in PatchTST) instead of
        one; 1 reads each step alone.
    patch_embedding : {'linear', 'conv'}
        Numeric input only: how a patch becomes a vector. ``'linear'``: a
        linear map of its steps; ``'conv'``: a ``ConvPatchEmbedding``
        (convolutions over the steps, then the mean of each patch).
    token_shift : bool
        Add to each position's vector a learned linear map of the previous
        position's (the shift of H3, Fu et al. 2023; RWKV's token shift), so
        that one attention step can match a query to the token before the
        one it reads.
    scale_embedding : bool
        Token input: multiply the token vectors by ``sqrt(embedding_dim)``
        (Vaswani et al., section 3.4), so that they are not small beside the
        position code and the blocks' outputs.
    final_norm : bool
        Layer-normalise the output vectors (pre-norm Transformers usually do).
    """

    def __init__(self, features, d_model=64, n_heads=4, num_layers=2, dim_feedforward=128,
                 dropout=0.1, max_len=512, position="sinusoidal", class_token=False,
                 causal=False, vocab_size=None, embedding_dim=None, patch_size=1,
                 patch_embedding="linear", token_shift=False, scale_embedding=False,
                 final_norm=True):
        super().__init__()
        if d_model % n_heads:
            raise ValueError(f"d_model={d_model} must be a multiple of n_heads={n_heads}.")
        if patch_size > 1 and vocab_size:
            raise ValueError("patch_size > 1 needs numeric input, not token ids.")
        if patch_embedding == "conv" and vocab_size:
            raise ValueError("patch_embedding='conv' needs numeric input, not token ids.")
        self.max_len = int(max_len)
        self.causal = causal
        self.patch_size = int(patch_size)
        self.input = SequenceInput(features, vocab_size, embedding_dim or d_model)
        width = self.input.output_dim * self.patch_size
        if patch_embedding == "conv":
            self.projection = ConvPatchEmbedding(self.input.output_dim, d_model, self.patch_size)
        elif width == d_model and vocab_size:
            self.projection = nn.Identity()
        else:
            self.projection = nn.Linear(width, d_model)
        self.convolutional = patch_embedding == "conv"
        self.shift = nn.Linear(d_model, d_model) if token_shift else None
        positions = max(self.max_len, _MIN_STEPS)
        self.rotary = position == "rotary"
        if self.rotary:
            self.positions = None
            # Made once, as the sinusoidal code is; one row more for a class token
            # (position 0). Kept in float64: each forward casts to its own dtype.
            cos, sin = rotary_tables(positions + 1, d_model // n_heads, torch.float64, "cpu")
            self.register_buffer("rotary_cos", cos, persistent=False)
            self.register_buffer("rotary_sin", sin, persistent=False)
        elif position == "learned":
            self.positions = nn.Parameter(torch.randn(positions, d_model) * 0.02)
        else:
            self.register_buffer("positions", sinusoidal_positions(positions, d_model),
                                 persistent=False)
        self.class_token = nn.Parameter(torch.zeros(1, 1, d_model)) if class_token else None
        self.dropout = Dropout(dropout)
        self.blocks = nn.ModuleList(EncoderBlock(d_model, n_heads, dim_feedforward, dropout)
                                    for _ in range(num_layers))
        self.norm = nn.LayerNorm(d_model) if final_norm else nn.Identity()
        self.embedding_scale = (math.sqrt(self.input.output_dim)
                                if scale_embedding and vocab_size else None)

    def forward(self, X, need_weights=False):
        """Return (vectors (batch, steps, d_model), padding (batch, steps), weights).

        With a class token, step 0 of the output is the class token and the
        sequence follows. With ``need_weights``, ``weights`` is a list with one
        (batch, heads, steps, steps) tensor per layer, zero wherever a query
        or a key is padding; otherwise None.
        """
        steps, padding = self.input(X)
        length = steps.shape[1]
        if length > self.max_len:
            raise ValueError(f"Sequences of {length} steps exceed max_len={self.max_len}.")
        if self.convolutional:
            # The convolutions' products run over at least _MIN_STEPS steps of each sequence.
            steps, padding = _at_least(steps, padding, _MIN_STEPS)
            vectors, padding = self.projection(steps, padding)
            length = math.ceil(length / self.patch_size)
            vectors, padding = _at_least(vectors, padding, _MIN_STEPS)
        else:
            if self.patch_size > 1:
                steps, padding = patches(steps, padding, self.patch_size)
                length = steps.shape[1]
            steps, padding = _at_least(steps, padding, _MIN_STEPS)
            if self.embedding_scale is not None:
                steps = steps * self.embedding_scale
            vectors = self.projection(steps)
        if self.shift is not None:
            # Position t reads position t - 1 only: trailing padding changes nothing before it.
            vectors = vectors + self.shift(nn.functional.pad(vectors, (0, 0, 1, 0))[:, :-1])
        x = (vectors if self.positions is None
             else vectors + self.positions[:vectors.shape[1]].to(vectors.dtype))
        if self.class_token is not None:
            x = torch.cat([self.class_token.to(x.dtype).expand(len(x), -1, -1), x], dim=1)
            padding = torch.cat([padding.new_zeros(len(x), 1), padding], dim=1)
        # A sequence that is all padding (an empty text) is read as its first step,
        # which keeps every softmax defined.
        padding = padding.clone()
        padding[:, 0] &= ~padding.all(dim=1)
        blocked = padding[:, None, None, :]
        if self.causal:
            total = x.shape[1]
            future = torch.ones(total, total, dtype=torch.bool, device=x.device).triu(1)
            blocked = blocked | future
        x = self.dropout(x)
        # With a class token, it is position 0 and the sequence follows.
        rotation = ((self.rotary_cos[:x.shape[1]].to(x.dtype),
                     self.rotary_sin[:x.shape[1]].to(x.dtype)) if self.rotary else None)
        all_weights = []
        for block in self.blocks:
            x, weights = block(x, blocked, need_weights, rotation)
            if need_weights:
                all_weights.append(weights.masked_fill(padding[:, None, :, None], 0.0))
        # Drop the positions added to reach _MIN_STEPS.
        end = x.shape[1] - vectors.shape[1] + length
        return (self.norm(x[:, :end]), padding[:, :end],
                [weights[..., :end, :end] for weights in all_weights] if need_weights else None)


class TransformerNet(nn.Module):
    """Encoder-only Transformer with a linear head on a pooled sequence vector.

    The input is a flat batch ``(batch, timesteps * features)`` (time-major),
    numeric with NaN timesteps as padding, or token ids with id 0 as padding
    (see :class:`SequenceInput`). Padding is masked out of every attention
    and of the pooling, so it never changes a result. The number of timesteps
    may be anything up to ``max_len``.

    Parameters
    ----------
    features : int
        Features per timestep (1 for token ids).
    n_outputs : int
        Width of the output.
    d_model : int, default=64
        Width of every position's vector; a multiple of ``n_heads``.
    n_heads : int, default=4
        Attention heads per block.
    num_layers : int, default=2
        Number of pre-norm encoder blocks.
    dim_feedforward : int, default=128
        Width of each block's feed-forward layer.
    dropout : float, default=0.1
        Dropout on the input vectors, sub-layer outputs and the pooled vector.
    pooling : {'cls', 'mean', 'last'}, default='cls'
        Read a learned class token's final vector, average the final
        vectors of the unpadded positions, or read the last unpadded
        position's (where a query ends the sequence).
    max_len : int, default=512
        Longest sequence accepted.
    position : {'sinusoidal', 'learned', 'rotary'}, default='sinusoidal'
        Position code added to the step vectors, or rotary positions (see
        :class:`TransformerEncoder`).
    vocab_size, embedding_dim : int or None, default=None
        Token input: number of ids (padding id 0 included) and embedding
        width (None: ``d_model``).
    patch_size : int, default=1
        Numeric input: steps per position (a patch of consecutive steps,
        mapped linearly to one vector); attention then runs over
        ``ceil(timesteps / patch_size)`` positions.
    patch_embedding : {'linear', 'conv'}, default='linear'
        Numeric input: a patch's vector is a linear map of its steps, or the
        mean of two convolution blocks' outputs over its steps
        (``ConvPatchEmbedding``).
    augmentation : torch.nn.Module or None, default=None
        Numeric input: applied in training mode to the batch as
        ``(batch, features, timesteps)``, e.g. a
        :class:`~sklearn_dl.modules.BatchAugmentation` with a ``shift``
        (whose edge-replicating translation keeps NaN padding at the end).
    token_shift, scale_embedding, final_norm : bool, default=False, False, True
        See :class:`TransformerEncoder`.

    Examples
    --------
    >>> import torch
    >>> from sklearn_dl.modules import TransformerNet
    >>> net = TransformerNet(features=2, n_outputs=3, d_model=16, n_heads=2).eval()
    >>> net(torch.zeros(4, 10)).shape      # 4 sequences of 5 steps, 2 features
    torch.Size([4, 3])
    >>> [w.shape for w in net.attention_weights(torch.zeros(1, 10))][0]
    torch.Size([1, 2, 6, 6])
    >>> patched = TransformerNet(features=1, n_outputs=3, d_model=16, patch_size=8).eval()
    >>> [w.shape for w in patched.attention_weights(torch.zeros(1, 150))][0]  # 19 patches
    torch.Size([1, 4, 20, 20])
    >>> convolutional = TransformerNet(features=1, n_outputs=3, d_model=16, patch_size=8,
    ...                                patch_embedding="conv").eval()
    >>> convolutional(torch.zeros(4, 150)).shape
    torch.Size([4, 3])
    """

    def __init__(self, features, n_outputs, d_model=64, n_heads=4, num_layers=2,
                 dim_feedforward=128, dropout=0.1, pooling="cls", max_len=512,
                 position="sinusoidal", vocab_size=None, embedding_dim=None, patch_size=1,
                 patch_embedding="linear", augmentation=None, token_shift=False,
                 scale_embedding=False, final_norm=True):
        super().__init__()
        if augmentation is not None and vocab_size:
            raise ValueError("augmentation needs numeric input, not token ids.")
        self.pooling = pooling
        self.features = int(features)
        self.augmentation = augmentation
        self.encoder = TransformerEncoder(
            features, d_model=d_model, n_heads=n_heads, num_layers=num_layers,
            dim_feedforward=dim_feedforward, dropout=dropout, max_len=max_len,
            position=position, class_token=pooling == "cls", vocab_size=vocab_size,
            embedding_dim=embedding_dim, patch_size=patch_size, patch_embedding=patch_embedding,
            token_shift=token_shift, scale_embedding=scale_embedding, final_norm=final_norm)
        self.dropout = Dropout(dropout)
        self.head = nn.Linear(d_model, n_outputs)
        for module in self.modules():
            if isinstance(module, nn.Linear):
                nn.init.xavier_uniform_(module.weight)
                if module.bias is not None:
                    nn.init.zeros_(module.bias)

    def forward(self, X):
        if self.augmentation is not None and self.training:
            steps = X.unflatten(1, (-1, self.features)).movedim(2, 1)
            X = self.augmentation(steps).movedim(1, 2).flatten(1)
        x, padding, _ = self.encoder(X)
        if self.pooling == "cls":
            pooled = x[:, 0]
        elif self.pooling == "last":
            # The last unpadded position (padding is at the end).
            last = (~padding).sum(dim=1) - 1
            pooled = x[torch.arange(len(x), device=x.device), last]
        else:
            pooled = masked_mean(x, padding)
        return self.head(self.dropout(pooled))

    def attention_weights(self, X):
        """Attention weights of every layer: a list of (batch, heads, steps, steps) tensors.

        Row ``i`` of a head's matrix is how much query position ``i`` draws
        on each key position; rows and columns of padding are 0. With
        ``pooling='cls'`` position 0 is the class token.
        """
        return self.encoder(X, need_weights=True)[2]
