"""Scale-out: one Optuna study shared by worker processes; CV and grid search on Dask."""

import json
import os
import subprocess
import sys
import textwrap
import warnings

import joblib
import numpy as np
import optuna
import pytest
import torch
from optuna.storages import JournalStorage
from optuna.storages.journal import JournalFileBackend
from skorch.callbacks import Callback
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, cross_validate
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_dl.neural_network import MLPClassifier

# A worker: join the study in the journal file, run its trials, print their numbers.
WORKER = textwrap.dedent("""
    import json, sys
    import torch
    from optuna.storages import JournalStorage
    from optuna.storages.journal import JournalFileBackend
    from sklearn.datasets import load_iris
    from sklearn_dl.neural_network import MLPClassifier
    from sklearn_dl.tuning import tune

    torch.set_num_threads(1)
    path, seed, n_trials = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    X, y = load_iris(return_X_y=True)
    mine = []
    tune(MLPClassifier(hidden_layer_sizes=(8,), max_iter=2), X, y, n_trials=n_trials, cv=2,
         storage=JournalStorage(JournalFileBackend(path)), study_name="shared",
         random_state=seed, callbacks=[lambda study, trial: mine.append(trial.number)],
         verbose=0)
    print(json.dumps(mine))
""")


def test_two_worker_processes_share_one_journal_study(tmp_path):
    path = str(tmp_path / "study.log")
    n_trials = 3
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    workers = [subprocess.Popen([sys.executable, "-c", WORKER, path, str(seed), str(n_trials)],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                env=env)
               for seed in (0, 1)]
    # A hang guard only: a loaded machine may stretch a correct run many times over.
    outputs = [worker.communicate(timeout=1800) for worker in workers]
    for worker, (_, stderr) in zip(workers, outputs):
        assert worker.returncode == 0, stderr
    numbers = [json.loads(stdout.strip().splitlines()[-1]) for stdout, _ in outputs]

    study = optuna.load_study(study_name="shared",
                              storage=JournalStorage(JournalFileBackend(path)))
    trials = study.get_trials(deepcopy=False)
    assert [len(mine) for mine in numbers] == [n_trials, n_trials]
    # Every trial is in the study once, numbered without gaps, and run by one worker.
    assert sorted(t.number for t in trials) == list(range(2 * n_trials))
    assert sorted(numbers[0] + numbers[1]) == list(range(2 * n_trials))
    # Finished (complete, or pruned by the shared median), none left running or failed.
    assert all(t.state in (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED)
               for t in trials)
    assert len(optuna.get_all_study_summaries(JournalStorage(JournalFileBackend(path)))) == 1


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return X[:400], y[:400]


def test_grid_search_and_cross_validate_on_dask_match_one_process(digits):
    # One test, so the cluster (slow to start: processes importing torch) starts
    # once whichever pytest-xdist worker runs it.
    distributed = pytest.importorskip("distributed")
    X, y = digits
    model = make_pipeline(StandardScaler(),
                          MLPClassifier(hidden_layer_sizes=(16,), max_iter=15, random_state=0))
    grid = {"mlpclassifier__learning_rate_init": [1e-4, 1e-2],
            "mlpclassifier__alpha": [1e-4, 10.0]}
    local = GridSearchCV(model, grid, cv=3, n_jobs=1).fit(X, y)
    local_cv = cross_validate(model, X, y, cv=2, n_jobs=1, return_estimator=True)
    with (distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                   dashboard_address=None) as cluster,
          distributed.Client(cluster) as client,
          joblib.parallel_backend("dask")):
        remote = GridSearchCV(model, grid, cv=3, n_jobs=-1).fit(X, y)
        remote_cv = cross_validate(model, X, y, cv=2, n_jobs=-1, return_estimator=True)
        workers = set(client.run(os.getpid).values())
    assert os.getpid() not in workers and len(workers) == 2
    assert remote.best_params_ == local.best_params_
    np.testing.assert_allclose(remote.cv_results_["mean_test_score"],
                               local.cv_results_["mean_test_score"], atol=1e-6)
    np.testing.assert_allclose(remote_cv["test_score"], local_cv["test_score"], atol=1e-6)
    for fitted_remote, fitted_local in zip(remote_cv["estimator"], local_cv["estimator"]):
        # Fitted in a worker process and pickled back: predicts as one fitted here.
        np.testing.assert_allclose(fitted_remote.predict_proba(X),
                                   fitted_local.predict_proba(X), atol=1e-5)


class _RecordThreads(Callback):
    """Notes how many threads torch computes with during the fit."""

    def on_train_begin(self, net, **kwargs):
        self.threads = torch.get_num_threads()


def test_parallel_fits_do_not_oversubscribe_the_cores():
    """joblib's process workers get cpu_count // n_jobs threads, and fit keeps that."""
    X, y = load_digits(return_X_y=True)
    model = MLPClassifier(hidden_layer_sizes=(8,), max_iter=2,
                          callbacks=[("threads", _RecordThreads())])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        result = cross_validate(model, X[:400], y[:400], cv=2, n_jobs=2, return_estimator=True)
    threads = [dict(fitted.net_.callbacks_)["threads"].threads for fitted in result["estimator"]]
    assert threads == [max(1, os.cpu_count() // 2)] * 2
