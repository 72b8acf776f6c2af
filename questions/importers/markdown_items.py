"""Cutting a Markdown file into items at chosen lines, shared by the Markdown formats.

A format decides which lines start an item (a ``#### Q3:`` heading, a
``### 3.`` heading, a bold ``**Challenge: …**`` line); this module decides where
each item ends: at the next item, or at the next heading that is not deeper
than the item's own, so "### Key Takeaways" closes the last question while an
answer's own ``#####`` sub-headings stay inside it. Headings in code fences are
never boundaries (they were already filtered by ``markdown_headings``).
"""
from __future__ import annotations

from dataclasses import dataclass

from questions.importers.items import ParsedItem
from questions.importers.textblocks import Heading, build_item


@dataclass(frozen=True)
class ItemStart:
    index: int  # 0-based line index of the item's title line
    level: int  # heading level; a bold-line item gets its section's level + 1
    title: str
    section: str = ""
    kind_tag: str = ""
    # A sub-question ("Q3a", "Q3.1"): attached to the item before it as a follow-up.
    follow_up: bool = False


def cut_items(lines: list[str], starts: list[ItemStart], headings: list[Heading]) -> list[ParsedItem]:
    """Items numbered 1..n in file order; sub-questions folded into their parent."""
    start_lines = sorted(s.index for s in starts)
    items: list[ParsedItem] = []
    for start in sorted(starts, key=lambda s: s.index):
        ends = [i for i in start_lines if i > start.index]
        ends += [h.index for h in headings if h.index > start.index and h.level <= start.level]
        end = min(ends, default=len(lines))
        body = lines[start.index + 1:end]
        if start.follow_up and items:
            _attach_follow_up(items[-1], start.title, body, end)
            continue
        items.append(build_item(len(items) + 1, start.title, body, start.index + 1, end,
                                section=start.section, kind_tag=start.kind_tag))
    return items


def _attach_follow_up(parent: ParsedItem, title: str, body: list[str], end: int) -> None:
    """A sub-question joins its parent: listed as a follow-up, its answer appended under it."""
    child = build_item(0, title, body, 0, end)
    parent.follow_ups.append(child.title)
    parent.follow_ups.extend(child.follow_ups)
    if child.answer_md:
        parent.answer_md = f"{parent.answer_md}\n\n**Follow-up: {child.title}**\n\n{child.answer_md}".strip()
    parent.end_line = end
