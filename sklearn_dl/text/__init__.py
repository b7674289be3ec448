"""Text: raw strings to token ids for the sequence estimators, and language models."""

from sklearn_dl.text._language_model import LanguageModel
from sklearn_dl.text._sequencer import TokenSequencer

__all__ = ["LanguageModel", "TokenSequencer"]
