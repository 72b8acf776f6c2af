"""Give the authoring groups ("Authors", "Reviewers") an app's permissions: used by the data
migrations that create them (questions 0009) and extend them (exercises 0003), and by tests that
restore them after a transactional flush."""
from __future__ import annotations

from typing import Any


def grant(apps: Any, app_label: str, groups: dict[str, list[str]]) -> None:
    """Add ``app_label``'s permissions named in ``groups`` (group name → codenames), creating what is missing."""
    from django.contrib.auth.management import create_permissions

    app_config = apps.get_app_config(app_label)
    # Permissions normally appear after all migrations (post_migrate), so they are created here first.
    # create_permissions skips an app whose models_module is unset, as it is in a migration's state;
    # put back whatever was there (tests call this with the real registry to restore the groups).
    previous = getattr(app_config, "models_module", None)
    app_config.models_module = previous or True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = previous
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in groups.items():
        group, _ = Group.objects.get_or_create(name=name)
        found = Permission.objects.filter(content_type__app_label=app_label, codename__in=codenames)
        missing = set(codenames) - set(found.values_list("codename", flat=True))
        if missing:
            raise RuntimeError(f"permissions missing for group {name}: {sorted(missing)}")
        group.permissions.add(*found)
