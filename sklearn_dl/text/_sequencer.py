"""TokenSequencer: raw text -> padded arrays of token ids, for the sequence estimators."""

import re
from collections import Counter
from numbers import Integral

import numpy as np
from sklearn.base import (
    BaseEstimator,
    ClassNamePrefixFeaturesOutMixin,
    TransformerMixin,
    _fit_context,
)
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from sklearn_dl.utils._doc_link import DocLinkMixin

PADDING_ID = 0
OOV_ID = 1
_N_RESERVED = 2


def _documents(X):
    """Strings from a list, a 1-D array, a pandas Series or a one-column 2-D input."""
    if isinstance(X, str):
        raise ValueError("Iterable over raw text documents expected, string object received.")
    if getattr(X, "ndim", 1) == 2:
        array = np.asarray(X, dtype=object)
        if array.shape[1] != 1:
            raise ValueError(f"TokenSequencer takes one column of texts; got X with "
                             f"{array.shape[1]} columns.")
        X = array[:, 0]
    documents = list(X)
    for document in documents:
        if not isinstance(document, str):
            raise ValueError(f"TokenSequencer takes strings; got a {type(document).__name__}: "
                             f"{document!r}.")
    return documents


class TokenIds(np.ndarray):
    """Token ids as :class:`TokenSequencer` emits them: an int64 array that knows its vocabulary.

    A plain :class:`numpy.ndarray` in every respect, plus the attribute
    ``vocabulary_size`` (every id is smaller). The sequence estimators
    (:class:`~sklearn_dl.neural_network.LSTMClassifier`,
    :class:`~sklearn_dl.neural_network.TransformerClassifier`...) left at
    ``vocab_size=None`` read such an array as token ids of that vocabulary, so
    ``make_pipeline(TokenSequencer(), TransformerClassifier())`` needs no
    repeating of the size. Whatever turns it into another array (``np.asarray``,
    ``np.hstack`` in a ``ColumnTransformer``, a DataFrame) drops the attribute:
    then pass ``vocab_size='auto'`` to the estimator.
    """

    @classmethod
    def wrap(cls, ids, vocabulary_size):
        """View ``ids`` as TokenIds of ``vocabulary_size`` ids."""
        view = np.asarray(ids).view(cls)
        view.vocabulary_size = int(vocabulary_size)
        return view

    def __array_finalize__(self, obj):
        self.vocabulary_size = getattr(obj, "vocabulary_size", None)

    def __reduce__(self):
        # A pickled copy keeps its vocabulary size (ndarray's own reduce drops it).
        return TokenIds.wrap, (np.asarray(self), self.vocabulary_size)


