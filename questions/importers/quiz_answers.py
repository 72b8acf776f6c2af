"""Markdown quiz-answer sheets: ``### 3. Question`` headings with an ``**Answer**:`` body.

Shape::

    # Study Quiz Answers - Day 1
    ## KV-Cache                              <- section (becomes a tag)
    ### 5. Why is the cache needed?
    **Answer**: …
    ## How did you do?                       <- a higher heading closes the last item; not a question

An item ends at the next numbered heading or at any heading that is not
deeper than its own; deeper headings stay inside the answer.
"""
from __future__ import annotations

import re

from questions.importers.items import ParsedItem
from questions.importers.markdown_items import ItemStart, cut_items
from questions.importers.textblocks import markdown_headings

NAME = "quiz-answers"
DESCRIPTION = "Markdown answer sheet with '### 1. …' headings and '**Answer**:' bodies"

# "### 3. …"; "### 3a. …" or "### 3.1 …" is a sub-question of item 3.
_NUMBERED = re.compile(r"^(\d{1,3})(?:(?P<sub>[a-z]|\.\d{1,2})[.)]?|[.)])\s+(?P<title>\S.*)$")


def detect(lines: list[str]) -> int:
    """One point per numbered heading at level 2 or deeper."""
    return sum(1 for h in markdown_headings(lines) if h.level >= 2 and _NUMBERED.match(h.text))


def parse(lines: list[str], path: str) -> tuple[list[ParsedItem], list[str]]:
    headings = markdown_headings(lines)
    starts = []
    for h in headings:
        match = _NUMBERED.match(h.text)
        if h.level >= 2 and match:
            section = next((p.text for p in reversed(headings) if p.index < h.index and p.level < h.level), "")
            starts.append(ItemStart(h.index, h.level, match.group("title"), section=section,
                                    follow_up=bool(match.group("sub"))))
    return cut_items(lines, starts, headings), []
