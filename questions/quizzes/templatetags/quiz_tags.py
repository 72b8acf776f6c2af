"""Template tags other pages use to show study progress.

``{% load quiz_tags %}``
``{% self_rating question %}`` — the "How well did you know this?" form for a question page.
``{% review_due_count as n %}`` / ``{% review_due_count %}`` — cards due now for this visitor.
``{% include "quizzes/_mark.html" with mark=q.progress %}`` — a question's progress mark (``progress.annotate``).
"""
from __future__ import annotations

from typing import Any

from django import template

from questions.quizzes import review
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
