"""Exercise test fixtures: a throwaway bank with the ``add-one`` exercise (fixture_exercise.py), loaded
the way ``load_bank`` loads it, and a poster for the API (the recorded broker, ``no_broker``, is tests/conftest.py's)."""
from __future__ import annotations

import functools

import pytest

from .fixture_exercise import exercise_lookup, write_exercise

@pytest.fixture(autouse=True)
def _exercise_settings(settings, tmp_path):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": str(tmp_path)}}
    settings.EXERCISE_RATE_LIMIT = 100
    settings.SANDBOX_ACTIVE_RUNS_PER_VISITOR = 100  # the caps tests lower them again
    settings.SANDBOX_ACTIVE_RUNS_PER_IP = 100
    settings.SANDBOX_PRELOAD_MODEL = False
    settings.CELERY_TASK_ALWAYS_EAGER = False


@pytest.fixture
def exercise_bank(bank):
    """A bank with one question (kv-basics) and the add-one exercise that practises it, loaded."""
    from questions.bank_loader import load_bank

    bank.write("kv-basics", title="What does a KV cache store?")
    write_exercise(bank.root)
    report = load_bank(bank.root)
    assert report.ok and not report.exercise_errors, report.errors + report.exercise_errors
    return bank


@pytest.fixture
def worker_reads_test_bank(exercise_bank, monkeypatch):
    """The worker looks exercises up in the real bank; point it at the test bank (checked against its questions)."""
    from questions.exercises import worker

    monkeypatch.setattr(worker, "get_exercise", exercise_lookup(exercise_bank.root))


@pytest.fixture
def exercise(exercise_bank):
    from questions.exercises.models import Exercise

    return Exercise.objects.get(slug="add-one")


@pytest.fixture
def post_submission(post_json):
    return functools.partial(post_json, "/exercises/api/submissions/")
