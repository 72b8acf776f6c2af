"""What the exercise pages and the API show: a submission's status fields, the verdict as HTML, attempt history."""
from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse

from prep_site.web.visitor import Visitor, visitor_for
from questions.exercises.cases import Timing
from questions.exercises.models import Exercise, Submission

HISTORY_LIMIT = 20


def status_url(submission: Submission) -> str:
    return reverse("exercises:api_status", args=[submission.pk])


def submission_fields(submission: Submission) -> dict[str, Any]:
    run, verdict = submission.run, submission.verdict
    return {
        "exercise": submission.exercise.slug,
        "mode": submission.mode,
        "seed": submission.seed,
        # While it runs, the newest output the worker streamed; once graded, the submission's whole output.
        "output": (verdict or {}).get("output", "") if run.is_final else run.live_output,
        "passed": submission.passed,
        "verdict": verdict,
    }


def _number(value: Any) -> str:
    return f"{value:.3g}" if isinstance(value, float) else str(value)


def _pair(value: Any) -> str:
    """A tolerance [atol, rtol] (or anything else the grader sent) as text."""
    if isinstance(value, (list, tuple)) and len(value) == 2:
        return f"atol {_number(value[0])}, rtol {_number(value[1])}"
    return "" if value is None else str(value)


def _shapes(value: Any) -> str:
    if isinstance(value, dict):
        return "; ".join(f"{name} {_shapes(shape)}" for name, shape in value.items())
    if isinstance(value, (list, tuple)) and value and all(isinstance(v, int) for v in value):
        return "[" + ", ".join(map(str, value)) + "]"
    if isinstance(value, (list, tuple)):  # the grader's "[2, 3] float32", "k=5", ...
        return " · ".join(_shapes(v) for v in value)
    return "" if value is None else str(value)


def verdict_context(verdict: dict[str, Any]) -> dict[str, Any]:
    tests = []
    for test in verdict.get("tests") or []:
        tests.append({
            **test,
            "shapes_text": _shapes(test.get("shapes")),
            "error_text": _number(test["max_abs_error"]) if test.get("max_abs_error") is not None else "",
            "tolerance_text": _pair(test.get("tolerance")),
            "mismatch_text": _shapes(test.get("first_mismatch")),
        })
    timing = verdict.get("timing")
    return {
        "verdict": verdict,
        "tests": tests,
        "passed_count": sum(1 for test in tests if test.get("passed")),
        "timing_sentence": Timing(**timing).sentence() if timing else "",
    }


def final_html(request: HttpRequest, submission: Submission) -> dict[str, str]:
    """HTML for a finished submission: the verdict, and after a graded Submit the reveal and the history."""
    html = {"verdict_html": render_verdict(submission)}
    if submission.mode == Submission.Mode.SUBMIT and submission.verdict is not None:
        visitor = visitor_for(request, create=False)
        html["after_html"] = render_to_string("exercises/_after_attempt.html", {"exercise": submission.exercise})
        html["history_html"] = render_to_string(
            "exercises/_history.html", {"history": history(submission.exercise, visitor)}
        )
    return html


def render_verdict(submission: Submission) -> str:
    verdict = submission.verdict
    context: dict[str, Any] = {"submission": submission, "run": submission.run}
    if verdict is not None:
        context.update(verdict_context(verdict))
    return render_to_string("exercises/_verdict.html", context)


def history(exercise: Exercise, visitor: Visitor | None) -> list[Submission]:
    """The visitor's latest Submits of this exercise, each with ``tests_summary`` ("3 of 5 passed")."""
    attempts = list(
        Submission.objects.of(visitor).attempts().filter(exercise=exercise).select_related("run")[:HISTORY_LIMIT]
    )
    for attempt in attempts:
        tests = (attempt.verdict or {}).get("tests") or []
        attempt.tests_summary = f"{sum(1 for t in tests if t.get('passed'))} of {len(tests)} passed" if tests else "—"
    return attempts


def has_attempted(exercise: Exercise, visitor: Visitor | None) -> bool:
    """The reference and walkthrough are shown once the visitor has a graded Submit of this exercise."""
    return Submission.objects.of(visitor).attempts().graded().filter(exercise=exercise).exists()
