"""The core stays usable without Qt: importing it must not import PySide6."""

import subprocess
import sys


def test_importing_the_core_does_not_import_qt():
    code = (
        "import sys, mlpviz.core, mlpviz.core.datasets, mlpviz.core.config, "
        "mlpviz.core.snapshot, mlpviz.core.digits, mlpviz.core.mnist, "
        "mlpviz.core.digit_views, mlpviz.core.drawing; "
        "print(sorted(m for m in sys.modules if m.startswith(('PySide6', 'pyqtgraph'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
