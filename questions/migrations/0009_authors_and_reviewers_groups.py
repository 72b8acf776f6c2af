"""The two authoring groups: "Authors" write drafts and submit them, "Reviewers" also publish.

Permissions normally appear after all migrations (post_migrate), so they are created here first.
Everything not granted here (topics, deleting questions, users) stays with superusers.
"""
from django.contrib.auth.management import create_permissions
from django.db import migrations

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
    app_config = apps.get_app_config("questions")
    # create_permissions skips an app whose models_module is unset, as it is in a migration's state;
    # put back whatever was there (tests call this with the real registry to restore the groups).
    previous = getattr(app_config, "models_module", None)
    app_config.models_module = previous or True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = previous
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in GROUPS.items():
        group, _ = Group.objects.get_or_create(name=name)
        found = Permission.objects.filter(content_type__app_label="questions", codename__in=codenames)
        missing = set(codenames) - set(found.values_list("codename", flat=True))
        if missing:
            raise RuntimeError(f"permissions missing for group {name}: {sorted(missing)}")
        group.permissions.add(*found)


def remove_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=GROUPS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("questions", "0008_question_lifecycle_status"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_groups, remove_groups)]
