"""404 and 500 pages: friendly, on-brand, and the 500 page renders with no context at all."""
from __future__ import annotations

import pytest
from django.template.loader import get_template

pytestmark = pytest.mark.django_db


def test_an_unknown_url_gets_the_site_404_with_search_and_a_way_home(client):
    response = client.get("/no-such-page/")
    html = response.content.decode()
    assert response.status_code == 404
    assert "<title>Page not found · Inference Prep</title>" in html
    assert "<code>/no-such-page/</code>" in html
    assert 'action="/search/"' in html and 'href="/"' in html


def test_a_missing_question_gets_the_same_404(client):
    response = client.get("/q/not-a-question/")
    assert response.status_code == 404 and "This page does not exist" in response.content.decode()


def test_the_500_page_needs_no_request_user_or_database(django_assert_num_queries):
    # Django's server_error renders 500.html with an empty context; whatever broke must not break it too.
    with django_assert_num_queries(0):
        html = get_template("500.html").render({})
    assert "Something went wrong on our side" in html and 'href="/"' in html and "css/site.css" in html


def test_a_crashing_view_shows_the_500_page(client, settings):
    settings.ROOT_URLCONF = "crashing_urls"  # tests/questions/crashing_urls.py
    client.raise_request_exception = False
    response = client.get("/boom/")
    assert response.status_code == 500 and "Something went wrong on our side" in response.content.decode()



def test_favicon_ico_points_at_the_svg_icon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301 and response["Location"] == "/static/favicon.svg"
