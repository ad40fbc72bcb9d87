"""Test set-up: Qt runs offscreen when there is no display, so the suite passes headless,
and no test reads or writes the user's real mlpviz settings."""

import os
import sys
import tempfile

import pytest

if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

# The worker limits BLAS threads itself; keep test runs deterministic and light on 2 cores.
os.environ.setdefault("OMP_NUM_THREADS", "1")
# QSettings on Linux lives under XDG_CONFIG_HOME: a throw-away one for the whole session.
os.environ["XDG_CONFIG_HOME"] = tempfile.mkdtemp(prefix="mlpviz-test-config-")

sys.dont_write_bytecode = True


@pytest.fixture(autouse=True)
def _fresh_settings_per_test(tmp_path, monkeypatch):
    """``MainWindow()`` reads and saves QSettings: each test starts from the defaults.

    Only where Qt is already loaded, so the core tests stay free of Qt. Autosave files go
    to a data folder of the test's own (XDG_DATA_HOME).
    """
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    qt_core = sys.modules.get("PySide6.QtCore")
    if qt_core is not None:
        folder = str(tmp_path / "settings")
        for settings_format in (qt_core.QSettings.NativeFormat, qt_core.QSettings.IniFormat):
            qt_core.QSettings.setPath(settings_format, qt_core.QSettings.UserScope, folder)
    yield


@pytest.fixture
def inference_calls(monkeypatch):
    """A list that grows by the network each time an MLP evaluates samples for inference
    (``MLP._inference_logits``): what tests of caches count."""
    from mlpviz.core.network import MLP

    calls = []
    original = MLP._inference_logits

    def counted(self, *args, **kwargs):
        calls.append(self)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(MLP, "_inference_logits", counted)
    return calls
