"""While a demo waits and runs, its panel says about when it will be done, from that demo's own past runs."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from run_factories import make_run, succeeded

from sandbox.api import status_payload
from sandbox.jobs import fairness
from sandbox.models import Run

pytestmark = pytest.mark.django_db


def _history(demo: str, *seconds: float) -> None:
    end = timezone.now() - timedelta(minutes=10)
    for n, duration in enumerate(seconds):
        finished = end - timedelta(minutes=n)
        succeeded(demo, started_at=finished - timedelta(seconds=duration), finished_at=finished)


def test_the_estimate_is_the_median_of_this_demos_recent_runs_not_of_all_demos() -> None:
    _history("fixture_chart", 2, 4, 6, 100)  # median 5 s; one slow outlier does not move it
    _history("fixture_slow", 60, 60, 60)  # another demo's runs say nothing about this one
    assert fairness.demo_duration("fixture_chart") == fairness.Typical(5.0, 4)
    assert fairness.demo_duration("fixture_slow") == fairness.Typical(60.0, 3)


def test_a_running_demo_says_how_long_is_left_and_what_that_is_based_on() -> None:
    _history("fixture_chart", 10, 12, 14)  # median 12 s
    run = make_run("fixture_chart", Run.State.RUNNING, started_at=timezone.now() - timedelta(seconds=4),
                   progress=0, progress_message="starting")
    payload = status_payload(run, include_html=False)
    assert payload["estimate"]["typical_s"] == 12.0 and payload["estimate"]["based_on_runs"] == 3
    assert payload["estimate"]["remaining_s"] in (7, 8)  # 12 s less the ~4 s it has been running
    assert payload["message"].startswith("starting · about ")
    assert payload["message"].endswith(" s left (usually 12 s: the median of this demo's last 3 runs)")


def test_a_run_past_its_usual_time_says_so_instead_of_a_negative_countdown() -> None:
    _history("fixture_chart", 3)
    run = make_run("fixture_chart", Run.State.RUNNING, started_at=timezone.now() - timedelta(seconds=30))
    estimate = status_payload(run, include_html=False)["estimate"]
    assert estimate["remaining_s"] == 0
    assert estimate["message"] == "taking longer than usual (usually 3 s: the median of this demo's last 1 run)"


def test_a_queued_demo_adds_its_wait_in_line_to_its_run_time() -> None:
    _history("fixture_chart", 8, 8, 8)
    make_run("fixture_chart", Run.State.RUNNING, started_at=timezone.now() - timedelta(seconds=1),
             params={"max_len": 64})
    queued = make_run("fixture_chart", enqueued_at=timezone.now())
    payload = status_payload(queued, include_html=False)
    assert payload["queue"]["position"] == 1 and payload["queue"]["running"] == 1
    wait = payload["queue"]["estimated_wait_s"]
    assert payload["estimate"]["remaining_s"] == wait + 8
    assert payload["message"] == (f"{payload['queue']['message']} · about {wait + 8} s left "
                                  "(usually 8 s: the median of this demo's last 3 runs)")


def test_with_no_past_runs_the_estimate_says_it_is_a_guess() -> None:
    run = make_run("fixture_chart", Run.State.RUNNING, started_at=timezone.now())
    estimate = status_payload(run, include_html=False)["estimate"]
    assert estimate["based_on_runs"] == 0
    assert "no finished runs to go by yet, so 15 s is a guess" in estimate["message"]


def test_a_finished_run_has_no_estimate() -> None:
    assert status_payload(succeeded("fixture_chart"), include_html=False)["estimate"] is None


def test_the_panel_says_how_long_the_demo_usually_takes_before_run_is_pressed(client, make_question) -> None:
    _history("fixture_chart", 4, 6)
    make_question("with-demo", demos=["fixture_chart"])
    html = client.get("/q/with-demo/").content.decode()
    assert "Usually takes about 5 s (the median of its last 2 runs)." in html
