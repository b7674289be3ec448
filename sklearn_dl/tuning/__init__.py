"""Hyperparameter tuning with Optuna, on one process or many.

* :func:`search_space`: each estimator's default space of Optuna
  distributions (a pipeline's final step, with its ``stepname__`` prefix);
* :func:`tune`: cross-validated search with epoch-level pruning, returning
  the refitted best estimator and the study, which a storage URL or object
  shares between processes and machines;
* :class:`Tunable`: lets :class:`optuna_integration.OptunaSearchCV` use the
  spaces (string-encoded layer sizes) and prune pipelines;
* :class:`OptunaPruning`: a skorch callback that prunes the training of a
  hand-written ``study.optimize`` objective.
"""

from sklearn_dl.tuning._pruning import OptunaPruning
from sklearn_dl.tuning._spaces import Tunable, decode_params, search_space
from sklearn_dl.tuning._tune import TuneResult, tune

__all__ = ["OptunaPruning", "TuneResult", "Tunable", "decode_params", "search_space", "tune"]
