"""Fixtures shared by the engine tests."""

import pytest


@pytest.fixture(scope="module")
def fuzz_dir(tmp_path_factory):
    """One folder for a module's fuzz tests, whose examples overwrite their file: a fresh
    numbered folder per example costs more than the example itself."""
    return tmp_path_factory.mktemp("fuzz")
