"""A taker in real Chromium: home → preset → answer → reload mid-quiz → finish; and a quiz that runs out."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from questions.models import Choice, Question, QuizItem, Topic
from questions.quizzes import clock
from questions.quizzes.models import Answer, Attempt

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def three_questions() -> Topic:
    """One topic with a single-choice, a multiple-choice and a numeric question."""
    topic = Topic.objects.create(slug="kv-cache", title="KV caching")

    def question(slug: str, kind: str, prompt: str, **item_fields) -> QuizItem:
        q = Question.objects.create(slug=slug, topic=topic, title=f"About {slug}", answer_md="The model answer.")
        return QuizItem.objects.create(question=q, key="k", kind=kind, prompt=prompt, **item_fields)

    single = question("what-is-stored", "single", "What does the cache store?")
    Choice.objects.create(item=single, text="Keys and values", is_correct=True)
    Choice.objects.create(item=single, text="Attention outputs")
    multiple = question("what-grows", "multiple", "What does the cache size grow with?")
    Choice.objects.create(item=multiple, text="Number of layers", is_correct=True)
    Choice.objects.create(item=multiple, text="Sequence length", is_correct=True)
    Choice.objects.create(item=multiple, text="Vocabulary size")
    question("bytes-per-token", "numeric", "Bytes per token?", numeric_answer=524288, tolerance=0.01, unit="bytes")
    return topic


def _remaining(page) -> int:
    return int(page.locator("#quiz-remaining").get_attribute("data-remaining"))


def _start_from_home(page) -> None:
    page.goto("/")
    page.get_by_role("link", name=re.compile("Start a quiz")).click()      # click 1
    page.get_by_role("button", name="Start quiz: KV caching").click()           # click 2
    page.wait_for_url(re.compile(r"/quiz/a/[0-9a-f-]+/$"))


def test_take_reload_and_finish(browser_page, three_questions) -> None:
    page = browser_page
    _start_from_home(page)
    assert page.locator(".quiz-slot").count() == 3
    assert 840 <= _remaining(page) <= 900

    page.get_by_label("Keys and values").check()
    page.get_by_label("Number of layers").check()
    page.get_by_label("Sequence length").check()
    page.get_by_label(re.compile("Your answer")).fill("5.2e5")
    page.wait_for_function("document.getElementById('quiz-save-status').textContent === 'All answers saved'")
    assert Answer.objects.count() == 3

    before = _remaining(page)
    page.wait_for_timeout(1200)
    page.reload()
    assert page.get_by_label("Keys and values").is_checked()
    assert page.get_by_label("Number of layers").is_checked() and page.get_by_label("Sequence length").is_checked()
    assert not page.get_by_label("Vocabulary size").is_checked()
    assert page.get_by_label(re.compile("Your answer")).input_value() == "520000"
    assert 0 < _remaining(page) < before  # the server's clock kept running across the reload

    page.get_by_role("button", name="Finish and see results").click()
    page.wait_for_url(re.compile(r"/results/$"))
    assert page.locator("#quiz-score").inner_text() == "3 / 3"
    assert page.get_by_role("link", name=re.compile("About what-is-stored")).count() == 1
    assert Attempt.objects.get().finish_reason == "submitted"


def test_a_quiz_that_runs_out_is_submitted_for_the_taker(browser_page, three_questions, monkeypatch) -> None:
    page = browser_page
    _start_from_home(page)
    page.get_by_label("Keys and values").check()
    page.wait_for_function("document.getElementById('quiz-save-status').textContent === 'All answers saved'")
    # Jump the server clock to 3 seconds before the deadline; the page picks it up on reload.
    attempt = Attempt.objects.get()
    offset = attempt.deadline - timezone.now() - timedelta(seconds=3)
    monkeypatch.setattr(clock, "now", lambda: timezone.now() + offset)
    page.reload()
    assert _remaining(page) <= 3
    page.wait_for_url(re.compile(r"/results/$"), timeout=15_000)
    assert "time ran out" in page.locator(".quiz-score").inner_text().lower()
    assert page.locator("#quiz-score").inner_text() == "1 / 3"
    attempt.refresh_from_db()
    assert attempt.finish_reason == "time_up" and attempt.is_finished


def test_a_dropped_connection_loses_nothing(browser_page, three_questions) -> None:
    page = browser_page
    _start_from_home(page)
    page.context.set_offline(True)
    page.get_by_label("Attention outputs").check()
    page.wait_for_function("document.getElementById('quiz-save-status').textContent.startsWith('Offline')")
    assert Answer.objects.count() == 0
    pending = page.evaluate("Object.keys(localStorage).filter(k => k.startsWith('quiz-pending:')).length")
    assert pending == 1  # kept in the browser until the server acknowledges it
    page.context.set_offline(False)
    page.wait_for_function("document.getElementById('quiz-save-status').textContent === 'All answers saved'",
                           timeout=10_000)
    wrong = Choice.objects.get(text="Attention outputs")
    assert Answer.objects.get().value == [wrong.pk]


def test_enter_in_an_answer_moves_on_instead_of_finishing_the_quiz(browser_page, three_questions) -> None:
    page = browser_page
    _start_from_home(page)
    answer = page.get_by_label(re.compile("Your answer"))
    answer_name = answer.get_attribute("name")
    answer.fill("5.2e5")
    answer.press("Enter")
    page.wait_for_function("document.getElementById('quiz-save-status').textContent === 'All answers saved'")
    assert "/results/" not in page.url and not Attempt.objects.get().is_finished
    # Focus moved on: to the next question's first field, or to Finish when this was the last question.
    focused = page.evaluate("[document.activeElement.name || document.activeElement.id, "
                            "!!document.activeElement.closest('#quiz-form')]")
    assert focused[1] and focused[0] not in ("", answer_name)


def test_finishing_with_blank_answers_asks_first(browser_page, three_questions) -> None:
    page = browser_page
    _start_from_home(page)
    page.get_by_label("Keys and values").check()
    messages: list[str] = []
    page.once("dialog", lambda dialog: (messages.append(dialog.message), dialog.dismiss()))
    page.get_by_role("button", name="Finish and see results").click()
    page.wait_for_timeout(300)
    assert messages == ["2 questions are still unanswered. Finish and see results anyway?"]
    assert "/results/" not in page.url and not Attempt.objects.get().is_finished
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Finish and see results").click()
    page.wait_for_url(re.compile(r"/results/$"))
    assert page.locator("#quiz-score").inner_text() == "1 / 3"


def test_the_bar_counts_answered_questions(browser_page, three_questions) -> None:
    page = browser_page
    _start_from_home(page)
    assert page.locator("#quiz-answered").inner_text() == "0 of 3 answered"
    page.get_by_label("Keys and values").check()
    page.get_by_label(re.compile("Your answer")).fill("1")
    assert page.locator("#quiz-answered").inner_text() == "2 of 3 answered"


def test_an_unparsable_number_is_counted_as_needing_a_fix_not_as_answered(browser_page, three_questions) -> None:
    page = browser_page
    _start_from_home(page)
    page.get_by_label("Keys and values").check()
    page.get_by_label(re.compile("Your answer")).fill("5.2e5")
    page.wait_for_function("document.getElementById('quiz-save-status').textContent === 'All answers saved'")
    assert _numeric_answers() == [520000.0]
    page.get_by_label(re.compile("Your answer")).fill("4 GiB")  # second thoughts, with a unit
    counter = page.locator("#quiz-answered")
    page.wait_for_function("document.getElementById('quiz-answered').textContent.includes('needs a fix')")
    assert counter.inner_text() == "1 of 3 answered · 1 needs a fix"
    page.get_by_label(re.compile("Your answer")).press("Tab")  # blur: the answer is sent and refused
    page.wait_for_function("document.getElementById('quiz-save-status').textContent.includes('needs a fix')")
    assert "All answers saved" not in page.locator("#quiz-save-status").inner_text()
    # Neither answered nor saved, and the earlier 5.2e5 no longer counts either.
    for _ in range(50):  # the page clears the stale answer with a second save
        if _numeric_answers() == [None]:
            break
        page.wait_for_timeout(100)
    assert _numeric_answers() == [None]
    assert counter.inner_text() == "1 of 3 answered · 1 needs a fix"

    dialogs: list[str] = []
    page.once("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.get_by_role("button", name="Finish and see results").click()
    page.wait_for_timeout(300)
    assert dialogs == ["1 question is still unanswered; 1 answer is not valid and will not count. "
                       "Finish and see results anyway?"]

    # A whitespace-only answer is no answer either; a real number fixes the count.
    page.get_by_label(re.compile("Your answer")).fill("   ")
    page.wait_for_function("document.getElementById('quiz-answered').textContent === '1 of 3 answered'")
    page.get_by_label(re.compile("Your answer")).fill("5.2e5")
    page.wait_for_function("document.getElementById('quiz-save-status').textContent === 'All answers saved'")
    assert counter.inner_text() == "2 of 3 answered" and _numeric_answers() == [520000.0]


def _numeric_answers() -> list[object]:
    return [answer.value for answer in Answer.objects.filter(slot__kind="numeric")]


def test_clicking_a_running_preset_again_resumes_it(browser_page, three_questions) -> None:
    page = browser_page
    _start_from_home(page)
    first_url = page.url
    page.get_by_label("Keys and values").check()
    page.wait_for_function("document.getElementById('quiz-save-status').textContent === 'All answers saved'")

    page.goto("/quiz/")
    page.get_by_role("button", name="Resume quiz: KV caching").click()
    page.wait_for_url(first_url)
    assert page.get_by_label("Keys and values").is_checked()
    assert Attempt.objects.count() == 1

    page.once("dialog", lambda dialog: dialog.dismiss())  # a stray click changes nothing
    page.get_by_role("button", name="Start over").click()
    page.wait_for_timeout(300)
    assert page.url == first_url and Attempt.objects.count() == 1
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Start over").click()
    page.wait_for_url(lambda url: url != first_url and re.search(r"/quiz/a/[0-9a-f-]+/$", url) is not None)
    assert page.url != first_url and not page.get_by_label("Keys and values").is_checked()
    old = Attempt.objects.get(pk=first_url.rstrip("/").split("/")[-1])
    assert old.finish_reason == "abandoned"
    page.goto("/quiz/history/")
    assert "Abandoned" in page.locator(".attempt-table").inner_text()
