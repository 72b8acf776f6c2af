"""Re-derive answer_text now that an inline formula is one private-use mark instead of "[formula]".

Search snippets put the rendered formula back in place of the mark, so stored texts must carry it;
answer_text is only recomputed on save. SQLite's full-text table copies the body, so it is refreshed
too (without the marks, which are not words: questions.search.backends.index_body).
"""

from django.db import migrations

FTS_TABLE = "questions_search_fts"


def rederive_answer_text(apps, schema_editor):
    # The live functions, not frozen copies: the point is to match what save() and the index now store.
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
    dependencies = [("questions", "0006_shuffle_stored_choice_order")]
    operations = [migrations.RunPython(rederive_answer_text, migrations.RunPython.noop)]
