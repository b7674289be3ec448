"""Rebuild a saved network only once the file's weights are known to fit it."""

import math

import numpy as np
import torch

from sklearn_dl.utils._torch import resolve_device, seeded


def load_device(requested):
    """Where a loaded network goes: the device it asks for when this machine has it, else the CPU.

    ``'cuda:N'`` falls back to the default GPU on a machine with fewer GPUs,
    and to the CPU, like ``'cuda'`` and ``'mps'``, on a machine without any.
    """
    try:
        device = resolve_device(requested)
    except (ValueError, RuntimeError):
        return torch.device("cpu")
    if device.type == "cuda" and device.index is not None \
            and device.index >= torch.cuda.device_count():
        return torch.device("cuda")
    return device


def rebuild_network(estimator, state, history, where):
    """Give ``estimator`` its fitted ``net_`` with the weights ``state``, in eval mode.

    The module that the parameters describe is first built on the ``meta``
    device, which allocates nothing, and its tensors' names, shapes and dtypes
    are compared with ``state``; only then is it built for real, so a file
    cannot make this allocate more than the weights it holds.
    """
    from skorch.history import History

    sample_shape, n_outputs = _declared_shapes(estimator, where)
    for name, value in estimator.get_params(deep=False).items():
        # A network has at least one tensor per entry of a sequence parameter
        # (hidden_layer_sizes, filters...): a longer one cannot describe these
        # weights, and building it even on the meta device would cost memory.
        if isinstance(value, (list, tuple)) and len(value) > len(state):
            raise ValueError(f"{where} has {name} of length {len(value)}, which the "
                             f"{len(state)} weight tensors in the file cannot fit.")
    try:
        with torch.device("meta"):
            module = estimator._build_module(math.prod(sample_shape), n_outputs)
            expected = module.to(estimator._torch_dtype()).state_dict()
    except (ValueError, TypeError, RuntimeError, IndexError, AttributeError,
            OverflowError, ZeroDivisionError, NotImplementedError) as error:
        raise ValueError(f"{where} has parameters that describe no network: {error}") from None
    mismatched = sorted(set(state) ^ set(expected)) + sorted(
        name for name in set(state) & set(expected)
        if state[name].shape != expected[name].shape or state[name].dtype != expected[name].dtype)
    if mismatched:
        raise ValueError(f"{where} holds weights that do not fit the {type(estimator).__name__} "
                         f"its parameters describe (first mismatches: {mismatched[:5]}).")
    _check_history(history, where)
    device = load_device(estimator.device)
    with seeded(0, device):
        net = estimator._make_net(sample_shape, device)
    net.module_.load_state_dict(state)
    # Prediction never switches modes, so concurrent predict calls stay independent.
    net.module_.eval()
    net.history = History(history)
    estimator.net_ = net


def _declared_shapes(estimator, where):
    sample_shape = getattr(estimator, "_sample_shape", None)
    n_outputs = getattr(estimator, "n_outputs_", None)
    if not (isinstance(sample_shape, tuple) and sample_shape and all(
            _positive_int(size) for size in sample_shape) and _positive_int(n_outputs)):
        raise ValueError(f"{where} lacks the input shape or number of outputs of its network "
                         f"(_sample_shape={sample_shape!r}, n_outputs_={n_outputs!r}).")
    return sample_shape, n_outputs


def _positive_int(value):
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


def _check_history(history, where):
    # np.generic: the numpy scalars a file may hold (numbers, bools, strings).
    scalars = (type(None), bool, int, float, str, np.generic)
    for epoch in history:
        if not (isinstance(epoch.get("epoch"), int) and all(
                isinstance(key, str) and isinstance(value, scalars)
                for key, value in epoch.items())):
            raise ValueError(f"{where} has a malformed training history.")


# Optimiser state that continuing training needs (Adam's moments, SGD's momentum).
_OPTIMIZER_STATE_KEYS = ("step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq", "momentum_buffer")
_STOPPING_TYPES = {"best_loss": float, "best_validation_score": float, "validation_scores": list,
                   "no_improvement_count": int, "t": int, "current_lr": float}


def training_state(net):
    """What continued training needs beyond the weights, as (tensors by name, JSON-able record).

    The optimiser's per-parameter state (named ``<parameter index>.<key>``),
    its learning rates, and the stopping rule's counters; None for L-BFGS,
    whose history of directions is not kept.
    """
    if isinstance(net.optimizer_, torch.optim.LBFGS):
        return {}, None
    state = net.optimizer_.state_dict()
    tensors = {f"{index}.{key}": value.detach().to("cpu").contiguous()
               for index, values in state["state"].items()
               for key, value in values.items()
               if key in _OPTIMIZER_STATE_KEYS and isinstance(value, torch.Tensor)}
    stopping = dict(net.callbacks_)["sklearn_stopping"].state_dict()
    record = {"lr": [float(group["lr"]) for group in state["param_groups"]],
              "stopping": {key: stopping[key] for key in _STOPPING_TYPES}}
    # The first epoch's loss, from which a patience that waits for progress counts.
    if stopping["first_loss"] is not None:
        record["stopping"]["first_loss"] = float(stopping["first_loss"])
    return tensors, record


def restore_training_state(net, tensors, record, where):
    """Give ``net`` the optimiser and stopping state of :func:`training_state`, once checked."""
    optimizer = net.optimizer_
    params = [param for group in optimizer.param_groups for param in group["params"]]
    lrs, stopping = (record.get("lr"), record.get("stopping")) if isinstance(record, dict) \
        else (None, None)
    if not (isinstance(record, dict) and set(record) == {"lr", "stopping"}
            and isinstance(lrs, list) and len(lrs) == len(optimizer.param_groups)
            and all(_positive_float(lr) for lr in lrs)
            and isinstance(stopping, dict) and set(stopping) - {"first_loss"} == set(_STOPPING_TYPES)
            and all(_number_of(stopping[key], kind) for key, kind in _STOPPING_TYPES.items())
            and _number_of(stopping.get("first_loss", 0.0), float)
            and all(_number_of(score, float) for score in stopping["validation_scores"])):
        raise ValueError(f"{where} has a malformed optimiser or stopping state.")
    state = {}
    for name, tensor in tensors.items():
        index, _, key = name.partition(".")
        param = params[int(index)] if index.isdigit() and int(index) < len(params) else None
        expected = ((), torch.float32) if key == "step" else (
            None if param is None else (param.shape, param.dtype))
        if param is None or key not in _OPTIMIZER_STATE_KEYS \
                or (tensor.shape, tensor.dtype) != expected:
            raise ValueError(f"{where} has optimiser state {name!r} that fits no parameter.")
        state.setdefault(int(index), {})[key] = tensor
    param_groups = optimizer.state_dict()["param_groups"]
    for group, lr in zip(param_groups, lrs):
        group["lr"] = lr
    optimizer.load_state_dict({"state": state, "param_groups": param_groups})
    dict(net.callbacks_)["sklearn_stopping"].load_state_dict({**stopping, "best_state": None})


def _positive_float(value):
    return isinstance(value, float) and math.isfinite(value) and value > 0


def _number_of(value, kind):
    if kind is list:
        return isinstance(value, list)
    if kind is int:
        return isinstance(value, int) and not isinstance(value, bool) and value >= 0
    return isinstance(value, float)
