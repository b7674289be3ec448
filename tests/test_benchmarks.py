"""Smoke test of the benchmark suite: it runs and prints one complete table (timings unchecked)."""

import importlib.util
import math
import re
import subprocess
import sys
from pathlib import Path

RUN = Path(__file__).parents[1] / "benchmarks" / "run.py"
COLUMNS = ["estimator", "data", "fit s", "fit / sklearn", "fit / skorch", "fit / bare",
           "predict x sklearn", "predict x bare", "peak MB", "x (X+model)"]


def test_quick_linear_suite_prints_a_table_of_finite_positive_ratios():
    result = subprocess.run(
        [sys.executable, str(RUN), "--quick", "--only", "linear", "--sizes", "2000",
         "--markdown"],
        capture_output=True, text=True, timeout=1800, check=True)  # a hang guard only
    lines = [line for line in result.stdout.splitlines() if line.startswith("|")]
    table = [[cell.strip() for cell in line.strip("|").split("|")] for line in lines]
    assert table[0] == COLUMNS
    rows = {(row[0], row[1]): dict(zip(COLUMNS, row)) for row in table[2:]}
    assert list(rows) == [("LogisticRegression, 2 classes", "2,000 x 200"),
                          ("LogisticRegression, 10 classes", "2,000 x 200"),
                          ("LinearRegression", "2,000 x 100")]
    for row in rows.values():
        for column in ("fit s", "fit / sklearn", "predict x sklearn", "peak MB", "x (X+model)"):
            value = float(row[column].replace(",", ""))
            assert math.isfinite(value) and value > 0, (row["estimator"], column, value)
        # No skorch net or bare loop for the linear models.
        assert [row[column] for column in ("fit / skorch", "fit / bare", "predict x bare")] \
            == ["—"] * 3
    assert "device " in result.stdout and "CPU cores" in result.stdout  # the machine is named


def test_quick_default_networks_suite_has_sklearn_and_bare_ratios():
    result = subprocess.run(
        [sys.executable, str(RUN), "--quick", "--only", "default", "--sizes", "100",
         "--markdown"],
        capture_output=True, text=True, timeout=1800, check=True)  # a hang guard only
    lines = [line for line in result.stdout.splitlines() if line.startswith("|")]
    table = [[cell.strip() for cell in line.strip("|").split("|")] for line in lines]
    rows = {(row[0], row[1]): dict(zip(COLUMNS, row)) for row in table[2:]}
    assert list(rows) == [("MLPClassifier()", "100 x 20, 50 epochs"),
                          ("MLPClassifier()", "100 x 100, 50 epochs"),
                          ("MLPRegressor()", "100 x 20, 50 epochs"),
                          ("MLPRegressor()", "100 x 100, 50 epochs"),
                          ("CNNClassifier()", "100 x 1 x 8 x 8, 10 epochs"),
                          ("LSTMRegressor()", "100 x 24 steps, 10 epochs")]
    for (name, _), row in rows.items():
        columns = ["fit s", "fit / bare", "predict x bare"]
        if name.startswith("MLP"):  # sklearn has no CNN or LSTM
            columns += ["fit / sklearn", "predict x sklearn"]
        for column in columns:
            value = float(row[column])
            assert math.isfinite(value) and value > 0, (name, column, value)
        # No memory columns for these small cases.
        assert [row["peak MB"], row["x (X+model)"]] == ["—"] * 2


def test_contenders_leave_the_others_out_and_each_fit_is_logged_as_it_ends():
    # A time-boxed run (a GPU lease) leaves skorch out and keeps the fits it finished.
    result = subprocess.run(
        [sys.executable, str(RUN), "--quick", "--only", "mlp", "--sizes", "300",
         "--contenders", "bare", "--no-memory", "--markdown"],
        capture_output=True, text=True, timeout=1800, check=True)  # a hang guard only
    lines = [line for line in result.stdout.splitlines() if line.startswith("|")]
    rows = [dict(zip(COLUMNS, [cell.strip() for cell in line.strip("|").split("|")]))
            for line in lines[2:]]
    assert [row["estimator"] for row in rows] == ["MLPClassifier", "MLPRegressor"]
    for row in rows:
        assert row["fit / sklearn"] == row["fit / skorch"] == row["predict x sklearn"] == "—"
        assert float(row["fit / bare"]) > 0 and float(row["predict x bare"]) > 0
    logged = [line.split(": ")[-1].split(" fit ")[0] for line in result.stderr.splitlines()
              if " fit " in line and line.startswith("    ")]
    assert logged == ["ours", "bare"] * 2
    refused = subprocess.run([sys.executable, str(RUN), "--contenders", "keras"],
                             capture_output=True, text=True, timeout=1800)
    assert refused.returncode != 0 and "unknown contender(s) ['keras']" in refused.stderr


def test_the_gpu_check_runs_every_test_file_that_has_cuda_cases():
    """A CUDA test only runs where a GPU is, so a file the GPU check leaves out is never run."""
    root = Path(__file__).resolve().parents[1]
    script = (root / "benchmarks" / "gpu_check.sh").read_text()
    step = script[script.index("step gpu_tests"):script.index('-k "gpu or cuda or GPU"')]
    named = set(re.findall(r"tests/(test_\w+\.py)", step))
    with_cuda = {path.name for path in (root / "tests").glob("test_*.py")
                 if path.name != Path(__file__).name
                 and re.search(r"""["']cuda["']|\.cuda\(|cuda\.is_available""", path.read_text())}
    assert with_cuda, "no test file names CUDA: the pattern is out of date"
    assert with_cuda <= named, f"left out of the GPU check: {sorted(with_cuda - named)}"


def test_scikit_learns_mlp_examples_give_scikit_learns_results_with_our_class():
    """scikit-learn's gallery examples (learning strategies, alpha, classifier comparison)."""
    path = Path(__file__).parents[1] / "benchmarks" / "sklearn_examples.py"
    spec = importlib.util.spec_from_file_location("sklearn_examples", path)
    examples = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(examples)
    rows = examples.main(["--quick"])
    strategies = {row["setting"]: row for row in rows if row["example"] == "strategies"}
    assert list(strategies) == list(examples.STRATEGIES)
    for setting, row in strategies.items():
        # Digits, 15 epochs: every strategy ends near scikit-learn's training loss
        # (the inverse-scaling rates with momentum ended at 2.3 times it when a
        # change of rate shrank the velocity carried over).
        assert 0.8 < row["ours mean"] / row["sklearn mean"] < 1.25, (setting, row)
    alpha = [row for row in rows if row["example"] == "alpha"]
    assert [row["setting"] for row in alpha] == ["alpha 0.10", "alpha 0.32", "alpha 1.00",
                                                  "alpha 3.16", "alpha 10.00"]
    for row in alpha[:4]:
        assert row["ours mean"] >= 0.85 and row["sklearn mean"] >= 0.85, row
    [comparison] = [row for row in rows if row["example"] == "comparison"]
    assert comparison["ours mean"] >= 0.88 and comparison["sklearn mean"] >= 0.88, comparison
    for row in rows:
        assert math.isfinite(row["fit / sklearn"]) and row["fit / sklearn"] > 0
