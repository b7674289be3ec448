"""Convolutional network for 1-D signals and 2-D images, and batch augmentation.

:class:`ConvNet` is the architecture behind CNNClassifier and CNNRegressor;
:class:`BatchAugmentation` is its optional first layer, which perturbs a
training batch on its device and does nothing in evaluation mode.
"""

import math
import numbers

import torch
import torch.nn.functional as F
from torch import nn

from sklearn_dl.modules._layers import ACTIVATIONS, Dropout

_CONV = {1: nn.Conv1d, 2: nn.Conv2d}
_BATCH_NORM = {1: nn.BatchNorm1d, 2: nn.BatchNorm2d}
_PAD = {1: nn.ConstantPad1d, 2: nn.ConstantPad2d}
_POOL = {("max", 1): nn.MaxPool1d, ("max", 2): nn.MaxPool2d,
         ("avg", 1): nn.AvgPool1d, ("avg", 2): nn.AvgPool2d}


class BatchAugmentation(nn.Module):
    """Random perturbations of a batch of signals or images, in training mode only.

    Every sample of the batch draws its own perturbation, all in a few
    batched tensor operations, from ``generator`` (a :class:`torch.Generator`
    on the batch's device, set by :func:`~sklearn_dl.modules.use_generator`;
    torch's global generator while it is None), so a seeded generator gives
    reproducible training. In evaluation mode the input passes through
    unchanged.

    Parameters
    ----------
    shift : int, default=0
        Pad every spatial axis by ``shift`` on both sides and crop back to the
        original size at a random offset: a random translation by up to
        ``shift`` steps (pixels) along each axis. Images are padded with
        zeros (background), signals with their edge values (no artificial
        step).
    flip : bool, default=False
        Reverse the last axis of half of the samples: a horizontal flip of an
        image, a time reversal of a signal.
    noise : float, default=0.0
        Add Gaussian noise whose standard deviation is ``noise`` times the
        sample's own standard deviation, so it suits data of any scale.
    scale : float, default=0.0
        Multiply each sample by a factor drawn uniformly in
        ``[1 - scale, 1 + scale]``.

    Examples
    --------
    >>> import torch
    >>> from sklearn_dl.modules import BatchAugmentation
    >>> augment = BatchAugmentation(shift=1, flip=True)
    >>> images = torch.rand(4, 1, 8, 8)
    >>> augment(images).shape
    torch.Size([4, 1, 8, 8])
    >>> torch.equal(augment.eval()(images), images)
    True
    """

    def __init__(self, shift=0, flip=False, noise=0.0, scale=0.0):
        super().__init__()
        self.shift = int(shift)
        self.flip = bool(flip)
        self.noise = float(noise)
        self.scale = float(scale)
        self.generator = None

    def forward(self, X):
        if not self.training:
            return X
        if self.shift:
            X = self._random_crop(X)
        draw = {"generator": self.generator, "device": X.device}
        if self.flip:
            flipped = torch.rand(len(X), **draw) < 0.5
            X = torch.where(_per_sample(flipped, X), X.flip(-1), X)
        if self.scale:
            factor = 1 + self.scale * (2 * torch.rand(len(X), dtype=X.dtype, **draw) - 1)
            X = X * _per_sample(factor, X)
        if self.noise:
            spread = X.flatten(1).std(dim=1, correction=0)
            X = X + self.noise * _per_sample(spread, X) * torch.randn(X.shape, dtype=X.dtype,
                                                                      **draw)
        return X

    def _random_crop(self, X):
        n_samples, spatial = len(X), X.shape[2:]
        shift = self.shift
        mode = "constant" if len(spatial) == 2 else "replicate"
        padded = F.pad(X, (shift, shift) * len(spatial), mode=mode)
        # One gather with per-sample index grids: sample i reads the window
        # starting at its own random offset along each axis.
        index = [torch.arange(n_samples, device=X.device).view(-1, *[1] * len(spatial))]
        for axis, size in enumerate(spatial):
            offset = torch.randint(0, 2 * shift + 1, (n_samples,), generator=self.generator,
                                   device=X.device)
            positions = offset[:, None] + torch.arange(size, device=X.device)
            shape = [n_samples] + [1] * len(spatial)
            shape[axis + 1] = size
            index.append(positions.view(shape))
        # Advanced indexing on the channels-last view puts channels last; move them back.
        return padded.movedim(1, -1)[tuple(index)].movedim(-1, 1)

    def extra_repr(self):
        return f"shift={self.shift}, flip={self.flip}, noise={self.noise}, scale={self.scale}"

    def __getstate__(self):
        # A generator may live on a GPU the unpickling machine lacks.
        return {**self.__dict__, "generator": None}


def _per_sample(values, X):
    """Reshape one value per sample so that it broadcasts over the sample's axes."""
    return values.view(-1, *[1] * (X.ndim - 1))


