"""The review session: one card, Reveal, grades with the scheduler's intervals, relearning, refusals, repeats."""
from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import fsrs
import pytest
from django.test import Client

from questions.models import Topic
from questions.quizzes import cards, review, services
from questions.quizzes.models import ReviewCard, ReviewLog

from .conftest import ALL_FOUR, slot_for

RATING_ORDER = ("again", "hard", "good", "easy")


@pytest.fixture
def alice_client(client: Client, alice: Any) -> Client:
    client.force_login(alice)
    return client


def _due_card(owner: Any, question: Any, clock: Any) -> ReviewCard:
    """A card seen once (rated Good on the question page), then the clock moved to its due date."""
    card = review.record_review(owner, question, fsrs.Rating.Good, ReviewLog.Source.SELF)
    clock.current = card.due
    return card


def _intervals(html: str) -> list[str]:
    return re.findall(r'<span class="grade-interval" data-interval>([^<]+)</span>', html)


def _grade(client: Client, card: ReviewCard, rating: str, token: str | None = None, **extra: Any) -> Any:
    card.refresh_from_db()
    return client.post(f"/quiz/review/{card.pk}/grade/",
                       {"rating": rating, "token": token if token is not None else review.token_for(card)}, **extra)


def test_one_card_at_a_time_with_the_answer_hidden_until_reveal(alice_client: Client, quiz_bank: Any,
                                                               alice_owner: Any, frozen_clock: Any) -> None:
    _due_card(alice_owner, quiz_bank.single.question, frozen_clock)
    overdue = review.record_review(alice_owner, quiz_bank.numeric.question, fsrs.Rating.Good, ReviewLog.Source.SELF,
                                   frozen_clock.current - timedelta(days=2, hours=1))
    page = alice_client.get("/quiz/review/").content.decode()
    assert page.count('id="card-prompt"') == 1 and "2 cards due now, this one included." in page
    assert f'href="?reveal={overdue.pk}"' in page  # the most overdue first
    assert re.search(r'id="card-answer"[^>]*aria-live="polite" hidden', page)
    shown = alice_client.get(f"/quiz/review/?reveal={overdue.pk}").content.decode()  # the no-JavaScript reveal
    assert not re.search(r'id="card-answer"[^>]* hidden', shown) and "The model answer for decode-numeric." in shown


def test_the_buttons_print_the_schedulers_intervals(alice_client: Client, quiz_bank: Any, alice_owner: Any,
                                                   frozen_clock: Any) -> None:
    card = _due_card(alice_owner, quiz_bank.single.question, frozen_clock)
    # An independent scheduler with the steps the session promises: 1 and 10 minutes, relearning 10.
    expected_scheduler = fsrs.Scheduler(enable_fuzzing=False, learning_steps=(timedelta(minutes=1),
                                        timedelta(minutes=10)), relearning_steps=(timedelta(minutes=10),))
    expected = []
    for name in RATING_ORDER:
        after, _ = expected_scheduler.review_card(fsrs.Card.from_dict(card.fsrs_state), fsrs.Rating[name.title()],
                                                  review_datetime=frozen_clock.current)
        expected.append(review.format_interval(after.due - frozen_clock.current))
    page = alice_client.get("/quiz/review/").content.decode()
    assert _intervals(page) == expected
    assert expected[0] == "10 min"  # a known card forgotten relearns within the session
    card.refresh_from_db()
    assert card.reviews == 1 and card.logs.count() == 1  # previewing saved nothing


@pytest.mark.parametrize("minutes, text", [(0.2, "1 min"), (10, "10 min"), (180, "3 h"), (60 * 24, "1 day"),
                                           (60 * 24 * 9, "9 days"), (60 * 24 * 45, "1.5 months"),
                                           (60 * 24 * 400, "1.1 years")])
def test_intervals_read_at_a_glance(minutes: float, text: str) -> None:
    assert review.format_interval(timedelta(minutes=minutes)) == text


