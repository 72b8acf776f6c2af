"""The rules every auto-gradable quiz item must satisfy, in one place.

The bank loader, the admin forms and the importer all check the same
invariants (a single-choice item has exactly one right answer, a numeric item
has an answer and a positive tolerance), so they share this module instead of
each carrying its own copy of the rules and the wording of the messages.
"""
from __future__ import annotations

import math
from collections.abc import Sequence

QUIZ_KINDS = ("single", "multiple", "numeric")
TOLERANCE_MODES = ("relative", "absolute")


def choice_item_problems(kind: str, correct_flags: Sequence[bool]) -> list[str]:
    """Problems with the options of a single/multiple item, as user-facing sentences."""
    problems: list[str] = []
    correct = sum(1 for flag in correct_flags if flag)
    if len(correct_flags) < 2:
        problems.append(f"a {kind}-choice item needs at least two options (found {len(correct_flags)})")
    if kind == "single" and correct != 1:
        problems.append(f"a single-choice item needs exactly one correct option (found {correct})")
    if kind == "multiple" and correct < 1:
        problems.append("a multiple-choice item needs at least one correct option (found 0)")
    return problems


def numeric_item_problems(answer: object, tolerance: object, tolerance_mode: str = "relative") -> list[str]:
    """Problems with the answer/tolerance of a numeric item, as user-facing sentences."""
    problems: list[str] = []
    if not _is_finite_number(answer):
        problems.append(f"a numeric item needs a numeric answer (got {answer!r})")
    if not _is_finite_number(tolerance) or float(tolerance) <= 0:  # type: ignore[arg-type]
        problems.append(f"a numeric item needs a positive tolerance (got {tolerance!r})")
    if tolerance_mode not in TOLERANCE_MODES:
        problems.append(f"tolerance_mode must be one of {', '.join(TOLERANCE_MODES)} (got {tolerance_mode!r})")
    return problems


def _is_finite_number(value: object) -> bool:
    # bool is an int subclass; `answer: true` in YAML is a mistake, not the number 1.
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    return math.isfinite(value)
