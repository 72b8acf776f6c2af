"""Server-rendered pages of the bank. Views only query and render; rendering Markdown is cached."""
from __future__ import annotations

from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import PermissionDenied
from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from prep_site.web.errors import error_response
from questions import queries
from questions.markdown import render_markdown
from questions.models import Difficulty, Tag, Topic
from questions.quizzes import progress
from questions.quizzes.ownership import owner_for
from questions.search import MAX_QUERY_TERMS, ParsedQuery, parse, search_questions

SEARCH_LIMIT = 50
SHOWN_QUERY_CHARS = 200
PREVIEW_MAX_CHARS = 100_000


def _topics_with_progress(request: HttpRequest) -> list[Topic]:
    """Topics with ``question_count`` and, for a visitor with history, ``progress`` and ``chart``."""
    topics = list(queries.topics_with_counts())
    study = progress.study_overview(owner_for(request, create=False))
    for topic in topics:
        topic.progress = study.topics.get(topic.pk) if study else None
        topic.chart = study.charts.get(topic.slug) if study else None
    return topics


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """Everyone: search and topics. A visitor with history first: what is due and where they left off."""
    topics = _topics_with_progress(request)
    return render(
        request,
        "questions/home.html",
        {"topics": topics, "question_total": sum(t.question_count for t in topics),
         "resume": progress.resume(owner_for(request, create=False))},
    )


@require_GET
def topic_index(request: HttpRequest) -> HttpResponse:
    topics = _topics_with_progress(request)
    return render(request, "questions/topics.html",
                  {"topics": topics, "question_total": sum(t.question_count for t in topics)})


@require_GET
def topic_detail(request: HttpRequest, slug: str) -> HttpResponse:
    topic = get_object_or_404(Topic, slug=slug)
    difficulty = request.GET.get("difficulty", "")
    if difficulty not in queries.DIFFICULTY_VALUES:
        difficulty = ""
    owner = owner_for(request, create=False)
    questions = progress.annotate(
        owner, queries.filter_questions(queries.active_questions(), topic=topic.slug, difficulty=difficulty))
    study = progress.study_overview(owner, topic)
    return render(
        request,
        "questions/topic.html",
        {"topic": topic, "questions": questions, "difficulty": difficulty, "difficulties": Difficulty.choices,
         "topic_progress": study.topics.get(topic.pk) if study else None,
         "chart": study.charts.get(topic.slug) if study else None},
    )


@require_GET
def question_detail(request: HttpRequest, slug: str) -> HttpResponse:
    question = get_object_or_404(queries.active_questions(), slug=slug)
    progress.record_view(owner_for(request, create=False), question)
    return render(
        request,
        "questions/question.html",
        {
            "question": question,
            "neighbours": queries.topic_neighbours(question),
            "related": queries.related_questions(question),
        },
    )


@require_GET
def tag_detail(request: HttpRequest, slug: str) -> HttpResponse:
    tag = get_object_or_404(Tag, slug=slug)
    questions = progress.annotate(owner_for(request, create=False),
                                  queries.filter_questions(queries.active_questions(), tag=tag.slug))
    return render(request, "questions/tag.html", {"tag": tag, "questions": questions})


@require_GET
def search(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()
    parsed = parse(query)
    hits = search_questions(parsed, limit=SEARCH_LIMIT) if parsed else []
    return render(
        request,
        "questions/search.html",
        {
            # Shown back in the search boxes; a pasted page is cut (only its start was read anyway).
            "query": query[:SHOWN_QUERY_CHARS],
            "searched": bool(parsed),
            "notice": _search_notice(query, parsed),
            "hits": hits,
            # A full page means there may be more: the count then says "the first 50" instead of a false total.
            "more": len(hits) >= SEARCH_LIMIT,
        },
    )


def _search_notice(query: str, parsed: ParsedQuery) -> str:
    """What to do about a query that could not be searched as typed ("" when it could)."""
    if not query:
        return ""
    if parsed.only_stop_words:
        return ("Those words are too common to search for. "
                "Add a word that names the topic, for example “KV cache” or “top-p”.")
    if not parsed:
        return ("There are no letters or digits to search for. "
                "Type a word or two, for example “paged attention” or “int8”.")
    if parsed.dropped:
        return (f"Only the first {MAX_QUERY_TERMS} words were searched ({parsed.dropped} more were left out). "
                "A few words that name the topic find it best.")
    return ""


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """For load balancers and docker-compose: 200 only when the database answers."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as exc:
        return JsonResponse({"status": "error", "database": str(exc)}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


@staff_member_required
@require_POST
def markdown_preview(request: HttpRequest) -> JsonResponse:
    """The admin's live preview: the same renderer as the site, so what staff see is what readers get."""
    # Staff who cannot write questions have no editor to preview for (authors and reviewers do).
    if not (request.user.has_perm("questions.add_question") or request.user.has_perm("questions.change_question")):
        raise PermissionDenied
    text = request.POST.get("text", "")
    if len(text) > PREVIEW_MAX_CHARS:
        return error_response("text", f"must be at most {PREVIEW_MAX_CHARS} characters, got {len(text)}")
    return JsonResponse({"html": render_markdown(text)})
