"""Grading a submission: cases on the worker, the submission in the sandbox, the comparison on the worker.

``grade(spec, source, mode, seed, sandbox, on_output) -> Verdict`` is the one entry point (grade.py).
"""
from questions.exercises.grading.grade import LOCAL, grade
from questions.exercises.grading.verdict import TestResult, Verdict

__all__ = ["LOCAL", "TestResult", "Verdict", "grade"]
