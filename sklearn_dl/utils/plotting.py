"""Learning-curve figures from a fitted estimator's training record."""

import numpy as np
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_is_fitted


def plot_history(estimator, ax=None, *, label=None, validation=True, score=True,
                 log_scale=False):
    """Plot the per-epoch training loss and, when recorded, the validation curves.

    Network estimators are read from ``history_``: ``train_loss`` and, when
    they were fitted with ``early_stopping=True``, ``valid_loss`` on the same
    axis and ``valid_score`` on a second y axis at the right. Linear models
    trained by an iterative solver are read from ``loss_curve_`` (the
    objective at each iteration, or epoch for ``'sgd'``).

    Parameters
    ----------
    estimator : fitted estimator or Pipeline
        A fitted sklearn_dl estimator, or a fitted :class:`~sklearn.pipeline.Pipeline`
        whose final step is one.

    ax : matplotlib Axes, default=None
        Axes to draw on; None creates a new figure.

    label : str, default=None
        Prefix of the legend entries, e.g. the name of a configuration when
        several estimators share one axes.

    validation : bool, default=True
        Whether to draw the validation loss when ``history_`` has it.

    score : bool, default=True
        Whether to draw the validation score on a second y axis when
        ``history_`` has it. Pass False when overlaying several estimators on
        one axes: each call would add its own second axis.

    log_scale : bool, default=False
        Whether the loss axis is logarithmic.

    Returns
    -------
    ax : matplotlib Axes
        The axes holding the loss curves (the score's axis is its twin).

    Raises
    ------
    ValueError
        If the estimator kept no per-epoch record (e.g. a linear model fitted
        by a closed-form solver).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn.datasets import load_iris
    >>> from sklearn_dl.neural_network import MLPClassifier
    >>> from sklearn_dl.utils import plot_history
    >>> X, y = load_iris(return_X_y=True)
    >>> model = MLPClassifier(hidden_layer_sizes=(8,), max_iter=20, early_stopping=True,
    ...                       random_state=0).fit(X, y)
    >>> ax = plot_history(model)
    >>> [line.get_label() for line in ax.get_lines()]
    ['train loss', 'validation loss']
    """
    import matplotlib.pyplot as plt

    final = estimator[-1] if isinstance(estimator, Pipeline) else estimator
    check_is_fitted(final)
    name = type(final).__name__
    try:
        history = final.history_
    except AttributeError:  # linear models: no skorch net, only loss_curve_
        history = None
    if history is not None:
        epochs = np.asarray(history.index)
        curves = {"train loss": history["train_loss"].to_numpy()}
        if validation and "valid_loss" in history:
            curves["validation loss"] = history["valid_loss"].to_numpy()
        valid_score = history["valid_score"].to_numpy() if "valid_score" in history else None
        xlabel = "epoch"
    else:
        losses = getattr(final, "loss_curve_", None)
        if not losses:
            raise ValueError(f"{name} kept no per-epoch record to plot: it has neither "
                             "history_ nor loss_curve_ (closed-form solvers have none).")
        epochs = np.arange(1, len(losses) + 1)
        curves = {"training objective": np.asarray(losses)}
        valid_score = None
        xlabel = "iteration"

    if ax is None:
        _, ax = plt.subplots()
    prefix = f"{label}: " if label else ""
    color = None  # one colour per estimator, one line style per curve
    for (curve_name, values), style in zip(curves.items(), ("-", "--")):
        (line,) = ax.plot(epochs, values, style, color=color, label=prefix + curve_name)
        color = line.get_color()
    ax.set_xlabel(xlabel)
    ax.set_ylabel("loss")
    if log_scale:
        ax.set_yscale("log")
    handles, labels = ax.get_legend_handles_labels()
    if score and valid_score is not None:
        score_ax = ax.twinx()
        score_ax.plot(epochs, valid_score, ":", color=color, label=prefix + "validation score")
        score_ax.set_ylabel("validation score")
        more_handles, more_labels = score_ax.get_legend_handles_labels()
        handles, labels = handles + more_handles, labels + more_labels
    ax.legend(handles, labels, loc="best")
    if ax.get_title() == "":
        ax.set_title(name if label is None else "Training history")
    return ax


