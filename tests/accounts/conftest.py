"""Account fixtures: an in-memory cache (throttle counts) and alice, who has an account."""
from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture(autouse=True)
def local_cache(settings: Any) -> None:
    # The site's default cache is a database table made by `createcachetable`; tests use memory.
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    # A deliberately slow password hash only makes tests slow.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def alice(django_user_model: Any) -> Any:
    return django_user_model.objects.create_user("alice", "alice@example.com", "a-long-passphrase-1")
