"""Exercises as the site shows them, and the submissions visitors make.

``Exercise`` mirrors an exercise folder: the bank's ``questions/bank/exercises/<slug>/``
(written by ``load_bank``, ``sync.py``) or, once a staff edit has passed validation, the
``ExerciseRevision`` applied in the admin (``authoring/``): the page reads it without touching
files or importing torch. An ``ExerciseRevision`` is one admin edit: the whole folder as text,
kept *pending* until a worker has run the reference and the wrong solutions in the sandbox. ``Submission`` is one Check or Submit: it points at the
``sandbox.Run`` that grades it. The run is the single record of the outcome (its
``result`` is the grader's verdict, written by one conditional UPDATE when the
worker finishes), so a worker that dies mid-grade leaves a queued-again run, never
a submission that says "passed" without a verdict behind it.
"""
from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse

from prep_site.web.visitor import Visitor
from questions.models import Difficulty, Question, Status, Topic
from sandbox.jobs.models import Run


def visible_filter(prefix: str = "") -> Q:
    """The one definition of "a visitor may see it": in the catalogue (not retired by load_bank) and published."""
    return Q(**{f"{prefix}is_active": True, f"{prefix}status": Status.PUBLISHED})


class ExerciseQuerySet(models.QuerySet):
    def visible(self) -> ExerciseQuerySet:
        return self.filter(visible_filter())

    def shown_to(self, user) -> ExerciseQuerySet:
        """What ``user`` may open: everything for staff who may view exercises in the admin (drafts marked
        as such on the page), the visible ones for everyone else."""
        return self if previews_drafts(user) else self.visible()


def previews_drafts(user) -> bool:
    """Staff who may see exercises in the admin also see (and Check) drafts on the site: a reviewer tries
    the page before publishing it."""
    return bool(user.is_staff and user.has_perm("exercises.view_exercise"))


