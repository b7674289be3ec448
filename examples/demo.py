"""`make demo`: sklearn_dl's MLPClassifier next to sklearn's, end to end, in under a minute.

On the digits images (1797 samples, 64 features): both classifiers in a
StandardScaler pipeline, 5-fold cross-validation side by side, then the fitted
model saved with joblib and loaded back. torch's one-time start-up in a
process (its first optimiser imports ``torch._dynamo``, about a second) is
timed and printed on its own line, before the timed folds.
"""

import tempfile
import time
import warnings
from pathlib import Path

import joblib
import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import StratifiedKFold, cross_validate
from sklearn.neural_network import MLPClassifier as SklearnMLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import sklearn_dl
from sklearn_dl.neural_network import MLPClassifier
from sklearn_dl.utils import resolve_device


def torch_startup_seconds():
    """Time one tiny fit: the first torch optimiser in a process imports torch._dynamo."""
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        MLPClassifier(max_iter=1).fit(np.zeros((10, 2)), np.arange(10) % 2)
    return time.perf_counter() - start


def main():
    X, y = load_digits(return_X_y=True)
    cv = StratifiedKFold(5, shuffle=True, random_state=0)
    print(f"sklearn_dl {sklearn_dl.__version__} on {resolve_device('auto')}; "
          f"digits: {X.shape[0]} samples x {X.shape[1]} features, 5-fold CV")
    print(f"torch's one-time start-up in this process (its first optimiser imports "
          f"torch._dynamo): {torch_startup_seconds():.2f} s\n")
    print(f"{'model':<42}{'accuracy':>10}{'fit time (s)':>15}")
    for name, classifier in [("sklearn.neural_network.MLPClassifier", SklearnMLPClassifier),
                             ("sklearn_dl.neural_network.MLPClassifier", MLPClassifier)]:
        pipeline = make_pipeline(StandardScaler(), classifier(random_state=0))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            scores = cross_validate(pipeline, X, y, cv=cv)
        print(f"{name:<42}{scores['test_score'].mean():>10.4f}"
              f"{scores['fit_time'].mean():>15.2f}")

    model = make_pipeline(StandardScaler(), MLPClassifier(random_state=0))
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y)
    print(f"\nfitted on all samples in {time.perf_counter() - start:.2f} s, "
          f"{model[-1].n_iter_} epochs, final loss {model[-1].loss_:.4f}")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "digits_mlp.joblib"
        joblib.dump(model, path)
        restored = joblib.load(path)
        same = np.array_equal(restored.predict_proba(X), model.predict_proba(X))
        print(f"saved to {path.name} ({path.stat().st_size / 1024:.0f} KiB) and loaded back: "
              f"identical predictions = {same}")


if __name__ == "__main__":
    main()
