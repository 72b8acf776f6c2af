"""The renderer: math to MathML, tables, highlighted code, and the runnable-code contract with sandbox.js."""
from __future__ import annotations

import re

from questions.markdown import FORMULA_MARK, inline_formulas, markdown_to_text, render_markdown


def test_inline_and_display_math_become_mathml():
    html = render_markdown("Cost is $O(n^2)$.\n\n$$\\frac{QK^\\top}{\\sqrt{d}}$$\n")
    assert '<math xmlns="http://www.w3.org/1998/Math/MathML" display="inline">' in html
    assert '<div class="math-display"><math xmlns="http://www.w3.org/1998/Math/MathML" display="block">' in html
    assert "<mfrac>" in html and "<msqrt>" in html
    assert "$" not in html


def test_dollar_amounts_stay_text():
    assert render_markdown("It costs $5 and $10.") == "<p>It costs $5 and $10.</p>"


def test_unparseable_math_is_shown_as_code_not_an_error():
    html = render_markdown("$\\frac{a$")
    assert "math-error" in html or "<math" in html  # never an exception


def test_tables_render():
    html = render_markdown("| a | b |\n|---|---|\n| 1 | 2 |\n")
    assert "<table>" in html and "<td>1</td>" in html


def test_a_list_may_start_right_after_a_paragraph_line():
    """As in CommonMark and on GitHub: 36 bank answers were written that way and showed their dashes inline."""
    html = render_markdown("**How.**\n- *fp8*: one scale\n- *int8*: finer scales\n\nSteps:\n1. measure\n2. decide")
    assert "<p><strong>How.</strong></p>\n<ul>\n<li><em>fp8</em>: one scale</li>" in html
    assert "<p>Steps:</p>\n<ol>\n<li>measure</li>\n<li>decide</li>\n</ol>" in html


def test_what_cannot_start_a_list_stays_as_written():
    # Only "1." interrupts a paragraph (a wrapped line may begin with a year); items of an open list,
    # lazy continuation lines and fenced code are left alone.
    assert render_markdown("It shipped in\n2024. Then it grew.") == "<p>It shipped in\n2024. Then it grew.</p>"
    assert render_markdown("- one\ncontinued\n- two").count("<ul>") == 1
    assert "- not a list" in render_markdown("```\nx = 1\n- not a list\n```")
    assert "<li>" not in render_markdown("```\nx = 1\n- not a list\n```")


def test_code_is_highlighted_with_css_classes():
    html = render_markdown("```python\nimport torch\n```\n")
    assert '<div class="highlight">' in html
    assert '<span class="kn">import</span>' in html
    assert "runnable-code" not in html


def test_python_run_fences_keep_the_sandbox_contract():
    html = render_markdown("```python run\nprint(1 < 2)\n```\n")
    match = re.search(r'<div class="runnable-code" data-runnable="python"><div class="highlight"><pre>(.*?)</pre>', html, re.S)
    assert match, html
    text = re.sub(r"<[^>]+>", "", match.group(1))
    assert text.strip() == "print(1 &lt; 2)"  # the <pre>'s textContent is exactly the code


def test_plain_text_drops_markup_but_keeps_words_whole():
    source = "**Bold** `kv_cache` and $x^2$.\n\nThen *more* prose."
    text = markdown_to_text(source)
    # One mark per inline formula; search snippets put inline_formulas(source)[n] in the n-th mark's place.
    assert text == f"Bold kv_cache and {FORMULA_MARK}. Then more prose."
    [formula] = inline_formulas(source)
    assert formula.startswith("<math") and "<msup>" in formula


def test_plain_text_leaves_out_code_blocks_and_display_formulas():
    source = "Before.\n\n```python run\nprint(1)\n```\n\n    indented_code()\n\n$$\na = b\n$$\n\nAfter."
    assert markdown_to_text(source) == "Before. … After."  # the gap where the formula was shows
    assert markdown_to_text("Formula:\n$$ p = e^{z} $$\nthen prose.") == "Formula: … then prose."  # raw TeX too


def test_rendering_is_cached_by_content():
    source = "Some *cached* text."
    assert render_markdown(source) is render_markdown(source)
