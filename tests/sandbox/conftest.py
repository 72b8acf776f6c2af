"""Sandbox test fixtures: the extra demos, eager-free task execution, and who is asking.

Tests call the task body (``sandbox.jobs.execution.execute``) directly rather than
through a broker; the integration tests cover real workers.
"""

from __future__ import annotations

import json
from typing import Any

import demo_fixtures  # noqa: F401  (registers fixture_slow, fixture_chart, fixture_crash)
import pytest


@pytest.fixture(autouse=True)
def _sandbox_settings(settings, tmp_path):
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": str(tmp_path)}
    }
    settings.SANDBOX_RATE_LIMIT_DEMO = 100
    settings.SANDBOX_RATE_LIMIT_CODE = 100
    settings.SANDBOX_ACTIVE_RUNS_PER_VISITOR = 100  # tests of the caps lower them again
    settings.SANDBOX_ACTIVE_RUNS_PER_IP = 100
    settings.SANDBOX_PRELOAD_MODEL = False
    settings.CELERY_TASK_ALWAYS_EAGER = False


@pytest.fixture
def no_broker(monkeypatch):
    """Record what would be published instead of talking to a broker."""
    sent: list[dict[str, Any]] = []

    class FakeResult:
        def __init__(self, n: int):
            self.id = f"task-{n}"

    def fake_send_task(self, name, args=None, kwargs=None, **options):
        sent.append({"task": name, "args": list(args or ()), "queue": options.get("queue"), "retry": options.get("retry")})
        return FakeResult(len(sent))

    from celery import Celery

    # Every publish ends in send_task, whether the signature found the registered task or not.
    monkeypatch.setattr(Celery, "send_task", fake_send_task)
    return sent


@pytest.fixture
def post_run(client):
    def post(body: Any, **extra: Any):
        payload = body if isinstance(body, (bytes, str)) else json.dumps(body)
        return client.post("/runs/api/runs/", data=payload, content_type="application/json", **extra)

    return post
