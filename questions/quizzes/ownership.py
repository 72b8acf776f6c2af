"""Who owns an attempt or a review card: a signed-in user, or an anonymous visitor.

An anonymous visitor is identified by a random token stored *inside* the session
(``ANON_KEY``), not by the session key: Django cycles the session key on log-in,
but keeps the session's data, so the token is still readable when the
``user_logged_in`` signal fires and the visitor's rows can be moved to the account.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest

ANON_KEY = "quiz_anon_key"


@dataclass(frozen=True)
class Owner:
    user_id: int | None
    anon_key: str

    @property
    def is_anonymous(self) -> bool:
        return self.user_id is None

    def filter(self) -> Q:
        """The rows this owner may see."""
        if self.user_id is not None:
            return Q(user_id=self.user_id)
        return Q(user__isnull=True, anon_key=self.anon_key)

    def fields(self) -> dict[str, Any]:
        """Field values for a new row owned by this owner."""
        return {"user_id": self.user_id, "anon_key": "" if self.user_id is not None else self.anon_key}


def owner_for(request: HttpRequest, create: bool = True) -> Owner | None:
    """The owner behind a request; for an anonymous visitor, mint a token on first use (if ``create``)."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return Owner(user_id=user.pk, anon_key="")
    key = request.session.get(ANON_KEY)
    if not key:
        if not create:
            return None
        key = secrets.token_urlsafe(24)
        request.session[ANON_KEY] = key
    return Owner(user_id=None, anon_key=key)


def merge_anonymous_into(user: Any, anon_key: str) -> tuple[int, int]:
    """Move a visitor's attempts and review cards to ``user``; returns (attempts, cards) moved.

    Where both have a card for the same question, the one reviewed more recently wins:
    it carries the newer memory state.
    """
    from questions.quizzes.models import Attempt, ReviewCard, ReviewLog

    if not anon_key:
        return 0, 0
    with transaction.atomic():
        attempts = Attempt.objects.filter(user__isnull=True, anon_key=anon_key).update(user=user, anon_key="")
        moved = 0
        for card in ReviewCard.objects.filter(user__isnull=True, anon_key=anon_key):
            existing = ReviewCard.objects.filter(user=user, question_id=card.question_id).first()
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
    return attempts, moved
