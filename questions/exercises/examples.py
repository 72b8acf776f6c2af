"""The visible cases of an exercise as the page shows them: the call and the expected result, as text.

Computed when the bank is loaded (``sync.py``), on the machine that runs ``load_bank``: it needs
torch and the exercise's ``cases.py``, which the web process never imports. The page then shows
stored strings.
"""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

from questions.exercises.catalogue import ExerciseSpec

EXAMPLE_SEED = 0  # visible cases are hand-written; a fixed seed keeps any random part stable between loads
MAX_SHOWN_ELEMENTS = 32  # a tensor with more elements is described by shape and dtype, not printed


def load_cases_module(path: Path) -> ModuleType:
    """Import an exercise's ``cases.py`` under a name of its own (every exercise has a file of that name)."""
    name = f"_exercise_cases_{path.parent.name.replace('-', '_')}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"{path}: cannot be imported")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses and pickling look modules up by name
    spec.loader.exec_module(module)
    return module


def describe(value: Any) -> str:
    """A short, readable rendering of an input or output: small tensors printed, large ones by shape."""
    import torch

    if isinstance(value, torch.Tensor):
        dtype = str(value.dtype).removeprefix("torch.")
        if value.numel() > MAX_SHOWN_ELEMENTS:
            return f"<tensor of shape [{', '.join(map(str, value.shape))}], {dtype}>"
        with torch.no_grad():
            values = repr(value.tolist())
        return f"tensor({values}, dtype={dtype})"
    if isinstance(value, (list, tuple)):
        inner = ", ".join(describe(item) for item in value)
        return f"[{inner}]" if isinstance(value, list) else f"({inner}{',' if len(value) == 1 else ''})"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{key!r}: {describe(item)}" for key, item in value.items()) + "}"
    return repr(value)


def visible_examples(spec: ExerciseSpec) -> list[dict[str, str]]:
    """[{"name", "explain", "call", "expected"}] for the cases marked visible, in their order."""
    module = load_cases_module(spec.cases_path)
    examples = []
    for case in module.cases(EXAMPLE_SEED):
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
