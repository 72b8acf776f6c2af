"""Fixed-window rate limits kept in Django's cache, so every web process shares the counts.

A fixed window is cruder than a sliding log but needs one atomic ``incr`` per
request, which both the database cache and Redis provide.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from django.core.cache import cache

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Limit:
    scope: str  # "demo" or "code": what is being counted
    count: int
    window: int  # seconds


def _now() -> float:
    """A seam for tests that need to move across a window boundary."""
    return time.time()


def hit(limit: Limit, identity: str) -> int | None:
    """Count one request; None if allowed, else the seconds until the window resets."""
    now = _now()
    window_index = int(now // limit.window)
    key = f"sandbox:rate:{limit.scope}:{identity}:{window_index}"
    try:
        count = _count(key, limit.window + 1)
    except Exception as exc:  # the cache is Redis too: when it is down, the run still gets saved (fail open)
        log.warning("rate limit not checked, cache unavailable: %s", exc)
        return None
    if count <= limit.count:
        return None
    return max(1, int((window_index + 1) * limit.window - now + 0.999))


def _count(key: str, timeout: int) -> int:
    # add() is a no-op when the key exists, so concurrent first requests do not reset each other.
    cache.add(key, 0, timeout=timeout)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr: this request starts the window
        cache.set(key, 1, timeout=timeout)
        return 1
