"""The two authoring groups: "Authors" write drafts and submit them, "Reviewers" also publish.

Permissions normally appear after all migrations (post_migrate), so ``grant`` creates them first.
Everything not granted here (topics, deleting questions, users) stays with superusers.
"""
from django.db import migrations

from questions.authoring_groups import grant

# Codenames per group; a reviewer can do everything an author can.
AUTHOR_PERMISSIONS = [
    "view_topic", "view_tag", "add_tag",
    "view_question", "add_question", "change_question", "submit_question",
    "view_quizitem", "add_quizitem", "change_quizitem",
    "view_choice", "add_choice", "change_choice", "delete_choice",
]
REVIEWER_PERMISSIONS = AUTHOR_PERMISSIONS + ["publish_question", "delete_quizitem"]
GROUPS = {"Authors": AUTHOR_PERMISSIONS, "Reviewers": REVIEWER_PERMISSIONS}


def create_groups(apps, schema_editor):
    grant(apps, "questions", GROUPS)


def remove_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=GROUPS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("questions", "0008_question_lifecycle_status"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_groups, remove_groups)]
