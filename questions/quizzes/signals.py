"""On log-in (and so on sign-up), move the anonymous visitor's quiz attempts and review cards to the account."""
from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpRequest

from prep_site.web.visitor import anonymous_key
from questions.quizzes.ownership import merge_anonymous_into


@receiver(user_logged_in, dispatch_uid="quizzes.adopt_anonymous_progress")
def adopt_anonymous_progress(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if request is not None:
        merge_anonymous_into(user, anonymous_key(request))
