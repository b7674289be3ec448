"""scikit-learn's Adam as a torch optimiser (the MLPs' ``solver='adam'``)."""

import math

import torch


class SklearnAdam(torch.optim.Adam):
    """torch's Adam with ``eps`` where scikit-learn's MLP puts it.

    scikit-learn's ``AdamOptimizer`` steps by ``lr * sqrt(1 - beta2**t) / (1 -
    beta1**t) * m / (sqrt(v) + eps)``: ``eps`` is added to the root of the raw
    second moment. torch adds it to the root of the bias-corrected one,
    ``sqrt(v / (1 - beta2**t))``, which is scikit-learn's step with ``eps *
    sqrt(1 - beta2**t)`` in its place: up to 32 times smaller at the first
    step, the same once ``beta2**t`` is negligible. On a weight whose gradient
    is near zero (an input column that is always 0, a penalty alone) ``eps``
    decides the step, and the two drift apart. Here torch's ``eps`` is set to
    ``eps / sqrt(1 - beta2**t)`` before step ``t``: scikit-learn's step, with
    torch's kernels. The step count is torch's own (``state['step']``),
    followed in the parameter group so that no step reads a device tensor;
    it is read back from the state whenever a state is loaded.
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, **kwargs):
        super().__init__(params, lr=lr, betas=betas, eps=eps, **kwargs)
        for group in self.param_groups:
            group["sklearn_eps"] = group["eps"]
            group["sklearn_steps"] = 0

    def prepare_step(self):
        """Count the step to come and set each group's ``eps`` for it."""
        for group in self.param_groups:
            # A group added after construction (add_param_group) starts here.
            base = group.setdefault("sklearn_eps", group["eps"])
            group["sklearn_steps"] = group.get("sklearn_steps", 0) + 1
            group["eps"] = base / math.sqrt(1.0 - group["betas"][1] ** group["sklearn_steps"])

    def step(self, closure=None):
        self.prepare_step()
        return super().step(closure)

    def load_state_dict(self, state_dict):
        super().load_state_dict(state_dict)
        for group in self.param_groups:
            group.setdefault("sklearn_eps", group["eps"])
            steps = [self.state[param]["step"] for param in group["params"]
                     if "step" in self.state.get(param, {})]
            group["sklearn_steps"] = int(steps[0]) if steps else 0
