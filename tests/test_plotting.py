"""plot_history draws what the estimator recorded, from estimators and pipelines."""

import numpy as np
import pytest
from sklearn.datasets import load_iris
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_dl.linear_model import LogisticRegression, Ridge
from sklearn_dl.neural_network import MLPClassifier, MLPRegressor
from sklearn_dl.utils import plot_history

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
plt = pytest.importorskip("matplotlib.pyplot")

X, y = load_iris(return_X_y=True)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def test_train_loss_only_without_early_stopping():
    model = MLPClassifier(hidden_layer_sizes=(8,), max_iter=7, random_state=0).fit(X, y)
    ax = plot_history(model)
    (line,) = ax.get_lines()
    assert line.get_label() == "train loss"
    np.testing.assert_array_equal(line.get_xdata(), np.arange(1, 8))
    np.testing.assert_allclose(line.get_ydata(), model.loss_curve_)
    assert ax.get_xlabel() == "epoch"
    assert ax.get_title() == "MLPClassifier"
    assert len(ax.figure.axes) == 1  # no score axis without a validation score


def test_validation_loss_and_score_on_a_twin_axis():
    model = MLPClassifier(hidden_layer_sizes=(8,), max_iter=6, early_stopping=True,
                          n_iter_no_change=50, random_state=0).fit(X, y)
    ax = plot_history(model, label="small")
    assert [line.get_label() for line in ax.get_lines()] == ["small: train loss",
                                                             "small: validation loss"]
    np.testing.assert_allclose(ax.get_lines()[1].get_ydata(), model.history_["valid_loss"])
    score_ax = [other for other in ax.figure.axes if other is not ax]
    assert len(score_ax) == 1
    np.testing.assert_allclose(score_ax[0].get_lines()[0].get_ydata(), model.validation_scores_)
    # One colour per estimator, so overlaid estimators stay readable.
    assert len({line.get_color() for line in ax.get_lines()}) == 1
    assert len(ax.get_legend().get_texts()) == 3


def test_overlay_on_given_axes_without_score():
    _, ax = plt.subplots()
    for units in (4, 8):
        model = MLPRegressor(hidden_layer_sizes=(units,), max_iter=4, early_stopping=True,
                             random_state=0).fit(X[:, :3], X[:, 3])
        assert plot_history(model, ax=ax, label=str(units), score=False, log_scale=True) is ax
    assert len(ax.get_lines()) == 4
    assert len(ax.figure.axes) == 1
    assert ax.get_yscale() == "log"
    assert len({line.get_color() for line in ax.get_lines()}) == 2


def test_pipeline_uses_final_step():
    pipe = make_pipeline(StandardScaler(), MLPClassifier(hidden_layer_sizes=(8,), max_iter=3,
                                                         random_state=0)).fit(X, y)
    ax = plot_history(pipe, validation=False)
    np.testing.assert_allclose(ax.get_lines()[0].get_ydata(), pipe[-1].loss_curve_)


def test_linear_model_loss_curve():
    model = LogisticRegression(solver="gd", max_iter=500).fit(StandardScaler().fit_transform(X), y)
    ax = plot_history(model)
    (line,) = ax.get_lines()
    assert line.get_label() == "training objective"
    assert ax.get_xlabel() == "iteration"
    np.testing.assert_allclose(line.get_ydata(), model.loss_curve_)


def test_errors():
    with pytest.raises(ValueError, match="closed-form"):
        plot_history(Ridge().fit(X, y))
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        plot_history(MLPClassifier())
