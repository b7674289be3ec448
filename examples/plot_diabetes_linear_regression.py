"""
=====================================================
Linear regression on one feature of the diabetes data
=====================================================

scikit-learn's classic "Linear Regression Example", with
:class:`~sklearn_dl.linear_model.LinearRegression`: the body mass index
(feature 2) of the diabetes data predicts disease progression one year later.
The last 20 patients are held out. The closed-form fit (a QR factorisation and
an SVD, in torch) gives scikit-learn's coefficient, mean squared error and
R^2, printed side by side.
"""

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_diabetes
from sklearn.linear_model import LinearRegression as SklearnLinearRegression
from sklearn.metrics import mean_squared_error, r2_score

from sklearn_dl.linear_model import LinearRegression

X, y = load_diabetes(return_X_y=True)
X = X[:, np.newaxis, 2]
X_train, X_test = X[:-20], X[-20:]
y_train, y_test = y[:-20], y[-20:]

for name, Regressor in [("sklearn_dl", LinearRegression), ("sklearn", SklearnLinearRegression)]:
    regressor = Regressor().fit(X_train, y_train)
    y_pred = regressor.predict(X_test)
    print(f"{name:<11} coefficient {regressor.coef_[0]:.6f}, intercept "
          f"{regressor.intercept_:.6f}, MSE {mean_squared_error(y_test, y_pred):.6f}, "
          f"R^2 {r2_score(y_test, y_pred):.6f}")

regressor = LinearRegression().fit(X_train, y_train)
fig, ax = plt.subplots(figsize=(6, 4))
ax.scatter(X_test[:, 0], y_test, color="black", label="held-out patients")
order = np.argsort(X_test[:, 0])
ax.plot(X_test[order, 0], regressor.predict(X_test[order]), color="tab:blue", linewidth=3,
        label="least squares fit")
ax.set_xlabel("body mass index (centred and scaled)")
ax.set_ylabel("disease progression")
ax.legend()
fig.tight_layout()
plt.show()
