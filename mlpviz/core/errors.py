"""Error types carrying a message a user can act on.

The GUI shows ``str(error)`` in a dialog; the CLI prints it on one line and exits 2.
"""


class MlpvizError(Exception):
    """Base class of every error mlpviz reports to a user."""


class DatasetError(MlpvizError):
    """A dataset file or a dataset operation is invalid."""


class ModelError(MlpvizError):
    """A model file is invalid or does not match what was asked."""


class ConfigError(MlpvizError, ValueError):
    """A network or training setting is out of range."""


class DivergenceError(MlpvizError):
    """Training produced a non-finite loss or parameters; the last update was undone."""


class SessionError(MlpvizError):
    """A session file is invalid, or a session operation cannot be done."""
