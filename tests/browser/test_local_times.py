"""Times in real Chromium: the server writes UTC, the one formatter in site.js shows the visitor's zone."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from engine.demos import all_demos
from engine.environment import ENGINE_VERSION
from sandbox.models import Run

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_measured_time_is_shown_in_the_visitors_time_zone(open_context, make_question) -> None:
    demo = all_demos()[0]
    finished = datetime(2026, 12, 4, 22, 5, tzinfo=UTC)
    Run.objects.create(
        kind=Run.Kind.DEMO, demo=demo.name, params=demo.validate({}), state=Run.State.SUCCEEDED,
        engine_version=ENGINE_VERSION, attempts=1, started_at=finished - timedelta(seconds=3), finished_at=finished,
        device="cpu", environment={"device": "cpu", "host": "worker-1", "torch": "2.13.0", "engine": ENGINE_VERSION},
        result={"title": "Cache per token", "metrics": [], "table": {"columns": [], "rows": []}, "charts": [],
                "notes": []},
    )
    make_question("with-demo", demos=[demo.name])
    page = open_context(timezone_id="Asia/Tokyo").new_page()  # UTC+9, no DST
    page.add_init_script("localStorage.setItem('prep.selfTest', 'off')")
    page.goto("/q/with-demo/")
    shown = page.locator(".demo-panel time[data-local-time]").inner_text()
    assert shown.startswith("2026-12-05 07:05 ")  # 22:05 UTC is 07:05 the next morning in Tokyo
    assert "UTC" not in shown
    # The relative "Measured … ago" keeps its words; its tooltip is the same local time.
    relative = page.locator(".demo-panel .measured time:not([data-local-time])")
    assert relative.get_attribute("title") == shown
