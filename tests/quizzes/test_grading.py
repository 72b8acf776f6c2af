"""Grading rules for every kind, with the tolerance edges spelled out."""
from __future__ import annotations

import pytest

from questions.quizzes.grading import (
    InvalidNumber,
    grade_multiple,
    grade_numeric,
    grade_self_scored,
    grade_single,
    parse_number,
    within_tolerance,
)


class TestRelativeTolerance:
    def test_exactly_at_the_tolerance_is_correct(self) -> None:
        assert within_tolerance(101, 100, 0.01, "relative")
        assert within_tolerance(99, 100, 0.01, "relative")

    def test_just_over_the_tolerance_is_wrong(self) -> None:
        assert not within_tolerance(101.0001, 100, 0.01, "relative")
        assert not within_tolerance(98.9999, 100, 0.01, "relative")

    def test_negative_expected_uses_its_magnitude(self) -> None:
        assert within_tolerance(-101, -100, 0.01, "relative")
        assert not within_tolerance(-102, -100, 0.01, "relative")
        assert not within_tolerance(100, -100, 0.01, "relative")

    def test_zero_expected_reads_the_tolerance_as_absolute(self) -> None:
        assert within_tolerance(0.01, 0, 0.01, "relative")
        assert within_tolerance(0, 0, 0.01, "relative")
        assert not within_tolerance(0.02, 0, 0.01, "relative")

    def test_huge_values_at_the_edge(self) -> None:
        assert within_tolerance(2147483648 * 1.01, 2147483648, 0.01, "relative")
        assert not within_tolerance(2147483648 * 1.0101, 2147483648, 0.01, "relative")


class TestAbsoluteTolerance:
    def test_exactly_at_and_just_over(self) -> None:
        assert within_tolerance(10.5, 10, 0.5, "absolute")
        assert within_tolerance(9.5, 10, 0.5, "absolute")
        assert not within_tolerance(10.5001, 10, 0.5, "absolute")

    def test_does_not_scale_with_the_answer(self) -> None:
        # 1% of 1000 would be 10; absolute 0.5 means 0.5.
        assert not within_tolerance(1001, 1000, 0.5, "absolute")

    def test_negative_and_zero(self) -> None:
        assert within_tolerance(-0.2, 0, 0.25, "absolute")
        assert within_tolerance(-3.25, -3, 0.25, "absolute")
        assert not within_tolerance(-3.3, -3, 0.25, "absolute")


def test_unknown_mode_is_refused() -> None:
    with pytest.raises(ValueError, match="relative or absolute"):
        within_tolerance(1, 1, 0.1, "percent")


def test_grade_numeric_unanswered_is_wrong() -> None:
    assert grade_numeric(None, 5, 0.1, "relative").is_correct is False
    assert grade_numeric(5.4, 5, 0.1, "relative").points == 1


class TestParseNumber:
    @pytest.mark.parametrize("text, value", [
        ("2147483648", 2147483648.0), ("2.1e9", 2.1e9), ("1,024", 1024.0), (" -0.5 ", -0.5), ("1_000", 1000.0),
        ("0", 0.0), (42, 42.0), (1.5, 1.5), ("1 000", 1000.0),
    ])
    def test_accepts_what_people_type(self, text: object, value: float) -> None:
        assert parse_number(text) == value

    @pytest.mark.parametrize("text", ["", "abc", "12 GB", "nan", "inf", "1e999", True, None, [1]])
    def test_refuses_anything_else(self, text: object) -> None:
        with pytest.raises(InvalidNumber):
            parse_number(text)


class TestChoices:
    def test_single_needs_the_one_right_option(self) -> None:
        assert grade_single([3], {3}).is_correct
        assert not grade_single([4], {3}).is_correct
        assert not grade_single([], {3}).is_correct
        assert not grade_single(None, {3}).is_correct

    def test_multiple_gives_right_minus_wrong_picks_over_the_right_count_floored_at_zero(self) -> None:
        def graded(selected):
            grade = grade_multiple(selected, {1, 2, 3})
            return grade.points, grade.is_correct

        assert graded([1, 2, 3]) == (1, True)
        assert graded([1, 2]) == (0.6667, False)  # two of three right, nothing wrong
        assert graded([1, 2, 4]) == (0.3333, False)  # a wrong tick takes one share away
        assert graded([1, 4, 5]) == (0, False)  # floored at 0, never negative
        assert graded([1, 2, 3, 4, 5, 6]) == (0, False)  # ticking every box does not pay
        assert graded([]) == (0, False) and graded(None) == (0, False)


class TestFreeText:
    @pytest.mark.parametrize("score, correct", [(0, False), (1, False), (2, True)])
    def test_self_score_is_the_points(self, score: int, correct: bool) -> None:
        grade = grade_self_scored(score, 2)
        assert (grade.points, grade.max_points, grade.is_correct) == (score, 2, correct)

    def test_ungraded_is_pending(self) -> None:
        assert grade_self_scored(None, 2).is_correct is None

    @pytest.mark.parametrize("score", [-1, 3])
    def test_out_of_range(self, score: int) -> None:
        with pytest.raises(ValueError, match="between 0 and 2"):
            grade_self_scored(score, 2)
