"""Grade one submission: make the cases, run the submission on their inputs, compare with the oracle.

The trust boundary: cases, oracle, tolerances and reference live here, on the worker. Only the
submission and the cases' ``args``/``kwargs`` cross into the sandbox; only the submission's outputs
(plain data, read with ``weights_only=True``) and its printed text come back.
"""
from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from contextlib import contextmanager
from typing import Any, Iterator, Literal

import torch

from questions.exercises.cases import Case, Timing
from questions.exercises.catalogue import ExerciseSpec
from questions.exercises.grading import execute
from questions.exercises.grading.compare import Mismatch, compare, describe, dtype_name
from questions.exercises.grading.exercise_cases import build_cases, cases_module
from questions.exercises.grading.verdict import TestResult, Verdict
from sandbox.jail.runner import MB, Jail, Limits, Sandbox, get_sandbox

Mode = Literal["submit", "check"]
LOCAL = "local"  # grade(sandbox=LOCAL): the test path, for bank content only (no isolation)
CHECK_SEED = 0  # "Check" runs the visible examples, which must read the same every time
# The cap on what a submission's outputs may weigh in total (the largest case's output is a few MB).
DEFAULT_RESULT_MB = 64


def grade(
    spec: ExerciseSpec,
    source: str,
    mode: Mode = "submit",
    seed: int | None = None,
    sandbox: Sandbox | str | None = None,
    on_output: execute.OutputListener | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> Verdict:
    """Grade ``source`` against ``spec``'s cases.

    ``sandbox``: None uses the configured sandbox (settings.SANDBOX_BACKEND); a Sandbox instance is used
    as is; ``"local"`` runs without isolation (in-process, or a forked child when a case caps
    memory) and is only for trusted code such as the bank's own references in tests.
    ``seed``: None picks one for "submit" (recorded in the verdict, so a re-run reproduces); "check" uses 0.
    ``on_output`` gets the submission's printed text as it arrives; ``should_stop`` (polled) cancels the run.
    """
    if mode not in ("submit", "check"):
        raise ValueError(f"mode must be 'submit' or 'check', got {mode!r}")
    if seed is None:
        seed = CHECK_SEED if mode == "check" else secrets.randbelow(2**31)
    cases = build_cases(spec, seed)
    if mode == "check":
        cases = [case for case in cases if case.visible]
    inputs = execute.encode_inputs(spec.function, cases)
    execution = _execute(sandbox, source, inputs, cases, on_output, should_stop)
    return _verdict(spec, mode, seed, cases, execution)


def _execute(sandbox: Sandbox | str | None, source: str, inputs: bytes, cases: list[Case],
             on_output: execute.OutputListener | None, should_stop: Callable[[], bool] | None) -> execute.Execution:
    if sandbox == LOCAL:
        if any(case.memory_limit_bytes is not None for case in cases):
            return execute.in_fork(source, inputs, Limits().wall_seconds, on_output)
        return execute.in_process(source, inputs, on_output)
    limits, result_bytes = _limits()
    if sandbox is None:
        from django.conf import settings

        sandbox = get_sandbox(settings.SANDBOX_BACKEND, Jail.from_settings())
    assert isinstance(sandbox, Sandbox), f"sandbox must be a Sandbox, None or {LOCAL!r}"
    return execute.in_sandbox(sandbox, limits, source, inputs, result_bytes, on_output, should_stop)


def _limits() -> tuple[Limits, int]:
    """The code runs' limits (one sandbox policy for both), and the cap on returned outputs."""
    try:
        from django.conf import settings

        return Limits.from_settings(), settings.EXERCISE_RESULT_MB * MB
    except Exception:  # outside Django (a script): the runner's defaults
        return Limits(), DEFAULT_RESULT_MB * MB


def _verdict(spec: ExerciseSpec, mode: Mode, seed: int, cases: list[Case], execution: execute.Execution) -> Verdict:
    loaded = next((r for r in execution.records if r["kind"] == "loaded"), None)
    if loaded is None:
        error = execution.stopped or "The grader's program stopped before it loaded your code."
    else:
        error = loaded["error"] or execution.stopped or None
    results = {r["case"]: r for r in execution.records if r["kind"] == "case"}
    started = {r["case"] for r in execution.records if r["kind"] == "start"}
    module = cases_module(spec)
    tests, timing = [], None
    for case in cases:
        test = TestResult(case.name, False, "", visible=case.visible, shapes=_shapes(case))
        record = results.get(case.name)
        if loaded is not None and loaded["error"]:
            test.message, test.traceback = f"Not run: {loaded['error']}", loaded["traceback"]
        elif record is None:
            stopped = execution.stopped or "The run stopped"
            test.message = (f"{stopped} (while running this case). {case.explain}" if case.name in started
                            else f"Not run: {stopped} before this case.")
        elif not record["ok"]:
            test.message, test.traceback = _raised_message(case, record), record["traceback"]
        else:
            oracle_s = _judge(test, case, record["output"], module, spec)
            test.seconds = round(float(record["seconds"]), 6)
            if test.passed and case.is_large:
                timing = Timing(case.name, test.seconds, round(_engine_seconds(module, case, oracle_s), 6))
        tests.append(test)
    return Verdict(spec.slug, bool(tests) and all(t.passed for t in tests), mode, seed, tests, timing, error,
                   execution.output)


def _raised_message(case: Case, record: dict) -> str:
    if record["memory"] and case.memory_limit_bytes is not None:
        return f"Ran out of memory: this case allows {case.memory_limit_bytes / MB:g} MB of extra memory. {case.explain}"
    return f"Your function raised {record['error']}. This case checks: {case.explain}"


def _judge(test: TestResult, case: Case, output: Any, module: Any, spec: ExerciseSpec) -> float:
    """Compare ``output`` with the oracle's into ``test``; returns the oracle's seconds."""
    started = time.perf_counter()
    expected = module.expected(case)
    oracle_s = time.perf_counter() - started
    result = compare(expected, output, spec.tolerance_for, exact=case.compare == "exact")
    test.max_abs_error = result.max_abs_error
    test.tolerance = list(result.tolerance) if result.tolerance else None
    if isinstance(result, Mismatch):
        test.first_mismatch = result.first_mismatch
        test.message = f"{result.message}. This case checks: {case.explain}"
    else:
        test.passed = True
        test.message = _passed_message(result.max_abs_error, result.tolerance)
    return oracle_s


def _engine_seconds(module: Any, case: Case, oracle_s: float) -> float:
    """The engine's time on the large case: its production path when cases.py names one (``engine``)."""
    engine = getattr(module, "engine", None)
    if not callable(engine):
        return oracle_s
    with _one_thread():
        engine(case)  # once to warm up (first-call allocations), as the submission's run had its imports done
        started = time.perf_counter()
        engine(case)
        return time.perf_counter() - started


@contextmanager
def _one_thread() -> Iterator[None]:
    """Time the engine on one thread, as the sandboxed submission runs (OMP_NUM_THREADS=1): a fair race."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def _passed_message(error: float | None, tolerance: tuple[float, float] | None) -> str:
    if error is None or tolerance is None:
        return "Passed."
    return f"Passed: max abs error {error:.2g} (tolerance atol {tolerance[0]:g}, rtol {tolerance[1]:g})."


def _shapes(case: Case) -> list[str]:
    def one(value: Any) -> str:
        if isinstance(value, torch.Tensor):
            return f"{list(value.shape)} {dtype_name(value.dtype)}"
        text = repr(value) if isinstance(value, (int, float, bool, str, type(None))) else describe(value)
        return text if len(text) <= 60 else text[:57] + "..."

    return [one(arg) for arg in case.args] + [f"{key}={one(value)}" for key, value in case.kwargs.items()]
