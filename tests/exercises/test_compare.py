"""The comparison of a submission's output with the oracle's: each kind of difference gets its own sentence."""
from __future__ import annotations

import math

import torch

from questions.exercises.catalogue import DEFAULT_TOLERANCE
from questions.exercises.grading.compare import Agreement, Mismatch, compare


def tolerance(dtype: str):
    return DEFAULT_TOLERANCE.get(dtype)


def test_a_close_enough_float32_output_agrees_and_reports_its_error() -> None:
    expected = torch.tensor([1.0, 2.0, 3.0])
    result = compare(expected, expected + 1e-6, tolerance)
    assert isinstance(result, Agreement)
    assert 0 < result.max_abs_error < 2e-6 and result.tolerance == (1e-5, 1e-4)


def test_the_first_mismatch_and_the_largest_error_are_reported() -> None:
    expected = torch.zeros(2, 3)
    got = expected.clone()
    got[0, 2], got[1, 1] = 0.5, 2.0
    result = compare(expected, got, tolerance)
    assert isinstance(result, Mismatch)
    assert result.first_mismatch == [0, 2] and result.max_abs_error == 2.0
    assert "max abs error 2 exceeds the tolerance (atol 1e-05, rtol 0.0001)" in result.message
    assert "first at index [0, 2]: expected 0, got 0.5" in result.message


def test_shape_and_dtype_say_expected_and_got() -> None:
    expected = torch.zeros(2, 3)
    assert compare(expected, torch.zeros(3, 2), tolerance).message == "output: wrong shape: expected [2, 3], got [3, 2]"
    assert compare(expected, torch.zeros(2, 3, dtype=torch.float64), tolerance).message == (
        "output: wrong dtype: expected float32, got float64")


def test_nan_and_inf_where_none_belong_are_named() -> None:
    expected = torch.tensor([0.25, 0.75])
    assert compare(expected, torch.tensor([0.25, math.nan]), tolerance).message.startswith(
        "output: NaN at index [1], where the expected value is 0.75")
    assert "inf at index [0]" in compare(expected, torch.tensor([math.inf, 0.75]), tolerance).message


def test_minus_inf_must_sit_exactly_where_the_oracle_has_it() -> None:
    expected = torch.tensor([0.0, -math.inf, 1.0])
    assert isinstance(compare(expected, expected.clone(), tolerance), Agreement)
    moved = compare(expected, torch.tensor([-math.inf, 0.0, 1.0]), tolerance)
    assert isinstance(moved, Mismatch) and moved.first_mismatch == [0]
    assert "-inf at index [0], where the expected value is 0" in moved.message


def test_integer_outputs_and_exact_cases_are_compared_exactly() -> None:
    assert isinstance(compare(torch.tensor([1, 2]), torch.tensor([1, 2]), tolerance), Agreement)
    off = compare(torch.tensor([1, 2]), torch.tensor([1, 3]), tolerance)
    assert isinstance(off, Mismatch) and "compared exactly" in off.message and off.first_mismatch == [1]
    tiny = compare(torch.tensor([1.0]), torch.tensor([1.0 + 1e-7]), tolerance, exact=True)
    assert isinstance(tiny, Mismatch)


def test_containers_numbers_and_strings() -> None:
    expected = (torch.zeros(2), {"ids": [1, 2], "text": "ok"}, 0.5)
    assert isinstance(compare(expected, [torch.zeros(2), {"ids": [1, 2], "text": "ok"}, 0.5 + 1e-12], tolerance), Agreement)
    assert compare(expected, (torch.zeros(2),), tolerance).message == "output: expected a tuple of 3, got a tuple of 1"
    wrong_key = compare(expected, (torch.zeros(2), {"ids": [1, 2]}, 0.5), tolerance)
    assert wrong_key.message == "output[1]: expected a dict with keys ['ids', 'text'], got keys ['ids']"
    assert compare(expected, (torch.zeros(2), {"ids": [1, 5], "text": "ok"}, 0.5), tolerance).message == (
        "output[1]['ids'][1]: expected 2, got 5")
    assert "expected the number 0.5, got" in compare(0.5, "0.5", tolerance).message


def test_a_tensor_where_a_tensor_is_expected() -> None:
    result = compare(torch.zeros(2), [0.0, 0.0], tolerance)
    assert result.message == "output: expected a float32 tensor of shape [2], got a list of 2"
