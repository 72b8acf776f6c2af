"""Self-test mode in real Chromium: nothing that gives the answer away shows before Reveal,
the measured demos' readings and charts included."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from engine.demos import all_demos
from engine.environment import ENGINE_VERSION
from sandbox.models import Run

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

READING = "so its cache is 8x smaller"


@pytest.fixture
def question_with_a_measured_demo(make_question):
    demo = all_demos()[0]
    now = timezone.now()
    Run.objects.create(
        kind=Run.Kind.DEMO, demo=demo.name, params=demo.validate({}), state=Run.State.SUCCEEDED,
        engine_version=ENGINE_VERSION, attempts=1, started_at=now - timedelta(seconds=3), finished_at=now,
        device="cpu", environment={"device": "cpu", "host": "worker-1", "torch": "2.13.0", "engine": ENGINE_VERSION},
        result={"title": "Cache per token", "metrics": [], "table": {"columns": [], "rows": []}, "charts": [],
                "notes": [f"GQA keeps 4 KV heads, {READING}."]},
    )
    return make_question("gqa-cache", title="How much smaller is a GQA cache?", answer_md="Eight times.",
                         demos=[demo.name])


def test_self_test_hides_the_demo_readings_until_reveal(browser_page, question_with_a_measured_demo) -> None:
    page = browser_page
    page.goto("/q/gqa-cache/")
    assert page.locator("#answer-panel").is_hidden()
    assert page.get_by_text(READING).is_hidden()  # the reading under the Reveal button gave it away
    assert page.locator(".demo-panels").is_hidden()
    assert page.get_by_text("The measured demos stay hidden until you reveal the answer.").is_visible()

    page.get_by_role("button", name="Reveal answer").click()
    assert page.get_by_text(READING).is_visible()
    assert page.locator(".demo-panels").is_visible()
    assert page.get_by_text("The measured demos stay hidden").is_hidden()

    page.get_by_role("button", name="Hide answer").click()
    assert page.get_by_text(READING).is_hidden()

    # With self-test off, the demos are there from the start.
    page.get_by_label("Self-test mode: hide answers until I reveal them").uncheck()
    page.reload()
    assert page.get_by_text(READING).is_visible()
