"""Anonymous pages are rendered once and then served from the cache, to every visitor without a
session, each with a CSRF token of their own; any change to what they show drops them all."""
from __future__ import annotations

import re

import pytest
from celery.signals import task_postrun
from django.middleware.csrf import _does_token_match
from django.test import Client

from prep_site import page_cache

pytestmark = pytest.mark.django_db
# Where pages carry CSRF tokens: the sandbox script's config and hidden form fields.
TOKEN = re.compile(r'(?:data-csrf-token|value)="([A-Za-z0-9]{64})"')


@pytest.fixture(autouse=True)
def cache_on(settings):
    settings.PAGE_CACHE_SECONDS = 600


@pytest.fixture
def question(make_question):
    return make_question("kv-basics", title="What does the KV cache store?", tags=("memory",))


def get(path: str, client: Client | None = None, **headers: str):
    return (client or Client()).get(path, **headers)


def test_the_second_anonymous_visitor_is_served_without_rendering(question, django_assert_max_num_queries):
    first = get("/q/kv-basics/")
    assert first.status_code == 200 and first["X-Page-Cache"] == "miss"
    with django_assert_max_num_queries(2):  # the generation and the page, nothing of the view
        second = get("/q/kv-basics/")
    assert second.status_code == 200 and second["X-Page-Cache"] == "hit"
    assert TOKEN.sub("", second.content.decode()) == TOKEN.sub("", first.content.decode())
    assert "What does the KV cache store?" in second.content.decode()


@pytest.mark.parametrize(
    "path", ["/", "/topics/", "/topics/kv-cache/", "/tags/memory/", "/search/?q=cache", "/api/topics/", "/api/topics/kv-cache/",
             "/api/questions/", "/api/questions/?q=cache", "/api/questions/kv-basics/"],
)
def test_every_shared_read_page_is_cached(question, path):
    assert get(path)["X-Page-Cache"] == "miss"
    assert get(path)["X-Page-Cache"] == "hit"


def test_each_visitor_gets_a_csrf_token_that_works_with_their_own_cookie(question):
    get("/q/kv-basics/")  # someone else filled the cache
    visitor = Client(enforce_csrf_checks=True)
    page = visitor.get("/q/kv-basics/")
    assert page["X-Page-Cache"] == "hit"
    tokens = TOKEN.findall(page.content.decode())
    secret = visitor.cookies["csrftoken"].value
    assert tokens and all(_does_token_match(token, secret) for token in tokens)
    token = tokens[0]
    # The token is accepted by a CSRF-protected form: a wrong password is a form error, not a 403.
    response = visitor.post("/accounts/login/", {"username": "nobody", "password": "wrong", "csrfmiddlewaretoken": token})
    assert response.status_code == 200


def test_saving_a_question_drops_the_cached_pages(question):
    assert get("/q/kv-basics/")["X-Page-Cache"] == "miss"
    question.title = "What does the KV cache hold?"
    question.save()
    fresh = get("/q/kv-basics/")
    assert fresh["X-Page-Cache"] == "miss" and "What does the KV cache hold?" in fresh.content.decode()
    question.delete()
    assert get("/q/kv-basics/").status_code == 404


def test_loading_the_bank_drops_the_cached_pages(bank):
    from questions.bank_loader import load_bank

    bank.write("kv-basics", title="Old title?")
    load_bank(bank.root)
    assert "Old title?" in get("/q/kv-basics/").content.decode()
    bank.write("kv-basics", title="New title?")
    load_bank(bank.root)
    assert "New title?" in get("/q/kv-basics/").content.decode()
    assert "New title?" in get("/api/questions/").content.decode()


def test_a_finished_demo_run_drops_the_cached_pages():
    from sandbox.models import Run
    from sandbox.tasks import run_code_task, run_demo_task

    before = page_cache.generation()
    Run.objects.create(kind=Run.Kind.DEMO, demo="fixture_chart", state=Run.State.RUNNING)
    assert page_cache.generation() == before  # progress does not churn the cache
    Run.objects.create(kind=Run.Kind.DEMO, demo="fixture_chart", state=Run.State.SUCCEEDED)
    after_save = page_cache.generation()
    assert after_save != before
    # Run.finish writes with an UPDATE (no post_save): the end of the demo task is the signal.
    task_postrun.send(sender=run_code_task)
    assert page_cache.generation() == after_save
    task_postrun.send(sender=run_demo_task)
    assert page_cache.generation() != after_save


def test_signed_in_visitors_always_get_a_fresh_page(question, django_user_model):
    get("/q/kv-basics/")
    member = Client()
    member.force_login(django_user_model.objects.create_user("alice", password="pw-long-enough-1"))
    response = member.get("/q/kv-basics/")
    assert "X-Page-Cache" not in response and "alice" in response.content.decode()
    # ...and their page is never stored for anonymous visitors.
    assert "alice" not in get("/q/kv-basics/").content.decode()


def test_pages_about_the_visitor_are_not_cached():
    assert "X-Page-Cache" not in get("/quiz/")
    assert "X-Page-Cache" not in get("/runs/")


def test_api_urls_are_cached_per_host(question):
    assert b"http://localhost/q/kv-basics/" in get("/api/questions/", HTTP_HOST="localhost").content
    other = get("/api/questions/", HTTP_HOST="127.0.0.1")
    assert other["X-Page-Cache"] == "miss" and b"http://127.0.0.1/q/kv-basics/" in other.content


def test_page_cache_seconds_zero_turns_it_off(question, settings):
    settings.PAGE_CACHE_SECONDS = 0
    get("/q/kv-basics/")
    assert "X-Page-Cache" not in get("/q/kv-basics/")


def test_a_missing_page_is_not_stored(db):
    assert "X-Page-Cache" not in get("/q/missing/") and get("/q/missing/").status_code == 404
