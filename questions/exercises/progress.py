"""Solved and attempted, per exercise and per topic, for one visitor: what the marks on the pages show.

An attempt is a graded Submit; a Check records nothing. Solved means at least one graded Submit passed.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from prep_site.web.visitor import Visitor
from questions.exercises.models import Exercise, Submission

SOLVED, ATTEMPTED = "solved", "attempted"


def marks(visitor: Visitor | None) -> dict[int, str]:
    """Exercise id → "solved" | "attempted" for every exercise this visitor has submitted."""
    if visitor is None:
        return {}
    mine = Submission.objects.of(visitor)
    solved = set(mine.solved().values_list("exercise_id", flat=True))
    attempted = set(mine.attempts().graded().values_list("exercise_id", flat=True))
    return {**{pk: ATTEMPTED for pk in attempted}, **{pk: SOLVED for pk in solved}}


@dataclass(frozen=True)
class TopicCounts:
    total: int
    solved: int
    attempted: int  # attempted but not (yet) solved


def topic_counts(visitor: Visitor | None) -> dict[int, TopicCounts]:
    """Topic id → exercise counts (active exercises only)."""
    exercises = dict(Exercise.objects.visible().values_list("pk", "topic_id"))
    totals = Counter(exercises.values())
    by_mark: dict[str, Counter] = {SOLVED: Counter(), ATTEMPTED: Counter()}
    for pk, mark in marks(visitor).items():
        if pk in exercises:
            by_mark[mark][exercises[pk]] += 1
    return {topic: TopicCounts(total, by_mark[SOLVED][topic], by_mark[ATTEMPTED][topic]) for topic, total in totals.items()}


def graded_attempts(visitor: Visitor | None) -> list[tuple[str, str, datetime, float]]:
    """(submission id, topic title, when graded, 1.0 passed / 0.0 not) per graded Submit, oldest first.

    What topic mastery (``questions/quizzes/mastery.py``) counts besides quiz answers.
    """
    if visitor is None:
        return []
    rows = (Submission.objects.of(visitor).attempts().graded()
            .select_related("exercise__topic", "run").order_by("run__finished_at"))
    return [(str(s.pk), s.exercise.topic.title, s.run.finished_at, 1.0 if s.passed else 0.0) for s in rows]
