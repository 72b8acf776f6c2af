"""Exercises as the site shows them, and the submissions visitors make.

``Exercise`` is a read-only mirror of ``questions/bank/exercises/<slug>/``, written
only by ``load_bank`` (``sync.py``): the page reads it without touching files or
importing torch. ``Submission`` is one Check or Submit: it points at the
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
from questions.models import Difficulty, Question, Topic
from sandbox.jobs.models import Run


class Exercise(models.Model):
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
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["topic__order", "order", "title"]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("exercises:detail", args=[self.slug])


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
