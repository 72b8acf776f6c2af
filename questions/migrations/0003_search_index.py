"""The SQLite full-text index behind questions.search (PostgreSQL needs no table: it searches the columns)."""
from django.db import migrations

FTS_TABLE = "questions_search_fts"


def create_fts(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    # rowid is the question's id; porter stemming lets "caches" match "cache".
    schema_editor.execute(
        f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} USING fts5("
        "title, tags, body, tokenize = 'porter unicode61 remove_diacritics 2')"
    )


def drop_fts(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(f"DROP TABLE IF EXISTS {FTS_TABLE}")


class Migration(migrations.Migration):
    dependencies = [("questions", "0002_question_answer_text")]
    operations = [migrations.RunPython(create_fts, drop_fts)]
