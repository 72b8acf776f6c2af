"""Line-level helpers shared by the parsers: code fences, headings, answer bodies, follow-ups.

Every parser splits a file into items by looking at line starts; these helpers
make sure a ``#`` comment inside a fenced code block is never taken for a
heading, and that answers are cleaned up the same way whatever the format.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from questions.importers.items import ParsedItem

_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_HEADING = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.+?)[ \t#]*$")
_RULE = re.compile(r"^ {0,3}([-*_])( *\1){2,} *$")
# "Follow-up: …", "**Follow-up question:** …", "- Follow up 2: …", "> **Follow-ups**:" — the colon is
# required so prose such as "follow up with the team" stays in the answer.
_FOLLOW_UP = re.compile(
    r"^\s*(?:[-*+>]\s*)?(?:\*\*|__)?follow[- ]?ups?(?:\s+questions?)?(?:\s*\d+)?\s*(?:\*\*|__)?\s*:"
    r"\s*(?:\*\*|__)?\s*(?P<text>.*)$",
    re.IGNORECASE,
)
# A bold "Answer" label on its own line or in front of the text: **Answer:**, **Answer**:, Answer:
_ANSWER_LABEL = re.compile(r"^\s*(?:\*\*|__)?answer(?:\*\*|__)?\s*:\s*(?:\*\*|__)?\s*", re.IGNORECASE)


def fence_mask(lines: list[str]) -> list[bool]:
    """For each line, True if it is inside a fenced code block (fence lines included).

    An unclosed fence runs to the end of the file, as in CommonMark.
    """
    mask: list[bool] = []
    open_fence = ""
    for line in lines:
        match = _FENCE.match(line)
        if open_fence:
            mask.append(True)
            if match and match.group(1)[0] == open_fence[0] and len(match.group(1)) >= len(open_fence) \
                    and not line.strip()[len(match.group(1)):].strip():
                open_fence = ""
        elif match:
            mask.append(True)
            open_fence = match.group(1)
        else:
            mask.append(False)
    return mask


@dataclass(frozen=True)
class Heading:
    index: int  # 0-based line index
    level: int
    text: str


def markdown_headings(lines: list[str]) -> list[Heading]:
    """ATX headings outside code fences."""
    in_fence = fence_mask(lines)
    found = []
    for i, line in enumerate(lines):
        if in_fence[i]:
            continue
        match = _HEADING.match(line)
        if match:
            found.append(Heading(i, len(match.group(1)), match.group(2).strip()))
    return found


def trim_block(lines: list[str]) -> list[str]:
    """Drop blank lines and horizontal rules (``---``) from both ends."""
    start, end = 0, len(lines)
    while start < end and (not lines[start].strip() or _RULE.match(lines[start])):
        start += 1
    while end > start and (not lines[end - 1].strip() or _RULE.match(lines[end - 1])):
        end -= 1
    return lines[start:end]


def strip_answer_label(lines: list[str]) -> list[str]:
    """Remove a leading ``**Answer:**`` label, keeping any text on the same line."""
    lines = trim_block(lines)
    if lines and _ANSWER_LABEL.match(lines[0]):
        rest = _ANSWER_LABEL.sub("", lines[0], count=1).strip()
        lines = ([rest] if rest else []) + lines[1:]
    return trim_block(lines)


def split_follow_ups(lines: list[str]) -> tuple[list[str], list[str]]:
    """Separate "Follow-up: …" lines (outside code) from the answer body.

    Follow-ups belong to the question they appear in: they become its
    ``follow_ups`` list instead of new items. A follow-up label alone on its
    line takes the next non-blank line (or list items) as the question.
    """
    in_fence = fence_mask(lines)
    body: list[str] = []
    follow_ups: list[str] = []
    i = 0
    while i < len(lines):
        match = None if in_fence[i] else _FOLLOW_UP.match(lines[i])
        if not match:
            body.append(lines[i])
            i += 1
            continue
        text = match.group("text").strip()
        i += 1
        if text:
            follow_ups.append(_clean_inline(text))
            continue
        # The label stands alone: the questions follow as a paragraph or a list.
        while i < len(lines) and not lines[i].strip():
            i += 1
        while i < len(lines) and lines[i].strip() and not in_fence[i]:
            follow_ups.append(_clean_inline(re.sub(r"^\s*(?:[-*+]|\d+[.)])\s+", "", lines[i])))
            i += 1
    return body, [f for f in follow_ups if f]


def _clean_inline(text: str) -> str:
    return text.strip().strip("*_").strip()


def join_block(lines: list[str]) -> str:
    """Lines back to Markdown text, without surrounding blank lines."""
    return "\n".join(trim_block(lines)).strip("\n")


def first_words(text: str, limit: int = 120) -> str:
    """A one-line preview for titles and the admin table."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def build_item(
    number: int,
    title: str,
    body: list[str],
    line: int,
    end_line: int,
    section: str = "",
    kind_tag: str = "",
) -> ParsedItem:
    """One item from a title and its raw body lines, cleaned the same way for every format."""
    answer, follow_ups = split_follow_ups(strip_answer_label(body))
    return ParsedItem(
        number=number,
        title=" ".join(title.split()),
        answer_md=join_block(answer),
        line=line,
        end_line=end_line,
        section=section,
        kind_tag=kind_tag,
        follow_ups=follow_ups,
    )
