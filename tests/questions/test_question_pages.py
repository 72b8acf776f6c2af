"""The server-rendered pages: home, topic, question (self-test, neighbours, related), tag, search, healthz."""
from __future__ import annotations

import pytest
from django.urls import reverse

from questions.models import Question

pytestmark = pytest.mark.django_db


@pytest.fixture
def pages(make_question):
    make_question("first", title="Why cache K and V?", order=1, tags=("kv-cache", "decoding", "memory"), difficulty="easy",
                  answer_md="**Short answer.** Past keys never change: $K = XW_K$.",
                  key_points=["K and V are projections"], common_mistakes=["Caching queries"],
                  follow_ups=["How big is it?"], sources=["Vaswani et al. 2017"])
    make_question("second", title="How big is the cache?", order=2, tags=("kv-cache", "memory"))
    make_question("third", title="Prefill versus decode", order=3, tags=("decoding",))
    make_question("elsewhere", topic="quantization", title="Int8 weights", tags=("memory",))


def test_home_lists_topics_with_counts_and_links(client, pages):
    html = client.get(reverse("questions:home")).content.decode()
    assert "Kv Cache" in html and "3 questions" in html and "1 question<" in html
    assert 'href="/quiz/"' in html and 'action="/search/"' in html


def test_base_template_has_navigation_accounts_and_skip_link(client, pages):
    html = client.get(reverse("questions:home")).content.decode()
    for href in ('href="/quiz/"', 'href="/quiz/review/"', 'href="/runs/"', 'href="/accounts/signup/"', "/accounts/login/"):
        assert href in html
    assert 'class="skip-link" href="#main"' in html and 'id="main"' in html


def test_signed_in_users_get_a_logout_form(client, pages, django_user_model):
    client.force_login(django_user_model.objects.create_user("alice", password="pw-123456789"))
    html = client.get(reverse("questions:home")).content.decode()
    assert '<form action="/accounts/logout/" method="post"' in html and "csrfmiddlewaretoken" in html
    assert "alice" in html


def test_topic_page_lists_questions_in_order_and_filters_by_difficulty(client, pages):
    url = reverse("questions:topic", args=["kv-cache"])
    html = client.get(url).content.decode()
    assert html.index("Why cache K and V?") < html.index("How big is the cache?") < html.index("Prefill versus decode")
    easy = client.get(url, {"difficulty": "easy"}).content.decode()
    assert "Why cache K and V?" in easy and "How big is the cache?" not in easy
    assert client.get(reverse("questions:topic", args=["missing"])).status_code == 404


def test_question_page_renders_everything(client, pages):
    response = client.get(reverse("questions:question", args=["first"]))
    html = response.content.decode()
    assert "<strong>Short answer.</strong>" in html and "<math" in html
    for text in ("Key points", "K and V are projections", "Common mistakes", "Caching queries",
                 "Follow-ups an interviewer may ask", "How big is it?", "Vaswani et al. 2017", "Easy", "#decoding"):
        assert text in html
    # the self-test controls: a real button tied to the answer panel
    assert 'data-reveal aria-controls="answer-panel"' in html and 'id="answer-panel"' in html
    assert response.context["neighbours"].next.slug == "second"
    assert response.context["neighbours"].previous is None


def test_self_rating_sits_inside_the_answer_panel_so_it_hides_with_the_answer(client, pages):
    html = client.get(reverse("questions:question", args=["first"])).content.decode()
    panel = html[html.index('id="answer-panel"'):]
    rating_form_end = panel.index("</form>", panel.index("How well did you know this?"))
    # This fixture's answer has no <div>, so the first </div> after the panel opens closes the panel.
    assert rating_form_end < panel.index("</div>")
    assert "css/quiz.css" in html  # the rating buttons' styles


def test_pages_link_a_favicon(client, pages):
    html = client.get(reverse("questions:home")).content.decode()
    assert 'rel="icon" href="/static/favicon.svg"' in html


