"""``manage.py load_bank [--path DIR] [--json] [--strict]``: sync the database with the Markdown bank."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from questions.bank_loader import DEFAULT_BANK_DIR, load_bank


class Command(BaseCommand):
    help = "Load questions/bank/ (topics.yaml + <topic>/*.md) into the database; safe to re-run."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--path", type=Path, default=DEFAULT_BANK_DIR, help="Bank folder (default: questions/bank).")
        parser.add_argument("--json", action="store_true", help="Print the report as JSON.")
        parser.add_argument("--strict", action="store_true", help="Exit non-zero when any file has errors.")

    def handle(self, *args: Any, path: Path, json: bool, strict: bool, **options: Any) -> None:
        if not path.is_dir():
            raise CommandError(f"--path: {path} is not a folder")
        report = load_bank(path)
        if json:
            self.stdout.write(_dumps(report.as_dict()))
        else:
            for line in report.errors + report.exercise_errors:
                self.stderr.write(self.style.ERROR(line))
            for line in report.warnings + report.conflicts:
                self.stderr.write(self.style.WARNING(line))
            self.stdout.write(report.summary())
        if strict and not report.ok:
            raise CommandError(f"{len(report.errors)} bank file(s) have errors (see above)")
        if strict and report.exercise_errors:
            raise CommandError(f"{len(report.exercise_errors)} problem(s) in exercise folders (see above)")


def _dumps(data: dict) -> str:
    return json.dumps(data, indent=2, sort_keys=True)
