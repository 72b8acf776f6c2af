"""Exercise links and solved/attempted marks on the bank's pages (question, topic, home).

Tags rather than view changes, so the bank's views stay unaware of exercises; each tag reads the
visitor from the request in the context.
"""
from __future__ import annotations

from typing import Any

from django import template

from prep_site.web.visitor import visitor_for
from questions.exercises import progress
from questions.exercises.models import Exercise

register = template.Library()


def _visitor(context: template.Context) -> Any:
    request = context.get("request")
    return visitor_for(request, create=False) if request is not None else None


@register.inclusion_tag("exercises/_practise_links.html", takes_context=True)
def practise_links(context: template.Context, question: Any) -> dict[str, Any]:
    """ "Practise: implement it" with the exercises that practise ``question`` (nothing when there are none)."""
    exercises = list(question.exercises.visible())
    marks = progress.marks(_visitor(context)) if exercises else {}
    return {"rows": [(exercise, marks.get(exercise.pk, "")) for exercise in exercises]}


@register.inclusion_tag("exercises/_topic_exercises.html", takes_context=True)
def topic_exercises(context: template.Context, topic: Any) -> dict[str, Any]:
    exercises = list(Exercise.objects.visible().filter(topic=topic))
    marks = progress.marks(_visitor(context)) if exercises else {}
    rows = [(exercise, marks.get(exercise.pk, "")) for exercise in exercises]
    return {"topic": topic, "rows": rows, "solved": sum(1 for _, mark in rows if mark == progress.SOLVED)}


@register.simple_tag(takes_context=True)
def exercise_counts(context: template.Context) -> dict[str, Any]:
    """For the home page: {"total", "solved", "attempted", "by_topic": {topic id: TopicCounts}}."""
    by_topic = progress.topic_counts(_visitor(context))
    return {
        "total": sum(c.total for c in by_topic.values()),
        "solved": sum(c.solved for c in by_topic.values()),
        "attempted": sum(c.attempted for c in by_topic.values()),
        "by_topic": by_topic,
    }


@register.filter
def counts_for(by_topic: dict[int, progress.TopicCounts], topic: Any) -> progress.TopicCounts | None:
    return by_topic.get(topic.pk)
