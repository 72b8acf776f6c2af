"""Re-derive answer_text now that an inline formula is one private-use mark instead of "[formula]".

Search snippets put the rendered formula back in place of the mark, so stored texts must carry it;
answer_text is only recomputed on save. The work is 0004's (live markdown_to_text, and SQLite's
full-text body refreshed without the marks, which are not words), run again.
"""

from importlib import import_module

from django.db import migrations

rederive_answer_text = import_module("questions.migrations.0004_answer_text_without_code").rederive_answer_text


class Migration(migrations.Migration):
    dependencies = [("questions", "0006_shuffle_stored_choice_order")]
    operations = [migrations.RunPython(rederive_answer_text, migrations.RunPython.noop)]
