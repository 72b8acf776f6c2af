"""Hostile Markdown/HTML never reaches the browser: the allow-list strips scripts, handlers and bad URLs."""
from __future__ import annotations

import pytest

from questions.markdown import render_markdown

HOSTILE = [
    "<script>alert(1)</script>",
    '<img src="x" onerror="alert(1)">',
    "[click](javascript:alert(1))",
    '<a href="JaVaScRiPt:alert(1)">x</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD4=">x</a>',
    '<p style="position:fixed;top:0">overlay</p>',
    '<iframe src="https://evil.example"></iframe>',
    '<svg onload="alert(1)"><circle/></svg>',
    '<math><mi xlink:href="javascript:alert(1)">x</mi></math>',
    '<div class="runnable-code" data-runnable="python" onclick="alert(1)">x</div>',
    '<form action="https://evil.example"><input name="password"></form>',
    '<object data="x.swf"></object><embed src="x.swf">',
    "<!-- <script>alert(1)</script> -->",
    '<a href="https://ok.example" target="_blank" onmouseover="alert(1)">ok</a>',
]


@pytest.mark.parametrize("source", HOSTILE)
def test_nothing_executable_survives(source):
    html = render_markdown(source).lower()
    for needle in ("<script", "onerror", "onload", "onclick", "onmouseover", "javascript:", "data:text", "style=",
                   "<iframe", "<svg", "<form", "<input", "<object", "<embed", "xlink:href"):
        assert needle not in html, (source, html)


def test_safe_links_are_kept_with_a_safe_rel():
    html = render_markdown("[paper](https://arxiv.org/abs/1706.03762)")
    assert 'href="https://arxiv.org/abs/1706.03762"' in html
    assert 'rel="noopener noreferrer nofollow"' in html


def test_the_runnable_contract_survives_sanitising():
    html = render_markdown('<div class="runnable-code" data-runnable="python" onclick="x()"><pre>print(1)</pre></div>')
    assert '<div class="runnable-code" data-runnable="python"><pre>print(1)</pre></div>' in html


def test_script_inside_a_code_fence_is_escaped_text():
    html = render_markdown("```html\n<script>alert(1)</script>\n```\n")
    assert "<script" not in html and "&lt;" in html and "script" in html
