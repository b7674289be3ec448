"""Every estimator's benchmark in one run, printed as one table.

Rows are estimator x data size. The contenders of a row run side by side in
this process, interleaved, best of ``--repeat`` (``_common.best_times``), so
each ratio compares runs made under the same conditions:

* fit / sklearn, fit / skorch, fit / bare: our fit time divided by that of
  scikit-learn's equivalent estimator, of skorch's NeuralNet on the same module
  (skorch's defaults: DataLoader, train_split=None) and of the bare torch loop
  of ``bench_*.py`` on the same module (< 1: we are faster);
* predict x sklearn, predict x bare: our predict throughput (rows/s) divided by
  sklearn's predict or by the bare module's forward (eval mode, no grad, 65536
  rows at a time) on the training X (> 1: we are faster); best of as many
  interleaved predictions as fit in about a second per contender (up to 50,
  at least ``max(--repeat, 3)``);
* peak MB, x (X+model): how far our fit raises the peak resident memory of a
  fresh process above its baseline after imports and a warm-up fit on 256 rows,
  in MB and in multiples of the bytes of X plus the model's parameters (issue
  goal for the MLP on 1M x 100 float32: <= 2). The process forks from a server
  that has only imported the modules; Linux's /proc gives the resident size now
  and its peak since a reset, so generating X does not count, only holding it.

``--only default`` times the networks users get without choosing anything
(``bench_default.py``): ``MLPClassifier()`` and ``MLPRegressor()`` at 100 to
100k rows x 20 and 100 features (50 epochs; 10 from 100k rows on), the default
``CNNClassifier`` on digits' 1797 images and the default ``LSTMRegressor`` on
1,000 sequences of 24 steps (10 epochs each), against sklearn's MLPs and a bare
loop (fused Adam, coupled L2, index_select batches of min(200, n)); no memory
columns.

Settings, and the contenders' code, come from the bench_*.py scripts: MLPs
(100 features, hidden (256, 256), 10 epochs, batch 256); LogisticRegression
(lbfgs, 200 features, 2 and 10 classes) and LinearRegression (100 features),
float64; CNNClassifier (default architecture, batch 128) on digits' 1797 8x8
images and 10 times as many (noisy copies), 5 epochs here; LSTMRegressor on
10k sequences x 24 steps, hidden 64, batch 200, 2 epochs. One torch and BLAS
thread per contender unless ``--threads``. ``predict_memory`` (with
``--full``): the peak memory of MLPClassifier.predict on 10M x 100 float32
(4 GB), relative to X alone (the prediction should add little to it).

Default sizes: 10k and 100k rows (CNN: both sizes; LSTM: 10k); ``--full`` adds
1M rows and the 10M predict; ``--quick`` keeps the smallest size of each and
one repeat; ``--sizes`` replaces every benchmark's sizes (rows, images,
sequences).

    python benchmarks/run.py [--quick | --full] [--sizes 10k,100k] [--only default,mlp,linear,cnn,lstm]
                             [--repeat 3] [--threads 1] [--device cuda] [--markdown]
                             [--contenders sklearn,skorch,bare]
                             [--no-memory | --no-timing]
"""

import argparse
import datetime
import functools
import multiprocessing
import sys
import warnings
from dataclasses import dataclass
from typing import Callable, Optional

import numpy as np
import sklearn.linear_model as sk
import torch
from sklearn.exceptions import ConvergenceWarning
from threadpoolctl import threadpool_limits

import bench_cnn
import bench_default
import bench_linear
import bench_lstm
import bench_mlp
from _common import best_times, machine_description
from sklearn_dl.linear_model import LinearRegression, LogisticRegression
from sklearn_dl.utils import resolve_device

CNN_EPOCHS = 5
LSTM_EPOCHS, LSTM_STEPS, LSTM_HIDDEN = 2, 24, 64
WARM_UP_ROWS = 256
BARE_CHUNK_ROWS = 65536
PREDICT_SECONDS, PREDICT_MAX_REPEAT = 1.0, 50
OPT_IN_SIZE = 1_000_000  # sizes from here on run only with --full
DEFAULT_EPOCHS = 10  # the default CNN and LSTM
SIZES = {"default": (100, 1000, 10_000, 100_000),
         "mlp": (10_000, 100_000, 1_000_000), "linear": (10_000, 100_000, 1_000_000),
         "cnn": (1797, 17970), "lstm": (10_000,), "predict_memory": (10_000_000,)}
