"""Real Chromium on a question page: the cached measurement, a parameter change, Run, progress, the new result.

The broker is replaced by a thread that runs the task body (``sandbox.jobs.execution.execute``)
the way a worker would, so the page really polls a run that moves through queued →
running → succeeded while the browser watches; the real-worker path is covered by
tests/integration.
"""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

RUNNABLE = "**Short answer.** Scores grow as n².\n\n```python run\nprint(sum(range(10)))\n```\n"


@pytest.fixture(autouse=True)
def fixture_demos(settings):
    import tests.sandbox.demo_fixtures  # noqa: F401  (fixture_chart, fixture_slow)

    settings.SANDBOX_PRELOAD_MODEL = False
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "browser"}}


@pytest.fixture
def question(make_question):
    from engine.environment import ENGINE_VERSION
    from sandbox.jobs.execution import execute
    from sandbox.models import Run

    # A real measurement at the default parameters: what the page shows before anyone clicks.
    defaults = {"max_len": 1024, "label": "causal"}
    cached = Run.objects.create(
        kind=Run.Kind.DEMO, demo="fixture_chart", params=defaults, engine_version=ENGINE_VERSION
    )
    execute(str(cached.pk))
    return make_question("attention-cost", title="Why is attention quadratic?", answer_md=RUNNABLE,
                         demos=["fixture_chart", "fixture_slow"])  # fmt: skip


def _open_and_reveal(page, slug: str) -> None:
    """Self-test mode (on by default) hides the demos with the answer: reveal, as a learner would."""
    page.goto(f"/q/{slug}/")
    page.get_by_role("button", name="Reveal answer").click()


def test_change_a_parameter_run_and_see_the_new_measurement(browser_page, question, thread_worker):
    page = browser_page
    _open_and_reveal(page, question.slug)
    panel = page.locator('.demo-panel[data-demo="fixture_chart"]')
    assert "n² growth up to 1024 tokens" in panel.locator(".demo-result").inner_text()
    assert panel.locator(".measured").inner_text().startswith("Measured just now (")
    assert panel.locator("svg.demo-chart:visible").count() == 1  # drawn for desktop and for phones; one shows

    panel.get_by_label("max_len").fill("64")
    panel.get_by_role("button", name="Run").click()
    page.wait_for_function(
        "document.querySelector('.demo-panel[data-demo=fixture_chart] .demo-result-title').textContent.includes('64 tokens')"
    )
    assert panel.locator(".demo-error").is_hidden()
    assert "max_len=64" in panel.locator(".measured").inner_text()
    assert panel.get_by_role("button", name="Run").is_enabled()


def test_progress_moves_while_a_slow_demo_runs(browser_page, question, thread_worker):
    page = browser_page
    _open_and_reveal(page, question.slug)
    panel = page.locator('.demo-panel[data-demo="fixture_slow"]')
    panel.get_by_label("seconds").fill("3")
    panel.get_by_role("button", name="Run").click()
    page.wait_for_function(
        "(() => { const bar = document.querySelector('.demo-panel[data-demo=fixture_slow] progress');"
        " return bar && bar.value > 0 && bar.value < 100; })()"
    )
    progress = panel.locator(".demo-progress-text").inner_text()
    assert "running" in progress
    # Never a bare "0% · starting": how long is left, and from what (no past runs here: a guess).
    assert " s left (no finished runs to go by yet, so 15 s is a guess)" in progress
    page.wait_for_function(
        "document.querySelector('.demo-panel[data-demo=fixture_slow] .demo-result-title')?.textContent.includes('Slept 3')",
        timeout=20_000,
    )
    assert panel.locator(".demo-progress").is_hidden()


def test_a_bad_parameter_is_explained_next_to_its_field(browser_page, question, thread_worker):
    page = browser_page
    _open_and_reveal(page, question.slug)
    panel = page.locator('.demo-panel[data-demo="fixture_chart"]')
    panel.get_by_label("max_len").fill("99999")
    panel.get_by_role("button", name="Run").click()
    error = panel.locator('.demo-field[data-param="max_len"] .demo-field-error')
    error.wait_for(state="visible")
    assert error.inner_text() == "max_len must be between 16 and 8192, got 99999"


def test_a_runnable_code_block_can_be_edited_and_run(browser_page, question, thread_worker):
    from sandbox.jail.runner import BubblewrapSandbox, RlimitSandbox

    if not BubblewrapSandbox.available() and not RlimitSandbox.available():
        pytest.skip("no code sandbox can start on this machine")
    page = browser_page
    page.goto(f"/q/{question.slug}/")
    reveal = page.get_by_role("button", name="Reveal answer")
    if reveal.count() and reveal.is_visible():
        reveal.click()
    block = page.locator(".runnable-code").first
    editor = block.locator(".cm-content")  # the vendored CodeMirror replaced the textarea
    assert editor.inner_text() == "print(sum(range(10)))"
    assert block.locator(".cm-lineNumbers").count() == 1 and block.locator(".tok-variableName").count() >= 1
    assert block.locator(".code-limits").inner_text().startswith("Runs in a sandbox: 30 s wall clock, 4 GB memory, no network.")
    editor.click()
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.type("print('sum is', sum(range(100)))")
    page.keyboard.press("ControlOrMeta+Enter")  # runs, like the Run button
    block.locator(".code-output").wait_for(timeout=20_000)
    assert block.locator(".code-output").inner_text().strip() == "sum is 4950"


def test_a_run_permalink_follows_the_run_until_it_ends(browser_page, thread_worker):
    from engine.environment import ENGINE_VERSION
    from sandbox.jobs import dispatch
    from sandbox.models import Run

    run = Run.objects.create(
        kind=Run.Kind.DEMO, demo="fixture_slow", params={"seconds": 1.0, "tag": ""}, engine_version=ENGINE_VERSION
    )
    page = browser_page
    page.goto(f"/runs/{run.pk}/")
    assert page.locator(".run-result-slot").inner_text().strip() == ""
    dispatch.enqueue(run)  # a worker picks it up while the page is open
    page.wait_for_function("document.querySelector('.run-result-slot').textContent.includes('Slept 1.0 s')")
    assert page.locator(".run-live h2").is_visible()
    # The status line rendered while the run was queued is brought up to date too.
    page.wait_for_function("document.querySelector('[data-run-state]').textContent === 'Succeeded'")
    assert page.locator("[data-run-progress]").inner_text() == ""
