"""Staff see runs in the admin, filtered by state and kind, and cannot edit them."""

from __future__ import annotations

import pytest
from run_factories import make_run, succeeded

pytestmark = pytest.mark.django_db


def test_the_list_filters_by_state(staff_client):
    succeeded("fixture_chart")
    make_run("fixture_slow", "failed", params={"seconds": 1.0, "tag": "boom"}, error="it broke")
    html = staff_client.get("/admin/sandbox/run/?state__exact=failed").content.decode()
    results = html.split('id="result_list"', 1)[1].split("</table>", 1)[0]  # not the filter sidebar
    assert "fixture_slow" in results and "fixture_chart" not in results


def test_a_run_is_shown_read_only(staff_client):
    run = succeeded("fixture_chart")
    response = staff_client.get(f"/admin/sandbox/run/{run.pk}/change/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "fixture_chart result" in html and 'name="state"' not in html
    assert staff_client.get("/admin/sandbox/run/add/").status_code == 403
