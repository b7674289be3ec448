"""Run one of scikit-learn's own test files against our estimators (shared harness).

The installed scikit-learn's test file is copied under pytest's ``tmp_path`` with its
import of the estimators swapped for ours, and run in a fresh pytest process with
warnings as errors, as scikit-learn's CI runs it. :func:`check_outcomes` then requires
every selected test to pass except those listed as expected failures, each with its
reason: a new failure, a listed test that now passes, or a listed test that no longer
exists is reported by name. Used by tests/test_sklearn_mlp_suite.py and
tests/test_sklearn_linear_suite.py.
"""

import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import sklearn

REPO_ROOT = Path(__file__).resolve().parents[1]
SKLEARN_ROOT = Path(sklearn.__file__).parent

CONFTEST = '''
import pytest
import torch

torch.set_num_threads(1)


@pytest.fixture
def global_random_seed():
    # scikit-learn's fixture (its conftest), at its default seed.
    return 42
'''


# Warnings are errors, as in scikit-learn's CI, but for the pytest's deprecation of a
# generator passed to parametrize (newer pytest than scikit-learn's files were written
# for: a matter of the test file, not of the estimators); scikit-learn's configuration
# registers the marker (pytest-run-parallel's).
PYTEST_INI = """[pytest]
filterwarnings =
    error
    ignore:Passing a non-Collection iterable to parametrize:pytest.PytestRemovedIn10Warning
markers =
    thread_unsafe: not safe to run in parallel threads
"""


def _outcomes(report):
    """``{test name: 'passed' | 'failure' | 'error' | 'skipped'}`` from a JUnit XML file."""
    outcomes = {}
    for case in ET.parse(report).getroot().iter("testcase"):
        kinds = [child.tag for child in case if child.tag in ("failure", "error", "skipped")]
        outcomes[case.get("name")] = kinds[0] if kinds else "passed"
    return outcomes


def run_sklearn_test_file(tmp_path, relative_path, replacements, select=None):
    """Run scikit-learn's ``relative_path`` with ``replacements`` made, return its outcomes.

    ``replacements`` is a list of ``(old, new)`` source strings, each of which must occur
    exactly once (so a changed scikit-learn file fails loudly instead of silently testing
    scikit-learn's own class), or ``(old, new, "all")``, replacing every occurrence (at
    least one). ``select`` is a pytest ``-k`` expression. Returns
    ``(outcomes, output)``: ``{test id: outcome}`` and the tail of pytest's output.
    """
    source_path = SKLEARN_ROOT / relative_path
    assert source_path.is_file(), f"scikit-learn {sklearn.__version__} ships no {source_path}"
    source = source_path.read_text()
    for old, new, *every in replacements:
        count = source.count(old)
        assert count >= 1 if every == ["all"] else count == 1, (
            f"scikit-learn {sklearn.__version__}'s {relative_path} contains {old!r} "
            f"{count} times")
        source = source.replace(old, new)
    name = source_path.name
    (tmp_path / name).write_text(source)
    (tmp_path / "conftest.py").write_text(CONFTEST)
    (tmp_path / "pytest.ini").write_text(PYTEST_INI)
    env = dict(os.environ, OMP_NUM_THREADS="1",
               PYTHONPATH=os.pathsep.join(filter(None, [str(REPO_ROOT),
                                                        os.environ.get("PYTHONPATH")])))
    env.pop("PYTEST_ADDOPTS", None)
    env.pop("PYTEST_XDIST_WORKER", None)
    report = tmp_path / "report.xml"
    command = [sys.executable, "-m", "pytest", name, "-q",
               "-c", "pytest.ini", "--rootdir", str(tmp_path), "-p", "no:cacheprovider",
               "-p", "no:xdist", f"--junitxml={report}", "--tb=line"]
    if select:
        command += ["-k", select]
    completed = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True,
                               text=True, timeout=600)
    output = completed.stdout[-6000:] + completed.stderr[-3000:]
    assert report.is_file(), output
    return _outcomes(report), output


def deselect(groups):
    """The ``-k`` expression that leaves out every pattern of ``{pattern: reason}``."""
    return "not (" + " or ".join(groups) + ")"


def check_outcomes(outcomes, expected_failures, output, file_name, min_tests,
                   skips_allowed=False):
    """Fail, naming each test, unless exactly ``expected_failures`` fail.

    ``skips_allowed``: the file's own ``pytest.skip`` calls (for solver and input
    combinations scikit-learn's estimator does not support) are not failures.
    """
    assert len(outcomes) >= min_tests, output
    failing = {name for name, outcome in outcomes.items()
               if outcome != "passed" and not (skips_allowed and outcome == "skipped")}
    problems = (
        [f"{name}: {outcomes[name]} (not expected to)" for name in sorted(failing)
         if name not in expected_failures]
        + [f"{name}: now passes, remove it from EXPECTED_FAILURES"
           for name in sorted(expected_failures) if outcomes.get(name) == "passed"]
        + [f"{name}: not among the selected tests of scikit-learn "
           f"{sklearn.__version__}'s {file_name}"
           for name in sorted(expected_failures) if name not in outcomes])
    assert not problems, "\n".join(problems) + "\n" + output
    # Nothing that fails is anything but a failure of its assertions: no broken
    # fixture or collection error hides behind the list.
    assert {outcomes[name] for name in failing} <= {"failure"}, outcomes
