"""Pure PyTorch architectures: no sklearn, no numpy.

The estimators in :mod:`sklearn_dl.neural_network` build these modules in
``fit``; they can also be used on their own in any torch code.
"""

from sklearn_dl.modules._layers import ACTIVATIONS, Dropout, initialize_weights, use_generator
from sklearn_dl.modules._sequence import SequenceInput
from sklearn_dl.modules.cnn import BatchAugmentation, ConvNet
from sklearn_dl.modules.language import LanguageNet
from sklearn_dl.modules.mlp import MLP
from sklearn_dl.modules.recurrent import RecurrentNet
from sklearn_dl.modules.transformer import TransformerNet

__all__ = ["ACTIVATIONS", "BatchAugmentation", "ConvNet", "Dropout", "LanguageNet", "MLP",
           "RecurrentNet", "SequenceInput", "TransformerNet", "initialize_weights", "use_generator"]
