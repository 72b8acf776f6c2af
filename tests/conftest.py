"""Fixtures shared by the whole suite.

``bank`` writes a throwaway bank folder (topics.yaml + <topic>/<slug>.md) so
loader tests never depend on the real bank's content; ``make_question`` puts a
question straight into the database for page, API and quiz tests.
"""
from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.contrib.auth.models import Group
from django.test import Client


def pytest_configure(config: pytest.Config) -> None:
    """Serve static files from static/ as under DEBUG: production's manifest storage needs collectstatic
    first (tests/test_static_files.py checks the production setup itself)."""
    from django.conf import settings

    settings.STORAGES = {**settings.STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
    settings.WHITENOISE_USE_FINDERS = True


@pytest.fixture(autouse=True)
def _fresh_page_cache() -> None:
    """Each test starts with no cached pages: the generation lives in a table each test rolls back."""
    from prep_site import page_cache

    page_cache.forget()


class BankBuilder:
    """A bank folder under tmp_path that tests fill with topics and question files."""

    def __init__(self, root: Path):
        self.root = root
        self.topics: list[dict[str, str]] = []
        self.add_topic("kv-cache", "KV caching")

    def add_topic(self, slug: str, title: str, intro: str = "") -> None:
        self.topics.append({"slug": slug, "title": title, "intro": intro})
        (self.root / slug).mkdir(parents=True, exist_ok=True)
        (self.root / "topics.yaml").write_text(yaml.safe_dump(self.topics, sort_keys=False), encoding="utf-8")

    def write(self, slug: str, *, topic: str = "kv-cache", body: str = "**Short answer.** It stores K and V.\n", **front: Any) -> Path:
        """Write ``<topic>/<slug>.md`` with sensible defaults; keyword arguments override front-matter keys."""
        meta: dict[str, Any] = {"slug": slug, "title": f"Question {slug}?", "topic": topic, "difficulty": "medium"}
        meta.update(front)
        meta = {key: value for key, value in meta.items() if value is not None}
        return self.write_raw(f"{topic}/{slug}.md", "---\n" + yaml.safe_dump(meta, sort_keys=False) + "---\n" + body)

    def write_raw(self, relative: str, text: str) -> Path:
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return path


@pytest.fixture
def bank(tmp_path: Path) -> BankBuilder:
    return BankBuilder(tmp_path / "bank")


_SINGLE_ITEM = {
    "id": "what-is-v",
    "kind": "single",
    "prompt": "What does V hold?",
    "options": [
        {"text": "The value projection", "correct": True, "why": "V = x W_V."},
        {"text": "The attention output", "why": "That depends on the query."},
    ],
}
_NUMERIC_ITEM = {
    "id": "bytes-7b",
    "kind": "numeric",
    "prompt": "Bytes of fp16 cache per token for 32 layers × 32 heads × 128 dims?",
    "answer": 524288,
    "tolerance": 0.01,
    "unit": "bytes",
}


@pytest.fixture
def single_item() -> dict[str, Any]:
    """A valid single-choice quiz item as written in a bank file (a fresh copy per test)."""
    return copy.deepcopy(_SINGLE_ITEM)


@pytest.fixture
def numeric_item() -> dict[str, Any]:
    """A valid numeric quiz item as written in a bank file (a fresh copy per test)."""
    return copy.deepcopy(_NUMERIC_ITEM)


@pytest.fixture
def make_question(db: None) -> Callable[..., Any]:
    """Create an active question (and its topic/tags) directly in the database."""
    from questions.models import Question, Tag, Topic

    def make(slug: str = "kv-cache-basics", *, topic: str = "kv-cache", tags: tuple[str, ...] = (), **fields: Any) -> Question:
        topic_obj, _ = Topic.objects.get_or_create(slug=topic, defaults={"title": topic.replace("-", " ").title()})
        values: dict[str, Any] = {"title": f"Question {slug}?", "answer_md": "An answer.", "difficulty": "medium"}
        values.update(fields)
        question = Question.objects.create(slug=slug, topic=topic_obj, **values)
        if tags:
            question.tags.set([Tag.objects.get_or_create(slug=t)[0] for t in tags])
        return question

    return make


@pytest.fixture
def authoring_groups(db: None) -> None:
    """The Authors and Reviewers groups, made by the migration's own function: a transactional test's
    flush (browser tests, migration tests) empties every table, data-migration rows included."""
    import importlib

    from django.apps import apps

    importlib.import_module("questions.migrations.0009_authors_and_reviewers_groups").create_groups(apps, None)
    importlib.import_module("questions.exercises.migrations.0003_authoring_permissions").grant(apps, None)


# Who may do what in the authoring admin: alice is an author, rita a reviewer, olga staff with no
# group, and victor a signed-in visitor who is not staff. Each fixture is a client signed in as them.
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
def staff_client(client: Any, django_user_model: Any) -> Any:
    """A client signed in as a superuser: staff who may open every admin page."""
    client.force_login(django_user_model.objects.create_superuser("sam", "sam@example.com", "pw-sam-123456789"))
    return client


@pytest.fixture
def no_broker(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Record what would be published instead of talking to a broker: one dict per message
    (task name, args, queue, and whether publishing would retry)."""
    sent: list[dict[str, Any]] = []

    class FakeResult:
        def __init__(self, n: int):
            self.id = f"task-{n}"

    def fake_send_task(self: Any, name: str, args: Any = None, kwargs: Any = None, **options: Any) -> FakeResult:
        sent.append({"task": name, "args": list(args or ()),
                     "queue": options.get("queue"), "retry": options.get("retry")})
        return FakeResult(len(sent))

    from celery import Celery

    # Every publish ends in send_task, whether the signature found the registered task or not
    # (unless CELERY_TASK_ALWAYS_EAGER runs it in-process instead, which the settings leave off).
    monkeypatch.setattr(Celery, "send_task", fake_send_task)
    return sent


@pytest.fixture
def post_json(client: Any) -> Callable[..., Any]:
    """POST ``body`` to ``url`` as JSON (bytes and str are sent as they are, to test malformed bodies)."""
    import json

    def post(url: str, body: Any, **extra: Any) -> Any:
        payload = body if isinstance(body, (bytes, str)) else json.dumps(body)
        return client.post(url, data=payload, content_type="application/json", **extra)

    return post
