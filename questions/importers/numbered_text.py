"""Plain-text interview questions: ``1. What …?`` lines under plain section headings.

Shape::

    Transformer Interview Questions          <- preamble (title, author, date): ignored
    Fundamentals of Caching                  <- a section heading: a plain short line
                                                followed by question 1
    1. What does the cache store?
    Answer paragraphs, lists, $math$ …
    2. Why does it help?
    …
    Memory and Scalability                   <- numbering restarts at 1 under a new section
    1. How big does it get?
    Summary of the Chapter:                  <- a summary section: not a question, skipped

A numbered line starts a question only when it continues the numbering (or
restarts it at 1) and reads as a question (ends with "?" or starts with a
question word), so numbered lists inside answers stay in the answer.
"""
from __future__ import annotations

import re

from questions.importers.items import ParsedItem
from questions.importers.textblocks import build_item, fence_mask

NAME = "numbered-text"
DESCRIPTION = "Plain text with '1. What …?' questions whose numbering restarts under section headings"

_NUMBERED = re.compile(r"^(\d{1,3})[.)]\s+(?P<title>\S.*)$")
_QUESTION_WORD = re.compile(
    r"^(?:what|why|how|when|where|which|who|whose|is|are|was|were|can|could|should|would|will|do|does|did|"
    r"explain|describe|compare|contrast|define|discuss|list|name|give|outline|walk|suppose|imagine|design|"
    r"derive|calculate|estimate|in which|in what)\b",
    re.IGNORECASE,
)
_SUMMARY = re.compile(r"^#*\s*(?:summary|key takeaways|takeaways|conclusions?|recap)\b", re.IGNORECASE)
_MARKDOWN_HEADING = re.compile(r"^#{1,6}\s+(?P<text>.+?)\s*#*$")
MAX_HEADING_LENGTH = 80


def _is_question(text: str) -> bool:
    return text.rstrip().endswith("?") or bool(_QUESTION_WORD.match(text))


def _question_number(line: str) -> tuple[int, str] | None:
    match = _NUMBERED.match(line)
    if match and _is_question(match.group("title")):
        return int(match.group(1)), match.group("title")
    return None


def _next_text_line(lines: list[str], i: int) -> str:
    for line in lines[i + 1:]:
        if line.strip():
            return line
    return ""


def _heading(lines: list[str], i: int) -> str | None:
    """The heading text if line ``i`` opens a section, else None.

    A Markdown ``#`` heading always does. A plain line does when it is short,
    stands alone between blank lines, does not end like a sentence, and is
    followed by question 1 or is a summary heading.
    """
    line = lines[i].strip()
    markdown = _MARKDOWN_HEADING.match(line)
    if markdown:
        return markdown.group("text")
    if not line or len(line) > MAX_HEADING_LENGTH or not line[0].isalpha() or line[-1] in ".?!,;":
        return None
    if (i > 0 and lines[i - 1].strip()) or (i + 1 < len(lines) and lines[i + 1].strip()):
        return None
    following = _question_number(_next_text_line(lines, i))
    if (following and following[0] == 1) or _SUMMARY.match(line):
        return line
    return None


def detect(lines: list[str]) -> int:
    """One point per top-level numbered question line outside code."""
    in_fence = fence_mask(lines)
    return sum(1 for i, line in enumerate(lines) if not in_fence[i] and _question_number(line))


def parse(lines: list[str], path: str) -> tuple[list[ParsedItem], list[str]]:
    in_fence = fence_mask(lines)
    items: list[ParsedItem] = []
    warnings: list[str] = []
    section = ""
    skipping_summary = False
    expected = 1
    current: tuple[str, int, str] | None = None  # title, 0-based start index, section
    body: list[str] = []

    def close(end: int) -> None:
        if current is not None:
            title, start, item_section = current
            items.append(build_item(len(items) + 1, title, body, start + 1, end, section=item_section))

    for i, line in enumerate(lines):
        numbered = None if in_fence[i] else _question_number(line)
        if numbered and not skipping_summary and numbered[0] in (expected, 1):
            close(i)
            current, body = (numbered[1], i, section), []
            expected = numbered[0] + 1
            continue
        heading = None if in_fence[i] else _heading(lines, i)
        if heading is not None:
            close(i)
            current, body = None, []
            skipping_summary = bool(_SUMMARY.match(heading))
            if skipping_summary:
                warnings.append(f"line {i + 1}: skipped the summary section '{heading}' (not a question)")
            else:
                section = heading.rstrip(":")
            expected = 1
            continue
        if current is not None:
            body.append(line)
    close(len(lines))
    return items, warnings
