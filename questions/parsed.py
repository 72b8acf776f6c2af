"""The one shape of an auto-gradable quiz item before it reaches the database.

The bank parser (YAML front matter), every importer (GIFT, Aiken, …) and the
admin forms produce a ``ParsedQuizItem``; ``quiz_writer.write_quiz_items`` is
the one place that stores it. Field names follow the ``QuizItem`` and ``Choice``
models, so a validation problem's field names the model field (and form input)
it is about. Plain data: no ORM, so parsers and their tests need no database.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple


class FieldProblem(NamedTuple):
    """One validation problem: the schema field it is about and a user-facing sentence."""

    field: str
    message: str


@dataclass(frozen=True)
class ParsedChoice:
    text: str
    correct: bool
    explanation: str = ""  # why this option is right or wrong


@dataclass(frozen=True)
class ParsedQuizItem:
    kind: str
    prompt: str
    key: str = ""  # stable id within the question; the writer matches stored items by it
    explanation: str = ""
    choices: tuple[ParsedChoice, ...] = ()
    numeric_answer: float | None = None
    tolerance: float | None = None
    tolerance_mode: str = "relative"  # as QuizItem's default; a format that means absolute says so
    unit: str = ""
