"""CodeRunner's rule, on the worker: the reference passes every hidden case, each wrong solution fails.

``check_solutions`` grades the reference on each of the seeds the content test uses and every wrong
solution on the first, through the same ``grade`` (and so the same sandbox) as a visitor's
submission; it returns the reasons to refuse, one sentence each, naming the case or the solution.
``validate_run`` is the handler ``sandbox.validate_exercise`` gives ``execute``: the run is claimed
once, its lease renewed while it grades, and the outcome (applied or refused) written in the same
transaction as ``Run.finish``, so a worker that dies mid-validation leaves the revision pending and
its run re-queued by the sweep.
"""
from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from typing import Any

from celery.exceptions import SoftTimeLimitExceeded
from django.db import transaction

from questions.exercises.authoring.drafts import materialise
from questions.exercises.authoring.revisions import record_outcome
from questions.exercises.catalogue import ExerciseFormatError, ExerciseSpec
from questions.exercises.grading import grade
from questions.exercises.grading.verdict import Verdict
from questions.exercises.models import ExerciseRevision
from sandbox.jobs.execution import open_sandbox, run_environment
from sandbox.jobs.lease import Lease
from sandbox.jobs.models import Run
from sandbox.jobs.sweep import VALIDATION_SEEDS

log = logging.getLogger(__name__)
Step = Callable[[int, int, str], None]  # (grades done, grades in all, what is running now)


def check_solutions(spec: ExerciseSpec, sandbox: Any, on_step: Step | None = None) -> list[str]:
    """Reasons to refuse ``spec`` (empty: it may be applied). Stops after a failing reference: the
    wrong solutions are judged by cases the reference passes, so nothing they do would mean anything."""
    step = on_step or (lambda done, total, what: None)
    total = len(VALIDATION_SEEDS) + len(spec.wrong)
    for done, seed in enumerate(VALIDATION_SEEDS):
        step(done, total, f"reference on seed {seed}")
        verdict = grade(spec, spec.reference, mode="submit", seed=seed, sandbox=sandbox)
        if not verdict.passed:
            return [_reference_refusal(verdict)]
    reasons = []
    for done, wrong in enumerate(spec.wrong, start=len(VALIDATION_SEEDS)):
        name = wrong.file.removesuffix(".py")
        step(done, total, f"wrong solution {name}")
        verdict = grade(spec, wrong.source, mode="submit", seed=VALIDATION_SEEDS[0], sandbox=sandbox)
        failed = [test.name for test in verdict.failed]
        named = ", ".join(f"`{case}`" for case in wrong.fails)
        if verdict.passed:
            reasons.append(f"wrong solution `{name}` passes every case; it should fail on {named}")
        elif not set(failed) & set(wrong.fails):
            reasons.append(f"wrong solution `{name}` fails {', '.join(f'`{c}`' for c in failed)} but none of the "
                           f"cases it names ({named}); name the cases that catch its mistake")
    step(total, total, "done")
    return reasons


def _reference_refusal(verdict: Verdict) -> str:
    if verdict.error and not any(test.message and not test.message.startswith("Not run") for test in verdict.failed):
        return f"the reference does not run on seed {verdict.seed}: {verdict.error}"
    test = verdict.failed[0]
    which = "visible" if test.visible else "hidden"
    return f"the reference fails {which} case `{test.name}` (seed {verdict.seed}): {test.message}"


def validate_run(run: Run, lease: Lease) -> None:
    attempt = run.attempts
    revision = ExerciseRevision.objects.filter(run=run).first()
    if revision is None or revision.state != ExerciseRevision.State.VALIDATING:
        run.finish(attempt, Run.State.FAILED, error="This validation's revision is gone or already decided; nothing was checked.")
        return
    spec = materialise(revision.files, revision.slug, revision.content_hash)
    sandbox = open_sandbox(run)
    if sandbox is None:
        return

    def on_step(done: int, total: int, what: str) -> None:
        Run.objects.filter(pk=run.pk, attempts=attempt).update(
            progress=int(100 * done / max(total, 1)), progress_message=f"{what} ({done} of {total} checks done)")

    examples = None
    try:
        reasons = check_solutions(spec, sandbox, on_step)
        if not reasons:
            from questions.exercises.examples import visible_examples  # torch: on the worker only

            examples = visible_examples(spec)
    except SoftTimeLimitExceeded:
        run.finish(attempt, Run.State.TIMED_OUT, error="Validation took too long and was stopped; validate again.")
        return
    except ExerciseFormatError as exc:  # cases.py builds cases that break the format's rules
        reasons = [f"cases.py: {problem.replace(str(spec.folder) + '/', '')}" for problem in exc.problems]
    except Exception as exc:  # cases.py or expected() raised: the author's code, so a refusal that says where
        log.info("validation of %s: cases.py raised", revision.slug, exc_info=True)
        reasons = [f"cases.py raised {type(exc).__name__}: {str(exc)[:300]}"]
        run.logs = traceback.format_exc()
    if lease.lost.is_set():  # the sweep gave the run to another worker: its outcome counts, not ours
        return
    with transaction.atomic():
        finished = run.finish(
            attempt, Run.State.SUCCEEDED, result={"passed": not reasons, "reasons": reasons},
            environment=run_environment({"sandbox": sandbox.mode}), progress=100,
            progress_message="passed" if not reasons else "refused", logs=run.logs,
        )
        if finished:
            record_outcome(ExerciseRevision.objects.select_for_update().get(pk=revision.pk), reasons, spec, examples)