def plot_attention(estimator, X, *, layer=-1, head=None, labels=None, ax=None):
    """Draw where a fitted Transformer looks: one sequence's attention weights as a heatmap.

    Row ``q`` shows how much position ``q`` draws on each position ``k``
    (each row sums to 1). With a class token (``pooling='cls'``, or
    ``'auto'`` on numeric sequences) the first row is the class
    token's, the one the output layer reads: it shows which steps decided
    the prediction. Padding is left out.

    Parameters
    ----------
    estimator : fitted TransformerClassifier, TransformerRegressor or Pipeline
        A Pipeline's earlier steps transform ``X`` first (e.g. a
        :class:`~sklearn_dl.text.TokenSequencer`, whose tokens then label
        the axes).

    X : array-like or list of one sample
        One sequence, as a batch of one: ``X[i:i + 1]`` of the estimator's
        input, or ``["some text"]`` for a text pipeline.

    layer : int, default=-1
        Which encoder block (negative counts from the last).

    head : int or None, default=None
        Which attention head; None averages the heads.

    labels : list of str or None, default=None
        Names of the sequence's positions; None uses the tokens of a
        TokenSequencer step, or the step numbers (``'0-7'``... for patches
        of 8 steps, ``patch_size_``).

    ax : matplotlib Axes, default=None
        Axes to draw on; None creates a new figure.

    Returns
    -------
    ax : matplotlib Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from sklearn_dl.neural_network import TransformerClassifier
    >>> from sklearn_dl.utils import plot_attention
    >>> X = np.random.default_rng(0).normal(size=(40, 5, 2))
    >>> model = TransformerClassifier(d_model=8, n_heads=2, max_iter=2,
    ...                               random_state=0).fit(X, X[:, 0, 0] > 0)
    >>> ax = plot_attention(model, X[:1])
    >>> [label.get_text() for label in ax.get_xticklabels()]
    ['[CLS]', '0', '1', '2', '3', '4']
    """
    import matplotlib.pyplot as plt

    final = estimator[-1] if isinstance(estimator, Pipeline) else estimator
    check_is_fitted(final)
    if not hasattr(final, "attention_weights"):
        raise ValueError(f"{type(final).__name__} has no attention weights to plot.")
    if isinstance(estimator, Pipeline):
        steps = estimator[:-1]
        first = steps[0]
        X = steps.transform(X)
        if labels is None and hasattr(first, "vocabulary_"):
            names = ["<pad>", "<unk>", *sorted(first.vocabulary_, key=first.vocabulary_.get)]
            labels = [names[int(i)] for i in np.asarray(X)[0] if i != 0]
    weights = final.attention_weights(X)
    if len(weights) != 1:
        raise ValueError(f"plot_attention draws one sequence; X holds {len(weights)}.")
    layer_index = range(weights.shape[1])[layer]
    weights = weights[0, layer_index]
    weights = weights.mean(axis=0) if head is None else weights[head]
    live = int(np.count_nonzero(weights.sum(axis=1)))
    weights = weights[:live, :live]
    # The pooling the network was built with ('auto' resolved in fit).
    cls = final.net_.module_.pooling == "cls"
    n_steps = live - cls
    patch = getattr(final, "patch_size_", 1)
    if labels is None and patch > 1:
        timesteps = final.input_shape_[0]
        labels = [f"{start}-{min(start + patch, timesteps) - 1}"
                  for start in range(0, n_steps * patch, patch)]
    elif labels is None:
        labels = [str(step) for step in range(n_steps)]
    labels = (["[CLS]"] if cls else []) + list(labels)[:n_steps]
    if ax is None:
        _, ax = plt.subplots(figsize=(1.5 + 0.35 * live, 1 + 0.35 * live))
    image = ax.imshow(weights, cmap="viridis", vmin=0)
    ax.set_xticks(range(live), labels, rotation=90)
    ax.set_yticks(range(live), labels)
    ax.set_xlabel("attended position (key)")
    ax.set_ylabel("attending position (query)")
    ax.figure.colorbar(image, ax=ax, fraction=0.046)
    which = "mean of heads" if head is None else f"head {head}"
    ax.set_title(f"Attention of layer {layer_index}, {which}")
    return ax
