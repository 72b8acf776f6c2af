"""PostgreSQL's stored search document (questions.search.pg_document); SQLite keeps 0003's FTS5 table.

Until now PostgreSQL built every question's tsvector at query time; the table is filled here from the
questions already stored, with the live statement the backend runs (as 0004 uses the live
functions), so the migrated index is exactly what a later save would write.
"""
from django.db import migrations


def create_document_table(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    from questions.search import pg_document

    for statement in pg_document.CREATE:
        schema_editor.execute(statement)
    pg_document.write_documents(schema_editor)


def drop_document_table(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        from questions.search import pg_document

        schema_editor.execute(pg_document.DROP)


class Migration(migrations.Migration):
    dependencies = [("questions", "0009_authors_and_reviewers_groups")]
    operations = [migrations.RunPython(create_document_table, drop_document_table)]