CONTENDERS = ("sklearn", "skorch", "bare")
COLUMNS = ("estimator", "data", "fit s", "fit / sklearn", "fit / skorch", "fit / bare",
           "predict x sklearn", "predict x bare", "peak MB", "x (X+model)")
LEGEND = """\
fit / sklearn, skorch, bare: our fit time divided by theirs (< 1: ours is faster).
predict x sklearn, bare: our predict rows/s divided by theirs (> 1: ours is faster).
peak MB: how far our fit raises a fresh process's peak RSS above its baseline;
x (X+model): that divided by the bytes of X and the model's parameters
(MLPClassifier.predict: the peak of predict, divided by the bytes of X alone)."""


@dataclass
class Case:
    """One row: how to build its data and each contender.

    ``skorch(X, y)`` and ``bare(X, y)`` train and return something fitted;
    ``ours()`` and ``sklearn()`` return unfitted estimators.
    """

    group: str
    name: str
    n_samples: int
    data_label: str
    data: Callable[[int], tuple]
    ours: Callable[[], object]
    classifier: bool
    sklearn: Optional[Callable[[], object]] = None
    skorch: Optional[Callable] = None
    bare: Optional[Callable] = None
    predict_only: bool = False
    memory: bool = True  # whether the peak memory columns are measured


def make_case(key, device):
    """The Case named ``key`` (``'<kind>:<n_samples>'``) on ``device``."""
    kind, n = key.split(":")
    n = int(n)
    if kind.endswith("-default"):
        return _default_case(kind.removesuffix("-default"), n, device)
    if kind in ("MLPClassifier", "MLPRegressor", "predict_memory"):
        regression = kind == "MLPRegressor"
        return Case(
            "predict_memory" if kind == "predict_memory" else "mlp",
            "MLPClassifier.predict" if kind == "predict_memory" else kind, n, f"{n:,} x 100",
            lambda rows: bench_mlp.make_data(rows, regression=regression),
            lambda: bench_mlp.ours(device, regression), classifier=not regression,
            sklearn=lambda: bench_mlp.sklearn_mlp(regression),
            skorch=lambda X, y: bench_mlp.skorch_net(X.shape[1], device, regression).fit(
                X, y.reshape(-1, 1) if regression else y),
            bare=lambda X, y: bench_mlp.bare_torch_loop(X, y, device, regression),
            predict_only=kind == "predict_memory")
    if kind.startswith("LogisticRegression"):
        n_classes = int(kind.split("-")[1])
        return Case("linear", f"LogisticRegression, {n_classes} classes", n, f"{n:,} x 200",
                    lambda rows: bench_linear.classification_data(rows, n_classes),
                    lambda: LogisticRegression(device=device), classifier=True,
                    sklearn=sk.LogisticRegression)
    if kind == "LinearRegression":
        return Case("linear", kind, n, f"{n:,} x 100",
                    lambda rows: bench_linear.regression_data(rows, 100),
                    lambda: LinearRegression(device=device), classifier=False,
                    sklearn=sk.LinearRegression)
    if kind == "CNNClassifier":
        def bare(X, y):
            module = bench_cnn.same_module(bench_cnn.ours(CNN_EPOCHS, device), X.shape[1:], 10)
            return bench_cnn.bare_torch_loop(module, X, y, CNN_EPOCHS, device)

        return Case("cnn", kind, n, f"{n:,} x 1 x 8 x 8", bench_cnn.digits_images,
                    lambda: bench_cnn.ours(CNN_EPOCHS, device), classifier=True,
                    skorch=lambda X, y: bench_cnn.skorch_net(
                        bench_cnn.ours(CNN_EPOCHS, device), X.shape[1:], 10, CNN_EPOCHS,
                        device).fit(X.reshape(len(X), -1), y),
                    bare=bare)
    if kind == "LSTMRegressor":
        return Case("lstm", kind, n, f"{n:,} x {LSTM_STEPS} steps",
                    lambda rows: bench_lstm.make_data(rows, LSTM_STEPS),
                    lambda: bench_lstm.estimator(LSTM_EPOCHS, LSTM_HIDDEN, device=device),
                    classifier=False,
                    skorch=lambda X, y: bench_lstm.skorch_net(
                        LSTM_STEPS, LSTM_EPOCHS, LSTM_HIDDEN, device).fit(X, y.reshape(-1, 1)),
                    bare=lambda X, y: bench_lstm.bare_torch_fit(
                        X, y, LSTM_EPOCHS, LSTM_HIDDEN, device=device))
    raise ValueError(f"unknown benchmark {kind!r}")


