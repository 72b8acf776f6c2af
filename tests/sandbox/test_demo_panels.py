"""{% demo_panels question %} and {% sandbox_assets %}: cached result, parameter form, and no crash on unknown demos."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
from django.template import Context, Template
from django.test import RequestFactory
from run_factories import succeeded

pytestmark = pytest.mark.django_db


def render(demos, request=None):
    template = Template("{% load sandbox_tags %}{% demo_panels question %}{% demo_panels question %}")
    request = request or RequestFactory().get("/q/x/")
    return template.render(Context({"question": SimpleNamespace(demos=demos), "request": request}))


def test_without_a_cached_result_it_offers_to_measure():
    html = render(["fixture_chart"])
    assert 'data-demo="fixture_chart"' in html
    assert "Not measured yet" in html
    assert 'type="number" name="max_len" data-type="int" value="1024" step="1" min="16" max="8192"' in html
    assert '<option value="causal" selected>causal</option>' in html


def test_with_a_cached_result_it_shows_the_measurement_and_where_it_was_taken():
    succeeded(
        result={
            "title": "n² growth",
            "metrics": [{"name": "largest", "value": 1048576, "unit": "ops"}],
            "table": {"columns": ["tokens", "ops"], "rows": [[16, 256], [1024, 1048576]]},
            "charts": [
                {
                    "title": "Score-matrix size",
                    "log_x": True,
                    "log_y": True,
                    "series": [{"name": "causal", "x": [16, 1024], "y": [256, 1048576]}],
                }
            ],  # fmt: skip
            "notes": ["Doubling the length quadruples the entries."],
        },
        environment={"device": "cuda", "gpu_name": "NVIDIA H100", "host": "gpu-worker", "torch": "2.13.0"},
    )
    html = render(["fixture_chart"])
    assert "Not measured yet" not in html
    assert "n² growth" in html and "1,048,576" in html and "<svg" in html
    assert "Doubling the length quadruples the entries." in html
    assert "measured" in html and "on NVIDIA H100 (host gpu-worker, torch 2.13.0)" in html


def test_an_unknown_demo_gets_a_note_not_an_error():
    html = render(["fixture_chart", "warp_drive"])
    assert "The demo “warp_drive” is not available on this site." in html
    assert 'data-demo="fixture_chart"' in html


def test_assets_and_config_are_emitted_once_per_page():
    html = render(["fixture_chart"])
    assert html.count("js/sandbox.js") == 1
    assert html.count("css/sandbox.css") == 1
    assert html.count('id="sandbox-config"') == 1
    assert 'data-api-url="/runs/api/runs/"' in html


def test_a_question_without_demos_still_gets_the_script_for_runnable_code():
    html = render([])
    assert "js/sandbox.js" in html and "demo-panel" not in html


def test_sandbox_assets_serves_pages_with_runnable_code_but_no_demos():
    template = Template("{% load sandbox_tags %}{% sandbox_assets %}{% demo_panels question %}{% sandbox_assets %}")
    html = template.render(
        Context({"question": SimpleNamespace(demos=["fixture_chart"]), "request": RequestFactory().get("/")})
    )
    assert html.count("js/sandbox.js") == 1 and 'data-demo="fixture_chart"' in html


def test_the_measured_line_gives_relative_time_utc_timestamp_and_parameters():
    finished = datetime(2026, 3, 4, 5, 6, tzinfo=UTC)
    succeeded(finished_at=finished, params={"max_len": 1024, "mask": "causal"})
    html = render(["fixture_chart"])
    # In UTC from the server, in the site's one format; site.js rewrites it in the reader's time zone.
    assert '(<time datetime="2026-03-04T05:06:00Z" data-local-time>2026-03-04 05:06 UTC</time>)' in html
    assert "ago</time>" in html and "max_len=1024, mask=causal" in html


def test_a_result_from_seconds_ago_reads_just_now_not_zero_minutes():
    succeeded()
    html = render(["fixture_chart"])
    assert ">just now</time>" in html and "0\xa0minutes" not in html


def test_field_help_states_the_allowed_range_once():
    html = render(["fixture_chart"])
    assert "range 16–8192" in html
    assert ") (" not in html  # no "(help) (range)" double brackets


def test_parameters_read_in_the_demos_declared_order_whatever_order_the_database_keeps():
    # PostgreSQL's jsonb returns keys sorted by length ("label" before "max_len"); the page must not follow it.
    succeeded(params={"label": "full", "max_len": 64})
    html = render(["fixture_chart"])
    assert "max_len=64, label=full" in html


def test_each_parameter_is_described_by_its_help_and_its_error_message():
    html = render(["fixture_chart"])
    assert 'max="8192" aria-describedby="demo-fixture_chart-max_len-help demo-fixture_chart-max_len-error">' in html
    help_text = "Longest sequence · range 16–8192"
    assert f'<small class="demo-help" id="demo-fixture_chart-max_len-help">{help_text}</small>' in html
    assert 'id="demo-fixture_chart-max_len-error" role="alert" hidden' in html
