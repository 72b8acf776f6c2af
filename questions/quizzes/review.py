"""Spaced repetition: one FSRS card per (learner, question), fed by quizzes, self-ratings and daily review.

The memory model is the ``fsrs`` package's; this module only maps our events to
its ratings and persists ``fsrs.Card`` as JSON on ``ReviewCard``.
"""
from __future__ import annotations

from datetime import datetime

import fsrs
from django.db import transaction
from django.db.models import QuerySet

from questions.models import Question
from questions.quizzes import clock
from questions.quizzes.models import ReviewCard, ReviewLog
from questions.quizzes.ownership import Owner

RATINGS = {  # form value -> (fsrs rating, label shown on the buttons)
    "again": (fsrs.Rating.Again, "Again — I did not know it"),
    "hard": (fsrs.Rating.Hard, "Hard — with effort"),
    "good": (fsrs.Rating.Good, "Good — I knew it"),
    "easy": (fsrs.Rating.Easy, "Easy — instantly"),
}

# The queue is daily, so no minute-scale learning steps: a card goes straight to whole-day intervals
# (again/hard: 1 day, good: 2, easy: 8 for a new card). Fuzzing spreads due dates at random; off, so a
# learner (and a test) sees the interval FSRS computed.
_scheduler = fsrs.Scheduler(enable_fuzzing=False, learning_steps=(), relearning_steps=())


class InvalidRating(ValueError):
    pass


def parse_rating(value: str) -> fsrs.Rating:
    try:
        return RATINGS[value][0]
    except KeyError:
        raise InvalidRating(f"rating must be one of {', '.join(RATINGS)} (got {value!r})") from None


def rating_for_quiz_result(is_correct: bool | None, self_score: int | None = None) -> fsrs.Rating | None:
    """How a quiz outcome counts as a review: right → Good, wrong → Again; free text by its 0–2 self-grade."""
    if self_score is not None:
        return (fsrs.Rating.Again, fsrs.Rating.Hard, fsrs.Rating.Good)[self_score]
    if is_correct is None:
        return None
    return fsrs.Rating.Good if is_correct else fsrs.Rating.Again


def record_review(owner: Owner, question: Question, rating: fsrs.Rating, source: str,
                  when: datetime | None = None) -> ReviewCard:
    """Apply one rating to the owner's card for ``question`` (creating it on first sight)."""
    when = when or clock.now()
    with transaction.atomic():
        card = ReviewCard.objects.select_for_update().filter(owner.filter(), question=question).first()
        memory = fsrs.Card.from_dict(card.fsrs_state) if card and card.fsrs_state else fsrs.Card(due=when)
        memory, _log = _scheduler.review_card(memory, rating, review_datetime=when)
        if card is None:
            card = ReviewCard(question=question, **owner.fields())
        card.fsrs_state = memory.to_dict()
        card.due = memory.due
        card.last_review = when
        card.reviews += 1
        card.lapses += rating == fsrs.Rating.Again
        card.save()
        ReviewLog.objects.create(card=card, rating=int(rating), source=source, reviewed_at=when)
    return card


def due_cards(owner: Owner, when: datetime | None = None) -> QuerySet[ReviewCard]:
    """The owner's daily queue: every card due by ``when``, most overdue first, retired questions left out."""
    when = when or clock.now()
    return (
        ReviewCard.objects.filter(owner.filter(), due__lte=when, question__in=Question.objects.published())
        .select_related("question", "question__topic")
        .order_by("due")
    )


def due_count(owner: Owner | None, when: datetime | None = None) -> int:
    if owner is None:
        return 0
    return due_cards(owner, when).count()
