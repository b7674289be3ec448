"""The lean training path: the same results as skorch's full loop, and every event for callbacks.

Without a callback of the user's, TrainingNet runs its epochs without
dispatching each event to every callback and steps fused Adam without torch's
per-step bookkeeping; these tests hold that path to the full one, bit for bit.
"""

import warnings

import numpy as np
import pytest
import torch
from skorch.callbacks import Callback
from sklearn.datasets import make_classification, make_regression
from sklearn.exceptions import ConvergenceWarning

from sklearn_dl import _training
from sklearn_dl.neural_network import MLPClassifier, MLPRegressor


class _Recorder(Callback):
    """Records every event skorch announces, by name."""

    def __init__(self):
        self.events = []

    def on_train_begin(self, net, **kwargs):
        self.events.append("on_train_begin")

    def on_epoch_begin(self, net, **kwargs):
        self.events.append("on_epoch_begin")

    def on_batch_begin(self, net, **kwargs):
        self.events.append("on_batch_begin")

    def on_grad_computed(self, net, named_parameters, **kwargs):
        self.events.append("on_grad_computed")

    def on_batch_end(self, net, **kwargs):
        self.events.append("on_batch_end")

    def on_epoch_end(self, net, **kwargs):
        self.events.append("on_epoch_end")

    def on_train_end(self, net, **kwargs):
        self.events.append("on_train_end")


class _EpochListener(Callback):
    """A user callback that only listens at the end of each epoch."""

    def on_epoch_end(self, net, **kwargs):
        self.last_loss_ = net.history[-1, "train_loss"]