def test_a_failed_card_comes_back_in_the_same_session(alice_client: Client, quiz_bank: Any, alice_owner: Any,
                                                     frozen_clock: Any) -> None:
    card = _due_card(alice_owner, quiz_bank.single.question, frozen_clock)
    other = review.record_review(alice_owner, quiz_bank.numeric.question, fsrs.Rating.Good, ReviewLog.Source.SELF,
                                 card.due - timedelta(days=2))
    response = _grade(alice_client, card, "again")
    assert response.status_code == 303 and response.url == f"/quiz/review/?after={card.pk}"
    card.refresh_from_db()
    assert card.due == frozen_clock.current + timedelta(minutes=10) and card.lapses == 1
    # The other due card first, then (learning ahead, no waiting) the failed one again.
    assert f"/quiz/review/{other.pk}/grade/" in alice_client.get(response.url).content.decode()
    _grade(alice_client, other, "good")
    frozen_clock.advance(minutes=2)
    assert f"/quiz/review/{card.pk}/grade/" in alice_client.get("/quiz/review/").content.decode()
    _grade(alice_client, card, "good")
    card.refresh_from_db()
    assert card.due - frozen_clock.current >= timedelta(days=1)  # relearned: back to days
    summary = alice_client.get("/quiz/review/").content.decode()
    assert "Session done" in summary
    assert '<dd id="summary-cards">2</dd>' in summary
    assert '<dd id="summary-retention">67%</dd>' in summary  # again, good, good
    assert "Nothing is due right now. 2 cards are scheduled" in summary


def test_a_quiz_mistake_is_learnt_in_minute_steps(alice_client: Client, quiz_bank: Any, alice_owner: Any,
                                                  frozen_clock: Any) -> None:
    card = review.record_review(alice_owner, quiz_bank.numeric, fsrs.Rating.Again, ReviewLog.Source.QUIZ)
    assert card.due - frozen_clock.current == review.LEARNING_STEPS[0]
    # Straight to the review session: nothing else is due, and a card in a learning step is shown early.
    page = alice_client.get("/quiz/review/").content.decode()
    assert f"/quiz/review/{card.pk}/grade/" in page and "shown a few minutes early" in page
    assert _intervals(page)[:3] == ["1 min", "6 min", "10 min"]  # again, hard (between the steps), good
    _grade(alice_client, card, "good")
    card.refresh_from_db()
    assert card.due - frozen_clock.current == review.LEARNING_STEPS[1]
    frozen_clock.current = card.due
    _grade(alice_client, card, "good")
    card.refresh_from_db()
    assert card.due - frozen_clock.current >= timedelta(days=1)  # graduated


def test_a_grade_posted_twice_counts_once(alice_client: Client, quiz_bank: Any, alice_owner: Any,
                                          frozen_clock: Any) -> None:
    card = _due_card(alice_owner, quiz_bank.single.question, frozen_clock)
    token = review.token_for(card)
    first = _grade(alice_client, card, "good", token, HTTP_ACCEPT="application/json")
    second = _grade(alice_client, card, "easy", token, HTTP_ACCEPT="application/json")  # a retry, or a second click
    assert first.json()["counted"] is True and second.json()["counted"] is False
    assert second.json()["due"] == first.json()["due"]
    card.refresh_from_db()
    assert card.reviews == 2 and card.logs.count() == 2  # the Good on the question page, then one session grade
    assert card.logs.first().rating == fsrs.Rating.Good
    assert _grade(alice_client, card, "good", token).status_code == 303  # the form path: on to the next card


def test_the_same_first_rating_on_a_question_page_counts_once(client: Client, quiz_bank: Any) -> None:
    question = quiz_bank.numeric.question
    form = {"rating": "good", "token": review.token_for(None, question)}
    client.post(f"/quiz/rate/{question.pk}/", form)
    client.post(f"/quiz/rate/{question.pk}/", form)
    assert ReviewCard.objects.get().reviews == 1 and ReviewLog.objects.count() == 1


def test_a_rating_token_for_a_card_this_visitor_lacks_is_refused(client: Client, quiz_bank: Any) -> None:
    question = quiz_bank.numeric.question
    stale = review.grade_token("question", question.pk, 3)  # issued to someone who had rated it three times
    response = client.post(f"/quiz/rate/{question.pk}/", {"rating": "good", "token": stale}, follow=True)
    assert "This page is out of date for you" in response.content.decode()
    assert not ReviewCard.objects.exists()


@pytest.mark.parametrize("json", [False, True])
def test_refused_grades_change_nothing(client: Client, alice: Any, bob: Any, quiz_bank: Any, alice_owner: Any,
                                      frozen_clock: Any, json: bool) -> None:
    card = _due_card(alice_owner, quiz_bank.single.question, frozen_clock)
    before = (card.reviews, card.due, card.fsrs_state)
    extra = {"HTTP_ACCEPT": "application/json"} if json else {}

    def refused(response: Any, status: int, sentence: str) -> None:
        assert response.status_code == status
        body = response.json()["error"]["message"] if json else response.content.decode()
        assert sentence in body and "nothing was changed" in body.lower()

    client.force_login(bob)
    refused(_grade(client, card, "good", **extra), 403, "This card belongs to another learner")
    client.force_login(alice)
    refused(_grade(client, card, "great", **extra), 400, "The grade must be one of again, hard, good, easy")
    refused(_grade(client, card, "good", "1.0000000000000000", **extra), 400, "without a valid review token")
    frozen_clock.current = card.due - timedelta(days=1)
    refused(_grade(client, card, "good", **extra), 400, "This card is not due until")
    refused(client.post("/quiz/review/999999/grade/", {"rating": "good"}, **extra), 404, "There is no review card")
    card.refresh_from_db()
    assert (card.reviews, card.due, card.fsrs_state) == before and card.logs.count() == 1
    if json:
        assert set(_grade(client, card, "good", **extra).json()["error"]) == {"field", "message"}


