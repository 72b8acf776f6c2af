"""What a worker does with one run: claim it, execute it under a lease, record the outcome.

Called by the Celery tasks (sandbox/tasks.py) and directly by tests. Every exit
path writes a final state with a user-facing reason; a run is never left
``running`` by a worker that is still alive.
"""

from __future__ import annotations

import logging
import socket
import traceback
from collections.abc import Callable
from typing import Any

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings

from engine.demos import DemoError, run_demo
from sandbox.jobs.cache_keys import result_cache_key
from sandbox.jobs.lease import Lease, RunCancelled, RunLost
from sandbox.jobs.models import Run
from sandbox.jail.runner import Exchange, Jail, Limits, SandboxUnavailable, get_sandbox

log = logging.getLogger(__name__)


def worker_name() -> str:
    return socket.gethostname()


# What a worker does with a claimed run of one kind. Demo and code runs are this module's own; other
# kinds (graded exercises) bring theirs from the task that runs them, so the job queue imports no app.
Handler = Callable[[Run, Lease], None]


def execute(run_id: str, handler: Handler | None = None) -> str:
    """Run the run if this call can claim it; returns what happened (for logs and tests)."""
    run = Run.objects.claim(
        run_id,
        worker=worker_name(),
        lease_seconds=settings.SANDBOX_LEASE_SECONDS,
        max_attempts=settings.SANDBOX_MAX_ATTEMPTS,
    )
    if run is None:
        # Redelivered after it finished, cancelled while queued, or held by a live worker: nothing to do.
        log.info("run %s not claimable; skipping", run_id)
        return "skipped"
    work = handler or {Run.Kind.DEMO: _execute_demo, Run.Kind.CODE: _execute_code}.get(run.kind)
    with Lease(run, settings.SANDBOX_LEASE_SECONDS) as lease:
        if work is None:  # e.g. an exercise run handed to the code task: never run it as something else
            run.finish(run.attempts, Run.State.FAILED, error=f"This worker cannot run {run.kind} runs.")
        else:
            work(run, lease)
    return run.state


def open_sandbox(run: Run) -> Any:
    """This worker's sandbox, or None after failing the run with the reason when none can start."""
    try:
        return get_sandbox(settings.SANDBOX_BACKEND, Jail.from_settings())
    except SandboxUnavailable as exc:
        run.finish(run.attempts, Run.State.FAILED, error=str(exc))
        return None


def _execute_demo(run: Run, lease: Lease) -> None:
    attempt = run.attempts
    try:
        result = run_demo(run.demo, run.params, progress=lease.progress)
    except SoftTimeLimitExceeded:
        limit = settings.SANDBOX_DEMO_SOFT_TIME_LIMIT
        run.finish(
            attempt,
            Run.State.TIMED_OUT,
            error=f"The demo ran longer than its {limit} s limit and was stopped.",
            logs=lease.logs(),
        )
    except RunCancelled:
        run.finish(attempt, Run.State.CANCELLED, error="Cancelled.", progress_message="cancelled", logs=lease.logs())
    except RunLost:
        log.warning("run %s was taken from this worker (lease lost); dropping its result", run.pk)
    except DemoError as exc:
        run.finish(attempt, Run.State.FAILED, error=str(exc), logs=lease.logs())
    except Exception as exc:  # a bug in a demo: the visitor gets one line, the admin the traceback
        log.exception("demo %s crashed", run.demo)
        run.finish(
            attempt,
            Run.State.FAILED,
            error=f"The demo failed: {type(exc).__name__}: {str(exc)[:300]}",
            logs=(lease.logs() + "\n" + traceback.format_exc()),
        )
    else:
        environment = run_environment(result.get("environment", {}))
        device = str(environment.get("device") or "cpu")
        run.finish(
            attempt,
            Run.State.SUCCEEDED,
            result=result,
            environment=environment,
            device=device,
            cache_key=result_cache_key(run.demo, run.params, run.engine_version, device),
            progress=100,
            progress_message="done",
            logs=lease.logs(),
        )


def _execute_code(run: Run, lease: Lease) -> None:
    attempt = run.attempts
    limits = Limits.from_settings()
    sandbox = open_sandbox(run)
    if sandbox is None:
        return
    Run.objects.filter(pk=run.pk, attempts=attempt).update(
        progress=10, progress_message=f"running in {sandbox.mode} sandbox"
    )
    try:
        outcome = sandbox.run(run.code, limits, should_stop=lease.poll_should_stop,
                              exchange=Exchange(on_output=lease.stream_output))  # the page shows output as it comes
    except SoftTimeLimitExceeded:
        run.finish(attempt, Run.State.TIMED_OUT, error="The run took too long and was stopped.")
        return
    except SandboxUnavailable as exc:  # no free uid, or no seccomp filter: refused, never run half-contained
        run.finish(attempt, Run.State.FAILED, error=str(exc))
        return
    if lease.lost.is_set():
        return
    environment = run_environment({"sandbox": outcome.mode, "confinement": outcome.confinement})
    result: dict[str, Any] = {
        "output": outcome.output,
        "exit_code": outcome.exit_code,
        "output_truncated": outcome.output_truncated,
        "duration_s": outcome.duration_s,
        "limits": limits.describe(),
    }
    if outcome.ok:
        state, error = Run.State.SUCCEEDED, ""
    elif outcome.cancelled:
        state, error = Run.State.CANCELLED, "Cancelled."
    elif outcome.timed_out:
        state, error = Run.State.TIMED_OUT, outcome.reason
    else:
        state, error = Run.State.FAILED, outcome.reason or f"The program exited with status {outcome.exit_code}."
    run.finish(
        attempt, state, result=result, environment=environment, device=str(environment.get("device") or "cpu"),
        error=error, progress=100, progress_message=state,
    )  # fmt: skip


def run_environment(extra: dict[str, Any]) -> dict[str, Any]:
    """Where it ran: the engine's description plus the worker's name and the sandbox mode."""
    from engine.environment import describe_environment

    environment = dict(describe_environment())
    environment.update(extra)
    environment["worker"] = worker_name()
    return environment
