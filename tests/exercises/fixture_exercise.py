"""A small exercise written into a throwaway bank: ``add-one`` (``add_one(x) -> x + 1``).

It grades in a second or two, so tests exercise the real catalogue, sync, queue and grader without
depending on the real bank's content. Plain functions (no fixtures), so the browser tests use them too.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

EXERCISE_MD = """---
{front}---
Write `add_one(x)`, which returns a new tensor holding $x + 1$ element by element, in the dtype of `x`.

## Walkthrough
Adding a Python number broadcasts over every element and keeps the dtype: `x + 1` is the whole answer.
"""
STARTER = '''import torch
from torch import Tensor


def add_one(x: Tensor) -> Tensor:
    """Return x + 1, element by element."""
    raise NotImplementedError
'''
REFERENCE = '''import torch
from torch import Tensor


def add_one(x: Tensor) -> Tensor:
    return x + 1
'''
WRONG_SUBTRACTS = '''"""Subtracts one instead of adding it."""


def add_one(x):
    return x - 1
'''
WRONG_PLUS_TWO = '''"""Adds two."""


def add_one(x):
    return x + 2
'''
CASES = '''import torch

from questions.exercises.cases import Case


def cases(seed: int) -> list[Case]:
    g = torch.Generator().manual_seed(seed)
    return [
        Case("one-two-three", args=(torch.tensor([1.0, 2.0, 3.0]),), visible=True,
             explain="A small hand-checkable vector."),
        Case("a-zero", args=(torch.zeros(1, dtype=torch.float64),), visible=True, explain="Zero becomes one."),
        Case("random-float32", args=(torch.randn(3, 4, generator=g),), explain="A random float32 matrix."),
        Case("random-float64", args=(torch.randn(5, dtype=torch.float64, generator=g),), explain="float64 stays float64."),
        Case("negative-values", args=(-torch.rand(6, generator=g),), explain="Negative inputs."),
        Case("large-vector", args=(torch.randn(10_000, generator=g),), explain="A long vector, timed against the engine."),
    ]


def expected(case: Case):
    return case.args[0] + 1
'''

WRONG_ADD_ONE = "def add_one(x):\n    return x - 1\n"
RIGHT_ADD_ONE = "def add_one(x):\n    return x + 1\n"


def write_exercise(root: Path, slug: str = "add-one", practises: tuple[str, ...] = ("kv-basics",), **front: Any) -> Path:
    folder = root / "exercises" / slug
    (folder / "wrong").mkdir(parents=True, exist_ok=True)
    meta: dict[str, Any] = {
        "slug": slug, "title": "Add one", "topic": "kv-cache", "difficulty": "easy", "function": "add_one",
        "signature": "add_one(x: Tensor) -> Tensor", "practises": list(practises), "demos": [],
        "hints": ["Python numbers broadcast over tensors.", "`x + 1` keeps the dtype of `x`."],
        "wrong": [
            {"file": "subtracts.py", "mistake": "Subtracts one.", "fails": ["one-two-three"]},
            {"file": "plus_two.py", "mistake": "Adds two.", "fails": ["a-zero"]},
        ],
    }
    meta.update(front)
    (folder / "exercise.md").write_text(EXERCISE_MD.format(front=yaml.safe_dump(meta, sort_keys=False)), encoding="utf-8")
    (folder / "starter.py").write_text(STARTER, encoding="utf-8")
    (folder / "reference.py").write_text(REFERENCE, encoding="utf-8")
    (folder / "cases.py").write_text(CASES, encoding="utf-8")
    (folder / "wrong" / "subtracts.py").write_text(WRONG_SUBTRACTS, encoding="utf-8")
    (folder / "wrong" / "plus_two.py").write_text(WRONG_PLUS_TWO, encoding="utf-8")
    return folder


def exercise_lookup(bank_root: Path):
    """A ``get_exercise`` for the worker that reads the test bank (checked against its own question and topic)."""
    from questions.exercises.catalogue import load_exercise

    def get_exercise(slug: str):
        folder = bank_root / "exercises" / slug
        if not folder.is_dir():
            raise KeyError(f"slug: there is no exercise called {slug!r}")
        return load_exercise(folder, question_slugs={"kv-basics"}, demo_names=set(), topics={"kv-cache"})

    return get_exercise
