"""Who may do what in the authoring admin: alice is an author, rita a reviewer, olga staff with no
group, and victor a signed-in visitor who is not staff. Each fixture is a client signed in as them."""
from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.test import Client


def _client_for(django_user_model: Any, username: str, *, staff: bool, group: str | None) -> Client:
    user = django_user_model.objects.create_user(username, f"{username}@example.com", "pw-123456789", is_staff=staff)
    if group:
        user.groups.add(Group.objects.get(name=group))  # made by the groups migration
    client = Client()
    client.force_login(user)
    client.user = user  # type: ignore[attr-defined]
    return client


@pytest.fixture
def author(authoring_groups: None, django_user_model: Any) -> Client:
    return _client_for(django_user_model, "alice", staff=True, group="Authors")


@pytest.fixture
def reviewer(authoring_groups: None, django_user_model: Any) -> Client:
    return _client_for(django_user_model, "rita", staff=True, group="Reviewers")


@pytest.fixture
def bare_staff(authoring_groups: None, django_user_model: Any) -> Client:
    return _client_for(django_user_model, "olga", staff=True, group=None)


@pytest.fixture
def visitor_user(authoring_groups: None, django_user_model: Any) -> Client:
    return _client_for(django_user_model, "victor", staff=False, group=None)


@pytest.fixture
def topic(db: None) -> Any:
    from questions.models import Topic

    return Topic.objects.create(slug="kv-cache", title="KV cache")
