"""Real Chromium on an exercise: a wrong solution typed into the editor fails Check with its message;
the fix passes Submit; the reference appears and the list marks the exercise solved.

The grade runs for real (the grader, the configured sandbox) in a thread standing in for the
worker (``thread_worker``), so the page polls a submission that moves through queued → running
→ graded while the browser watches.
"""
from __future__ import annotations

import re

import pytest

from tests.exercises.fixture_exercise import exercise_lookup, write_exercise

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

GRADE_TIMEOUT_MS = 90_000  # a sandboxed child imports torch: seconds on a loaded 2-core machine


@pytest.fixture(autouse=True)
def settings_for_grading(settings):
    settings.SANDBOX_PRELOAD_MODEL = False
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "exercise-flow"}}


@pytest.fixture
def add_one(bank, monkeypatch):
    from questions.bank_loader import load_bank
    from questions.exercises import worker
    from sandbox.jail.runner import BubblewrapSandbox, RlimitSandbox

    if not BubblewrapSandbox.available() and not RlimitSandbox.available():
        pytest.skip("no code sandbox can start on this machine")
    bank.write("kv-basics", title="What does a KV cache store?")
    write_exercise(bank.root)
    report = load_bank(bank.root)
    assert report.ok and not report.exercise_errors, report.exercise_errors
    monkeypatch.setattr(worker, "get_exercise", exercise_lookup(bank.root))


def replace_code(page, lines: list[str]) -> None:
    """Select everything in the editor and type ``lines``; the editor indents after a colon by itself."""
    page.locator(".exercise-form .cm-content").click()
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.press("Delete")
    for number, line in enumerate(lines):
        if number:
            page.keyboard.press("Enter")
        page.keyboard.type(line)


def test_wrong_then_right_then_solved(browser_page, add_one, thread_worker):
    page = browser_page
    page.goto("/exercises/add-one/")
    editor = page.locator(".exercise-form .cm-content")
    assert "raise NotImplementedError" in editor.inner_text()  # the starter code, in the real editor
    assert page.locator(".exercise-limits").inner_text().startswith("Runs in a sandbox: 30 s wall clock, 4 GB memory")
    assert page.locator(".exercise-after").inner_text().strip() == ""  # no reference before an attempt
    hints = page.locator("details.hint")
    assert hints.nth(1).is_hidden()  # hints come one at a time: the second waits for the first
    hints.nth(0).locator("summary").click()
    # Opening a <details> fires "toggle" asynchronously: wait for the next hint rather than racing it.
    hints.nth(1).wait_for(state="visible", timeout=5000)

    replace_code(page, ["def add_one(x):", "return x - 1"])
    page.get_by_role("button", name="Check").click()
    failing = page.locator('.verdict-test.test-failed[data-test="one-two-three"]')
    failing.wait_for(timeout=GRADE_TIMEOUT_MS)
    assert "A small hand-checkable vector." in failing.locator(".verdict-message").inner_text()
    assert "Max abs error" in failing.inner_text()
    assert page.locator(".verdict-headline").inner_text().endswith("0 of 2 examples passed.")
    assert re.fullmatch(r"\d+\.\d s", page.locator("[data-elapsed]").inner_text())
    assert page.locator(".exercise-after").inner_text().strip() == ""  # a Check records nothing

    replace_code(page, ["def add_one(x):", "return x + 1"])
    page.get_by_role("button", name="Submit").click()
    page.locator(".verdict-passed").wait_for(timeout=GRADE_TIMEOUT_MS)
    assert "Solved: all 6 hidden tests passed." in page.locator(".verdict-headline").inner_text()
    assert page.locator("[data-exercise-mark] .mark-solved").is_visible()
    after = page.locator(".exercise-after")
    assert "Reference solution" in after.inner_text() and "return x + 1" in after.inner_text()
    assert "Passed" in page.locator(".exercise-history").inner_text()

    page.goto("/exercises/")
    assert page.locator('.exercise-card[data-exercise="add-one"] .mark-solved').is_visible()
