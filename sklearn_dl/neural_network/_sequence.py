"""Sequence input that the recurrent and attention estimators share: numbers or token ids."""

import math
from numbers import Integral

import numpy as np
from sklearn.base import is_regressor
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import validate_data

from sklearn_dl.base import BaseTorchEstimator

# Token ids travel as floating-point numbers (the dtype of every X); float32
# holds every integer exactly up to 2**24.
_MAX_VOCABULARY = 2**24

# A feature with at most this many distinct integer values holds codes (one_hot_input).
_MAX_CODES = 10

SEQUENCE_INPUT_DOC = """\
    Input: a 3-D array (n_samples, timesteps, features), a 2-D array read
    through ``input_shape``, or a list of arrays of different lengths (each
    (length,) or (length, features)). Shorter sequences are NaN-padded at the
    end, and NaN timesteps at the end of a sequence of a 2-D / 3-D X are
    padding too: they are masked, so a padded sequence is predicted as the
    same sequence alone. NaN anywhere else is an error.

    Token input: with ``vocab_size`` set, X holds integer token ids, one per
    step (2-D (n_samples, timesteps), or a list of id sequences of different
    lengths), as :class:`sklearn_dl.text.TokenSequencer` emits them. Id 0 (or
    NaN) is padding, allowed only at the end of a sequence; each id goes
    through a learned embedding of width ``embedding_dim``."""

TOKEN_PARAMETERS_DOC = """\
    vocab_size : int, 'auto' or None, default=None
        None: X holds numbers, unless it is a
        :class:`~sklearn_dl.text.TokenIds` (the output of
        :class:`~sklearn_dl.text.TokenSequencer`), which carries its vocabulary
        size: then X holds token ids of that vocabulary. An int: X holds token ids in
        ``[0, vocab_size)``, 0 being padding; larger ids are an error.
        ``'auto'``: X holds token ids and the vocabulary is the largest id
        seen in ``fit`` plus one (``vocab_size_``), so a
        :class:`~sklearn_dl.text.TokenSequencer` before it in a Pipeline
        needs no repeating of its size; larger ids met later share one
        unseen-token embedding."""

EARLY_STOPPING_DOC = """\
    early_stopping : bool or 'auto', default='auto'
        Hold out ``validation_fraction`` of the training data (stratified for
        classifiers) and stop when the validation score stops improving; the
        best weights are restored. ``'auto'`` holds one out for token ids
        (text) and not for numeric sequences, which train on every sample as
        with sklearn's default ``False``. A token embedding gives each word
        its own vector, and a network fitted on a few thousand texts knows
        each training text by its words within a few epochs, then loses on
        new texts what it gains on the training set. On the first split of
        the movie reviews of ``benchmarks/bench_text.py`` the Transformer
        scored 0.720 after 71 epochs without a validation set (and with a
        class token), 0.762 after 17 with one (and ``pooling='auto'``, the
        mean of the words); TF-IDF + LogisticRegression 0.761. ``'auto'``
        trains without one where none can be held out (fewer than 2 samples
        on either side, or a class too rare to be on both) and in
        ``partial_fit``; ``'lbfgs'`` ignores it, as in sklearn."""

SEQUENCE_ATTRIBUTES_DOC = """\
    input_shape_ : tuple of int
        ``(timesteps, features)`` of the sequences seen in ``fit``
        (``features`` is 1 for token ids).

    vocab_size_ : int or None
        Number of token ids the embedding holds (padding id 0 included);
        None for numeric input."""


_EARLY_STOPPING_TRAINING_DOC = """\
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the training data (stratified for
        classifiers) and stop when the validation score stops improving; the
        best weights are restored. Without it, every sample is trained on.
        Ignored by ``'lbfgs'``, as in sklearn.
"""


def with_early_stopping_doc(training_doc):
    """The shared training parameters' documentation with ``early_stopping='auto'``."""
    if _EARLY_STOPPING_TRAINING_DOC not in training_doc:
        raise AssertionError("the early_stopping entry of the training parameters changed")
    return training_doc.replace(_EARLY_STOPPING_TRAINING_DOC, EARLY_STOPPING_DOC + "\n")


