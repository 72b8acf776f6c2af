"""Quiz pages: presets with one-click start, taking (no JavaScript), results, retry, history, review."""
from __future__ import annotations

from typing import Any

import pytest
from django.template import Context, Template
from django.test import Client, RequestFactory

from questions.quizzes import review, services
from questions.quizzes.models import Attempt, ReviewCard
from prep_site.web.visitor import VISITOR_KEY
from questions.quizzes.ownership import Owner


def start(client: Client, key: str) -> Attempt:
    response = client.post(f"/quiz/start/{key}/")
    assert response.status_code == 302
    return Attempt.objects.get(pk=response.url.split("/")[-2])


def test_index_lists_presets_with_one_click_start(client: Client, quiz_bank: Any) -> None:
    page = client.get("/quiz/").content.decode()
    assert 'action="/quiz/start/mock-interview/"' in page
    assert 'action="/quiz/start/topic-kv-cache/"' in page
    assert 'action="/quiz/start/drills/"' in page
    assert "5 open questions / 30 minutes" in page or "open questions / 30 minutes" in page


def test_preset_buttons_read_start_quiz_and_name_the_preset_for_screen_readers(client: Client, quiz_bank: Any) -> None:
    page = client.get("/quiz/").content.decode()
    assert 'aria-label="Start quiz: KV caching">Start quiz</button>' in page


def test_custom_quiz_fields_state_their_allowed_ranges(client: Client, quiz_bank: Any) -> None:
    page = client.get("/quiz/").content.decode()
    assert "Questions (0–50)" in page and "Time limit, minutes (1–180)" in page


def test_home_to_a_running_quiz_in_two_clicks(client: Client, quiz_bank: Any) -> None:
    home = client.get("/").content.decode()
    assert 'href="/quiz/"' in home  # click 1: "Start a quiz"
    attempt = start(client, "topic-kv-cache")  # click 2: the preset's button
    page = client.get(f"/quiz/a/{attempt.pk}/").content.decode()
    assert 'id="quiz-remaining" data-remaining="900"' in page
    assert "static/js/quiz.js" in page


def test_topic_link_highlights_its_preset(client: Client, quiz_bank: Any) -> None:
    page = client.get("/quiz/?topic=decoding").content.decode()
    assert 'preset-card preset-highlight" data-preset="topic-decoding"' in page


def test_custom_quiz_errors_are_shown(client: Client, quiz_bank: Any) -> None:
    response = client.post("/quiz/start/", {"count": "0", "drills": "0", "time_limit_minutes": "5"}, follow=True)
    assert "Count: ask for at least one question or one drill" in response.content.decode()
    response = client.post("/quiz/start/", {"count": "2", "time_limit_minutes": "5", "topics": ["kv-cache"]})
    assert response.status_code == 302 and "/quiz/a/" in response.url


def test_take_submit_results_without_javascript(client: Client, quiz_bank: Any) -> None:
    response = client.post("/quiz/start/", {"count": "4", "time_limit_minutes": "10"})
    attempt = Attempt.objects.get(pk=response.url.split("/")[-2])
    form = {}
    for slot in attempt.slots.all():
        if slot.kind == "single":
            form[f"slot-{slot.position}"] = quiz_bank.token(attempt, quiz_bank.correct_ids(quiz_bank.single)[0])
        elif slot.kind == "multiple":
            form[f"slot-{slot.position}"] = quiz_bank.token(attempt, quiz_bank.correct_ids(quiz_bank.multiple))
        elif slot.kind == "numeric":
            form[f"slot-{slot.position}"] = "banana"
        else:
            form[f"slot-{slot.position}"] = "Greedy picks the argmax; sampling draws."
    response = client.post(f"/quiz/a/{attempt.pk}/submit/", form, follow=True)
    page = response.content.decode()
    assert "must be a number" in page  # the bad field is reported, the rest graded
    assert 'id="quiz-score">2 / 5' in page
    assert "Greedy takes the argmax" in page  # key points shown for self-grading
    assert 'href="/q/kv-single/"' in page
    # Self-grade the open answer from the results page.
    free = attempt.slots.get(kind="free").position
    client.post(f"/quiz/a/{attempt.pk}/self-grade/", {"slot": free, "score": "2"})
    assert Attempt.objects.get(pk=attempt.pk).score == 4
    # A finished attempt's page redirects to its results.
    assert client.get(f"/quiz/a/{attempt.pk}/").url == f"/quiz/a/{attempt.pk}/results/"


def test_retry_my_mistakes_button(client: Client, quiz_bank: Any) -> None:
    attempt = start(client, "topic-kv-cache")
    client.post(f"/quiz/a/{attempt.pk}/submit/", {})
    response = client.post(f"/quiz/a/{attempt.pk}/retry/")
    retry = Attempt.objects.exclude(pk=attempt.pk).get()
    assert response.url == f"/quiz/a/{retry.pk}/"
    assert retry.slots.count() == 2


def test_someone_elses_pages_are_404(client: Client, quiz_bank: Any, alice: Any) -> None:
    attempt = start(client, "drills")
    other = Client()
    other.force_login(alice)
    for url in (f"/quiz/a/{attempt.pk}/", f"/quiz/a/{attempt.pk}/results/"):
        assert other.get(url).status_code == 404
    assert other.post(f"/quiz/a/{attempt.pk}/submit/").status_code == 404
    assert not Attempt.objects.get(pk=attempt.pk).is_finished


