"""The read queries the pages and the API share, so both show the same questions in the same order."""
from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet

from questions.models import Difficulty, Question, Topic, published_filter

DIFFICULTY_VALUES = tuple(value for value, _ in Difficulty.choices)
RELATED_LIMIT = 5


def active_questions() -> QuerySet[Question]:
    """Published questions with what their list rows show (drafts, queued and retired ones never appear)."""
    return Question.objects.published().select_related("topic").prefetch_related("tags")


def topics_with_counts() -> QuerySet[Topic]:
    """Topics in bank order, each with ``question_count`` = its published questions."""
    # Explicit order_by: Django drops Meta.ordering from aggregate (GROUP BY) queries.
    return Topic.objects.annotate(
        question_count=Count("questions", filter=published_filter("questions__"))
    ).order_by("order", "title")


def filter_questions(
    queryset: QuerySet[Question], *, topic: str = "", tag: str = "", difficulty: str = ""
) -> QuerySet[Question]:
    """Narrow by topic slug, tag slug and difficulty; an empty value means "any"."""
    if topic:
        queryset = queryset.filter(topic__slug=topic)
    if tag:
        queryset = queryset.filter(tags__slug=tag)
    if difficulty:
        queryset = queryset.filter(difficulty=difficulty)
    return queryset.distinct() if tag else queryset


@dataclass(frozen=True)
class Neighbours:
    previous: Question | None
    next: Question | None
    position: int
    total: int


def topic_neighbours(question: Question) -> Neighbours:
    """The questions before and after ``question`` in its topic's reading order."""
    siblings = list(Question.objects.published().filter(topic_id=question.topic_id).only("slug", "title", "order"))
    ids = [q.pk for q in siblings]
    if question.pk not in ids:  # a retired question is outside the sequence
        return Neighbours(None, None, 0, len(siblings))
    index = ids.index(question.pk)
    return Neighbours(
        previous=siblings[index - 1] if index > 0 else None,
        next=siblings[index + 1] if index + 1 < len(siblings) else None,
        position=index + 1,
        total=len(siblings),
    )


def related_questions(question: Question, limit: int = RELATED_LIMIT) -> list[Question]:
    """Other active questions ranked by how many tags they share with ``question``."""
    tag_ids = list(question.tags.values_list("pk", flat=True))
    if not tag_ids:
        return []
    return list(
        Question.objects.published().filter(tags__in=tag_ids)
        .exclude(pk=question.pk)
        .annotate(shared_tags=Count("tags", filter=Q(tags__in=tag_ids)))
        .select_related("topic")
        .order_by("-shared_tags", "topic__order", "order")[:limit]
    )
