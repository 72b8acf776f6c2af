"""On log-in (and so on sign-up), move the anonymous visitor's quiz attempts and review cards to the account.

The visitor's token sits in the session *data* (see questions/quizzes/ownership.py),
which survives the session-key cycling that ``login()`` does before this signal fires.
"""
from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpRequest

from questions.quizzes.ownership import ANON_KEY, merge_anonymous_into


@receiver(user_logged_in)
def adopt_anonymous_progress(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if request is None or not hasattr(request, "session"):
        return
    anon_key = request.session.pop(ANON_KEY, "")
    if anon_key:
        merge_anonymous_into(user, anon_key)