class Exercise(models.Model):
    Status = Status

    slug = models.SlugField(max_length=120, unique=True)
    title = models.CharField(max_length=300)
    topic = models.ForeignKey(Topic, on_delete=models.PROTECT, related_name="exercises")
    difficulty = models.CharField(max_length=10, choices=Difficulty.choices, default=Difficulty.MEDIUM)
    function = models.CharField(max_length=80, help_text="The name the submission must define.")
    signature = models.CharField(max_length=300)
    statement_md = models.TextField(blank=True)
    walkthrough_md = models.TextField(blank=True, help_text="Shown only after an attempt.")
    hints = models.JSONField(default=list, blank=True)
    starter = models.TextField(blank=True)
    reference = models.TextField(blank=True, help_text="Shown only after an attempt.")
    # The visible cases as the page shows them: [{"name", "explain", "inputs": [...], "expected": str}].
    examples = models.JSONField(default=list, blank=True)
    practises = models.ManyToManyField(Question, blank=True, related_name="exercises")
    demos = models.JSONField(default=list, blank=True)
    order = models.PositiveIntegerField(default=0)
    source_path = models.CharField(max_length=500, blank=True)
    content_hash = models.CharField(max_length=64, blank=True)
    is_active = models.BooleanField(default=True, help_text="Retired exercises keep their submissions but are hidden.")
    # Published by default so the bank's exercises (load_bank) are visible; one written in the admin starts as a draft.
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.PUBLISHED, db_index=True,
        help_text="Only published exercises are shown to visitors.",
    )
    # The admin version in force, or None when the bank folder is the source. The grader reads this
    # revision's files (materialised on the worker, content-addressed) instead of the bank folder.
    live_revision = models.ForeignKey(
        "ExerciseRevision", null=True, blank=True, editable=False, on_delete=models.PROTECT, related_name="+"
    )
    # Set when a bank exercise gets an admin version: load_bank then keeps it and reports a conflict if the
    # folder changed too (``edited_base_hash`` is the folder's hash the edit started from), like questions.
    edited_at = models.DateTimeField(null=True, blank=True, editable=False)
    edited_base_hash = models.CharField(max_length=64, blank=True, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ExerciseQuerySet.as_manager()

    class Meta:
        ordering = ["topic__order", "order", "title"]
        permissions = [
            # cases.py runs on the worker outside the sandbox: changing it is changing the site's code.
            ("change_exercise_code", "Can change an exercise's code (cases.py, reference, wrong solutions, starter)"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("exercises:detail", args=[self.slug])

    @property
    def is_bank_exercise(self) -> bool:
        return bool(self.source_path)

    def is_visible(self) -> bool:
        """Whether visitors may see it now (``visible_filter``, asked of the database: the one definition)."""
        return type(self).objects.visible().filter(pk=self.pk).exists()

    @property
    def is_gradable(self) -> bool:
        """The grader has files for it: a bank folder in the catalogue, or an applied admin revision."""
        return self.live_revision_id is not None or (self.is_bank_exercise and self.is_active)

    @property
    def is_edited_bank_exercise(self) -> bool:
        return self.is_bank_exercise and self.edited_at is not None


class ExerciseRevision(models.Model):
    """One save in the authoring form: the exercise folder as text, applied only once validation passes.

    The outcome is written by the worker in the same transaction as its run's ``finish``: a worker
    that dies mid-validation leaves the revision ``validating`` and its run re-queued by the sweep
    (or failed after its attempts, when the page offers to validate again); never half applied.
    """

    class State(models.TextChoices):
        VALIDATING = "validating", "Validating"
        APPLIED = "applied", "Applied"
        REFUSED = "refused", "Refused"

    slug = models.SlugField(max_length=120, db_index=True)
    # None until a new exercise's first revision is applied (the row is created then).
    exercise = models.ForeignKey(Exercise, null=True, blank=True, on_delete=models.CASCADE, related_name="revisions")
    # Relative path -> text: exercise.md, starter.py, reference.py, cases.py, wrong/<name>.py.
    files = models.JSONField()
    content_hash = models.CharField(max_length=64)
    # The live content hash this edit started from ("" for a new exercise): applying refuses a stale edit.
    base_hash = models.CharField(max_length=64, blank=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.VALIDATING, db_index=True)
    refusal = models.TextField(blank=True, help_text="Why validation refused it, one reason per line.")
    run = models.OneToOneField(
        "sandbox.Run", null=True, blank=True, on_delete=models.SET_NULL, related_name="exercise_revision"
    )
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    summary = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.slug} revision {self.pk} ({self.state})"


class SubmissionQuerySet(models.QuerySet):
    def of(self, visitor: Visitor | None) -> SubmissionQuerySet:
        return self.filter(visitor.filter()) if visitor is not None else self.none()

    def attempts(self) -> SubmissionQuerySet:
        """Submits only: a Check records nothing towards progress."""
        return self.filter(mode=Submission.Mode.SUBMIT)

    def graded(self) -> SubmissionQuerySet:
        """The grader finished (whatever it said); a run that crashed or timed out is not a graded attempt."""
        return self.filter(run__state=Run.State.SUCCEEDED)

    def solved(self) -> SubmissionQuerySet:
        return self.attempts().graded().filter(run__result__passed=True)


class Submission(models.Model):
    class Mode(models.TextChoices):
        CHECK = "check", "Check (visible examples)"
        SUBMIT = "submit", "Submit (hidden tests)"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    exercise = models.ForeignKey(Exercise, on_delete=models.CASCADE, related_name="submissions")
    run = models.OneToOneField("sandbox.Run", on_delete=models.CASCADE, related_name="exercise_submission")
    mode = models.CharField(max_length=6, choices=Mode.choices)
    # The hidden inputs come from this seed: grading the same code with it again gives the same verdict.
    seed = models.BigIntegerField()
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="exercise_submissions"
    )
    anon_key = models.CharField(max_length=64, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    objects = SubmissionQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "exercise", "mode"], name="submission_owner_exercise")]
        constraints = [
            # Anonymous rows need their key; an account's rows have none (the visitor filter relies on it).
            models.CheckConstraint(
                condition=Q(user__isnull=False, anon_key="") | Q(user__isnull=True) & ~Q(anon_key=""),
                name="submission_has_one_owner",
            )
        ]

    def __str__(self) -> str:
        return f"{self.exercise.slug} {self.mode} {str(self.id)[:8]}"

    def owned_by(self, visitor: Visitor | None) -> bool:
        if visitor is None:
            return False
        if self.user_id is not None:
            return self.user_id == visitor.user_id
        return visitor.user_id is None and bool(self.anon_key) and self.anon_key == visitor.anon_key

    @property
    def verdict(self) -> dict | None:
        """The grader's verdict once the run finished grading, else None."""
        result = self.run.result if self.run.state == Run.State.SUCCEEDED else None
        return result if isinstance(result, dict) and "passed" in result else None

    @property
    def passed(self) -> bool | None:
        verdict = self.verdict
        return bool(verdict["passed"]) if verdict is not None else None
