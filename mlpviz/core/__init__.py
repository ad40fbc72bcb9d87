"""The mlpviz engine: NumPy only, no Qt. Usable from a notebook, a script or the CLI.

>>> from mlpviz.core import MLP, SGD, Trainer
>>> from mlpviz.core.datasets import make_preset
>>> data = make_preset("linear", n=100, seed=0)
>>> trainer = Trainer(MLP([2, 1], seed=0), SGD(0.5), data.X, data.y)
>>> losses = trainer.run(100)
"""

from .activations import ACTIVATIONS
from .errors import ConfigError, DatasetError, DivergenceError, MlpvizError, ModelError
from .model_io import load_model, save_model
from .network import MLP, Forward
from .optimizers import SGD, Adam, make_optimizer
from .trainer import Trainer

__all__ = [
    "ACTIVATIONS",
    "MLP",
    "SGD",
    "Adam",
    "ConfigError",
    "DatasetError",
    "DivergenceError",
    "Forward",
    "MlpvizError",
    "ModelError",
    "Trainer",
    "load_model",
    "make_optimizer",
    "save_model",
]
