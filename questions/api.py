"""Read-only JSON API over the bank.

Quiz items are published without their answers: choices carry no
``is_correct``/explanation and numeric items no ``answer``, so the API can
never be used to read the grading key (the quiz app grades server-side).
Options are listed in their stored order, which is shuffled when written
(``QuizItem.replace_choices``), under ids unrelated to that order.
"""
from __future__ import annotations

from typing import Any

from django.http import HttpRequest, JsonResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.views.decorators.http import require_GET

from prep_site.web.errors import FieldError, json_field_errors
from questions import queries
from questions.markdown import render_markdown
from questions.models import Question, QuizItem, Topic
from questions.search import search_questions

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


def _int_param(request: HttpRequest, name: str, default: int, low: int, high: int) -> int:
    raw = request.GET.get(name, "")
    if raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise FieldError(name, f"must be a whole number between {low} and {high}, got {raw!r}") from None
    if not low <= value <= high:
        raise FieldError(name, f"must be between {low} and {high}, got {value}")
    return value


def topic_summary(request: HttpRequest, topic: Topic, question_count: int) -> dict[str, Any]:
    return {
        "slug": topic.slug,
        "title": topic.title,
        "intro_html": render_markdown(topic.intro),
        "question_count": question_count,
        "url": request.build_absolute_uri(topic.get_absolute_url()),
        "api_url": request.build_absolute_uri(reverse("questions:api_topic", args=[topic.slug])),
    }


def question_summary(request: HttpRequest, question: Question) -> dict[str, Any]:
    return {
        "slug": question.slug,
        "title": question.title,
        "topic": question.topic.slug,
        "difficulty": question.difficulty,
        "tags": [tag.slug for tag in question.tags.all()],
        "url": request.build_absolute_uri(question.get_absolute_url()),
        "api_url": request.build_absolute_uri(reverse("questions:api_question", args=[question.slug])),
    }


def quiz_item_public(item: QuizItem) -> dict[str, Any]:
    """An item without its answer: what its kind publishes (options under opaque ids, in storage order)."""
    return {"id": item.key, "kind": item.kind, "prompt_html": render_markdown(item.prompt), **item.spec.public(item)}


@require_GET
def topics(request: HttpRequest) -> JsonResponse:
    return JsonResponse(
        {"topics": [topic_summary(request, t, t.question_count) for t in queries.topics_with_counts()]}
    )


@require_GET
def topic(request: HttpRequest, slug: str) -> JsonResponse:
    found = get_object_or_404(queries.topics_with_counts(), slug=slug)
    questions = queries.filter_questions(queries.active_questions(), topic=found.slug)
    return JsonResponse(
        {
            **topic_summary(request, found, found.question_count),
            "questions": [question_summary(request, q) for q in questions],
        }
    )


@require_GET
@json_field_errors
def questions(request: HttpRequest) -> JsonResponse:
    difficulty = request.GET.get("difficulty", "")
    if difficulty and difficulty not in queries.DIFFICULTY_VALUES:
        raise FieldError("difficulty", f"must be one of {', '.join(queries.DIFFICULTY_VALUES)}, got {difficulty!r}")
    limit = _int_param(request, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT)
    offset = _int_param(request, "offset", 0, 0, 1_000_000)
    filtered = queries.filter_questions(
        queries.active_questions(),
        topic=request.GET.get("topic", ""),
        tag=request.GET.get("tag", ""),
        difficulty=difficulty,
    )
    query = request.GET.get("q", "").strip()[:200]
    if query:
        # Search ranks; the page is cut from the ranked list (search is capped, so this stays small).
        hits = search_questions(query, queryset=filtered, limit=offset + limit)
        page = [{**question_summary(request, h.question), "snippet_html": h.snippet_html} for h in hits[offset:]]
        count = len(hits) if len(hits) < offset + limit else None
    else:
        count = filtered.count()
        page = [question_summary(request, q) for q in filtered[offset : offset + limit]]
    return JsonResponse({"count": count, "limit": limit, "offset": offset, "results": page})


@require_GET
def question(request: HttpRequest, slug: str) -> JsonResponse:
    found = get_object_or_404(queries.active_questions(), slug=slug)
    items = found.quiz_items.filter(is_active=True).prefetch_related("choices")
    return JsonResponse(
        {
            **question_summary(request, found),
            "answer_html": render_markdown(found.answer_md),
            "key_points": found.key_points,
            "common_mistakes": found.common_mistakes,
            "follow_ups": found.follow_ups,
            "sources": found.sources,
            "demos": found.demos,
            "quiz_items": [quiz_item_public(item) for item in items],
        }
    )
