"""
=====================================================
Mixed-type tables: ColumnTransformer and a network
=====================================================

Real tables mix numbers, categories and missing values. The network
estimators of sklearn_dl take what any scikit-learn estimator takes, so the
usual preprocessing goes in front of them in one
:class:`~sklearn.pipeline.Pipeline`: a
:class:`~sklearn.compose.ColumnTransformer` imputes and scales the numeric
columns and one-hot encodes the categorical ones of a pandas DataFrame, and
:class:`sklearn_dl.neural_network.MLPClassifier` trains on the result. The
whole pipeline cross-validates, tunes and pickles as one object.

The data is synthetic (so the example runs offline): loan applications with
an income, an age, a debt ratio (5 % missing), a region and a job type, and
whether the loan was repaid.
"""

# %%
# A pandas table with mixed types
# -------------------------------
import os

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

# The test suite sets SKLEARN_DL_EXAMPLE_QUICK=1 to check that the example runs:
# it then trains on 300 rows for five epochs.
QUICK = bool(os.environ.get("SKLEARN_DL_EXAMPLE_QUICK"))
rng = np.random.default_rng(0)
n = 300 if QUICK else 2000
frame = pd.DataFrame({
    "income": rng.lognormal(10.5, 0.5, n),
    "age": rng.integers(18, 80, n),
    "debt_ratio": rng.beta(2, 5, n),
    "region": rng.choice(["north", "south", "east", "west"], n),
    "job": rng.choice(["salaried", "self-employed", "retired", "student"], n,
                      p=[0.55, 0.2, 0.15, 0.1]),
})
risk = (-1.5 * (np.log(frame["income"]) - 10.5) + 4 * frame["debt_ratio"]
        - 0.02 * (frame["age"] - 45) + frame["job"].map({"salaried": -0.5, "self-employed": 0.5,
                                                         "retired": 0.0, "student": 1.0})
        + 0.6 * (frame["region"] == "south") + rng.normal(0, 0.5, n))
y = np.where(risk > np.median(risk), "default", "repaid")
frame.loc[rng.random(n) < 0.05, "debt_ratio"] = np.nan
print(frame.head())

# %%
# One pipeline from raw columns to predictions
# --------------------------------------------
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.model_selection import cross_validate
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from sklearn_dl.neural_network import MLPClassifier

preprocess = ColumnTransformer([
    ("numeric", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()),
     ["income", "age", "debt_ratio"]),
    ("categorical", OneHotEncoder(handle_unknown="ignore", sparse_output=False),
     ["region", "job"]),
]).set_output(transform="pandas")
model = make_pipeline(preprocess, MLPClassifier(hidden_layer_sizes=(32,), alpha=1e-3,
                                                early_stopping=True, random_state=0))
if QUICK:
    model.set_params(mlpclassifier__max_iter=5)
scores = cross_validate(model, frame, y, cv=3)
print(f"3-fold accuracy {scores['test_score'].mean():.3f} "
      f"+/- {scores['test_score'].std():.3f}")

# %%
# ``set_output(transform="pandas")`` makes the ColumnTransformer hand the
# network a DataFrame, so the network records the transformed column names in
# ``feature_names_in_``; the string labels come back from ``predict``.
model.fit(frame, y)
network = model[-1]
print(network.feature_names_in_)
print(network.classes_, model.predict(frame.head(3)))

# %%
# With ``early_stopping=True`` the network held out 10 % of the rows and
# stopped when their accuracy no longer improved; its history, read from the
# pipeline's last step, is one call.
from sklearn_dl.utils import plot_history

ax = plot_history(model)
ax.figure.tight_layout()
plt.show()