def _default_case(kind, n, device):
    """A default network (``bench_default.py``): MLPs as 'MLPClassifier-20' (features)."""
    if kind.startswith("MLP"):
        kind, n_features = kind.split("-")
        regression, epochs = kind == "MLPRegressor", bench_default.mlp_epochs(n)
        return Case(
            "default", f"{kind}()", n, f"{n:,} x {n_features}, {epochs} epochs",
            lambda rows: bench_default.tabular_data(rows, int(n_features), regression),
            lambda: bench_default.ours_mlp(epochs, regression, device),
            classifier=not regression,
            sklearn=lambda: bench_default.sklearn_mlp(epochs, regression),
            bare=lambda X, y: bench_default.bare_mlp(X, y, epochs, regression, device),
            memory=False)
    if kind == "CNNClassifier":
        return Case("default", "CNNClassifier()", n,
                    f"{n:,} x 1 x 8 x 8, {DEFAULT_EPOCHS} epochs", bench_cnn.digits_images,
                    lambda: bench_default.ours_cnn(DEFAULT_EPOCHS, device), classifier=True,
                    bare=lambda X, y: bench_default.bare_cnn(X, y, DEFAULT_EPOCHS, device),
                    memory=False)
    return Case("default", "LSTMRegressor()", n,
                f"{n:,} x {bench_default.LSTM_STEPS} steps, {DEFAULT_EPOCHS} epochs",
                bench_default.lstm_data, lambda: bench_default.ours_lstm(DEFAULT_EPOCHS, device),
                classifier=False,
                bare=lambda X, y: bench_default.bare_lstm(X, y, DEFAULT_EPOCHS, device),
                memory=False)


# The default CNN and LSTM run on their small case only: digits' images, 1,000 sequences.
SMALL_CASES = {"CNNClassifier-default": 1797,
               "LSTMRegressor-default": bench_default.LSTM_SEQUENCES}
KINDS = {"default": ("MLPClassifier-20-default", "MLPClassifier-100-default",
                     "MLPRegressor-20-default", "MLPRegressor-100-default",
                     "CNNClassifier-default", "LSTMRegressor-default"),
         "mlp": ("MLPClassifier", "MLPRegressor"),
         "linear": ("LogisticRegression-2", "LogisticRegression-10", "LinearRegression"),
         "cnn": ("CNNClassifier",), "lstm": ("LSTMRegressor",),
         "predict_memory": ("predict_memory",)}


def bare_predict(module, X, device, classifier):
    """The bare module's forward, as a user writes it: eval mode, no grad, in chunks."""
    module.eval()
    outputs = []
    with torch.inference_mode():
        for start in range(0, len(X), BARE_CHUNK_ROWS):
            chunk = X[start:start + BARE_CHUNK_ROWS]
            output = module(torch.as_tensor(chunk.reshape(len(chunk), -1), device=device))
            outputs.append(output.argmax(dim=1) if classifier else output[:, 0])
    return torch.cat(outputs).cpu().numpy()


