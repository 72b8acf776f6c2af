"""Visible progress: seen / right / mastered marks, the topics index, the home page's "due now", mastery by day."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

import fsrs
import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from questions.models import Question
from questions.quizzes import activity, mastery, progress, review, services
from questions.quizzes.builder import QuizSpec
from questions.quizzes.models import QuestionView, ReviewCard, ReviewLog
from questions.quizzes.progress import Mark

EASY_KV = QuizSpec(topics=("kv-cache",), difficulties=("easy",), count=1)


@pytest.fixture
def alice_client(client: Client, alice: Any) -> Client:
    client.force_login(alice)
    return client


def _master(owner: Any, question: Any) -> ReviewCard:
    """Good ratings a review apart until the card's stability passes the mastered line."""
    card = None
    when = review.clock.now()
    while card is None or card.fsrs_state["stability"] < progress.MASTERED_STABILITY_DAYS:
        card = review.record_review(owner, question, fsrs.Rating.Good, ReviewLog.Source.SELF, when)
        when = card.due
    return card


def test_marks_say_seen_right_and_mastered(alice_client: Client, quiz_bank: Any, alice_owner: Any,
                                           frozen_clock: Any) -> None:
    single, multiple, numeric = quiz_bank.single.question, quiz_bank.multiple.question, quiz_bank.numeric.question
    alice_client.get(single.get_absolute_url())
    attempt = services.start_attempt(alice_owner, EASY_KV)
    right = quiz_bank.token(attempt, quiz_bank.correct_ids(quiz_bank.single)[0])
    services.save_answer(alice_owner, attempt.pk, 1, right)
    services.finish(alice_owner, attempt.pk)
    _master(alice_owner, numeric)
    marks = progress.marks_for(alice_owner, [single.pk, multiple.pk, numeric.pk, quiz_bank.free_question.pk])
    assert marks[single.pk] == Mark(seen=True, right=True, mastered=False)
    assert marks[numeric.pk] == Mark(seen=True, right=True, mastered=True)
    assert multiple.pk not in marks and quiz_bank.free_question.pk not in marks
    assert progress.marks_for(None, [single.pk]) == {}


def test_a_wrong_answer_is_seen_but_not_right(quiz_bank: Any, visitor: Any) -> None:
    review.record_review(visitor, quiz_bank.single.question, fsrs.Rating.Again, ReviewLog.Source.SELF)
    assert progress.marks_for(visitor, [quiz_bank.single.question.pk]) == {
        quiz_bank.single.question.pk: Mark(seen=True, right=False, mastered=False)}


def test_marks_cost_the_same_queries_for_3_or_30_questions(quiz_bank: Any, alice_owner: Any) -> None:
    many = [Question.objects.create(slug=f"extra-{i}", topic=quiz_bank.kv, title=f"Extra {i}?") for i in range(27)]
    for question in many[::3]:
        progress.record_view(alice_owner, question)
        review.record_review(alice_owner, question, fsrs.Rating.Good, ReviewLog.Source.SELF)
    counts = []
    for ids in ([q.pk for q in many[:3]], [q.pk for q in many] + [quiz_bank.single.question.pk] * 3):
        with CaptureQueriesContext(connection) as queries:
            progress.marks_for(alice_owner, ids)
        counts.append(len(queries))
    assert counts == [4, 4]


def test_a_view_is_recorded_once_per_question_and_only_for_a_visitor_with_a_session(
        alice_client: Client, quiz_bank: Any, frozen_clock: Any) -> None:
    url = quiz_bank.single.question.get_absolute_url()
    response = Client().get(url)  # a reader without a session: nothing to key a row by, and no session made for it
    assert response.status_code == 200 and "sessionid" not in response.cookies
    assert not QuestionView.objects.exists()
    alice_client.get(url)
    frozen_clock.advance(hours=1)
    alice_client.get(url)
    view = QuestionView.objects.get()
    assert view.views == 2 and view.last_seen - view.first_seen == timedelta(hours=1)


def test_the_topic_page_marks_each_question(alice_client: Client, quiz_bank: Any, alice_owner: Any) -> None:
    review.record_review(alice_owner, quiz_bank.single.question, fsrs.Rating.Good, ReviewLog.Source.SELF)
    alice_client.get(quiz_bank.multiple.question.get_absolute_url())
    page = alice_client.get("/topics/kv-cache/").content.decode()
    assert page.count("progress-mark progress-right") == 1 and page.count("progress-mark progress-seen") == 1
    assert "2 of 2 seen · 1 answered right · 0 mastered" in page
    assert "progress-mark" not in Client().get("/topics/kv-cache/").content.decode()  # no history, no marks


