"""Fair use of the queues: a cap on active runs per visitor and per IP, and the wait shown to whoever waits.

The rate limits (``sandbox/ratelimit.py``) bound how often someone may click; they do
not bound how much work one person has waiting at once, and accounts are free to make:
three fresh accounts once queued 30 runs from one IP in a second, and another visitor's
demo waited 44 s behind them. So a new run is refused while its visitor (their account,
or their anonymous session) or their IP address already has this many queued or running:

* ``SANDBOX_ACTIVE_RUNS_PER_VISITOR`` — per account when signed in, else per visitor;
* ``SANDBOX_ACTIVE_RUNS_PER_IP`` — all accounts and sessions behind one address together.

Joining an identical demo run that is already under way creates nothing and is never refused.
Each kind of run also has its own queue (``queues.py``), so a backlog of code runs does not
hold up demos; what is left of waiting is shown as a place in line and an estimated wait.
"""

from __future__ import annotations

import statistics
import zlib
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.models import Q
from django.utils import timezone

from sandbox.jobs.models import Run

# Until a queue has finished runs to learn from, a guess per kind (seconds): code runs start a
# fresh interpreter in the sandbox; demos measure things and take longer.
DEFAULT_DURATION = {Run.Kind.CODE: 5.0, Run.Kind.DEMO: 15.0, Run.Kind.EXERCISE: 5.0, Run.Kind.VALIDATION: 20.0}
RECENT_RUNS = 20
DURATION_CACHE_SECONDS = 30


class TooManyActiveRuns(Exception):
    """Refused: the message names the limit; ``retry_after`` is our estimate of when a slot frees up."""

    def __init__(self, message: str, retry_after: int):
        super().__init__(message)
        self.message = message
        self.retry_after = retry_after


@dataclass(frozen=True)
class Cap:
    who: str  # "account", "visitor" or "IP address": named in the message
    limit: int
    runs: Any  # the active runs counted against it


def _caps(owner: dict[str, Any]) -> list[Cap]:
    active = Run.objects.active()
    caps = []
    if owner.get("user_id"):
        caps.append(Cap("account", settings.SANDBOX_ACTIVE_RUNS_PER_VISITOR, active.filter(user_id=owner["user_id"])))
    elif owner.get("session_key"):
        caps.append(
            Cap("visitor", settings.SANDBOX_ACTIVE_RUNS_PER_VISITOR, active.filter(session_key=owner["session_key"]))
        )
    if owner.get("ip"):
        caps.append(Cap("IP address", settings.SANDBOX_ACTIVE_RUNS_PER_IP, active.filter(client_ip=owner["ip"])))
    return caps


def serialize_per_ip(owner: dict[str, Any]) -> None:
    """Inside a transaction: make concurrent submissions from one IP count one after another.

    SQLite already serialises write transactions (the settings open them IMMEDIATE); on
    PostgreSQL a transaction-scoped advisory lock keyed by the address does it.
    """
    if connection.vendor == "postgresql" and owner.get("ip"):
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [0x5B0C, zlib.crc32(owner["ip"].encode()) - 2**31])


def check_active_runs(owner: dict[str, Any]) -> None:
    """Raise TooManyActiveRuns if one more run would put this visitor or IP over a cap."""
    for cap in _caps(owner):
        count = cap.runs.count()
        if count >= cap.limit:
            oldest = cap.runs.order_by("queued_at").first()
            retry_after = _seconds_until_done(oldest) if oldest else 1
            raise TooManyActiveRuns(
                f"Too many active runs: at most {cap.limit} queued or running at once per {cap.who}, "
                f"and {count} are. Wait for one to finish; try again in about {retry_after} s.",
                retry_after,
            )


@dataclass(frozen=True)
class Typical:
    """A median running time, and how many finished runs it is the median of (0: DEFAULT_DURATION's guess)."""

    seconds: float
    runs: int


def typical_duration(kind: str) -> float:
    """Median running time of the last few successful runs of this kind (cached briefly), else a guess."""
    return _typical(kind, "").seconds


def demo_duration(demo: str) -> Typical:
    """This demo's own median: one demo prints a table in 2 s, another benchmarks for 40 s, and the
    median of all demos fits neither."""
    return _typical(Run.Kind.DEMO, demo)


