"""Who is asking: a signed-in user, or an anonymous visitor with a stable key — one notion for every app.

The anonymous key is a random token kept *inside* the session (``VISITOR_KEY``),
not the session key itself: Django's ``login()`` cycles the session key (against
session fixation) but keeps the session's data, so the token is still readable
when ``user_logged_in`` fires, and each app's receiver can move the visitor's
rows (runs, attempts, review cards) to the account. Logging out flushes the
session, so the next anonymous visit gets a fresh key and sees none of it.

The token is random, never the session key: rows that store it reveal nothing
that would let someone take over the session.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from django.db.models import Q
from django.http import HttpRequest

VISITOR_KEY = "visitor_key"
# Sessions from before the shared identity kept the same kind of token under the quiz app's name.
_LEGACY_KEYS = ("quiz_anon_key",)


@dataclass(frozen=True)
class Visitor:
    user_id: int | None
    anon_key: str

    @property
    def is_anonymous(self) -> bool:
        return self.user_id is None

    def filter(self, anon_field: str = "anon_key") -> Q:
        """The rows this visitor owns, for a model with ``user`` and an anonymous-key column."""
        if self.user_id is not None:
            return Q(user_id=self.user_id)
        return Q(user__isnull=True, **{anon_field: self.anon_key})

    def fields(self, anon_field: str = "anon_key") -> dict[str, Any]:
        """Field values for a new row owned by this visitor (the anonymous key only when not signed in)."""
        return {"user_id": self.user_id, anon_field: "" if self.user_id is not None else self.anon_key}


def anonymous_key(request: HttpRequest, create: bool = False) -> str:
    """The visitor's anonymous key from the session ("" when none and ``create`` is false)."""
    session = getattr(request, "session", None)
    if session is None:
        return ""
    key = session.get(VISITOR_KEY, "")
    if not key:
        key = next((session[name] for name in _LEGACY_KEYS if session.get(name)), "")
        if key or create:
            key = key or secrets.token_urlsafe(24)
            session[VISITOR_KEY] = key
    return key


def visitor_for(request: HttpRequest, create: bool = True) -> Visitor | None:
    """The visitor behind a request; an anonymous one gets a key on first use if ``create``, else None."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return Visitor(user_id=user.pk, anon_key="")
    key = anonymous_key(request, create=create)
    return Visitor(user_id=None, anon_key=key) if key else None
