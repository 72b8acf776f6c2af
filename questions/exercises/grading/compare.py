"""Compare a submission's output with the oracle's: structure, shape, dtype, non-finite values, closeness.

The first difference found is reported as a sentence plus the numbers a visitor needs to find the
bug: the largest absolute error against the tolerance and the first index where they disagree.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch

Tolerance = Callable[[str], "tuple[float, float] | None"]  # dtype name -> (atol, rtol); None: compare exactly


@dataclass(frozen=True)
class Mismatch:
    message: str
    max_abs_error: float | None = None
    tolerance: tuple[float, float] | None = None  # (atol, rtol) the values were held to
    first_mismatch: list[int] | None = None  # index into the tensor where the outputs first disagree


@dataclass(frozen=True)
class Agreement:
    """Passed; the numbers still go on the page (how close it came)."""

    max_abs_error: float | None = None
    tolerance: tuple[float, float] | None = None


def dtype_name(dtype: torch.dtype) -> str:
    return str(dtype).removeprefix("torch.")


def describe(value: Any) -> str:
    """A short type-and-shape description for messages: "a float32 tensor of shape [2, 3]"."""
    if isinstance(value, torch.Tensor):
        return f"a {dtype_name(value.dtype)} tensor of shape {list(value.shape)}"
    if isinstance(value, (list, tuple, dict)):
        return f"a {type(value).__name__} of {len(value)}"
    return f"{type(value).__name__} {value!r}"[:80]


def compare(expected: Any, got: Any, tolerance: Tolerance, *, exact: bool = False, where: str = "output") -> Mismatch | Agreement:
    if isinstance(expected, torch.Tensor):
        return _compare_tensors(expected, got, tolerance, exact, where)
    if isinstance(expected, (list, tuple)):
        if not isinstance(got, (list, tuple)) or len(got) != len(expected):
            return Mismatch(f"{where}: expected {describe(expected)}, got {describe(got)}")
        return _all(((e, g, f"{where}[{i}]") for i, (e, g) in enumerate(zip(expected, got))), tolerance, exact)
    if isinstance(expected, dict):
        if not isinstance(got, dict) or set(got) != set(expected):
            keys = sorted(map(str, got)) if isinstance(got, dict) else None
            return Mismatch(f"{where}: expected a dict with keys {sorted(map(str, expected))}, got "
                            + (f"keys {keys}" if keys is not None else describe(got)))
        return _all(((expected[k], got[k], f"{where}[{k!r}]") for k in expected), tolerance, exact)
    return _compare_scalars(expected, got, tolerance, exact, where)


def _all(items, tolerance: Tolerance, exact: bool) -> Mismatch | Agreement:
    worst: Agreement = Agreement()
    for expected, got, where in items:
        result = compare(expected, got, tolerance, exact=exact, where=where)
        if isinstance(result, Mismatch):
            return result
        if result.max_abs_error is not None and (worst.max_abs_error is None or result.max_abs_error > worst.max_abs_error):
            worst = result
    return worst


def _compare_scalars(expected: Any, got: Any, tolerance: Tolerance, exact: bool, where: str) -> Mismatch | Agreement:
    if isinstance(expected, bool) or isinstance(expected, str) or expected is None:
        if type(got) is not type(expected) or got != expected:
            return Mismatch(f"{where}: expected {expected!r}, got {describe(got)}")
        return Agreement()
    if isinstance(expected, (int, float)):
        if isinstance(got, torch.Tensor) and got.numel() == 1 and got.dim() == 0:
            got = got.item()  # a 0-d tensor where a number is asked for is the same answer
        if isinstance(got, bool) or not isinstance(got, (int, float)):
            return Mismatch(f"{where}: expected the number {expected!r}, got {describe(got)}")
        if isinstance(expected, int) or exact:
            if got != expected:
                return Mismatch(f"{where}: expected {expected!r}, got {got!r}", abs(float(got) - expected))
            return Agreement(0.0)
        pair = tolerance("float64") or (0.0, 0.0)
        if math.isnan(expected) or math.isnan(got) or math.isinf(expected) or math.isinf(got):
            ok = (math.isnan(expected) and math.isnan(got)) or got == expected
            return Agreement() if ok else Mismatch(f"{where}: expected {expected!r}, got {got!r}")
        error = abs(got - expected)
        if error > pair[0] + pair[1] * abs(expected):
            return Mismatch(f"{where}: expected {expected!r}, got {got!r} (off by {error:.3g}; "
                            f"allowed {pair[0]:g} + {pair[1]:g}·|expected|)", error, pair)
        return Agreement(error, pair)
    return Mismatch(f"{where}: the oracle returned an unsupported {type(expected).__name__}; fix cases.py")


def _compare_tensors(expected: torch.Tensor, got: Any, tolerance: Tolerance, exact: bool, where: str) -> Mismatch | Agreement:
    if not isinstance(got, torch.Tensor):
        return Mismatch(f"{where}: expected {describe(expected)}, got {describe(got)}")
    if got.shape != expected.shape:
        return Mismatch(f"{where}: wrong shape: expected {list(expected.shape)}, got {list(got.shape)}")
    if got.dtype != expected.dtype:
        return Mismatch(f"{where}: wrong dtype: expected {dtype_name(expected.dtype)}, got {dtype_name(got.dtype)}")
    pair = None if exact else tolerance(dtype_name(expected.dtype))
    if not (expected.is_floating_point() or expected.is_complex()):
        pair = None
    if pair is None:
        if expected.is_floating_point():
            same = (got == expected) | (torch.isnan(got) & torch.isnan(expected))
        else:
            same = got == expected
        if bool(same.all()):
            return Agreement(0.0 if expected.numel() else None)
        index = _first(~same)
        return Mismatch(f"{where}: values differ (compared exactly): at index {index} expected "
                        f"{_item(expected, index)}, got {_item(got, index)}",
                        _max_abs_error(expected, got), None, index)

    # Non-finite values first: they must sit exactly where the oracle has them.
    finite_e, finite_g = torch.isfinite(expected), torch.isfinite(got)
    if not (bool(finite_e.all()) and bool(finite_g.all())):  # the common case skips these checks
        problem = _non_finite_problem(expected, got, where)
        if problem is not None:
            return Mismatch(problem[0], None, pair, problem[1])
    finite = finite_e
    atol, rtol = pair
    e64, g64 = expected.double(), got.double()
    error = (g64 - e64).abs().nan_to_num_(0.0)  # matching inf/NaN positions were checked above: no error there
    max_error = float(error.max()) if error.numel() else 0.0
    bad = (error > atol + rtol * e64.abs()) & finite
    if bool(bad.any()):
        index = _first(bad)
        return Mismatch(
            f"{where}: values differ: max abs error {max_error:.3g} exceeds the tolerance (atol {atol:g}, rtol {rtol:g}); "
            f"first at index {index}: expected {_item(expected, index)}, got {_item(got, index)}",
            max_error, pair, index,
        )
    return Agreement(max_error, pair)


def _non_finite_problem(expected: torch.Tensor, got: torch.Tensor, where: str) -> tuple[str, list[int]] | None:
    """A NaN or inf of the submission where the oracle has none, or the other way round (message, index)."""
    nan_e, nan_g = torch.isnan(expected), torch.isnan(got)
    if bool((nan_g & ~nan_e).any()):
        index = _first(nan_g & ~nan_e)
        return f"{where}: NaN at index {index}, where the expected value is {_item(expected, index)}", index
    if bool((nan_e & ~nan_g).any()):
        index = _first(nan_e & ~nan_g)
        return f"{where}: expected NaN at index {index}, got {_item(got, index)}", index
    wrong_inf = (torch.isinf(expected) | torch.isinf(got)) & (got != expected)
    if bool(wrong_inf.any()):
        index = _first(wrong_inf)
        overflow = " (an overflow?)" if bool(torch.isinf(got[tuple(index)])) else ""
        return f"{where}: {_item(got, index)} at index {index}, where the expected value is {_item(expected, index)}{overflow}", index
    return None


def _first(mask: torch.Tensor) -> list[int]:
    return [int(i) for i in mask.nonzero()[0].tolist()]


def _item(tensor: torch.Tensor, index: list[int]) -> str:
    value = tensor[tuple(index)].item()
    return f"{value:.6g}" if isinstance(value, float) else repr(value)


def _max_abs_error(expected: torch.Tensor, got: torch.Tensor) -> float | None:
    if not expected.numel() or expected.dtype == torch.bool:
        return None
    return float((got.double() - expected.double()).abs().nan_to_num(0.0).max())