def test_question_page_neighbours_and_related_by_shared_tags(client, pages):
    response = client.get(reverse("questions:question", args=["second"]))
    neighbours = response.context["neighbours"]
    assert (neighbours.previous.slug, neighbours.next.slug, neighbours.position, neighbours.total) == ("first", "third", 2, 3)
    related = [q.slug for q in response.context["related"]]
    assert related == ["first", "elsewhere"]  # first shares two tags (kv-cache, memory), elsewhere one


def test_retired_questions_404_and_leave_the_sequence(client, pages):
    Question.objects.filter(slug="second").update(status=Question.Status.RETIRED)
    assert client.get(reverse("questions:question", args=["second"])).status_code == 404
    response = client.get(reverse("questions:question", args=["first"]))
    assert response.context["neighbours"].next.slug == "third"


def test_tag_page_lists_questions_across_topics(client, pages):
    html = client.get(reverse("questions:tag", args=["memory"])).content.decode()
    assert "How big is the cache?" in html and "Int8 weights" in html and "Prefill" not in html


def test_search_page_highlights_and_escapes_the_query(client, pages):
    html = client.get(reverse("questions:search"), {"q": "keys"}).content.decode()
    assert "1 result for" in html and "<mark>keys</mark>" in html
    hostile = client.get(reverse("questions:search"), {"q": '<script>alert(1)</script>'}).content.decode()
    assert "<script>alert(1)</script>" not in hostile and "&lt;script&gt;" in hostile


def test_healthz_checks_the_database(client, db):
    response = client.get(reverse("questions:healthz"))
    assert response.status_code == 200 and response.json() == {"status": "ok", "database": "ok"}


def test_healthz_reports_a_broken_database(client, db, monkeypatch):
    from django.db import DatabaseError, connection

    def broken_cursor(*args, **kwargs):
        raise DatabaseError("connection refused")

    monkeypatch.setattr(connection, "cursor", broken_cursor)
    response = client.get(reverse("questions:healthz"))
    assert response.status_code == 503 and response.json()["status"] == "error"


def test_question_page_shows_demo_panels_for_its_demos(client, make_question):
    from engine.demos import all_demos

    demo = all_demos()[0]
    make_question("with-demo", demos=[demo.name])
    html = client.get(reverse("questions:question", args=["with-demo"])).content.decode()
    assert "<h2>Measured on our engine</h2>" in html and demo.title in html
    make_question("without-demo")
    assert "Measured on our engine" not in client.get(reverse("questions:question", args=["without-demo"])).content.decode()


def test_a_full_page_of_search_hits_does_not_claim_to_be_the_total(client, pages, monkeypatch):
    monkeypatch.setattr("questions.views.SEARCH_LIMIT", 2)
    html = client.get(reverse("questions:search"), {"q": "cache"}).content.decode()
    assert "The first 2 results for “cache”, best first" in html


def test_search_without_a_query_suggests_what_to_type_and_no_match_offers_topics(client, pages):
    assert "for example “paged attention”" in client.get(reverse("questions:search")).content.decode()
    html = client.get(reverse("questions:search"), {"q": "zzzxq"}).content.decode()
    assert "0 results for “zzzxq”" in html and "browse the topics" in html


@pytest.mark.parametrize(
    ("query", "says"),
    [
        ("?!- ** ... ;", "There are no letters or digits to search for"),
        ("what is it", "Those words are too common to search for"),
        ("kv cache " + "x" * 2000, "for “kv cache xxxx"),
        ("paged " * 400, "Only the first 12 words were searched"),
    ],
)
def test_search_bad_input_gets_a_page_that_says_what_to_do(client, pages, query, says):
    response = client.get(reverse("questions:search"), {"q": query})
    assert response.status_code == 200
    html = response.content.decode()
    assert says in html
    assert ("x" * 300) not in html  # a 2,000-character query is not echoed whole
