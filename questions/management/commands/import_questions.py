"""``manage.py import_questions FILE… [--topic T] [--format F] [--dry-run] [--json]``.

Every file is read and parsed before anything is written; if one file is bad
(unknown format, empty, binary, undecodable, malformed quiz) the command
reports every bad file with its line and imports nothing. Re-running on the
same files changes nothing. See ``questions/importers/writer.py`` for how
questions are keyed and which topic they land in.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from questions.importers.errors import ImportFileError
from questions.importers.items import ParsedFile
from questions.importers.registry import FORMATS, parse_source
from questions.importers.writer import ImportReport, summarise, topic_slug, write_files


def parse_paths(paths: list[str], format: str | None) -> tuple[list[ParsedFile], list[str]]:
    """Parse every file; returns the parsed files and one message per file that failed."""
    parsed: list[ParsedFile] = []
    errors: list[str] = []
    for path in paths:
        try:
            data = Path(path).read_bytes()
        except OSError as exc:
            errors.append(f"{path}: cannot be read ({exc.strerror or exc})")
            continue
        try:
            parsed.append(parse_source(data, path, format))
        except ImportFileError as exc:
            errors.append(str(exc))
    return parsed, errors


class Command(BaseCommand):
    help = "Import question banks (Markdown Q&A, numbered text, QUESTION blocks, quiz answer sheets, GIFT, Aiken)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("files", nargs="+", help="files to import; the format is detected per file")
        parser.add_argument(
            "--topic", help='topic for every imported question (created if missing; default "imported")'
        )
        parser.add_argument(
            "--format", choices=sorted(FORMATS), help="skip detection and parse every file as this format"
        )
        parser.add_argument("--dry-run", action="store_true", help="parse and report, write nothing")
        parser.add_argument("--json", action="store_true", help="print the report as JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            topic_slug(options["topic"])
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        parsed, errors = parse_paths(options["files"], options["format"])
        if errors:
            raise CommandError("nothing was imported; fix these files first:\n  " + "\n  ".join(errors))
        report = summarise(parsed) if options["dry_run"] else write_files(parsed, options["topic"])
        if options["json"]:
            self.stdout.write(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
        else:
            self._print(report)

    def _print(self, report: ImportReport) -> None:
        for file in report.files:
            counts = "" if report.dry_run else (
                f" ({file.created} created, {file.updated} updated, {file.unchanged} unchanged)"
            )
            self.stdout.write(f"{file.path}: {file.format}, {file.questions} questions{counts}")
            for warning in file.warnings:
                self.stdout.write(self.style.WARNING(f"  warning: {warning}"))
        verb = "would import" if report.dry_run else "imported"
        self.stdout.write(self.style.SUCCESS(f"{verb} {report.total} questions from {len(report.files)} files"))
