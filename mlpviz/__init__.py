"""mlpviz: watch a neural network learn.

`mlpviz.core` is the NumPy engine (no Qt); `mlpviz.gui` is the desktop application.
"""

__version__ = "0.1.0"
