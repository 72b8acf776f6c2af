"""On log-in (and so on sign-up), the anonymous visitor's exercise submissions become the account's."""
from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpRequest

from prep_site.web.visitor import anonymous_key


@receiver(user_logged_in, dispatch_uid="exercises.adopt_anonymous_submissions")
def adopt_anonymous_submissions(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    from questions.exercises.models import Submission

    key = anonymous_key(request) if request is not None else ""
    if key:
        Submission.objects.filter(user__isnull=True, anon_key=key).update(user=user, anon_key="")