def _typical(kind: str, demo: str) -> Typical:
    key = f"sandbox:typical-duration:{kind}:{demo}"
    try:
        cached = cache.get(key)
    except Exception:  # the cache is Redis: during an outage the answer is computed, not lost
        cached = None
    if cached is not None:
        return Typical(*cached)
    finished = Run.objects.filter(kind=kind, state=Run.State.SUCCEEDED,
                                  started_at__isnull=False, finished_at__isnull=False)
    if demo:
        finished = finished.filter(demo=demo)
    recent = finished.order_by("-finished_at").values_list("started_at", "finished_at")[:RECENT_RUNS]
    durations = [(end - start).total_seconds() for start, end in recent]
    if durations:
        value = Typical(statistics.median(durations), len(durations))
    else:
        value = Typical(DEFAULT_DURATION.get(kind, 10.0), 0)
    try:
        cache.set(key, (value.seconds, value.runs), DURATION_CACHE_SECONDS)
    except Exception:
        pass
    return value


def run_estimate(run: Run) -> dict[str, Any] | None:
    """For a run that waits or runs: about when it will be done, and what that is based on.

    The basis is the median of this demo's recent successful runs (a code run: of recent code runs);
    a queued run adds its estimated wait in line. None once the run is over.
    """
    if run.is_final:
        return None
    typical = demo_duration(run.demo) if run.demo else _typical(run.kind, "")
    if run.state == Run.State.RUNNING and run.started_at:
        left = typical.seconds - (timezone.now() - run.started_at).total_seconds()
    else:
        left = (wait_in_line(run) or {}).get("estimated_wait_s", 0) + typical.seconds
    runs = f"{typical.runs} run{'s' if typical.runs != 1 else ''}"
    if typical.runs:
        of = f"this demo's last {runs}" if run.demo else f"the last {runs} of this kind"
        basis = f"usually {_duration_text(typical.seconds)}: the median of {of}"
    else:
        basis = f"no finished runs to go by yet, so {_duration_text(typical.seconds)} is a guess"
    message = f"about {_duration_text(left)} left ({basis})" if left >= 1 else f"taking longer than usual ({basis})"
    return {"typical_s": round(typical.seconds, 1), "based_on_runs": typical.runs,
            "remaining_s": max(0, round(left)), "message": message}


def _duration_text(seconds: float) -> str:
    """'4 s', '95 s', '3 min': whole seconds up to two minutes, then whole minutes."""
    return f"{max(1, round(seconds))} s" if seconds < 120 else f"{round(seconds / 60)} min"


def _seconds_until_done(run: Run) -> int:
    typical = typical_duration(run.kind)
    if run.state == Run.State.RUNNING and run.started_at:
        remaining = typical - (timezone.now() - run.started_at).total_seconds()
    else:
        remaining = typical * (1 + (wait_in_line(run) or {}).get("ahead", 0))
    return max(1, round(remaining))


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def wait_in_line(run: Run) -> dict[str, Any] | None:
    """For a queued run: its place on its queue and an estimated wait; None once it has started.

    ``ahead`` counts runs queued earlier on the same queue; ``running`` those already on a worker
    of that queue, which also tells how many run side by side. The estimate is the queue's typical
    run time times the rounds of work in front of this one.
    """
    if run.state != Run.State.QUEUED:
        return None
    same_queue = Run.objects.filter(queue=run.queue)
    ahead = (
        same_queue.filter(state=Run.State.QUEUED, cancel_requested=False)
        .filter(Q(queued_at__lt=run.queued_at) | Q(queued_at=run.queued_at, id__lt=run.id))
        .count()
    )
    running = same_queue.filter(state=Run.State.RUNNING).count()
    parallel = max(running, 1)
    rounds = (ahead + running) / parallel
    estimate = round(typical_duration(run.kind) * rounds)
    position = ahead + 1
    if ahead + running == 0:
        message = "waiting for a worker: next in line"
    else:
        message = f"waiting for a worker: {_ordinal(position)} in line, about {estimate} s"
    return {
        "queue": run.queue,
        "position": position,
        "ahead": ahead,
        "running": running,
        "estimated_wait_s": estimate,
        "message": message,
    }

