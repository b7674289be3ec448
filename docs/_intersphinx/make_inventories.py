"""Write the intersphinx inventories of the libraries that publish none we can ship.

``python``, ``scipy``, ``pandas`` and ``sklearn`` are the ``objects.inv`` files
of those projects' own documentation builds (see README.md). numpy, torch,
skorch, Optuna and optuna-integration are listed here instead: the objects
this documentation refers to, each with the page of the project's site that
documents it. Run ``python docs/_intersphinx/make_inventories.py`` after
adding a reference to one of them.
"""

import zlib
from pathlib import Path

HERE = Path(__file__).parent

# {inventory: (project, version, {(role, name): page#anchor})}
INVENTORIES = {
    "numpy": ("NumPy", "2", {
        ("py:class", "numpy.ndarray"): "reference/generated/numpy.ndarray.html#numpy.ndarray",
        ("py:class", "numpy.random.Generator"):
            "reference/random/generator.html#numpy.random.Generator",
        ("py:class", "numpy.random.RandomState"):
            "reference/random/legacy.html#numpy.random.RandomState",
    }),
    "torch": ("PyTorch", "2", {
        ("py:class", "torch.device"): "tensor_attributes.html#torch.device",
        ("py:class", "torch.dtype"): "tensor_attributes.html#torch.dtype",
        ("py:class", "torch.Tensor"): "tensors.html#torch.Tensor",
        ("py:class", "torch.Generator"): "generated/torch.Generator.html#torch.Generator",
        ("py:class", "torch.nn.Module"): "generated/torch.nn.Module.html#torch.nn.Module",
        ("py:class", "torch.nn.Embedding"): "generated/torch.nn.Embedding.html#torch.nn.Embedding",
        ("py:class", "torch.nn.Unflatten"): "generated/torch.nn.Unflatten.html#torch.nn.Unflatten",
        ("py:function", "torch.compile"): "generated/torch.compile.html#torch.compile",
        ("py:class", "torch.autocast"): "amp.html#torch.autocast",
        ("py:class", "torch.utils.data.Dataset"): "data.html#torch.utils.data.Dataset",
    }),
    "skorch": ("skorch", "1", {
        ("py:class", "skorch.net.NeuralNet"): "net.html#skorch.net.NeuralNet",
        ("py:class", "skorch.NeuralNet"): "net.html#skorch.net.NeuralNet",
        ("py:class", "skorch.classifier.NeuralNetClassifier"):
            "classifier.html#skorch.classifier.NeuralNetClassifier",
        ("py:class", "skorch.NeuralNetClassifier"):
            "classifier.html#skorch.classifier.NeuralNetClassifier",
        ("py:class", "skorch.regressor.NeuralNetRegressor"):
            "regressor.html#skorch.regressor.NeuralNetRegressor",
        ("py:class", "skorch.NeuralNetRegressor"):
            "regressor.html#skorch.regressor.NeuralNetRegressor",
        **{("py:class", f"skorch.callbacks.{name}"): f"callbacks.html#skorch.callbacks.{name}"
           for name in ("Callback", "EarlyStopping", "LRScheduler", "Checkpoint",
                        "GradientNormClipping", "PrintLog", "ProgressBar", "EpochScoring")},
    }),
    "optuna": ("Optuna", "4", {
        **{(role, f"optuna.{name}"): f"reference/generated/optuna.{name}.html#optuna.{name}"
           for role, name in [("py:exception", "TrialPruned"), ("py:class", "TrialPruned"),
                              ("py:function", "create_study"), ("py:class", "study.Study"),
                              ("py:class", "trial.Trial"), ("py:class", "trial.FrozenTrial"),
                              ("py:class", "pruners.MedianPruner"),
                              ("py:class", "samplers.TPESampler"),
                              ("py:class", "distributions.FloatDistribution"),
                              ("py:class", "distributions.IntDistribution"),
                              ("py:class", "distributions.CategoricalDistribution"),
                              ("py:class", "distributions.BaseDistribution"),
                              ("py:class", "storages.BaseStorage"),
                              ("py:class", "storages.JournalStorage")]},
    }),
    "optuna_integration": ("Optuna-Integration", "4", {
        ("py:class", "optuna_integration.OptunaSearchCV"):
            "reference/generated/optuna_integration.OptunaSearchCV.html"
            "#optuna_integration.OptunaSearchCV",
    }),
}


def write(name, project, version, entries):
    header = (f"# Sphinx inventory version 2\n# Project: {project}\n# Version: {version}\n"
              "# The remainder of this file is compressed using zlib.\n")
    body = "".join(f"{obj} {role} 1 {uri} -\n" for (role, obj), uri in sorted(entries.items()))
    (HERE / f"{name}.inv").write_bytes(header.encode() + zlib.compress(body.encode()))


if __name__ == "__main__":
    for name, (project, version, entries) in INVENTORIES.items():
        write(name, project, version, entries)
