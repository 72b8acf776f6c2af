"""Celery tasks for quizzes: the periodic sweep that closes attempts whose time ran out."""
from __future__ import annotations

from celery import shared_task

from questions.quizzes import services


@shared_task(name="quizzes.finalize_expired_attempts")
def finalize_expired_attempts() -> int:
    """Grade every attempt past its deadline + grace that nobody came back to. Returns how many."""
    return services.finalize_expired()