def time_case(case, device, repeat, contenders=CONTENDERS):
    """Fit and predict times of each contender, interleaved; best of ``repeat``.

    ``contenders``: which of sklearn, skorch and bare run beside ours. Each
    fit's time goes to stderr as it ends, so a run stopped by a time limit
    (a GPU lease, say) still shows the fits it finished.
    """
    X, y = case.data(case.n_samples)
    trainers = {"ours": lambda X, y: case.ours().fit(X, y)}
    if case.sklearn and "sklearn" in contenders:
        trainers["sklearn"] = lambda X, y: case.sklearn().fit(X, y)
    if case.skorch and "skorch" in contenders:
        trainers["skorch"] = case.skorch
    if case.bare and "bare" in contenders:
        trainers["bare"] = case.bare
    fitted = {}

    def fit(name, X, y):
        fitted[name] = trainers[name](X, y)

    predictors = {"ours": lambda X: fitted["ours"].predict(X)}
    if "sklearn" in trainers:
        predictors["sklearn"] = lambda X: fitted["sklearn"].predict(X)
    if "bare" in trainers:
        predictors["bare"] = lambda X: bare_predict(fitted["bare"], X, device, case.classifier)
    warm_up_rows = min(WARM_UP_ROWS, len(X) // 2)

    # One-off costs (lazy initialisation, first kernels) are paid before timing.
    for name in trainers:
        fit(name, X[:warm_up_rows], y[:warm_up_rows])
    for predict in predictors.values():
        predict(X[:warm_up_rows])
    def report(name, seconds):
        print(f"    {case.name}, {case.data_label}: {name} fit {seconds:.3g} s",
              file=sys.stderr, flush=True)

    fit_times = best_times({name: functools.partial(fit, name, X, y) for name in trainers},
                           repeat, report)
    # Prediction is cheap next to training: more repeats for steadier ratios (a
    # best of 3 swung by 2 x on a loaded machine): as many as fit in about
    # PREDICT_SECONDS per contender, up to PREDICT_MAX_REPEAT, and at least max(repeat, 3).
    calls = {name: functools.partial(predict, X) for name, predict in predictors.items()}
    predict_times = best_times(calls, 1)
    rounds = min(PREDICT_MAX_REPEAT, int(PREDICT_SECONDS / max(predict_times.values())))
    rounds = max(repeat, 3, rounds) - 1
    for name, seconds in best_times(calls, rounds).items():
        predict_times[name] = min(predict_times[name], seconds)
    row = {"fit s": fit_times["ours"]}
    for name in ("sklearn", "skorch", "bare"):
        if name in fit_times:
            row[f"fit / {name}"] = fit_times["ours"] / fit_times[name]
        if name in predict_times:
            row[f"predict x {name}"] = predict_times[name] / predict_times["ours"]
    return row


# -- peak memory, in a fresh process --------------------------------------------

def _rss_now_and_peak():
    """Resident set size now and at its peak since the last reset, in bytes (Linux)."""
    fields = {}
    with open("/proc/self/status") as status:
        for line in status:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                fields[key] = int(value.split()[0]) * 1024
    return fields["VmRSS"], fields["VmHWM"]


def _reset_peak_rss():
    with open("/proc/self/clear_refs", "w") as clear_refs:
        clear_refs.write("5")  # the peak ("high water mark") becomes the current size


def _model_bytes(estimator):
    if hasattr(estimator, "net_"):
        return sum(p.numel() * p.element_size() for p in estimator.module_.parameters())
    return estimator.coef_.nbytes + np.asarray(estimator.intercept_).nbytes


def _measure_memory(key, device, threads, connection):
    """In a fresh process: our fit's (or predict's) peak RSS above the baseline."""
    torch.set_num_threads(threads)
    case = make_case(key, device)
    with threadpool_limits(threads), warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        X_small, y_small = case.data(10_000 if case.predict_only else WARM_UP_ROWS)
        estimator = case.ours().fit(X_small, y_small)
        estimator.predict(X_small[:WARM_UP_ROWS])
        if not case.predict_only:
            del estimator
        del X_small, y_small
        baseline, _ = _rss_now_and_peak()
        X, y = case.data(case.n_samples)
        if case.predict_only:
            del y
        _reset_peak_rss()
        if case.predict_only:
            estimator.predict(X)
            reference = X.nbytes  # the model is in the baseline already
        else:
            estimator = case.ours().fit(X, y)
            reference = X.nbytes + _model_bytes(estimator)
        _, peak = _rss_now_and_peak()
    connection.send((peak - baseline, reference))
    connection.close()


def peak_memory(key, device, threads):
    """Run ``_measure_memory`` in a process forked from a server that only imported."""
    context = multiprocessing.get_context("forkserver")
    # What this script imports (preloading "__main__" itself is a no-op before Python 3.13).
    context.set_forkserver_preload(["bench_cnn", "bench_linear", "bench_lstm", "bench_mlp"])
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(target=_measure_memory, args=(key, str(device), threads, sender))
    process.start()
    sender.close()
    try:
        increase, reference = receiver.recv()
    except EOFError:  # the process died (out of memory?): leave the cells blank
        return {}
    finally:
        process.join()
    return {"peak MB": increase / 2**20, "x (X+model)": increase / reference}


# -- the table -------------------------------------------------------------------

def format_cell(column, value):
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if column == "peak MB":
        return f"{value:,.0f}"
    if column == "fit s":
        return f"{value:.3g}"
    return f"{value:.2f}"


def print_table(rows, markdown):
    cells = [[format_cell(column, row.get(column)) for column in COLUMNS] for row in rows]
    if markdown:
        print("| " + " | ".join(COLUMNS) + " |")
        print("|" + "|".join("---" if i < 2 else "--:" for i in range(len(COLUMNS))) + "|")
        for line in cells:
            print("| " + " | ".join(cell or "—" for cell in line) + " |")
        return
    widths = [max(len(column), *(len(line[i]) for line in cells))
              for i, column in enumerate(COLUMNS)]
    print("  ".join(column.ljust(width) if i < 2 else column.rjust(width)
                    for i, (column, width) in enumerate(zip(COLUMNS, widths))))
    for line in cells:
        print("  ".join(cell.ljust(width) if i < 2 else cell.rjust(width)
                        for i, (cell, width) in enumerate(zip(line, widths))))


def parse_sizes(text):
    """'10k,100k,1M' -> (10000, 100000, 1000000)."""
    factors = {"k": 1_000, "m": 1_000_000}
    sizes = []
    for item in text.lower().split(","):
        item = item.strip()
        factor = factors.get(item[-1:], 1)
        sizes.append(int(float(item[:-1] if factor > 1 else item) * factor))
    return tuple(sizes)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    scale = parser.add_mutually_exclusive_group()
    scale.add_argument("--quick", action="store_true",
                       help="the smallest size of each benchmark, one repeat")
    scale.add_argument("--full", action="store_true",
                       help="also 1M rows and the 10M-row predict memory check (slow)")
    parser.add_argument("--sizes", type=parse_sizes,
                        help="comma-separated sizes for every benchmark, e.g. 10k,100k,1M")
    parser.add_argument("--only", help=f"comma-separated benchmarks among {','.join(KINDS)} "
                                       "(default: all)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1,
                        help="torch and BLAS threads for every contender (default 1: a shared "
                             "machine gives steadier ratios)")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--contenders", default=",".join(CONTENDERS),
                        help="comma-separated contenders beside ours among "
                             f"{','.join(CONTENDERS)} (default: all; e.g. sklearn,bare to leave "
                             "skorch's long fits out of a time-boxed run)")
    parser.add_argument("--markdown", action="store_true", help="print a markdown table")
    columns = parser.add_mutually_exclusive_group()
    columns.add_argument("--no-memory", action="store_true", help="skip the peak memory columns")
    columns.add_argument("--no-timing", action="store_true",
                         help="only the peak memory columns (e.g. --only mlp --sizes 1M)")
    args = parser.parse_args(argv)
    args.explicit = args.only is not None
    args.only = [group.strip() for group in (args.only or ",".join(KINDS)).split(",")]
    unknown = set(args.only) - set(KINDS)
    if unknown:
        parser.error(f"unknown benchmark(s) {sorted(unknown)}; choose among {list(KINDS)}")
    args.contenders = tuple(name.strip() for name in args.contenders.split(",") if name.strip())
    unknown = set(args.contenders) - set(CONTENDERS)
    if unknown:
        parser.error(f"unknown contender(s) {sorted(unknown)}; choose among {list(CONTENDERS)}")
    if args.quick:
        args.repeat = 1
    return args


