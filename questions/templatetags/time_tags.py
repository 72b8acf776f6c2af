"""``{{ moment|time_ago }}``: how long ago something happened, as a person would say it.

Shared by every app that shows a relative time (quiz attempts, demo runs), so
they all say "just now" for the same thing. Django's ``timesince`` alone says
"0 minutes" for the first minute, which reads like a bug, and "1 hour, 5 minutes"
where "1 hour" is all a glance needs.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django import template
from django.utils import timezone
from django.utils.timesince import timesince

register = template.Library()

# Below this age a moment reads "just now".
JUST_NOW = timedelta(seconds=60)


@register.filter
def time_ago(moment: datetime | None) -> str:
    """'just now', '3 minutes ago', '2 days ago'; an em dash when there is no moment (a run that never finished)."""
    if moment is None:
        return "—"
    now = timezone.now()
    # A moment slightly in the future (clocks of two machines) is also "just now", never "0 minutes ago".
    if now - moment < JUST_NOW:
        return "just now"
    return f"{timesince(moment, now, depth=1)} ago"
