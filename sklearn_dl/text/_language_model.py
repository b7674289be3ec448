"""LanguageModel: next-token prediction on a corpus of texts, generation and perplexity."""

import math
from numbers import Integral, Real

import numpy as np
import scipy.special
import torch
from sklearn.base import _fit_context
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from sklearn_dl._training import autocasting, evaluating, to_tensor
from sklearn_dl.base import TRAINING_PARAMETERS_DOC, BaseTorchEstimator
from sklearn_dl.modules import LanguageNet
from sklearn_dl.modules.losses import NextTokenCrossEntropy
from sklearn_dl.text._sequencer import OOV_ID, PADDING_ID, TokenSequencer, _documents


class LanguageModel(BaseTorchEstimator):
    __doc__ = f"""Next-token language model (LSTM, GRU or Transformer) on a corpus of texts.

    The texts are split into words or characters (as by
    :class:`TokenSequencer`), joined into one stream with an end-of-text
    token after each text, and cut into windows of ``context_length``
    tokens; the network learns to predict every window's next token from
    the tokens before it (a recurrent cell reading left to right, or a
    Transformer with causal attention). :meth:`generate` then samples text
    one token at a time, and :meth:`score` / :meth:`perplexity` measure how
    well the model predicts held-out text.

    Parameters
    ----------
    cell : {{'lstm', 'gru', 'transformer'}}, default='lstm'
        The network.

    level : {{'char', 'word'}}, default='char'
        Tokens are characters, or the matches of ``token_pattern``.

    context_length : int, default=64
        Tokens per training window: the longest context a prediction sees.

    hidden_size : int, default=128
        Width of the recurrent state, or the Transformer's ``d_model``.

    num_layers : int, default=1
        Stacked recurrent layers or Transformer blocks.

    n_heads : int, default=4
        Attention heads per block (``cell='transformer'`` only).

    embedding_dim : int or None, default=None
        Width of the token embedding; None is ``hidden_size``.

    dropout : float, default=0.0
        Dropout between layers and before the output layer, in training.

    lowercase : bool, default=False
        Lowercase the texts first.

    token_pattern : str, default=r"\\w+|[^\\w\\s]"
        Regular expression of a word token (``level='word'``): words and
        single punctuation marks.

    max_tokens : int or None, default=None
        Keep the ``max_tokens`` most frequent tokens; the others become one
        out-of-vocabulary token.

    min_frequency : int, default=1
        Tokens seen fewer times are out of the vocabulary.

{TRAINING_PARAMETERS_DOC.replace("max_grad_norm : float or None, default=None",
                                 "max_grad_norm : float or None, default=1.0")}

    Attributes
    ----------
    vocabulary_ : dict of str to int
        Token to id, ids from 2 on (0 is padding, 1 out of vocabulary), as
        :class:`TokenSequencer` numbers them.

    vocabulary_size_ : int
        Number of token ids: ``len(vocabulary_) + 3``, the last being the
        end-of-text id.

    n_outputs_ : int
        ``vocabulary_size_``.

    loss_ : float
        Mean next-token log-loss (nats) of the last epoch, L2 penalty included.

    loss_curve_ : list of float
        Training loss at each epoch.

    best_loss_ : float or None
        Lowest training loss reached; None with ``early_stopping``.

    validation_scores_ : list of float or None
        Mean log-likelihood per token of the held-out windows at each epoch,
        with ``early_stopping``.

    best_validation_score_ : float or None
        Best of ``validation_scores_``.

    n_iter_ : int
        Number of epochs run.

    t_ : int
        Number of training windows seen.

    net_ : skorch.NeuralNet
        The skorch net that trained the module.

    module_ : torch.nn.Module
        The trained :class:`~sklearn_dl.modules.LanguageNet`.

    history_ : pandas.DataFrame
        Per-epoch training record.

    See Also
    --------
    TokenSequencer : Texts to token ids for classification pipelines.

    Examples
    --------
    >>> from sklearn_dl.text import LanguageModel
    >>> corpus = ["abcabcabcabc abcabc"] * 20
    >>> model = LanguageModel(hidden_size=16, context_length=8, learning_rate_init=0.03,
    ...                       max_iter=20, random_state=0).fit(corpus)
    >>> model.generate("ab", max_tokens=7, temperature=0)
    'abcabcabc'
    >>> model.perplexity(["abcabc"]) < 2
    True
    """

    _parameter_constraints: dict = {
        **BaseTorchEstimator._parameter_constraints,
        "cell": [StrOptions({"lstm", "gru", "transformer"})],
        "level": [StrOptions({"char", "word"})],
        "context_length": [Interval(Integral, 1, None, closed="left")],
        "hidden_size": [Interval(Integral, 1, None, closed="left")],
        "num_layers": [Interval(Integral, 1, None, closed="left")],
        "n_heads": [Interval(Integral, 1, None, closed="left")],
        "embedding_dim": [Interval(Integral, 1, None, closed="left"), None],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "lowercase": ["boolean"],
        "token_pattern": [str],
        "max_tokens": [Interval(Integral, 1, None, closed="left"), None],
        "min_frequency": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(
        self,
        cell="lstm",
        level="char",
        context_length=64,
        *,
        hidden_size=128,
        num_layers=1,
        n_heads=4,
        embedding_dim=None,
        dropout=0.0,
        lowercase=False,
        token_pattern=r"\w+|[^\w\s]",
        max_tokens=None,
        min_frequency=1,
        solver="adam",
        alpha=0.0001,
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init=0.001,
        power_t=0.5,
        max_iter=200,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping=False,
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change=10,
        max_fun=15000,
        max_grad_norm=1.0,
        precision="float32",
        device="auto",
        callbacks=None,
        compile=False,
        on_divergence="raise",
    ):
        self.cell = cell
        self.level = level
        self.context_length = context_length
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.n_heads = n_heads
        self.embedding_dim = embedding_dim
        self.dropout = dropout
        self.lowercase = lowercase
        self.token_pattern = token_pattern
        self.max_tokens = max_tokens
        self.min_frequency = min_frequency
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.max_fun = max_fun
        self.max_grad_norm = max_grad_norm
        self.precision = precision
        self.device = device
        self.callbacks = callbacks
        self.compile = compile
        self.on_divergence = on_divergence

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Learn the vocabulary, then train the network to predict each next token.

        With ``warm_start=True`` and a fitted model, training continues on
        the new texts with the same vocabulary.

        Parameters
        ----------
        X : iterable of str, pandas Series or one-column 2-D array of str
            The corpus.
        y : None
            Ignored.

        Returns
        -------
        self : object
        """
        return self._fit(X, None, None, incremental=False)

    # -- hooks of BaseTorchEstimator ------------------------------------------

    def _validate_X_y(self, X, y, reset):
        documents = _documents(X)
        if reset:
            sequencer = self._tokenizer().fit(documents)
            self.vocabulary_ = sequencer.vocabulary_
            self.vocabulary_size_ = sequencer.vocabulary_size_ + 1
        stream = self._stream(documents)
        if len(stream) == len(documents) + 1:   # only the end-of-text ids
            raise ValueError("LanguageModel needs at least one token in the corpus.")
        length = self.context_length
        windows = _windows(stream, range(0, len(stream) - 1, length), length + 1)
        return windows[:, :-1].astype(np.float64), windows[:, 1:]

    def _encode_targets(self, y, sample_weight, reset, classes=None):
        if reset:
            self.n_outputs_ = self.vocabulary_size_
            self.out_activation_ = "softmax"
        return y, sample_weight

    def _make_criterion(self):
        return NextTokenCrossEntropy()

    def _build_module(self, n_features, n_outputs):
        if self.cell == "transformer" and self.hidden_size % self.n_heads:
            raise ValueError(f"hidden_size={self.hidden_size} must be a multiple of "
                             f"n_heads={self.n_heads} for cell='transformer'.")
        return LanguageNet(self.vocabulary_size_, cell=self.cell, hidden_size=self.hidden_size,
                           num_layers=self.num_layers, dropout=self.dropout,
                           embedding_dim=self.embedding_dim, n_heads=self.n_heads,
                           max_len=self.context_length)

    def _score_raw(self, raw, y, sample_weight):
        log_proba = scipy.special.log_softmax(raw, axis=2)
        counted = y != PADDING_ID
        picked = np.take_along_axis(log_proba, y[:, :, None], axis=2)[:, :, 0]
        return float(picked[counted].mean())

    # -- text ------------------------------------------------------------------

    def _tokenizer(self):
        return TokenSequencer(analyzer=self.level, lowercase=self.lowercase,
                              token_pattern=self.token_pattern, max_tokens=self.max_tokens,
                              min_frequency=self.min_frequency)

    def _ids(self, text, tokenizer):
        return [self.vocabulary_.get(token, OOV_ID) for token in tokenizer.tokenize(text)]

    def _stream(self, documents):
        """Token ids of the texts, each text followed by the end-of-text id; one first."""
        tokenizer = self._tokenizer()
        end = self.vocabulary_size_ - 1
        stream = [end]
        for document in documents:
            stream.extend(self._ids(document, tokenizer))
            stream.append(end)
        return np.asarray(stream, dtype=np.int64)

    def _log_likelihood(self, documents):
        """(sum of log-probabilities of every token after the first, number of tokens).

        Each token is predicted from up to ``context_length`` tokens before
        it, read in windows that overlap by half: a window counts only its
        second half (its first counts everything), whose tokens had at
        least half a context before them.
        """
        stream = self._stream(documents)
        length = self.context_length
        stride = max(1, length // 2)
        starts = range(0, len(stream) - 1, stride)
        windows = _windows(stream, starts, length + 1)
        counted = np.ones((len(windows), length), dtype=bool)
        counted[1:, :length - stride] = False
        counted &= windows[:, 1:] != PADDING_ID
        module = self.net_.module_
        device = torch.device(self.net_.device)
        chunk = self._predict_chunk_rows((length * self.vocabulary_size_,), device)
        total = 0.0
        with evaluating(module), autocasting(self._autocast_dtype(), device):
            for start in range(0, len(windows), chunk):
                batch = windows[start:start + chunk]
                inputs = to_tensor(batch[:, :-1].astype(np.float64), device, self._torch_dtype())
                log_proba = torch.log_softmax(module(inputs).double(), dim=2)
                targets = torch.as_tensor(batch[:, 1:], device=device)
                picked = log_proba.gather(2, targets.unsqueeze(2))[:, :, 0]
                mask = torch.as_tensor(counted[start:start + chunk], device=device)
                total += float(picked[mask].sum())
        return total, int(counted.sum())

    def score(self, X, y=None):
        """Mean log-likelihood per token of texts (natural log; higher is better).

        Every token of every text counts, and the end of each text too.

        Parameters
        ----------
        X : iterable of str, pandas Series or one-column 2-D array of str
            Held-out texts.
        y : None
            Ignored.

        Returns
        -------
        score : float
        """
        check_is_fitted(self)
        total, n_tokens = self._log_likelihood(_documents(X))
        return total / n_tokens

    def perplexity(self, X):
        """Perplexity of texts: ``exp(-score(X))``, the effective number of choices per token.

        Parameters
        ----------
        X : iterable of str, pandas Series or one-column 2-D array of str

        Returns
        -------
        perplexity : float
        """
        return math.exp(-self.score(X))

    def generate(self, prompt="", max_tokens=100, temperature=1.0, random_state=None):
        """Continue a prompt by sampling one token at a time.

        Each next token is drawn from the model's distribution given the
        ``context_length`` tokens before it, sharpened (``temperature < 1``)
        or flattened (``> 1``); only vocabulary tokens are drawn (never
        padding, out-of-vocabulary or end of text).

        Parameters
        ----------
        prompt : str, default=""
            Start of the text.
        max_tokens : int, default=100
            Number of tokens to add.
        temperature : float, default=1.0
            Divides the log-probabilities before sampling; 0 takes the most
            likely token every time.
        random_state : int, RandomState instance or None, default=None
            Seeds the sampling.

        Returns
        -------
        text : str
            The prompt followed by the generated tokens (characters joined as
            they are, words joined by spaces).
        """
        check_is_fitted(self)
        if not isinstance(prompt, str):
            raise ValueError(f"prompt must be a str; got {type(prompt).__name__}.")
        if not (isinstance(max_tokens, Integral) and max_tokens >= 0):
            raise ValueError(f"max_tokens must be an int >= 0; got {max_tokens!r}.")
        if not (isinstance(temperature, Real) and temperature >= 0):
            raise ValueError(f"temperature must be a float >= 0; got {temperature!r}.")
        rng = check_random_state(random_state)
        end = self.vocabulary_size_ - 1
        context = [end] + self._ids(prompt, self._tokenizer())
        names = ["<pad>", "<unk>", *sorted(self.vocabulary_, key=self.vocabulary_.get)]
        module = self.net_.module_
        device = torch.device(self.net_.device)
        generated = []
        with evaluating(module):
            for _ in range(max_tokens):
                window = torch.tensor([context[-self.context_length:]], dtype=self._torch_dtype(),
                                      device=device)
                logits = module(window)[0, -1].to("cpu", torch.float64).numpy()
                logits[[PADDING_ID, OOV_ID, end]] = -np.inf
                if temperature == 0:
                    token = int(np.argmax(logits))
                else:
                    proba = scipy.special.softmax(logits / temperature)
                    token = int(rng.choice(len(proba), p=proba))
                context.append(token)
                generated.append(names[token])
        if self.level == "char":
            return prompt + "".join(generated)
        return " ".join(([prompt] if prompt else []) + generated)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.string = True
        tags.target_tags.required = False
        return tags


def _windows(stream, starts, width):
    """Rows ``stream[s:s + width]`` for each start ``s``, padded with 0 past the end."""
    starts = np.asarray(starts)
    padded = np.concatenate([stream, np.zeros(width, dtype=stream.dtype)])
    return padded[starts[:, None] + np.arange(width)]