def test_history_shows_attempts_and_a_mastery_chart(client: Client, quiz_bank: Any) -> None:
    attempt = start(client, "topic-kv-cache")
    single = attempt.slots.get(kind="single")
    right = quiz_bank.token(attempt, quiz_bank.correct_ids(quiz_bank.single)[0])
    client.post(f"/quiz/a/{attempt.pk}/submit/", {f"slot-{single.position}": right})
    page = client.get("/quiz/history/").content.decode()
    assert "KV caching" in page
    assert "<polyline" in page and "50%" in page
    assert f"/quiz/a/{attempt.pk}/results/" in page


def test_review_queue_and_rating(client: Client, quiz_bank: Any, frozen_clock: Any) -> None:
    question = quiz_bank.single.question
    form = {"rating": "hard", "token": review.token_for(None, question)}
    response = client.post(f"/quiz/rate/{question.pk}/", form)
    # Nothing due yet and no question after it in its topic: back to the topic, not the top of the same page.
    assert response.url == "/topics/kv-cache/"
    card = ReviewCard.objects.get()
    assert card.anon_key and card.user is None
    waiting = client.get("/quiz/review/").content.decode()
    assert "Nothing is due right now. 1 card is scheduled" in waiting
    assert f"comes back on <time datetime=\"{card.due.isoformat()}\">" in waiting and question.title in waiting
    frozen_clock.advance(days=1)
    page = client.get("/quiz/review/").content.decode()
    assert 'id="card-prompt"' in page and question.title in page


def test_rating_rejects_bad_values_and_damaged_tokens(client: Client, quiz_bank: Any) -> None:
    question = quiz_bank.single.question
    response = client.post(f"/quiz/rate/{question.pk}/", {"rating": "meh", "next": "https://evil.example/"},
                           follow=True)
    assert "Rating must be one of again, hard, good, easy" in response.content.decode()
    assert response.redirect_chain[-1][0] == "/q/kv-single/#self-rating"
    response = client.post(f"/quiz/rate/{question.pk}/", {"rating": "good", "token": "0.forged"}, follow=True)
    assert "without a valid review token" in response.content.decode()
    assert not ReviewCard.objects.exists()


def test_template_tags(client: Client, quiz_bank: Any, frozen_clock: Any) -> None:
    question = quiz_bank.single.question
    client.post(f"/quiz/rate/{question.pk}/", {"rating": "again", "token": review.token_for(None, question)})
    request = RequestFactory().get("/q/kv-single/")
    request.user = type("Anon", (), {"is_authenticated": False})()
    request.session = {VISITOR_KEY: ReviewCard.objects.get().anon_key}
    frozen_clock.advance(days=1)
    html = Template("{% load quiz_tags %}{% self_rating question %}|{% review_due_count %}").render(
        Context({"request": request, "question": question, "csrf_token": "tok"})
    )
    form, due = html.rsplit("|", 1)
    assert f'action="/quiz/rate/{question.pk}/"' in form and "How well did you know this?" in form
    assert 'value="tok"' in form and f'value="{review.token_for(ReviewCard.objects.get())}"' in form
    assert due == "1"


def test_due_count_is_zero_for_a_new_visitor(quiz_bank: Any) -> None:
    request = RequestFactory().get("/")
    request.user = type("Anon", (), {"is_authenticated": False})()
    request.session = {}
    assert Template("{% load quiz_tags %}{% review_due_count %}").render(Context({"request": request})) == "0"
    assert request.session == {}  # reading the count does not mint a visitor token


@pytest.mark.parametrize("url", ["/quiz/", "/quiz/history/", "/quiz/review/"])
def test_pages_render_for_a_new_visitor(client: Client, quiz_bank: Any, url: str) -> None:
    assert client.get(url).status_code == 200


def test_expired_attempt_page_goes_to_results(client: Client, quiz_bank: Any, frozen_clock: Any) -> None:
    attempt = start(client, "topic-kv-cache")
    frozen_clock.advance(minutes=16)
    assert client.get(f"/quiz/a/{attempt.pk}/").url == f"/quiz/a/{attempt.pk}/results/"
    page = client.get(f"/quiz/a/{attempt.pk}/results/").content.decode()
    assert "abandoned — closed at its deadline" in page
    assert services.get_attempt(Owner(None, attempt.anon_key), attempt.pk).finish_reason == "abandoned"


@pytest.mark.parametrize("seconds, text", [(0, "0 s"), (59, "59 s"), (60, "1 min 00 s"), (185, "3 min 05 s"),
                                           (3720, "1 h 02 min")])
def test_durations_read_at_a_glance(seconds: int, text: str) -> None:
    from questions.quizzes.presenters import duration_text

    assert duration_text(seconds) == text


def test_a_quiz_still_running_says_when_it_started_in_plain_words(client: Client, quiz_bank: Any) -> None:
    from datetime import timedelta

    from django.utils import timezone

    attempt = start(client, "topic-kv-cache")
    page = client.get("/quiz/").content.decode()
    assert ">just now</time>" in page and "0\xa0minutes" not in page
    Attempt.objects.filter(pk=attempt.pk).update(started_at=timezone.now() - timedelta(minutes=3, seconds=20))
    assert ">3\xa0minutes ago</time>" in client.get("/quiz/").content.decode()
