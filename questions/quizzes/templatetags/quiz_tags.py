"""Template tags other pages use to show study progress.

``{% load quiz_tags %}``
``{% self_rating question %}`` — the "How well did you know this?" form for a question page.
``{% review_due_count as n %}`` / ``{% review_due_count %}`` — cards due today for this visitor.
"""
from __future__ import annotations

from typing import Any

from django import template

from questions.quizzes import review
from questions.quizzes.ownership import owner_for

register = template.Library()


@register.inclusion_tag("quizzes/_self_rating.html", takes_context=True)
def self_rating(context: template.Context, question: Any) -> dict[str, Any]:
    request = context.get("request")
    return {
        "question": question,
        "ratings": review.RATINGS,
        "next": request.get_full_path() if request is not None else "",
        "csrf_token": context.get("csrf_token"),
    }


@register.simple_tag(takes_context=True)
def review_due_count(context: template.Context) -> int:
    request = context.get("request")
    if request is None:
        return 0
    return review.due_count(owner_for(request, create=False))
