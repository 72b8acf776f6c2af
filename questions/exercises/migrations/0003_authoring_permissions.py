"""Exercise authoring for the groups of questions' migration 0009.

Authors may view exercises and change their text (statement, walkthrough, hints, metadata);
Reviewers may also create exercises and change their code (``change_exercise_code``): cases.py runs
on the worker outside the sandbox, so changing it is changing the site's code (see
questions/exercises/README.md, "The trust boundary"). Publishing uses the questions' permission.
"""
from django.db import migrations

from questions.authoring_groups import grant as grant_permissions

AUTHOR_PERMISSIONS = ["view_exercise", "change_exercise"]
REVIEWER_PERMISSIONS = AUTHOR_PERMISSIONS + ["add_exercise", "change_exercise_code"]
GROUPS = {"Authors": AUTHOR_PERMISSIONS, "Reviewers": REVIEWER_PERMISSIONS}


def grant(apps, schema_editor):
    grant_permissions(apps, "exercises", GROUPS)


def revoke(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    for group in apps.get_model("auth", "Group").objects.filter(name__in=GROUPS):
        group.permissions.remove(*Permission.objects.filter(content_type__app_label="exercises"))


class Migration(migrations.Migration):
    dependencies = [
        ("exercises", "0002_exercise_authoring"),
        ("questions", "0009_authors_and_reviewers_groups"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
