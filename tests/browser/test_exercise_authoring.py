"""Real Chromium in the exercise admin: a reviewer edits a bank exercise's statement and reference (in
the site's code editor, no JSON anywhere), saves, watches the revision validate, and sees the edit live.

The validation runs for real (the reference and the wrong solutions graded in the configured
sandbox) in the thread that stands in for the worker (``thread_worker``).
"""
from __future__ import annotations

import re

import pytest

from tests.exercises.fixture_exercise import exercise_lookup, write_exercise

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("authoring_groups")]

PASSWORD = "pw-123456789"
VALIDATE_TIMEOUT_MS = 120_000  # four sandboxed grades, each importing torch, on a loaded 2-core machine


@pytest.fixture
def add_one(bank, monkeypatch, settings, tmp_path):
    from questions import bank_loader
    from questions.bank_loader import load_bank
    from questions.exercises import worker
    from sandbox.jail.runner import BubblewrapSandbox, RlimitSandbox

    if not BubblewrapSandbox.available() and not RlimitSandbox.available():
        pytest.skip("no code sandbox can start on this machine")
    settings.SANDBOX_PRELOAD_MODEL = False
    settings.VAR_DIR = tmp_path / "var"
    bank.write("kv-basics", title="What does a KV cache store?")
    write_exercise(bank.root)
    assert load_bank(bank.root).ok
    monkeypatch.setattr(bank_loader, "DEFAULT_BANK_DIR", bank.root)  # the form reads the bank folder
    monkeypatch.setattr(worker, "get_exercise", exercise_lookup(bank.root))


@pytest.fixture
def reviewer_page(browser_page, django_user_model, admin_login):
    from django.contrib.auth.models import Group

    user = django_user_model.objects.create_user("rita", "rita@example.com", PASSWORD, is_staff=True)
    user.groups.add(Group.objects.get(name="Reviewers"))
    admin_login(browser_page, "rita", PASSWORD)
    return browser_page


def test_an_edit_is_validated_then_live(reviewer_page, add_one, thread_worker):
    from questions.exercises.models import Exercise

    page = reviewer_page
    exercise = Exercise.objects.get(slug="add-one")
    page.goto(f"/admin/exercises/exercise/{exercise.pk}/change/")
    assert page.locator(".field-hints ol[data-list-for] input").count() == 2  # hints as rows, not JSON
    page.fill("#id_statement_md", "Return a new tensor holding $x + 1$, in the dtype of `x`.")
    reference = page.locator(".field-reference .cm-content")  # the CodeMirror editor, not the textarea
    reference.click()
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.press("Delete")
    for number, line in enumerate(["def add_one(x):", "return x.add(1)"]):
        if number:
            page.keyboard.press("Enter")  # the editor indents after the colon by itself
        page.keyboard.type(line)
    page.fill("#id_summary", "reference uses Tensor.add")
    page.click("input[type=submit][value='Save and validate']")

    page.wait_for_load_state()
    assert page.locator("[data-error-summary]").count() == 0, page.locator("[data-error-summary]").inner_text()
    page.wait_for_url(re.compile(r"/admin/exercises/exercise/revisions/\d+/$"))
    assert "Saved as a pending revision" in page.locator(".messagelist").inner_text()
    page.locator("#revision-headline", has_text="Passed:").wait_for(timeout=VALIDATE_TIMEOUT_MS)

    page.goto("/exercises/add-one/")
    assert "in the dtype of" in page.locator("main").inner_text()
    exercise.refresh_from_db()
    assert "x.add(1)" in exercise.reference and exercise.is_edited_bank_exercise
