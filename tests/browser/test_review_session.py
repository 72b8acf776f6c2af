"""A review session in real Chromium: Space reveals, the buttons print the scheduler's intervals, 1-4 grade,
a card graded Again comes back in the same session, a double click counts once, and the summary adds up.

The server's clock is moved (``questions.quizzes.clock``) instead of waiting out minutes and days.
"""
from __future__ import annotations

import os
import re
from datetime import timedelta
from pathlib import Path

import fsrs
import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from questions.models import Choice, Question, QuizItem, Topic
from questions.quizzes import clock, review
from questions.quizzes.models import ReviewCard, ReviewLog
from questions.quizzes.ownership import Owner

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SCREENSHOTS = os.environ.get("REVIEW_SCREENSHOTS", "")  # a folder: save the pages for a look by eye


class MovableClock:
    def __init__(self) -> None:
        self.offset = timedelta()

    def __call__(self):
        return timezone.now() + self.offset


@pytest.fixture
def server_clock(monkeypatch: pytest.MonkeyPatch) -> MovableClock:
    moved = MovableClock()
    monkeypatch.setattr(clock, "now", moved)  # the live server runs in this process: it reads the same clock
    return moved


@pytest.fixture
def two_due_cards(server_clock: MovableClock) -> tuple[ReviewCard, ReviewCard]:
    """Carol's cards: a question and a quiz item, each rated Good two days ago, so both are due now."""
    user = get_user_model().objects.create_user("carol", "carol@example.com", "c-long-passphrase-3")
    topic = Topic.objects.create(slug="kv-cache", title="KV caching")
    question = Question.objects.create(slug="why-cache", topic=topic, title="Why cache keys and values?",
                                       answer_md="Each new token attends to every earlier one.",
                                       key_points=["Past keys and values never change"])
    other = Question.objects.create(slug="what-is-stored", topic=topic, title="What does the cache store?", order=1)
    item = QuizItem.objects.create(question=other, key="k", kind="single", prompt="What does the cache store?")
    Choice.objects.create(item=item, text="Keys and values", is_correct=True)
    Choice.objects.create(item=item, text="Attention outputs")
    owner = Owner(user_id=user.pk, anon_key="")
    first = review.record_review(owner, question, fsrs.Rating.Good, ReviewLog.Source.SELF)
    second = review.record_review(owner, item, fsrs.Rating.Good, ReviewLog.Source.SELF,
                                  clock.now() + timedelta(seconds=1))
    server_clock.offset = timedelta(days=2, minutes=1)
    return first, second


def _log_in(page) -> None:
    page.goto("/accounts/login/")
    page.fill("input[name=username]", "carol")
    page.fill("input[name=password]", "c-long-passphrase-3")
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()


def _shot(page, name: str) -> None:
    if SCREENSHOTS:
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SCREENSHOTS) / f"{name}.png"), full_page=True)


def _session_grades(card: ReviewCard) -> int:
    return ReviewLog.objects.filter(card=card, source=ReviewLog.Source.REVIEW).count()


def test_review_session(browser_page, two_due_cards, server_clock) -> None:
    page = browser_page
    first, second = two_due_cards
    _log_in(page)
    page.goto("/quiz/review/")
    answer = page.locator("#card-answer")
    assert page.locator("#card-prompt").inner_text().strip() == "Why cache keys and values?"
    assert answer.is_hidden() and page.locator("[data-grade-form]").is_hidden()
    assert page.evaluate("document.activeElement.id") == "card-heading"
    _shot(page, "prompt-desktop")

    page.keyboard.press("Space")
    assert answer.is_visible() and "Past keys and values never change" in answer.inner_text()
    assert answer.get_attribute("aria-live") == "polite"
    assert page.evaluate("document.activeElement.id") == "answer-heading"  # a screen reader reads on from here
    # The interval on each button is the scheduler's, computed here from the stored card.
    first.refresh_from_db()
    expected = [choice.interval for choice in review.preview(first, ReviewLog.Source.REVIEW, clock.now())]
    shown = page.locator("[data-interval]").all_inner_texts()
    assert shown == expected and shown[0] == "10 min"
    _shot(page, "revealed-desktop")

    page.keyboard.press("1")  # Again
    page.wait_for_url(f"**/quiz/review/?after={first.pk}")
    first.refresh_from_db()
    assert first.lapses == 1 and first.due - clock.now() <= timedelta(minutes=10)
    # The other card now; the failed one waits its turn.
    assert "What does the cache store?" in page.locator("#card-prompt").inner_text()
    assert "Attention outputs" in page.locator("#card-prompt").inner_text()
    page.get_by_role("link", name=re.compile("Reveal the answer")).click()
    assert "Keys and values" in page.locator("#card-answer").inner_text()
    page.get_by_role("button", name=re.compile(r"^Good")).dblclick()  # an impatient double click
    page.wait_for_url(f"**/quiz/review/?after={second.pk}")
    assert _session_grades(second) == 1

    # Ten minutes later the failed card is back, in the same session.
    server_clock.offset += timedelta(minutes=10)
    page.goto("/quiz/review/")
    assert page.locator("#card-prompt").inner_text().strip() == "Why cache keys and values?"
    page.keyboard.press("Space")
    page.keyboard.press("3")  # Good
    page.wait_for_selector("#summary-heading")
    assert page.locator("#summary-cards").inner_text() == "2"
    assert page.locator("#summary-retention").inner_text() == "67%"  # again, good, good
    assert page.evaluate("document.activeElement.id") == "summary-heading"
    assert _session_grades(first) == 2
    _shot(page, "summary-desktop")


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_card_fits_a_phone(browser_page, two_due_cards, scheme: str) -> None:
    page = browser_page
    _log_in(page)
    page.set_viewport_size({"width": 390, "height": 844})
    page.emulate_media(color_scheme=scheme)
    page.goto("/quiz/review/")
    page.get_by_role("link", name=re.compile("Reveal the answer")).click()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    for box in (page.locator(".grade-button").nth(i).bounding_box() for i in range(4)):
        assert box["width"] >= 24 and box["height"] >= 24 and box["x"] + box["width"] <= 390
    _shot(page, f"revealed-phone-{scheme}")
    for url in ("/", "/topics/", "/topics/kv-cache/", "/quiz/history/"):
        page.goto(url)
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, url
        _shot(page, f"{url.strip('/').replace('/', '-') or 'home'}-phone-{scheme}")
