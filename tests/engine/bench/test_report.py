"""The Markdown pieces the benchmark reports share: header paragraphs and aligned tables."""
from __future__ import annotations

import pytest

from engine.bench.report import header, table


def test_header_separates_the_title_and_each_paragraph_with_a_blank_line():
    assert header("GPU check", "Measured today.", "Second.") == ["# GPU check", "", "Measured today.", "", "Second.", ""]
    assert header("Decode", level=2) == ["## Decode", ""]


def test_table_aligns_numbers_right_and_writes_empty_cells_as_a_single_space():
    assert table(("case", "error", ""), "<><", [("a", 0.5, ""), ("b", 1, "FAIL")]) == [
        "| case | error | |",
        "|---|---:|---|",
        "| a | 0.5 | |",
        "| b | 1 | FAIL |",
    ]


@pytest.mark.parametrize("align", ["<", "<>x"])
def test_table_refuses_an_alignment_that_does_not_fit_the_columns(align):
    with pytest.raises(ValueError, match="align"):
        table(("a", "b", "c"), align, [])


def test_table_refuses_a_row_of_the_wrong_width():
    with pytest.raises(ValueError, match="rows: a row has 1 cells; the table has 2 columns"):
        table(("a", "b"), "<<", [("only",)])
