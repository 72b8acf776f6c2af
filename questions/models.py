"""The question bank: topics, questions, and the auto-gradable quiz items attached to them.

Questions come from two places: the project's own bank (Markdown files under
questions/bank/, loaded by ``manage.py load_bank``) and imports of other
people's banks (``manage.py import_questions``). A question that disappears
from the bank is *retired*, never deleted, so quiz history that points at it
survives.

Every question has a lifecycle ``status`` (draft → in review → published →
retired, see ``questions/lifecycle.py``); visitors only ever see
``Question.objects.published()``.
"""
from __future__ import annotations

import hashlib
import random
from collections.abc import Iterable

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse

from questions import kinds


class Difficulty(models.TextChoices):
    EASY = "easy", "Easy"
    MEDIUM = "medium", "Medium"
    HARD = "hard", "Hard"


class Topic(models.Model):
    slug = models.SlugField(max_length=80, unique=True)
    title = models.CharField(max_length=200)
    intro = models.TextField(blank=True, help_text="A short Markdown introduction shown on the topic page.")
    order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["order", "title"]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("questions:topic", args=[self.slug])


class Tag(models.Model):
    slug = models.SlugField(max_length=80, unique=True)

    class Meta:
        ordering = ["slug"]

    def __str__(self) -> str:
        return self.slug

    def get_absolute_url(self) -> str:
        return reverse("questions:tag", args=[self.slug])


class Status(models.TextChoices):
    DRAFT = "draft", "Draft"
    REVIEW = "review", "In review"
    PUBLISHED = "published", "Published"
    RETIRED = "retired", "Retired"


def published_filter(prefix: str = "") -> Q:
    """The one definition of "a visitor may see it", for a question reached through ``prefix`` (e.g. "questions__")."""
    return Q(**{f"{prefix}status": Status.PUBLISHED})


class QuestionQuerySet(models.QuerySet):
    def published(self) -> QuestionQuerySet:
        """Questions visitors may see: pages, topic lists, search, quizzes, review and the API all start here."""
        return self.filter(published_filter())


