"""Error types carrying a message a user can act on, and how messages echo file content.

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
    """Training produced a non-finite loss or parameters; the last update was undone.

    ``loss`` is the batch J the diverging update started from (inf or NaN when J blew up).
    """

    def __init__(self, message: str, loss: float = float("nan")) -> None:
        super().__init__(message)
        self.loss = loss


class SessionError(MlpvizError):
    """A session file is invalid, or a session operation cannot be done."""


MAX_SHOWN = 60
"""Longest text from a file that a message echoes; longer text is cut and ends in "…"."""


def shown(text: str, limit: int = MAX_SHOWN) -> str:
    """``text`` read from a file, fit for a one-line message: control characters escaped and
    cut to ``limit`` characters plus "…", so a crafted file cannot flood a dialog or a terminal."""
    head = text[: limit + 1]  # escaping only what can be shown keeps huge inputs cheap
    if not head.isprintable():
        head = repr(head)[1:-1]
    return head if len(head) <= limit else head[:limit] + "…"
