"""sklearn's estimator checks over every public estimator of the package.

Estimators are found by :func:`sklearn_dl.utils.all_estimators`, so a new one is
checked the day it is added. ``CHECK_PARAMS`` keeps each estimator's checks fast
(few epochs on tiny data); ``EXPECTED_FAILED_CHECKS`` lists each known failure
with its reason, strictly: a check that starts passing fails the suite until
its entry is removed.
"""

import pytest
from sklearn.base import clone
from sklearn.utils.estimator_checks import check_param_validation, parametrize_with_checks

from sklearn_dl.utils import all_estimators

# Parameters that keep sklearn's checks fast without changing what they test.
CHECK_PARAMS = {}

# {estimator name: {check name: reason}}. The target is none.
EXPECTED_FAILED_CHECKS = {}


def _instances():
    for name, Estimator in all_estimators():
        yield Estimator(**CHECK_PARAMS.get(name, {}))


def _expected_failed_checks(estimator):
    return EXPECTED_FAILED_CHECKS.get(type(estimator).__name__, {})


@parametrize_with_checks(
    list(_instances()), expected_failed_checks=_expected_failed_checks, xfail_strict=True
)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)


@pytest.mark.parametrize("estimator", list(_instances()), ids=lambda est: type(est).__name__)
def test_check_param_validation(estimator):
    check_param_validation(type(estimator).__name__, clone(estimator))


def test_every_estimator_is_discovered():
    names = {name for name, _ in all_estimators()}
    assert {"MLPClassifier", "MLPRegressor"} <= names
