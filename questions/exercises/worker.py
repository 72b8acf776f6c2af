"""What a worker does with one exercise run: grade the submission in the jail and record the verdict.

Handed to ``sandbox.jobs.execution.execute`` by the ``sandbox.run_exercise`` task, so it runs
with the job queue's guarantees: the run was claimed by one conditional UPDATE, a lease is renewed
while it grades, and the verdict is written by ``Run.finish``, another conditional UPDATE. A worker
that dies mid-grade writes nothing; the sweep queues the run again and the next worker grades the
same code with the same seed (stored on the run), so the verdict is the one the first would have given.
"""
from __future__ import annotations

import logging
import traceback

from celery.exceptions import SoftTimeLimitExceeded

from questions.exercises.authoring.drafts import materialise
from questions.exercises.catalogue import ExerciseFormatError, ExerciseSpec, get_exercise
from questions.exercises.grading import grade
from questions.exercises.models import Exercise, Submission
from questions.exercises.review import schedule_solved
from sandbox.jobs.execution import open_sandbox, run_environment
from sandbox.jobs.lease import Lease
from sandbox.jobs.models import Run

log = logging.getLogger(__name__)


def exercise_spec(slug: str) -> ExerciseSpec:
    """What the grader grades against: the exercise's applied admin version (its files, materialised on
    this machine by content hash), else its bank folder. KeyError when there is neither."""
    exercise = Exercise.objects.select_related("live_revision").filter(slug=slug).first()
    revision = exercise.live_revision if exercise is not None else None
    if revision is not None:
        return materialise(revision.files, revision.slug, revision.content_hash)
    return get_exercise(slug)


def grade_run(run: Run, lease: Lease) -> None:
    attempt = run.attempts
    params = run.params or {}
    try:
        spec = exercise_spec(str(params.get("exercise", "")))
    except (KeyError, ExerciseFormatError) as exc:
        log.error("exercise run %s: %s", run.pk, exc)
        run.finish(attempt, Run.State.FAILED, error="This exercise is not available on this worker; it was not graded.")
        return
    sandbox = open_sandbox(run)
    if sandbox is None:
        return
    mode = params.get("mode", "check")
    Run.objects.filter(pk=run.pk, attempts=attempt).update(
        progress=10, progress_message=f"{'checking the examples' if mode == 'check' else 'running the hidden tests'}"
        f" in the {sandbox.mode} sandbox"
    )
    try:
        verdict = grade(spec, run.code, mode=mode, seed=int(params["seed"]), sandbox=sandbox,
                        on_output=lease.stream_output)
    except SoftTimeLimitExceeded:
        run.finish(attempt, Run.State.TIMED_OUT, error="Grading took too long and was stopped.")
        return
    except Exception as exc:  # a bug in the grader or an exercise: the visitor gets one line, the admin the traceback
        log.exception("grading %s failed", spec.slug)
        run.finish(attempt, Run.State.FAILED, error=f"The grader failed: {type(exc).__name__}: {str(exc)[:300]}",
                   logs=traceback.format_exc())
        return
    if lease.lost.is_set():  # the sweep gave the run to another worker: its verdict counts, not ours
        return
    result = verdict.as_dict()
    environment = run_environment({"sandbox": sandbox.mode})
    finished = run.finish(
        attempt, Run.State.SUCCEEDED, result=result, environment=environment,
        device=str(environment.get("device") or "cpu"), progress=100,
        progress_message="passed" if result.get("passed") else "failed",
    )
    if finished and mode == "submit" and result.get("passed"):
        # Only the worker whose verdict was recorded schedules the review, so it is counted once.
        schedule_solved(Submission.objects.select_related("exercise").get(run=run))
