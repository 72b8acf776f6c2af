"""Quiz attempts, the answers saved into them, fixed quizzes built by staff, and review cards.

An attempt belongs either to a user or to an anonymous visitor (``anon_key``, a
random token kept in the session); on log-in the visitor's rows move to the
account (see ``ownership.py``). Every slot of an attempt is a *snapshot*: the
prompt, the shuffled option order and the drill parameters are stored when the
attempt starts, so editing the bank later never changes an attempt in flight or
its graded history.
"""
from __future__ import annotations

import uuid
from datetime import datetime

from django.conf import settings
from django.db import models
from django.urls import reverse

from questions import kinds
from questions.models import Choice, Question, QuizItem, Topic


class FixedQuiz(models.Model):
    """A quiz staff put together in the admin: these questions, in this order, in this much time."""

    slug = models.SlugField(max_length=80, unique=True)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    time_limit_minutes = models.PositiveIntegerField(default=15)
    is_listed = models.BooleanField(default=True, help_text="Show it on the quiz page next to the presets.")
    order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["order", "title"]
        verbose_name_plural = "fixed quizzes"

    def __str__(self) -> str:
        return self.title


class FixedQuizEntry(models.Model):
    quiz = models.ForeignKey(FixedQuiz, on_delete=models.CASCADE, related_name="entries")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="+")
    # Empty: ask one of the question's items at random, or the question as free text if it has none.
    item = models.ForeignKey(QuizItem, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    free_text = models.BooleanField(
        default=False, help_text="Ask it as an open question graded against the key points."
    )
    order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["quiz", "order", "pk"]
        verbose_name_plural = "questions"


class Attempt(models.Model):
    class Status(models.TextChoices):
        IN_PROGRESS = "in_progress", "In progress"
        FINISHED = "finished", "Finished"

    class FinishReason(models.TextChoices):
        SUBMITTED = "submitted", "Submitted"
        TIME_UP = "time_up", "Time ran out"
        # Left open and closed at its deadline by the next read or the sweep, or replaced by
        # "start over": the taker was not there when it ended.
        ABANDONED = "abandoned", "Abandoned"

    # A UUID, not a counter: attempt URLs must not be guessable by other visitors.
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="quiz_attempts"
    )
    anon_key = models.CharField(max_length=64, blank=True, db_index=True)
    title = models.CharField(max_length=200)
    # What was asked for (topics, difficulty, counts): shown on the results page and reused by "retry".
    spec = models.JSONField(default=dict, blank=True)
    fixed_quiz = models.ForeignKey(FixedQuiz, on_delete=models.SET_NULL, null=True, blank=True, related_name="attempts")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.IN_PROGRESS, db_index=True)
    finish_reason = models.CharField(max_length=12, choices=FinishReason.choices, blank=True)
    started_at = models.DateTimeField()
    deadline = models.DateTimeField(db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    score = models.FloatField(default=0)
    max_score = models.FloatField(default=0)
    # Free-text answers waiting for the taker's own 0-2 grade; the score is final when this is 0.
    pending_self_grades = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["status", "deadline"], name="attempt_open_deadline")]

    def __str__(self) -> str:
        return f"{self.title} ({self.started_at:%Y-%m-%d %H:%M})"

    def get_absolute_url(self) -> str:
        return reverse("quizzes:take", args=[self.pk])

    @property
    def is_finished(self) -> bool:
        return self.status == self.Status.FINISHED

    @property
    def time_limit_seconds(self) -> int:
        return int((self.deadline - self.started_at).total_seconds())

    def time_used_seconds(self, now: datetime) -> int:
        end = self.finished_at or now
        return max(0, min(int((end - self.started_at).total_seconds()), self.time_limit_seconds))


