"""``{{ moment|time_ago }}``: how long ago something happened, as a person would say it;
``{% local_time moment %}``: when, in the site's one date format ("2026-12-04 23:05 CET").

Shared by every app that shows a relative time (quiz attempts, demo runs), so
they all say "just now" for the same thing. Django's ``timesince`` alone says
"0 minutes" for the first minute, which reads like a bug, and "1 hour, 5 minutes"
where "1 hour" is all a glance needs.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django import template
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString
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


# The one format for absolute times, here and in site.js's formatLocalTime: ISO-like, so it reads
# the same in every language and sorts as text.
DATE_FORMAT = "%Y-%m-%d %H:%M"


@register.simple_tag
def local_time(moment: datetime | None) -> SafeString | str:
    """A ``<time>`` in the site's date format, in UTC; site.js rewrites it in the visitor's time zone.

    The server does not know the visitor's zone (no account setting, no header carries it), so the
    page says UTC until the script, which does, has run; readers without JavaScript keep UTC.
    """
    if moment is None:
        return "—"
    utc = moment.astimezone(UTC)
    return format_html('<time datetime="{}" data-local-time>{} UTC</time>',
                       utc.isoformat(timespec="seconds").replace("+00:00", "Z"), utc.strftime(DATE_FORMAT))