class Question(models.Model):
    Status = Status

    class Origin(models.TextChoices):
        BANK = "bank", "Project bank"
        IMPORT = "import", "Imported"
        ADMIN = "admin", "Written in the admin"

    slug = models.SlugField(max_length=120, unique=True)
    topic = models.ForeignKey(Topic, on_delete=models.PROTECT, related_name="questions")
    title = models.CharField(max_length=300)
    difficulty = models.CharField(max_length=10, choices=Difficulty.choices, default=Difficulty.MEDIUM)
    tags = models.ManyToManyField(Tag, blank=True, related_name="questions")
    answer_md = models.TextField("answer (Markdown)", blank=True)
    # Derived from answer_md on every save: the text search indexes and excerpts are cut from.
    answer_text = models.TextField(blank=True, editable=False)
    key_points = models.JSONField(default=list, blank=True, help_text="List of strings; also the free-text rubric.")
    common_mistakes = models.JSONField(default=list, blank=True)
    follow_ups = models.JSONField(default=list, blank=True, help_text="Follow-up questions an interviewer may ask.")
    demos = models.JSONField(default=list, blank=True, help_text="Names from engine.demos that measure this answer's claims.")
    sources = models.JSONField(default=list, blank=True)
    covers = models.JSONField(default=list, blank=True, help_text='Seed items answered, e.g. ["003#06"].')
    order = models.PositiveIntegerField(default=0, help_text="Position within the topic.")

    origin = models.CharField(max_length=10, choices=Origin.choices, default=Origin.ADMIN)
    # Where the question came from: the bank file's path, or "<file>#<n>" for an import.
    source_path = models.CharField(max_length=500, blank=True, db_index=True)
    # Hash of the source text: a re-load or re-import with the same hash changes nothing.
    content_hash = models.CharField(max_length=64, blank=True)
    needs_review = models.BooleanField(default=False, help_text="Set by the importer when text could not be fully repaired.")
    review_notes = models.JSONField(default=list, blank=True)
    # Published by default so rows made in code (the bank loader, fixtures) are visible; the two
    # authoring paths, the admin's add form and the importers, start questions as drafts explicitly.
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.PUBLISHED, db_index=True,
        help_text="Only published questions are shown to visitors; retired ones keep their quiz history.",
    )
    # Set when a bank question is changed in the admin: load_bank then keeps this version instead of
    # the file's, and reports a conflict if the file changed too (``edited_base_hash`` is the file's
    # hash the edit started from). Cleared when the file and the database agree again.
    edited_at = models.DateTimeField(null=True, blank=True, editable=False)
    edited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, editable=False, on_delete=models.SET_NULL, related_name="+"
    )
    edited_base_hash = models.CharField(max_length=64, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = QuestionQuerySet.as_manager()

    class Meta:
        ordering = ["topic__order", "order", "title"]
        permissions = [
            ("submit_question", "Can submit a draft question for review"),
            ("publish_question", "Can publish, send back and retire questions"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("questions:question", args=[self.slug])

    @property
    def is_published(self) -> bool:
        return self.status == Status.PUBLISHED

    @property
    def is_edited_bank_question(self) -> bool:
        return self.origin == self.Origin.BANK and self.edited_at is not None

    def save(self, *args, **kwargs) -> None:
        # Imported here: models must stay importable without pulling the Markdown stack into migrations.
        from questions.markdown import markdown_to_text

        self.answer_text = markdown_to_text(self.answer_md)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "answer_md" in update_fields:
            kwargs["update_fields"] = {*update_fields, "answer_text"}
        super().save(*args, **kwargs)


class QuizItem(models.Model):
    """One auto-gradable variant of a question, of one of the authored kinds in ``questions.kinds``."""

    class ToleranceMode(models.TextChoices):
        RELATIVE = "relative", "Relative (fraction of the answer)"
        ABSOLUTE = "absolute", "Absolute (in the unit)"

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="quiz_items")
    key = models.SlugField(max_length=60, help_text="Stable id within the question, so reloads update in place.")
    # A callable, so the registry is the one list of kinds and a new kind needs no migration.
    kind = models.CharField(max_length=10, choices=kinds.item_choices)
    prompt = models.TextField(help_text="Markdown.")
    explanation = models.TextField(blank=True, help_text="Shown after answering; for numeric items, the formula.")
    numeric_answer = models.FloatField(null=True, blank=True)
    tolerance = models.FloatField(null=True, blank=True)
    tolerance_mode = models.CharField(max_length=10, choices=ToleranceMode.choices, default=ToleranceMode.RELATIVE)
    unit = models.CharField(max_length=40, blank=True)
    order = models.PositiveIntegerField(default=0)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["question", "order"]
        constraints = [models.UniqueConstraint(fields=["question", "key"], name="unique_quiz_item_key")]

    def __str__(self) -> str:
        return f"{self.question.slug}:{self.key}"

    @property
    def spec(self) -> kinds.Kind:
        return kinds.get(self.kind)

    def replace_choices(self, choices: Iterable[tuple[str, bool, str]]) -> None:
        """Swap in a new option list of (text, is_correct, explanation), stored in a shuffled order.

        The bank loader and the importers both rewrite an item's options wholesale on every change:
        options have no stable identity in a Markdown file, so matching old to new would be guesswork.

        Authors tend to write the right option first; stored in that order, the first option (and
        the smallest id) would be the answer. So options are stored in an order shuffled by a seed
        derived from the question and item, which keeps a re-load stable.
        """
        options = list(choices)
        storage_order(self, options)
        self.choices.all().delete()
        Choice.objects.bulk_create(
            Choice(item=self, text=text, is_correct=correct, explanation=why, order=n)
            for n, (text, correct, why) in enumerate(options, start=1)
        )


class Choice(models.Model):
    item = models.ForeignKey(QuizItem, on_delete=models.CASCADE, related_name="choices")
    text = models.TextField()
    is_correct = models.BooleanField(default=False)
    explanation = models.TextField(blank=True, help_text="Why this option is right or wrong.")
    order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["item", "order"]

    def __str__(self) -> str:
        return self.text[:60]


class Revision(models.Model):
    """One saved state of a question: who, when, what (a JSON snapshot of the authored fields and quiz items)."""

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField()
    snapshot = models.JSONField()
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    status_before = models.CharField(max_length=10, choices=Status.choices, blank=True)
    status_after = models.CharField(max_length=10, choices=Status.choices)
    summary = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["question", "-number"]
        constraints = [models.UniqueConstraint(fields=["question", "number"], name="unique_revision_number")]

    def __str__(self) -> str:
        return f"{self.question.slug} r{self.number}"

    @property
    def status_changed(self) -> bool:
        return bool(self.status_before) and self.status_before != self.status_after


def _permutation(item: QuizItem, count: int) -> list[int]:
    """The deterministic shuffle for (question slug, item key): position i of storage holds authored p[i]."""
    seed = hashlib.sha256(f"{item.question.slug}#{item.key}".encode()).digest()
    positions = list(range(count))
    random.Random(seed).shuffle(positions)
    return positions


def storage_order(item: QuizItem, options: list) -> None:
    """Shuffle ``options`` in place, deterministically for (question slug, item key): unrelated to correctness."""
    options[:] = [options[i] for i in _permutation(item, len(options))]


def authored_order(item: QuizItem, stored: list) -> list:
    """Undo ``storage_order``: the options in the order their author wrote them (the export writes that)."""
    authored: list = [None] * len(stored)
    for position, original in enumerate(_permutation(item, len(stored))):
        authored[original] = stored[position]
    return authored
