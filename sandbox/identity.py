"""Who is asking: the owner of a run, and the key their rate limit is counted under."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest


def owner_of(request: HttpRequest, create_session: bool = False) -> dict[str, Any]:
    """User id when signed in, else the session key (made on demand so an anonymous run has an owner)."""
    user = getattr(request, "user", None)
    session = getattr(request, "session", None)
    if create_session and session is not None and not session.session_key:
        session.save()
    return {
        "user_id": user.pk if user is not None and user.is_authenticated else None,
        "session_key": session.session_key if session is not None else None,
        "ip": request.META.get("REMOTE_ADDR") or None,
    }


def rate_identity(owner: dict[str, Any]) -> str:
    """Signed-in visitors are counted per account; anonymous ones per IP (new sessions are free to make)."""
    return f"user:{owner['user_id']}" if owner.get("user_id") else f"ip:{owner.get('ip') or 'unknown'}"