def sizes_for(group, args, kind=None):
    if group == "predict_memory" and args.no_memory:
        return []
    if kind in SMALL_CASES:  # the default CNN and LSTM: their small case, or smaller --sizes
        cap = SMALL_CASES[kind]
        sizes = sorted({min(n, cap) for n in args.sizes}) if args.sizes else [cap]
        return sizes[:1] if args.quick else sizes
    if args.sizes:
        return args.sizes
    sizes = [n for n in SIZES[group] if args.full or n < OPT_IN_SIZE]
    if not sizes and args.explicit:  # asked for by name: run it even without --full
        sizes = list(SIZES[group])
    return sizes[:1] if args.quick else sizes


def main(argv=None):
    args = parse_args(argv)
    device = resolve_device(args.device)
    torch.set_num_threads(args.threads)
    keys = [f"{kind}:{n}" for group in args.only for kind in KINDS[group]
            for n in sizes_for(group, args, kind)]
    rows = []
    with threadpool_limits(args.threads), warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for number, key in enumerate(keys, 1):
            case = make_case(key, device)
            row = {"estimator": case.name, "data": case.data_label}
            if not (case.predict_only or args.no_timing):
                row.update(time_case(case, device, args.repeat, args.contenders))
            if case.memory and not args.no_memory:
                row.update(peak_memory(key, device, args.threads))
            rows.append(row)
            print(f"[{number}/{len(keys)}] {case.name}, {case.data_label}: "
                  + ", ".join(f"{column} {format_cell(column, value)}"
                              for column, value in row.items() if column in COLUMNS[2:]),
                  file=sys.stderr, flush=True)
    print(f"sklearn_dl benchmarks, {datetime.date.today()}: device {device}; "
          f"{machine_description()}; best of {args.repeat}, interleaved")
    if args.markdown:
        print()
    print_table(rows, args.markdown)
    if args.markdown:
        print()
    print(LEGEND)


if __name__ == "__main__":
    main()
