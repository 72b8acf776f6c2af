"""Markdown pieces the benchmark reports are built from: a titled header and a table.

Each report (``bench``, the decode peers, ``gpu-check``) renders its own numbers; the Markdown
syntax lives here once, so every table is written the same way and a change to it is one edit.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence

_RULES = {"<": "---", ">": "---:"}  # left for text, right for numbers (so digits line up)


def header(title: str, *paragraphs: str, level: int = 1) -> list[str]:
    """``# title`` then each paragraph (the first says where and when it was measured), blank-line separated."""
    lines = [f"{'#' * level} {title}", ""]
    for paragraph in paragraphs:
        lines += [paragraph, ""]
    return lines


def table(columns: Sequence[str], align: str, rows: Iterable[Sequence[object]]) -> list[str]:
    """A Markdown table; ``align`` has one character a column: ``<`` text, ``>`` numbers.

    Cells are written with ``str``: format the numbers before passing them.
    """
    if len(align) != len(columns) or set(align) - set(_RULES):
        raise ValueError(f"align: give one of '<' or '>' for each of the {len(columns)} columns, got {align!r}")
    lines = [_row(columns), "|" + "|".join(_RULES[a] for a in align) + "|"]
    for row in rows:
        cells = [str(cell) for cell in row]
        if len(cells) != len(columns):
            raise ValueError(f"rows: a row has {len(cells)} cells; the table has {len(columns)} columns")
        lines.append(_row(cells))
    return lines


def _row(cells: Sequence[str]) -> str:
    return "|" + "|".join(f" {cell} " if cell else " " for cell in cells) + "|"  # an empty cell is "| |"