class TokenSequencer(DocLinkMixin, ClassNamePrefixFeaturesOutMixin, TransformerMixin,
                     BaseEstimator):
    """Learn a vocabulary from texts and turn each text into a padded sequence of token ids.

    The text step of a Pipeline that ends in a sequence estimator
    (:class:`~sklearn_dl.neural_network.TransformerClassifier`,
    :class:`~sklearn_dl.neural_network.LSTMClassifier`...): it splits each
    text into words (a regular expression, as in
    :class:`~sklearn.feature_extraction.text.CountVectorizer`) or characters,
    numbers the tokens by decreasing frequency, and emits an integer array of
    shape ``(n_texts, max_len_)``.

    Id 0 is padding (at the end of shorter texts) and id 1 stands for any
    token outside the vocabulary; the vocabulary's tokens have ids 2 to
    ``vocabulary_size_ - 1``, the most frequent first. Every id is below
    ``vocabulary_size_``, and the output (a :class:`TokenIds` array) carries
    that size: a sequence estimator after it in a Pipeline, left at its
    default ``vocab_size=None``, reads token ids of this vocabulary. Nothing is
    said twice. (Where the array is rebuilt, as in a ``ColumnTransformer``,
    ``vocab_size='auto'`` learns the size from the ids.)

    Parameters
    ----------
    analyzer : {'word', 'char'}, default='word'
        Tokens are the matches of ``token_pattern`` (words), or the
        characters of the text.

    lowercase : bool, default=True
        Lowercase the texts before splitting them.

    token_pattern : str, default=r"(?u)\\b\\w+\\b"
        Regular expression of a word token, for ``analyzer='word'``. Unlike
        ``CountVectorizer``'s default, it keeps one-letter words: in a
        sequence, "a" and "I" carry meaning.

    max_tokens : int or None, default=None
        Keep only the ``max_tokens`` most frequent tokens (ties broken
        alphabetically); the others become the out-of-vocabulary id 1.
        None keeps every token seen at least ``min_frequency`` times.

    min_frequency : int, default=2
        Tokens seen fewer times in ``fit`` are out of the vocabulary. The
        default 2 leaves the tokens seen once out, so the out-of-vocabulary
        id occurs in training and the next step learns what an unknown word
        means (with 1 it never occurs in ``fit``, and every unseen word of a
        new text reads as an untrained vector); it also keeps a network
        from memorising its training texts by their rare words.

    max_len : int, 'auto' or None, default='auto'
        Length of the output sequences: longer texts keep their first
        ``max_len`` tokens, shorter ones are padded. ``'auto'`` is the
        length of the 99th-percentile text seen in ``fit`` (a text length,
        ``numpy.percentile(..., method='higher')``): a few very long texts
        do not make every sequence, and the cost of every epoch after it,
        that long. None is the length of the longest text seen in ``fit``.

    Attributes
    ----------
    vocabulary_ : dict of str to int
        Token to id, ids from 2 on (0 is padding, 1 out of vocabulary).

    vocabulary_size_ : int
        Number of ids: ``len(vocabulary_) + 2``. Every output id is smaller.

    max_len_ : int
        Length of the output sequences.

    See Also
    --------
    sklearn.feature_extraction.text.CountVectorizer : Bags of words (order lost).
    sklearn_dl.text.LanguageModel : Text generation from a corpus.

    Examples
    --------
    >>> from sklearn_dl.text import TokenSequencer
    >>> texts = ["The cat sat.", "The dog sat on the cat!", "A bird"]
    >>> sequencer = TokenSequencer().fit(texts)
    >>> sequencer.vocabulary_size_, sequencer.max_len_
    (5, 6)
    >>> ids = sequencer.transform(["the cat flew"])
    >>> ids
    TokenIds([[2, 3, 1, 0, 0, 0]])
    >>> ids.vocabulary_size
    5
    >>> sequencer.inverse_transform([[2, 3, 1, 0, 0, 0]])
    ['the cat <unk>']
    """

    _parameter_constraints: dict = {
        "analyzer": [StrOptions({"word", "char"})],
        "lowercase": ["boolean"],
        "token_pattern": [str],
        "max_tokens": [Interval(Integral, 1, None, closed="left"), None],
        "min_frequency": [Interval(Integral, 1, None, closed="left")],
        "max_len": [Interval(Integral, 1, None, closed="left"), StrOptions({"auto"}), None],
    }

    def __init__(self, *, analyzer="word", lowercase=True, token_pattern=r"(?u)\b\w+\b",
                 max_tokens=None, min_frequency=2, max_len="auto"):
        self.analyzer = analyzer
        self.lowercase = lowercase
        self.token_pattern = token_pattern
        self.max_tokens = max_tokens
        self.min_frequency = min_frequency
        self.max_len = max_len

    def tokenize(self, text):
        """Split one text into its tokens (lowercased first when ``lowercase``).

        Parameters
        ----------
        text : str

        Returns
        -------
        tokens : list of str
        """
        if self.lowercase:
            text = text.lower()
        if self.analyzer == "char":
            return list(text)
        return re.findall(self.token_pattern, text)

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Learn the vocabulary and the output length from texts.

        Parameters
        ----------
        X : iterable of str, pandas Series or one-column 2-D array of str
            The texts.
        y : None
            Ignored.

        Returns
        -------
        self : object
        """
        texts = [self.tokenize(document) for document in _documents(X)]
        if not texts:
            raise ValueError("TokenSequencer needs at least one text to fit.")
        counts = Counter(token for tokens in texts for token in tokens)
        kept = sorted((token for token, count in counts.items() if count >= self.min_frequency),
                      key=lambda token: (-counts[token], token))
        kept = kept[:self.max_tokens]
        self.vocabulary_ = {token: _N_RESERVED + index for index, token in enumerate(kept)}
        self.vocabulary_size_ = len(self.vocabulary_) + _N_RESERVED
        lengths = [len(tokens) for tokens in texts]
        if self.max_len == "auto":
            self.max_len_ = max(1, int(np.percentile(lengths, 99, method="higher")))
        else:
            self.max_len_ = self.max_len or max(1, max(lengths))
        self._n_features_out = self.max_len_
        return self

    def transform(self, X):
        """Turn texts into rows of token ids, padded with 0 or truncated to ``max_len_``.

        Parameters
        ----------
        X : iterable of str, pandas Series or one-column 2-D array of str

        Returns
        -------
        ids : TokenIds of shape (n_texts, ``max_len_``), dtype int64
            A numpy array that also carries ``vocabulary_size``, so that a
            sequence estimator after it in a Pipeline reads it as token ids of
            that vocabulary without being told (``vocab_size=None``).
        """
        check_is_fitted(self)
        documents = _documents(X)
        ids = np.zeros((len(documents), self.max_len_), dtype=np.int64)
        for row, document in zip(ids, documents):
            tokens = self.tokenize(document)[:self.max_len_]
            row[:len(tokens)] = [self.vocabulary_.get(token, OOV_ID) for token in tokens]
        return TokenIds.wrap(ids, self.vocabulary_size_)

    def inverse_transform(self, X):
        """Turn rows of ids back into texts (padding dropped, unknown ids as ``<unk>``).

        Word tokens are joined by spaces, characters by nothing.

        Parameters
        ----------
        X : array-like of shape (n_texts, n_ids)

        Returns
        -------
        texts : list of str
        """
        check_is_fitted(self)
        tokens = self.id_to_token_
        separator = "" if self.analyzer == "char" else " "
        return [separator.join(tokens[i] if 0 < i < len(tokens) else "<unk>"
                               for i in np.asarray(row, dtype=np.int64) if i != PADDING_ID)
                for row in X]

    @property
    def id_to_token_(self):
        """List of tokens indexed by id: ``'<pad>'``, ``'<unk>'``, then the vocabulary."""
        check_is_fitted(self)
        return ["<pad>", "<unk>", *sorted(self.vocabulary_, key=self.vocabulary_.get)]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.string = True
        return tags
