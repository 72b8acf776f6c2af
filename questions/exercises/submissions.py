"""Check and Submit: validate a submission, record it with the run that grades it, and read it back.

Views only call these. The submission and its run are written in one transaction (``dispatch.submit``'s
``attach``), before the message goes to the ``exercises`` queue; the grade itself happens on a worker
(``worker.py``), never in the web process.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.http import HttpRequest

from prep_site.web.errors import FieldError
from prep_site.web.visitor import visitor_for
from questions.exercises.models import Exercise, Submission
from sandbox import ratelimit
from sandbox.identity import owner_of, rate_identity
from sandbox.jobs import dispatch, fairness
from sandbox.jobs.models import Run
from sandbox.validation import ExerciseRequest, RunRequestError, validate_run_request

MODES = {
    Submission.Mode.CHECK: "runs the visible examples and records nothing",
    Submission.Mode.SUBMIT: "runs the hidden tests and records an attempt",
}
SEED_RANGE = 2**31  # fits every torch generator and a signed 32-bit column
# Check grades the visible examples with the grader's fixed seed (grading.grade.CHECK_SEED, which imports
# torch: the web process does not), so a Check shows exactly the examples on the page.
CHECK_SEED = 0


class TooMany(FieldError):
    """A cap or rate limit: 429 with the seconds after which trying again should work."""

    status = 429

    def __init__(self, field: str, message: str, retry_after: int) -> None:
        super().__init__(field, message)
        self.retry_after = retry_after


@dataclass(frozen=True)
class SubmitRequest:
    exercise: Exercise
    mode: str
    code: str


def parse_submit(data: dict[str, Any], user) -> SubmitRequest:
    """The one validator of Check/Submit requests (API and form); raises FieldError naming the field.

    Staff who preview drafts (models.previews_drafts) may Check an unpublished exercise the grader has
    files for, to try it before publishing; Submit records an attempt, so it waits for publication.
    """
    slug = data.get("slug")
    if not isinstance(slug, str) or not slug.strip():
        raise FieldError("slug", "slug: send the slug of an exercise as a string (e.g. \"stable-softmax\").")
    exercise = Exercise.objects.shown_to(user).filter(slug=slug.strip()).first()
    if exercise is None:
        raise FieldError("slug", f"slug: there is no exercise called {slug.strip()[:80]!r}.")
    mode = data.get("mode", Submission.Mode.CHECK)
    if mode not in MODES:
        choices = "; ".join(f'"{value}" {what}' for value, what in MODES.items())
        raise FieldError("mode", f"mode: must be one of: {choices}. Got {str(mode)[:40]!r}.")
    if not exercise.is_visible():
        if not exercise.is_gradable:
            raise FieldError("slug", f"slug: {exercise.slug!r} has no validated version to grade yet; "
                                     "save it in the admin and let validation pass first.", 409)
        if mode != Submission.Mode.CHECK:
            raise FieldError("mode", "mode: this exercise is not published yet, so only Check works here "
                                     "(it records nothing); Submit works once it is published.", 409)
    try:
        # The code rules (size, NUL, who may run code) are the runs API's own: one validator for both.
        validate_run_request({"code": data.get("code")}, signed_in=user.is_authenticated)
    except RunRequestError as exc:
        raise FieldError(exc.field, exc.message, exc.status) from None
    return SubmitRequest(exercise=exercise, mode=mode, code=data["code"])


def submit(request: HttpRequest, wanted: SubmitRequest) -> tuple[Submission, bool]:
    """Record the submission and queue its grade; returns it and whether the broker took the message.

    Raises TooMany over the rate limit or the per-visitor/per-IP caps of active runs.
    """
    owner = owner_of(request, create_session=True)
    visitor = visitor_for(request, create=True)
    limit = ratelimit.Limit(scope="exercise", count=settings.EXERCISE_RATE_LIMIT, window=settings.SANDBOX_RATE_WINDOW)
    retry_after = ratelimit.hit(limit, rate_identity(owner))
    if retry_after is not None:
        raise TooMany(
            "mode",
            f"Too many checks and submits: at most {limit.count} every {limit.window} s. Try again in {retry_after} s.",
            retry_after,
        )
    seed = CHECK_SEED if wanted.mode == Submission.Mode.CHECK else secrets.randbelow(SEED_RANGE)
    created: list[Submission] = []

    def attach(run: Run) -> None:
        created.append(Submission.objects.create(
            exercise=wanted.exercise, run=run, mode=wanted.mode, seed=seed, **visitor.fields()
        ))

    job = ExerciseRequest(exercise=wanted.exercise.slug, mode=wanted.mode, seed=seed, code=wanted.code)
    try:
        queued = dispatch.submit(job, owner, attach=attach)
    except fairness.TooManyActiveRuns as exc:
        raise TooMany("mode", exc.message, exc.retry_after) from None
    submission = created[0]
    submission.run = queued.run  # refreshed by enqueue: under eager Celery it has already finished
    return submission, queued.enqueued


def visible_submission(request: HttpRequest, submission_id: Any) -> Submission | None:
    """The submission if this visitor owns it (staff see all); None otherwise, so a stranger gets a 404."""
    submission = Submission.objects.select_related("exercise", "run").filter(pk=submission_id).first()
    if submission is None:
        return None
    if request.user.is_staff or submission.owned_by(visitor_for(request, create=False)):
        return submission
    return None
