"""Re-derive answer_text now that it leaves out code blocks and display formulas.

answer_text is only recomputed when a question is saved, so questions stored
before the change would keep code in their search snippets until their next edit.
SQLite's full-text table copies the text, so its body column is refreshed too.
"""

from django.db import migrations

FTS_TABLE = "questions_search_fts"


def rederive_answer_text(apps, schema_editor):
    # The live functions, not frozen copies: the point is to match what save() and the index now
    # store (migration 0007 runs this again for the same reason).
    from questions.markdown import markdown_to_text
    from questions.search.backends import index_body

    Question = apps.get_model("questions", "Question")
    sqlite = schema_editor.connection.vendor == "sqlite"
    for pk, answer_md, old_text in Question.objects.values_list("pk", "answer_md", "answer_text").iterator():
        text = markdown_to_text(answer_md)
        if text == old_text:
            continue
        Question.objects.filter(pk=pk).update(answer_text=text)
        if sqlite:
            schema_editor.execute(f"UPDATE {FTS_TABLE} SET body = %s WHERE rowid = %s", [index_body(text), pk])


class Migration(migrations.Migration):
    dependencies = [("questions", "0003_search_index")]
    operations = [migrations.RunPython(rederive_answer_text, migrations.RunPython.noop)]
