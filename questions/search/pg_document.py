"""PostgreSQL's stored search document: one tsvector per question, GIN-indexed.

Building each question's vector at query time costs a pass over every question's text per search
(and grows with the bank), so PostgreSQL keeps the vectors in a side table, the way SQLite keeps its
FTS5 table: migration 0010 creates and fills it, and PostgresBackend's index/remove/rebuild keep it
current from the same signals. The table is not a Django model: no other database has it, and its
one statement below is what both the migration and the backend run, so they cannot disagree.

The document is the title, the slug, the tag slugs and the body, with every run of
non-alphanumerics made one space before PostgreSQL parses it. Its parser would otherwise read
"FlashAttention-2" as a word and the signed number "-2", "W4A16/W8A8" as a file path and "v1.5" as
a version, so the phrase "flashattention 2" would match on SQLite (whose tokenizer splits on every
non-alphanumeric) and not here. The formula mark is not alphanumeric either. Ranking does not read
the document (questions.search.rank works on the columns), so it carries no weights.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from questions.models import Question, Tag

TABLE = "questions_search_document"
CONFIG = "english"

CREATE = (
    f"CREATE TABLE IF NOT EXISTS {TABLE} (question_id bigint PRIMARY KEY, document tsvector NOT NULL)",
    # GIN, not GiST: searches far outnumber writes, and GiST's lossy signatures would send every
    # candidate row back to be rechecked against its document.
    f"CREATE INDEX IF NOT EXISTS {TABLE}_gin ON {TABLE} USING gin (document)",
)
DROP = f"DROP TABLE IF EXISTS {TABLE}"


class Executes(Protocol):
    """A cursor or a migration's schema editor: both take SQL and its parameters."""

    def execute(self, sql: str, params: Sequence[Any] = ...) -> Any: ...


def write_documents(target: Executes, question_id: int | None = None) -> None:
    """(Re)write the document of one question, or of every question when ``question_id`` is None.

    One INSERT … SELECT computes the text inside PostgreSQL, so a rebuild is a single statement
    and the normalisation is PostgreSQL's regexp class, the one the tsvector parser agrees with.
    """
    question = Question._meta.db_table
    tag = Tag._meta.db_table
    through = Question.tags.through._meta.db_table
    where, params = ("WHERE q.id = %s", [question_id]) if question_id is not None else ("", [])
    target.execute(
        f"""
        INSERT INTO {TABLE} (question_id, document)
        SELECT q.id, to_tsvector('{CONFIG}', regexp_replace(
            concat_ws(' ', q.title, q.slug,
                (SELECT string_agg(t.slug, ' ' ORDER BY t.slug) FROM {tag} t
                 JOIN {through} qt ON qt.tag_id = t.id WHERE qt.question_id = q.id),
                q.answer_text),
            '[^[:alnum:]]+', ' ', 'g'))
        FROM {question} q {where}
        ON CONFLICT (question_id) DO UPDATE SET document = EXCLUDED.document
        """,
        params,
    )


# The ids whose document matches the tsquery given as the one parameter; the GIN index answers it.
MATCHING_IDS = f"SELECT question_id FROM {TABLE} WHERE document @@ to_tsquery('{CONFIG}', %s)"
