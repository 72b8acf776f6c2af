"""Structured editing: lists as rows, options inside their quiz item, errors by field and in a summary."""
from __future__ import annotations

import pytest
from django.urls import reverse

from questions.models import Question, QuizItem
from tests.questions.question_admin_forms import form_data
from tests.questions.structured_forms import PREFIX, new_question, quiz_item, with_items

pytestmark = pytest.mark.django_db
ADD = "admin:questions_question_add"
DEMO = "kv_cache_vs_recompute"


def two_items() -> list[dict]:
    return [
        quiz_item("phase", "single", "Which phase is compute bound?",
                  [("Prefill", True, "All prompt tokens at once."), ("Decode", False, "One token per step.")]),
        quiz_item("bytes", "numeric", "Bytes per token for 32 layers of 4096 in fp16?", numeric_answer=524288,
                  tolerance=0.05),
    ]


def save(client, data: dict):
    return client.post(reverse(ADD), data)


def test_lists_are_rows_of_text_and_the_page_shows_no_json(staff_client, make_question) -> None:
    question = make_question("kv", key_points=["Grows with context", "Grows with batch"])
    page = staff_client.get(reverse("admin:questions_question_change", args=[question.pk])).content.decode()
    assert "data-list-editor" in page and "js/admin_list.js" in page
    assert "Grows with context\nGrows with batch</textarea>" in page
    assert '["Grows' not in page and "[]</textarea>" not in page


def test_a_question_with_lists_two_quiz_items_and_a_demo_saves_without_json(staff_client, topic) -> None:
    data = new_question(staff_client, topic.pk, two_items(), key_points="Per token\n\n  Per layer  \n",
                        sources=["https://example.org/a", "https://example.org/b"], demos=[DEMO])
    response = save(staff_client, data)
    assert response.status_code == 302, response.context and response.context["error_summary"]
    question = Question.objects.get(slug="kv-size")
    assert question.key_points == ["Per token", "Per layer"]  # blank lines dropped, rows trimmed
    assert question.sources == ["https://example.org/a", "https://example.org/b"]  # the JS rows' shape, in order
    assert question.demos == [DEMO] and question.status == "draft"
    single, numeric = question.quiz_items.order_by("key")[1], question.quiz_items.order_by("key")[0]
    assert {(c.text, c.is_correct, c.explanation) for c in single.choices.all()} == {
        ("Prefill", True, "All prompt tokens at once."), ("Decode", False, "One token per step.")}
    assert numeric.numeric_answer == 524288 and not numeric.choices.exists()


def test_reordering_rows_and_editing_an_options_why_are_saved(staff_client, topic) -> None:
    assert save(staff_client, new_question(staff_client, topic.pk, two_items()[:1], key_points="a\nb\nc")).status_code == 302
    question = Question.objects.get(slug="kv-size")
    url = reverse("admin:questions_question_change", args=[question.pk])
    data = form_data(staff_client.get(url), key_points=["c", "a", "b"])
    first = f"{PREFIX}-0-option_"
    why = next(k for k, v in data.items() if k.startswith(first) and k.endswith("_why") and v == "One token per step.")
    data[why] = "Memory bound: weights are read for one token."
    assert staff_client.post(url, data).status_code == 302
    question.refresh_from_db()
    assert question.key_points == ["c", "a", "b"]
    assert question.quiz_items.get().choices.get(text="Decode").explanation == "Memory bound: weights are read for one token."


def refused(client, data: dict) -> tuple[str, list[str]]:
    response = save(client, data)
    assert response.status_code == 200
    assert not Question.objects.filter(slug="kv-size").exists()  # nothing half-saved
    return response.content.decode(), response.context["error_summary"]


def test_a_numeric_item_without_an_answer_is_named_beside_the_field_and_in_the_summary(staff_client, topic) -> None:
    items = [quiz_item("bytes", "numeric", "How many bytes?")]
    html, summary = refused(staff_client, new_question(staff_client, topic.pk, items))
    assert any(line.startswith("Quiz item 1 — Numeric answer: ") for line in summary), summary
    assert "data-error-summary" in html and "Nothing was saved. Fix 2 problems" in html  # answer and tolerance
    assert html.count(summary[0].split(": ", 1)[1]) >= 2  # beside the field and in the summary


def test_a_choice_item_with_no_correct_option_is_refused(staff_client, topic) -> None:
    items = [quiz_item("phase", "single", "Pick", [("Prefill", False, ""), ("Decode", False, "")])]
    _, summary = refused(staff_client, new_question(staff_client, topic.pk, items))
    assert summary == ["Quiz item 1 — Option 1: A single-choice item needs exactly one correct option (found 0)."]


def test_an_option_with_a_why_but_no_text_is_refused(staff_client, topic) -> None:
    items = [quiz_item("phase", "single", "Pick", [("Prefill", True, ""), ("Decode", False, ""), ("", False, "orphan why")])]
    _, summary = refused(staff_client, new_question(staff_client, topic.pk, items))
    assert summary == ["Quiz item 1 — Option 3: write its text, or clear its other boxes."]


@pytest.mark.parametrize(("changes", "expected"), [
    ({"key_points": '["unclosed", '}, "Key points: this looks like a list in brackets but is not a valid list"),
    ({"follow_ups": "Why?\nWhy?"}, "Follow ups: item 2 repeats item 1"),
    ({"demos": ["no_such_demo"]}, "Demos: &#x27;no_such_demo&#x27; is not a known demo; pick from the list."),
    ({"answer_md": "Fine <script>alert(1)</script> <img src=x onerror=alert(1)>"},
     "Answer: the page would strip the &lt;script&gt; element, the onerror attribute on &lt;img&gt;"),
    ({"key_points": "[click](javascript:alert(1))"}, "the javascript: link in &lt;a&gt;"),
])
def test_bad_input_is_a_sentence_naming_the_field(staff_client, topic, changes, expected) -> None:
    html, summary = refused(staff_client, new_question(staff_client, topic.pk, **changes))
    assert expected in html and len(summary) == 1


def test_a_slug_clash_names_the_slug(staff_client, topic, make_question) -> None:
    make_question("kv-size")
    response = save(staff_client, new_question(staff_client, topic.pk, two_items()))
    assert response.context["error_summary"] == ["Slug: another question already uses this slug; choose another."]
    assert Question.objects.filter(slug="kv-size").count() == 1


def test_a_quiz_option_with_html_the_page_would_strip_is_named(staff_client, topic) -> None:
    items = [quiz_item("phase", "single", "Pick", [("Prefill <iframe src=x></iframe>", True, ""), ("Decode", False, "")])]
    _, summary = refused(staff_client, new_question(staff_client, topic.pk, items))
    assert summary == ["Quiz item 1 — Option 1: the page would strip the <iframe> element; write it in Markdown instead."]


def test_an_item_with_more_options_than_rows_is_refused_rather_than_truncated(staff_client, make_question) -> None:
    question = make_question("kv")
    item = QuizItem.objects.create(question=question, key="many", kind="multiple", prompt="Pick")
    item.replace_choices((f"Option {n}", n == 1, "") for n in range(1, 9))
    url = reverse("admin:questions_question_change", args=[question.pk])
    response = staff_client.post(url, form_data(staff_client.get(url), title="Renamed?"))
    assert response.status_code == 200
    assert response.context["error_summary"] == [
        "Quiz item 1 — This item has 8 options, more than the 6 rows here; edit it on its own quiz item page."]
    assert item.choices.count() == 8
