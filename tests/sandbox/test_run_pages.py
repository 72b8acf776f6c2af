"""/runs/ lists recent runs; /runs/<id>/ is a permalink; code stays private to its owner."""

from __future__ import annotations

import pytest
from run_factories import make_run, succeeded

from sandbox.models import Run

pytestmark = pytest.mark.django_db


def test_the_list_shows_demo_runs_with_their_state(client):
    succeeded("fixture_chart")
    make_run("fixture_slow", Run.State.RUNNING, params={"seconds": 1.0, "tag": ""}, progress=40)
    html = client.get("/runs/").content.decode()
    assert "fixture_chart" in html and "Succeeded" in html
    assert "fixture_slow" in html and "Running" in html and "40%" in html


def test_the_list_filters_by_state(client):
    succeeded("fixture_chart")
    make_run("fixture_slow", Run.State.FAILED, params={"seconds": 1.0, "tag": ""})
    html = client.get("/runs/?state=failed").content.decode()
    assert "fixture_slow" in html and "fixture_chart" not in html


def test_a_run_queued_seconds_ago_reads_just_now(client):
    run = make_run("fixture_slow", Run.State.RUNNING, params={"seconds": 1.0, "tag": ""})
    for url in ("/runs/", run.get_absolute_url()):
        html = client.get(url).content.decode()
        assert ">just now</time>" in html and "0\xa0minutes" not in html


def test_runs_are_named_by_their_demo_title_with_the_demo_name_beside_it(client):
    run = succeeded("fixture_chart")
    listing = client.get("/runs/").content.decode()
    assert 'Cost of attention by sequence length <code class="demo-name">fixture_chart</code>' in listing
    page = client.get(run.get_absolute_url()).content.decode()
    assert "<h1>Cost of attention by sequence length</h1>" in page
    assert "<title>Cost of attention by sequence length · Inference Prep</title>" in page


def test_an_empty_filter_says_so_and_offers_every_run(client):
    succeeded("fixture_chart")
    html = client.get("/runs/?state=failed").content.decode()
    assert "No runs in this state." in html and 'href="/runs/"' in html


def test_the_table_scrolls_sideways_on_narrow_screens_instead_of_widening_the_page(client):
    html = client.get("/runs/").content.decode()
    assert '<div class="table-scroll">\n<table class="run-table">' in html


def test_the_permalink_shows_the_result(client):
    run = succeeded("fixture_chart", result={"title": "A permanent result", "notes": ["kept"]})
    html = client.get(run.get_absolute_url()).content.decode()
    assert "A permanent result" in html and "kept" in html


def test_other_visitors_do_not_see_my_code(client, post_run, no_broker):
    run_id = post_run({"code": "print('my secret approach')"}).json()["id"]
    assert "my secret approach" in client.get(f"/runs/{run_id}/").content.decode()
    assert "code" in client.get("/runs/").content.decode()
    client.cookies.clear()
    assert client.get(f"/runs/{run_id}/").status_code == 404
    assert f"/runs/{run_id}/" not in client.get("/runs/").content.decode()
