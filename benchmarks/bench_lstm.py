"""Fit time of LSTMRegressor against a bare PyTorch loop training the same module.

Both train the same :class:`sklearn_dl.modules.RecurrentNet` on the same
10k sequences with the same settings: Adam (fused, lr 1e-3), mini-batches of
200 reshuffled every epoch, sklearn's L2 penalty (alpha=1e-4), gradients
clipped to norm 1, the same number of epochs. The estimator's overhead is
everything else: validation, skorch's callbacks and history, target
standardisation. The two run alternately and the best of each is kept; with
one torch thread the process's CPU time is the measure, which other jobs on a
shared machine disturb far less than wall time (both are printed).
Goal: ratio <= 1.15.

Run ``python benchmarks/bench_lstm.py`` (or ``--quick`` for a smoke run).
"""

import argparse
import time
import warnings

import numpy as np
import torch
from sklearn.exceptions import ConvergenceWarning
from skorch import NeuralNetRegressor
from skorch.callbacks import GradientNormClipping

from sklearn_dl.modules import RecurrentNet
from sklearn_dl.neural_network import LSTMRegressor

ALPHA, LR, BATCH, CLIP = 1e-4, 1e-3, 200, 1.0


def make_data(n_samples, timesteps, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_samples, timesteps)).astype(np.float32)
    y = np.cumsum(X, axis=1)[:, -1] + rng.normal(0, 0.1, n_samples)
    return X, ((y - y.mean()) / y.std()).astype(np.float32)


def bare_torch_fit(X, y, epochs, hidden_size, seed=0, device="cpu"):
    torch.manual_seed(seed)
    module = RecurrentNet((X.shape[1], 1), 1, hidden_size=hidden_size).to(device)
    optimizer = torch.optim.Adam(module.parameters(), lr=LR, fused=True)
    X = torch.as_tensor(X, device=device)
    y = torch.as_tensor(y, device=device).reshape(-1, 1)
    generator = torch.Generator(device).manual_seed(seed)
    weights = [param for param in module.parameters() if param.ndim > 1]
    for _ in range(epochs):
        order = torch.randperm(len(X), generator=generator, device=device)
        for start in range(0, len(X), BATCH):
            index = order[start:start + BATCH]
            optimizer.zero_grad()
            loss = 0.5 * (module(X[index]) - y[index]).square().mean()
            loss.backward()
            with torch.no_grad():
                for weight in weights:
                    weight.grad.add_(weight, alpha=ALPHA / len(index))
            torch.nn.utils.clip_grad_norm_(module.parameters(), CLIP)
            optimizer.step()
    return module


def estimator(epochs, hidden_size, seed=0, device="cpu"):
    """LSTMRegressor with the bare loop's settings, trained for exactly ``epochs``."""
    return LSTMRegressor(hidden_size=hidden_size, max_iter=epochs, alpha=ALPHA,
                         learning_rate_init=LR, batch_size=BATCH, max_grad_norm=CLIP,
                         n_iter_no_change=np.inf, random_state=seed, device=device)


def skorch_net(timesteps, epochs, hidden_size, device="cpu"):
    """skorch's NeuralNetRegressor on the same module; fit it on ``y.reshape(-1, 1)``.

    L2 as Adam's weight decay and clipping as skorch's callback, as its users write them.
    """
    return NeuralNetRegressor(
        RecurrentNet((timesteps, 1), 1, hidden_size=hidden_size), optimizer=torch.optim.Adam,
        optimizer__weight_decay=ALPHA, lr=LR, max_epochs=epochs, batch_size=BATCH,
        iterator_train__shuffle=True, train_split=None, device=str(device), verbose=0,
        callbacks=[GradientNormClipping(CLIP)],
    )


def estimator_fit(X, y, epochs, hidden_size, seed=0):
    model = estimator(epochs, hidden_size, seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y)
    assert model.n_iter_ == epochs
    return model


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1k sequences, 1 epoch, 1 repeat")
    parser.add_argument("--threads", type=int, default=1, help="torch intra-op threads")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    n_samples, epochs, repeats = (1_000, 1, 1) if args.quick else (10_000, 2, 5)
    timesteps, hidden_size = 24, 64
    X, y = make_data(n_samples, timesteps)
    estimator_fit(X[:400], y[:400], 1, hidden_size)  # warm-up: imports, allocator, kernels
    clock = time.process_time if args.threads == 1 else time.perf_counter
    times = {"bare torch loop": ([], []), "LSTMRegressor": ([], [])}
    for _ in range(repeats):
        for name, fit in (("bare torch loop", bare_torch_fit), ("LSTMRegressor", estimator_fit)):
            start, wall_start = clock(), time.perf_counter()
            fit(X, y, epochs, hidden_size)
            times[name][0].append(clock() - start)
            times[name][1].append(time.perf_counter() - wall_start)
    print(f"{n_samples} sequences x {timesteps} steps, LSTM hidden_size={hidden_size}, "
          f"{epochs} epochs, batch {BATCH}, {args.threads} thread(s); "
          f"{'CPU' if clock is time.process_time else 'wall'} seconds, best of {repeats}")
    for name, (measured, wall) in times.items():
        print(f"{name:16s}: {min(measured):.2f} s  (runs: "
              f"{', '.join(f'{t:.2f}' for t in measured)}; wall: "
              f"{', '.join(f'{t:.2f}' for t in wall)})")
    ratio = min(times["LSTMRegressor"][0]) / min(times["bare torch loop"][0])
    print(f"ratio           : {ratio:.3f}  (goal <= 1.15)")


if __name__ == "__main__":
    main()
