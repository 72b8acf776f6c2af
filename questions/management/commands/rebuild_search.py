"""``manage.py rebuild_search``: re-index every question (after restoring a database dump, for example)."""
from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from questions.search import rebuild_index


class Command(BaseCommand):
    help = "Rebuild the full-text search index from the questions table."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"indexed {rebuild_index()} questions")
