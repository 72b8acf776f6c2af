"""``QUESTION NN`` blocks whose answer comes in labelled parts.

Shape::

    Transformer Architecture                 <- last preamble line: the section
    QUESTION 01
    Explain the transformer at a high level.
    📘 DEFINITION:
    …
    ⚙️ HOW IT WORKS:
    …
    💡 WHY IT MATTERS:
    …
    📝 EXAMPLE:
    …

Each label becomes a bold line in the answer ("**📘 Definition**") followed by
its text. The labels are upper-case words ending in a colon, optionally after
an emoji, so other label sets ("KEY POINTS:") work too.
"""
from __future__ import annotations

import re

from questions.importers.items import ParsedItem
from questions.importers.textblocks import build_item

NAME = "labelled-blocks"
DESCRIPTION = "'QUESTION 01' blocks with labelled parts (DEFINITION:, HOW IT WORKS:, WHY IT MATTERS:, EXAMPLE:)"

_BLOCK = re.compile(r"^\s*QUESTION\s*#?\s*(\d{1,4})\s*:?\s*$", re.IGNORECASE)
# Up to a few symbols (an emoji and its variation selector), then an upper-case label and a colon.
_LABEL = re.compile(r"^\s*(?P<symbol>[^\w\s]{0,4})\s*(?P<label>[A-Z][A-Z &'/-]{2,40}):\s*(?P<rest>.*)$")
MAX_SECTION_LENGTH = 80


def detect(lines: list[str]) -> int:
    """One point per ``QUESTION NN`` line."""
    return sum(1 for line in lines if _BLOCK.match(line))


def _section(preamble: list[str]) -> str:
    text = [line.strip() for line in preamble if line.strip()]
    return text[-1] if text and len(text[-1]) <= MAX_SECTION_LENGTH and not text[-1].endswith(".") else ""


def _render(block: list[str]) -> tuple[list[str], list[str]]:
    """Split a block into its title lines and its answer, with each label rendered in bold."""
    title: list[str] = []
    answer: list[str] = []
    labelled = False
    for line in block:
        match = _LABEL.match(line)
        if match:
            labelled = True
            heading = " ".join(filter(None, [match.group("symbol"), match.group("label").capitalize()]))
            answer += ["", f"**{heading}**", ""]
            if match.group("rest"):
                answer.append(match.group("rest"))
        elif labelled:
            answer.append(line)
        else:
            title.append(line)
    if not labelled:
        # No labels: the first paragraph is the question, the rest the answer.
        blank = next((i for i, line in enumerate(block) if i and not line.strip()), len(block))
        return block[:blank], block[blank:]
    return title, answer


def parse(lines: list[str], path: str) -> tuple[list[ParsedItem], list[str]]:
    starts = [i for i, line in enumerate(lines) if _BLOCK.match(line)]
    section = _section(lines[:starts[0]]) if starts else ""
    items: list[ParsedItem] = []
    warnings: list[str] = []
    for n, start in enumerate(starts):
        end = starts[n + 1] if n + 1 < len(starts) else len(lines)
        title, answer = _render(lines[start + 1:end])
        title = [line for line in title if line.strip()]
        if not title:
            warnings.append(f"line {start + 1}: '{lines[start].strip()}' has no question text; skipped")
            continue
        items.append(build_item(len(items) + 1, " ".join(title), answer, start + 1, end, section=section))
    return items, warnings
