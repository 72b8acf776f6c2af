"""Every JSON API reads its body through one parser: hostile bodies are a 400 naming the body, never a 500."""
from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from prep_site.web.json_body import nesting_depth

# The endpoints that take a JSON body. Quiz answers need an attempt id; the parser runs before it is looked up.
ENDPOINTS = [
    "/runs/api/runs/",
    "/quiz/api/attempts/",
    "/quiz/api/attempts/00000000-0000-0000-0000-000000000000/answers/",
]


@pytest.fixture(autouse=True)
def local_cache(settings: Any) -> None:
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}


@pytest.mark.django_db
@pytest.mark.parametrize("url", ENDPOINTS)
def test_deeply_nested_json_is_a_400_naming_the_body(url: str) -> None:
    response = Client().post(url, data="[" * 100_000, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["field"] == "body"
    assert "levels deep" in response.json()["error"]["message"]


@pytest.mark.django_db
@pytest.mark.parametrize("url", ENDPOINTS)
def test_an_oversize_body_is_a_400_naming_the_body(url: str, settings: Any) -> None:
    settings.WEB_JSON_MAX_BYTES = 1000
    response = Client().post(url, data='{"code": "' + "x" * 2000 + '"}', content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"] == {"field": "body", "message": "The request body must be at most 1000 bytes."}


@pytest.mark.django_db
@pytest.mark.parametrize("url", ENDPOINTS)
def test_a_body_that_is_not_an_object_is_refused(url: str) -> None:
    for body in ("[1, 2]", "{oops", '"text"'):
        response = Client().post(url, data=body, content_type="application/json")
        assert response.status_code == 400
        assert response.json()["error"] == {"field": "body", "message": "The request body must be a JSON object."}


def test_brackets_inside_strings_do_not_count() -> None:
    assert nesting_depth(b'{"code": "[[[[[[[[[[ \\" [[[["}') == 1
    assert nesting_depth(b'{"a": [{"b": [1]}]}') == 4
    assert nesting_depth(b"[" * 50) == 50


def test_the_depth_limit_allows_ordinary_nesting(settings: Any) -> None:
    from django.test import RequestFactory

    from prep_site.web.json_body import read_json_object

    settings.WEB_JSON_MAX_DEPTH = 3
    ok = RequestFactory().post("/", data='{"a": {"b": [1]}}', content_type="application/json")
    assert read_json_object(ok) == {"a": {"b": [1]}}
    deep = RequestFactory().post("/", data='{"a": {"b": [[1]]}}', content_type="application/json")
    with pytest.raises(Exception, match="more than 3 levels"):
        read_json_object(deep)
