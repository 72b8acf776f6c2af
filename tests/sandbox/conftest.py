"""Sandbox test fixtures: the extra demos, eager-free task execution, and who is asking.

Tests call the task body (``sandbox.jobs.execution.execute``) directly rather than
through a broker; the integration tests cover real workers.
"""

from __future__ import annotations

import functools

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
def post_run(post_json):
    return functools.partial(post_json, "/runs/api/runs/")