# n_iter_no_change='auto' (LSTMClassifier, the Transformers): at least this many
# optimiser steps without improvement.
_AUTO_PATIENCE_STEPS = 200


def auto_patience(steps_per_epoch):
    """Patience of ``n_iter_no_change='auto'`` in epochs: 10, or enough for 200 optimiser steps."""
    return max(10, math.ceil(_AUTO_PATIENCE_STEPS / steps_per_epoch))


class _BaseSequence(BaseTorchEstimator):
    """Sequence input (numeric or token ids, ragged or padded) for sequence estimators."""

    _parameter_constraints: dict = {
        **BaseTorchEstimator._parameter_constraints,
        "input_shape": [tuple, None],
        "vocab_size": [Interval(Integral, 2, _MAX_VOCABULARY, closed="both"),
                       StrOptions({"auto"}), None],
        "embedding_dim": [Interval(Integral, 1, None, closed="left"), None],
    }

    def _effective_batch_size(self, n_samples):
        if self.batch_size == "auto" and self.solver != "lbfgs":
            return min(n_samples, int(np.clip(n_samples // 100, 32, 200)))
        return super()._effective_batch_size(n_samples)

    def _patience_in_steps(self, n_samples):
        """The stopping rule of an ``n_iter_no_change='auto'`` counted in optimiser steps."""
        steps_per_epoch = math.ceil(n_samples / self._effective_batch_size(n_samples))
        return {"n_iter_no_change": auto_patience(steps_per_epoch), "wait_for_progress": True}

    def _train(self, X, targets, y, sample_weight, first_call, incremental):
        # What early_stopping='auto' decides, for this training call only: a
        # validation set in fit on token ids that can spare one; none in
        # partial_fit, which trains one epoch at a time and has nowhere to stop.
        self._auto_validates = (isinstance(self.early_stopping, str) and not incremental
                                and self.vocab_size_ is not None and self.solver != "lbfgs"
                                and self._can_hold_out(y))
        try:
            super()._train(X, targets, y, sample_weight, first_call, incremental)
        finally:
            del self._auto_validates

    def _can_hold_out(self, y):
        """Whether ``validation_fraction`` of these targets makes a validation set."""
        self._auto_validates = True
        try:
            self._validation_split(len(y), y, seed=0)
        except ValueError:
            # Too few samples, or a class too rare to be in both parts.
            return False
        return True

    def _validates(self):
        """``early_stopping='auto'`` (where allowed): on in ``fit`` on token ids, off on
        numbers and in ``partial_fit``."""
        if isinstance(self.early_stopping, str):
            return getattr(self, "_auto_validates", False)
        return super()._validates()

    def _validate_X(self, X, reset):
        vocab_size = self._vocab_size_in_effect(X, reset)
        X, shape = self._flatten_sequences(X, reset)
        X = validate_data(self, X, reset=reset, **self._input_check_params())
        return self._check_padding(X, reset, shape, vocab_size)

    def _validate_X_y(self, X, y, reset):
        vocab_size = self._vocab_size_in_effect(X, reset)
        X, shape = self._flatten_sequences(X, reset)
        X, y = validate_data(self, X, y, reset=reset, multi_output=True,
                             y_numeric=is_regressor(self), **self._input_check_params())
        return self._check_padding(X, reset, shape, vocab_size), y

    def _vocab_size_in_effect(self, X, reset):
        """``vocab_size``; when None, the size a TokenSequencer's output carries (fit) or had (after).

        :class:`~sklearn_dl.text.TokenIds` (what ``TokenSequencer.transform``
        returns) carries ``vocabulary_size``: an estimator left at
        ``vocab_size=None`` fitted on it reads token ids of that vocabulary,
        and keeps doing so on whatever it predicts (``vocab_size_``).
        """
        if self.vocab_size is not None:
            return self.vocab_size
        if not reset:
            return self.vocab_size_
        size = getattr(X, "vocabulary_size", None) if isinstance(X, np.ndarray) else None
        return None if size is None else min(max(int(size), 2), _MAX_VOCABULARY)

    def _input_check_params(self):
        # NaN is padding; _check_padding rejects it anywhere else.
        return {"dtype": (np.float64, np.float32), "ensure_all_finite": "allow-nan"}

    def _flatten_sequences(self, X, reset):
        """Ragged list or 3-D array -> (2-D array, its (timesteps, features)); 2-D as is.

        A 2-D X goes to ``validate_data`` untouched, so that pandas column
        names and sklearn's messages about the number of features still apply.
        """
        expected = None if reset else self.input_shape_
        if isinstance(X, (list, tuple)) and _is_ragged(X):
            # In fit, input_shape's timesteps (if set) is the length ragged
            # sequences are padded to, so longer ones can be predicted later.
            declared = self.input_shape[0] if reset and self.input_shape is not None else None
            X = _pad_ragged(X, expected[0] if expected else declared, type(self).__name__,
                            fitted=not reset)
        elif isinstance(X, (list, tuple)):
            X = np.asarray(X)
        if getattr(X, "ndim", None) != 3:
            return X, None
        if reset and self.input_shape is not None and X.shape[1:] != tuple(self.input_shape):
            raise ValueError(f"X has sequences of shape {X.shape[1:]} but input_shape is "
                             f"{tuple(self.input_shape)}.")
        if expected is not None and X.shape[1:] != expected:
            if X.shape[2] == expected[1] and X.shape[1] < expected[0]:
                # Shorter sequences than in fit: pad them, padding is harmless.
                X = np.pad(X.astype(np.float64), [(0, 0), (0, expected[0] - X.shape[1]), (0, 0)],
                           constant_values=np.nan)
            else:
                raise ValueError(f"X has sequences of shape {X.shape[1:]} (timesteps, "
                                 f"features) but {type(self).__name__} was fitted with "
                                 f"{expected}.")
        return X.reshape(len(X), -1), X.shape[1:]

    def _check_padding(self, X, reset, shape, vocab_size):
        if reset:
            self.input_shape_ = self._resolve_input_shape(X.shape[1], shape)
        if vocab_size is not None:
            return self._check_tokens(X, reset, vocab_size)
        if reset:
            self.vocab_size_ = None
        timesteps, features = self.input_shape_
        nan = np.isnan(X.reshape(len(X), timesteps, features))
        padding = nan.all(axis=2)
        if (np.any(nan & ~padding[:, :, None]) or np.any(padding[:, 1:] < padding[:, :-1])
                or np.any(padding[:, 0])):
            raise ValueError(
                "Input X contains NaN outside of padding: only whole timesteps at the end "
                "of a sequence may be NaN (padding of a shorter sequence), and every "
                "sequence needs at least one step."
            )
        return X

    def _check_tokens(self, X, reset, vocab_size):
        if self.input_shape_[1] != 1:
            raise ValueError(f"Token sequences hold one id per step, but X has sequences of "
                             f"shape {self.input_shape_} (timesteps, features).")
        ids = np.nan_to_num(X, nan=0.0)
        if np.any(ids < 0) or np.any(ids != np.floor(ids)):
            bad = ids[(ids < 0) | (ids != np.floor(ids))][0]
            raise ValueError(f"X holds token ids (vocab_size={vocab_size!r}): integers "
                             f">= 0, 0 being padding; got {bad!r}. Pass vocab_size=None for "
                             "numeric sequences.")
        padding = ids == 0
        if np.any(padding[:, 1:] < padding[:, :-1]):
            raise ValueError("Padding (token id 0 or NaN) may only end a token sequence; found "
                             "it before a token.")
        largest = int(ids.max(initial=0))
        if reset:
            if vocab_size == "auto":
                self.vocab_size_ = min(max(largest + 1, 2), _MAX_VOCABULARY)
            else:
                self.vocab_size_ = vocab_size
        if vocab_size != "auto" and largest >= self.vocab_size_:
            raise ValueError(f"X holds token id {largest} but vocab_size={self.vocab_size_}: "
                             f"ids must be < vocab_size (or pass vocab_size='auto').")
        return X

    def _fit_input_codes(self, X):
        """``input_categories_`` of an estimator with ``one_hot_input`` (the classifiers)."""
        if hasattr(self, "one_hot_input"):
            self.input_categories_ = (self._find_codes(X) if self.one_hot_input == "auto"
                                      else [None] * self.input_shape_[1])

    def _find_codes(self, X):
        """The values of each feature that holds a few integer codes, else None."""
        timesteps, features = self.input_shape_
        if self.vocab_size_ is not None:
            return [None] * features
        categories = []
        for channel in X.reshape(-1, features).T:
            values = np.unique(channel[~np.isnan(channel)])
            # Two values are one indicator already; more than a few are a quantity.
            is_code = (3 <= len(values) <= _MAX_CODES
                       and np.all(values == np.round(values)))
            categories.append(values if is_code else None)
        return categories

    def _input_codes(self):
        """(feature, its codes) for every feature fed one-hot as well."""
        return [(feature, values) for feature, values
                in enumerate(getattr(self, "input_categories_", None) or [])
                if values is not None]

    def _code_indicators(self, raw, codes):
        """One (n, timesteps, n_codes) array of 0 / 1 indicators per coded feature of ``raw``."""
        indicators = []
        for feature, values in codes:
            channel = raw[:, :, feature, None]
            # Padding stays NaN in every indicator; an unseen code sets none.
            indicators.append(np.where(np.isnan(channel), np.nan, channel == values))
        return indicators

    def _with_indicators(self, X):
        """X (flat) followed, at each step, by the indicators of its codes (``input_categories_``)."""
        codes = self._input_codes()
        if not codes:
            return X
        timesteps, features = self.input_shape_
        raw = X.reshape(len(X), timesteps, features)
        sequences = np.concatenate([raw, *self._code_indicators(raw, codes)], axis=2)
        return sequences.astype(X.dtype, copy=False).reshape(len(X), -1)

    def _resolve_input_shape(self, n_features, shape):
        shape = shape or self.input_shape
        if shape is None:
            return (n_features, 1)
        shape = tuple(int(size) for size in shape)
        if len(shape) != 2 or shape[0] * shape[1] != n_features:
            raise ValueError(f"input_shape={shape} (timesteps, features) does not match X "
                             f"with {n_features} features per sample: expected "
                             f"timesteps * features == {n_features}.")
        return shape

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # NaN is accepted as padding only, not as missing values.
        tags.input_tags.sparse = False
        return tags


def _is_ragged(X):
    lengths = {len(sequence) if hasattr(sequence, "__len__") else None for sequence in X}
    return len(lengths) > 1 and None not in lengths


def _pad_ragged(X, timesteps, name, fitted):
    """List of (length,) or (length, features) arrays -> NaN-padded 3-D array.

    Padded to ``timesteps`` (the fitted length, or ``input_shape``'s in
    ``fit``), or to the longest sequence when None.
    """
    sequences = [np.asarray(sequence, dtype=np.float64) for sequence in X]
    sequences = [s.reshape(-1, 1) if s.ndim == 1 else s for s in sequences]
    longest = max(len(s) for s in sequences)
    timesteps = timesteps or longest
    if longest > timesteps:
        if fitted:
            raise ValueError(
                f"X has a sequence of {longest} timesteps but {name} was fitted on sequences "
                f"of at most {timesteps}. To predict longer ones, fit with input_shape="
                f"(timesteps, features) set to the longest length to expect: the training "
                f"sequences are then padded to it (padding is masked).")
        raise ValueError(f"X has a sequence of {longest} timesteps but input_shape allows "
                         f"{timesteps}.")
    if len({s.shape[1:] for s in sequences}) > 1 or sequences[0].ndim != 2:
        raise ValueError("Every sequence of a ragged X must have the same number of features; "
                         f"got shapes {sorted({s.shape for s in sequences})}.")
    padded = np.full((len(sequences), timesteps, sequences[0].shape[1]), np.nan)
    for row, sequence in zip(padded, sequences):
        row[:len(sequence)] = sequence
    return padded
