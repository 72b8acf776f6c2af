"""Celery tasks: thin wrappers that give each kind of run its time limits.

This module sits on top of the job queue: it imports execution and the sweep, and
nothing in ``sandbox`` imports it (runs are published by task name, see
``sandbox/jobs/queues.py``), so there is no import loop to hide inside functions.

Every run task is safe to deliver more than once (acks_late + reject_on_worker_lost
mean a killed worker's message comes back): ``execute`` claims the run with a
conditional UPDATE, so a second delivery for a finished or held run does nothing.
"""

from __future__ import annotations

import logging

from celery import shared_task
from celery.signals import worker_process_init
from django.conf import settings

from questions.exercises.authoring.validate import validate_run
from questions.exercises.worker import grade_run
from sandbox import code_runs
from sandbox.jobs import queues
from sandbox.jobs.execution import execute
from sandbox.jobs.models import Run
from sandbox.jobs.sweep import hard_time_limit, sweep

log = logging.getLogger(__name__)


def run_task(name: str, *, soft_time_limit: int, time_limit: int):
    """The decorator of every run task: a killed worker's message comes back (acks_late +
    reject_on_worker_lost) and ``execute`` claims the run once, whichever delivery arrives."""
    return shared_task(name=name, acks_late=True, reject_on_worker_lost=True,
                       soft_time_limit=soft_time_limit, time_limit=time_limit)


@run_task(queues.RUN_DEMO_TASK, soft_time_limit=settings.SANDBOX_DEMO_SOFT_TIME_LIMIT,
          time_limit=settings.SANDBOX_DEMO_TIME_LIMIT)
def run_demo_task(run_id: str) -> str:
    return execute(run_id)


# The sandbox enforces SANDBOX_CODE_TIMEOUT itself; these only catch a wedged worker.
@run_task(queues.RUN_CODE_TASK, soft_time_limit=settings.SANDBOX_CODE_TIMEOUT + 30,
          time_limit=settings.SANDBOX_CODE_TIMEOUT + 60)
def run_code_task(run_id: str) -> str:
    return execute(run_id)


# The sandbox enforces SANDBOX_CODE_TIMEOUT on the submission; these bound the whole grade.
@run_task(queues.RUN_EXERCISE_TASK, soft_time_limit=hard_time_limit(Run.Kind.EXERCISE) - 30,
          time_limit=hard_time_limit(Run.Kind.EXERCISE))
def run_exercise_task(run_id: str) -> str:
    return execute(run_id, handler=grade_run)


# An admin edit of an exercise: the reference on each seed and every wrong solution, each a grade as above.
@run_task(queues.VALIDATE_EXERCISE_TASK, soft_time_limit=hard_time_limit(Run.Kind.VALIDATION) - 30,
          time_limit=hard_time_limit(Run.Kind.VALIDATION))
def validate_exercise_task(run_id: str) -> str:
    return execute(run_id, handler=validate_run)


@shared_task(name=queues.SWEEP_TASK, time_limit=120)
def sweep_runs_task() -> dict[str, int]:
    return sweep().as_dict()


@worker_process_init.connect
def warm_up(**_: object) -> None:
    """Pay the start-up costs once per worker process, not on the first click.

    Imports torch (via the environment description), loads every demo module and,
    unless SANDBOX_PRELOAD_MODEL is off, the pretrained models that model-backed
    demos share (``engine.warm_shared_models``).
    """
    from engine.demos import all_demos
    from engine.environment import describe_environment

    code_runs.report_from_worker()  # the page says before Run when this worker cannot run code
    try:
        environment = describe_environment()
        all_demos()
        if settings.SANDBOX_PRELOAD_MODEL:
            import engine

            engine.warm_shared_models(device=environment["device"])
    except Exception:  # a worker that cannot preload still serves runs (they load lazily)
        log.exception("sandbox warm-up failed")
