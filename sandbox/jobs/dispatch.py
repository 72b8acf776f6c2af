"""Creating runs and handing them to Celery.

The row is written first and the message sent second, so a broker outage never
loses a request: the run stays ``queued`` with ``enqueued_at`` empty, the visitor
is told, and the sweep sends it again once the broker answers.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from celery import current_app
from django.db import transaction
from django.utils import timezone
from kombu.exceptions import OperationalError

from engine.environment import ENGINE_VERSION
from sandbox.jobs import fairness, queues
from sandbox.jobs.cache_keys import params_digest
from sandbox.jobs.models import Run
from sandbox.validation import CodeRequest, DemoRequest, ExerciseRequest

log = logging.getLogger(__name__)

BROKER_DOWN_MESSAGE = (
    "Saved, but the task queue is unreachable right now; the run will start automatically when it is back."
)
# Errors a publish can raise when the broker is down or unreachable.
BROKER_ERRORS: tuple[type[BaseException], ...] = (OperationalError, ConnectionError, OSError)


@dataclass(frozen=True)
class Submission:
    run: Run
    enqueued: bool  # False: the broker refused; the sweep will re-send
    joined: bool  # True: an identical demo run was already under way, and this is it


def submit(
    request: DemoRequest | CodeRequest | ExerciseRequest,
    owner: dict[str, Any],
    attach: Callable[[Run], None] | None = None,
) -> Submission:
    """Create (or join) a run and enqueue it; raises fairness.TooManyActiveRuns over a cap.

    ``attach(run)`` runs inside the transaction that saves the run, before the message is sent: an app
    that keeps its own record of the run (an exercise submission) writes it there, so the two exist
    together or not at all, and no worker can finish a run whose record is not written yet.
    """
    if isinstance(request, DemoRequest):
        # Identical requests while one is under way share it: ten clicks, one measurement.
        existing = (
            Run.objects.active()
            .filter(
                kind=Run.Kind.DEMO,
                demo=request.demo,
                params_digest=params_digest(request.params),
                engine_version=ENGINE_VERSION,
                cancel_requested=False,
            )
            .first()
        )
        if existing is not None:
            return Submission(existing, enqueued=existing.enqueued_at is not None, joined=True)
        run = Run(kind=Run.Kind.DEMO, demo=request.demo, params=request.params, queue=request.queue)
    elif isinstance(request, ExerciseRequest):
        run = Run(kind=Run.Kind.EXERCISE, code=request.code, params=request.params, queue=request.queue)
    else:
        run = Run(kind=Run.Kind.CODE, code=request.code, queue=request.queue)
    run.engine_version = ENGINE_VERSION
    run.user_id = owner.get("user_id")
    run.session_key = owner.get("session_key") or ""
    run.client_ip = owner.get("ip")
    with transaction.atomic():  # count and insert together, or two clicks at once could both fit under the cap
        fairness.serialize_per_ip(owner)
        fairness.check_active_runs(owner)  # raises TooManyActiveRuns
        run.save()
        if attach is not None:
            attach(run)
    return Submission(run, enqueued=enqueue(run), joined=False)


def enqueue(run: Run) -> bool:
    """Publish the run's message; False (and a visible note on the run) when the broker is down."""
    # By name: the task module sits above the job queue and is never imported from here. A signature
    # (rather than send_task) still honours CELERY_TASK_ALWAYS_EAGER once the worker's tasks are registered.
    task = current_app.signature(queues.task_name(run.kind), args=[str(run.pk)])
    try:
        # No publish retries: a click must get an answer now, and the sweep retries for us.
        result = task.apply_async(queue=run.queue, retry=False)
    except BROKER_ERRORS as exc:
        log.warning("broker unavailable for run %s: %s", run.pk, exc)
        Run.objects.filter(pk=run.pk, state=Run.State.QUEUED).update(progress_message=BROKER_DOWN_MESSAGE)
        run.progress_message = BROKER_DOWN_MESSAGE
        return False
    now = timezone.now()
    Run.objects.filter(pk=run.pk).update(task_id=result.id, enqueued_at=now)
    # Conditional: under eager Celery (tests) the run has already finished by now.
    Run.objects.filter(pk=run.pk, state=Run.State.QUEUED).update(progress_message="waiting for a worker")
    run.refresh_from_db()
    return True


def cancel(run: Run) -> bool:
    """Cancel a queued run at once, or ask a running one to stop. False if it already finished."""
    with transaction.atomic():
        stopped_queued = Run.objects.filter(pk=run.pk, state=Run.State.QUEUED).update(
            state=Run.State.CANCELLED, cancel_requested=True, finished_at=timezone.now(), progress_message="cancelled"
        )
        if not stopped_queued:
            asked = Run.objects.filter(pk=run.pk, state=Run.State.RUNNING).update(
                cancel_requested=True, progress_message="cancelling…"
            )
            if not asked:
                return False
    run.refresh_from_db()
    return True
