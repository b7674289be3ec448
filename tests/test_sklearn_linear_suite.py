"""scikit-learn's own linear-model tests, run against our LogisticRegression,
LinearRegression and Ridge.

scikit-learn 1.9's ``sklearn/linear_model/tests/test_logistic.py``, ``test_base.py`` and
``test_ridge.py`` are each copied under pytest's ``tmp_path`` with one change, an import
of our class after scikit-learn's, and run in a fresh pytest process with warnings as
errors (the harness, tests/_sklearn_suite.py, is shared with
tests/test_sklearn_mlp_suite.py).

Tests of what our classes do not offer are left out by name pattern, one reason per
group (``DESELECTED_*``); every other test must pass except those listed in
``EXPECTED_FAILURES_*``, each with the reason it fails: a new failure, a listed test that
now passes, or a listed test that no longer exists fails this test, naming it. The
deliberate differences behind the lists are documented in docs/parameters.md ("Where we
differ from scikit-learn on purpose").

``test_logistic.py`` runs twice more with one of scikit-learn's solvers renamed to its
counterpart here everywhere in the file ('saga' to 'proximal', 'newton-cholesky' to
'newton'), keeping the tests that then run our solver (``SOLVER_VARIANTS``).
"""

import pytest
from _sklearn_suite import check_outcomes, deselect, run_sklearn_test_file

UNOFFERED_SOLVERS = ("solvers we do not offer (ours: 'lbfgs', 'newton', 'gd', "
                     "'proximal', 'sgd'), in the test's id or hard-coded in its body")

# Made for scikit-learn 1.9's test_logistic.py; test ids as pytest names them.
DESELECTED_LOGISTIC = {
    "cv": "LogisticRegressionCV, which we do not offer",
    "path": "scikit-learn's private _logistic_regression_path / _log_reg_scoring_path",
    "array_api": "array API dispatch (array-api-compat, SCIPY_ARRAY_API): ours takes "
                 "NumPy, SciPy sparse and torch tensors through torch",
    "liblinear": UNOFFERED_SOLVERS,
    "sag": UNOFFERED_SOLVERS + " ('sag', 'saga')",
    "newton": UNOFFERED_SOLVERS + " ('newton-cg', 'newton-cholesky')",
    "solver_option": UNOFFERED_SOLVERS + ": checks liblinear's and sag's error messages",
    "logistic_regression_solvers": UNOFFERED_SOLVERS + ": loops over all of sklearn's",
    "logistic_regression_class_weights": UNOFFERED_SOLVERS + ": loops over sklearn's",
    "logreg_l1": UNOFFERED_SOLVERS + " (liblinear, saga)",
    "warm_start_converge_LR": UNOFFERED_SOLVERS + " (saga)",
    "elastic_net": UNOFFERED_SOLVERS + ": saga, sklearn's only elastic-net solver "
                   "(ours is 'proximal', compared with saga in test_sklearn_parity_linear.py)",
    "elasticnet": UNOFFERED_SOLVERS + " (saga), as above",
    "penalty_l1ratio": UNOFFERED_SOLVERS + " (saga); the warning itself is ours too",
}
CALLBACK_API = ("scikit-learn 1.9's experimental callback API (sklearn.callback, "
                "set_callbacks), which our linear models do not offer")
EXPECTED_FAILURES_LOGISTIC = {
    "test_logreg_predict_proba_multinomial": "calls the private _predict_proba_lr "
                                             "(one-vs-rest probabilities)",
    **{f"test_logistic_regression_callback_support[{n}]":
CALLBACK_API for n in (0, 2, 1000)},
    **{f"test_logistic_regression_callback_fitted_estimator[{w}-{n}]":
CALLBACK_API for w in (True, False) for n in (2, 3)},
    "test_logistic_regression_callback_support_warning": CALLBACK_API,
}

# The same file again with each of sklearn's solvers that has a counterpart here
# replaced by ours, keeping only the tests that then run our solver.
VARIANTS_NOT = ("cv or path or array_api or liblinear or logistic_regression_solvers "
                "or logistic_regression_class_weights or callback or test_n_iter")
# (test_n_iter and test_scores_attribute_layout_elasticnet fit LogisticRegressionCV
# with the same solver.)
SKLEARN_ALSO_FAILS = ("fails with scikit-learn's own LogisticRegression here too: "
                      "penalty='l1' with l1_ratio != 1 also warns 'Inconsistent values', "
                      "which pytest.warns does not match and re-emits as an error")
OUR_WARNING = ("our solvers' one ConvergenceWarning, in sklearn's lbfgs form naming the "
               "solver ('{} failed to converge after 1 iteration(s): ...')")
SOLVER_VARIANTS = {
    # saga, sklearn's elastic-net solver -> our proximal one: the elastic-net tests
    # and the [saga] variants of the others.
    "proximal": (
        '"saga"',
        "(proximal or elastic_net or elasticnet or penalty_l1ratio or l1_ratio_non) "
        f"and not ({VARIANTS_NOT} or sag or newton or scores_attribute)",
        {
            **{f"test_max_iter[proximal-The max_iter was reached which means the coef_ "
               f"did not converge-max_iter{i}]":
               OUR_WARNING.format("proximal") + ", not sag's 'The max_iter was reached'"
               for i in range(4)},
            **{f"test_elastic_net_l1_l2_equivalence[l1-1-{c}]": SKLEARN_ALSO_FAILS
               for c in ("0.001", "0.1", "1", "10", "100", "1000", "1000000.0")},
            "test_l1_ratio_non_elasticnet": SKLEARN_ALSO_FAILS,
            **{f"test_large_sparse_matrix[{c}-proximal]":
               "sparse X with 64-bit indices is accepted (torch's sparse tensors take "
               "them); sklearn's saga refuses it with a ValueError"
               for c in ("csr_matrix", "csr_array")},
        }),
    # newton-cholesky -> our newton solver.
    "newton": (
        '"newton-cholesky"',
        f"newton and not ({VARIANTS_NOT} or sag or newton-cg or newton_cg)",
        {
            "test_max_iter[newton-Newton solver did not converge after [0-9]* "
            "iterations-max_iter0]": OUR_WARNING.format("newton")
                                     + ", not 'Newton solver did not converge'",
            "test_newton_cholesky_fallback_to_lbfgs": "no fallback to lbfgs on a "
                "rank-deficient Hessian: ours takes the minimum-norm Newton step and "
                "goes on (9 iterations where lbfgs takes 13), so the iteration count "
                "and the warning's wording are not lbfgs's",
        }),
}

