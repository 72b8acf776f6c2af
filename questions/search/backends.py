"""Which questions match a parsed query, one backend per database.

SQLite (the default) keeps an FTS5 table (created by migration 0003) in sync through the signals in
questions/signals.py; PostgreSQL matches the columns directly with a tsvector. Both read the same
ParsedQuery: every group must match (AND), and when nothing does, any group (OR). A group is any of
its phrases; a phrase is its words in a row. Ordering is not the backends' job (questions.search.rank).
"""
from __future__ import annotations

from typing import Any

from django.db import connection
from django.db.models import Func, QuerySet

from questions.markdown import FORMULA_MARK
from questions.models import Question
from questions.search.query import Group, ParsedQuery

FTS_TABLE = "questions_search_fts"


def _names(question: Question) -> list[str]:
    """What the "tags" column holds: the question's own slug, then its tags' (both name its topic)."""
    return [question.slug, *(tag.slug for tag in question.tags.all())]


def index_body(answer_text: str) -> str:
    """The body as the index sees it: formula marks are not words."""
    return answer_text.replace(FORMULA_MARK, " ")


class SearchBackend:
    """What both databases provide; ``index``/``remove`` are no-ops where the database searches columns."""

    def index(self, question: Question) -> None:
        raise NotImplementedError

    def remove(self, question_id: int) -> None:
        raise NotImplementedError

    def matching(self, parsed: ParsedQuery, queryset: QuerySet[Question], *, every_group: bool) -> QuerySet[Question]:
        """The questions of ``queryset`` that contain every group of ``parsed`` (or any, when not ``every_group``)."""
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
        tags = " ".join(slug.replace("-", " ") for slug in _names(question))
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {FTS_TABLE} WHERE rowid = %s", [question.pk])
            cursor.execute(
                f"INSERT INTO {FTS_TABLE} (rowid, title, tags, body) VALUES (%s, %s, %s, %s)",
                [question.pk, question.title, tags, index_body(question.answer_text)],
            )

    def remove(self, question_id: int) -> None:
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {FTS_TABLE} WHERE rowid = %s", [question_id])

    def rebuild(self) -> int:
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {FTS_TABLE}")
        return super().rebuild()

    def matching(self, parsed: ParsedQuery, queryset: QuerySet[Question], *, every_group: bool) -> QuerySet[Question]:
        from django.db.models.expressions import RawSQL

        match = (" AND " if every_group else " OR ").join(_fts_group(g) for g in parsed.groups)
        return queryset.filter(pk__in=RawSQL(f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s", [match]))


def _fts_group(group: Group) -> str:
    # Quoted phrases keep words like NOT/OR/NEAR literal; a trailing * makes the last word a prefix.
    phrases = [f'"{" ".join(p)}"' + ("*" if group.prefix else "") for p in group.phrases]
    return phrases[0] if len(phrases) == 1 else "(" + " OR ".join(phrases) + ")"


class PostgresBackend(SearchBackend):
    def index(self, question: Question) -> None:
        """PostgreSQL computes the vectors at query time from the columns themselves."""

    def remove(self, question_id: int) -> None:
        """Nothing to remove: there is no separate index table."""

    def rebuild(self) -> int:
        return Question.objects.count()

    def matching(self, parsed: ParsedQuery, queryset: QuerySet[Question], *, every_group: bool) -> QuerySet[Question]:
        from django.contrib.postgres.aggregates import StringAgg
        from django.contrib.postgres.search import SearchQuery, SearchVector
        from django.db.models import OuterRef, Subquery

        from questions.models import Tag

        # The question's slug joins its tags, as in SQLite's "tags" column (_names).
        tag_text = Subquery(
            Tag.objects.filter(questions=OuterRef("pk"))
            .values("questions")
            .annotate(text=StringAgg("slug", delimiter=" "))
            .values("text")[:1]
        )
        vector = SearchVector(
            *(_words_only(column) for column in ("title", "slug", tag_text, "answer_text")), config="english"
        )
        # Words are letters and digits only (query.words), so they are safe inside a raw tsquery.
        raw = (" & " if every_group else " | ").join(_tsquery_group(g) for g in parsed.groups)
        return queryset.annotate(document=vector).filter(document=SearchQuery(raw, search_type="raw", config="english"))


def _words_only(column: Any) -> Func:
    """The column with every run of non-alphanumerics made one space, as FTS5's tokenizer splits.

    PostgreSQL's parser otherwise reads "FlashAttention-2" as a word and the signed number "-2",
    "W4A16/W8A8" as a file path and "v1.5" as a version, so the phrase "flashattention 2" would
    match on SQLite and not here. The formula mark is not alphanumeric either.
    """
    from django.db.models import F, TextField, Value

    expression = F(column) if isinstance(column, str) else column
    return Func(expression, Value(r"[^[:alnum:]]+"), Value(" "), Value("g"), function="regexp_replace",
                output_field=TextField())


def _tsquery_group(group: Group) -> str:
    phrases = [" <-> ".join(p) + (":*" if group.prefix else "") for p in group.phrases]
    return "(" + " | ".join(f"({p})" for p in phrases) + ")"


def get_backend() -> SearchBackend:
    return PostgresBackend() if connection.vendor == "postgresql" else SqliteFtsBackend()
