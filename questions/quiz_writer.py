"""The one place a parsed quiz item becomes ``QuizItem``/``Choice`` rows (the bank loader and the importers).

A question's items are matched by their ``key``: an item with a known key is
updated in place (so quiz history keeps pointing at it), a new key makes a new
item, and an item whose key is gone is deactivated, never deleted.
"""
from __future__ import annotations

from collections.abc import Sequence

from questions.models import Question, QuizItem
from questions.parsed import ParsedQuizItem


def write_quiz_items(question: Question, items: Sequence[ParsedQuizItem]) -> None:
    """Make ``question``'s active items exactly ``items``, in this order. Call inside the caller's transaction."""
    current = {item.key: item for item in question.quiz_items.all()}
    for position, parsed in enumerate(items, start=1):
        item = current.pop(parsed.key, None) or QuizItem(question=question, key=parsed.key)
        item.kind = parsed.kind
        item.prompt = parsed.prompt
        item.explanation = parsed.explanation
        item.numeric_answer = parsed.numeric_answer
        item.tolerance = parsed.tolerance
        item.tolerance_mode = parsed.tolerance_mode
        item.unit = parsed.unit
        item.order = position
        item.is_active = True
        item.save()
        item.replace_choices((c.text, c.correct, c.explanation) for c in parsed.choices)
    for gone in current.values():
        if gone.is_active:
            gone.is_active = False
            gone.save(update_fields=["is_active"])