DESELECTED_BASE = {
    "preprocess_data or preprocess_copy": "scikit-learn's private _preprocess_data",
    "rescale_data": "scikit-learn's private _rescale_data",
    "make_dataset": "scikit-learn's private make_dataset (SGD/SAG datasets)",
    "predict_proba_lr": "scikit-learn's private LinearClassifierMixin._predict_proba_lr",
    "array_api": "array API dispatch (array-api-compat, SCIPY_ARRAY_API)",
}
EXPECTED_FAILURES_BASE = {
    f"test_inplace_data_preprocessing[{sw}-None]":
        "copy_X=False: sklearn centres dense X in place, ours never modifies X "
        "(copy_X is accepted and changes nothing)" for sw in (True, False)
}

DESELECTED_RIDGE = {
    "cv": "RidgeCV / RidgeClassifierCV, which we do not offer",
    "gcv": "RidgeCV's generalised cross-validation",
    "classifier": "RidgeClassifier, which we do not offer",
    "class_weight": "RidgeClassifier's class_weight",
    "best_score or custom_scoring or score_request": "RidgeCV's scoring",
    "array_api": "array API dispatch (array-api-compat, SCIPY_ARRAY_API)",
    "CenterStackOp or compute_gram or compute_covariance": "scikit-learn's private "
                                                           "solver helpers",
    "sag or sparse_cg or lsqr": UNOFFERED_SOLVERS.replace(
        "'lbfgs', 'newton', 'gd', 'proximal', 'sgd'",
        "'auto', 'cholesky', 'svd', 'lbfgs', 'gd', 'sgd'"),
    "ridge_individual_penalties or test_n_iter": "loop over sklearn's solvers, "
                                                 "sag, saga and lsqr among them",
    "fit_intercept_sparse and auto": "its reference fit hard-codes solver='sparse_cg'",
    "ridge_regression_convergence_fail": "scikit-learn's ridge_regression function with "
                                         "sparse_cg, not Ridge",
}
EXPECTED_FAILURES_RIDGE = {
    f"test_ridge_fit_intercept_sparse_error[{c}-cholesky]":
        "solver='cholesky' fits the intercept on sparse X (the means' share is "
        "subtracted from the normal equations) where sklearn's raises ValueError"
        for c in ("csr_matrix", "csr_array")
}


def test_sklearn_test_logistic_against_ours(tmp_path):
    line = ("from sklearn.linear_model import LogisticRegression, LogisticRegressionCV, "
            "SGDClassifier")
    outcomes, output = run_sklearn_test_file(
        tmp_path, "linear_model/tests/test_logistic.py",
        [(line, line + "\nfrom sklearn_dl.linear_model import LogisticRegression")],
        select=deselect(DESELECTED_LOGISTIC))
    check_outcomes(outcomes, EXPECTED_FAILURES_LOGISTIC, output, "test_logistic.py",
                   min_tests=50, skips_allowed=True)


@pytest.mark.parametrize("ours", list(SOLVER_VARIANTS))
def test_sklearn_test_logistic_with_our_solver(tmp_path, ours):
    theirs, select, expected_failures = SOLVER_VARIANTS[ours]
    line = ("from sklearn.linear_model import LogisticRegression, LogisticRegressionCV, "
            "SGDClassifier")
    outcomes, output = run_sklearn_test_file(
        tmp_path, "linear_model/tests/test_logistic.py",
        [(line, line + "\nfrom sklearn_dl.linear_model import LogisticRegression"),
         (theirs, f'"{ours}"', "all")],
        select=select)
    check_outcomes(outcomes, expected_failures, output, "test_logistic.py",
                   min_tests=20, skips_allowed=True)


def test_sklearn_test_base_against_ours(tmp_path):
    line = "from sklearn.linear_model import LinearRegression"
    outcomes, output = run_sklearn_test_file(
        tmp_path, "linear_model/tests/test_base.py",
        [(line, "from sklearn_dl.linear_model import LinearRegression")],
        select=deselect(DESELECTED_BASE))
    check_outcomes(outcomes, EXPECTED_FAILURES_BASE, output, "test_base.py",
                   min_tests=40, skips_allowed=True)


def test_sklearn_test_ridge_against_ours(tmp_path):
    # Only Ridge is ours: the file's LinearRegression and ridge_regression stay
    # scikit-learn's, as references.
    line = "from sklearn.linear_model._ridge import ("
    outcomes, output = run_sklearn_test_file(
        tmp_path, "linear_model/tests/test_ridge.py",
        [(line, "from sklearn_dl.linear_model import Ridge\n" + line)],
        select=deselect(DESELECTED_RIDGE))
    check_outcomes(outcomes, EXPECTED_FAILURES_RIDGE, output, "test_ridge.py",
                   min_tests=200, skips_allowed=True)
