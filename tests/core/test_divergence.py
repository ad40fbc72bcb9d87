"""Divergence: the last good state, and an α measured to work from there."""

import pytest

from mlpviz.core.config import HiddenLayer, NetworkConfig, TrainingConfig
from mlpviz.core.datasets import make_preset
from mlpviz.core.divergence import TRIAL_UPDATES, diagnose
from mlpviz.core.errors import DivergenceError
from mlpviz.core.session import Session

ONE_TANH_LAYER = (HiddenLayer(4, "tanh"),)


def diverged(optimizer: str, preset: str = "xor", hidden=ONE_TANH_LAYER):
    """A session trained 50 updates sensibly, then with α = 1e6 until it blew up."""
    data = make_preset(preset, n=200, noise=0.1, seed=0)
    start = TrainingConfig(optimizer, 0.01 if optimizer == "adam" else 0.1)
    session = Session(data, NetworkConfig(hidden, seed=1), start, test_ratio=0.2)
    session.step(50)
    session.apply(training=TrainingConfig(optimizer, 1e6))
    with pytest.raises(DivergenceError) as error:
        session.step(5000)
    return session, error.value


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "adam"])
def test_the_advised_alpha_trains_on_from_the_last_good_state(optimizer):
    session, error = diverged(optimizer)
    divergence = diagnose(session, error)
    good = session.timeline[divergence.good_index]
    assert good.metrics.train_loss <= session.timeline[0].metrics.train_loss
    assert divergence.iteration == session.iteration + 1
    assert divergence.safe_learning_rate is not None
    assert divergence.safe_learning_rate < divergence.learning_rate == 1e6
    session.rewind(divergence.good_index)
    config = session.training_config
    session.apply(training=TrainingConfig(optimizer, divergence.safe_learning_rate, l2=config.l2))
    session.step(1000)  # raises DivergenceError if the advice was wrong
    assert session.evaluate().train_loss < good.metrics.train_loss


def test_the_message_says_what_happened_and_what_to_do():
    session, error = diverged("sgd")
    message = diagnose(session, error).message()
    assert "Training diverged at iteration" in message
    assert "α = 1e+06" in message and "last good state is iteration" in message
    assert f"tried for {TRIAL_UPDATES} updates" in message


def test_no_advice_when_nothing_works_from_there():
    # Separable data and a single neuron: the last good state's weights are already racing
    # toward the bound, so every smaller α still runs away within the trial.
    session, error = diverged("momentum", preset="linear", hidden=())
    divergence = diagnose(session, error)
    assert divergence.safe_learning_rate is None
    assert "press Reset" in divergence.message()