class Slot(models.Model):
    """One numbered question inside an attempt, frozen at the start."""

    attempt = models.ForeignKey(Attempt, on_delete=models.CASCADE, related_name="slots")
    position = models.PositiveIntegerField()
    kind = models.CharField(max_length=10, choices=kinds.slot_choices)  # every kind in questions.kinds
    # Null for generated drills; SET_NULL so deleting a question in the admin never erases history.
    question = models.ForeignKey(Question, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    item = models.ForeignKey(QuizItem, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    topic = models.ForeignKey(Topic, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    prompt = models.TextField()
    # Choice ids in the order this taker sees them (shuffled once, at the start); the taker sees them
    # only as per-attempt tokens (kinds.choice_token).
    choice_order = models.JSONField(default=list, blank=True)
    # Numeric and drill slots: the expected value and how close is close enough.
    expected = models.FloatField(null=True, blank=True)
    tolerance = models.FloatField(null=True, blank=True)
    tolerance_mode = models.CharField(max_length=10, blank=True)
    unit = models.CharField(max_length=40, blank=True)
    # Drill slots: which formula and the random parameters drawn for this attempt.
    drill = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["attempt", "position"]
        constraints = [models.UniqueConstraint(fields=["attempt", "position"], name="unique_slot_position")]

    def __str__(self) -> str:
        return f"{self.attempt_id}#{self.position}"

    @property
    def spec(self) -> kinds.Kind:
        """What this slot's kind does: how it is answered, graded and shown."""
        return kinds.get(self.kind)


class Answer(models.Model):
    """What the taker gave for one slot; saved over (upserted) on every autosave."""

    attempt = models.ForeignKey(Attempt, on_delete=models.CASCADE, related_name="answers")
    # One answer per slot (and so per (attempt, slot)): autosave upserts on this key.
    slot = models.OneToOneField(Slot, on_delete=models.CASCADE, related_name="answer")
    # What the slot's kind stored (kinds.<kind>.clean_answer): choice ids, a number, or text.
    value = models.JSONField(null=True, blank=True)
    seconds_spent = models.PositiveIntegerField(default=0)
    saves = models.PositiveIntegerField(default=0, help_text="How many times the taker saved this answer.")
    first_saved_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    # Filled in when the attempt is finished (and, for free text, when the taker self-grades).
    points = models.FloatField(null=True, blank=True)
    max_points = models.FloatField(default=1)
    is_correct = models.BooleanField(null=True, blank=True)
    self_score = models.PositiveSmallIntegerField(null=True, blank=True)

    def __str__(self) -> str:
        return f"answer to {self.slot}"


class ReviewCard(models.Model):
    """The FSRS memory state of one thing to remember (a question, a quiz item, ...) for one learner.

    What the card is about is ``subject`` (a name in ``questions.quizzes.cards.SUBJECTS``, the one
    registry of card subjects) plus ``object_id``; ``question`` is the bank question it belongs to
    (the question itself, or the question of a quiz item), which gives topic, title and retirement.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="review_cards"
    )
    anon_key = models.CharField(max_length=64, blank=True, db_index=True)
    subject = models.CharField(max_length=20, default="question")
    object_id = models.PositiveIntegerField()
    # Null only for a subject that belongs to no bank question (none today).
    question = models.ForeignKey(Question, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    # fsrs.Card.to_dict(): state, step, stability, difficulty, due, last_review.
    fsrs_state = models.JSONField(default=dict)
    due = models.DateTimeField(db_index=True)
    last_review = models.DateTimeField(null=True, blank=True)
    # Also the card's version: a grade carries the count it was shown at, so a repeat counts once.
    reviews = models.PositiveIntegerField(default=0)
    lapses = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["due"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "subject", "object_id"], condition=models.Q(user__isnull=False),
                name="unique_card_subject_per_user",
            ),
            models.UniqueConstraint(
                fields=["anon_key", "subject", "object_id"], condition=models.Q(user__isnull=True),
                name="unique_card_subject_per_visitor",
            ),
        ]

    def __str__(self) -> str:
        return f"card {self.subject}:{self.object_id} due {self.due:%Y-%m-%d}"


class ReviewLog(models.Model):
    class Source(models.TextChoices):
        QUIZ = "quiz", "Quiz result"
        SELF = "self", "Self-rating on the question page"
        REVIEW = "review", "Review session"
        EXERCISE = "exercise", "Solved exercise"

    card = models.ForeignKey(ReviewCard, on_delete=models.CASCADE, related_name="logs")
    rating = models.PositiveSmallIntegerField()  # fsrs.Rating: 1 again, 2 hard, 3 good, 4 easy
    source = models.CharField(max_length=10, choices=Source.choices)
    reviewed_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-reviewed_at"]


class QuestionView(models.Model):
    """That a learner opened a question page, and when last: the "seen" mark and "continue where you left off"."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="question_views"
    )
    anon_key = models.CharField(max_length=64, blank=True, db_index=True)
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="+")
    first_seen = models.DateTimeField()
    last_seen = models.DateTimeField(db_index=True)
    views = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-last_seen"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "question"], condition=models.Q(user__isnull=False), name="unique_view_per_user"
            ),
            models.UniqueConstraint(
                fields=["anon_key", "question"], condition=models.Q(user__isnull=True), name="unique_view_per_visitor"
            ),
        ]


class QuestionStatistics(QuizItem):
    """Admin-only view: how often each option is chosen and how long answers take (see admin.py)."""

    class Meta:
        proxy = True
        verbose_name = "question statistics"
        verbose_name_plural = "question statistics"
