"""HEAD is answered wherever GET is (RFC 9110: the same headers, no body), and refused where GET is."""
from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

READ_URLS = ["/", "/topics/kv-cache/", "/q/kv-basics/", "/tags/memory/", "/search/?q=cache", "/healthz",
             "/api/topics/", "/api/questions/", "/api/questions/kv-basics/", "/quiz/", "/runs/",
             "/accounts/login/"]


@pytest.fixture(autouse=True)
def question(make_question):
    return make_question("kv-basics", tags=("memory",))


@pytest.mark.parametrize("path", READ_URLS)
@pytest.mark.parametrize("cached", [True, False], ids=["page-cache-on", "page-cache-off"])
def test_head_gets_the_get_status_and_length_without_a_body(path, cached, settings):
    settings.PAGE_CACHE_SECONDS = 600 if cached else 0
    got = Client().get(path)
    head = Client().head(path)
    assert head.status_code == got.status_code == 200
    assert head.content == b""
    assert int(head["Content-Length"]) == len(got.content)
    assert head["Content-Type"] == got["Content-Type"]


def test_head_is_refused_where_get_is():
    # Logging out is POST-only: a HEAD must not log anybody out, nor be treated as allowed.
    assert Client().get("/accounts/logout/").status_code == 405
    assert Client().head("/accounts/logout/").status_code == 405


def test_head_of_a_static_file_is_answered(client):
    response = client.head("/static/favicon.svg")
    assert response.status_code == 200 and int(response["Content-Length"]) > 0
