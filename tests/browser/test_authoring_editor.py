"""Structured authoring in real Chromium: a question with two quiz items and a demo, no JSON typed, previewed
and saved; an import of two files, one broken, where the good one lands as a draft."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from questions.models import Question, Status, Topic

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("authoring_groups")]
PASSWORD = "pw-123456789"
DEMO = "kv_cache_vs_recompute"
AIKEN = (Path(__file__).parents[1] / "questions" / "fixtures" / "import" / "questions_aiken.txt").read_bytes()


@pytest.fixture
def admin_page(browser_page, django_user_model, admin_login):
    django_user_model.objects.create_superuser("alice", "alice@example.com", PASSWORD)
    admin_login(browser_page, "alice", PASSWORD)
    return browser_page


def _add_row(page, field: str, text: str) -> None:
    page.click(f"button[data-list-add={field}]")
    page.locator(f"ol[data-list-for={field}] input").last.fill(text)


def _fill_item(page, n: int, key: str, kind: str, prompt: str) -> None:
    page.fill(f"#id_quiz_items-{n}-key", key)
    page.select_option(f"#id_quiz_items-{n}-kind", kind)
    page.fill(f"#id_quiz_items-{n}-prompt", prompt)


def test_a_question_with_two_quiz_items_and_a_demo_is_previewed_and_saved(admin_page):
    Topic.objects.create(slug="kv-cache", title="KV cache")
    page = admin_page
    page.goto("/admin/questions/question/add/")
    assert page.locator("textarea[data-list-editor]").count() == 0  # every list became rows
    page.fill("#id_title", "How big is the KV cache per token?")
    page.select_option("#id_topic", label="KV cache")
    page.fill("#id_answer_md", "It stores **keys and values** for every layer.")
    _add_row(page, "key_points", "Two tensors per layer")
    _add_row(page, "key_points", "Scales with context length")
    page.locator("ol[data-list-for=key_points] li").last.locator("button[data-action=up]").click()
    page.locator("details:has(#id_demos) summary, fieldset.collapse h2, fieldset.collapse summary").first.click()
    page.check(f"input[name=demos][value={DEMO}]")

    _fill_item(page, 0, "phase", "single", "Which phase is compute bound?")
    page.fill("#id_quiz_items-0-option_1_text", "Prefill")
    page.check("#id_quiz_items-0-option_1_correct")
    page.fill("#id_quiz_items-0-option_1_why", "All prompt tokens in one pass.")
    page.fill("#id_quiz_items-0-option_2_text", "Decode")
    page.click("#quiz_items-group .add-row a")
    _fill_item(page, 1, "bytes", "numeric", "Bytes per token for 32 layers of width 4096 in fp16?")
    page.fill("#id_quiz_items-1-numeric_answer", "524288")
    page.fill("#id_quiz_items-1-tolerance", "0.05")

    with page.context.expect_page() as opened:
        page.click("[data-preview-button]")
    preview = opened.value
    preview.wait_for_load_state()
    assert preview.locator("h1").inner_text() == "How big is the KV cache per token?"
    assert preview.locator(".answer strong").inner_text() == "keys and values"
    assert preview.locator(".callout-key li").all_inner_texts() == ["Scales with context length", "Two tensors per layer"]
    assert "Prefill (correct)" in preview.locator("[data-quiz-items]").inner_text()
    assert preview.locator(".demo-panels").count() == 1
    preview.close()
    assert not Question.objects.exists()

    page.click("input[name=_save]")
    page.wait_for_url(re.compile(r"/admin/questions/question/$"))
    question = Question.objects.get(slug="how-big-is-the-kv-cache-per-token")
    assert question.key_points == ["Scales with context length", "Two tensors per layer"]
    assert question.demos == [DEMO] and question.status == Status.DRAFT
    assert sorted(question.quiz_items.values_list("kind", flat=True)) == ["numeric", "single"]
    assert question.quiz_items.get(key="phase").choices.get(is_correct=True).text == "Prefill"


def test_of_two_imported_files_the_broken_one_is_reported_and_the_good_one_lands(admin_page):
    page = admin_page
    page.goto("/admin/questions/question/import/")
    page.set_input_files("input[name=files]", files=[
        {"name": "broken.txt", "mimeType": "text/plain", "buffer": b"Which?\nA. x\nB. y\nANSWER: Z\n"},
        {"name": "drills.txt", "mimeType": "text/plain", "buffer": AIKEN},
    ])
    page.click("input[type=submit]")
    assert "broken.txt, line 4: ANSWER must be one of A, B" in page.locator("#content-main").inner_text()
    page.click("input[value='Import drills.txt']")
    page.wait_for_url(re.compile(r"/admin/questions/question/$"))
    imported = Question.objects.filter(origin="import")
    assert imported.count() == 3 and {q.source_path.split("#")[0] for q in imported} == {"drills.txt"}
    assert set(imported.values_list("status", flat=True)) == {Status.DRAFT}
    assert "File drills.txt: imported 3 questions as drafts" in page.locator(".messagelist").text_content()
