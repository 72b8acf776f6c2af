"""Template tags other pages use to show study progress.

``{% load quiz_tags %}``
``{% self_rating question %}`` — the "How well did you know this?" form for a question page.
``{% review_due_count as n %}`` / ``{% review_due_count %}`` — cards due now for this visitor.
``{% progress_mark q.progress %}`` — a question's progress mark (``progress.annotate`` / ``progress.marks_for``).
"""
from __future__ import annotations

from typing import Any

from django import template
from django.utils.html import format_html

from questions.quizzes import progress, review
from questions.quizzes.models import ReviewLog
from questions.quizzes.ownership import owner_for

register = template.Library()


@register.inclusion_tag("quizzes/_self_rating.html", takes_context=True)
def self_rating(context: template.Context, question: Any) -> dict[str, Any]:
    """The rating buttons, each with the interval the scheduler would give, and this card version's token."""
    request = context.get("request")
    owner = owner_for(request, create=False) if request is not None else None
    card = review.card_for(owner, question)
    return {
        "question": question,
        "choices": review.preview(card, ReviewLog.Source.SELF),
        "token": review.token_for(card, question),
        "csrf_token": context.get("csrf_token"),
    }


@register.simple_tag(takes_context=True)
def review_due_count(context: template.Context) -> int:
    request = context.get("request")
    if request is None:
        return 0
    return review.due_count(owner_for(request, create=False))


_MARK_ICONS = {"mastered": "★", "right": "✓", "seen": "●", "new": "○"}


@register.simple_tag
def progress_mark(mark: object) -> str:
    """A question's mark: shape and word, never colour alone; nothing for a visitor without history.

    A tag rather than an included template: a topic page shows hundreds of them.
    """
    if not isinstance(mark, progress.Mark):  # a list not passed through progress.annotate, or no history
        return ""
    return format_html('<span class="progress-mark progress-{}"><span class="mark-icon" aria-hidden="true">{}</span> '
                       "{}</span>", mark.level, _MARK_ICONS[mark.level], mark.label)