class ConvNet(nn.Module):
    """Convolutional network over flat rows of signals or images; outputs raw scores.

    The input is a batch of flat rows, unflattened to ``input_shape``: 1-D
    convolutions for ``(channels, length)``, 2-D for ``(channels, height,
    width)`` (``(length, channels)`` / ``(height, width, channels)`` with
    ``channels_last``). Each convolutional block is ``Conv (zero-padded to
    keep the size) -> [BatchNorm] -> activation -> [pooling by 2] ->
    [Dropout]``; pooling skips any axis already shorter than 2, so small
    inputs keep at least one position. The feature maps are then averaged over positions
    (``global_pooling``) or flattened, and a dense head ``Linear ->
    activation -> [Dropout]`` per hidden layer ends in a ``Linear`` output.

    Parameters
    ----------
    input_shape : tuple of int
        Shape of one sample, channels first unless ``channels_last``.
    n_outputs : int
        Width of the output.
    filters : sequence of int, default=(32, 64)
        Number of channels of each convolutional block.
    kernel_size : int or sequence of int, default=3
        Width of the convolution kernels along every spatial axis: one for
        every block, or one per block.
    pooling : {'max', 'avg', None}, default='max'
        Downsampling by 2 after each block, or none.
    batch_norm : bool, default=True
        Normalise each block's convolution outputs over the batch.
    dropout : float, default=0.0
        Probability of zeroing a unit after each block and hidden layer.
    activation : {'identity', 'logistic', 'tanh', 'relu', 'gelu'}, default='relu'
    hidden_layer_sizes : sequence of int, default=(128,)
        Widths of the dense head's hidden layers.
    global_pooling : bool, default=False
        Average each feature map over its positions before the head, which
        makes the head independent of the input size.
    channels_last : bool, default=False
        Whether ``input_shape`` and the rows have the channel axis last.
    augmentation : torch.nn.Module or None, default=None
        Applied to the channels-first batch before the first block, e.g. a
        :class:`BatchAugmentation` (which acts only in training mode).

    Examples
    --------
    >>> import torch
    >>> from sklearn_dl.modules import ConvNet
    >>> ConvNet((1, 8, 8), 10)(torch.zeros(2, 64)).shape
    torch.Size([2, 10])
    >>> ConvNet((3, 40), 1, filters=(8,))(torch.zeros(2, 120)).shape
    torch.Size([2, 1])
    >>> fcn = ConvNet((1, 40), 2, filters=(16, 32, 16), kernel_size=(8, 5, 3), pooling=None,
    ...               global_pooling=True, hidden_layer_sizes=())
    >>> fcn(torch.zeros(2, 40)).shape
    torch.Size([2, 2])
    """

    def __init__(self, input_shape, n_outputs, filters=(32, 64), kernel_size=3,
                 pooling="max", batch_norm=True, dropout=0.0, activation="relu",
                 hidden_layer_sizes=(128,), global_pooling=False, channels_last=False,
                 augmentation=None):
        super().__init__()
        input_shape = tuple(int(size) for size in input_shape)
        if len(input_shape) not in (2, 3):
            raise ValueError(f"input_shape must have 2 (1-D signals) or 3 (2-D images) axes, "
                             f"got {input_shape}.")
        self.input_shape = input_shape
        self.channels_last = channels_last
        if channels_last:
            input_shape = input_shape[-1:] + input_shape[:-1]
        n_channels, spatial = input_shape[0], list(input_shape[1:])
        ndim = len(spatial)
        self.augmentation = augmentation if augmentation is not None else nn.Identity()

        kernel_sizes = ([int(kernel_size)] * len(filters) if isinstance(kernel_size, int)
                        else [int(size) for size in kernel_size])
        if len(kernel_sizes) != len(filters):
            raise ValueError(f"kernel_size must hold one size per block ({len(filters)}), "
                             f"got {len(kernel_sizes)}.")
        blocks = []
        for width, kernel_size in zip(filters, kernel_sizes):
            if kernel_size % 2 == 0:
                # 'same' padding of an even kernel is one step longer on the right;
                # an explicit pad layer avoids torch's padded copy and its warning.
                blocks.append(_PAD[ndim](((kernel_size - 1) // 2, kernel_size // 2) * ndim, 0.0))
            blocks.append(_CONV[ndim](n_channels, width, kernel_size,
                                      padding=kernel_size // 2 if kernel_size % 2 else 0,
                                      bias=not batch_norm))
            if batch_norm:
                blocks.append(_BATCH_NORM[ndim](width))
            blocks.append(ACTIVATIONS[activation]())
            window = tuple(2 if size >= 2 else 1 for size in spatial)
            if pooling is not None and max(window) > 1:
                blocks.append(_POOL[pooling, ndim](window))
                spatial = [size // step for size, step in zip(spatial, window)]
            if dropout > 0:
                blocks.append(Dropout(dropout))
            n_channels = width
        self.features = nn.Sequential(*blocks)

        if global_pooling:
            pool = nn.AdaptiveAvgPool1d(1) if ndim == 1 else nn.AdaptiveAvgPool2d(1)
            self.pool = nn.Sequential(pool, nn.Flatten())
            fan_in = n_channels
        else:
            self.pool = nn.Flatten()
            fan_in = n_channels * math.prod(spatial)
        head = []
        for width in hidden_layer_sizes:
            head.append(nn.Linear(fan_in, width))
            head.append(ACTIVATIONS[activation]())
            if dropout > 0:
                head.append(Dropout(dropout))
            fan_in = width
        head.append(nn.Linear(fan_in, n_outputs))
        self.head = nn.Sequential(*head)

    def forward(self, X):
        X = X.unflatten(1, self.input_shape)
        if self.channels_last:
            # Contiguous channels-first memory, so that every later layer (and the
            # random draws of dropout) sees exactly what channels-first input gives.
            X = X.movedim(-1, 1).contiguous()
        X = self.augmentation(X)
        return self.head(self.pool(self.features(X)))
