"""The periodic sweep: no run stays ``queued`` or ``running`` forever.

* ``running`` with an expired lease: its worker died (SIGKILL, OOM, host lost).
  With attempts left it goes back to ``queued`` and is re-sent; otherwise, or once
  it has been going longer than the hard time limit, it fails with a reason.
* ``queued`` that the broker never accepted (it was down when the visitor clicked),
  or that has waited longer than SANDBOX_QUEUED_RESEND_AFTER: the message is
  re-sent (a duplicate is harmless, claims are idempotent).
* ``queued`` past SANDBOX_QUEUED_DEADLINE: failed visibly rather than spinning forever.

Run by Celery beat (``sandbox.sweep_runs``) and by ``manage.py sweep_runs``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import timedelta

from django.conf import settings
from django.db.models import F, Q, Value
from django.db.models.functions import Concat
from django.utils import timezone

from sandbox.jobs.dispatch import enqueue
from sandbox.jobs.models import Run


@dataclass
class SweepReport:
    requeued: int = 0
    failed_running: int = 0
    resent: int = 0
    failed_queued: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


# The most grades one validation run makes: the reference on two seeds and up to six wrong solutions
# (questions.exercises.authoring reads both limits from here, so the time limit covers what it does).
VALIDATION_SEEDS = (0, 1)
MAX_WRONG_SOLUTIONS = 6
VALIDATION_GRADES = len(VALIDATION_SEEDS) + MAX_WRONG_SOLUTIONS


def hard_time_limit(kind: str) -> int:
    """Seconds after which a run's task is killed (the Celery ``time_limit``); tasks.py reads it too."""
    if kind == Run.Kind.DEMO:
        return settings.SANDBOX_DEMO_TIME_LIMIT
    if kind == Run.Kind.EXERCISE:  # the sandboxed child's wall clock plus the worker's own inputs and oracle
        return settings.SANDBOX_CODE_TIMEOUT + settings.EXERCISE_GRADING_SECONDS + 60
    if kind == Run.Kind.VALIDATION:  # one grade per reference seed and per wrong solution, each bounded as above
        return VALIDATION_GRADES * (settings.SANDBOX_CODE_TIMEOUT + settings.EXERCISE_GRADING_SECONDS) + 60
    return settings.SANDBOX_CODE_TIMEOUT + 60



def sweep(now=None) -> SweepReport:
    now = now or timezone.now()
    report = SweepReport()
    _sweep_orphaned(now, report)
    _sweep_queued(now, report)
    return report


def _sweep_orphaned(now, report: SweepReport) -> None:
    for run in Run.objects.filter(state=Run.State.RUNNING, lease_expires_at__lt=now):
        mine = Run.objects.filter(pk=run.pk, state=Run.State.RUNNING, attempts=run.attempts, lease_expires_at__lt=now)
        past_hard_limit = run.started_at and now - run.started_at > timedelta(seconds=hard_time_limit(run.kind))
        if run.cancel_requested:
            mine.update(state=Run.State.CANCELLED, finished_at=now, lease_expires_at=None, error="Cancelled.")
        elif past_hard_limit:
            if mine.update(
                state=Run.State.FAILED, finished_at=now, lease_expires_at=None,
                error=f"The run exceeded its hard time limit of {hard_time_limit(run.kind)} s and its worker was stopped.",
            ):  # fmt: skip
                report.failed_running += 1
        elif run.attempts >= settings.SANDBOX_MAX_ATTEMPTS:
            if mine.update(
                state=Run.State.FAILED, finished_at=now, lease_expires_at=None,
                error=f"The worker running this stopped responding {run.attempts} times; giving up.",
            ):  # fmt: skip
                report.failed_running += 1
        elif mine.update(
            state=Run.State.QUEUED, lease_expires_at=None, enqueued_at=None,
            progress=0, progress_message="its worker stopped responding; queued again",
            logs=Concat(F("logs"), Value(f"\nattempt {run.attempts}: the worker stopped responding; queued again")),
        ):  # fmt: skip
            report.requeued += 1
            run.refresh_from_db()
            enqueue(run)


def _sweep_queued(now, report: SweepReport) -> None:
    deadline = now - timedelta(seconds=settings.SANDBOX_QUEUED_DEADLINE)
    expired = Run.objects.filter(state=Run.State.QUEUED, queued_at__lt=deadline)
    report.failed_queued = expired.update(
        state=Run.State.FAILED,
        finished_at=now,
        error=(
            f"No worker started this run within {settings.SANDBOX_QUEUED_DEADLINE // 60} minutes; "
            "the task queue or its workers are down. Please try again later."
        ),
    )
    stale = now - timedelta(seconds=settings.SANDBOX_QUEUED_RESEND_AFTER)
    for run in Run.objects.filter(state=Run.State.QUEUED, cancel_requested=False).filter(
        Q(enqueued_at__isnull=True) | Q(enqueued_at__lt=stale)
    ):
        if enqueue(run):
            report.resent += 1
