"""Grading rules for every slot kind, as pure functions of (what was expected, what was given).

No database access here: services.py reads the slot and answer, calls these, and
stores the ``Grade``. Keeping the rules pure makes the tolerance edges easy to test.
"""
from __future__ import annotations

import math
from collections.abc import Collection
from dataclasses import dataclass

# Relative slack on the tolerance comparison itself: 1.01 * 100 is 101.00000000000001 in binary
# floating point, and an answer exactly at the stated tolerance must count as correct.
_FLOAT_SLACK = 1e-9


@dataclass(frozen=True)
class Grade:
    points: float
    max_points: float
    is_correct: bool | None  # None: not graded yet (free text awaiting the taker's self-grade)


class InvalidNumber(ValueError):
    """The text is not a finite number; the message is a user-facing sentence."""


def parse_number(raw: object) -> float:
    """Read a number as a person types it: ``2147483648``, ``2.1e9``, ``1,024``, ``-0.5``, ``1_000``.

    Thousands separators (commas, underscores, spaces) are dropped; anything else
    that is not a finite number is refused rather than guessed at.
    """
    if isinstance(raw, bool):
        raise InvalidNumber("must be a number, not true/false")
    if isinstance(raw, (int, float)):
        value = float(raw)
    elif isinstance(raw, str):
        text = raw.strip().replace(",", "").replace("_", "").replace(" ", "").replace("\u202f", "")
        if not text:
            raise InvalidNumber("must be a number; it is empty")
        try:
            value = float(text)
        except ValueError:
            raise InvalidNumber(f"must be a number such as 1024, 2.5 or 1.2e9 (got {raw[:40]!r})") from None
    else:
        raise InvalidNumber(f"must be a number (got {type(raw).__name__})")
    if not math.isfinite(value):
        raise InvalidNumber("must be a finite number")
    return value


def within_tolerance(given: float, expected: float, tolerance: float, mode: str) -> bool:
    """Is ``given`` within ``tolerance`` of ``expected``?

    ``relative``: |given - expected| <= tolerance * |expected|; when the expected value
    is 0 a relative band would be empty, so the tolerance is read as absolute there.
    ``absolute``: |given - expected| <= tolerance, in the item's unit.
    """
    if mode not in ("relative", "absolute"):
        raise ValueError(f"tolerance mode must be relative or absolute, got {mode!r}")
    allowed = tolerance * abs(expected) if mode == "relative" and expected != 0 else tolerance
    return abs(given - expected) <= allowed * (1 + _FLOAT_SLACK)


def grade_numeric(given: float | None, expected: float, tolerance: float, mode: str) -> Grade:
    if given is None:
        return Grade(0, 1, False)
    correct = within_tolerance(given, expected, tolerance, mode)
    return Grade(1 if correct else 0, 1, correct)


def grade_single(selected: Collection[int] | None, correct_ids: Collection[int]) -> Grade:
    correct = bool(selected) and len(selected) == 1 and set(selected) == set(correct_ids)
    return Grade(1 if correct else 0, 1, correct)


def grade_multiple(selected: Collection[int] | None, correct_ids: Collection[int]) -> Grade:
    """Partial credit: (right picks − wrong picks) / number of right options, never below 0.

    Correct only for the exact set. Subtracting wrong picks keeps ticking every box from paying:
    with as many wrong options as right ones it scores 0 (MULTIPLE_CHOICE_RULE says this to takers).
    """
    chosen, right = set(selected or ()), set(correct_ids)
    if not right:
        return Grade(0, 1, False)
    share = (len(chosen & right) - len(chosen - right)) / len(right)
    points = round(max(0.0, share), 4)
    return Grade(points, 1, bool(chosen) and chosen == right)


# What the take page and the kind's docs say about grade_multiple.
MULTIPLE_CHOICE_RULE = ("Each right tick earns its share of the point, each wrong tick takes a share away "
                        "(never below 0); only the exact set is fully right.")


def grade_self_scored(self_score: int | None, max_points: int) -> Grade:
    """An answer the taker grades against the model answer and key points, 0 to ``max_points``.

    Correct only with full marks; None until the taker has graded it.
    """
    if self_score is None:
        return Grade(0, max_points, None)
    if not 0 <= self_score <= max_points:
        raise ValueError(f"self_score must be between 0 and {max_points}, got {self_score}")
    return Grade(self_score, max_points, self_score == max_points)
