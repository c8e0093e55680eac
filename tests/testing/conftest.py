"""The plugin's tests run pytest inside pytest (``pytester``). pytest-playwright (the
service's browser tests) wraps every test call in one process-wide soft-assertion scope,
which an inner run in the same process would open a second time: the inner runs go
without it."""

from __future__ import annotations

import pytest


@pytest.fixture
def pytester(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    # Set after pytester's own set-up, which clears PYTEST_ADDOPTS.
    monkeypatch.setenv("PYTEST_ADDOPTS", "-p no:playwright")
    return pytester
