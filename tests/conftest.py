"""Test set-up: Qt runs offscreen when there is no display, so the suite passes headless."""

import os
import sys

if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

# The worker limits BLAS threads itself; keep test runs deterministic and light on 2 cores.
os.environ.setdefault("OMP_NUM_THREADS", "1")

sys.dont_write_bytecode = True
