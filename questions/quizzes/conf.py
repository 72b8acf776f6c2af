"""Quiz tunables, read from Django settings with defaults that suit a fresh checkout.

Read through functions (not module constants) so ``override_settings`` in tests takes effect.
"""
from __future__ import annotations

from django.conf import settings


def deadline_grace_seconds() -> int:
    """Slack after the deadline for an answer already in flight (slow network, a save at 0:00)."""
    return int(getattr(settings, "QUIZ_DEADLINE_GRACE_SECONDS", 5))


def max_questions() -> int:
    return int(getattr(settings, "QUIZ_MAX_QUESTIONS", 50))


def max_time_limit_minutes() -> int:
    return int(getattr(settings, "QUIZ_MAX_TIME_LIMIT_MINUTES", 180))


def max_free_text_chars() -> int:
    return int(getattr(settings, "QUIZ_MAX_FREE_TEXT_CHARS", 5000))


def retry_seconds_per_question() -> int:
    """Time allowed per question when "retry my mistakes" builds a new attempt."""
    return int(getattr(settings, "QUIZ_RETRY_SECONDS_PER_QUESTION", 90))
