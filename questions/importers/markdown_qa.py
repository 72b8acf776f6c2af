"""Markdown interview notes: ``#### Q1: …`` questions, then production challenges.

Shape::

    # Day 11: Decoders                       <- document title, used as the section
    #### Q1: Why mask future tokens?
    **Answer:** …                            <- the label is dropped, the Markdown kept
    #### Q1a: And at inference?              <- a sub-question: a follow-up of Q1
    ### Production Challenges
    #### Challenge 1: Serving a 70B model    <- or a bold line "**Challenge: …**"
    ### Key Takeaways                        <- closes the last item; not a question

Challenges are numbered after the questions, in file order.
"""
from __future__ import annotations

import re

from questions.importers.items import ParsedItem
from questions.importers.markdown_items import ItemStart, cut_items
from questions.importers.textblocks import fence_mask, markdown_headings

NAME = "markdown-qa"
DESCRIPTION = "Markdown with '#### Q1: …' questions and '**Answer:**' bodies, plus '### Production Challenges'"

_QUESTION = re.compile(r"^Q(?:uestion)?\s*(\d+)(?P<sub>[a-z]\b|\.\d+)?\s*[:.)]\s*(?P<title>.+)$", re.IGNORECASE)
_CHALLENGE_SECTION = re.compile(r"^production\s+challenges?\b", re.IGNORECASE)
_CHALLENGE = re.compile(r"^challenge\s*\d*\s*[:.)–—-]\s*(?P<title>.+)$", re.IGNORECASE)
_BOLD_CHALLENGE = re.compile(
    r"^\s*(?:\*\*|__)challenge\s*\d*\s*[:.)–—-]\s*(?P<title>.+?)(?:\*\*|__)\s*$", re.IGNORECASE
)
CHALLENGE_TAG = "production-challenge"


def detect(lines: list[str]) -> int:
    """One point per ``Q<n>:`` heading."""
    return sum(1 for h in markdown_headings(lines) if _QUESTION.match(h.text))


def parse(lines: list[str], path: str) -> tuple[list[ParsedItem], list[str]]:
    headings = markdown_headings(lines)
    title = next((h.text for h in headings if h.level == 1), "")
    starts: list[ItemStart] = []
    for h in headings:
        match = _QUESTION.match(h.text)
        if match:
            starts.append(ItemStart(h.index, h.level, match.group("title"), section=title,
                                    follow_up=bool(match.group("sub"))))
    warnings: list[str] = []
    for section in (h for h in headings if _CHALLENGE_SECTION.match(h.text)):
        found = _challenges(lines, headings, section, title)
        if not found:
            warnings.append(f"line {section.index + 1}: '{section.text}' has no 'Challenge' headings; skipped")
        starts.extend(found)
    return cut_items(lines, starts, headings), warnings


def _challenges(lines: list[str], headings: list, section, title: str) -> list[ItemStart]:
    """Challenge headings or bold challenge lines between ``section`` and the next heading at its level."""
    end = min((h.index for h in headings if h.index > section.index and h.level <= section.level),
              default=len(lines))
    found = [
        ItemStart(h.index, h.level, f"Production challenge: {m.group('title')}", title, CHALLENGE_TAG)
        for h in headings
        if section.index < h.index < end and (m := _CHALLENGE.match(h.text))
    ]
    in_fence = fence_mask(lines)
    for i in range(section.index + 1, end):
        match = None if in_fence[i] else _BOLD_CHALLENGE.match(lines[i])
        if match:
            found.append(ItemStart(i, section.level + 1, f"Production challenge: {match.group('title')}",
                                   title, CHALLENGE_TAG))
    return found