def test_topics_index_lists_every_topic_with_progress(alice_client: Client, quiz_bank: Any, alice_owner: Any,
                                                      frozen_clock: Any) -> None:
    review.record_review(alice_owner, quiz_bank.numeric.question, fsrs.Rating.Again, ReviewLog.Source.SELF)
    page = alice_client.get("/topics/").content.decode()
    assert "/topics/kv-cache/" in page and "/topics/decoding/" in page
    assert "1 seen" in page and 'aria-label="Decoding: 0 of 2 questions mastered"' in page
    assert 'aria-label="Mastery of Decoding over 1 day of study, now 0%"' in page
    anonymous = Client().get("/topics/").content.decode()
    assert "/topics/kv-cache/" in anonymous and "topic-meter" not in anonymous


def test_home_leads_with_due_now_and_where_you_left_off(alice_client: Client, quiz_bank: Any, alice_owner: Any,
                                                       frozen_clock: Any) -> None:
    assert "Welcome back" not in alice_client.get("/").content.decode()  # nothing yet: the plain home page
    review.record_review(alice_owner, quiz_bank.single.question, fsrs.Rating.Again, ReviewLog.Source.SELF)
    alice_client.get(quiz_bank.numeric.question.get_absolute_url())
    frozen_clock.advance(days=1)
    attempt = services.start_attempt(alice_owner, EASY_KV)  # still running
    page = alice_client.get("/").content.decode()
    assert "Welcome back" in page and "Due now" in page
    assert '<strong class="study-number">1</strong> card to review' in page
    assert f'href="/quiz/a/{attempt.pk}/"' in page
    assert f'Last read: <a href="{quiz_bank.numeric.question.get_absolute_url()}">' in page
    assert page.index("Due now") < page.index('id="topics-heading"')


def test_mastery_trend_counts_review_grades_by_day(quiz_bank: Any, visitor: Any, frozen_clock: Any) -> None:
    question = quiz_bank.numeric.question
    review.record_review(visitor, question, fsrs.Rating.Again, ReviewLog.Source.SELF)
    review.record_review(visitor, question, fsrs.Rating.Good, ReviewLog.Source.SELF)  # same day: one point
    frozen_clock.advance(days=1)
    review.record_review(visitor, question, fsrs.Rating.Good, ReviewLog.Source.REVIEW)
    [(topic, points)] = mastery.mastery_series(visitor).items()
    assert topic == "Decoding" and [round(v, 3) for _, v in points] == [0.5, 0.75]
    [chart] = mastery.topic_charts(visitor)
    assert len(chart.polyline.split()) == 3 and chart.latest_percent == 75  # starts from 0 before the first day


def test_streak_and_heatmap(quiz_bank: Any, visitor: Any, frozen_clock: Any) -> None:
    question = quiz_bank.single.question
    for _ in range(3):
        review.record_review(visitor, question, fsrs.Rating.Good, ReviewLog.Source.SELF)
        frozen_clock.advance(days=1)
    # Today has no review yet: yesterday's streak still stands.
    heat = activity.heatmap(visitor)
    assert (heat.streak, heat.total, heat.active_days) == (3, 3, 3)
    assert [c.count for c in heat.cells[-4:]] == [1, 1, 1, 0]
    assert heat.cells[-1].day == frozen_clock.current.date()
    frozen_clock.advance(days=1)
    assert activity.heatmap(visitor).streak == 0


def test_history_page_shows_the_heatmap(client: Client, quiz_bank: Any) -> None:
    question = quiz_bank.single.question
    client.post(f"/quiz/rate/{question.pk}/", {"rating": "good", "token": review.token_for(None, question)})
    page = client.get("/quiz/history/").content.decode()
    assert "<strong>1</strong> day in a row" in page and "1 review on 1 day" in page
    assert page.count('class="heat heat-') == len(activity.heatmap(None).cells)


def test_heatmap_labels_name_each_month_once(visitor: Any, frozen_clock: Any, db: None) -> None:
    heat = activity.heatmap(visitor)
    months = [label.text for label in heat.labels if label.text not in ("Mon", "Wed", "Fri")]
    assert len(months) == len(set(months)) >= 5  # 26 weeks span six or seven months; each named once
    assert all(label.x + 20 <= heat.width for label in heat.labels)  # none runs off the right edge
