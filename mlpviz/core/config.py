"""Network and training settings as plain, JSON-serialisable dataclasses.

The GUI edits them, the worker and the CLI consume them, sessions save them. The output
layer is not a setting: it follows the number of classes in the data (1 sigmoid unit for
2 classes, K softmax units for K ≥ 3).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import ClassVar

import numpy as np

from .activations import get_activation
from .errors import ConfigError, shown
from .network import INITS, MLP
from .optimizers import OPTIMIZERS, make_optimizer

MAX_NEURONS = 64
"""Widest hidden layer of the 2-D workspace (its editor and diagram)."""
MAX_DIGITS_NEURONS = 512
"""Widest hidden layer of the digits workspace, whose inputs are images."""
WORKSPACE_MAX_NEURONS = {"2d": MAX_NEURONS, "digits": MAX_DIGITS_NEURONS}
"""Each workspace's widest hidden layer."""
MAX_HIDDEN_LAYERS = 8
MAX_SEED = 2**32 - 1


@dataclass(frozen=True)
class HiddenLayer:
    """One hidden layer: its number of neurons and its activation's name."""

    size: int = 4
    activation: str = "tanh"


@dataclass(frozen=True)
class NetworkConfig:
    """The architecture: hidden layers, weight initialisation and its seed.

    Hidden layers have 1 to ``max_neurons`` neurons: MAX_NEURONS here, in the 2-D workspace;
    ``DigitsNetworkConfig`` allows the digits workspace's wider layers.
    """

    max_neurons: ClassVar[int] = MAX_NEURONS

    hidden: tuple[HiddenLayer, ...] = ()
    init: str = "xavier"
    seed: int = 0

    def __post_init__(self) -> None:
        object.__setattr__(self, "hidden", tuple(self.hidden))
        if len(self.hidden) > MAX_HIDDEN_LAYERS:
            raise ConfigError(f"at most {MAX_HIDDEN_LAYERS} hidden layers")
        self.check_fits(self.max_neurons)
        for layer in self.hidden:
            get_activation(layer.activation)
        if self.init not in INITS:
            raise ConfigError(
                f"unknown init '{shown(str(self.init))}'; choose one of {', '.join(INITS)}"
            )
        if not 0 <= self.seed <= MAX_SEED:
            raise ConfigError(f"seed must be between 0 and {MAX_SEED}")

    def check_fits(self, max_neurons: int | str) -> None:
        """ConfigError unless every hidden layer has 1 to ``max_neurons`` neurons (a number,
        or a workspace's name: "2d" allows MAX_NEURONS, "digits" MAX_DIGITS_NEURONS)."""
        limit = WORKSPACE_MAX_NEURONS[max_neurons] if isinstance(max_neurons, str) else max_neurons
        for layer in self.hidden:
            if not 1 <= layer.size <= limit:
                raise ConfigError(f"a hidden layer has 1 to {limit} neurons, not {layer.size}")

    def layer_sizes(self, n_classes: int, n_inputs: int = 2) -> list[int]:
        """``[n_inputs, hidden…, n_out]`` with n_out = 1 for 2 classes, K for K ≥ 3."""
        n_out = 1 if n_classes <= 2 else n_classes
        return [n_inputs, *(layer.size for layer in self.hidden), n_out]

    def build(self, n_classes: int, n_inputs: int = 2, dtype: np.dtype | type = np.float64) -> MLP:
        """A freshly initialised network for data with ``n_inputs`` features and ``n_classes``
        classes, computing in ``dtype`` (the data's: float32 for images)."""
        activations = [layer.activation for layer in self.hidden]
        sizes = self.layer_sizes(n_classes, n_inputs)
        return MLP(sizes, activations, init=self.init, seed=self.seed, dtype=dtype)

    def to_dict(self) -> dict:
        """A JSON-ready dictionary."""
        return asdict(self)

    @classmethod
    def of(cls, net: MLP, seed: int = 0) -> NetworkConfig:
        """The architecture of ``net`` (an opened model); ConfigError beyond the limits."""
        hidden = zip(net.layer_sizes[1:-1], net.activations)
        return cls(tuple(HiddenLayer(size, name) for size, name in hidden), net.init, seed)

    @classmethod
    def from_dict(cls, data: dict) -> NetworkConfig:
        """Inverse of ``to_dict``; invalid content raises ConfigError."""
        try:
            hidden = tuple(
                HiddenLayer(int(layer["size"]), str(layer["activation"]))
                for layer in data["hidden"]
            )
            return cls(hidden, str(data.get("init", "xavier")), int(data.get("seed", 0)))
        except (KeyError, TypeError, ValueError, OverflowError, AttributeError) as error:
            raise ConfigError(f"invalid network settings ({error})") from None


@dataclass(frozen=True)
class DigitsNetworkConfig(NetworkConfig):
    """The architecture of a digits network: hidden layers up to MAX_DIGITS_NEURONS wide."""

    max_neurons: ClassVar[int] = MAX_DIGITS_NEURONS


NETWORK_CONFIGS: dict[str, type[NetworkConfig]] = {
    "2d": NetworkConfig,
    "digits": DigitsNetworkConfig,
}
"""The architecture type of each workspace."""


@dataclass(frozen=True)
class TrainingConfig:
    """How to train: optimiser, learning rate α, batch size (None = full batch), L2 λ."""

    optimizer: str = "sgd"
    learning_rate: float = 0.1
    batch_size: int | None = None
    l2: float = 0.0
    momentum: float = 0.9
    shuffle_seed: int = field(default=0)

    def __post_init__(self) -> None:
        if self.optimizer not in OPTIMIZERS:
            valid = ", ".join(OPTIMIZERS)
            raise ConfigError(f"unknown optimizer {self.optimizer!r}; choose one of {valid}")
        if not (math.isfinite(self.learning_rate) and 0.0 < self.learning_rate <= 1e6):
            raise ConfigError(f"learning rate must be in (0, 1e6], got {self.learning_rate}")
        if self.batch_size is not None and (
            int(self.batch_size) != self.batch_size or self.batch_size < 1
        ):
            raise ConfigError(f"batch size must be a whole number ≥ 1, got {self.batch_size}")
        if int(self.shuffle_seed) != self.shuffle_seed or not 0 <= self.shuffle_seed <= MAX_SEED:
            raise ConfigError(f"shuffle seed must be between 0 and {MAX_SEED}")
        if not (math.isfinite(self.l2) and self.l2 >= 0.0):
            raise ConfigError(f"L2 must be a non-negative number, got {self.l2}")
        if not 0.0 <= self.momentum < 1.0:
            raise ConfigError(f"momentum must be in [0, 1), got {self.momentum}")

    def build_optimizer(self):
        """A fresh optimiser of the configured kind."""
        return make_optimizer(self.optimizer, self.learning_rate, self.momentum)

    def to_dict(self) -> dict:
        """A JSON-ready dictionary."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> TrainingConfig:
        """Inverse of ``to_dict``; invalid content raises ConfigError."""
        try:
            batch = data.get("batch_size")
            return cls(
                optimizer=str(data.get("optimizer", "sgd")),
                learning_rate=float(data.get("learning_rate", 0.1)),
                batch_size=None if batch is None else int(batch),
                l2=float(data.get("l2", 0.0)),
                momentum=float(data.get("momentum", 0.9)),
                shuffle_seed=int(data.get("shuffle_seed", 0)),
            )
        except (TypeError, ValueError, OverflowError, AttributeError) as error:
            raise ConfigError(f"invalid training settings ({error})") from None
