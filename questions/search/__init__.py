"""Full-text search over the active questions, one interface for two databases.

``search_questions(query)`` → ranked ``SearchHit``s whose ``snippet_html`` is escaped text with the
matches in ``<mark>`` and inline formulas rendered. The query is parsed once (query.py: hyphenated
terms, synonyms, stop words), the database finds the matching questions (backends.py), and one
Python ranker orders them and cuts the snippets (rank.py), so SQLite and PostgreSQL agree.
"""
from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet

from questions.markdown import inline_formulas
from questions.models import Question
from questions.search import rank
from questions.search.backends import FTS_TABLE, get_backend
from questions.search.query import MAX_QUERY_TERMS, ParsedQuery, parse, query_terms

__all__ = [
    "FTS_TABLE", "MAX_QUERY_TERMS", "ParsedQuery", "SearchHit", "index_question", "parse",
    "query_terms", "rebuild_index", "remove_question", "search_questions",
]

# The ranker reads every matching question; past this many (a one-word query on a bank of
# thousands) only the first by id are ranked. The bank has a few hundred.
MAX_CANDIDATES = 1000


@dataclass(frozen=True)
class SearchHit:
    question: Question
    rank: float
    snippet_html: str


def search_questions(
    query: str | ParsedQuery, *, queryset: QuerySet[Question] | None = None, limit: int = 50
) -> list[SearchHit]:
    """Active questions matching ``query``, best first (optionally within ``queryset``)."""
    parsed = parse(query) if isinstance(query, str) else query
    if not parsed:
        return []
    base = queryset if queryset is not None else Question.objects.all()
    base = base.published().select_related("topic").prefetch_related("tags")
    backend = get_backend()
    found = list(backend.matching(parsed, base, every_group=True).order_by("pk")[:MAX_CANDIDATES])
    if not found and len(parsed.groups) > 1:
        found = list(backend.matching(parsed, base, every_group=False).order_by("pk")[:MAX_CANDIDATES])
    scored = [(rank.score(parsed, q.title, q.slug, [t.slug for t in q.tags.all()], q.answer_text), q) for q in found]
    scored.sort(key=lambda pair: (-pair[0].matched_groups, -pair[0].score, pair[1].title, pair[1].slug))
    return [
        SearchHit(q, s.score, rank.snippet_html(parsed, q.answer_text, lambda q=q: inline_formulas(q.answer_md)))
        for s, q in scored[:limit]
    ]


def index_question(question: Question) -> None:
    get_backend().index(question)


def remove_question(question_id: int) -> None:
    get_backend().remove(question_id)


def rebuild_index() -> int:
    return get_backend().rebuild()
