"""Django's ``{# … #}`` comments end at the end of their line: one left open is printed on the page.

That happened once (a three-line note above the question page's demo panels showed to every visitor),
so every template is read for a ``{#`` whose ``#}`` is not on the same line. Longer notes use
``{% comment %}``.
"""
from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
TEMPLATE_DIRS = [REPO / "templates", *(p for p in REPO.glob("*/templates") if p.is_dir())]
OPEN_COMMENT = re.compile(r"\{#(?!.*#\})")


def test_no_template_has_a_one_line_comment_spread_over_lines() -> None:
    unclosed = [
        f"{path.relative_to(REPO)}:{number}"
        for folder in TEMPLATE_DIRS
        for path in sorted(folder.rglob("*.html"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if OPEN_COMMENT.search(line)
    ]
    assert not unclosed, f"{{# … #}} must close on its own line; use {{% comment %}} here: {', '.join(unclosed)}"
