"""``manage.py export_bank [--slug S ...] [--all] [--path DIR]``: write questions and exercises back as bank files."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from questions.bank_export import default_selection, export_bank
from questions.bank_loader import DEFAULT_BANK_DIR
from questions.exercises import export as exercise_export
from questions.exercises.models import Exercise
from questions.models import Question


class Command(BaseCommand):
    help = (
        "Write questions and exercises written or edited in the admin back to the bank's files, so they can be "
        "committed; load_bank then finds nothing to change."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--slug", action="append", default=[], help="Export this question or exercise (repeatable).")
        parser.add_argument("--all", action="store_true", help="Export every question that is not retired.")
        parser.add_argument("--path", type=Path, default=DEFAULT_BANK_DIR, help="Bank folder (default: questions/bank).")

    def handle(self, *args: Any, slug: list[str], all: bool, path: Path, **options: Any) -> None:
        if slug and all:
            raise CommandError("--slug and --all: give one or the other")
        if path.exists() and not path.is_dir():
            raise CommandError(f"--path: {path} is not a folder")
        exercises = exercise_export.default_selection()  # only an admin version has anything to write
        if slug:
            questions = list(Question.objects.filter(slug__in=slug).select_related("topic"))
            exercises = Exercise.objects.filter(slug__in=slug).select_related("live_revision")
            missing = sorted(set(slug) - {q.slug for q in questions} - {e.slug for e in exercises})
            if missing:
                raise CommandError(f"--slug: no question or exercise has the slug {', '.join(missing)}")
        elif all:
            questions = list(Question.objects.exclude(status=Question.Status.RETIRED).select_related("topic"))
        else:
            questions = list(default_selection().select_related("topic"))
        report = export_bank(questions, path)
        exercise_export.export_exercises(exercises, path, report)
        for relative in report.written:
            self.stdout.write(str(path / relative))
        for note in report.notes:
            self.stderr.write(self.style.WARNING(note))
        self.stdout.write(f"{len(report.written)} file(s) written to {path}")
