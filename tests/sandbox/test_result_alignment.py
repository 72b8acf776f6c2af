"""Result tables: numbers (with or without a unit) line up on the right, words on the left, headers with their column."""

from __future__ import annotations

import pytest
from run_factories import succeeded

from sandbox.display.rendering import render_result
from sandbox.templatetags.sandbox_tags import is_number_cell, numeric_headers

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("text", ["1,024", "0.53", "6.210e-07", "—", "-3", "0.25 MiB", "6.6 GB/s", "12%"])
def test_numbers_and_numbers_with_units_count_as_numbers(text):
    assert is_number_cell(text)


@pytest.mark.parametrize("text", ["greedy", "top-k 20", "The old forest was a place", "", "sdpa"])
def test_words_do_not(text):
    assert not is_number_cell(text)


def test_a_header_is_numeric_only_when_its_whole_column_is():
    rows = [["greedy", "0.935", "The forest"], ["top-k 20", "1", "A walk"]]
    assert numeric_headers(["strategy", "distinct-2", "text"], rows) == [
        ("strategy", False), ("distinct-2", True), ("text", False),
    ]  # fmt: skip
    assert numeric_headers(["n"], []) == [("n", False)]


def test_the_rendered_table_marks_number_cells_and_their_headers():
    run = succeeded(
        result={"table": {"columns": ["strategy", "tokens", "text"], "rows": [["greedy", 32, "The old forest"]]}}
    )
    html = render_result(run)
    assert '<th scope="col">strategy</th><th scope="col" class="num">tokens</th><th scope="col">text</th>' in html
    assert '<td>greedy</td><td class="num">32</td><td>The old forest</td>' in html
