"""Store existing options in an order unrelated to correctness (the bank wrote the right option first).

The same deterministic shuffle ``QuizItem.replace_choices`` applies to new options, written out
here because a migration must not change when the model code does. Only ``order`` changes:
ids stay, so past attempts keep pointing at their options (ids never reach a taker any more).
"""
import hashlib
import random

from django.db import migrations


def shuffle(apps, schema_editor):
    QuizItem = apps.get_model("questions", "QuizItem")
    Choice = apps.get_model("questions", "Choice")
    for item in QuizItem.objects.select_related("question"):
        options = list(Choice.objects.filter(item=item).order_by("order", "pk"))
        seed = hashlib.sha256(f"{item.question.slug}#{item.key}".encode()).digest()
        random.Random(seed).shuffle(options)
        for position, option in enumerate(options, start=1):
            if option.order != position:
                option.order = position
                option.save(update_fields=["order"])


class Migration(migrations.Migration):
    dependencies = [("questions", "0005_alter_quizitem_kind")]

    operations = [migrations.RunPython(shuffle, migrations.RunPython.noop)]
