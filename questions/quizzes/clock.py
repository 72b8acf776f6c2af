"""The quiz clock: the one place quiz code asks for the time.

Deadlines, grace periods and review due dates all read ``now()`` from here, so a
test can freeze or move time with ``monkeypatch.setattr(clock, "now", ...)``
(or the ``frozen_clock`` fixture) without patching Django or the datetime module.
"""
from __future__ import annotations

from datetime import datetime

from django.utils import timezone


def now() -> datetime:
    """The current time, timezone-aware (UTC)."""
    return timezone.now()
