"""Which questions match a parsed query, one backend per database.

SQLite (the default) keeps an FTS5 table (created by migration 0003), PostgreSQL a GIN-indexed
tsvector table (migration 0010, questions.search.pg_document); both are kept in sync through the
signals in questions/signals.py, and ``manage.py rebuild_search`` refills them. Both read the same
ParsedQuery: every group must match (AND), and when nothing does, any group (OR). A group is any of
its phrases; a phrase is its words in a row. Ordering is not the backends' job (questions.search.rank).
"""
from __future__ import annotations

from django.db import connection
from django.db.models import QuerySet
from django.db.models.expressions import RawSQL

from questions.markdown import FORMULA_MARK
from questions.models import Question
from questions.search import pg_document
from questions.search.query import Group, ParsedQuery

FTS_TABLE = "questions_search_fts"


def _names(question: Question) -> list[str]:
    """What the "tags" column holds: the question's own slug, then its tags' (both name its topic)."""
    return [question.slug, *(tag.slug for tag in question.tags.all())]


def index_body(answer_text: str) -> str:
    """The body as the index sees it: formula marks are not words."""
    return answer_text.replace(FORMULA_MARK, " ")


class SearchBackend:
    """What both databases provide: a table of their own, kept in step with the questions."""

    # The index table this backend keeps (its migration creates it).
    table: str

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
    table = FTS_TABLE

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
        match = (" AND " if every_group else " OR ").join(_fts_group(g) for g in parsed.groups)
        return queryset.filter(pk__in=RawSQL(f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s", [match]))


def _fts_group(group: Group) -> str:
    # Quoted phrases keep words like NOT/OR/NEAR literal; a trailing * makes the last word a prefix.
    phrases = [f'"{" ".join(p)}"' + ("*" if group.prefix else "") for p in group.phrases]
    return phrases[0] if len(phrases) == 1 else "(" + " OR ".join(phrases) + ")"


class PostgresBackend(SearchBackend):
    """Matches against the stored, GIN-indexed document of each question (pg_document)."""

    table = pg_document.TABLE

    def index(self, question: Question) -> None:
        with connection.cursor() as cursor:
            pg_document.write_documents(cursor, question.pk)

    def remove(self, question_id: int) -> None:
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {self.table} WHERE question_id = %s", [question_id])

    def rebuild(self) -> int:
        # One set-based statement rather than a query per question: the text is assembled in the database.
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {self.table}")
            pg_document.write_documents(cursor)
            return cursor.rowcount

    def matching(self, parsed: ParsedQuery, queryset: QuerySet[Question], *, every_group: bool) -> QuerySet[Question]:
        # Words are letters and digits only (query.words), so they are safe inside a raw tsquery.
        raw = (" & " if every_group else " | ").join(_tsquery_group(g) for g in parsed.groups)
        return queryset.filter(pk__in=RawSQL(pg_document.MATCHING_IDS, [raw]))


def _tsquery_group(group: Group) -> str:
    phrases = [" <-> ".join(p) + (":*" if group.prefix else "") for p in group.phrases]
    return "(" + " | ".join(f"({p})" for p in phrases) + ")"


def get_backend() -> SearchBackend:
    return PostgresBackend() if connection.vendor == "postgresql" else SqliteFtsBackend()
