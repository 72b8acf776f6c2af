"""Which code sandbox backends can start here (imported by the tests that run real code)."""

from __future__ import annotations

import os

import pytest

from sandbox.jail.runner import BubblewrapSandbox, RlimitSandbox, Sandbox


def require(cls: type[Sandbox]) -> Sandbox:
    """An instance of ``cls``, or a skip with the reason — a failure under CI=true, where it must run."""
    if not cls.available():
        reason = f"{cls.mode} sandbox cannot start here: {cls.probe().detail or 'no reason given'}"
        if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
            pytest.fail(f"CI=true but {reason}")
        pytest.skip(reason)
    return cls()


def require_any() -> None:
    """Skip unless some backend can run code (the tests that go through ``execute``)."""
    if not BubblewrapSandbox.available() and not RlimitSandbox.available():
        pytest.skip("no sandbox backend can start here")
