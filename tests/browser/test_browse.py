"""Real Chromium walks: a reader (home → search → question → reveal) and staff (live Markdown preview)."""
from __future__ import annotations

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def question(make_question):
    make_question(
        "kv-what-is-stored",
        title="What does a KV cache store?",
        tags=("kv-cache",),
        answer_md="**Short answer.** The key and value projections of every past token, per layer: $K = XW_K$.",
        key_points=["One K and one V vector per token, layer and KV head"],
    )
    make_question("top-p", topic="decoding", title="How does top-p sampling work?", answer_md="Keep the nucleus.")


def test_search_open_and_reveal_the_answer(browser_page, question):
    page = browser_page
    page.goto("/")
    assert "Kv Cache" in page.locator("#topics").inner_text()

    page.fill("#hero-search", "value projections")
    page.press("#hero-search", "Enter")
    page.wait_for_url("**/search/?q=value+projections")
    first = page.locator(".search-result").first
    assert first.locator("mark").count() >= 1
    first.locator("a.question-card-title").click()
    page.wait_for_url("**/q/kv-what-is-stored/")

    # Self-test mode is on by default: the answer waits behind a button.
    answer = page.locator("#answer-panel")
    reveal = page.get_by_role("button", name="Reveal answer")
    assert answer.is_hidden()
    assert reveal.get_attribute("aria-expanded") == "false"

    reveal.focus()
    page.keyboard.press("Enter")  # keyboard, not just mouse
    assert answer.is_visible()
    assert "key and value projections" in answer.inner_text()
    assert page.locator("#answer-panel math").count() == 1
    assert page.get_by_role("button", name="Hide answer").get_attribute("aria-expanded") == "true"

    # Turning self-test off is remembered on the next question.
    page.get_by_label("Self-test mode: hide answers until I reveal them").uncheck()
    page.goto("/q/top-p/")
    assert page.locator("#answer-panel").is_visible()


def test_admin_markdown_preview_renders_as_staff_types(browser_page, make_question, django_user_model):
    question = make_question("kv-preview", answer_md="Initial *text*.")
    django_user_model.objects.create_superuser("alice", "alice@example.com", "pw-123456789")
    page = browser_page
    page.goto("/admin/login/")
    page.fill("#id_username", "alice")
    page.fill("#id_password", "pw-123456789")
    page.click("input[type=submit]")
    page.goto(f"/admin/questions/question/{question.pk}/change/")
    preview = page.locator(".markdown-preview").first
    preview.locator("em").wait_for()
    page.fill("#id_answer_md", "Cost is $O(n^2)$ <script>window.pwned = 1</script>")
    preview.locator("math").wait_for()
    assert page.evaluate("window.pwned === undefined")
    assert "<script" not in preview.inner_html()


def test_a_phone_never_scrolls_sideways(browser_page, make_question):
    """Wide formulas, long identifiers and tables scroll inside their own box, never the page."""
    make_question(
        "wide-things",
        title="Why scale by the square root of the head dimension?",
        answer_md=(
            "Inline: $\\operatorname{Var}(q \\cdot k) = \\sum_{i=1}^{d_k} q_i k_i \\approx d_k \\sigma_q^2 \\sigma_k^2"
            " \\Rightarrow \\frac{q \\cdot k}{\\sqrt{d_k}} \\sim \\mathcal{N}(0, 1) \\quad \\text{for every head}$.\n\n"
            "| model | layers | KV heads | head dim | bytes per token | at 4096 tokens |\n|---|---|---|---|---|---|\n"
            "| LLaMA-2-70B | 80 | 8 | 128 | 327,680 | 1.25 GiB |\n"
        ),
        sources=["PyTorch documentation, torch.nn.functional.scaled_dot_product_attention_with_a_long_name"],
    )
    page = browser_page
    page.set_viewport_size({"width": 360, "height": 800})
    page.add_init_script("localStorage.setItem('prep.selfTest', 'off')")
    for url in ("/q/wide-things/", "/", "/quiz/", "/runs/", "/accounts/signup/"):
        page.goto(url)
        assert page.evaluate("document.documentElement.scrollWidth") <= 360, url
