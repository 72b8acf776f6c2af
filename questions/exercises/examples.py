"""The visible cases of an exercise as the page shows them: the call and the expected result, as text.

Computed when the bank is loaded (``sync.py``), on the machine that runs ``load_bank``: it needs
torch and the exercise's ``cases.py``, which the web process never imports. The page then shows
stored strings.
"""
from __future__ import annotations

from typing import Any

from questions.exercises.catalogue import ExerciseSpec
from questions.exercises.grading.exercise_cases import cases_module
from questions.exercises.grading.grade import CHECK_SEED

MAX_SHOWN_ELEMENTS = 32  # a tensor with more elements is described by shape and dtype, not printed


def _nested(values: Any) -> str:
    """A tensor's ``tolist()`` with floats to four significant figures: 0.09003, not 0.09003057330846786."""
    if isinstance(values, list):
        return "[" + ", ".join(_nested(item) for item in values) + "]"
    if isinstance(values, float):
        text = f"{values:.4g}"
        return text if any(c in text for c in ".eni") else text + "."  # 2.0 reads "2.", like torch prints it
    return repr(values)


def describe(value: Any) -> str:
    """A short, readable rendering of an input or output: small tensors printed, large ones by shape."""
    import torch

    if isinstance(value, torch.Tensor):
        dtype = str(value.dtype).removeprefix("torch.")
        if value.numel() > MAX_SHOWN_ELEMENTS:
            return f"<tensor of shape [{', '.join(map(str, value.shape))}], {dtype}>"
        return f"tensor({_nested(value.detach().tolist())}, dtype={dtype})"
    if isinstance(value, (list, tuple)):
        inner = ", ".join(describe(item) for item in value)
        return f"[{inner}]" if isinstance(value, list) else f"({inner}{',' if len(value) == 1 else ''})"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{key!r}: {describe(item)}" for key, item in value.items()) + "}"
    return repr(value)


def visible_examples(spec: ExerciseSpec) -> list[dict[str, str]]:
    """[{"name", "explain", "call", "expected"}] for the cases marked visible, in their order."""
    module = cases_module(spec)
    examples = []
    for case in module.cases(CHECK_SEED):  # the seed Check grades with: the page shows what Check runs
        if not case.visible:
            continue
        arguments = [describe(arg) for arg in case.args] + [f"{key}={describe(v)}" for key, v in case.kwargs.items()]
        examples.append({
            "name": case.name,
            "explain": case.explain,
            "call": f"{spec.function}({', '.join(arguments)})",
            "expected": describe(module.expected(case)),
        })
    return examples
