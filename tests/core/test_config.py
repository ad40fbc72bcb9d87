"""NetworkConfig / TrainingConfig: validation, JSON round-trips, building nets and optimisers."""

import json

import pytest

from mlpviz.core import SGD, Adam, ConfigError
from mlpviz.core.config import HiddenLayer, NetworkConfig, TrainingConfig


def test_output_layer_follows_the_number_of_classes():
    config = NetworkConfig((HiddenLayer(4, "tanh"),), seed=3)
    assert config.layer_sizes(2) == [2, 4, 1]
    assert config.layer_sizes(5) == [2, 4, 5]
    net = config.build(3)
    assert net.layer_sizes == (2, 4, 3) and net.activations == ("tanh",)
    assert (config.build(3).params == net.params).all()


def test_no_hidden_layer_is_the_single_neuron():
    assert NetworkConfig().build(2).layer_sizes == (2, 1)


def test_configs_round_trip_through_json():
    network = NetworkConfig((HiddenLayer(8, "relu"), HiddenLayer(3, "sigmoid")), "he", 42)
    training = TrainingConfig("adam", 0.003, 16, 1e-4)
    assert NetworkConfig.from_dict(json.loads(json.dumps(network.to_dict()))) == network
    assert TrainingConfig.from_dict(json.loads(json.dumps(training.to_dict()))) == training


@pytest.mark.parametrize(
    "make",
    [
        lambda: NetworkConfig((HiddenLayer(0, "tanh"),)),
        lambda: NetworkConfig((HiddenLayer(65, "tanh"),)),
        lambda: NetworkConfig((HiddenLayer(4, "gelu"),)),
        lambda: NetworkConfig(init="zeros"),
        lambda: NetworkConfig(seed=-1),
        lambda: TrainingConfig(learning_rate=0),
        lambda: TrainingConfig(learning_rate=float("nan")),
        lambda: TrainingConfig(optimizer="lbfgs"),
        lambda: TrainingConfig(batch_size=0),
        lambda: TrainingConfig(l2=-0.1),
        lambda: NetworkConfig.from_dict({"hidden": [{"size": "x", "activation": "tanh"}]}),
        lambda: TrainingConfig.from_dict({"learning_rate": "fast"}),
    ],
)
def test_absurd_settings_raise_config_errors(make):
    with pytest.raises(ConfigError):
        make()


def test_build_optimizer_by_kind():
    assert isinstance(TrainingConfig("sgd", 0.1).build_optimizer(), SGD)
    assert TrainingConfig("momentum", 0.1, momentum=0.8).build_optimizer().momentum == 0.8
    assert isinstance(TrainingConfig("adam", 0.1).build_optimizer(), Adam)


@pytest.mark.parametrize(
    "load",
    [
        lambda: NetworkConfig.from_dict({"hidden": [{"size": 1e999, "activation": "tanh"}]}),
        lambda: NetworkConfig.from_dict(["not", "a", "dict"]),
        lambda: TrainingConfig.from_dict({"batch_size": float("inf")}),
        lambda: TrainingConfig.from_dict("nonsense"),
        lambda: TrainingConfig(batch_size=2.5),
        lambda: TrainingConfig(shuffle_seed=-1),
    ],
)
def test_corrupt_stored_settings_are_config_errors(load):
    with pytest.raises(ConfigError):
        load()
