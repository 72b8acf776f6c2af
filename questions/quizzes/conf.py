"""Quiz tunables, declared in settings.py (and the README's configuration table).

Read through functions (not module constants) so ``override_settings`` in tests takes effect.
"""
from __future__ import annotations

from django.conf import settings


def deadline_grace_seconds() -> int:
    """Slack after the deadline for an answer already in flight (slow network, a save at 0:00)."""
    return settings.QUIZ_DEADLINE_GRACE_SECONDS


def max_questions() -> int:
    return settings.QUIZ_MAX_QUESTIONS


def max_time_limit_minutes() -> int:
    return settings.QUIZ_MAX_TIME_LIMIT_MINUTES


def max_free_text_chars() -> int:
    return settings.QUIZ_MAX_FREE_TEXT_CHARS


def retry_seconds_per_question() -> int:
    """Time allowed per question when "retry my mistakes" builds a new attempt."""
    return settings.QUIZ_RETRY_SECONDS_PER_QUESTION
