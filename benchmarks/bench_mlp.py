"""MLPClassifier fit time against a bare torch loop, skorch and sklearn, side by side.

20k x 100 synthetic data (float32), hidden (256, 256), 10 epochs, batch 256,
Adam at 1e-3. Prints our time divided by each contender's: goals are <= 1.15
against the bare loop, < 1 against skorch and <= 1 against sklearn on a CPU.
The builders below (data, estimators, bare loop) are also what
``benchmarks/run.py`` times, for the classifier and the regressor.

    python benchmarks/bench_mlp.py [--quick] [--device cuda]
"""

import warnings

import numpy as np
import torch
from skorch import NeuralNetClassifier, NeuralNetRegressor
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier as SklearnMLPClassifier
from sklearn.neural_network import MLPRegressor as SklearnMLPRegressor

from _common import best_times, machine_description, parse_args, print_ratios
from sklearn_dl.modules import MLP, initialize_weights
from sklearn_dl.neural_network import MLPClassifier, MLPRegressor
from sklearn_dl.utils import resolve_device

HIDDEN = (256, 256)
EPOCHS = 10
BATCH = 256
ALPHA = 1e-4
N_CLASSES = 10


def make_data(n_samples, n_features=100, regression=False, seed=0, block=100_000):
    """float32 X and a target read from its first columns plus noise.

    Generated block by block, so that nothing much bigger than X is ever
    allocated (``benchmarks/run.py`` measures the fit's peak memory against X).
    The classes are the argmax of 10 noisy scores; the regression target is their max.
    """
    rng = np.random.default_rng(seed)
    X = np.empty((n_samples, n_features), dtype=np.float32)
    y = np.empty(n_samples, dtype=np.float32 if regression else np.int64)
    for start in range(0, n_samples, block):
        X_block = X[start:start + block]
        rng.standard_normal(out=X_block, dtype=np.float32)
        noise = rng.standard_normal((len(X_block), N_CLASSES), dtype=np.float32)
        scores = X_block[:, :N_CLASSES] + 0.5 * noise
        y[start:start + block] = scores.max(axis=1) if regression else scores.argmax(axis=1)
    return X, y


def ours(device, regression=False):
    estimator = MLPRegressor if regression else MLPClassifier
    return estimator(hidden_layer_sizes=HIDDEN, max_iter=EPOCHS, batch_size=BATCH, alpha=ALPHA,
                     tol=0, random_state=0, device=device)


def sklearn_mlp(regression=False):
    estimator = SklearnMLPRegressor if regression else SklearnMLPClassifier
    return estimator(hidden_layer_sizes=HIDDEN, max_iter=EPOCHS, batch_size=BATCH, alpha=ALPHA,
                     tol=0, random_state=0)


def skorch_net(n_features, device, regression=False):
    """skorch's NeuralNet on the same module, as its documentation sets it up.

    The regressor wants a 2-D float32 target: fit it on ``y.reshape(-1, 1)``.
    """
    net, n_outputs, criterion = (
        (NeuralNetRegressor, 1, torch.nn.MSELoss) if regression
        else (NeuralNetClassifier, N_CLASSES, torch.nn.CrossEntropyLoss))
    return net(MLP(n_features, HIDDEN, n_outputs), criterion=criterion,
               optimizer=torch.optim.Adam, optimizer__weight_decay=ALPHA, lr=1e-3,
               max_epochs=EPOCHS, batch_size=BATCH, iterator_train__shuffle=True,
               train_split=None, device=str(device), verbose=0)


def bare_torch_loop(X, y, device, regression=False):
    """What a user writes by hand: the same module, optimiser, batches and epochs."""
    torch.manual_seed(0)
    n_outputs = 1 if regression else N_CLASSES
    module = initialize_weights(MLP(X.shape[1], HIDDEN, n_outputs), "xavier", "relu").to(device)
    optimizer = torch.optim.Adam(module.parameters(), lr=1e-3, weight_decay=ALPHA, fused=True)
    X_tensor, y_tensor = torch.as_tensor(X, device=device), torch.as_tensor(y, device=device)
    if regression:
        y_tensor = y_tensor.reshape(-1, 1)
    for _ in range(EPOCHS):
        order = torch.randperm(len(X_tensor), device=device)
        for start in range(0, len(X_tensor), BATCH):
            index = order[start:start + BATCH]
            optimizer.zero_grad()
            output = module(X_tensor[index])
            if regression:
                loss = 0.5 * torch.nn.functional.mse_loss(output, y_tensor[index])
            else:
                loss = torch.nn.functional.cross_entropy(output, y_tensor[index])
            loss.backward()
            optimizer.step()
    return module


def main():
    args = parse_args(__doc__)
    device = resolve_device(args.device)
    X, y = make_data(4000 if args.quick else 20000)
    estimator, skorch_classifier, sklearn_classifier = (
        ours(device), skorch_net(X.shape[1], device), sklearn_mlp())
    contenders = {
        "sklearn_dl MLPClassifier": lambda: estimator.fit(X, y),
        "bare torch loop": lambda: bare_torch_loop(X, y, device),
        "skorch NeuralNetClassifier": lambda: skorch_classifier.fit(X, y),
    }
    if device.type == "cpu":
        contenders["sklearn MLPClassifier"] = lambda: sklearn_classifier.fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        times = best_times(contenders, args.repeat)
    print(f"MLP fit, {X.shape[0]} x {X.shape[1]}, hidden {HIDDEN}, {EPOCHS} epochs, batch {BATCH}")
    print(f"device {device}; {machine_description()}")
    print_ratios("fit time", times, reference="sklearn_dl MLPClassifier")


if __name__ == "__main__":
    main()
