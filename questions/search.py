"""Full-text search over the active questions, one interface for two databases.

SQLite (the default) keeps an FTS5 table (created by migration 0003) in sync
through the signals in questions/signals.py; PostgreSQL searches the columns
directly with SearchVector/SearchRank/SearchHeadline. Callers only see
``search_questions(query)`` → ranked ``SearchHit``s whose ``snippet_html`` is
escaped text with the matches wrapped in ``<mark>``.

Ranking weights: a hit in the title counts most, then a tag, then the answer.
"""
from __future__ import annotations

import html
import re
from dataclasses import dataclass

from django.db import connection
from django.db.models import QuerySet

from questions.models import Question

FTS_TABLE = "questions_search_fts"
MAX_QUERY_TERMS = 12
SNIPPET_TOKENS = 24
# Private-use sentinels mark matches inside FTS5 snippets; the snippet is escaped first and the
# sentinels become <mark> after, so indexed text can never inject HTML.
_OPEN, _CLOSE = "\ue000", "\ue001"
_TERM_RE = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True)
class SearchHit:
    question: Question
    rank: float
    snippet_html: str


def query_terms(query: str) -> list[str]:
    """The words of a user's query; punctuation and FTS operators are dropped, never interpreted."""
    return _TERM_RE.findall(query.lower())[:MAX_QUERY_TERMS]


class SearchBackend:
    """What both databases provide; ``index``/``remove`` are no-ops where the database searches columns."""

    def index(self, question: Question) -> None:
        raise NotImplementedError

    def remove(self, question_id: int) -> None:
        raise NotImplementedError

    def search(self, query: str, queryset: QuerySet[Question], limit: int) -> list[SearchHit]:
        raise NotImplementedError

    def rebuild(self) -> int:
        """Re-index every question; returns how many are indexed."""
        count = 0
        for question in Question.objects.prefetch_related("tags"):
            self.index(question)
            count += 1
        return count


class SqliteFtsBackend(SearchBackend):
    def index(self, question: Question) -> None:
        tags = " ".join(tag.slug.replace("-", " ") for tag in question.tags.all())
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {FTS_TABLE} WHERE rowid = %s", [question.pk])
            cursor.execute(
                f"INSERT INTO {FTS_TABLE} (rowid, title, tags, body) VALUES (%s, %s, %s, %s)",
                [question.pk, question.title, tags, question.answer_text],
            )

    def remove(self, question_id: int) -> None:
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {FTS_TABLE} WHERE rowid = %s", [question_id])

    def rebuild(self) -> int:
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {FTS_TABLE}")
        return super().rebuild()

    def search(self, query: str, queryset: QuerySet[Question], limit: int) -> list[SearchHit]:
        terms = query_terms(query)
        if not terms:
            return []
        # Every term must match (AND); the last one as a prefix, so results follow the typing.
        # Quoting each term keeps words like NOT/OR/NEAR literal.
        quoted = [f'"{term}"' for term in terms]
        quoted[-1] += "*"
        hits = self._ranked(" ".join(quoted), limit * 4)
        if not hits and len(terms) > 1:
            hits = self._ranked(" OR ".join(quoted), limit * 4)
        by_id = queryset.in_bulk([row[0] for row in hits])
        results = []
        for question_id, rank, snippet in hits:
            question = by_id.get(question_id)
            if question is not None:
                results.append(SearchHit(question, rank, _mark(snippet)))
            if len(results) == limit:
                break
        return results

    def _ranked(self, match: str, limit: int) -> list[tuple[int, float, str]]:
        # bm25() is "lower is better" and negative; weights follow column order (title, tags, body).
        # The snippet always comes from the body (column 2): the title is already shown above it.
        sql = (
            f"SELECT rowid, -bm25({FTS_TABLE}, 10.0, 5.0, 1.0) AS score, "
            f"snippet({FTS_TABLE}, 2, %s, %s, ' … ', {SNIPPET_TOKENS}) "
            f"FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s ORDER BY score DESC LIMIT %s"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [_OPEN, _CLOSE, match, limit])
            return [(int(r[0]), float(r[1]), str(r[2])) for r in cursor.fetchall()]


class PostgresBackend(SearchBackend):
    def index(self, question: Question) -> None:
        """PostgreSQL computes the vectors at query time from the columns themselves."""

    def remove(self, question_id: int) -> None:
        """Nothing to remove: there is no separate index table."""

    def rebuild(self) -> int:
        return Question.objects.count()

    def search(self, query: str, queryset: QuerySet[Question], limit: int) -> list[SearchHit]:
        from django.contrib.postgres.aggregates import StringAgg
        from django.contrib.postgres.search import SearchHeadline, SearchQuery, SearchRank, SearchVector
        from django.db.models import OuterRef, Subquery

        from questions.models import Tag

        terms = query_terms(query)
        if not terms:
            return []
        tag_text = Subquery(
            Tag.objects.filter(questions=OuterRef("pk"))
            .values("questions")
            .annotate(text=StringAgg("slug", delimiter=" "))
            .values("text")[:1]
        )
        vector = (
            SearchVector("title", weight="A", config="english")
            + SearchVector(tag_text, weight="B", config="english")
            + SearchVector("answer_text", weight="C", config="english")
        )
        # Same semantics as SQLite: every word, the last as a prefix; failing that, any word.
        # Terms are \w+ only (query_terms), so they are safe inside a raw tsquery.
        words = [*terms[:-1], f"{terms[-1]}:*"]
        rows: list[Question] = []
        for operator in (" & ", " | ") if len(terms) > 1 else (" & ",):
            search_query = SearchQuery(operator.join(words), search_type="raw", config="english")
            rows = list(
                queryset.annotate(document=vector, rank=SearchRank(vector, search_query))
                .filter(document=search_query)
                .annotate(
                    snippet=SearchHeadline(
                        "answer_text",
                        search_query,
                        config="english",
                        start_sel=_OPEN,
                        stop_sel=_CLOSE,
                        max_words=SNIPPET_TOKENS,
                        min_words=SNIPPET_TOKENS // 2,
                    )
                )
                .order_by("-rank", "title")[:limit]
            )
            if rows:
                break
        return [SearchHit(row, float(row.rank), _mark(row.snippet)) for row in rows]  # type: ignore[attr-defined]


def _mark(snippet: str) -> str:
    escaped = html.escape(snippet, quote=False)
    return escaped.replace(_OPEN, "<mark>").replace(_CLOSE, "</mark>")


def get_backend() -> SearchBackend:
    return PostgresBackend() if connection.vendor == "postgresql" else SqliteFtsBackend()


def search_questions(query: str, *, queryset: QuerySet[Question] | None = None, limit: int = 50) -> list[SearchHit]:
    """Published questions matching ``query``, best first (optionally within ``queryset``)."""
    base = queryset if queryset is not None else Question.objects.all()
    base = base.published().select_related("topic")
    return get_backend().search(query, base, limit)


def index_question(question: Question) -> None:
    get_backend().index(question)


def remove_question(question_id: int) -> None:
    get_backend().remove(question_id)


def rebuild_index() -> int:
    return get_backend().rebuild()
