"""model.py: a trained network as a standalone PyTorch script, exact to the last bit."""

import ast
import importlib.util
import subprocess
import sys

import numpy as np
import pytest

from mlpviz.core.activations import ACTIVATIONS
from mlpviz.core.errors import ModelError
from mlpviz.core.network import MLP
from mlpviz.core.pytorch_script import TORCH_ACTIVATIONS, pytorch_script, save_pytorch_script

NETWORKS = {
    "single neuron": MLP([2, 1], seed=0),
    "every activation": MLP([2, 4, 3, 5, 2, 3, 1], list(ACTIVATIONS), seed=1),
    "three classes": MLP([2, 8, 3], "relu", seed=2),
    "digits": MLP([64, 16, 10], "leaky_relu", seed=3),
}


def trained(net: MLP) -> MLP:
    """``net`` with non-zero biases and weights of every magnitude, as training leaves them."""
    net = net.copy()
    rng = np.random.default_rng(7)
    net.params[...] = rng.normal(0.0, 1.5, net.params.shape) * 10.0 ** rng.integers(
        -3, 2, net.params.shape
    )
    return net


def literals(script: str) -> dict:
    """The module-level ``NAME = literal`` assignments of ``script``, read without running it."""
    values = {}
    for node in ast.parse(script).body:
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
            try:
                values[node.targets[0].id] = ast.literal_eval(node.value)
            except ValueError:  # DTYPE = torch.float64 is code, not a literal
                continue
    return values


def torch_or_skip():
    try:
        import torch
    except ImportError:
        pytest.skip("PyTorch is not installed (pip install torch): model.py cannot be run")
    return torch


def load_script(path):
    spec = importlib.util.spec_from_file_location(f"exported_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_activation_of_mlpviz_has_a_torch_module():
    assert set(TORCH_ACTIVATIONS) == set(ACTIVATIONS)


@pytest.mark.parametrize("name", NETWORKS)
def test_the_script_holds_the_weights_exactly_as_literals(name):
    net = trained(NETWORKS[name])
    values = literals(pytorch_script(net, "a description"))
    assert values["LAYER_SIZES"] == list(net.layer_sizes)
    assert values["ACTIVATIONS"] == list(net.activations)
    assert len(values["WEIGHTS"]) == len(net.weights) == len(values["BIASES"])
    for W, b, W_text, b_text in zip(net.weights, net.biases, values["WEIGHTS"], values["BIASES"]):
        assert np.array_equal(np.array(W_text), W)  # bit for bit, shapes included
        assert np.array_equal(np.array(b_text), b)
    assert np.array_equal(
        np.array(values["CHECK_PROBA"]), net.predict_proba(values["CHECK_POINTS"])
    )


def test_the_script_uses_no_pickle_and_no_eval():
    script = pytorch_script(trained(NETWORKS["every activation"]))
    for word in ("pickle", "eval(", "exec(", "np.load", "torch.load"):
        assert word not in script


def test_a_network_that_diverged_is_refused_with_a_reason(tmp_path):
    net = trained(NETWORKS["three classes"])
    net.params[3] = np.nan
    with pytest.raises(ModelError, match="not finite"):
        save_pytorch_script(net, tmp_path / "model.py")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("name", NETWORKS)
def test_the_script_reproduces_mlpviz_in_pytorch(name, tmp_path):
    torch = torch_or_skip()
    net = trained(NETWORKS[name])
    save_pytorch_script(net, tmp_path / f"model_{name.replace(' ', '_')}.py")
    module = load_script(next(tmp_path.iterdir()))
    model = module.build_model()
    assert isinstance(model, torch.nn.Sequential)
    x = np.random.default_rng(5).normal(0.0, 3.0, (50, net.layer_sizes[0]))
    proba = module.predict_proba(x)
    assert proba.shape == (50, net.layer_sizes[-1])  # (m, 1) for a binary net
    np.testing.assert_allclose(proba, net.predict_proba(x), rtol=0, atol=1e-6)
    with torch.no_grad():
        logits = model(torch.as_tensor(x)).numpy()  # up to the logits, as PyTorch trains it
    np.testing.assert_allclose(logits, net.logits(x), rtol=1e-9, atol=1e-9)


def test_running_the_script_prints_the_architecture_and_its_check(tmp_path):
    torch_or_skip()
    path = tmp_path / "model.py"
    save_pytorch_script(trained(NETWORKS["every activation"]), path)
    result = subprocess.run(
        [sys.executable, str(path)], capture_output=True, text=True, timeout=120, check=True
    )
    assert "Sequential(" in result.stdout and "LeakyReLU(negative_slope=0.01)" in result.stdout
    assert "check on 5 points" in result.stdout and "(OK)" in result.stdout
