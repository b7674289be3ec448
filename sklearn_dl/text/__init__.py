"""Text: raw strings to token ids for the sequence estimators, language models, corpora."""

from sklearn_dl.text._corpora import load_convention_speeches, load_hamlet, load_movie_reviews
from sklearn_dl.text._language_model import LanguageModel
from sklearn_dl.text._sequencer import TokenIds, TokenSequencer

__all__ = ["LanguageModel", "TokenIds", "TokenSequencer", "load_convention_speeches", "load_hamlet",
           "load_movie_reviews"]
