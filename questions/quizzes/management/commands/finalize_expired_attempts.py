"""``manage.py finalize_expired_attempts``: the sweep, for cron or when no Celery beat runs."""
from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from questions.quizzes import services


class Command(BaseCommand):
    help = "Close and grade every quiz attempt whose deadline (plus grace) has passed."

    def handle(self, *args: Any, **options: Any) -> None:
        closed = services.finalize_expired()
        self.stdout.write(f"Finalised {closed} expired attempt{'s' if closed != 1 else ''}.")
