"""``manage.py grade_exercise SLUG FILE [--json] [--seed N] [--check]``: grade FILE as a submission.

The same grader and sandbox as the site. Exit status: 0 passed, 1 failed, 2 bad input (unknown slug,
unreadable or oversize file, a broken exercise) with a one-line error on stderr.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from questions.exercises.catalogue import ExerciseFormatError, get_exercise
from questions.exercises.grading import grade
from sandbox.jail.runner import SandboxUnavailable

EXIT_PASSED, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2


class Command(BaseCommand):
    help = "Grade a file as a submission to an exercise, in the sandbox (exit 0 passed, 1 failed, 2 bad input)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug", help="The exercise, e.g. stable-softmax.")
        parser.add_argument("file", type=Path, help="The submission: a Python file defining the exercise's function.")
        parser.add_argument("--json", action="store_true", help="Print the verdict as JSON.")
        parser.add_argument("--seed", type=int, default=None, help="Seed of the hidden cases (default: a new one).")
        parser.add_argument("--check", action="store_true", help="Run the visible examples only, as the page's Check.")

    def handle(self, *args: Any, slug: str, file: Path, json: bool, seed: int | None, check: bool, **options: Any) -> None:
        try:
            spec = get_exercise(slug)
            source = _read_submission(file)
        except KeyError as exc:
            self._bad_input(str(exc.args[0]))
        except ExerciseFormatError as exc:
            self._bad_input(f"slug: the exercise {slug!r} is broken: {exc.problems[0]}")
        except ValueError as exc:
            self._bad_input(str(exc))
        try:
            verdict = grade(spec, source, mode="check" if check else "submit", seed=seed, on_output=None)
        except SandboxUnavailable as exc:
            self.stderr.write(f"sandbox: {exc}")
            sys.exit(EXIT_FAILED)
        if json:
            self.stdout.write(_dumps(verdict.as_dict()))
        else:
            for test in verdict.tests:
                self.stdout.write(f"{'PASS' if test.passed else 'FAIL'} {test.name}: {test.message}")
                if test.traceback and not test.passed:
                    self.stdout.write("    " + test.traceback.replace("\n", "\n    "))
            if verdict.timing:
                self.stdout.write(verdict.timing.sentence())
            self.stdout.write(verdict.summary())
        sys.exit(EXIT_PASSED if verdict.passed else EXIT_FAILED)

    def _bad_input(self, message: str) -> None:
        self.stderr.write(message.splitlines()[0])
        sys.exit(EXIT_BAD_INPUT)


def _read_submission(path: Path) -> str:
    """The file's text, under the code runs' size limit; ValueError with a one-line sentence otherwise."""
    try:
        source = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"file: cannot read {path}: {getattr(exc, 'strerror', None) or exc}") from None
    limit = settings.SANDBOX_CODE_MAX_CHARS
    if len(source) > limit:
        raise ValueError(f"file: {path} has {len(source)} characters; a submission may have at most {limit}")
    return source


def _dumps(data: dict) -> str:
    return json.dumps(data, sort_keys=False)
