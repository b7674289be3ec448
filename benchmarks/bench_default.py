"""The default networks' fit time against sklearn and a bare torch loop, side by side.

What users get without choosing anything: ``MLPClassifier()`` and
``MLPRegressor()`` (hidden (100,), Adam, batch ``min(200, n)``, alpha 1e-4) on
tabular data of 20 or 100 features, binary classes or one target;
``CNNClassifier()`` on digits' 8x8 images and ``LSTMRegressor()`` on 1,000
sequences of 24 steps. Each trains for a fixed number of epochs (no early
stop). The bare loop is what a user writes by hand for the same work: the
same module, fused Adam at the estimator's learning rate with its L2 as
coupled weight decay (added to the gradients before clipping for the LSTM,
whose default clips them), ``index_select`` batches of the estimator's
default size and one read of the epoch's loss. The builders below
are what ``benchmarks/run.py`` times (``--only default``).

    python benchmarks/bench_default.py [--quick] [--device cuda]
"""

import warnings

import numpy as np
import torch
from sklearn.datasets import make_classification, make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier as SklearnMLPClassifier
from sklearn.neural_network import MLPRegressor as SklearnMLPRegressor

import bench_cnn
from _common import best_times, machine_description, parse_args, print_ratios
from sklearn_dl.modules import RecurrentNet
from sklearn_dl.neural_network import CNNClassifier, LSTMRegressor, MLPClassifier, MLPRegressor
from sklearn_dl.utils import resolve_device

ALPHA, LR = 1e-4, 1e-3
LSTM_STEPS, LSTM_SEQUENCES = 24, 1000


def mlp_epochs(n_samples):
    """50 epochs, as sklearn's users see them; 10 from 100k rows on, to keep the run short."""
    return 50 if n_samples < 100_000 else 10


def tabular_data(n_samples, n_features, regression=False):
    """float32 X; binary classes, or one standardised target."""
    if regression:
        X, y = make_regression(n_samples, n_features, n_informative=10, noise=1.0,
                               random_state=0)
        y = (y - y.mean()) / y.std()
    else:
        X, y = make_classification(n_samples, n_features, random_state=0)
    return X.astype(np.float32), y.astype(np.float32 if regression else np.int64)


def _fixed_epochs(epochs):
    return dict(max_iter=epochs, tol=0.0, n_iter_no_change=10**6, random_state=0)


def ours_mlp(epochs, regression, device):
    estimator = MLPRegressor if regression else MLPClassifier
    return estimator(**_fixed_epochs(epochs), device=device)


def sklearn_mlp(epochs, regression):
    estimator = SklearnMLPRegressor if regression else SklearnMLPClassifier
    return estimator(**_fixed_epochs(epochs))


def ours_cnn(epochs, device):
    return CNNClassifier(input_shape=(1, 8, 8), **_fixed_epochs(epochs), device=device)


def ours_lstm(epochs, device):
    return LSTMRegressor(**_fixed_epochs(epochs), device=device)


def bare_loop(module, X, y, epochs, loss_function, device, clip=None, batch=None, lr=LR,
              alpha=ALPHA):
    """The bare torch loop: fused Adam, coupled L2, index_select batches (of min(200, n))."""
    torch.manual_seed(0)
    module = module.to(device)
    X_tensor = torch.as_tensor(X.reshape(len(X), -1), device=device)
    y_tensor = torch.as_tensor(y, device=device)
    n_samples = len(X_tensor)
    batch = batch or min(200, n_samples)
    # With clipping the L2 gradient goes in before it, by hand, as sklearn_dl adds it.
    optimizer = torch.optim.Adam(module.parameters(), lr=lr, fused=True,
                                 weight_decay=0.0 if clip else alpha / batch)
    weights = [param for param in module.parameters() if param.ndim > 1]
    generator = torch.Generator().manual_seed(0)
    module.train()
    for _ in range(epochs):
        order = torch.randperm(n_samples, generator=generator).to(device)
        total = 0.0
        for start in range(0, n_samples, batch):
            index = order[start:start + batch]
            optimizer.zero_grad(set_to_none=True)
            loss = loss_function(module(X_tensor.index_select(0, index)),
                                 y_tensor.index_select(0, index))
            loss.backward()
            if clip:
                with torch.no_grad():
                    torch._foreach_add_([weight.grad for weight in weights], weights,
                                        alpha=alpha / len(index))
                torch.nn.utils.clip_grad_norm_(module.parameters(), clip)
            optimizer.step()
            total += loss.detach()
        float(total)
    return module


def _half_squared_error(output, target):
    return 0.5 * (output[:, 0] - target).square().mean()


def _binary_log_loss(output, target):
    return torch.nn.functional.binary_cross_entropy_with_logits(output[:, 0], target.float())


def bare_mlp(X, y, epochs, regression, device):
    module = torch.nn.Sequential(torch.nn.Linear(X.shape[1], 100), torch.nn.ReLU(),
                                 torch.nn.Linear(100, 1))
    return bare_loop(module, X, y, epochs,
                     _half_squared_error if regression else _binary_log_loss, device)


def bare_cnn(X, y, epochs, device):
    module = bench_cnn.same_module(ours_cnn(epochs, device), X.shape[1:], 10)
    return bare_loop(module, X, y, epochs, torch.nn.functional.cross_entropy, device)


def lstm_data(n_samples=LSTM_SEQUENCES):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(n_samples, LSTM_STEPS)).astype(np.float32)
    y = np.cumsum(X, axis=1)[:, -1]
    return X, ((y - y.mean()) / y.std()).astype(np.float32)


def bare_lstm(X, y, epochs, device):
    defaults = ours_lstm(epochs, device)
    module = RecurrentNet((X.shape[1], 1), 1, hidden_size=defaults.hidden_size)
    # The recurrent estimators' batch_size='auto': about 100 steps per epoch, 32 to 200 rows.
    batch = min(len(X), int(np.clip(len(X) // 100, 32, 200)))
    return bare_loop(module, X, y, epochs, _half_squared_error, device,
                     clip=defaults.max_grad_norm, batch=batch, lr=defaults.learning_rate_init,
                     alpha=defaults.alpha)


def main():
    args = parse_args(__doc__)
    device = resolve_device(args.device)
    sizes = (100, 1000) if args.quick else (100, 1000, 10_000)
    print(f"default networks' fit, device {device}; {machine_description()}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for regression in (False, True):
            for n_samples in sizes:
                X, y = tabular_data(n_samples, 20, regression)
                epochs = mlp_epochs(n_samples)
                contenders = {
                    "sklearn_dl": lambda: ours_mlp(epochs, regression, device).fit(X, y),
                    "bare torch loop": lambda: bare_mlp(X, y, epochs, regression, device),
                }
                if device.type == "cpu":
                    contenders["sklearn"] = lambda: sklearn_mlp(epochs, regression).fit(X, y)
                kind = "MLPRegressor" if regression else "MLPClassifier"
                print_ratios(f"{kind}(), {n_samples} x 20, {epochs} epochs",
                             best_times(contenders, args.repeat), reference="sklearn_dl")


if __name__ == "__main__":
    main()