def _fit(model, X, y, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return model.fit(X, y, **kwargs)


@pytest.fixture
def lean_calls(monkeypatch):
    """How many fits ran TrainingNet's lean loop."""
    calls = []
    lean = _training.TrainingNet._lean_fit_loop

    def counted(net, *args):
        calls.append(net)
        return lean(net, *args)

    monkeypatch.setattr(_training.TrainingNet, "_lean_fit_loop", counted)
    return calls


def _classification():
    return make_classification(n_samples=450, n_features=12, random_state=0)


def _regression():
    return make_regression(n_samples=333, n_features=8, noise=1.0, random_state=0)


@pytest.mark.parametrize("make_model, data, sample_weight", [
    (lambda **kw: MLPClassifier(max_iter=12, random_state=0, **kw), _classification, False),
    (lambda **kw: MLPClassifier(max_iter=8, random_state=1, **kw), _classification, True),
    (lambda **kw: MLPRegressor(max_iter=8, random_state=0, **kw), _regression, False),
    (lambda **kw: MLPRegressor(solver="adamw", max_iter=8, random_state=0, **kw), _regression,
     False),
    (lambda **kw: MLPRegressor(solver="sgd", max_iter=8, random_state=0, **kw), _regression,
     False),
    (lambda **kw: MLPClassifier(early_stopping=True, max_iter=8, random_state=0, **kw),
     _classification, False),
])
@pytest.mark.parametrize("callback", [_Recorder, _EpochListener])
def test_lean_path_trains_exactly_as_the_full_loop(lean_calls, make_model, data, sample_weight,
                                                   callback):
    X, y = data()
    kwargs = {}
    if sample_weight:
        kwargs["sample_weight"] = np.random.default_rng(0).uniform(0.2, 2.0, len(X))
    lean = _fit(make_model(), X, y, **kwargs)
    assert len(lean_calls) == 1
    full = _fit(make_model(callbacks=[callback()]), X, y, **kwargs)
    assert len(lean_calls) == 1  # a user callback takes skorch's loop
    assert lean.n_iter_ == full.n_iter_
    if callback is _Recorder:
        # Batch events take skorch's per-batch epoch, which adds each batch's
        # L2 term on the device in float32 rather than on the host in float64.
        np.testing.assert_allclose(lean.loss_curve_, full.loss_curve_, rtol=1e-6)
    else:
        assert lean.loss_curve_ == full.loss_curve_
    for lean_param, full_param in zip(lean.module_.parameters(), full.module_.parameters()):
        assert torch.equal(lean_param, full_param)
    lean_state = lean.net_.optimizer_.state_dict()["state"]
    full_state = full.net_.optimizer_.state_dict()["state"]
    for index, values in lean_state.items():
        for key, value in values.items():
            assert torch.equal(value, full_state[index][key]), (index, key)
    columns = [column for column in lean.history_.columns if column != "dur"]
    assert columns == [column for column in full.history_.columns if column != "dur"]
    if callback is _EpochListener:
        assert lean.history_[columns].equals(full.history_[columns])
        assert lean.net_.history[-1]["batches"] == full.net_.history[-1]["batches"]


def test_lean_path_continues_partial_fit_exactly(lean_calls):
    X, y = _classification()
    lean, full = MLPClassifier(random_state=0), MLPClassifier(random_state=0,
                                                              callbacks=[_EpochListener()])
    for start in range(0, 450, 150):
        lean.partial_fit(X[start:start + 150], y[start:start + 150], classes=[0, 1])
        full.partial_fit(X[start:start + 150], y[start:start + 150], classes=[0, 1])
    assert len(lean_calls) == 3
    assert lean.loss_curve_ == full.loss_curve_
    for lean_param, full_param in zip(lean.module_.parameters(), full.module_.parameters()):
        assert torch.equal(lean_param, full_param)


def test_user_callback_receives_every_event(lean_calls):
    # 250 samples in batches of 200: two batches per epoch.
    X, y = make_classification(n_samples=250, n_features=6, random_state=0)
    recorder = _Recorder()
    model = _fit(MLPClassifier((8,), max_iter=3, random_state=0, callbacks=[recorder]), X, y)
    assert not lean_calls
    # The fit's copy of the recorder.
    (events,) = [callback.events for _, callback in model.net_.callbacks_
                 if isinstance(callback, _Recorder)]
    batch = ["on_batch_begin", "on_grad_computed", "on_batch_end"]
    epoch = ["on_epoch_begin", *batch, *batch, "on_epoch_end"]
    assert events == ["on_train_begin", *epoch * 3, "on_train_end"]
    assert recorder.events == []  # the estimator's parameter is copied, not trained


def _adam_pair(optimizer_class, **kwargs):
    torch.manual_seed(0)
    modules = []
    for _ in range(2):
        torch.manual_seed(0)
        modules.append(torch.nn.Sequential(torch.nn.Linear(5, 7), torch.nn.ReLU(),
                                           torch.nn.Linear(7, 1)))
    optimizers = [optimizer_class(module.parameters(), lr=0.01, fused=True, **kwargs)
                  for module in modules]
    return modules, optimizers


@pytest.mark.parametrize("optimizer_class, kwargs", [
    (torch.optim.Adam, {}),
    (torch.optim.Adam, {"weight_decay": 0.1}),
    (torch.optim.AdamW, {"weight_decay": 0.1}),
])
def test_direct_fused_adam_step_is_torchs_step(optimizer_class, kwargs):
    (reference, direct_module), (torch_optimizer, optimizer) = _adam_pair(optimizer_class,
                                                                          **kwargs)
    direct = _training._FusedAdamStep.for_optimizer(optimizer)
    assert direct is not None
    torch_steps = []
    optimizer.step = lambda *args, **kwargs: torch_steps.append(args)  # must not run
    X = torch.randn(16, 5, generator=torch.Generator().manual_seed(1))
    for step in range(6):
        if step == 3:  # a schedule changes the learning rate between steps
            for opt in (torch_optimizer, optimizer):
                opt.param_groups[0]["lr"] = 0.003
        for module, opt in ((reference, torch_optimizer), (direct_module, optimizer)):
            opt.zero_grad()
            module(X).square().mean().backward()
        torch_optimizer.step()
        direct.step()
    for expected, got in zip(reference.parameters(), direct_module.parameters()):
        assert torch.equal(expected, got)
    for expected, got in zip(torch_optimizer.state.values(), optimizer.state.values()):
        assert list(expected) == list(got)
        for key in expected:
            assert expected[key].dtype == got[key].dtype
            assert expected[key].device == got[key].device
            assert torch.equal(expected[key], got[key])
    assert torch_optimizer.state_dict().keys() == optimizer.state_dict().keys()
    assert not torch_steps  # every step, the first included, ran the kernels directly


def test_direct_fused_adam_step_defers_to_torch():
    (reference, direct_module), (torch_optimizer, optimizer) = _adam_pair(torch.optim.Adam)
    direct = _training._FusedAdamStep.for_optimizer(optimizer)
    X = torch.randn(16, 5, generator=torch.Generator().manual_seed(1))
    for step in range(4):
        for module, opt in ((reference, torch_optimizer), (direct_module, optimizer)):
            opt.zero_grad()
            # From the third step the output layer's bias gets no gradient:
            # torch's step skips it, and so does the direct one (by deferring).
            output = module(X) if step < 2 else module(X) - module[2].bias
            output.square().mean().backward()
        torch_optimizer.step()
        direct.step()
        if step == 1:  # a state loaded afresh (a restore) is read afresh
            optimizer.load_state_dict(optimizer.state_dict())
    for expected, got in zip(reference.parameters(), direct_module.parameters()):
        assert torch.equal(expected, got)
    # Optimisers a direct step cannot stand in for.
    amsgrad = torch.optim.Adam(reference.parameters(), fused=True, amsgrad=True)
    assert _training._FusedAdamStep.for_optimizer(amsgrad) is None
    assert _training._FusedAdamStep.for_optimizer(torch.optim.Adam(reference.parameters())) is None
    hooked = torch.optim.Adam(reference.parameters(), fused=True)
    hooked.register_step_post_hook(lambda *args: None)
    assert _training._FusedAdamStep.for_optimizer(hooked) is None


def test_epoch_finite_check_tells_large_weights_from_non_finite_ones():
    # The epoch's check reads 2-norms: 1e30 squared overflows float32, yet
    # the weights are finite; a NaN or an infinity is not.
    records = _training._BatchRecords()
    records.add({"loss": torch.tensor(0.5)}, 10)
    values, finite = records.values([torch.full((4,), 1e30), torch.ones(3)])
    assert values == [0.5] and finite
    for bad in (float("nan"), float("inf")):
        records = _training._BatchRecords()
        records.add({"loss": torch.tensor(0.5)}, 10)
        assert not records.values([torch.tensor([1.0, bad])])[1]


@pytest.mark.parametrize("n_samples, n_batches", [(100, 1), (450, 3)])
@pytest.mark.parametrize("touch_weights", [False, True])
def test_l2_term_reuses_the_epoch_checks_norms(lean_calls, monkeypatch, n_samples, n_batches,
                                               touch_weights):
    # The divergence check's 2-norms, taken after an epoch's last step, are
    # the ones the next batch's L2 term needs: the lean loop computes them
    # once, unless a weight changed in between; the results stay those of
    # skorch's loop, bit for bit.
    X, y = make_classification(n_samples=n_samples, n_features=12, random_state=0)
    epochs = 6
    if touch_weights:
        # An in-place write between the check and the next batch (what a
        # restore does), leaving the values as they are.
        begin = _training.SklearnStopping.on_epoch_begin

        def touching(stopping, net, **kwargs):
            begin(stopping, net, **kwargs)
            with torch.no_grad():
                net.module_.layers[0].weight.mul_(1.0)

        monkeypatch.setattr(_training.SklearnStopping, "on_epoch_begin", touching)
    norm_calls = []
    foreach_norm = torch._foreach_norm

    def counted(tensors, *args, **kwargs):
        norm_calls.append(len(tensors))
        return foreach_norm(tensors, *args, **kwargs)

    monkeypatch.setattr(torch, "_foreach_norm", counted)
    lean = _fit(MLPClassifier(max_iter=epochs, random_state=0), X, y)
    assert len(lean_calls) == 1
    # Per epoch: each batch's L2 norms (the weight matrices), then the check (every parameter).
    expected = epochs * (n_batches + 1) - (0 if touch_weights else epochs - 1)
    assert len(norm_calls) == expected
    full = _fit(MLPClassifier(max_iter=epochs, random_state=0, callbacks=[_EpochListener()]),
                X, y)
    assert len(lean_calls) == 1
    assert lean.loss_curve_ == full.loss_curve_
    for lean_param, full_param in zip(lean.module_.parameters(), full.module_.parameters()):
        assert torch.equal(lean_param, full_param)


# -- the fit's set-up ------------------------------------------------------------------


@pytest.mark.parametrize("y", [
    np.array([0, 1, 1, 0]), np.array([3, 3, 3]), np.array([-1, 2, 5, 2]),
    np.array([True, False, True]), np.array([0, 1, 2], dtype=np.uint8),
    np.arange(30) % 7, np.array([0.0, 1.0, 1.0]), np.array(["a", "b", "c"]),
    np.array([[0, 1], [1, 0]]), np.array([0.5, 1.5]),
])
def test_target_type_is_sklearns(y):
    from sklearn.utils.multiclass import type_of_target

    from sklearn_dl.base import _target_type

    target_type, n_labels = _target_type(y)
    assert target_type == type_of_target(y, input_name="y")
    assert n_labels is None or n_labels == len(np.unique(y))


def test_classifier_keeps_sklearns_target_checks():
    X = np.random.default_rng(0).normal(size=(40, 3))
    with pytest.raises(ValueError, match="Unknown label type: continuous"):
        MLPClassifier(max_iter=1).fit(X, np.linspace(0, 1, 40))
    # Integer labels, most of them distinct: sklearn's warning.
    with pytest.warns(UserWarning, match="number of unique classes is greater than 50%"):
        _fit(MLPClassifier((4,), max_iter=1), X, np.arange(40))


def test_parameter_checks_are_sklearns_after_a_valid_fit():
    from sklearn.utils._param_validation import InvalidParameterError

    X, y = make_classification(n_samples=40, n_features=4, random_state=0)
    model = _fit(MLPClassifier((4,), max_iter=1), X, y)
    assert model.get_params()["hidden_layer_sizes"] == (4,)
    assert sorted(model.get_params()) == sorted(MLPClassifier._get_param_names())
    with pytest.raises(InvalidParameterError,
                       match=r"The 'alpha' parameter of MLPClassifier must be a float in the "
                             r"range \[0(\.0)?, inf\)\. Got -1 instead\."):
        model.set_params(alpha=-1).fit(X, y)


def test_parameter_values_found_valid_are_told_apart_by_type():
    """The values a fit found valid are remembered by type as well as value."""
    from sklearn.utils._param_validation import InvalidParameterError

    from sklearn_dl.base import _values_key

    X, y = make_classification(n_samples=40, n_features=4, random_state=0)
    _fit(MLPClassifier((4,), max_iter=1, shuffle=True, batch_size=20), X, y)
    # Equal to the values just found valid (True == 1, 20.0 == 20) but not valid.
    with pytest.raises(InvalidParameterError, match="'shuffle' parameter .* Got 1 instead"):
        MLPClassifier((4,), max_iter=1, shuffle=1, batch_size=20).fit(X, y)
    with pytest.raises(InvalidParameterError, match="'batch_size' parameter .* Got 20.0"):
        MLPClassifier((4,), max_iter=1, shuffle=True, batch_size=20.0).fit(X, y)
    assert _values_key({"a": (4,)}) != _values_key({"a": (4.0,)})
    assert _values_key({"a": np.float64(1.0)}) is None  # not a plain value: checked each time
    # A torch.device is immutable and always valid: remembered, told apart by value.
    cpu = _values_key({"device": torch.device("cpu")})
    assert cpu is not None and cpu != _values_key({"device": "cpu"})
    assert cpu != _values_key({"device": torch.device("cuda")})
    model = MLPClassifier((4,), max_iter=1, device=torch.device("cpu"))
    _fit(model, X, y)
    with pytest.raises(InvalidParameterError, match="'alpha' parameter .* Got -1"):
        model.set_params(alpha=-1).fit(X, y)


def _with_one_non_finite_value(X):
    """Copies of X with one NaN, then with one infinity."""
    for bad in (np.nan, np.inf):
        X_bad = X.copy()
        X_bad[3, 1] = bad
        yield X_bad


def test_plain_arrays_are_validated_as_sklearn_validates_them():
    import pandas as pd

    X, y = make_classification(n_samples=40, n_features=4, random_state=0)
    frame = pd.DataFrame(X, columns=list("abcd"))
    model = _fit(MLPClassifier((4,), max_iter=1, warm_start=True), frame, y)
    assert list(model.feature_names_in_) == list("abcd")
    with pytest.warns(UserWarning, match="X does not have valid feature names"):
        _fit(model, X, y)  # warm start: sklearn's check, which warns
    _fit(model.set_params(warm_start=False), X, y)  # a new fit forgets the names
    assert model.n_features_in_ == 4 and not hasattr(model, "feature_names_in_")
    with pytest.raises(ValueError, match="X has 3 features, but MLPClassifier is expecting 4"):
        model.partial_fit(X[:, :3], y)
    for X_bad in _with_one_non_finite_value(X):
        with pytest.raises(ValueError, match="Input X contains (NaN|infinity)"):
            MLPClassifier(max_iter=1).fit(X_bad, y)
    y_bad = MLPRegressor(max_iter=1)
    with pytest.raises(ValueError, match="Input y contains NaN"):
        y_bad.fit(X, np.where(np.arange(40) == 5, np.nan, 1.0))
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        MLPClassifier(max_iter=1).fit(X, y[:-1])
    with pytest.raises(ValueError, match="Expected 2D array, got scalar array instead"):
        MLPRegressor(max_iter=1).fit(np.array(1.0), np.array([1.0]))
    # Finite values whose sum overflows are left to sklearn, which accepts them.
    huge = np.full((40, 4), 1e308)
    with pytest.raises(ValueError, match="beyond what precision='float32' represents"):
        MLPRegressor(max_iter=1).fit(huge, X[:, 0])


@pytest.mark.parametrize("Estimator", [MLPClassifier, MLPRegressor])
def test_plain_arrays_are_predicted_as_after_sklearns_validation(Estimator, monkeypatch):
    """Prediction skips validate_data for a plain array only where it would change nothing."""
    import pandas as pd

    import sklearn_dl.base

    X, y = make_classification(n_samples=40, n_features=4, random_state=0)
    model = _fit(Estimator(hidden_layer_sizes=(4,), max_iter=2, random_state=0), X, y)
    calls = []
    original = sklearn_dl.base.validate_data
    monkeypatch.setattr(sklearn_dl.base, "validate_data",
                        lambda *args, **kwargs: calls.append(1) or original(*args, **kwargs))
    expected = model.predict(X.tolist())  # a list: validate_data converts it
    assert calls == [1]
    read_only = X.copy()
    read_only.flags.writeable = False
    for plain in (X, X.astype(np.float32), np.asfortranarray(X), read_only):
        np.testing.assert_array_equal(model.predict(plain), expected)
    assert calls == [1]  # none of them went through validate_data
    # Other dtypes are converted by validate_data, to the same predictions.
    np.testing.assert_array_equal(model.predict(X.astype(">f8")), expected)
    np.testing.assert_array_equal(model.predict(X.astype(np.float16)),
                                  model.predict(X.astype(np.float16).astype(np.float32)))
    assert len(calls) == 3
    with pytest.raises(ValueError, match=r"Found array with 0 sample\(s\)"):
        model.predict(X[:0])
    # Anything sklearn would refuse or warn about still goes through its checks.
    with pytest.raises(ValueError, match=f"X has 3 features, but {Estimator.__name__} is "
                                         "expecting 4"):
        model.predict(X[:, :3])
    for X_bad in _with_one_non_finite_value(X):
        with pytest.raises(ValueError, match="Input X contains (NaN|infinity)"):
            model.predict(X_bad)
    with pytest.warns(UserWarning, match="X has feature names, but"):
        model.predict(pd.DataFrame(X, columns=list("abcd")))
    named = _fit(Estimator(hidden_layer_sizes=(4,), max_iter=2, random_state=0),
                 pd.DataFrame(X, columns=list("abcd")), y)
    with pytest.warns(UserWarning, match="X does not have valid feature names"):
        named.predict(X)
    assert len(calls) == 10  # the named model's fit included


def _net_layout(net):
    """What skorch's initialize sets up on a net, comparable across nets."""
    return {
        "callbacks": [(name, type(callback)) for name, callback in net.callbacks_],
        "registered": (net.prefixes_, net.cuda_dependent_attributes_, net._modules,
                       net._criteria, net._optimizers),
        "virtual_params": sorted(net.virtual_params_),
        "param_groups": [{key: value for key, value in group.items() if key != "params"}
                         for group in net.optimizer_.param_groups],
        "components": (net.module_ is net.module, net.criterion_ is net.criterion,
                       type(net.history_), len(net.history_)),
        "params": sorted(net.get_params(deep=False)),
    }


@pytest.mark.parametrize("make_model", [
    lambda: MLPClassifier(max_iter=6, random_state=0),
    lambda: MLPRegressor(solver="sgd", max_iter=6, random_state=1),
])
def test_direct_initialize_builds_skorchs_net(make_model, monkeypatch):
    """An estimator's own net is set up without skorch's initialize, to the same net."""
    X, y = _classification()
    plain = _training.TrainingNet._plain_initialization
    taken = []
    monkeypatch.setattr(_training.TrainingNet, "_plain_initialization",
                        lambda net: taken.append(plain(net)) or taken[-1])
    direct = _fit(make_model(), X, y)
    assert taken[-1] is not None
    monkeypatch.setattr(_training.TrainingNet, "_plain_initialization", lambda net: None)
    full = _fit(make_model(), X, y)
    assert _net_layout(direct.net_) == _net_layout(full.net_)
    assert direct.loss_curve_ == full.loss_curve_
    for direct_param, full_param in zip(direct.module_.parameters(), full.module_.parameters()):
        assert torch.equal(direct_param, full_param)
    # set_params of the optimiser's arguments still reaches the optimiser (virtual params).
    direct.net_.set_params(optimizer__lr=0.5)
    assert direct.net_.optimizer_.param_groups[0]["lr"] == 0.5


def test_initialize_is_skorchs_for_user_callbacks_and_component_parameters():
    X, y = _classification()
    net = _fit(MLPClassifier(max_iter=2, random_state=0, callbacks=[_EpochListener()]), X, y).net_
    assert net._plain_initialization() is None  # fitted: initialised already
    fresh = _training.TrainingNet(module=torch.nn.Linear(2, 1), criterion=torch.nn.MSELoss(),
                                  callbacks=[("listener", _EpochListener())])
    assert fresh._plain_initialization() is None
    assert [name for name, _ in fresh.initialize().callbacks_] == [
        "epoch_timer", "train_loss", "listener", "print_log"]
    fresh = _training.TrainingNet(module=torch.nn.Linear(2, 1), criterion=torch.nn.MSELoss(),
                                  callbacks=[], module__in_features=2,
                                  module__out_features=1, module__bias=False)
    assert fresh._plain_initialization() is None
    assert fresh.initialize().module_.bias is None  # skorch's: the module made afresh
    fresh = _training.TrainingNet(module=torch.nn.Linear(2, 1), criterion=torch.nn.MSELoss(),
                                  callbacks=[], optimizer__lr=0.25)
    assert fresh._plain_initialization() is not None
    assert fresh.initialize().optimizer_.param_groups[0]["lr"] == 0.25
    with pytest.raises(ValueError, match="unexpected argument"):
        _training.TrainingNet(module=torch.nn.Linear(2, 1), criterion=torch.nn.MSELoss(),
                              callbacks=[], optimizer_lr=0.25).initialize()


@pytest.mark.parametrize("early_stopping, quantity", [(False, "Training loss"),
                                                       (True, "Validation score")])
def test_plateau_message_is_sklearns(early_stopping, quantity):
    X, y = _classification()
    model = MLPClassifier((4,), tol=10.0, n_iter_no_change=2, early_stopping=early_stopping,
                          max_iter=50, random_state=0).fit(X, y)
    assert model.n_iter_ == 4  # sklearn's count: more than 2 epochs after the first
    stopping = dict(model.net_.callbacks_)["sklearn_stopping"]
    assert stopping.stop_message_ == (f"{quantity} did not improve more than tol=10.000000 "
                                      "for 2 consecutive epochs. Stopping.")


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_half_squared_error_mean_is_torchs_bit_for_bit(dtype):
    """The direct kernel call gives F.mse_loss's value and gradients exactly."""
    import torch.nn.functional as F

    from sklearn_dl.modules.losses import HalfSquaredError

    generator = torch.Generator().manual_seed(0)
    target = torch.randn(37, 3, generator=generator, dtype=dtype)
    raw_direct = torch.randn(37, 3, generator=generator, dtype=dtype, requires_grad=True)
    raw_torch = raw_direct.detach().clone().requires_grad_(True)
    direct = HalfSquaredError().mean(raw_direct, target)
    reference = 0.5 * F.mse_loss(raw_torch, target)
    direct.backward()
    reference.backward()
    assert torch.equal(direct, reference)
    assert torch.equal(raw_direct.grad, raw_torch.grad)
    # Shapes that disagree take torch's function, with its warning.
    with pytest.warns(UserWarning, match="different to the input size"):
        HalfSquaredError().mean(raw_direct.detach(), target[:, :1])


def test_state_made_ahead_steps_as_torchs_first_step():
    """Adam's state made before the first step: the same steps, no state where torch makes none."""
    (reference, direct_module), (torch_optimizer, optimizer) = _adam_pair(torch.optim.Adam)
    direct = _training._FusedAdamStep.for_optimizer(optimizer)
    assert direct.make_state_ahead()
    assert not direct.make_state_ahead()  # made already
    X = torch.randn(16, 5, generator=torch.Generator().manual_seed(1))
    for step in range(3):
        for module, opt in ((reference, torch_optimizer), (direct_module, optimizer)):
            opt.zero_grad()
            module(X).square().mean().backward()
            if step == 0:  # the output bias has no gradient at the first step
                module[2].bias.grad = None
        torch_optimizer.step()
        direct.step()
        assert optimizer.state_dict()["state"].keys() == torch_optimizer.state_dict()["state"].keys()
    for expected, got in zip(reference.parameters(), direct_module.parameters()):
        assert torch.equal(expected, got)
    for expected, got in zip(torch_optimizer.state.values(), optimizer.state.values()):
        assert all(torch.equal(expected[key], got[key]) for key in expected)


def test_first_epoch_interrupted_keeps_initial_weights_and_no_optimiser_state(monkeypatch,
                                                                              lean_calls):
    """Ctrl-C after the first step: as if no epoch had begun, though the state was made ahead."""
    X, y = _classification()
    train_step = _training.TrainingNet.train_step

    def interrupted_after_step(net, batch, **kwargs):
        train_step(net, batch, **kwargs)
        raise KeyboardInterrupt

    monkeypatch.setattr(_training.TrainingNet, "train_step", interrupted_after_step)
    with pytest.warns(UserWarning, match="interrupted"):
        model = MLPClassifier(max_iter=5, random_state=0, warm_start=True).fit(X, y)
    assert len(lean_calls) == 1 and model.n_iter_ == 0 and model.loss_curve_ == []
    assert model.net_.optimizer_.state_dict()["state"] == {}
    monkeypatch.setattr(_training.TrainingNet, "train_step", train_step)
    # Training on from there is a fresh fit, bit for bit.
    continued = _fit(model.set_params(max_iter=3), X, y)
    fresh = _fit(MLPClassifier(max_iter=3, random_state=0), X, y)
    assert continued.loss_curve_ == fresh.loss_curve_
    for got, expected in zip(continued.module_.parameters(), fresh.module_.parameters()):
        assert torch.equal(got, expected)


def test_target_standardization_is_np_average_bit_for_bit():
    """The regressors' target mean and scale: np.average's values exactly."""
    from sklearn_dl.base import TorchRegressorMixin

    def reference(targets, weights):
        _, exponent = np.frexp(np.abs(targets).max(axis=0))
        unit = np.ldexp(1.0, exponent)
        mean = np.average(targets / unit, axis=0, weights=weights)
        scale = np.sqrt(np.average((targets / unit - mean) ** 2, axis=0, weights=weights))
        mean, scale = mean * unit, scale * unit
        return mean, np.where(scale > np.finfo(np.float64).eps * np.abs(mean).clip(1), scale, 1.0)

    rng = np.random.default_rng(0)
    for trial in range(200):
        n, k = int(rng.integers(1, 500)), int(rng.integers(1, 4))
        magnitude = 10.0 ** rng.uniform(-300, 300)
        targets = rng.normal(size=(n, k)) * magnitude + rng.normal() * magnitude
        weights = np.ones(n) if trial % 2 else rng.uniform(0, 3, n)
        got = TorchRegressorMixin._target_standardization(targets, weights, enabled=True)
        for got_part, expected_part in zip(got, reference(targets, weights)):
            assert np.array_equal(got_part, expected_part)
    with pytest.raises(ZeroDivisionError, match="Weights sum to zero"):
        TorchRegressorMixin._target_standardization(np.ones((3, 1)), np.zeros(3), enabled=True)


@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_half_squared_error_step_from_its_factor_is_the_products_step(solver, monkeypatch):
    """Backward started from the loss's factor of 0.5: the same fit as through the product."""
    from sklearn_dl.modules.losses import HalfSquaredError

    X, y = _regression()
    calls = []
    mean_parts = HalfSquaredError.mean_parts
    monkeypatch.setattr(HalfSquaredError, "mean_parts",
                        lambda loss, raw, target: calls.append(1) or mean_parts(loss, raw, target))
    direct = _fit(MLPRegressor(solver=solver, max_iter=6, random_state=0), X, y)
    assert calls
    monkeypatch.delattr(HalfSquaredError, "mean_parts")
    product = _fit(MLPRegressor(solver=solver, max_iter=6, random_state=0), X, y)
    assert direct.loss_curve_ == product.loss_curve_
    for got, expected in zip(direct.module_.parameters(), product.module_.parameters()):
        assert torch.equal(got, expected)


@pytest.mark.parametrize("n_outputs", [1, 3])
@pytest.mark.parametrize("kind", ["sigmoid", "softmax"])
def test_log_loss_means_are_torchs_bit_for_bit(kind, n_outputs):
    """The direct kernel calls give torch's functional losses and gradients exactly."""
    import torch.nn.functional as F

    from sklearn_dl.modules.losses import SigmoidCrossEntropy, SoftmaxCrossEntropy

    generator = torch.Generator().manual_seed(0)
    raw = torch.randn(41, n_outputs, generator=generator, requires_grad=True)
    reference_raw = raw.detach().clone().requires_grad_(True)
    if kind == "sigmoid":
        target = torch.randint(0, 2, (41, n_outputs), generator=generator).float()
        got = SigmoidCrossEntropy().mean(raw, target)
        expected = F.binary_cross_entropy_with_logits(reference_raw, target)
        expected = expected if n_outputs == 1 else expected * n_outputs
    else:
        target = torch.randint(0, n_outputs, (41,), generator=generator)
        got = SoftmaxCrossEntropy().mean(raw, target)
        expected = F.cross_entropy(reference_raw, target)
    got.backward()
    expected.backward()
    assert torch.equal(got, expected)
    assert torch.equal(raw.grad, reference_raw.grad)


@pytest.mark.parametrize("kwargs", [
    dict(weight_init="xavier"),
    dict(weight_init="xavier", activation="logistic", hidden_layer_sizes=(7, 5)),
    dict(weight_init="he", activation="tanh", batch_norm=True, dropout=0.2),
    dict(weight_init="xavier", hidden_layer_sizes=()),
    dict(weight_init="xavier", dtype=torch.float64),
])
def test_mlp_draws_its_scheme_as_after_torchs_initialisation(kwargs):
    """Skipping torch's initialisation draws the same weights, and leaves the generator as it."""
    from sklearn_dl.modules import MLP, initialize_weights

    kwargs = dict(kwargs)
    weight_init, dtype = kwargs.pop("weight_init"), kwargs.pop("dtype", torch.float32)
    hidden = kwargs.pop("hidden_layer_sizes", (9,))
    activation = kwargs.get("activation", "relu")
    built = []
    default_dtype = torch.get_default_dtype()
    for skip in (False, True):
        with torch.random.fork_rng():
            torch.manual_seed(0)
            torch.set_default_dtype(dtype)
            try:
                module = (MLP(6, hidden, 3, weight_init=weight_init, **kwargs) if skip
                          else initialize_weights(MLP(6, hidden, 3, **kwargs), weight_init,
                                                  activation))
            finally:
                torch.set_default_dtype(default_dtype)
            built.append((module, torch.rand(4)))
    (reference, reference_next), (module, module_next) = built
    assert repr(module) == repr(reference)
    assert torch.equal(module_next, reference_next)  # the generator is where torch's left it
    for (name, got), (_, expected) in zip(module.state_dict().items(),
                                          reference.state_dict().items()):
        assert torch.equal(got, expected) and got.dtype == expected.dtype, name
        assert not got.is_floating_point() or got.dtype == dtype, name
    plain = torch.nn.Linear(2, 3)
    for layer in module.linear_layers():
        assert type(layer) is torch.nn.Linear and list(vars(layer)) == list(vars(plain))


class _CountedForward(torch.nn.Module):
    """A small tanh network that counts its training forward passes."""

    def __init__(self, n_features, n_outputs):
        super().__init__()
        self.layers = torch.nn.Sequential(torch.nn.Linear(n_features, 8), torch.nn.Tanh(),
                                          torch.nn.Linear(8, n_outputs))
        self.calls = 0

    def forward(self, X):
        self.calls += self.training
        return self.layers(X)


@pytest.mark.parametrize("precision", ["float32", "float64"])
def test_lbfgs_evaluates_each_point_once_with_the_results_of_evaluating_every_call(
        precision, monkeypatch):
    """torch's LBFGS asks again for the points it has evaluated (where a step
    ends, where the next starts): those are reused, and reusing them changes
    nothing against evaluating at every call of the closure (on rows in one
    order: a reshuffle would sum the next epoch's loss in another)."""
    from sklearn_dl import TorchRegressor

    X, y = make_regression(60, 4, noise=1.0, random_state=0)
    params = {"module": _CountedForward, "solver": "lbfgs", "alpha": 0.01, "max_iter": 25,
              "tol": 0, "shuffle": False, "precision": precision, "random_state": 0}
    reused = _fit(TorchRegressor(**params), X, y)
    evaluate = _training.TrainingNet._lbfgs_evaluate

    def every_call(net, *args, **kwargs):
        net._lbfgs_last = None
        return evaluate(net, *args, **kwargs)

    monkeypatch.setattr(_training.TrainingNet, "_lbfgs_evaluate", every_call)
    evaluated = _fit(TorchRegressor(**params), X, y)
    assert reused.n_iter_ == evaluated.n_iter_ == 25
    assert reused.loss_curve_ == evaluated.loss_curve_
    for got, expected in zip(reused.module_.parameters(), evaluated.module_.parameters()):
        assert torch.equal(got, expected)
    # One forward pass per evaluation: the first point, then the line searches'.
    assert reused.module_.calls == reused.net_.lbfgs_evaluations_
    assert reused.module_.calls < evaluated.module_.calls


def _lbfgs_state(model):
    """The L-BFGS optimiser's state dict, its lists flattened, for a comparison."""
    state = model.net_.optimizer_.state_dict()
    flat = []
    for values in state["state"].values():
        for key, value in values.items():
            flat.extend((key, item) for item in (value if isinstance(value, list) else [value]))
    return flat, state["param_groups"]


@pytest.mark.parametrize("make_model, data", [
    (lambda: MLPClassifier((10, 10), solver="lbfgs", alpha=1.0, max_iter=60, random_state=0),
     _classification),
    (lambda: MLPRegressor(hidden_layer_sizes=(12,), solver="lbfgs", precision="float64", max_fun=40,
                          random_state=1), _regression),
    (lambda: MLPRegressor(hidden_layer_sizes=(12,), solver="lbfgs", max_iter=7, warm_start=True, random_state=2),
     _regression),
])
def test_lbfgs_direct_step_is_torchs_step(make_model, data, monkeypatch):
    """The lean loop's L-BFGS iteration is torch's ``LBFGS.step``, bit for bit: the
    weights, the losses, the evaluations and the optimiser's state."""
    X, y = data()
    steps = []
    direct_step = _training._LBFGSStep.step
    monkeypatch.setattr(_training._LBFGSStep, "step",
                        lambda self, closure: steps.append(1) or direct_step(self, closure))
    direct = _fit(make_model(), X, y)
    direct = _fit(direct, X, y) if direct.warm_start else direct
    assert len(steps) == sum(direct.n_iter_ for _ in range(1 + direct.warm_start)) > 5
    monkeypatch.setattr(_training._LBFGSStep, "for_optimizer", classmethod(lambda cls, opt: None))
    torchs = _fit(make_model(), X, y)
    torchs = _fit(torchs, X, y) if torchs.warm_start else torchs
    assert len(steps) == sum(direct.n_iter_ for _ in range(1 + direct.warm_start))
    assert direct.n_iter_ == torchs.n_iter_
    assert direct.loss_curve_ == torchs.loss_curve_
    assert direct.net_.lbfgs_evaluations_ == torchs.net_.lbfgs_evaluations_
    for got, expected in zip(direct.module_.parameters(), torchs.module_.parameters()):
        assert torch.equal(got, expected)
    (got, got_groups), (expected, expected_groups) = map(_lbfgs_state, (direct, torchs))
    assert got_groups == expected_groups
    assert [key for key, _ in got] == [key for key, _ in expected]
    for (key, value), (_, reference) in zip(got, expected):
        assert (torch.equal(value, reference) if isinstance(value, torch.Tensor)
                else value == reference), key
