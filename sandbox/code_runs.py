"""Are code runs on? A startup check, cached so that no page pays for it.

Each worker checks its own sandbox when it starts (``tasks.warm_up``) and leaves the
verdict in the shared cache: the worker is what runs code, so its word counts. Until a
worker has spoken (or when the cache was cleared), the web process checks the same
machine facts itself, once per process. The page
then says *before* Run that code runs are off, why, and the one command that fixes it.
"""

from __future__ import annotations

import logging
from functools import lru_cache

from django.conf import settings
from django.core.cache import cache
from django.dispatch import Signal

from sandbox.jail.diagnosis import Diagnosis, diagnose
from sandbox.jail.runner import MB, Limits

log = logging.getLogger(__name__)

WORKER_KEY = "sandbox:code-runs:worker"
WORKER_TTL = 24 * 3600  # a worker re-reports at every start

# Sent when a worker's verdict differs from the one published before: pages that carry the notice
# (and any cache of them) are out of date. Receivers get ``verdict`` (a Diagnosis).
verdict_changed = Signal()


def report_from_worker() -> Diagnosis:
    """Called once per worker process: check this worker's sandbox and publish the verdict."""
    verdict = diagnose(settings.SANDBOX_BACKEND)
    try:
        previous = cache.get(WORKER_KEY)
        cache.set(WORKER_KEY, verdict.as_dict(), WORKER_TTL)
    except Exception:  # the cache is Redis: a worker that cannot publish still runs code
        log.warning("could not publish the sandbox status", exc_info=True)
    else:
        if previous != verdict.as_dict():
            verdict_changed.send(sender=Diagnosis, verdict=verdict)
    if not verdict.available:
        log.warning("code runs are off on this worker: %s; fix: %s", verdict.reason, verdict.fix)
    return verdict


@lru_cache(maxsize=1)
def _local_verdict(backend: str) -> Diagnosis:
    return diagnose(backend)


def current() -> Diagnosis:
    """The verdict the page shows: the newest worker's, else this process's own check."""
    try:
        reported = cache.get(WORKER_KEY)
    except Exception:
        reported = None
    if reported:
        return Diagnosis(**reported)
    return _local_verdict(settings.SANDBOX_BACKEND)


def off_notice() -> dict[str, str] | None:
    """What the page says when code runs are off; None when they work."""
    verdict = current()
    if verdict.available:
        return None
    return {
        "sentence": f"Code runs are off on this server: {verdict.reason}.",
        "fix": verdict.fix,
    }


def limits_sentence() -> str:
    """The limits as pages state them before a run: "30 s wall clock, 4 GB memory, no network" (from settings)."""
    limits = Limits.from_settings()
    gigabytes = limits.memory_bytes / (1024 * MB)
    memory = f"{gigabytes:g} GB" if gigabytes >= 1 else f"{limits.memory_bytes // MB} MB"
    return f"{limits.wall_seconds:g} s wall clock, {memory} memory, no network"