def test_grading_on_a_question_page_goes_on(alice_client: Client, quiz_bank: Any, alice_owner: Any,
                                            frozen_clock: Any) -> None:
    first, second = quiz_bank.single.question, quiz_bank.multiple.question
    second.order = first.order + 1
    second.save()
    response = alice_client.post(f"/quiz/rate/{first.pk}/", {"rating": "good", "token": review.token_for(None, first)})
    assert response.url == second.get_absolute_url()  # nothing due: the next question of the topic
    _due_card(alice_owner, quiz_bank.numeric.question, frozen_clock)
    card = review.card_for(alice_owner, second)
    form = {"rating": "hard", "token": review.token_for(card, second)}
    response = alice_client.post(f"/quiz/rate/{second.pk}/", form)
    assert response.url == "/quiz/review/"  # something due: the review session
    page = alice_client.get(first.get_absolute_url()).content.decode()
    assert re.search(r"Good — I knew it</span> <span class=\"grade-interval\">\d+ days?</span>", page)


def test_a_quiz_puts_its_items_into_review(alice_client: Client, quiz_bank: Any, alice_owner: Any,
                                           frozen_clock: Any, rng: Any) -> None:
    attempt = services.start_attempt(alice_owner, ALL_FOUR, rng)
    services.save_answer(alice_owner, attempt.pk, slot_for(attempt, "single").position,
                         quiz_bank.token(attempt, quiz_bank.wrong_id(quiz_bank.single)))
    services.finish(alice_owner, attempt.pk)
    card = ReviewCard.objects.get(subject="item", object_id=quiz_bank.single.pk)
    assert card.question == quiz_bank.single.question
    frozen_clock.advance(days=1)
    page = alice_client.get("/quiz/review/?reveal=%d" % card.pk).content.decode()
    assert "Quiz item" in page and "Pick for kv-single" in page and "Attention output" in page
    answer = page[page.index('id="card-answer"'):]
    assert "Right answer" in answer and "K and V" in answer and "Attention output" not in answer


def test_a_numeric_item_card_answers_with_its_value(quiz_bank: Any, visitor: Any) -> None:
    card = review.record_review(visitor, quiz_bank.numeric, fsrs.Rating.Again, ReviewLog.Source.QUIZ)
    face = cards.faces([card])[card.pk]
    assert "How many bytes?" in face.prompt_html and "card-options" not in face.prompt_html
    assert "1,000 bytes" in face.answer_html and "1000 bytes." in face.answer_html


class TopicSubject(cards.Subject):
    """What another app adds to review something new (exercises): one subject, registered."""

    name, label = "topic", "Topic"

    def model(self) -> type:
        return Topic

    def question_id_of(self, obj: Any) -> None:
        return None

    def face(self, obj: Any) -> cards.Face:
        from django.utils.html import format_html

        return cards.Face(title=obj.title, prompt_html=format_html("<p>Explain {}</p>", obj.title),
                          answer_html=format_html("<p>{}</p>", obj.slug), url=obj.get_absolute_url(), label=self.label)


def test_a_new_subject_joins_with_one_registration(alice_client: Client, quiz_bank: Any, alice_owner: Any,
                                                   frozen_clock: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(TypeError, match="no review card subject is registered for Topic"):
        cards.subject_of(quiz_bank.kv)
    monkeypatch.setitem(cards.SUBJECTS, "topic", TopicSubject())
    card = review.record_review(alice_owner, quiz_bank.kv, fsrs.Rating.Again, ReviewLog.Source.EXERCISE)
    assert (card.subject, card.object_id, card.question) == ("topic", quiz_bank.kv.pk, None)
    frozen_clock.current = card.due
    page = alice_client.get("/quiz/review/").content.decode()
    assert "Explain KV caching" in page
    assert _grade(alice_client, card, "good").status_code == 303
