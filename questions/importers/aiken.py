"""Moodle Aiken: one multiple-choice question per block, as an auto-gradable quiz item.

Shape (https://docs.moodle.org/en/Aiken_format)::

    Which cache layout avoids fragmentation?
    A. Contiguous per sequence
    B) Fixed-size pages
    ANSWER: B

The question may span several lines; options are consecutive capital letters
from A, written ``A.`` or ``A)``; the ``ANSWER:`` letter must be one of them.
Anything else is an error naming the line, because a half-understood Aiken
file would import wrong answers.
"""
from __future__ import annotations

import re

from questions.importers.errors import ImportFileError
from questions.importers.items import IMPORT_QUIZ_KEY, ParsedItem
from questions.parsed import ParsedChoice, ParsedQuizItem

NAME = "aiken"
DESCRIPTION = "Moodle Aiken (question, 'A. …' options, 'ANSWER: B')"

_OPTION = re.compile(r"^([A-Z])[.)]\s+(?P<text>\S.*)$")
_ANSWER = re.compile(r"^ANSWER:\s*(?P<letter>\S*)\s*$", re.IGNORECASE)


def detect(lines: list[str]) -> int:
    """One point per ``ANSWER: X`` line."""
    return sum(1 for line in lines if _ANSWER.match(line.strip()))


def _item(
    path: str, number: int, start: int, block: list[tuple[int, str]], answer_line: int, letter: str
) -> ParsedItem:
    question: list[str] = []
    options: list[tuple[str, str]] = []
    for line_no, line in block:
        option = _OPTION.match(line)
        if option:
            expected = chr(ord("A") + len(options))
            if option.group(1) != expected:
                raise ImportFileError(path, line_no, f"option '{option.group(1)}' should be '{expected}' "
                                                     "(options are lettered A, B, C, … in order)")
            options.append((option.group(1), option.group("text").strip()))
        elif options:
            raise ImportFileError(path, line_no, "text after the options; each option must be one 'A. …' line")
        else:
            question.append(line)
    if not question:
        raise ImportFileError(path, start, "the question text is missing before the options")
    if len(options) < 2:
        raise ImportFileError(path, start, f"a question needs at least 2 options 'A. …', found {len(options)}")
    letters = [o[0] for o in options]
    if letter not in letters:
        raise ImportFileError(path, answer_line, f"ANSWER must be one of {', '.join(letters)}; got '{letter}'")
    prompt = " ".join(" ".join(question).split())
    choices = [ParsedChoice(text, key == letter) for key, text in options]
    right = next(c.text for c in choices if c.correct)
    return ParsedItem(number=number, title=prompt, answer_md=f"**Answer:** {letter}. {right}", line=start,
                      end_line=answer_line, quiz=ParsedQuizItem(key=IMPORT_QUIZ_KEY, kind="single", prompt=prompt, choices=choices))


def parse(lines: list[str], path: str) -> tuple[list[ParsedItem], list[str]]:
    items: list[ParsedItem] = []
    block: list[tuple[int, str]] = []
    for index, raw in enumerate(lines):
        line = raw.strip()
        line_no = index + 1
        answer = _ANSWER.match(line)
        if answer:
            if not block:
                raise ImportFileError(path, line_no, "ANSWER without a question before it")
            items.append(_item(path, len(items) + 1, block[0][0], block, line_no, answer.group("letter").upper()))
            block = []
        elif line:
            block.append((line_no, line))
    if block:
        raise ImportFileError(path, block[0][0], "this question has no 'ANSWER: <letter>' line")
    return items, []
