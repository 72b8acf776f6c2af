"""Question-admin fixtures. Who may do what in the authoring admin (author, reviewer, bare_staff,
visitor_user) is in tests/conftest.py, shared with the exercise authoring tests (tests/exercises/authoring)."""
from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture
def topic(db: None) -> Any:
    from questions.models import Topic

    return Topic.objects.create(slug="kv-cache", title="KV cache")
