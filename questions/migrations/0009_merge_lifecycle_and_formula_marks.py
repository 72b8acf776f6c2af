# Joins main's 0007 (answer text with formula marks) and author-lifecycle's 0007/0008: independent changes.
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("questions", "0007_answer_text_formula_marks"),
        ("questions", "0008_authors_and_reviewers_groups"),
    ]
    operations = []
