"""Visible progress: which questions a learner has seen, answered right and mastered, per question and per topic.

``marks_for(owner, question_ids)`` is the one helper every list of questions uses
(topic pages, the home page, search results): a fixed number of queries however
long the list, so a page of 50 results costs the same as a page of 5.

* **seen**: the question page was opened, or the question was met in a quiz or a review.
* **right**: answered right at least once — a quiz answer marked correct, or a grade of
  Good or Easy for one of its cards.
* **mastered**: one of its cards is remembered for ``MASTERED_STABILITY_DAYS`` or longer
  (FSRS stability: the days until recall drops to 90%). 21 days is Anki's line between a
  "young" and a "mature" card.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import fsrs
from django.db import IntegrityError, transaction
from django.db.models import F

from questions.models import Question, published_filter
from questions.quizzes import clock, mastery, review
from questions.quizzes.models import Answer, Attempt, QuestionView, ReviewCard, ReviewLog
from questions.quizzes.ownership import Owner

MASTERED_STABILITY_DAYS = 21.0


@dataclass(frozen=True)
class Mark:
    seen: bool = False
    right: bool = False
    mastered: bool = False

    @property
    def label(self) -> str:
        """The strongest mark in words, for a badge and for screen readers."""
        if self.mastered:
            return "Mastered"
        if self.right:
            return "Answered right"
        return "Seen" if self.seen else "Not seen yet"

    @property
    def level(self) -> str:
        return "mastered" if self.mastered else "right" if self.right else "seen" if self.seen else "new"


NOT_SEEN = Mark()


def record_view(owner: Owner | None, question: Any, when: datetime | None = None) -> None:
    """Remember that ``owner`` opened ``question`` (nothing for a visitor without a session: no row to key it by)."""
    if owner is None:
        return
    when = when or clock.now()
    updated = QuestionView.objects.filter(owner.filter(), question=question).update(
        last_seen=when, views=F("views") + 1)
    if updated:
        return
    try:
        with transaction.atomic():
            QuestionView.objects.create(question=question, first_seen=when, last_seen=when, **owner.fields())
    except IntegrityError:  # the same visitor opened it twice at once; the other request made the row
        QuestionView.objects.filter(owner.filter(), question=question).update(last_seen=when)


def marks_for(owner: Owner | None, question_ids: Iterable[int]) -> dict[int, Mark]:
    """Question id → its ``Mark`` for this learner, in four queries whatever the number of questions.

    Questions with no mark at all are absent; read with ``.get(pk, NOT_SEEN)``.
    """
    ids = list(set(question_ids))
    if owner is None or not ids:
        return {}
    viewed = set(QuestionView.objects.filter(owner.filter(), question_id__in=ids)
                 .values_list("question_id", flat=True))
    answered_right = set(
        Answer.objects.filter(attempt__in=Attempt.objects.filter(owner.filter()), is_correct=True,
                              slot__question_id__in=ids).values_list("slot__question_id", flat=True))
    cards = list(ReviewCard.objects.filter(owner.filter(), question_id__in=ids)
                 .values_list("question_id", "fsrs_state"))
    graded_well = set(ReviewLog.objects.filter(card__in=ReviewCard.objects.filter(owner.filter(), question_id__in=ids),
                                               rating__gte=fsrs.Rating.Good)
                      .values_list("card__question_id", flat=True))
    carded = {question_id for question_id, _ in cards}
    mastered = {question_id for question_id, state in cards
                if (state or {}).get("stability") and state["stability"] >= MASTERED_STABILITY_DAYS}
    right = answered_right | graded_well
    return {
        pk: Mark(seen=True, right=pk in right, mastered=pk in mastered)
        for pk in viewed | carded | right
    }


def annotate(owner: Owner | None, questions: Iterable[Any]) -> list[Any]:
    """The questions as a list, each with ``.progress`` (its ``Mark``) for ``_question_list.html`` to show."""
    questions = list(questions)
    marks = marks_for(owner, (q.pk for q in questions))
    for question in questions:
        question.progress = marks.get(question.pk, NOT_SEEN) if owner is not None else None
    return questions


@dataclass(frozen=True)
class TopicProgress:
    total: int
    seen: int
    right: int
    mastered: int

    @property
    def mastered_percent(self) -> int:
        return round(100 * self.mastered / self.total) if self.total else 0

    @property
    def seen_percent(self) -> int:
        return round(100 * self.seen / self.total) if self.total else 0


def topic_progress(owner: Owner | None, questions: Iterable[Any]) -> dict[int, TopicProgress]:
    """Topic id → counts of its questions seen, answered right and mastered (same four queries)."""
    by_topic: dict[int, list[int]] = {}
    for question in questions:
        by_topic.setdefault(question.topic_id, []).append(question.pk)
    marks = marks_for(owner, (pk for pks in by_topic.values() for pk in pks))
    result = {}
    for topic_id, pks in by_topic.items():
        got = [marks.get(pk, NOT_SEEN) for pk in pks]
        result[topic_id] = TopicProgress(total=len(pks), seen=sum(m.seen for m in got),
                                         right=sum(m.right for m in got), mastered=sum(m.mastered for m in got))
    return result


@dataclass(frozen=True)
class Overview:
    topics: dict[int, TopicProgress]  # topic id -> counts
    charts: dict[str, Any]  # topic slug -> mastery.TopicChart


def study_overview(owner: Owner | None, topic: Any = None) -> Overview | None:
    """Per-topic counts (of every topic, or of ``topic`` alone) and mastery charts for a visitor with a
    session; None for everyone else."""
    if owner is None:
        return None
    questions = Question.objects.published().only("pk", "topic_id")
    if topic is not None:
        questions = questions.filter(topic=topic)
    return Overview(topics=topic_progress(owner, questions),
                    charts={chart.slug: chart for chart in mastery.topic_charts(owner)})


@dataclass(frozen=True)
class Resume:
    due: int  # cards due now
    attempt: Attempt | None  # a quiz still running
    last_view: QuestionView | None  # the question opened most recently

    @property
    def anything(self) -> bool:
        return bool(self.due or self.attempt or self.last_view)


def resume(owner: Owner | None) -> Resume | None:
    """What a returning learner's home page leads with: what is due, and where they left off."""
    if owner is None:
        return None
    now = clock.now()
    attempt = (Attempt.objects.filter(owner.filter(), status=Attempt.Status.IN_PROGRESS, deadline__gt=now)
               .order_by("-started_at").first())
    last_view = (QuestionView.objects.filter(owner.filter(), published_filter("question__"))
                 .select_related("question", "question__topic").first())
    return Resume(due=review.due_count(owner, now), attempt=attempt, last_view=last_view)
