"""``time_ago``: the one relative-time filter quiz and run pages share."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.template import Context, Template

from questions.templatetags import time_tags

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def fixed_now(monkeypatch):
    monkeypatch.setattr(time_tags.timezone, "now", lambda: NOW)


@pytest.mark.parametrize(
    ("age", "text"),
    [
        (timedelta(0), "just now"),
        (timedelta(seconds=59), "just now"),
        (timedelta(seconds=-30), "just now"),  # a worker's clock a little ahead of the web server's
        (timedelta(minutes=3, seconds=10), "3\xa0minutes ago"),
        (timedelta(hours=2, minutes=5), "2\xa0hours ago"),  # one unit is enough at a glance
        (timedelta(days=1, hours=3), "1\xa0day ago"),
    ],
)
def test_it_reads_like_a_person_would_say_it(age, text):
    assert time_tags.time_ago(NOW - age) == text


def test_a_missing_moment_is_a_dash():
    assert time_tags.time_ago(None) == "—"


def test_templates_load_it_from_the_shared_library():
    rendered = Template("{% load time_tags %}{{ moment|time_ago }}").render(Context({"moment": NOW}))
    assert rendered == "just now"


def test_local_time_writes_the_one_date_format_in_utc_for_the_script_to_localise():
    from zoneinfo import ZoneInfo

    moment = datetime(2026, 12, 4, 23, 5, 59, tzinfo=ZoneInfo("Europe/Berlin"))  # 22:05 UTC
    html = Template("{% load time_tags %}{% local_time moment %}").render(Context({"moment": moment}))
    assert html == '<time datetime="2026-12-04T22:05:59Z" data-local-time>2026-12-04 22:05 UTC</time>'
    assert Template("{% load time_tags %}{% local_time None %}").render(Context()) == "—"
