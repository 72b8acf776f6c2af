"""The formats the importer knows, format detection, and the bytes-to-items pipeline.

Detection asks every format for a score (how many of its signature lines the
file has: ``#### Q1:`` headings, ``QUESTION 01`` lines, ``ANSWER: B`` lines…)
and takes the highest; a file no format recognises is rejected rather than
guessed at. ``--format`` skips detection.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePath
from types import ModuleType

from questions.importers import aiken, gift, labelled_blocks, markdown_qa, numbered_text, quiz_answers
from questions.importers.errors import ImportFileError
from questions.importers.items import ParsedFile, ParsedItem
from questions.importers.mojibake import looks_like_thai_mojibake, repair
from questions.importers.source import decode_source
from questions.kinds import item_problems


@dataclass(frozen=True)
class Format:
    name: str
    description: str
    module: ModuleType


# Order breaks ties: the more specific signatures first.
FORMATS: dict[str, Format] = {
    m.NAME: Format(m.NAME, m.DESCRIPTION, m)
    for m in (markdown_qa, quiz_answers, labelled_blocks, aiken, gift, numbered_text)
}


def detect_format(lines: list[str]) -> str | None:
    """The name of the best-scoring format, or None if no format sees a single question."""
    best, best_score = None, 0
    for fmt in FORMATS.values():
        score = fmt.module.detect(lines)
        if score > best_score:
            best, best_score = fmt.name, score
    return best


def quiz_problems(item: ParsedItem) -> list[str]:
    """The kind's rules, so imported items obey what the bank loader and the admin enforce."""
    return [problem.message for problem in item_problems(item.quiz)] if item.quiz is not None else []


def _attach_notes(items: list[ParsedItem], notes: list, warnings: list[str]) -> None:
    """Repair notes go to the item whose lines contain them (flagging it for review) and to the report."""
    for note in notes:
        message = f"line {note.line}: {note.message}"
        warnings.append(message)
        owner = next((item for item in items if item.line <= note.line <= item.end_line), None)
        if owner is not None:
            owner.review_notes.append(message)


def parse_source(data: bytes, path: str, format: str | None = None) -> ParsedFile:
    """Parse one file's bytes into items; raises ``ImportFileError`` naming the file and line."""
    if format is not None and format not in FORMATS:
        raise ImportFileError(path, 0, f"unknown format '{format}'; choose one of {', '.join(FORMATS)}")
    text = decode_source(data, path)
    warnings: list[str] = []
    notes: list = []
    if looks_like_thai_mojibake(text):
        repaired = repair(text)
        text, notes = repaired.text, repaired.notes
        warnings.append(f"repaired {repaired.restored} symbols that had been mis-decoded as Thai (cp874); "
                        f"{len(notes)} could not be restored with certainty")
    lines = text.split("\n")
    name = format or detect_format(lines)
    if name is None:
        raise ImportFileError(path, 1, "unrecognised format: no questions found in any supported format ("
                                       + ", ".join(FORMATS) + ")")
    items, parse_warnings = FORMATS[name].module.parse(lines, path)
    if not items:
        raise ImportFileError(path, 1, f"no questions found in the {name} format")
    warnings += parse_warnings
    for item in items:
        problems = quiz_problems(item)
        if problems:
            raise ImportFileError(path, item.line, f"question {item.number}: " + "; ".join(problems))
    _attach_notes(items, notes, warnings)
    for item in items:
        if not item.answer_md.strip():
            item.review_notes.append(f"line {item.line}: the question has no answer text")
            warnings.append(f"line {item.line}: question {item.number} has no answer text")
    return ParsedFile(path=path, name=PurePath(path).name, format=name, items=items, warnings=warnings)
