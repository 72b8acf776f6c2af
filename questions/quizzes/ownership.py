"""Who owns an attempt or a review card: the site's one visitor identity (``prep_site.web.visitor``).

``Owner`` is that ``Visitor`` under the name the quiz code reads best with; this
module adds only what is the quiz app's own business: moving an anonymous
visitor's attempts and cards to their account when they sign in (``signals.py``).
"""
from __future__ import annotations

from typing import Any

from django.db import transaction

from prep_site.web.visitor import Visitor, visitor_for

Owner = Visitor
owner_for = visitor_for

__all__ = ["Owner", "merge_anonymous_into", "owner_for"]


def merge_anonymous_into(user: Any, anon_key: str) -> tuple[int, int]:
    """Move a visitor's attempts, review cards and question views to ``user``; returns (attempts, cards) moved.

    Where both have a card for the same subject, the one reviewed more recently wins:
    it carries the newer memory state. Where both viewed a question, the account keeps one row.
    """
    from questions.quizzes.models import Attempt, QuestionView, ReviewCard, ReviewLog

    if not anon_key:
        return 0, 0
    with transaction.atomic():
        attempts = Attempt.objects.filter(user__isnull=True, anon_key=anon_key).update(user=user, anon_key="")
        moved = 0
        for card in ReviewCard.objects.filter(user__isnull=True, anon_key=anon_key):
            existing = ReviewCard.objects.filter(user=user, subject=card.subject, object_id=card.object_id).first()
            if existing is not None:
                newer_is_anonymous = (card.last_review or card.due) > (existing.last_review or existing.due)
                if not newer_is_anonymous:
                    ReviewLog.objects.filter(card=card).update(card=existing)  # keep the whole history
                    card.delete()
                    continue
                ReviewLog.objects.filter(card=existing).update(card=card)
                existing.delete()
            card.user = user
            card.anon_key = ""
            card.save(update_fields=["user", "anon_key"])
            moved += 1
        seen_by_user = QuestionView.objects.filter(user=user).values_list("question_id", flat=True)
        QuestionView.objects.filter(user__isnull=True, anon_key=anon_key, question_id__in=seen_by_user).delete()
        QuestionView.objects.filter(user__isnull=True, anon_key=anon_key).update(user=user, anon_key="")
    return attempts, moved
