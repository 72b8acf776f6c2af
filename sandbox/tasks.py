"""Celery tasks: thin wrappers that give each kind of run its time limits and queue.

Both run tasks are safe to deliver more than once (acks_late + reject_on_worker_lost
mean a killed worker's message comes back): ``execute`` claims the run with a
conditional UPDATE, so a second delivery for a finished or held run does nothing.
"""

from __future__ import annotations

import logging

from celery import shared_task
from celery.signals import worker_process_init
from django.conf import settings

from sandbox.execution import execute
from sandbox.models import Run

log = logging.getLogger(__name__)


@shared_task(
    name="sandbox.run_demo",
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=settings.SANDBOX_DEMO_SOFT_TIME_LIMIT,
    time_limit=settings.SANDBOX_DEMO_TIME_LIMIT,
)
def run_demo_task(run_id: str) -> str:
    return execute(run_id)


@shared_task(
    name="sandbox.run_code",
    acks_late=True,
    reject_on_worker_lost=True,
    # The sandbox enforces SANDBOX_CODE_TIMEOUT itself; these only catch a wedged worker.
    soft_time_limit=settings.SANDBOX_CODE_TIMEOUT + 30,
    time_limit=settings.SANDBOX_CODE_TIMEOUT + 60,
)
def run_code_task(run_id: str) -> str:
    return execute(run_id)


@shared_task(name="sandbox.sweep_runs", time_limit=120)
def sweep_runs_task() -> dict[str, int]:
    from sandbox.sweep import sweep

    return sweep().as_dict()


def task_for(kind: str):
    return run_demo_task if kind == Run.Kind.DEMO else run_code_task


@worker_process_init.connect
def warm_up(**_: object) -> None:
    """Pay the start-up costs once per worker process, not on the first click.

    Imports torch (via the environment description), loads every demo module and,
    unless SANDBOX_PRELOAD_MODEL is off, the pretrained model that model-backed
    demos share through ``engine.shared_model``.
    """
    from engine.demos import all_demos
    from engine.environment import describe_environment

    try:
        environment = describe_environment()
        all_demos()
        if settings.SANDBOX_PRELOAD_MODEL:
            import engine

            engine.shared_model(device=environment["device"])
    except Exception:  # a worker that cannot preload still serves runs (they load lazily)
        log.exception("sandbox warm-up failed")
