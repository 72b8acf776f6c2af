"""Who is asking: the owner of a run, and the key their rate limit is counted under.

The owner is the site's one visitor identity (``prep_site.web.visitor``): the user
when signed in, else the anonymous visitor's key. A run stores that key in its
``session_key`` column; it is not Django's session key, which ``login()`` rotates,
so an anonymous visitor's runs are still theirs, and move to the account, on sign-in.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpRequest

from prep_site.web.visitor import anonymous_key, visitor_for


def owner_of(request: HttpRequest, create_session: bool = False) -> dict[str, Any]:
    """User id when signed in, else the visitor key (made on demand so an anonymous run has an owner)."""
    visitor = visitor_for(request, create=create_session)
    return {
        "user_id": visitor.user_id if visitor is not None else None,
        "session_key": visitor.anon_key if visitor is not None and visitor.anon_key else None,
        "ip": request.META.get("REMOTE_ADDR") or None,
    }


def rate_identity(owner: dict[str, Any]) -> str:
    """Signed-in visitors are counted per account; anonymous ones per IP (new sessions are free to make)."""
    return f"user:{owner['user_id']}" if owner.get("user_id") else f"ip:{owner.get('ip') or 'unknown'}"


@receiver(user_logged_in, dispatch_uid="sandbox.adopt_anonymous_runs")
def adopt_anonymous_runs(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    """On sign-in, the visitor's anonymous runs become the account's (so /runs/ still lists them)."""
    from sandbox.models import Run

    key = anonymous_key(request) if request is not None else ""
    if key:
        Run.objects.filter(user__isnull=True, session_key=key).update(user=user)
