"""A trained network written out as a standalone PyTorch script (``model.py``).

The script needs only ``torch`` and ``numpy``. It holds the weights as Python float literals
(``repr`` of each value, which reads back as exactly the same float: no pickle, nothing to
load beside it) and defines ``build_model()``, the network up to the logits as a
``torch.nn.Sequential`` (what PyTorch code trains with ``BCEWithLogitsLoss`` or
``CrossEntropyLoss``), and ``predict_proba(x)``, which applies the sigmoid or the softmax like
``MLP.predict_proba``. Run as a script, it prints the architecture and compares its
probabilities on a few points with the ones mlpviz computed.
"""

from __future__ import annotations

import json
import os

import numpy as np

from .. import __version__
from .activations import LEAKY_SLOPE
from .atomic import write_text_atomically
from .errors import ModelError
from .network import MLP

# The torch.nn module of every activation in mlpviz.core.activations (a test checks that none
# is missing): the same function, so the script reproduces mlpviz's numbers.
TORCH_ACTIVATIONS = {
    "sigmoid": "torch.nn.Sigmoid()",
    "tanh": "torch.nn.Tanh()",
    "relu": "torch.nn.ReLU()",
    "leaky_relu": "torch.nn.LeakyReLU(LEAKY_SLOPE)",  # max(0.01 z, z), as in mlpviz
    "linear": "torch.nn.Identity()",
}
CHECK_POINTS = 5  # points the script checks itself on
CHECK_SEED = 0


def pytorch_script(net: MLP, description: str = "") -> str:
    """The text of a Python script rebuilding ``net`` in PyTorch (see the module docstring).

    ``description`` (e.g. the dataset and the iteration) goes into the script's docstring.
    Raises ModelError when a weight is not finite (a diverged network has no literal).
    """
    for name in net.activations:
        if name not in TORCH_ACTIVATIONS:
            raise ModelError(f"the activation {name!r} has no PyTorch equivalent here")
    if not np.isfinite(net.params).all():
        raise ModelError(
            "the network has weights that are not finite numbers: go back on "
            "the timeline to an iteration before training diverged"
        )
    points = np.random.default_rng(CHECK_SEED).normal(0.0, 2.0, (CHECK_POINTS, net.layer_sizes[0]))
    parts = [
        _header(net, description),
        _constants(net),
        _literal_list("WEIGHTS", net.weights, "W[l]: (n_l, n_{l-1}), as nn.Linear.weight"),
        _literal_list("BIASES", net.biases, "b[l]: (n_l,)"),
        f"# a few points x: (m, {net.layer_sizes[0]}) and the probabilities mlpviz gave them\n"
        f"CHECK_POINTS = {_literal(points, 0)}\n"
        f"CHECK_PROBA = {_literal(net.predict_proba(points), 0)}\n",
        _CODE,
    ]
    return "\n".join(parts)


def save_pytorch_script(net: MLP, path: str | os.PathLike, description: str = "") -> None:
    """Write ``pytorch_script(net, description)`` to ``path`` atomically."""
    write_text_atomically(path, pytorch_script(net, description))


def _header(net: MLP, description: str) -> str:
    n_in, n_out = net.layer_sizes[0], net.layer_sizes[-1]
    output, loss = (
        ("sigmoid", "BCEWithLogitsLoss") if n_out == 1 else ("softmax", "CrossEntropyLoss")
    )
    hidden = ", ".join(net.activations) or "no hidden layer"
    about = f"\n\n{description}" if description else ""
    return f'''"""An MLP trained in mlpviz {__version__}, as a PyTorch model.

Layers {list(net.layer_sizes)}; hidden activations: {hidden}; output: {output}.{about}

Needs only torch and numpy:

    from model import build_model, predict_proba
    model = build_model()   # torch.nn.Sequential up to the logits, with the trained weights
    p = predict_proba(x)    # x: (m, {n_in}) NumPy array -> (m, {n_out}) probabilities

To train it further, use torch.nn.{loss} on the logits, as mlpviz does.
The model is in float64, like mlpviz; model.float() and float32 inputs train faster.
Running this file prints the architecture and checks it against mlpviz on a few points.
"""

import numpy as np
import torch
'''


def _constants(net: MLP) -> str:
    return (
        f"LAYER_SIZES = {list(net.layer_sizes)}\n"
        f"ACTIVATIONS = {json.dumps(list(net.activations))}  # of the hidden layers, in order\n"
        f"LEAKY_SLOPE = {LEAKY_SLOPE!r}\n"
        "DTYPE = torch.float64\n"
    )


def _literal_list(name: str, arrays: list[np.ndarray], comment: str) -> str:
    """``NAME = [...]`` with one array per item."""
    body = "".join(f"    {_literal(array, 1)},\n" for array in arrays)
    return f"# {comment}\n{name} = [\n{body}]\n"


def _literal(array: np.ndarray, depth: int) -> str:
    """A vector on one line, a matrix one row per line, indented for nesting ``depth``.

    ``repr`` of a float is the shortest text that Python reads back as exactly that float.
    """
    values = np.asarray(array, dtype=np.float64).tolist()
    if np.ndim(array) == 1:
        return "[" + ", ".join(map(repr, values)) + "]"
    indent = "    " * (depth + 1)
    rows = "".join(f"{indent}[{', '.join(map(repr, row))}],\n" for row in values)
    return f"[\n{rows}{'    ' * depth}]"


_ACTIVATION_TABLE = "\n".join(
    f'        "{name}": {module},' for name, module in TORCH_ACTIVATIONS.items()
)
_CODE = f'''
def _activation(name):
    """The torch.nn module of an mlpviz activation."""
    return {{
{_ACTIVATION_TABLE}
    }}[name]


def build_model():
    """The network up to the logits, with the trained weights: a torch.nn.Sequential."""
    layers = []
    for index, (W, b) in enumerate(zip(WEIGHTS, BIASES)):
        weight = torch.tensor(W, dtype=DTYPE)
        linear = torch.nn.Linear(weight.shape[1], weight.shape[0], dtype=DTYPE)
        with torch.no_grad():
            linear.weight.copy_(weight)
            linear.bias.copy_(torch.tensor(b, dtype=DTYPE))
        layers.append(linear)
        if index < len(ACTIVATIONS):
            layers.append(_activation(ACTIVATIONS[index]))
    return torch.nn.Sequential(*layers)


def predict_proba(x, model=None):
    """Probabilities for x: (m, n_inputs) -> (m, n_outputs), like mlpviz's MLP.predict_proba.

    One output: the sigmoid of its logit, shape (m, 1). K outputs: the softmax, (m, K).
    """
    model = build_model() if model is None else model
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 2 or x.shape[1] != LAYER_SIZES[0]:
        raise ValueError(f"x must have shape (m, {{LAYER_SIZES[0]}}), got {{x.shape}}")
    dtype = next(model.parameters()).dtype
    with torch.no_grad():
        logits = model(torch.as_tensor(x, dtype=dtype))
        if logits.shape[1] == 1:
            return torch.sigmoid(logits).numpy()
        return torch.softmax(logits, dim=1).numpy()


if __name__ == "__main__":
    model = build_model()
    print(model)
    difference = np.abs(predict_proba(CHECK_POINTS, model) - np.array(CHECK_PROBA)).max()
    verdict = "OK" if difference <= 1e-6 else "DIFFERENT"
    print(f"check on {{len(CHECK_POINTS)}} points: largest difference from mlpviz "
          f"{{difference:.1e}} ({{verdict}})")
'''
